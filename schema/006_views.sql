-- 006_views.sql — the reporting contract: the v_* views that `mxsurvey report` and dashboards
-- read. Their columns are documented in schema/VIEWS.md; a test fails when a view's columns
-- change without a new migration. Counts are of domains (results rows) unless a column says
-- otherwise. A verdict that could not be determined (dns_error, not_testable) and a withheld
-- score (NULL) count as "not measured", never as absent or 0. IF NOT EXISTS: a store that already
-- has them (from a build where this migration had another position) is left as it is.

-- Per campaign: how its results ended. not_measured: scanned domains with at least one category
-- score withheld; undetermined: scanned domains with at least one verdict dns_error or
-- not_testable.
CREATE VIEW IF NOT EXISTS v_campaign_results AS
	SELECT c.id AS campaign_id, c.name,
	       COUNT(r.id) AS results,
	       COALESCE(SUM(r.state = 'scanned'), 0) AS scanned,
	       COALESCE(SUM(r.state = 'invalid'), 0) AS invalid,
	       COALESCE(SUM(r.state = 'failed'), 0) AS failed,
	       COALESCE(SUM(r.state = 'scanned' AND (r.score_confidentiality IS NULL OR
	                    r.score_spoofing IS NULL OR r.score_integrity IS NULL)), 0)
	           AS not_measured,
	       COALESCE(SUM(r.state = 'scanned' AND EXISTS (
	                    SELECT 1 FROM verdicts v WHERE v.result_id = r.id AND
	                    (v.status = 'dns_error' OR v.status = 'not_testable'))), 0)
	           AS undetermined
	FROM campaigns c LEFT JOIN results r ON r.campaign_id = c.id
	GROUP BY c.id;

-- Per scanned domain: the three MECSA scores (0-10, NULL when withheld).
CREATE VIEW IF NOT EXISTS v_domain_scores AS
	SELECT campaign_id, id AS result_id, domain,
	       score_confidentiality, score_spoofing, score_integrity
	FROM results WHERE state = 'scanned';

-- Per scanned domain and protocol (check): its verdict and the outcome it counts as.
--   supported     the verdict is pass
--   with_errors   deployed with errors: a record or service is there but fails (fail)
--   absent        nothing deployed (absent; for starttls also a fail where no MX address
--                 offered STARTTLS at all)
--   not_measured  dns_error or not_testable
CREATE VIEW IF NOT EXISTS v_protocol_outcome AS
	SELECT r.campaign_id, r.id AS result_id, r.domain, v.check_name AS protocol, v.status,
	       CASE
	       WHEN v.status = 'pass' THEN 'supported'
	       WHEN v.status = 'dns_error' OR v.status = 'not_testable' THEN 'not_measured'
	       WHEN v.status = 'absent' THEN 'absent'
	       WHEN v.check_name = 'starttls' AND NOT EXISTS (
	            SELECT 1 FROM mx_results m WHERE m.result_id = r.id AND
	            json_extract(m.detail, '$.starttls_offered') = 1) THEN 'absent'
	       ELSE 'with_errors'
	       END AS outcome,
	       v.reason
	FROM results r JOIN verdicts v ON v.result_id = r.id
	WHERE r.state = 'scanned';

-- Per campaign and protocol: domains per outcome (the report's "support per protocol").
CREATE VIEW IF NOT EXISTS v_protocol_support AS
	SELECT campaign_id, protocol, COUNT(*) AS domains,
	       SUM(outcome = 'supported') AS supported,
	       SUM(outcome = 'with_errors') AS with_errors,
	       SUM(outcome = 'absent') AS absent,
	       SUM(outcome = 'not_measured') AS not_measured
	FROM v_protocol_outcome
	GROUP BY campaign_id, protocol;

-- Per campaign, protocol and verdict reason: the domains whose deployment has errors.
-- Reasons name hosts and addresses; the report folds them into error kinds.
CREATE VIEW IF NOT EXISTS v_deployment_errors AS
	SELECT campaign_id, protocol, reason, COUNT(*) AS domains
	FROM v_protocol_outcome WHERE outcome = 'with_errors'
	GROUP BY campaign_id, protocol, reason;

-- Per campaign: the DMARC policy (p=) of the domains that publish a DMARC record.
CREATE VIEW IF NOT EXISTS v_dmarc_policy AS
	SELECT r.campaign_id,
	       COALESCE(json_extract(r.result_json, '$.checks.dmarc.detail.p'), '(unreadable)')
	           AS policy,
	       COUNT(*) AS domains
	FROM results r JOIN verdicts v ON v.result_id = r.id AND v.check_name = 'dmarc'
	WHERE r.state = 'scanned' AND (v.status = 'pass' OR v.status = 'fail')
	GROUP BY 1, 2;

-- Per campaign: the qualifier of the SPF record's "all" (or its redirect target's) of the
-- domains that publish an SPF record; "(none)" when the record has no "all".
CREATE VIEW IF NOT EXISTS v_spf_all AS
	SELECT r.campaign_id,
	       COALESCE(json_extract(r.result_json, '$.checks.spf.detail.all'), '(none)')
	           AS qualifier,
	       COUNT(*) AS domains
	FROM results r JOIN verdicts v ON v.result_id = r.id AND v.check_name = 'spf'
	WHERE r.state = 'scanned' AND (v.status = 'pass' OR v.status = 'fail')
	GROUP BY 1, 2;

-- Per campaign: the TLS version negotiated with each distinct MX address (addresses).
CREATE VIEW IF NOT EXISTS v_tls_versions AS
	SELECT r.campaign_id, json_extract(m.detail, '$.tls_version') AS tls_version,
	       COUNT(DISTINCT m.address) AS addresses
	FROM results r JOIN mx_results m ON m.result_id = r.id
	WHERE r.state = 'scanned' AND m.address IS NOT NULL AND
	      json_extract(m.detail, '$.tls_version') IS NOT NULL
	GROUP BY 1, 2;

-- Per campaign: the key type and size of each distinct MX certificate (by SHA-256).
CREATE VIEW IF NOT EXISTS v_key_types AS
	SELECT r.campaign_id, json_extract(a.value, '$.key.type') AS key_type,
	       json_extract(a.value, '$.key.bits') AS bits,
	       COUNT(DISTINCT json_extract(a.value, '$.sha256')) AS certificates
	FROM results r JOIN verdicts v ON v.result_id = r.id AND v.check_name = 'x509',
	     json_each(r.result_json, '$.checks.x509.detail.addresses') a
	WHERE r.state = 'scanned' AND (v.status = 'pass' OR v.status = 'fail') AND
	      json_extract(a.value, '$.key.type') IS NOT NULL
	GROUP BY 1, 2, 3;

-- MX host name -> its operator: the registrable domain of the name (public suffix list), or
-- the address for an address literal. A cache filled by `mxsurvey report` (libpsl) for the
-- hosts of the campaigns it reports on; hosts not yet in it have no provider in the views below.
CREATE TABLE IF NOT EXISTS mx_provider (
	host     TEXT PRIMARY KEY,
	provider TEXT NOT NULL
) WITHOUT ROWID;

-- Per scanned domain: the provider of its most preferred MX host (lowest preference, then name);
-- NULL without MX host (null MX, no mail) or before the host is in mx_provider.
CREATE VIEW IF NOT EXISTS v_domain_provider AS
	SELECT r.campaign_id, r.id AS result_id, r.domain,
	       (SELECT p.provider FROM mx_results m JOIN mx_provider p ON p.host = m.host
	        WHERE m.result_id = r.id ORDER BY m.pref, m.host LIMIT 1) AS provider
	FROM results r WHERE r.state = 'scanned';

-- Per campaign and provider: how many domains it receives mail for.
CREATE VIEW IF NOT EXISTS v_providers AS
	SELECT campaign_id, provider, COUNT(*) AS domains
	FROM v_domain_provider WHERE provider IS NOT NULL
	GROUP BY campaign_id, provider;

-- A domain's scores in two campaigns (every ordered pair of campaigns that both have it):
-- query with from_campaign_id and to_campaign_id. change: the sum of the score differences of
-- the categories measured in both; verdicts_changed: "check from->to" of each verdict that
-- differs (the comparison of `mxsurvey diff`).
CREATE VIEW IF NOT EXISTS v_score_changes AS
	SELECT a.campaign_id AS from_campaign_id, b.campaign_id AS to_campaign_id, a.domain,
	       a.state AS state_from, b.state AS state_to,
	       a.score_confidentiality AS confidentiality_from,
	       b.score_confidentiality AS confidentiality_to,
	       a.score_spoofing AS spoofing_from, b.score_spoofing AS spoofing_to,
	       a.score_integrity AS integrity_from, b.score_integrity AS integrity_to,
	       COALESCE(ABS(b.score_confidentiality - a.score_confidentiality), 0) +
	       COALESCE(ABS(b.score_spoofing - a.score_spoofing), 0) +
	       COALESCE(ABS(b.score_integrity - a.score_integrity), 0) AS change,
	       (SELECT group_concat(va.check_name || ' ' || va.status || '->' ||
	                            COALESCE(vb.status, '-'), ', ')
	        FROM verdicts va LEFT JOIN verdicts vb
	             ON vb.result_id = b.id AND vb.check_name = va.check_name
	        WHERE va.result_id = a.id AND vb.status IS NOT va.status) AS verdicts_changed
	FROM results a JOIN results b ON b.domain = a.domain AND b.campaign_id <> a.campaign_id;
