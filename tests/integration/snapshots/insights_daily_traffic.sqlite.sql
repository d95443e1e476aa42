SELECT substr(click_rollups_hourly.hour, 1, 10) AS day, sum(click_rollups_hourly.clicks) AS clicks, sum(click_rollups_hourly.unique_clicks) AS unique_clicks, sum(click_rollups_hourly.bot_clicks) AS bot_clicks 
FROM click_rollups_hourly JOIN tracking_links ON tracking_links.id = click_rollups_hourly.link_id JOIN partnerships ON partnerships.id = tracking_links.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 GROUP BY substr(click_rollups_hourly.hour, 1, 10) ORDER BY day
