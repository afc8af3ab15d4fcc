-- 001_initial.sql — campaigns, the domain queue, results, per-check verdicts, per-MX rows and
-- the raw evidence. Times are milliseconds since the Unix epoch.

CREATE TABLE campaigns (
	id          INTEGER PRIMARY KEY,
	name        TEXT NOT NULL UNIQUE,
	state       TEXT NOT NULL DEFAULT 'active'
	            CHECK (state IN ('active', 'paused', 'cancelled', 'done')),
	created_at  INTEGER NOT NULL,
	started_at  INTEGER,
	finished_at INTEGER,
	config      TEXT               -- snapshot of the configuration the campaign ran with
);

-- One row per submitted input line. A row moves pending -> running -> done|failed; a result
-- and the row's move to done are committed in one transaction, so a killed daemon re-queues
-- what was running and never leaves a domain with zero or two results.
CREATE TABLE queue (
	id          INTEGER PRIMARY KEY,
	campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
	seq         INTEGER NOT NULL,  -- input order within the campaign
	input       TEXT NOT NULL,     -- the line as given
	domain      TEXT,              -- normalised A-label name; NULL when the input is invalid
	state       TEXT NOT NULL DEFAULT 'pending'
	            CHECK (state IN ('pending', 'running', 'done', 'failed')),
	attempts    INTEGER NOT NULL DEFAULT 0,
	updated_at  INTEGER,
	UNIQUE (campaign_id, seq)
);
CREATE INDEX queue_by_state ON queue (state, campaign_id, id);
CREATE INDEX queue_by_domain ON queue (campaign_id, domain);

CREATE TABLE results (
	id                    INTEGER PRIMARY KEY,
	queue_id              INTEGER NOT NULL UNIQUE REFERENCES queue(id) ON DELETE CASCADE,
	campaign_id           INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
	domain                TEXT NOT NULL,
	state                 TEXT NOT NULL CHECK (state IN ('scanned', 'invalid', 'failed')),
	reason                TEXT,
	scanned_at            INTEGER NOT NULL,
	duration_ms           INTEGER,
	score_confidentiality INTEGER,
	score_spoofing        INTEGER,
	score_integrity       INTEGER,
	result_json           TEXT NOT NULL   -- the full output object (schema/result.schema.json)
);
CREATE INDEX results_by_campaign ON results (campaign_id, domain);

-- One row per check per result: what dashboards aggregate.
CREATE TABLE verdicts (
	result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
	check_name TEXT NOT NULL,
	status     TEXT NOT NULL
	           CHECK (status IN ('pass', 'fail', 'absent', 'not_testable', 'dns_error')),
	reason     TEXT,
	PRIMARY KEY (result_id, check_name)
) WITHOUT ROWID;

-- One row per MX host address (or per host without address).
CREATE TABLE mx_results (
	result_id  INTEGER NOT NULL REFERENCES results(id) ON DELETE CASCADE,
	host       TEXT NOT NULL,
	pref       INTEGER,
	address    TEXT,               -- NULL when the host has no address
	family     INTEGER,            -- 4 or 6
	dnssec     TEXT,               -- DNSSEC status of the A/AAAA RRset the address came from
	detail     TEXT                -- per-address JSON (SMTP/TLS probe results when gathered)
);
CREATE INDEX mx_results_by_result ON mx_results (result_id);
CREATE INDEX mx_results_by_address ON mx_results (address);

-- The raw evidence (DNS answers, probe transcripts) from which verdicts can be recomputed.
CREATE TABLE evidence (
	result_id     INTEGER PRIMARY KEY REFERENCES results(id) ON DELETE CASCADE,
	evidence_json TEXT NOT NULL
);

-- Per campaign and check: how many domains got each verdict.
CREATE VIEW v_verdict_counts AS
	SELECT r.campaign_id, v.check_name, v.status, COUNT(*) AS domains
	FROM verdicts v JOIN results r ON r.id = v.result_id
	GROUP BY r.campaign_id, v.check_name, v.status;

-- Per campaign and check: share of scanned domains that pass (the report's support percentages).
CREATE VIEW v_support AS
	SELECT r.campaign_id, v.check_name,
	       COUNT(*) AS domains,
	       SUM(v.status = 'pass') AS passing,
	       ROUND(100.0 * SUM(v.status = 'pass') / COUNT(*), 2) AS percent_pass
	FROM verdicts v JOIN results r ON r.id = v.result_id
	WHERE r.state = 'scanned'
	GROUP BY r.campaign_id, v.check_name;

-- Score distributions per campaign and category.
CREATE VIEW v_score_distribution AS
	SELECT campaign_id, 'confidentiality' AS category, score_confidentiality AS score,
	       COUNT(*) AS domains FROM results WHERE state = 'scanned' GROUP BY 1, 3
	UNION ALL
	SELECT campaign_id, 'spoofing', score_spoofing, COUNT(*) FROM results
	       WHERE state = 'scanned' GROUP BY 1, 3
	UNION ALL
	SELECT campaign_id, 'integrity', score_integrity, COUNT(*) FROM results
	       WHERE state = 'scanned' GROUP BY 1, 3;

-- A domain's history across campaigns.
CREATE VIEW v_domain_history AS
	SELECT r.domain, c.name AS campaign, c.created_at, r.scanned_at, r.state,
	       r.score_confidentiality, r.score_spoofing, r.score_integrity
	FROM results r JOIN campaigns c ON c.id = r.campaign_id;
