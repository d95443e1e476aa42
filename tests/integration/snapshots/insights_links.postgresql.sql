SELECT tracking_links.id, tracking_links.slug, tracking_links.partnership_id 
FROM tracking_links JOIN partnerships ON partnerships.id = tracking_links.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 ORDER BY tracking_links.id
