SELECT partnerships.id, partnerships.creator_id, creators.country 
FROM partnerships JOIN creators ON creators.id = partnerships.creator_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 ORDER BY partnerships.id
