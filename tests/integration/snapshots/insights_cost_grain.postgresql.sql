SELECT cost_lines.partnership_id, cost_lines.day, cost_lines.currency, coalesce(sum(cost_lines.amount_minor), 0) AS cost_minor 
FROM (SELECT costs.partnership_id AS partnership_id, costs.incurred_on AS day, costs.currency AS currency, costs.amount_minor AS amount_minor 
FROM costs 
WHERE costs.workspace_id = 1 AND costs.campaign_id = 2 UNION ALL SELECT payout_lines.partnership_id AS partnership_id, payout_lines.payable_on AS day, payout_lines.currency AS currency, payout_lines.amount_minor AS amount_minor 
FROM payout_lines JOIN partnerships ON partnerships.id = payout_lines.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 AND payout_lines.kind IN ('click', 'lead', 'commission', 'reversal', 'adjustment')) AS cost_lines GROUP BY cost_lines.partnership_id, cost_lines.day, cost_lines.currency ORDER BY cost_lines.partnership_id, cost_lines.day, cost_lines.currency
