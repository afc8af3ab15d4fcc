-- 003_verdict_check.sql — the verdict status CHECK as comparisons. SQLite evaluates a CHECK's
-- "x IN (list)" through a temporary b-tree that it builds for every row written; with eleven
-- verdicts per domain that was a tenth of the scanner's CPU. Same constraint, same rows.
-- The table is rebuilt (SQLite cannot change a CHECK in place); legacy_alter_table keeps the
-- views of 001 as they are, naming "verdicts", while the table is briefly missing.
PRAGMA legacy_alter_table = ON;
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
PRAGMA legacy_alter_table = OFF;
