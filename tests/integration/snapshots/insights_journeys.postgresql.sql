SELECT clicks.visitor_hash, tracking_links.partnership_id 
FROM clicks JOIN tracking_links ON tracking_links.id = clicks.link_id JOIN partnerships ON partnerships.id = tracking_links.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 AND clicks.is_bot IS false ORDER BY clicks.occurred_at, clicks.click_id
