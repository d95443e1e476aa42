SELECT partnerships.creator_id, coalesce(sum(click_rollups_hourly.clicks), 0) AS clicks, coalesce(sum(click_rollups_hourly.unique_clicks), 0) AS unique_clicks, coalesce(sum(click_rollups_hourly.bot_clicks), 0) AS bot_clicks 
FROM click_rollups_hourly JOIN tracking_links ON tracking_links.id = click_rollups_hourly.link_id JOIN partnerships ON partnerships.id = tracking_links.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 GROUP BY partnerships.creator_id ORDER BY partnerships.creator_id
