SELECT clicks.link_id, substr(CAST(clicks.occurred_at AS VARCHAR), 1, 13) || ':00:00.000000' AS hour, clicks.workspace_id, count(*) AS clicks, coalesce(sum(CASE WHEN clicks.is_unique THEN 1 ELSE 0 END), 0) AS unique_clicks, coalesce(sum(CASE WHEN clicks.is_bot THEN 1 ELSE 0 END), 0) AS bot_clicks 
FROM clicks 
WHERE clicks.workspace_id = 1 GROUP BY clicks.link_id, substr(CAST(clicks.occurred_at AS VARCHAR), 1, 13) || ':00:00.000000', clicks.workspace_id
