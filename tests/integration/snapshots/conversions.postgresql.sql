SELECT partnerships.creator_id, conversions.currency, credited.share, coalesce(sum(CASE WHEN (conversions.kind = 'sale') THEN 1 ELSE 0 END), 0) AS sales, coalesce(sum(CASE WHEN (conversions.kind = 'lead') THEN 1 ELSE 0 END), 0) AS leads, coalesce(sum(CASE WHEN (conversions.kind = 'sale') THEN credited.amount_minor ELSE 0 END), 0) AS sales_minor 
FROM conversions JOIN (SELECT conversion_credits.conversion_id AS conversion_id, conversion_credits.partnership_id AS partnership_id, conversion_credits.share AS share, conversion_credits.amount_minor AS amount_minor 
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
WHERE conversion_credits.workspace_id = 1 AND conversion_credits.conversion_id = conversions.id))) AS credited ON credited.conversion_id = conversions.id JOIN partnerships ON partnerships.id = credited.partnership_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 AND conversions.kind IN ('sale', 'lead') AND (conversions.status NOT IN ('rejected')) GROUP BY partnerships.creator_id, conversions.currency, credited.share ORDER BY partnerships.creator_id, conversions.currency, credited.share
