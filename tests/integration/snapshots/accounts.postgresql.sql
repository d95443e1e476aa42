SELECT social_accounts.creator_id, social_accounts.platform, social_accounts.followers 
FROM partnerships JOIN social_accounts ON social_accounts.creator_id = partnerships.creator_id 
WHERE partnerships.workspace_id = 1 AND partnerships.campaign_id = 2 ORDER BY social_accounts.creator_id, social_accounts.platform
