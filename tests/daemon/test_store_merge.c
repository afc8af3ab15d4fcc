/* test_store_merge.c — merging shard databases: campaigns matched by name, rows and their results,
 * verdicts, MX rows and evidence copied with new ids and in the full list's input order, rows a
 * killed shard left running re-queued, a second merge adding nothing, merged campaign states,
 * colliding input positions, and the inputs that are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <dirent.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/evidence.h"
#include "checks/result.h"
#include "common/xalloc.h"
#include "daemon/store.h"

static char *tmp_path(void)
{
	char *path = xstrdup("/tmp/mxs-merge-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return path;
}

static void tmp_remove(char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < 3; i++) {
		char buf[300];
		snprintf(buf, sizeof buf, "%s%s", path, suffix[i]);
		unlink(buf);
	}
	free(path);
}

static struct store *open_file(const char *path)
{
	char err[256];
	struct store *st = store_open(path, err, sizeof err);
	if (st == NULL)
		fail_msg("%s: %s", path, err);
	return st;
}

static char *sql_text(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	char *out = NULL;
	if (sqlite3_step(s) == SQLITE_ROW)
		out = xstrdup(sqlite3_column_text(s, 0) ? (const char *)sqlite3_column_text(s, 0)
							: "NULL");
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out ? out : xstrdup("(no row)");
}

static void expect_sql(const char *path, const char *sql, const char *want)
{
	char *got = sql_text(path, sql);
	if (strcmp(got, want) != 0)
		fail_msg("%s: '%s', expected '%s'", sql, got, want);
	free(got);
}

/* A shard's database: campaign name with rows (seq, input, domain); the first `scanned` get a
 * result (two verdicts, two MX addresses, evidence); the next `running` are left running. */
struct row {
	int64_t seq;	    /* position in the full list */
	const char *input;  /* line */
	const char *domain; /* normalised or NULL */
};

static void make_shard(const char *path, const char *campaign, const struct row *rows, size_t n,
		       size_t scanned, size_t running)
{
	struct store *st = open_file(path);
	int64_t c = store_campaign_find(st, campaign);
	if (c < 0)
		c = store_campaign_create(st, campaign, "{\"shard\":true}");
	assert_true(c > 0);
	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(store_enqueue_unique(st, c, rows[i].seq, rows[i].input,
						      rows[i].domain),
				 1);
	assert_int_equal(store_commit(st), 0);
	struct store_job jobs[16];
	int got = store_claim(st, c, jobs, scanned + running);
	assert_int_equal(got, (int)(scanned + running));
	for (size_t i = 0; i < scanned; i++) {
		struct result *res = result_new(jobs[i].domain ? jobs[i].domain : jobs[i].input);
		json_t *hosts =
		    json_pack("[{s:s, s:i, s:{s:s, s:[s, s]}}]", "name", "mx.example.net", "pref",
			      5, "a", "dnssec", "secure", "addresses", "192.0.2.1", "192.0.2.2");
		result_set(res, CHECK_MX, json_pack("{s:o}", "hosts", hosts), VERDICT_PASS, "ok");
		result_set(res, CHECK_SPF, NULL, VERDICT_FAIL, "no");
		res->score[MECSA_SPOOFING] = (int)rows[i].seq;
		struct evidence *ev = evidence_new(res->domain);
		store_put_result(st, &jobs[i], res, ev, 1);
		evidence_free(ev);
		result_free(res);
	}
	assert_int_equal(store_flush(st), 0);
	for (int i = 0; i < got; i++)
		store_job_clear(&jobs[i]);
	store_close(st);
}

static void test_merge_shards(void **state)
{
	(void)state;
	char err[256];
	char *a = tmp_path(), *b = tmp_path(), *out = tmp_path();
	static const struct row rows_a[] = {
		{0, "a.example", "a.example"},
		{2, "c.example", "c.example"},
	};
	static const struct row rows_b[] = {
		{1, "b.example", "b.example"},
		{3, "bad..", NULL},
		{4, "e.example", "e.example"},
	};
	make_shard(a, "S", rows_a, 2, 2, 0);
	make_shard(a, "only-a", rows_a, 1, 1, 0);
	make_shard(b, "S", rows_b, 3, 1, 1); /* bad.. left running, e.example pending */

	struct store *st = open_file(out);
	struct store_merge_stats n;
	assert_int_equal(store_merge(st, a, &n, err, sizeof err), 0);
	assert_int_equal(n.campaigns_new, 2);
	assert_int_equal(n.campaigns_merged, 0);
	assert_int_equal(n.queued, 3);
	assert_int_equal(n.results, 3);
	assert_int_equal(n.duplicates, 0);
	assert_int_equal(store_merge(st, b, &n, err, sizeof err), 0);
	assert_int_equal(n.campaigns_new, 0);
	assert_int_equal(n.campaigns_merged, 1);
	assert_int_equal(n.queued, 3);
	assert_int_equal(n.results, 1);
	/* Again: nothing new. */
	assert_int_equal(store_merge(st, a, &n, err, sizeof err), 0);
	assert_int_equal(n.queued, 0);
	assert_int_equal(n.results, 0);
	assert_int_equal(n.duplicates, 3);
	store_close(st);

	static const struct {
		const char *sql;  /* over the merged database */
		const char *want; /* its one value */
	} checks[] = {
	    {"SELECT COUNT(*) FROM campaigns", "2"},
	    {"SELECT group_concat(input, ' ') FROM (SELECT q.input FROM queue q JOIN campaigns c "
	     "ON c.id = q.campaign_id WHERE c.name = 'S' ORDER BY q.seq)",
	     "a.example b.example c.example bad.. e.example"},
	    {"SELECT group_concat(seq, ',') FROM (SELECT q.seq FROM queue q JOIN campaigns c ON "
	     "c.id = q.campaign_id WHERE c.name = 'S' ORDER BY q.seq)",
	     "0,1,2,3,4"},
	    {"SELECT group_concat(state, ',') FROM (SELECT q.state FROM queue q JOIN campaigns c "
	     "ON c.id = q.campaign_id WHERE c.name = 'S' ORDER BY q.seq)",
	     "done,done,done,pending,pending"},
	    {"SELECT COUNT(*) FROM results", "4"},
	    {"SELECT COUNT(*) FROM results r JOIN queue q ON q.id = r.queue_id WHERE "
	     "q.campaign_id = r.campaign_id AND q.domain = r.domain AND q.state = 'done'",
	     "4"},
	    {"SELECT COUNT(*) FROM verdicts", "8"},
	    {"SELECT COUNT(*) FROM verdicts v JOIN results r ON r.id = v.result_id", "8"},
	    {"SELECT COUNT(*) FROM mx_results x JOIN results r ON r.id = x.result_id", "8"},
	    {"SELECT COUNT(*) FROM evidence e JOIN results r ON r.id = e.result_id WHERE "
	     "e.evidence_json LIKE '%' || r.domain || '%'",
	     "4"},
	    {"SELECT group_concat(score_spoofing, ',') FROM (SELECT r.score_spoofing FROM results "
	     "r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'S' ORDER BY r.domain)",
	     "0,1,2"},
	    {"SELECT state FROM campaigns WHERE name = 'S'", "active"},
	    {"SELECT config FROM campaigns WHERE name = 'only-a'", "{\"shard\":true}"},
	    {"PRAGMA foreign_key_check", "(no row)"},
	};
	for (size_t i = 0; i < sizeof checks / sizeof *checks; i++)
		expect_sql(out, checks[i].sql, checks[i].want);
	/* The inputs are left as they were. */
	expect_sql(b, "SELECT COUNT(*) FROM queue WHERE state = 'running'", "1");
	tmp_remove(a);
	tmp_remove(b);
	tmp_remove(out);
}

struct state_case {
	enum store_campaign_state x, y; /* the two shards' states */
	const char *want;		/* merged */
	int finished;			/* finished_at set */
};

static const struct state_case state_cases[] = {
	{STORE_CAMPAIGN_DONE, STORE_CAMPAIGN_DONE, "done", 1},
	{STORE_CAMPAIGN_DONE, STORE_CAMPAIGN_ACTIVE, "active", 0},
	{STORE_CAMPAIGN_ACTIVE, STORE_CAMPAIGN_DONE, "active", 0},
	{STORE_CAMPAIGN_PAUSED, STORE_CAMPAIGN_CANCELLED, "paused", 0},
	{STORE_CAMPAIGN_CANCELLED, STORE_CAMPAIGN_DONE, "cancelled", 1},
};

static void set_state(const char *path, enum store_campaign_state s)
{
	struct store *st = open_file(path);
	int64_t id = store_campaign_find(st, "X");
	if (s != STORE_CAMPAIGN_ACTIVE)
		assert_int_equal(
		    store_campaign_transition(st, id, STORE_CAMPAIGN_BIT(STORE_CAMPAIGN_ACTIVE), s),
		    1);
	store_close(st);
}

static void test_merge_states(void **state)
{
	(void)state;
	char err[256];
	static const struct row one[] = {{0, "x.example", "x.example"}};
	static const struct row two[] = {{1, "y.example", "y.example"}};
	for (size_t i = 0; i < sizeof state_cases / sizeof *state_cases; i++) {
		const struct state_case *t = &state_cases[i];
		char *a = tmp_path(), *b = tmp_path(), *out = tmp_path();
		make_shard(a, "X", one, 1, 0, 0);
		make_shard(b, "X", two, 1, 0, 0);
		set_state(a, t->x);
		set_state(b, t->y);
		struct store *st = open_file(out);
		struct store_merge_stats n;
		assert_int_equal(store_merge(st, a, &n, err, sizeof err), 0);
		assert_int_equal(store_merge(st, b, &n, err, sizeof err), 0);
		store_close(st);
		expect_sql(out, "SELECT state FROM campaigns", t->want);
		expect_sql(out, "SELECT finished_at IS NOT NULL FROM campaigns",
			   t->finished ? "1" : "0");
		expect_sql(out, "SELECT COUNT(*) FROM campaigns", "1");
		tmp_remove(a);
		tmp_remove(b);
		tmp_remove(out);
	}
}

/* Rows of another list whose positions collide go after the campaign's last row. */
static void test_merge_seq_collision(void **state)
{
	(void)state;
	char err[256];
	char *a = tmp_path(), *out = tmp_path();
	static const struct row mine[] = {{0, "m.example", "m.example"},
					  {1, "n.example", "n.example"}};
	static const struct row theirs[] = {{0, "t.example", "t.example"},
					    {1, "m.example", "m.example"}};
	make_shard(out, "S", mine, 2, 0, 0);
	make_shard(a, "S", theirs, 2, 0, 0);
	struct store *st = open_file(out);
	struct store_merge_stats n;
	assert_int_equal(store_merge(st, a, &n, err, sizeof err), 0);
	assert_int_equal(n.queued, 1);
	assert_int_equal(n.duplicates, 1);
	store_close(st);
	expect_sql(out, "SELECT group_concat(input || '@' || seq, ' ') FROM (SELECT input, seq "
			"FROM queue ORDER BY seq)",
		   "m.example@0 n.example@1 t.example@2");
	tmp_remove(a);
	tmp_remove(out);
}

static void test_merge_refused(void **state)
{
	(void)state;
	char err[256];
	char *out = tmp_path(), *junk = tmp_path(), *foreign = tmp_path();
	FILE *f = fopen(junk, "w");
	fputs("this is not a database, not even close; SQLite wants 100 bytes of header\n", f);
	fclose(f);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(foreign, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct store *st = open_file(out);
	const struct {
		const char *path; /* input */
		const char *why;  /* in the message */
	} cases[] = {
		{out, "is the output database"},
		{"/nonexistent/shard.db", "No such file"},
		{junk, "not a database"},
		{foreign, "not an mxsurvey database"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct store_merge_stats n;
		err[0] = '\0';
		assert_int_equal(store_merge(st, cases[i].path, &n, err, sizeof err), -1);
		if (strstr(err, cases[i].why) == NULL)
			fail_msg("%s: '%s' lacks '%s'", cases[i].path, err, cases[i].why);
		assert_int_equal(n.queued, 0);
	}
	/* Still usable, and the foreign database was not written to. */
	assert_true(store_campaign_create(st, "after", NULL) > 0);
	store_close(st);
	expect_sql(foreign, "SELECT COUNT(*) FROM sqlite_master", "1");
	tmp_remove(out);
	tmp_remove(junk);
	tmp_remove(foreign);
}

extern const char *const store_migrations[];
extern const size_t store_migrations_len;

static void sql_exec(const char *path, const char *sql)
{
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
		fail_msg("%s: %s", sql, msg);
	sqlite3_close(db);
}

/* The whole file, to show an input was not written to. */
static char *file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	fseek(f, 0, SEEK_END);
	*len = (size_t)ftell(f);
	rewind(f);
	char *p = xmalloc(*len + 1);
	assert_int_equal(fread(p, 1, *len, f), *len);
	fclose(f);
	return p;
}

/* A shard that passes the checks, then `hostile` (SQL run on it, or NULL) or a page of garbage. */
static void make_hostile(const char *path, const char *hostile, int corrupt_page)
{
	static const struct row rows[] = {{0, "a.example", "a.example"},
					  {1, "b.example", "b.example"}};
	make_shard(path, "H", rows, 2, 2, 0);
	if (hostile)
		sql_exec(path, hostile);
	if (corrupt_page) {
		size_t len;
		free(file_bytes(path, &len));
		assert_true(len >= (size_t)(corrupt_page + 1) * 4096);
		FILE *f = fopen(path, "r+b");
		assert_non_null(f);
		fseek(f, (long)corrupt_page * 4096, SEEK_SET);
		for (int i = 0; i < 4096; i++)
			fputc(0xa5, f);
		fclose(f);
	}
}

/* Shards come from elsewhere: read through a read-only connection with SQLite's defensive
 * settings, triggers and views off; refused when corrupt, of a schema version this program does
 * not know, or holding any object (trigger, view, table, index) its migrations do not create
 * exactly so. Refused inputs add nothing and are not written to. */
static void test_merge_hostile(void **state)
{
	(void)state;
	char want[64];
	snprintf(want, sizeof want, "newer than this mxsurvey's (%zu)", store_migrations_len);
	const struct {
		const char *sql;  /* run on a valid shard */
		int page;	  /* or: page overwritten with garbage */
		const char *why;  /* in the message */
	} cases[] = {
	    {NULL, 3, "corrupt database"},
	    {"CREATE TRIGGER steal AFTER INSERT ON main.campaigns BEGIN DELETE FROM queue; END",
	     0, "trigger 'steal' is not part of mxsurvey's schema"},
	    {"CREATE VIEW mine AS SELECT 1", 0, "view 'mine' is not part of mxsurvey's schema"},
	    {"CREATE TABLE extra (x)", 0, "table 'extra' is not part of mxsurvey's schema"},
	    {"CREATE INDEX q_by_input ON queue (input)", 0,
	     "index 'q_by_input' is not part of mxsurvey's schema"},
	    {"ALTER TABLE evidence ADD COLUMN x DEFAULT 1", 0,
	     "table 'evidence' is not defined as in mxsurvey's schema"},
	    {"DROP TABLE mx_results; CREATE VIEW mx_results AS SELECT * FROM results", 0,
	     "is missing"},
	    {"DROP VIEW v_campaign_progress", 0,
	     "view 'v_campaign_progress' of mxsurvey's schema"},
	    {"PRAGMA user_version = 99", 0, want},
	    {"PRAGMA user_version = 0", 0, "not an mxsurvey database (schema version 0)"},
	    {"PRAGMA user_version = -3", 0, "not an mxsurvey database (schema version -3)"},
	    /* Objects of a later migration under an earlier number. */
	    {"PRAGMA user_version = 2", 0, "is not defined as in mxsurvey's schema 2"},
	};
	char *out = tmp_path();
	struct store *st = open_file(out);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *in = tmp_path(), err[512] = "";
		make_hostile(in, cases[i].sql, cases[i].page);
		size_t len0, len1;
		char *before = file_bytes(in, &len0);
		struct store_merge_stats n;
		int rc = store_merge(st, in, &n, err, sizeof err);
		if (rc != -1 || strstr(err, cases[i].why) == NULL || strncmp(err, in, strlen(in)))
			fail_msg("case %zu: rc %d, '%s' lacks '%s'", i, rc, err, cases[i].why);
		char *after = file_bytes(in, &len1);
		assert_true(len0 == len1 && memcmp(before, after, len0) == 0);
		free(before);
		free(after);
		tmp_remove(in);
	}
	/* Nothing of them in the output, which is still usable. */
	assert_true(store_campaign_create(st, "after", NULL) > 0);
	store_close(st);
	expect_sql(out, "SELECT group_concat(name) FROM campaigns", "after");
	expect_sql(out, "SELECT COUNT(*) FROM queue", "0");
	tmp_remove(out);
}

/* A shard of an older schema is upgraded in a copy next to the output, which is removed after;
 * the shard itself is read and never written. */
static void test_merge_older_schema(void **state)
{
	(void)state;
	char dir[] = "/tmp/mxs-merge-dir-XXXXXX", err[512] = "";
	assert_non_null(mkdtemp(dir));
	char *in = tmp_path(), *out = xasprintf("%s/out.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(in, &db), SQLITE_OK);
	for (size_t i = 0; i < 2; i++)
		assert_int_equal(sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "PRAGMA user_version = 2;"
				      "INSERT INTO campaigns (id, name, state, created_at) "
				      "VALUES (7, 'old', 'done', 1);"
				      "INSERT INTO queue (campaign_id, seq, input, domain, state, "
				      "attempts, updated_at) VALUES (7, 0, 'o.example', 'o.example', "
				      "'pending', 0, 1)",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);
	size_t len0, len1;
	char *before = file_bytes(in, &len0);
	struct store *st = open_file(out);
	struct store_merge_stats n;
	if (store_merge(st, in, &n, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_int_equal(n.queued, 1);
	store_close(st);
	char *after = file_bytes(in, &len1);
	assert_true(len0 == len1 && memcmp(before, after, len0) == 0);
	free(before);
	free(after);
	expect_sql(in, "PRAGMA user_version", "2");
	expect_sql(out, "SELECT name || ':' || q.input FROM campaigns c JOIN queue q ON "
			"q.campaign_id = c.id",
		   "old:o.example");
	/* No copy left behind in the output's directory. */
	DIR *d = opendir(dir);
	assert_non_null(d);
	struct dirent *e;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' || strncmp(e->d_name, ".mxsurvey-merge-", 16) == 0)
			if (strncmp(e->d_name, "out.db", 6) != 0)
				fail_msg("left behind: %s/%s", dir, e->d_name);
	closedir(d);
	tmp_remove(in);
	tmp_remove(out);
	assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_shards),
		cmocka_unit_test(test_merge_states),
		cmocka_unit_test(test_merge_seq_collision),
		cmocka_unit_test(test_merge_refused),
		cmocka_unit_test(test_merge_hostile),
		cmocka_unit_test(test_merge_older_schema),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
