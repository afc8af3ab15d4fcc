/* test_store.c — the SQLite store: migrations on open, the queue's life cycle, the batched
 * writer, re-queueing after a crash, and reading results back in input order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "checks/evidence.h"
#include "checks/result.h"
#include "daemon/store.h"

static char *store_tmp_path(void)
{
	char *path = strdup("/tmp/mxs-store-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return path;
}

static void store_tmp_remove(char *path)
{
	char buf[300];
	unlink(path);
	snprintf(buf, sizeof buf, "%s-wal", path);
	unlink(buf);
	snprintf(buf, sizeof buf, "%s-shm", path);
	unlink(buf);
	free(path);
}

static int store_collect(json_t *r, void *arg)
{
	json_t *arr = arg;
	json_array_append(arr, json_object_get(r, "domain"));
	return 0;
}

static struct result *store_test_result(const char *domain, int invalid)
{
	struct result *res = result_new(domain);
	if (invalid) {
		res->state = RESULT_INVALID;
		res->invalid_reason = strdup("empty label");
		return res;
	}
	json_t *hosts = json_pack("[{s:s, s:i, s:{s:s, s:[s]}, s:{s:s, s:[]}}]", "name",
				  "mx.example.org", "pref", 10, "a", "dnssec", "secure",
				  "addresses", "192.0.2.1", "aaaa", "dnssec", "secure",
				  "addresses");
	result_set(res, CHECK_MX, json_pack("{s:o}", "hosts", hosts), VERDICT_PASS, "ok");
	res->score[MECSA_CONFIDENTIALITY] = 5;
	return res;
}

static void test_store_lifecycle(void **state)
{
	(void)state;
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	assert_non_null(st);
	assert_true(store_schema_version(st) >= 1);
	int64_t c = store_campaign_create(st, "t", "{}");
	assert_true(c > 0);
	assert_int_equal(store_campaign_create(st, "t", "{}"), -1); /* names are unique */
	assert_non_null(strstr(store_errmsg(st), "a campaign named 't' already exists"));
	assert_int_equal(store_campaign_create(st, "t\x1b[2J", "{}"), -1); /* and printable */
	assert_non_null(strstr(store_errmsg(st), "invalid campaign name 't\\x1b[2J'"));
	assert_int_equal(store_campaign_find(st, "t"), c);

	static const char *const inputs[] = {"b.example", "bad..", "a.example"};
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_enqueue(st, c, i, inputs[i], i == 1 ? NULL : inputs[i]), 0);
	assert_int_equal(store_commit(st), 0);

	struct store_job jobs[8];
	assert_int_equal(store_claim(st, c, jobs, 2), 2);
	assert_int_equal(jobs[0].attempts, 1);
	assert_null(jobs[1].domain);
	struct store_counts counts;
	store_counts(st, c, &counts);
	assert_int_equal(counts.running, 2);
	assert_int_equal(counts.pending, 1);

	store_set_batching(st, NULL, 100, 1000);
	for (int i = 0; i < 2; i++) {
		struct result *res = store_test_result(inputs[i], jobs[i].domain == NULL);
		struct evidence *ev = evidence_new(inputs[i]);
		store_put_result(st, &jobs[i], res, ev, 12);
		result_free(res);
		evidence_free(ev);
	}
	assert_int_equal(store_unflushed(st), 2);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(store_unflushed(st), 0);
	store_counts(st, c, &counts);
	assert_int_equal(counts.done, 2);
	assert_int_equal(counts.running, 0);

	/* A crash leaves the third running; on restart it goes back to pending. */
	assert_int_equal(store_claim(st, c, &jobs[2], 1), 1);
	assert_int_equal(store_requeue_running(st), 1);
	store_job_clear(&jobs[2]);
	assert_int_equal(store_claim(st, c, &jobs[2], 4), 1);
	assert_int_equal(jobs[2].attempts, 2);
	struct result *res = store_test_result(inputs[2], 0);
	store_put_result(st, &jobs[2], res, NULL, 3);
	result_free(res);
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(store_claim(st, c, jobs + 3, 4), 0);

	json_t *order = json_array();
	assert_int_equal(store_foreach_result(st, c, store_collect, order), 0);
	json_t *want = json_pack("[s, s, s]", "b.example", "bad..", "a.example");
	assert_true(json_equal(order, want));
	json_decref(order);
	json_decref(want);
	for (int i = 0; i < 3; i++)
		store_job_clear(&jobs[i]);
	store_close(st);
}

static void test_store_batch_commits_at_size(void **state)
{
	(void)state;
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	int64_t c = store_campaign_create(st, "batch", NULL);
	store_begin(st);
	for (int i = 0; i < 10; i++) {
		char name[32];
		snprintf(name, sizeof name, "d%d.example", i);
		store_enqueue(st, c, i, name, name);
	}
	store_commit(st);
	store_set_batching(st, NULL, 4, 1000);
	struct store_job jobs[10];
	assert_int_equal(store_claim(st, c, jobs, 10), 10);
	for (int i = 0; i < 10; i++) {
		struct result *res = store_test_result(jobs[i].domain, 0);
		store_put_result(st, &jobs[i], res, NULL, 1);
		result_free(res);
		assert_int_equal(store_unflushed(st), (size_t)((i + 1) % 4));
		store_job_clear(&jobs[i]);
	}
	store_close(st); /* flushes the last partial batch */
}

/* One result the database refuses, one that cannot be written as JSON and one whose queue row
 * does not exist share a batch with good ones: the good ones are committed, the refused and
 * unwritable ones get a failed result saying why, the orphan is left out. */
static void test_store_isolates_unstorable(void **state)
{
	(void)state;
	char err[256];
	char *path = store_tmp_path();
	struct store *st = store_open(path, err, sizeof err);
	assert_non_null(st);
	int64_t c = store_campaign_create(st, "iso", NULL);
	static const char *const names[] = {"a.example", "poison.example", "b.example",
					    "raw.example", "c.example"};
	assert_int_equal(store_begin(st), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(store_enqueue(st, c, i, names[i], names[i]), 0);
	assert_int_equal(store_commit(st), 0);
	/* The injected failure: a trigger refusing one domain's scanned result (SQLITE_CONSTRAINT,
	 * as a NOT NULL or CHECK violation would be), from a second connection. */
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "CREATE TRIGGER poison BEFORE INSERT ON results "
				      "WHEN NEW.domain = 'poison.example' AND NEW.state <> 'failed' "
				      "BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
				      NULL, NULL, NULL),
			 SQLITE_OK);

	store_set_batching(st, NULL, 100, 1000);
	struct store_job jobs[6];
	assert_int_equal(store_claim(st, c, jobs, 5), 5);
	jobs[5] = jobs[4];
	jobs[5].queue_id = 999999; /* no such queue row: not even a failed result fits */
	for (int i = 0; i < 6; i++) {
		/* raw.example's result holds bytes that are not UTF-8: no JSON text for it. */
		const char *name = i == 3 ? "raw\xff\x1b[31m.example" : jobs[i].domain;
		struct result *res = store_test_result(name, 0);
		store_put_result(st, &jobs[i], res, NULL, 1);
		result_free(res);
	}
	jobs[5].input = jobs[5].domain = NULL;
	assert_int_equal(store_flush(st), 0);
	assert_int_equal(store_unflushed(st), 0);
	assert_int_equal(store_failing_since(st), 0);
	struct store_counts n;
	assert_int_equal(store_counts(st, c, &n), 0);
	assert_int_equal(n.done, 3);
	assert_int_equal(n.failed, 2);
	assert_int_equal(n.running, 0);

	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT q.input, r.state, r.reason, r.domain, "
					    "json_extract(r.result_json, '$.state') FROM results r "
					    "JOIN queue q ON q.id = r.queue_id ORDER BY q.seq",
					    -1, &s, NULL),
			 SQLITE_OK);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		const char *st_name = (const char *)sqlite3_column_text(s, 1);
		const char *reason = (const char *)sqlite3_column_text(s, 2);
		const char *domain = (const char *)sqlite3_column_text(s, 3);
		assert_string_equal((const char *)sqlite3_column_text(s, 4), st_name);
		if (i == 1) {
			assert_string_equal(st_name, "failed");
			assert_non_null(strstr(reason, "result could not be stored"));
			assert_non_null(strstr(reason, "injected failure"));
		} else if (i == 3) {
			assert_string_equal(st_name, "failed");
			assert_non_null(strstr(reason, "cannot be written as JSON"));
			/* The bytes are shown escaped, never stored raw. */
			assert_string_equal(domain, "raw\\xff\\x1b[31m.example");
		} else {
			assert_string_equal(st_name, "scanned");
			assert_null(reason);
			assert_string_equal(domain, names[i]);
		}
	}
	assert_int_equal(sqlite3_step(s), SQLITE_DONE);
	sqlite3_finalize(s);
	sqlite3_close(db);
	for (int i = 0; i < 5; i++)
		store_job_clear(&jobs[i]);
	store_close(st);
	store_tmp_remove(path);
}

static void test_store_file_reopen_and_rows(void **state)
{
	(void)state;
	char err[256];
	char *path = store_tmp_path();
	struct store *st = store_open(path, err, sizeof err);
	assert_non_null(st);
	int64_t c = store_campaign_create(st, "file", NULL);
	store_begin(st);
	store_enqueue(st, c, 0, "a.example", "a.example");
	store_commit(st);
	struct store_job job;
	assert_int_equal(store_claim(st, 0, &job, 1), 1);
	struct result *res = store_test_result("a.example", 0);
	struct evidence *ev = evidence_new("a.example");
	store_put_result(st, &job, res, ev, 5);
	result_free(res);
	evidence_free(ev);
	store_job_clear(&job);
	store_close(st);

	st = store_open(path, err, sizeof err); /* migrations are not applied twice */
	assert_non_null(st);
	assert_true(store_schema_version(st) >= 1);
	store_close(st);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	static const struct {
		const char *sql;
		int expect;
	} rows[] = {
		{"SELECT COUNT(*) FROM results", 1},
		{"SELECT COUNT(*) FROM verdicts WHERE check_name = 'mx' AND status = 'pass'", 1},
		{"SELECT COUNT(*) FROM mx_results WHERE address = '192.0.2.1' AND family = 4", 1},
		{"SELECT COUNT(*) FROM evidence", 1},
		{"SELECT score_confidentiality FROM results", 5},
		{"SELECT COUNT(*) FROM v_support WHERE check_name = 'mx' AND percent_pass = 100", 1},
		{"SELECT COUNT(*) FROM queue WHERE state = 'done'", 1},
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_prepare_v2(db, rows[i].sql, -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		if (sqlite3_column_int(s, 0) != rows[i].expect)
			fail_msg("%s: %d, expected %d", rows[i].sql, sqlite3_column_int(s, 0),
				 rows[i].expect);
		sqlite3_finalize(s);
	}
	/* A database from a newer program is refused, not damaged. */
	sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL);
	sqlite3_close(db);
	assert_null(store_open(path, err, sizeof err));
	assert_non_null(strstr(err, "newer"));
	store_tmp_remove(path);
}

/* A store written by an earlier version is brought to this one on open, its rows kept: here
 * version 2 (verdicts with the IN-list CHECK) to 3. */
extern const char *const store_migrations[];
extern const size_t store_migrations_len;

static int store_count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	int n = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return n;
}

static void test_store_migrates_v2(void **state)
{
	(void)state;
	assert_true(store_migrations_len >= 3);
	char err[256] = "";
	char *path = store_tmp_path();
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(
		sqlite3_exec(db,
			     "PRAGMA user_version = 2;"
			     "INSERT INTO campaigns (id, name, created_at) VALUES (1, 'old', 0);"
			     "INSERT INTO queue (id, campaign_id, seq, input, domain, state) "
			     "VALUES (1, 1, 1, 'a.test', 'a.test', 'done');"
			     "INSERT INTO results (id, queue_id, campaign_id, domain, state, "
			     "scanned_at, result_json) VALUES (1, 1, 1, 'a.test', 'scanned', 0, '{}');"
			     "INSERT INTO verdicts VALUES (1, 'mx', 'pass', 'ok'), "
			     "(1, 'spf', 'dns_error', 'timeout'), (1, 'dkim', 'absent', NULL);",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(db);

	struct store *st = store_open(path, err, sizeof err);
	if (st == NULL)
		fail_msg("%s", err);
	store_close(st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_count(db, "PRAGMA user_version"), (int)store_migrations_len);
	assert_int_equal(store_count(db, "SELECT COUNT(*) FROM verdicts"), 3);
	assert_int_equal(store_count(db, "SELECT COUNT(*) FROM verdicts WHERE status = 'dns_error' "
					 "AND reason = 'timeout'"), 1);
	assert_int_equal(store_count(db, "SELECT passing FROM v_support WHERE check_name = 'mx'"),
			 1);
	assert_int_equal(store_count(db, "SELECT SUM(domains) FROM v_verdict_counts"), 3);
	/* The constraint still holds. */
	assert_int_not_equal(sqlite3_exec(db, "INSERT INTO verdicts VALUES (1, 'x', 'maybe', NULL)",
					  NULL, NULL, NULL),
			     SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "INSERT INTO verdicts VALUES (1, 'x', 'not_testable', "
					  "NULL)", NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	store_tmp_remove(path);
}

/* A withheld score is stored as NULL with the count of indeterminate checks, and v_measured
 * counts it as not measured; a job put back for a retry is not claimed before its time, is
 * counted as waiting, and keeps its attempts. */
static void test_store_withheld_and_retry(void **state)
{
	(void)state;
	char err[256] = "";
	char *path = store_tmp_path();
	struct store *st = store_open(path, err, sizeof err);
	assert_non_null(st);
	int64_t c = store_campaign_create(st, "r", "{}");
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_enqueue(st, c, 0, "a.example", "a.example"), 0);
	assert_int_equal(store_enqueue(st, c, 1, "b.example", "b.example"), 0);
	assert_int_equal(store_commit(st), 0);
	store_set_batching(st, NULL, 100, 1000);

	struct store_job jobs[2];
	assert_int_equal(store_claim(st, c, jobs, 2), 2);
	assert_int_equal(jobs[0].attempts, 1);
	/* a: scored with confidentiality withheld; b: back for a retry in an hour. */
	struct result *res = store_test_result("a.example", 0);
	res->score[MECSA_CONFIDENTIALITY] = -1;
	res->score[MECSA_SPOOFING] = 3;
	res->score[MECSA_INTEGRITY] = 0;
	res->indeterminate = 2;
	store_put_result(st, &jobs[0], res, NULL, 5);
	result_free(res);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	store_put_retry(st, &jobs[1], now + 3600 * 1000);
	assert_int_equal(store_flush(st), 0);

	struct store_counts n;
	assert_int_equal(store_counts(st, c, &n), 0);
	assert_int_equal(n.pending, 1);
	assert_int_equal(n.retry, 1);
	assert_int_equal(n.done, 1);
	int64_t waiting = 0, first = 0;
	assert_int_equal(store_retry_waiting(st, c, &waiting, &first), 0);
	assert_int_equal(waiting, 1);
	assert_true(first >= now + 3600 * 1000);
	struct store_job again[1];
	assert_int_equal(store_claim(st, c, again, 1), 0); /* not due yet */
	for (int i = 0; i < 2; i++)
		store_job_clear(&jobs[i]);
	store_close(st);

	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(store_count(db, "SELECT COUNT(*) FROM results WHERE "
					 "score_confidentiality IS NULL AND score_spoofing = 3 AND "
					 "indeterminate = 2"),
			 1);
	assert_int_equal(store_count(db, "SELECT not_measured FROM v_measured WHERE category = "
					 "'confidentiality'"),
			 1);
	assert_int_equal(store_count(db, "SELECT measured FROM v_measured WHERE category = "
					 "'spoofing'"),
			 1);
	/* Its time has come: claimed again, with its second attempt, and no longer waiting. */
	assert_int_equal(sqlite3_exec(db, "UPDATE queue SET retry_at = 1 WHERE retry_at IS NOT NULL",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	st = store_open(path, err, sizeof err);
	assert_non_null(st);
	assert_int_equal(store_claim(st, c, again, 1), 1);
	assert_string_equal(again[0].domain, "b.example");
	assert_int_equal(again[0].attempts, 2);
	assert_int_equal(store_retry_waiting(st, c, &waiting, &first), 0);
	assert_int_equal(waiting, 0);
	store_job_clear(&again[0]);
	store_close(st);
	store_tmp_remove(path);
}

static void test_store_open_errors(void **state)
{
	(void)state;
	char err[256] = "";
	assert_null(store_open("/nonexistent-dir/x.db", err, sizeof err));
	assert_non_null(strstr(err, "/nonexistent-dir/x.db"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_store_lifecycle),
		cmocka_unit_test(test_store_batch_commits_at_size),
		cmocka_unit_test(test_store_isolates_unstorable),
		cmocka_unit_test(test_store_file_reopen_and_rows),
		cmocka_unit_test(test_store_migrates_v2),
		cmocka_unit_test(test_store_open_errors),
		cmocka_unit_test(test_store_withheld_and_retry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
