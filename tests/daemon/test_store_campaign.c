/* test_store_campaign.c — the store's campaign side: state transitions, finishing campaigns,
 * de-duplicated enqueueing and input positions, claims honouring campaign states, cursors in
 * input and domain order, recent-result counts, rescoring in place (evidence pages, replacing a
 * result's rows) and the daemon's exclusive lock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checks/evidence.h"
#include "checks/result.h"
#include "common/xalloc.h"
#include "daemon/store.h"

static struct store *open_memory(void)
{
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	if (st == NULL)
		fail_msg("store_open: %s", err);
	return st;
}

static char *tmp_path(void)
{
	char *path = xstrdup("/tmp/mxs-campaign-XXXXXX");
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

/* One SQL integer from the store's own connection is not reachable: use a second one. */
static long long sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	long long v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

#define BIT STORE_CAMPAIGN_BIT
#define ACTIVE STORE_CAMPAIGN_ACTIVE
#define PAUSED STORE_CAMPAIGN_PAUSED
#define CANCELLED STORE_CAMPAIGN_CANCELLED
#define DONE STORE_CAMPAIGN_DONE

struct move_case {
	enum store_campaign_state from; /* state before */
	unsigned mask;			/* allowed from */
	enum store_campaign_state to;	/* target */
	int moved;			/* expected return */
	int finished;			/* finished_at set afterwards */
};

static const struct move_case move_cases[] = {
	{ACTIVE, BIT(ACTIVE), PAUSED, 1, 0},		   /* pause */
	{PAUSED, BIT(ACTIVE), PAUSED, 0, 0},		   /* pause twice */
	{PAUSED, BIT(PAUSED), ACTIVE, 1, 0},		   /* resume */
	{CANCELLED, BIT(PAUSED), ACTIVE, 0, 1},		   /* no resuming a cancelled one */
	{ACTIVE, BIT(ACTIVE) | BIT(PAUSED), CANCELLED, 1, 1}, /* cancel */
	{PAUSED, BIT(ACTIVE) | BIT(PAUSED), CANCELLED, 1, 1}, /* cancel while paused */
	{DONE, BIT(ACTIVE) | BIT(PAUSED), CANCELLED, 0, 1},   /* done stays done */
	{DONE, BIT(DONE), ACTIVE, 1, 0},		   /* new submissions reopen it */
	{ACTIVE, 0, DONE, 0, 0},			   /* empty mask: never */
};

static void test_transitions(void **state)
{
	(void)state;
	struct store *st = open_memory();
	for (size_t i = 0; i < sizeof move_cases / sizeof *move_cases; i++) {
		const struct move_case *m = &move_cases[i];
		char name[32];
		snprintf(name, sizeof name, "m%zu", i);
		int64_t id = store_campaign_create(st, name, NULL);
		assert_true(id > 0);
		/* Reach the starting state the way the commands do. */
		if (m->from != ACTIVE)
			assert_int_equal(store_campaign_transition(st, id, BIT(ACTIVE), m->from),
					 1);
		int moved = store_campaign_transition(st, id, m->mask, m->to);
		if (moved != m->moved)
			fail_msg("case %zu: moved %d, expected %d", i, moved, m->moved);
		struct store_campaign c;
		assert_int_equal(store_campaign_get(st, id, &c), 1);
		assert_string_equal(c.name, name);
		assert_int_equal(c.state, m->moved ? m->to : m->from);
		if ((c.finished_at > 0) != m->finished)
			fail_msg("case %zu: finished_at %lld", i, (long long)c.finished_at);
		assert_true(c.created_at > 0 && c.started_at == c.created_at);
		store_campaign_clear(&c);
	}
	assert_int_equal(store_campaign_transition(st, 9999, BIT(ACTIVE), PAUSED), 0);
	struct store_campaign none;
	assert_int_equal(store_campaign_get(st, 9999, &none), 0);
	store_campaign_clear(&none);
	store_campaign_clear(NULL);
	for (int s = 0; s < STORE_CAMPAIGN_STATE_MAX; s++)
		assert_int_equal(store_campaign_state_parse(store_campaign_state_name(s)), s);
	assert_int_equal(store_campaign_state_parse("running"), -1);
	assert_int_equal(store_campaign_state_parse(NULL), -1);
	store_close(st);
}

struct enqueue_case {
	const char *input;  /* line */
	const char *domain; /* normalised, NULL when invalid */
	int64_t seq;	    /* wanted position */
	int ret;	    /* 1 queued, 0 duplicate */
	int64_t got_seq;    /* position it got (when queued) */
};

static const struct enqueue_case enqueue_cases[] = {
	{"a.example", "a.example", 0, 1, 0},
	{"b.example", "b.example", 1, 1, 1},
	{"A.Example.", "a.example", 2, 0, 0},  /* same domain, other spelling */
	{"bad..", NULL, 3, 1, 3},
	{"bad..", NULL, 4, 0, 0},	       /* same invalid line */
	{"bad...", NULL, 5, 1, 5},	       /* another invalid line */
	{"c.example", "c.example", 10, 1, 10}, /* gaps are fine (other shards' lines) */
	{"d.example", "d.example", 7, 1, 11},  /* behind the last row: goes after it */
};

struct seq_collect {
	int64_t seq[16];   /* positions in cursor order */
	char *domain[16];  /* owned */
	size_t n;	   /* rows */
};

static void test_enqueue_unique(void **state)
{
	(void)state;
	struct store *st = open_memory();
	int64_t c = store_campaign_create(st, "e", "{\"x\":1}");
	assert_int_equal(store_campaign_next_seq(st, c), 0);
	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < sizeof enqueue_cases / sizeof *enqueue_cases; i++) {
		const struct enqueue_case *e = &enqueue_cases[i];
		int r = store_enqueue_unique(st, c, e->seq, e->input, e->domain);
		if (r != e->ret)
			fail_msg("'%s': %d, expected %d", e->input, r, e->ret);
	}
	assert_int_equal(store_commit(st), 0);
	assert_int_equal(store_campaign_next_seq(st, c), 12);
	struct store_counts n;
	assert_int_equal(store_counts(st, c, &n), 0);
	assert_int_equal(n.pending, 6);
	/* Claims return them in submission order with their positions. */
	struct store_job jobs[8];
	assert_int_equal(store_claim(st, c, jobs, 8), 6);
	size_t k = 0;
	for (size_t i = 0; i < sizeof enqueue_cases / sizeof *enqueue_cases; i++) {
		const struct enqueue_case *e = &enqueue_cases[i];
		if (!e->ret)
			continue;
		assert_string_equal(jobs[k].input, e->input);
		assert_int_equal(jobs[k].seq, e->got_seq);
		if (e->domain)
			assert_string_equal(jobs[k].domain, e->domain);
		else
			assert_null(jobs[k].domain);
		store_job_clear(&jobs[k++]);
	}
	struct store_campaign got;
	assert_int_equal(store_campaign_get(st, c, &got), 1);
	assert_string_equal(got.config, "{\"x\":1}");
	store_campaign_clear(&got);
	store_close(st);
}

static struct result *make_result(const char *domain, int spoofing)
{
	struct result *res = result_new(domain);
	json_t *hosts = json_pack("[{s:s, s:i, s:{s:s, s:[s, s]}, s:{s:s, s:[]}}]", "name",
				  "mx.example.org", "pref", 10, "a", "dnssec", "secure",
				  "addresses", "192.0.2.1", "192.0.2.2", "aaaa", "dnssec", "secure",
				  "addresses");
	result_set(res, CHECK_MX, json_pack("{s:o}", "hosts", hosts), VERDICT_PASS, "ok");
	result_set(res, CHECK_SPF, NULL, spoofing ? VERDICT_PASS : VERDICT_ABSENT, "spf");
	res->score[MECSA_CONFIDENTIALITY] = 1;
	res->score[MECSA_SPOOFING] = spoofing;
	res->score[MECSA_INTEGRITY] = 2;
	return res;
}

/* Scan (claim + put) every pending row of campaign c with make_result(domain, 3). */
static void scan_all(struct store *st, int64_t c)
{
	struct store_job jobs[16];
	int n = store_claim(st, c, jobs, 16);
	assert_true(n >= 0);
	for (int i = 0; i < n; i++) {
		struct result *res =
		    make_result(jobs[i].domain ? jobs[i].domain : jobs[i].input, 3);
		struct evidence *ev = evidence_new(res->domain);
		store_put_result(st, &jobs[i], res, ev, 7);
		evidence_free(ev);
		result_free(res);
		store_job_clear(&jobs[i]);
	}
	assert_int_equal(store_flush(st), 0);
}

static void enqueue_names(struct store *st, int64_t c, const char *const *names, size_t n)
{
	assert_int_equal(store_begin(st), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(store_enqueue_unique(st, c, (int64_t)i, names[i], names[i]), 1);
	assert_int_equal(store_commit(st), 0);
}

/* Lines that are not valid names are de-duplicated like names (per campaign, by the line), and
 * found through an index: without one, a list of many invalid lines took quadratic time to
 * submit (each line read every invalid row before it). */
static void test_enqueue_unique_invalid_indexed(void **state)
{
	(void)state;
	char err[256];
	char *path = tmp_path();
	struct store *st = store_open(path, err, sizeof err);
	assert_non_null(st);
	int64_t a = store_campaign_create(st, "a", NULL), b = store_campaign_create(st, "b", NULL);
	assert_int_equal(store_begin(st), 0);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < 5000; i++) {
			char line[32];
			snprintf(line, sizeof line, "bad..%d", i);
			assert_int_equal(store_enqueue_unique(st, a, i, line, NULL), round == 0);
		}
	assert_int_equal(store_enqueue_unique(st, b, 0, "bad..7", NULL), 1);
	assert_int_equal(store_enqueue_unique(st, a, 9000, "bad..7 ", NULL), 1);
	assert_int_equal(store_commit(st), 0);
	struct store_counts n;
	assert_int_equal(store_counts(st, a, &n), 0);
	assert_int_equal(n.pending, 5001);
	store_close(st);

	sqlite3 *db;
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db,
					    "EXPLAIN QUERY PLAN SELECT 1 FROM queue WHERE "
					    "campaign_id = ?1 AND domain IS NULL AND input = ?2",
					    -1, &s, NULL),
			 SQLITE_OK);
	int indexed = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *plan = (const char *)sqlite3_column_text(s, 3);
		indexed |= strstr(plan, "INDEX") && strstr(plan, "input=?");
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	assert_true(indexed);
	unlink(path);
	free(path);
}

static void test_claims_and_finish(void **state)
{
	(void)state;
	struct store *st = open_memory();
	static const char *const names[] = {"x.example", "y.example"};
	int64_t a = store_campaign_create(st, "active", NULL);
	int64_t p = store_campaign_create(st, "paused", NULL);
	int64_t k = store_campaign_create(st, "cancelled", NULL);
	int64_t e = store_campaign_create(st, "empty", NULL);
	enqueue_names(st, a, names, 2);
	enqueue_names(st, p, names, 2);
	enqueue_names(st, k, names, 2);
	assert_int_equal(store_campaign_transition(st, p, BIT(ACTIVE), PAUSED), 1);
	assert_int_equal(store_campaign_transition(st, k, BIT(ACTIVE), CANCELLED), 1);
	assert_int_equal(store_pending_active(st), 2);
	/* Only the empty campaign is finished: nothing pending or running. */
	assert_int_equal(store_campaigns_finish(st), 1);
	struct store_job jobs[8];
	assert_int_equal(store_claim(st, 0, jobs, 8), 2); /* the active campaign's only */
	for (int i = 0; i < 2; i++) {
		assert_int_equal(jobs[i].campaign_id, a);
		store_job_clear(&jobs[i]);
	}
	assert_int_equal(store_campaigns_finish(st), 0); /* running rows keep it open */
	assert_int_equal(store_requeue_running(st), 2);
	scan_all(st, a);
	assert_int_equal(store_campaigns_finish(st), 1);
	struct store_campaign c;
	const struct {
		int64_t id;			/* campaign */
		enum store_campaign_state want; /* its state now */
	} states[] = {{a, DONE}, {p, PAUSED}, {k, CANCELLED}, {e, DONE}};
	for (size_t i = 0; i < sizeof states / sizeof *states; i++) {
		assert_int_equal(store_campaign_get(st, states[i].id, &c), 1);
		assert_int_equal(c.state, states[i].want);
		store_campaign_clear(&c);
	}
	assert_int_equal(store_pending_active(st), 0);
	int64_t count = -1, oldest = -1;
	assert_int_equal(store_recent_results(st, a, 0, &count, &oldest), 0);
	assert_int_equal(count, 2);
	assert_true(oldest > 0);
	assert_int_equal(store_recent_results(st, p, 0, &count, &oldest), 0);
	assert_int_equal(count, 0);
	assert_int_equal(oldest, 0);
	assert_int_equal(store_recent_results(st, 0, INT64_MAX, &count, &oldest), 0);
	assert_int_equal(count, 0);
	store_close(st);
}

struct share_case {
	int pending[3];	  /* rows per campaign (-1: the campaign is paused, 5 rows) */
	size_t max;	  /* claim size */
	int want[3];	  /* rows taken from each */
};

static const struct share_case share_cases[] = {
	{{100, 3, 0}, 10, {7, 3, 0}},	 /* equal parts, the rest to who has more */
	{{100, 100, 100}, 9, {3, 3, 3}}, /* equal parts */
	{{100, 100, 100}, 10, {4, 4, 2}}, /* parts round up: the newest gets less */
	{{2, 1, 0}, 10, {2, 1, 0}},	 /* everything there is */
	{{10, -1, 10}, 4, {2, 0, 2}},	 /* paused campaigns take no part */
	{{0, 0, 0}, 4, {0, 0, 0}},
};

static void test_claim_shares(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof share_cases / sizeof *share_cases; t++) {
		const struct share_case *sc = &share_cases[t];
		struct store *st = open_memory();
		int64_t ids[3];
		for (int c = 0; c < 3; c++) {
			char name[16];
			snprintf(name, sizeof name, "c%d", c);
			ids[c] = store_campaign_create(st, name, NULL);
			int rows = sc->pending[c] < 0 ? 5 : sc->pending[c];
			assert_int_equal(store_begin(st), 0);
			for (int i = 0; i < rows; i++) {
				char dom[64];
				snprintf(dom, sizeof dom, "d%d.c%d.example", i, c);
				assert_int_equal(store_enqueue_unique(st, ids[c], i, dom, dom), 1);
			}
			assert_int_equal(store_commit(st), 0);
			if (sc->pending[c] < 0)
				assert_int_equal(store_campaign_transition(st, ids[c], BIT(ACTIVE),
									   PAUSED),
						 1);
		}
		struct store_job jobs[16];
		int n = store_claim(st, 0, jobs, sc->max);
		int got[3] = {0, 0, 0};
		int64_t last[3] = {0, 0, 0};
		for (int i = 0; i < n; i++) {
			for (int c = 0; c < 3; c++)
				if (jobs[i].campaign_id == ids[c]) {
					got[c]++;
					/* within a campaign: oldest first */
					assert_true(jobs[i].queue_id > last[c]);
					last[c] = jobs[i].queue_id;
				}
			store_job_clear(&jobs[i]);
		}
		for (int c = 0; c < 3; c++)
			if (got[c] != sc->want[c])
				fail_msg("case %zu: campaign %d gave %d rows, expected %d", t, c,
					 got[c], sc->want[c]);
		struct store_counts cnt;
		assert_int_equal(store_counts(st, 0, &cnt), 0);
		assert_int_equal(cnt.running, n);
		store_close(st);
	}
}

struct list_ctx {
	char names[8][32]; /* campaign names seen */
	size_t n;	   /* how many */
	size_t stop_at;	   /* return non-zero after this many */
};

static int list_one(const struct store_campaign *c, void *arg)
{
	struct list_ctx *x = arg;
	snprintf(x->names[x->n++], sizeof x->names[0], "%s", c->name);
	return x->n == x->stop_at;
}

static void test_foreach_campaign(void **state)
{
	(void)state;
	struct store *st = open_memory();
	static const char *const names[] = {"one", "two", "three"};
	for (size_t i = 0; i < 3; i++)
		store_campaign_create(st, names[i], NULL);
	static const size_t stops[] = {0, 2};
	static const size_t seen[] = {3, 2};
	for (size_t t = 0; t < 2; t++) {
		struct list_ctx x = {.stop_at = stops[t]};
		assert_int_equal(store_foreach_campaign(st, list_one, &x), 0);
		assert_int_equal(x.n, seen[t]);
		for (size_t i = 0; i < x.n; i++)
			assert_string_equal(x.names[i], names[i]);
	}
	store_close(st);
}

static void test_cursors(void **state)
{
	(void)state;
	struct store *st = open_memory();
	static const char *const names[] = {"m.example", "b.example", "z.example", "a.example"};
	int64_t c = store_campaign_create(st, "cur", NULL);
	int64_t other = store_campaign_create(st, "other", NULL);
	enqueue_names(st, c, names, 4);
	enqueue_names(st, other, names, 2);
	scan_all(st, c);
	scan_all(st, other);
	static const struct {
		enum store_order order;	      /* walk */
		const char *const want[4];    /* domains */
	} walks[] = {
		{STORE_ORDER_INPUT, {"m.example", "b.example", "z.example", "a.example"}},
		{STORE_ORDER_DOMAIN, {"a.example", "b.example", "m.example", "z.example"}},
	};
	/* Both cursors open at once, stepped alternately. */
	struct store_cursor *cur[2];
	for (size_t w = 0; w < 2; w++)
		assert_non_null(cur[w] = store_cursor_open(st, c, walks[w].order));
	for (size_t i = 0; i < 4; i++) {
		for (size_t w = 0; w < 2; w++) {
			struct store_row row;
			assert_int_equal(store_cursor_next(cur[w], &row), 1);
			assert_string_equal(row.domain, walks[w].want[i]);
			assert_string_equal(
			    json_string_value(json_object_get(row.result, "domain")),
			    walks[w].want[i]);
			assert_int_equal(row.duration_ms, 7);
			assert_true(row.scanned_at > 0 && row.result_id > 0);
		}
	}
	for (size_t w = 0; w < 2; w++) {
		struct store_row row;
		assert_int_equal(store_cursor_next(cur[w], &row), 0);
		store_cursor_free(cur[w]);
	}
	store_cursor_free(NULL);
	store_close(st);
}

static void test_rescore_in_place(void **state)
{
	(void)state;
	char err[256];
	char *path = tmp_path();
	struct store *st = store_open(path, err, sizeof err);
	assert_non_null(st);
	static const char *const names[] = {"r1.example", "r2.example", "r3.example"};
	int64_t c = store_campaign_create(st, "r", NULL);
	enqueue_names(st, c, names, 3);
	scan_all(st, c);
	/* Pages: every result has evidence; after_id moves on. */
	struct store_evidence_row rows[2];
	int n = store_evidence_page(st, c, 0, rows, 2);
	assert_int_equal(n, 2);
	int64_t last = rows[1].result_id;
	for (int i = 0; i < n; i++) {
		assert_non_null(strstr(rows[i].evidence, names[i]));
		assert_non_null(strstr(rows[i].result, names[i]));
		free(rows[i].evidence);
		free(rows[i].result);
	}
	n = store_evidence_page(st, c, last, rows, 2);
	assert_int_equal(n, 1);
	int64_t third = rows[0].result_id;
	free(rows[0].evidence);
	free(rows[0].result);
	assert_int_equal(store_evidence_page(st, c, third, rows, 2), 0);
	assert_int_equal(store_evidence_page(st, c + 100, 0, rows, 2), 0);

	/* Replace the third: a new spoofing score, SPF passing, one MX address fewer. */
	struct result *res = make_result("r3.example", 9);
	json_decref(res->checks[CHECK_MX].detail);
	res->checks[CHECK_MX].detail =
	    json_pack("{s:[{s:s, s:i, s:{s:s, s:[s]}}]}", "hosts", "name", "mx.example.org", "pref",
		      10, "a", "dnssec", "insecure", "addresses", "192.0.2.9");
	assert_int_equal(store_begin(st), 0);
	assert_int_equal(store_replace_result(st, third, res), 0);
	assert_int_equal(store_commit(st), 0);
	result_free(res);
	store_close(st);

	char sql[256];
	static const struct {
		const char *fmt;  /* with the result id */
		long long expect; /* value */
	} checks[] = {
	    {"SELECT score_spoofing FROM results WHERE id = %lld", 9},
	    {"SELECT json_extract(result_json, '$.scores.spoofing.score') FROM results WHERE id = "
	     "%lld",
	     9},
	    {"SELECT COUNT(*) FROM verdicts WHERE result_id = %lld AND check_name = 'spf' AND "
	     "status = 'pass'",
	     1},
	    {"SELECT COUNT(*) FROM verdicts WHERE result_id = %lld", 2},
	    {"SELECT COUNT(*) FROM mx_results WHERE result_id = %lld", 1},
	    {"SELECT COUNT(*) FROM mx_results WHERE result_id = %lld AND address = '192.0.2.9' "
	     "AND dnssec = 'insecure'",
	     1},
	    {"SELECT duration_ms FROM results WHERE id = %lld", 7},
	    {"SELECT COUNT(*) FROM evidence WHERE result_id = %lld", 1},
	    {"SELECT COUNT(*) FROM results WHERE score_spoofing = 3 AND id <> %lld", 2},
	    {"SELECT COUNT(*) FROM mx_results WHERE result_id <> %lld", 4},
	};
	for (size_t i = 0; i < sizeof checks / sizeof *checks; i++) {
		snprintf(sql, sizeof sql, checks[i].fmt, (long long)third);
		long long v = sql_int(path, sql);
		if (v != checks[i].expect)
			fail_msg("%s: %lld, expected %lld", sql, v, checks[i].expect);
	}
	tmp_remove(path);
}

static void test_exclusive_lock(void **state)
{
	(void)state;
	char err[256];
	char *path = tmp_path();
	struct store *a = store_open(path, err, sizeof err);
	struct store *b = store_open(path, err, sizeof err);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(store_lock_exclusive(a, err, sizeof err), 0);
	assert_int_equal(store_lock_exclusive(a, err, sizeof err), 0); /* idempotent */
	err[0] = '\0';
	assert_int_equal(store_lock_exclusive(b, err, sizeof err), -1);
	assert_non_null(strstr(err, "in use by another mxsurvey daemon"));
	/* b still works as a store (the campaign commands run next to the daemon). */
	assert_true(store_campaign_create(b, "side", NULL) > 0);
	store_close(a);
	struct store *c = store_open(path, err, sizeof err);
	assert_int_equal(store_lock_exclusive(c, err, sizeof err), 0);
	assert_int_equal(store_campaign_find(c, "side") > 0, 1);
	store_close(c);
	store_close(b);
	struct store *mem = open_memory();
	assert_int_equal(store_lock_exclusive(mem, err, sizeof err), 0);
	store_close(mem);
	tmp_remove(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transitions),	  cmocka_unit_test(test_enqueue_unique),
		cmocka_unit_test(test_claims_and_finish), cmocka_unit_test(test_foreach_campaign),
		cmocka_unit_test(test_cursors),		  cmocka_unit_test(test_rescore_in_place),
		cmocka_unit_test(test_exclusive_lock),	  cmocka_unit_test(test_claim_shares),
		cmocka_unit_test(test_enqueue_unique_invalid_indexed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
