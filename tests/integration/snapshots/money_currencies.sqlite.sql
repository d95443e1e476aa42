SELECT currencies.currency 
FROM (SELECT conversions.currency AS currency 
FROM conversions JOIN partnerships ON partnerships.id = conversions.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 UNION SELECT costs.currency AS currency 
FROM costs 
WHERE costs.workspace_id = 1 AND costs.campaign_id = 2 UNION SELECT payout_lines.currency AS currency 
FROM payout_lines JOIN partnerships ON partnerships.id = payout_lines.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2) AS currencies ORDER BY currencies.currency
