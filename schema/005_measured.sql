-- 005_measured.sql — scores only where something was measured, and transient failures retried.
-- A category score column of results is NULL when the score is withheld (a verdict it depends on
-- could not be determined: DNS error, no testable MX host); indeterminate counts the checks
-- whose undetermined verdict blocks a score, so that "not measured" is counted apart, never as 0.
-- A queue row whose result held only transient failures goes back to pending with retry_at, the
-- time before which it is not claimed again; attempts counts every scan of it.
ALTER TABLE results ADD COLUMN indeterminate INTEGER NOT NULL DEFAULT 0;
ALTER TABLE queue ADD COLUMN retry_at INTEGER;

-- Per campaign and category: scanned domains, those with a score, those whose score was
-- withheld because something it depends on could not be measured.
CREATE VIEW v_measured AS
	SELECT campaign_id, 'confidentiality' AS category, COUNT(*) AS scanned,
	       COUNT(score_confidentiality) AS measured,
	       COUNT(*) - COUNT(score_confidentiality) AS not_measured
	FROM results WHERE state = 'scanned' GROUP BY campaign_id
	UNION ALL
	SELECT campaign_id, 'spoofing', COUNT(*), COUNT(score_spoofing),
	       COUNT(*) - COUNT(score_spoofing)
	FROM results WHERE state = 'scanned' GROUP BY campaign_id
	UNION ALL
	SELECT campaign_id, 'integrity', COUNT(*), COUNT(score_integrity),
	       COUNT(*) - COUNT(score_integrity)
	FROM results WHERE state = 'scanned' GROUP BY campaign_id;
