-- 003_verdict_check.sql — the verdict status CHECK as comparisons. SQLite evaluates a CHECK's
-- "x IN (list)" through a temporary b-tree that it builds for every row written; with eleven
-- verdicts per domain that was a tenth of the scanner's CPU. Same constraint, same rows.
DROP VIEW v_verdict_counts;
DROP VIEW v_support;

CREATE TABLE verdicts_new (
	result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
	check_name TEXT NOT NULL,
	status     TEXT NOT NULL
	           CHECK (status = 'pass' OR status = 'fail' OR status = 'absent' OR
	                  status = 'not_testable' OR status = 'dns_error'),
	reason     TEXT,
	PRIMARY KEY (result_id, check_name)
) WITHOUT ROWID;
INSERT INTO verdicts_new (result_id, check_name, status, reason)
	SELECT result_id, check_name, status, reason FROM verdicts;
DROP TABLE verdicts;
ALTER TABLE verdicts_new RENAME TO verdicts;

-- The two views of 001, unchanged.
CREATE VIEW v_verdict_counts AS
	SELECT r.campaign_id, v.check_name, v.status, COUNT(*) AS domains
	FROM verdicts v JOIN results r ON r.id = v.result_id
	GROUP BY r.campaign_id, v.check_name, v.status;

CREATE VIEW v_support AS
	SELECT r.campaign_id, v.check_name,
	       COUNT(*) AS domains,
	       SUM(v.status = 'pass') AS passing,
	       ROUND(100.0 * SUM(v.status = 'pass') / COUNT(*), 2) AS percent_pass
	FROM verdicts v JOIN results r ON r.id = v.result_id
	WHERE r.state = 'scanned'
	GROUP BY r.campaign_id, v.check_name;
