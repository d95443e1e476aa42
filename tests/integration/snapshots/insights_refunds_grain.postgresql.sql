SELECT credited.partnership_id, coalesce(sale.link_id, refund.link_id) AS link_id, to_char(coalesce(sale.occurred_at, refund.occurred_at), 'YYYY-MM-DD') AS day, refund.currency, credited.share, coalesce(sum(credited.amount_minor), 0) AS refunds_minor, count(DISTINCT refund.reverses_id) AS refunded_orders 
FROM conversions AS refund JOIN (SELECT conversion_credits.conversion_id AS conversion_id, conversion_credits.partnership_id AS partnership_id, conversion_credits.share AS share, conversion_credits.amount_minor AS amount_minor 
FROM conversion_credits 
WHERE conversion_credits.workspace_id = 1 AND conversion_credits.partnership_id IN (SELECT partnerships.id 
FROM partnerships 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2) UNION ALL SELECT conversions.id AS conversion_id, conversions.partnership_id AS partnership_id, '1' AS share, conversions.amount_minor AS amount_minor 
FROM conversions LEFT OUTER JOIN conversions AS credited_sale ON credited_sale.id = conversions.reverses_id 
WHERE conversions.partnership_id IN (SELECT partnerships.id 
FROM partnerships 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2) AND credited_sale.partnership_id IS NULL AND NOT (EXISTS (SELECT * 
FROM conversion_credits 
WHERE conversion_credits.workspace_id = 1 AND conversion_credits.conversion_id = conversions.id)) UNION ALL SELECT conversions.id AS conversion_id, credited_sale.partnership_id AS partnership_id, '1' AS share, conversions.amount_minor AS amount_minor 
FROM conversions JOIN conversions AS credited_sale ON credited_sale.id = conversions.reverses_id 
WHERE conversions.reverses_id IS NOT NULL AND credited_sale.partnership_id IN (SELECT partnerships.id 
FROM partnerships 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2) AND NOT (EXISTS (SELECT * 
FROM conversion_credits 
WHERE conversion_credits.workspace_id = 1 AND conversion_credits.conversion_id = conversions.id))) AS credited ON credited.conversion_id = refund.id JOIN partnerships ON partnerships.id = credited.partnership_id LEFT OUTER JOIN conversions AS sale ON sale.id = refund.reverses_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 AND refund.kind = 'refund' AND (refund.status NOT IN ('rejected')) GROUP BY credited.partnership_id, coalesce(sale.link_id, refund.link_id), to_char(coalesce(sale.occurred_at, refund.occurred_at), 'YYYY-MM-DD'), refund.currency, credited.share ORDER BY credited.partnership_id, link_id, day, refund.currency, credited.share
