SELECT baseline_series.day, baseline_series.value 
FROM baseline_series 
WHERE baseline_series.workspace_id = 1 AND baseline_series.series = 'sessions' AND baseline_series.day >= '2026-01-01' AND baseline_series.day <= '2026-01-31' ORDER BY baseline_series.day
