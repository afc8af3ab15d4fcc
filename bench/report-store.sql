-- bench/report-store.sql — a large campaign for timing `mxsurvey report`, without scanning: the
-- results of a real campaign (attached as src, campaign src_campaign) repeated :n times under
-- new names, with their verdicts (reasons renamed), MX rows and result objects; MX hosts spread
-- over providers with a Zipf-like law (P(provider rank >= k) ~ 1/k), as surveys see them.
-- Usage (bench/README.md): sqlite3 big.db -cmd ".parameter set :n 1000000" \
--     -cmd "ATTACH 'small.db' AS src" < bench/report-store.sql
-- big.db must hold the mxsurvey schema and one empty campaign named 'big'.
PRAGMA journal_mode = OFF;
PRAGMA synchronous = OFF;
PRAGMA cache_size = -200000;
CREATE TEMP TABLE tpl AS
	SELECT row_number() OVER (ORDER BY id) - 1 AS k, id, domain, state, reason,
	       score_confidentiality, score_spoofing, score_integrity, result_json
	FROM src.results WHERE campaign_id = (SELECT MIN(campaign_id) FROM src.results);
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i + 1 < :n)
INSERT INTO queue (id, campaign_id, seq, input, domain, state, attempts, updated_at)
	SELECT i + 1, (SELECT id FROM campaigns WHERE name = 'big'), i, 'd' || i || '.example',
	       'd' || i || '.example', 'done', 1, 0 FROM n;
INSERT INTO results (id, queue_id, campaign_id, domain, state, reason, scanned_at, duration_ms,
		     score_confidentiality, score_spoofing, score_integrity, result_json)
	SELECT q.id, q.id, q.campaign_id, q.domain, t.state, t.reason, 1796399110000 + q.id, 1000,
	       t.score_confidentiality, t.score_spoofing, t.score_integrity, t.result_json
	FROM queue q JOIN tpl t ON t.k = (q.id - 1) % (SELECT COUNT(*) FROM tpl);
INSERT INTO verdicts (result_id, check_name, status, reason)
	SELECT r.id, v.check_name, v.status, replace(v.reason, t.domain, r.domain)
	FROM results r JOIN tpl t ON t.k = (r.id - 1) % (SELECT COUNT(*) FROM tpl)
	JOIN src.verdicts v ON v.result_id = t.id;
INSERT INTO mx_results (result_id, host, pref, address, family, dnssec, detail)
	SELECT r.id, 'mx' || (m.pref % 3) || '.p' ||
	       CAST(1000000.0 / (1 + (r.id * 2654435761) % 1000000) AS INTEGER) || '.example',
	       m.pref, m.address, m.family, m.dnssec, m.detail
	FROM results r JOIN tpl t ON t.k = (r.id - 1) % (SELECT COUNT(*) FROM tpl)
	JOIN src.mx_results m ON m.result_id = t.id;
UPDATE campaigns SET state = 'done', started_at = 1796399110000,
	finished_at = 1796399110000 + :n WHERE name = 'big';
COMMIT;
