-- bench/report-store.sql — a large campaign for timing `mxsurvey report`, without scanning: the
-- results of a real campaign (attached as src) repeated :n times under the names d0.example,
-- d1.example..., with their verdicts (reasons renamed), MX rows and result objects; MX hosts
-- spread over providers with a Zipf-like law (P(provider rank >= k) ~ 1/k), as surveys see them.
-- :campaign names the campaign (it must exist and be empty); :shift rotates which result each
-- name gets, so that a second campaign with another shift has changed domains (for trends).
-- Usage (bench/README.md):
--   echo | ./mxsurvey submit --db big.db --campaign big -
--   sqlite3 big.db -cmd ".parameter set :n 1000000" -cmd ".parameter set :campaign big" \
--       -cmd ".parameter set :shift 0" -cmd "ATTACH 'small.db' AS src" < bench/report-store.sql
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -200000;
CREATE TEMP TABLE tpl AS
	SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, domain, state, reason,
	       score_confidentiality, score_spoofing, score_integrity, result_json
	FROM src.results WHERE campaign_id = (SELECT MIN(campaign_id) FROM src.results);
CREATE TEMP TABLE target AS
	SELECT (SELECT id FROM campaigns WHERE name = :campaign) AS cid,
	       (SELECT COALESCE(MAX(id), 0) FROM queue) AS base,
	       (SELECT COUNT(*) FROM tpl) AS ntpl;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :n)
INSERT INTO queue (id, campaign_id, seq, input, domain, state, attempts, updated_at)
	SELECT base + i + 1, cid, i, 'd' || i || '.example', 'd' || i || '.example', 'done', 1, 0
	FROM n, target;
INSERT INTO results (id, queue_id, campaign_id, domain, state, reason, scanned_at, duration_ms,
		     score_confidentiality, score_spoofing, score_integrity, result_json)
	SELECT q.id, q.id, q.campaign_id, q.domain, t.state, t.reason, 1796399110000 + q.seq, 1000,
	       t.score_confidentiality, t.score_spoofing, t.score_integrity, t.result_json
	FROM target, queue q JOIN tpl t ON t.k = (q.seq + :shift) % ntpl
	WHERE q.campaign_id = cid;
INSERT INTO verdicts (result_id, check_name, status, reason)
	SELECT r.id, v.check_name, v.status, replace(v.reason, t.domain, r.domain)
	FROM target, results r JOIN queue q ON q.id = r.queue_id
	JOIN tpl t ON t.k = (q.seq + :shift) % ntpl JOIN src.verdicts v ON v.result_id = t.id
	WHERE r.campaign_id = cid;
INSERT INTO mx_results (result_id, host, pref, address, family, dnssec, detail)
	SELECT r.id, 'mx' || (m.pref % 3) || '.p' ||
	       CAST(1000000.0 / (1 + (q.seq * 2654435761) % 1000000) AS INTEGER) || '.example',
	       m.pref, m.address, m.family, m.dnssec, m.detail
	FROM target, results r JOIN queue q ON q.id = r.queue_id
	JOIN tpl t ON t.k = (q.seq + :shift) % ntpl JOIN src.mx_results m ON m.result_id = t.id
	WHERE r.campaign_id = cid;
UPDATE campaigns SET state = 'done', started_at = 1796399110000,
	finished_at = 1796399110000 + :n WHERE name = :campaign;
COMMIT;
