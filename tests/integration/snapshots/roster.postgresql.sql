SELECT creators.id AS creator_id, creators.handle, creators.name, partnerships.payment_model 
FROM partnerships JOIN creators ON creators.id = partnerships.creator_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 ORDER BY creators.handle
