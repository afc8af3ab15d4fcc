-- 002_daemon.sql — what the daemon and the campaign commands read often: recent results (rate
-- and ETA in `mxsurvey status`) and each campaign's progress (dashboards).

-- The results of the last minutes, whatever the campaign: a range on this index.
CREATE INDEX results_by_time ON results (scanned_at);

-- Per campaign: its life (name, state, start, end) and how many of its rows are in each state.
CREATE VIEW v_campaign_progress AS
	SELECT c.id AS campaign_id, c.name, c.state, c.created_at, c.started_at, c.finished_at,
	       COUNT(q.id) AS submitted,
	       COALESCE(SUM(q.state = 'pending'), 0) AS pending,
	       COALESCE(SUM(q.state = 'running'), 0) AS running,
	       COALESCE(SUM(q.state = 'done'), 0) AS done,
	       COALESCE(SUM(q.state = 'failed'), 0) AS failed
	FROM campaigns c LEFT JOIN queue q ON q.campaign_id = c.id
	GROUP BY c.id;
