SELECT clicks.click_id, clicks.link_id, tracking_links.partnership_id, clicks.occurred_at, clicks.visitor_hash, clicks.is_bot 
FROM clicks JOIN tracking_links ON tracking_links.id = clicks.link_id JOIN partnerships ON partnerships.id = tracking_links.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 AND clicks.workspace_id = 1 AND clicks.visitor_hash IN ('visitor-a', 'visitor-b') ORDER BY clicks.occurred_at, clicks.click_id
