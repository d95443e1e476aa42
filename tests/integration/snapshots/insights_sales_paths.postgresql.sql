SELECT conversions.id, conversions.occurred_at, conversions.amount_minor, conversions.currency, conversions.partnership_id, carried.visitor_hash, conversions.customer_ref 
FROM conversions JOIN partnerships ON partnerships.id = conversions.partnership_id LEFT OUTER JOIN clicks AS carried ON carried.click_id = conversions.click_id AND carried.workspace_id = 1 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 AND conversions.kind = 'sale' AND (conversions.status NOT IN ('rejected')) ORDER BY conversions.occurred_at, conversions.id
