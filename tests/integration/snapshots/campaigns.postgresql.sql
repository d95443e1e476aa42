SELECT campaigns.id, campaigns.slug, campaigns.name, campaigns.goal, campaigns.status, campaigns.starts_on, campaigns.ends_on, campaigns.budget_minor, campaigns.currency, campaigns.kpi_targets, campaigns.reference_cpm_minor 
FROM campaigns 
WHERE campaigns.workspace_id = 1 AND campaigns.slug = 'spring' ORDER BY campaigns.starts_on, campaigns.slug
