/* store.c — SQLite persistence. Owns the connection, its prepared statements, the batch of
 * results not yet committed and the daemon's lock descriptor. Every statement is prepared once at
 * open (cursors and merges prepare their own); nothing is built with string formatting. */
#include "daemon/store.h"
#include "daemon/store_input.h"
#include "daemon/store_rows.h"

#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "checks/check.h"
#include "checks/evidence_json.h"
#include "checks/result_json.h"
#include "common/json_write.h"
#include "common/log.h"
#include "common/xalloc.h"

extern const char *const store_migrations[];
extern const size_t store_migrations_len;

enum store_stmt {
	STMT_CAMPAIGN_INSERT,
	STMT_CAMPAIGN_FIND,
	STMT_CAMPAIGN_STATE,
	STMT_ENQUEUE,
	STMT_CLAIM_SELECT,
	STMT_CLAIM_ANY_SELECT,
	STMT_CLAIM_UPDATE,
	STMT_REQUEUE,
	STMT_COUNTS,
	STMT_RESULT_INSERT,
	STMT_VERDICT_INSERT,
	STMT_MX_INSERT,
	STMT_EVIDENCE_INSERT,
	STMT_QUEUE_DONE,
	STMT_FOREACH,
	STMT_BEGIN,
	STMT_COMMIT,
	STMT_ROLLBACK,
	STMT_CAMPAIGN_GET,
	STMT_CAMPAIGN_ALL,
	STMT_CAMPAIGN_TRANSITION,
	STMT_CAMPAIGNS_FINISH,
	STMT_ENQUEUE_UNIQUE,
	STMT_ENQUEUE_UNIQUE_INVALID,
	STMT_NEXT_SEQ,
	STMT_RECENT,
	STMT_EVIDENCE_PAGE,
	STMT_RESULT_UPDATE,
	STMT_VERDICT_DELETE,
	STMT_MX_DELETE,
	STMT_PENDING_ACTIVE,
	STMT_MAX
};

static const char *const store_sql[STMT_MAX] = {
	[STMT_CAMPAIGN_INSERT] = "INSERT INTO campaigns (name, created_at, started_at, config) "
				 "VALUES (?1, ?2, ?2, ?3)",
	[STMT_CAMPAIGN_FIND] = "SELECT id FROM campaigns WHERE name = ?1",
	[STMT_CAMPAIGN_STATE] = "UPDATE campaigns SET state = ?2, finished_at = CASE WHEN ?2 IN "
				"('done', 'cancelled') THEN ?3 ELSE finished_at END WHERE id = ?1",
	[STMT_ENQUEUE] = "INSERT INTO queue (campaign_id, seq, input, domain, updated_at) "
			 "VALUES (?1, ?2, ?3, ?4, ?5)",
	[STMT_CLAIM_SELECT] = "SELECT q.id, q.campaign_id, q.seq, q.input, q.domain, q.attempts "
			      "FROM queue q JOIN campaigns c ON c.id = q.campaign_id "
			      "WHERE q.state = 'pending' AND c.state = 'active' AND q.campaign_id = ?1 "
			      "ORDER BY q.id LIMIT ?2",
	[STMT_CLAIM_ANY_SELECT] = "SELECT id FROM campaigns WHERE state = 'active' ORDER BY id",
	[STMT_CLAIM_UPDATE] = "UPDATE queue SET state = 'running', attempts = attempts + 1, "
			      "updated_at = ?2 WHERE id = ?1",
	[STMT_REQUEUE] = "UPDATE queue SET state = 'pending' WHERE state = 'running'",
	[STMT_COUNTS] = "SELECT state, COUNT(*) FROM queue WHERE (?1 = 0 OR campaign_id = ?1) "
			"GROUP BY state",
	[STMT_RESULT_INSERT] = "INSERT INTO results (queue_id, campaign_id, domain, state, reason, "
			       "scanned_at, duration_ms, score_confidentiality, score_spoofing, "
			       "score_integrity, result_json) "
			       "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
	[STMT_VERDICT_INSERT] = "INSERT INTO verdicts (result_id, check_name, status, reason) "
				"VALUES (?1, ?2, ?3, ?4)",
	[STMT_MX_INSERT] = "INSERT INTO mx_results (result_id, host, pref, address, family, dnssec, "
			   "detail) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
	[STMT_EVIDENCE_INSERT] = "INSERT INTO evidence (result_id, evidence_json) VALUES (?1, ?2)",
	[STMT_QUEUE_DONE] = "UPDATE queue SET state = ?2, updated_at = ?3 WHERE id = ?1",
	[STMT_FOREACH] = "SELECT r.result_json FROM results r JOIN queue q ON q.id = r.queue_id "
			 "WHERE r.campaign_id = ?1 ORDER BY q.seq, q.id",
	[STMT_BEGIN] = "BEGIN IMMEDIATE",
	[STMT_COMMIT] = "COMMIT",
	[STMT_ROLLBACK] = "ROLLBACK",
	[STMT_CAMPAIGN_GET] = "SELECT id, name, state, created_at, started_at, finished_at, config "
			      "FROM campaigns WHERE id = ?1",
	[STMT_CAMPAIGN_ALL] = "SELECT id, name, state, created_at, started_at, finished_at, config "
			      "FROM campaigns ORDER BY id",
	/* ?3 is ",state,state," of the states the move is allowed from. */
	[STMT_CAMPAIGN_TRANSITION] =
	    "UPDATE campaigns SET state = ?2, finished_at = CASE WHEN ?2 IN ('done', "
	    "'cancelled') THEN ?4 WHEN ?2 = 'active' THEN NULL ELSE finished_at END "
	    "WHERE id = ?1 AND instr(?3, ',' || state || ',') > 0",
	[STMT_CAMPAIGNS_FINISH] = "UPDATE campaigns SET state = 'done', finished_at = ?1 "
				  "WHERE state = 'active' AND NOT EXISTS (SELECT 1 FROM queue q "
				  "WHERE q.state IN ('pending', 'running') "
				  "AND q.campaign_id = campaigns.id)",
	/* seq: the wanted position, or past the last row when a concurrent submit got there. */
	[STMT_ENQUEUE_UNIQUE] =
	    "INSERT INTO queue (campaign_id, seq, input, domain, updated_at) "
	    "SELECT ?1, MAX(?2, COALESCE((SELECT MAX(seq) + 1 FROM queue WHERE campaign_id = ?1), "
	    "0)), ?3, ?4, ?5 WHERE NOT EXISTS (SELECT 1 FROM queue WHERE campaign_id = ?1 AND "
	    "domain = ?4)",
	[STMT_ENQUEUE_UNIQUE_INVALID] =
	    "INSERT INTO queue (campaign_id, seq, input, domain, updated_at) "
	    "SELECT ?1, MAX(?2, COALESCE((SELECT MAX(seq) + 1 FROM queue WHERE campaign_id = ?1), "
	    "0)), ?3, NULL, ?5 WHERE NOT EXISTS (SELECT 1 FROM queue WHERE campaign_id = ?1 AND "
	    "domain IS NULL AND input = ?3)",
	[STMT_NEXT_SEQ] = "SELECT COALESCE(MAX(seq) + 1, 0) FROM queue WHERE campaign_id = ?1",
	[STMT_RECENT] = "SELECT COUNT(*), COALESCE(MIN(scanned_at), 0) FROM results "
			"WHERE scanned_at >= ?2 AND (?1 = 0 OR campaign_id = ?1)",
	[STMT_EVIDENCE_PAGE] = "SELECT e.result_id, e.evidence_json, r.result_json FROM evidence e "
			       "JOIN results r ON r.id = e.result_id "
			       "WHERE e.result_id > ?2 AND (?1 = 0 OR r.campaign_id = ?1) "
			       "ORDER BY e.result_id LIMIT ?3",
	[STMT_RESULT_UPDATE] = "UPDATE results SET state = ?2, reason = ?3, "
			       "score_confidentiality = ?4, score_spoofing = ?5, "
			       "score_integrity = ?6, result_json = ?7 WHERE id = ?1",
	[STMT_VERDICT_DELETE] = "DELETE FROM verdicts WHERE result_id = ?1",
	[STMT_MX_DELETE] = "DELETE FROM mx_results WHERE result_id = ?1",
	[STMT_PENDING_ACTIVE] = "SELECT COUNT(*) FROM queue q JOIN campaigns c ON c.id = "
				"q.campaign_id WHERE q.state = 'pending' AND c.state = 'active'",
};

static const char *const store_campaign_states[STORE_CAMPAIGN_STATE_MAX] = {
	[STORE_CAMPAIGN_ACTIVE] = "active",
	[STORE_CAMPAIGN_PAUSED] = "paused",
	[STORE_CAMPAIGN_CANCELLED] = "cancelled",
	[STORE_CAMPAIGN_DONE] = "done",
};

/* A result serialised at put time, waiting for its batch's transaction. */
struct store_pending {
	int64_t queue_id;	/* queue row */
	int64_t campaign_id;	/* its campaign */
	char *domain;		/* owned */
	const char *state;	/* static: scanned/invalid/failed */
	char *reason;		/* owned, may be NULL */
	int64_t scanned_at;	/* ms */
	int64_t duration_ms;	/* how long the scan took */
	int score[MECSA_CAT_MAX]; /* -1 = NULL */
	char *result_json;	/* owned */
	char *evidence_json;	/* owned, may be NULL */
	struct store_rows rows;	/* owned: its verdict and MX rows */
};

struct store {
	sqlite3 *db;			  /* owned */
	sqlite3_stmt *stmt[STMT_MAX];	  /* owned: prepared once */
	struct store_pending *pending;	  /* owned: the uncommitted batch */
	size_t n_pending, cap_pending;	  /* batch size and capacity */
	unsigned batch_size;		  /* commit when this many are queued */
	unsigned batch_ms;		  /* or when the oldest waited this long */
	struct event *timer;		  /* owned: the batch_ms timer, NULL without a loop */
	int in_tx;			  /* 1 inside store_begin/store_commit */
	char *path;			  /* owned: the file, NULL in memory */
	int lock_fd;			  /* store_lock_exclusive's descriptor, or -1 */
	char errbuf[256];		  /* last error text */
};

static int64_t store_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static int store_fail(struct store *st, const char *what)
{
	snprintf(st->errbuf, sizeof st->errbuf, "%s: %s", what, sqlite3_errmsg(st->db));
	log_err("store: %s", st->errbuf);
	return -1;
}

const char *store_errmsg(struct store *st)
{
	return st->errbuf;
}

static int store_step_done(struct store *st, sqlite3_stmt *s, const char *what)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return store_fail(st, what);
	return 0;
}

int store_schema_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static int store_migrate(struct store *st)
{
	int v = store_schema_version(st);
	if (v < 0)
		return store_fail(st, "reading schema version");
	if ((size_t)v > store_migrations_len) {
		snprintf(st->errbuf, sizeof st->errbuf,
			 "database schema version %d is newer than this program (%zu)", v,
			 store_migrations_len);
		return -1;
	}
	for (size_t i = (size_t)v; i < store_migrations_len; i++) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %zu", i + 1);
		char *msg = NULL;
		if (sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, store_migrations[i], NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, &msg) != SQLITE_OK ||
		    sqlite3_exec(st->db, "COMMIT", NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(st->errbuf, sizeof st->errbuf, "migration %zu: %s", i + 1,
				 msg ? msg : "?");
			sqlite3_free(msg);
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			return -1;
		}
	}
	return 0;
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof *st);
	st->batch_size = 500;
	st->batch_ms = 1000;
	st->lock_fd = -1;
	int memory = path == NULL || path[0] == '\0';
	st->path = memory ? NULL : xstrdup(path);
	/* URI names let merge attach its inputs read-only ("file:...?mode=ro"); a path that
	 * starts with "file:" is opened as "./file:...", so that it stays a path (also where
	 * SQLite is built to take every such name as a URI). */
	char *name = memory ? xstrdup(":memory:")
			    : strncmp(path, "file:", 5) == 0 ? xasprintf("./%s", path) : xstrdup(path);
	int rc = sqlite3_open_v2(name, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX |
				     SQLITE_OPEN_URI,
				 NULL);
	free(name);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", memory ? ":memory:" : path,
			 st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		store_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->db, 10000);
	/* WAL lets dashboards and the campaign commands read while the daemon writes; NORMAL
	 * sync keeps every committed transaction across a process kill. */
	const char *pragmas = memory ? "PRAGMA foreign_keys = ON;"
				     : "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;"
				       "PRAGMA foreign_keys = ON;";
	char *msg = NULL;
	if (sqlite3_exec(st->db, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : "?");
		sqlite3_free(msg);
		store_close(st);
		return NULL;
	}
	if (store_migrate(st) < 0) {
		snprintf(err, errlen, "%s: %s", memory ? ":memory:" : path, st->errbuf);
		store_close(st);
		return NULL;
	}
	for (int i = 0; i < STMT_MAX; i++) {
		if (sqlite3_prepare_v3(st->db, store_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK) {
			snprintf(err, errlen, "preparing statement %d: %s", i,
				 sqlite3_errmsg(st->db));
			store_close(st);
			return NULL;
		}
	}
	return st;
}

static void store_pending_clear(struct store_pending *p)
{
	free(p->domain);
	free(p->reason);
	free(p->result_json);
	free(p->evidence_json);
	store_rows_clear(&p->rows);
}

void store_close(struct store *st)
{
	if (st == NULL)
		return;
	if (st->db && st->n_pending)
		store_flush(st);
	for (size_t i = 0; i < st->n_pending; i++)
		store_pending_clear(&st->pending[i]);
	free(st->pending);
	if (st->timer)
		event_free(st->timer);
	for (int i = 0; i < STMT_MAX; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db)
		sqlite3_close(st->db);
	/* Only now: closing any descriptor of the file would drop SQLite's POSIX locks. */
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

static void store_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	store_flush(arg);
}

void store_set_batching(struct store *st, struct event_base *base, unsigned batch_size,
			unsigned batch_ms)
{
	st->batch_size = batch_size ? batch_size : 1;
	st->batch_ms = batch_ms;
	if (st->timer) {
		event_free(st->timer);
		st->timer = NULL;
	}
	if (base)
		st->timer = evtimer_new(base, store_on_timer, st);
}

int store_begin(struct store *st)
{
	if (store_step_done(st, st->stmt[STMT_BEGIN], "begin") < 0)
		return -1;
	st->in_tx = 1;
	return 0;
}

int store_commit(struct store *st)
{
	st->in_tx = 0;
	if (store_step_done(st, st->stmt[STMT_COMMIT], "commit") < 0) {
		store_step_done(st, st->stmt[STMT_ROLLBACK], "rollback");
		return -1;
	}
	return 0;
}

int64_t store_campaign_create(struct store *st, const char *name, const char *config_snapshot)
{
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGN_INSERT];
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 2, store_now_ms());
	sqlite3_bind_text(s, 3, config_snapshot, -1, SQLITE_TRANSIENT);
	if (store_step_done(st, s, "creating campaign") < 0)
		return -1;
	return sqlite3_last_insert_rowid(st->db);
}

int64_t store_campaign_find(struct store *st, const char *name)
{
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGN_FIND];
	sqlite3_bind_text(s, 1, name, -1, SQLITE_TRANSIENT);
	int64_t id = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return id;
}

int store_campaign_set_state(struct store *st, int64_t campaign_id, const char *state)
{
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGN_STATE];
	sqlite3_bind_int64(s, 1, campaign_id);
	sqlite3_bind_text(s, 2, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, store_now_ms());
	return store_step_done(st, s, "setting campaign state");
}

int store_enqueue(struct store *st, int64_t campaign_id, int64_t seq, const char *input,
		  const char *domain)
{
	sqlite3_stmt *s = st->stmt[STMT_ENQUEUE];
	sqlite3_bind_int64(s, 1, campaign_id);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, input, -1, SQLITE_TRANSIENT);
	if (domain)
		sqlite3_bind_text(s, 4, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, store_now_ms());
	return store_step_done(st, s, "enqueueing");
}

void store_job_clear(struct store_job *job)
{
	free(job->input);
	free(job->domain);
	memset(job, 0, sizeof *job);
}

static char *store_column_dup(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? xstrdup((const char *)t) : NULL;
}

/* Inside the claim's transaction: up to max pending rows of campaign cid (when it is active) into
 * jobs[*n...], marked running at once (so that a second look at the campaign skips them). The
 * number taken, or -1 (the jobs filled so far stay counted in *n). */
static int store_claim_from(struct store *st, int64_t cid, struct store_job *jobs, size_t max,
			    size_t *n)
{
	sqlite3_stmt *sel = st->stmt[STMT_CLAIM_SELECT];
	sqlite3_bind_int64(sel, 1, cid);
	sqlite3_bind_int64(sel, 2, (sqlite3_int64)max);
	size_t first = *n;
	int rc = SQLITE_DONE;
	while (*n - first < max && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct store_job *j = &jobs[(*n)++];
		j->queue_id = sqlite3_column_int64(sel, 0);
		j->campaign_id = sqlite3_column_int64(sel, 1);
		j->seq = sqlite3_column_int64(sel, 2);
		j->input = store_column_dup(sel, 3);
		j->domain = store_column_dup(sel, 4);
		j->attempts = sqlite3_column_int(sel, 5) + 1;
	}
	int failed = *n - first < max && rc != SQLITE_DONE;
	sqlite3_reset(sel);
	sqlite3_clear_bindings(sel);
	if (failed)
		return store_fail(st, "claiming");
	int64_t now = store_now_ms();
	for (size_t i = first; i < *n; i++) {
		sqlite3_stmt *up = st->stmt[STMT_CLAIM_UPDATE];
		sqlite3_bind_int64(up, 1, jobs[i].queue_id);
		sqlite3_bind_int64(up, 2, now);
		if (store_step_done(st, up, "claiming") < 0)
			return -1;
	}
	return (int)(*n - first);
}

/* Active campaigns share a claim: each gets an equal part, then those with more fill what the
 * others left. Each part is one range of the (state, campaign_id, id) index, so a claim costs
 * what it takes, not a sort of every pending row. */
static int store_claim_any(struct store *st, struct store_job *jobs, size_t max, size_t *n)
{
	sqlite3_stmt *s = st->stmt[STMT_CLAIM_ANY_SELECT];
	int64_t *ids = NULL;
	size_t k = 0, cap = 0;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		xgrow((void **)&ids, &cap, k + 1, sizeof *ids);
		ids[k++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_reset(s);
	int ret = rc == SQLITE_DONE ? 0 : store_fail(st, "listing active campaigns");
	size_t share = k ? (max + k - 1) / k : 0;
	for (int pass = 0; ret == 0 && pass < 2 && *n < max; pass++) {
		for (size_t i = 0; ret == 0 && i < k && *n < max; i++) {
			if (ids[i] < 0)
				continue; /* ran out in the first pass */
			size_t want = max - *n;
			if (pass == 0 && want > share)
				want = share;
			int got = store_claim_from(st, ids[i], jobs, want, n);
			if (got < 0)
				ret = -1;
			else if ((size_t)got < want)
				ids[i] = -1;
		}
	}
	free(ids);
	return ret;
}

int store_claim(struct store *st, int64_t campaign_id, struct store_job *jobs, size_t max)
{
	if (max == 0)
		return 0;
	if (store_begin(st) < 0)
		return -1;
	size_t n = 0;
	int rc = campaign_id ? store_claim_from(st, campaign_id, jobs, max, &n)
			     : store_claim_any(st, jobs, max, &n);
	if (rc < 0 || store_commit(st) < 0)
		goto fail;
	return (int)n;
fail:
	store_step_done(st, st->stmt[STMT_ROLLBACK], "rollback");
	st->in_tx = 0;
	for (size_t i = 0; i < n; i++)
		store_job_clear(&jobs[i]);
	return -1;
}

int store_requeue_running(struct store *st)
{
	if (store_step_done(st, st->stmt[STMT_REQUEUE], "re-queueing") < 0)
		return -1;
	return sqlite3_changes(st->db);
}

int store_counts(struct store *st, int64_t campaign_id, struct store_counts *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = st->stmt[STMT_COUNTS];
	sqlite3_bind_int64(s, 1, campaign_id);
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		if (strcmp(state, "pending") == 0)
			out->pending = n;
		else if (strcmp(state, "running") == 0)
			out->running = n;
		else if (strcmp(state, "done") == 0)
			out->done = n;
		else if (strcmp(state, "failed") == 0)
			out->failed = n;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : store_fail(st, "counting");
}

void store_put_result(struct store *st, const struct store_job *job, const struct result *res,
		      const struct evidence *ev, int64_t duration_ms)
{
	xgrow((void **)&st->pending, &st->cap_pending, st->n_pending + 1, sizeof *st->pending);
	struct store_pending *p = &st->pending[st->n_pending++];
	memset(p, 0, sizeof *p);
	p->queue_id = job->queue_id;
	p->campaign_id = job->campaign_id;
	p->domain = xstrdup(res->domain);
	p->state = result_state_name(res->state);
	p->reason = res->invalid_reason ? xstrdup(res->invalid_reason) : NULL;
	p->scanned_at = store_now_ms();
	p->duration_ms = duration_ms;
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		p->score[c] = res->score[c];
	json_t *result = result_to_json(res);
	p->result_json = json_write(result, 1, NULL);
	store_rows_from_json(&p->rows, result);
	json_decref(result);
	if (ev)
		p->evidence_json = evidence_json_text(ev, 1, NULL);
	if (st->n_pending >= st->batch_size) {
		store_flush(st);
	} else if (st->n_pending == 1 && st->timer) {
		struct timeval tv = {st->batch_ms / 1000, (st->batch_ms % 1000) * 1000};
		evtimer_add(st->timer, &tv);
	}
}

size_t store_unflushed(const struct store *st)
{
	return st->n_pending;
}

static void store_bind_text_or_null(sqlite3_stmt *s, int col, const char *t)
{
	if (t)
		sqlite3_bind_text(s, col, t, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, col);
}

static int store_write_verdicts(struct store *st, int64_t rid, const struct store_rows *rows)
{
	for (size_t i = 0; i < rows->n_verdicts; i++) {
		const struct store_verdict_row *v = &rows->verdicts[i];
		sqlite3_stmt *s = st->stmt[STMT_VERDICT_INSERT];
		sqlite3_bind_int64(s, 1, rid);
		store_bind_text_or_null(s, 2, store_rows_str(rows, v->check));
		store_bind_text_or_null(s, 3, store_rows_str(rows, v->status));
		store_bind_text_or_null(s, 4, store_rows_str(rows, v->reason));
		if (store_step_done(st, s, "inserting verdict") < 0)
			return -1;
	}
	return 0;
}

static int store_write_mx(struct store *st, int64_t rid, const struct store_rows *rows)
{
	for (size_t i = 0; i < rows->n_mx; i++) {
		const struct store_mx_row *m = &rows->mx[i];
		sqlite3_stmt *s = st->stmt[STMT_MX_INSERT];
		sqlite3_bind_int64(s, 1, rid);
		store_bind_text_or_null(s, 2, store_rows_str(rows, m->host));
		sqlite3_bind_int64(s, 3, m->pref);
		store_bind_text_or_null(s, 4, store_rows_str(rows, m->address));
		if (m->family)
			sqlite3_bind_int(s, 5, m->family);
		store_bind_text_or_null(s, 6, store_rows_str(rows, m->dnssec));
		store_bind_text_or_null(s, 7, store_rows_str(rows, m->detail));
		if (store_step_done(st, s, "inserting MX row") < 0)
			return -1;
	}
	return 0;
}

static int store_write_pending(struct store *st, struct store_pending *p)
{
	sqlite3_stmt *s = st->stmt[STMT_RESULT_INSERT];
	sqlite3_bind_int64(s, 1, p->queue_id);
	sqlite3_bind_int64(s, 2, p->campaign_id);
	sqlite3_bind_text(s, 3, p->domain, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, p->state, -1, SQLITE_STATIC);
	store_bind_text_or_null(s, 5, p->reason);
	sqlite3_bind_int64(s, 6, p->scanned_at);
	sqlite3_bind_int64(s, 7, p->duration_ms);
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		if (p->score[c] >= 0)
			sqlite3_bind_int(s, 8 + c, p->score[c]);
	sqlite3_bind_text(s, 11, p->result_json, -1, SQLITE_STATIC);
	if (store_step_done(st, s, "inserting result") < 0)
		return -1;
	int64_t rid = sqlite3_last_insert_rowid(st->db);
	if (store_write_verdicts(st, rid, &p->rows) < 0 || store_write_mx(st, rid, &p->rows) < 0)
		return -1;
	if (p->evidence_json) {
		s = st->stmt[STMT_EVIDENCE_INSERT];
		sqlite3_bind_int64(s, 1, rid);
		sqlite3_bind_text(s, 2, p->evidence_json, -1, SQLITE_STATIC);
		if (store_step_done(st, s, "inserting evidence") < 0)
			return -1;
	}
	s = st->stmt[STMT_QUEUE_DONE];
	sqlite3_bind_int64(s, 1, p->queue_id);
	sqlite3_bind_text(s, 2, strcmp(p->state, "failed") == 0 ? "failed" : "done", -1,
			  SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, p->scanned_at);
	return store_step_done(st, s, "finishing queue row");
}

int store_flush(struct store *st)
{
	if (st->timer)
		evtimer_del(st->timer);
	if (st->n_pending == 0)
		return 0;
	if (store_begin(st) < 0)
		return -1;
	for (size_t i = 0; i < st->n_pending; i++) {
		if (store_write_pending(st, &st->pending[i]) < 0) {
			store_step_done(st, st->stmt[STMT_ROLLBACK], "rollback");
			st->in_tx = 0;
			return -1;
		}
	}
	if (store_commit(st) < 0)
		return -1;
	for (size_t i = 0; i < st->n_pending; i++)
		store_pending_clear(&st->pending[i]);
	st->n_pending = 0;
	return 0;
}

int store_foreach_result_text(struct store *st, int64_t campaign_id, store_result_text_fn *cb,
			      void *arg)
{
	sqlite3_stmt *s = st->stmt[STMT_FOREACH];
	sqlite3_bind_int64(s, 1, campaign_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(s, 0);
		size_t len = (size_t)sqlite3_column_bytes(s, 0);
		if (cb(text ? text : "", text ? len : 0, arg))
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "reading results");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

struct store_parse_walk {
	store_result_fn *cb; /* the caller's */
	void *arg;	     /* borrowed */
	int unreadable;	     /* a stored result was not JSON */
};

static int store_parse_one(const char *json, size_t len, void *arg)
{
	struct store_parse_walk *w = arg;
	json_error_t jerr;
	json_t *j = json_loadb(json, len, 0, &jerr);
	if (j == NULL) {
		log_err("store: unreadable result: %s", jerr.text);
		w->unreadable = 1;
		return 1;
	}
	int stop = w->cb(j, w->arg);
	json_decref(j);
	return stop;
}

int store_foreach_result(struct store *st, int64_t campaign_id, store_result_fn *cb, void *arg)
{
	struct store_parse_walk w = {cb, arg, 0};
	int rc = store_foreach_result_text(st, campaign_id, store_parse_one, &w);
	return rc < 0 || w.unreadable ? -1 : 0;
}

/* ---- campaigns ---- */

const char *store_campaign_state_name(enum store_campaign_state s)
{
	return (unsigned)s < STORE_CAMPAIGN_STATE_MAX ? store_campaign_states[s] : "?";
}

int store_campaign_state_parse(const char *name)
{
	for (int i = 0; i < STORE_CAMPAIGN_STATE_MAX; i++)
		if (name && strcmp(name, store_campaign_states[i]) == 0)
			return i;
	return -1;
}

static void store_campaign_read(sqlite3_stmt *s, struct store_campaign *c)
{
	c->id = sqlite3_column_int64(s, 0);
	c->name = store_column_dup(s, 1);
	int state = store_campaign_state_parse((const char *)sqlite3_column_text(s, 2));
	c->state = state < 0 ? STORE_CAMPAIGN_ACTIVE : (enum store_campaign_state)state;
	c->created_at = sqlite3_column_int64(s, 3);
	c->started_at = sqlite3_column_int64(s, 4);
	c->finished_at = sqlite3_column_int64(s, 5);
	c->config = store_column_dup(s, 6);
}

void store_campaign_clear(struct store_campaign *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->config);
	memset(c, 0, sizeof *c);
}

int store_campaign_get(struct store *st, int64_t id, struct store_campaign *out)
{
	memset(out, 0, sizeof *out);
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGN_GET];
	sqlite3_bind_int64(s, 1, id);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		store_campaign_read(s, out);
		ret = 1;
	} else if (rc != SQLITE_DONE) {
		ret = store_fail(st, "reading campaign");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int store_foreach_campaign(struct store *st, store_campaign_fn *cb, void *arg)
{
	/* Read them all first: a callback may use the store (counts, other statements). */
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGN_ALL];
	struct store_campaign *all = NULL;
	size_t n = 0, cap = 0;
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		xgrow((void **)&all, &cap, n + 1, sizeof *all);
		store_campaign_read(s, &all[n++]);
	}
	if (rc != SQLITE_DONE)
		ret = store_fail(st, "listing campaigns");
	sqlite3_reset(s);
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (cb(&all[i], arg))
			break;
	for (size_t i = 0; i < n; i++)
		store_campaign_clear(&all[i]);
	free(all);
	return ret;
}

int store_campaign_transition(struct store *st, int64_t id, unsigned from_mask,
			      enum store_campaign_state to)
{
	char from[64] = ",";
	for (int i = 0; i < STORE_CAMPAIGN_STATE_MAX; i++)
		if (from_mask & STORE_CAMPAIGN_BIT(i)) {
			strcat(from, store_campaign_states[i]);
			strcat(from, ",");
		}
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGN_TRANSITION];
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_text(s, 2, store_campaign_state_name(to), -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, from, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 4, store_now_ms());
	if (store_step_done(st, s, "changing campaign state") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

int store_campaigns_finish(struct store *st)
{
	sqlite3_stmt *s = st->stmt[STMT_CAMPAIGNS_FINISH];
	sqlite3_bind_int64(s, 1, store_now_ms());
	if (store_step_done(st, s, "finishing campaigns") < 0)
		return -1;
	return sqlite3_changes(st->db);
}

/* ---- queue ---- */

int store_enqueue_unique(struct store *st, int64_t campaign_id, int64_t seq, const char *input,
			 const char *domain)
{
	sqlite3_stmt *s = st->stmt[domain ? STMT_ENQUEUE_UNIQUE : STMT_ENQUEUE_UNIQUE_INVALID];
	sqlite3_bind_int64(s, 1, campaign_id);
	sqlite3_bind_int64(s, 2, seq);
	sqlite3_bind_text(s, 3, input, -1, SQLITE_TRANSIENT);
	if (domain)
		sqlite3_bind_text(s, 4, domain, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 5, store_now_ms());
	if (store_step_done(st, s, "enqueueing") < 0)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

int64_t store_campaign_next_seq(struct store *st, int64_t campaign_id)
{
	sqlite3_stmt *s = st->stmt[STMT_NEXT_SEQ];
	sqlite3_bind_int64(s, 1, campaign_id);
	int64_t seq = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		seq = sqlite3_column_int64(s, 0);
	else
		store_fail(st, "reading the last input position");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return seq;
}

int64_t store_pending_active(struct store *st)
{
	sqlite3_stmt *s = st->stmt[STMT_PENDING_ACTIVE];
	int64_t n = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	else
		store_fail(st, "counting pending rows");
	sqlite3_reset(s);
	return n;
}

int store_recent_results(struct store *st, int64_t campaign_id, int64_t since_ms, int64_t *count,
			 int64_t *oldest_ms)
{
	sqlite3_stmt *s = st->stmt[STMT_RECENT];
	sqlite3_bind_int64(s, 1, campaign_id);
	sqlite3_bind_int64(s, 2, since_ms);
	int rc = sqlite3_step(s), ret = 0;
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(s, 0);
		*oldest_ms = sqlite3_column_int64(s, 1);
	} else {
		ret = store_fail(st, "counting recent results");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int store_lock_exclusive(struct store *st, char *err, size_t errlen)
{
	if (st->path == NULL || st->lock_fd >= 0)
		return 0;
	int fd = open(st->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", st->path, strerror(errno));
		return -1;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		/* Closing fd here would drop SQLite's POSIX locks on the file: keep it until
		 * store_close, unlocked. */
		st->lock_fd = fd;
		if (e == EWOULDBLOCK)
			snprintf(err, errlen, "%s is in use by another mxsurvey daemon", st->path);
		else
			snprintf(err, errlen, "%s: cannot lock: %s", st->path, strerror(e));
		return -1;
	}
	st->lock_fd = fd;
	return 0;
}

/* ---- cursors ---- */

struct store_cursor {
	struct store *st;  /* borrowed */
	sqlite3_stmt *sel; /* owned */
	json_t *current;   /* owned: the last row's result object */
};

static const char *const store_cursor_sql[] = {
	[STORE_ORDER_INPUT] = "SELECT r.id, q.seq, q.input, r.domain, r.scanned_at, r.duration_ms, "
			      "r.result_json FROM results r JOIN queue q ON q.id = r.queue_id "
			      "WHERE r.campaign_id = ?1 ORDER BY q.seq, q.id",
	[STORE_ORDER_DOMAIN] = "SELECT r.id, q.seq, q.input, r.domain, r.scanned_at, r.duration_ms, "
			       "r.result_json FROM results r JOIN queue q ON q.id = r.queue_id "
			       "WHERE r.campaign_id = ?1 ORDER BY r.domain, q.seq, q.id",
};

struct store_cursor *store_cursor_open(struct store *st, int64_t campaign_id,
				       enum store_order order)
{
	struct store_cursor *c = xcalloc(1, sizeof *c);
	c->st = st;
	if (sqlite3_prepare_v2(st->db, store_cursor_sql[order == STORE_ORDER_DOMAIN], -1, &c->sel,
			       NULL) != SQLITE_OK) {
		store_fail(st, "preparing a cursor");
		free(c);
		return NULL;
	}
	sqlite3_bind_int64(c->sel, 1, campaign_id);
	return c;
}

int store_cursor_next(struct store_cursor *c, struct store_row *row)
{
	json_decref(c->current);
	c->current = NULL;
	int rc = sqlite3_step(c->sel);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return store_fail(c->st, "reading results");
	json_error_t jerr;
	const char *text = (const char *)sqlite3_column_text(c->sel, 6);
	c->current = text ? json_loads(text, 0, &jerr) : NULL;
	if (c->current == NULL) {
		snprintf(c->st->errbuf, sizeof c->st->errbuf, "result %lld is unreadable",
			 (long long)sqlite3_column_int64(c->sel, 0));
		log_err("store: %s", c->st->errbuf);
		return -1;
	}
	row->result_id = sqlite3_column_int64(c->sel, 0);
	row->seq = sqlite3_column_int64(c->sel, 1);
	row->input = (const char *)sqlite3_column_text(c->sel, 2);
	row->domain = (const char *)sqlite3_column_text(c->sel, 3);
	row->scanned_at = sqlite3_column_int64(c->sel, 4);
	row->duration_ms = sqlite3_column_int64(c->sel, 5);
	row->result = c->current;
	return 1;
}

void store_cursor_free(struct store_cursor *c)
{
	if (c == NULL)
		return;
	json_decref(c->current);
	sqlite3_finalize(c->sel);
	free(c);
}

/* ---- rescoring ---- */

int store_evidence_page(struct store *st, int64_t campaign_id, int64_t after_id,
			struct store_evidence_row *rows, size_t max)
{
	sqlite3_stmt *s = st->stmt[STMT_EVIDENCE_PAGE];
	sqlite3_bind_int64(s, 1, campaign_id);
	sqlite3_bind_int64(s, 2, after_id);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)max);
	size_t n = 0;
	int rc;
	while (n < max && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		rows[n].result_id = sqlite3_column_int64(s, 0);
		rows[n].evidence = store_column_dup(s, 1);
		rows[n].result = store_column_dup(s, 2);
		n++;
	}
	int ret = (int)n;
	if (n < max && rc != SQLITE_DONE) {
		ret = store_fail(st, "reading evidence");
		for (size_t i = 0; i < n; i++) {
			free(rows[i].evidence);
			free(rows[i].result);
		}
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}

int store_replace_result(struct store *st, int64_t result_id, const struct result *res)
{
	json_t *j = result_to_json(res);
	char *text = json_write(j, 1, NULL);
	sqlite3_stmt *s = st->stmt[STMT_RESULT_UPDATE];
	sqlite3_bind_int64(s, 1, result_id);
	sqlite3_bind_text(s, 2, result_state_name(res->state), -1, SQLITE_STATIC);
	store_bind_text_or_null(s, 3, res->invalid_reason);
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		if (res->score[c] >= 0)
			sqlite3_bind_int(s, 4 + c, res->score[c]);
	sqlite3_bind_text(s, 7, text, -1, SQLITE_STATIC);
	int rc = store_step_done(st, s, "updating result");
	free(text);
	for (int i = 0; rc == 0 && i < 2; i++) {
		s = st->stmt[i ? STMT_MX_DELETE : STMT_VERDICT_DELETE];
		sqlite3_bind_int64(s, 1, result_id);
		rc = store_step_done(st, s, "deleting old rows");
	}
	struct store_rows rows = {0};
	store_rows_from_json(&rows, j);
	json_decref(j);
	if (rc == 0)
		rc = store_write_verdicts(st, result_id, &rows);
	if (rc == 0)
		rc = store_write_mx(st, result_id, &rows);
	store_rows_clear(&rows);
	return rc;
}

/* ---- merging ---- */

/* Statements of a merge, all against the attached source "mxs_src"; prepared per merge. */
enum store_merge_stmt {
	MERGE_SRC_CAMPAIGNS,
	MERGE_CAMPAIGN_INSERT,
	MERGE_CAMPAIGN_UPDATE,
	MERGE_MAP_INSERT,
	MERGE_OVERLAP,
	MERGE_QUEUE_MAX,
	MERGE_RESULT_MAX,
	MERGE_QUEUE_VALID,
	MERGE_QUEUE_INVALID,
	MERGE_SRC_ROWS,
	MERGE_RESULTS,
	MERGE_VERDICTS,
	MERGE_MX,
	MERGE_EVIDENCE,
	MERGE_MAX
};

static const char *const store_merge_sql[MERGE_MAX] = {
	[MERGE_SRC_CAMPAIGNS] = "SELECT id, name, state, created_at, started_at, finished_at, "
				"config FROM mxs_src.campaigns ORDER BY id",
	[MERGE_CAMPAIGN_INSERT] = "INSERT INTO main.campaigns (name, state, created_at, "
				  "started_at, finished_at, config) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
	[MERGE_CAMPAIGN_UPDATE] = "UPDATE main.campaigns SET state = ?2, created_at = ?3, "
				  "started_at = ?4, finished_at = ?5 WHERE id = ?1",
	[MERGE_MAP_INSERT] = "INSERT INTO temp.mxs_merge_map (src_id, dst_id, seq_off) "
			     "VALUES (?1, ?2, ?3)",
	[MERGE_OVERLAP] = "SELECT 1 FROM mxs_src.queue s JOIN main.queue d ON d.campaign_id = ?2 "
			  "AND d.seq = s.seq WHERE s.campaign_id = ?1 LIMIT 1",
	[MERGE_QUEUE_MAX] = "SELECT COALESCE(MAX(id), 0) FROM main.queue",
	[MERGE_RESULT_MAX] = "SELECT COALESCE(MAX(id), 0) FROM main.results",
	/* The new ids are the source's plus an offset past every existing id, so "exists with the
	 * offset id" below means "copied by this merge". */
	[MERGE_QUEUE_VALID] =
	    "INSERT INTO main.queue (id, campaign_id, seq, input, domain, state, attempts, "
	    "updated_at) SELECT s.id + ?1, m.dst_id, s.seq + m.seq_off, s.input, s.domain, "
	    "CASE s.state WHEN 'running' THEN 'pending' ELSE s.state END, s.attempts, "
	    "s.updated_at FROM mxs_src.queue s JOIN temp.mxs_merge_map m ON m.src_id = "
	    "s.campaign_id WHERE s.domain IS NOT NULL AND NOT EXISTS (SELECT 1 FROM main.queue d "
	    "WHERE d.campaign_id = m.dst_id AND d.domain = s.domain AND d.id <= ?1)",
	[MERGE_QUEUE_INVALID] =
	    "INSERT INTO main.queue (id, campaign_id, seq, input, domain, state, attempts, "
	    "updated_at) SELECT s.id + ?1, m.dst_id, s.seq + m.seq_off, s.input, NULL, "
	    "CASE s.state WHEN 'running' THEN 'pending' ELSE s.state END, s.attempts, "
	    "s.updated_at FROM mxs_src.queue s JOIN temp.mxs_merge_map m ON m.src_id = "
	    "s.campaign_id WHERE s.domain IS NULL AND NOT EXISTS (SELECT 1 FROM main.queue d "
	    "WHERE d.campaign_id = m.dst_id AND d.domain IS NULL AND d.input = s.input AND "
	    "d.id <= ?1)",
	[MERGE_SRC_ROWS] = "SELECT COUNT(*) FROM mxs_src.queue",
	[MERGE_RESULTS] =
	    "INSERT INTO main.results (id, queue_id, campaign_id, domain, state, reason, "
	    "scanned_at, duration_ms, score_confidentiality, score_spoofing, score_integrity, "
	    "result_json) SELECT r.id + ?2, r.queue_id + ?1, m.dst_id, r.domain, r.state, "
	    "r.reason, r.scanned_at, r.duration_ms, r.score_confidentiality, r.score_spoofing, "
	    "r.score_integrity, r.result_json FROM mxs_src.results r JOIN temp.mxs_merge_map m "
	    "ON m.src_id = r.campaign_id WHERE EXISTS (SELECT 1 FROM main.queue q WHERE q.id = "
	    "r.queue_id + ?1)",
	[MERGE_VERDICTS] = "INSERT INTO main.verdicts (result_id, check_name, status, reason) "
			   "SELECT v.result_id + ?2, v.check_name, v.status, v.reason "
			   "FROM mxs_src.verdicts v WHERE EXISTS (SELECT 1 FROM main.results r "
			   "WHERE r.id = v.result_id + ?2 AND r.id > ?2)",
	[MERGE_MX] = "INSERT INTO main.mx_results (result_id, host, pref, address, family, dnssec, "
		     "detail) SELECT x.result_id + ?2, x.host, x.pref, x.address, x.family, x.dnssec, "
		     "x.detail FROM mxs_src.mx_results x WHERE EXISTS (SELECT 1 FROM main.results r "
		     "WHERE r.id = x.result_id + ?2 AND r.id > ?2)",
	[MERGE_EVIDENCE] = "INSERT INTO main.evidence (result_id, evidence_json) "
			   "SELECT e.result_id + ?2, e.evidence_json FROM mxs_src.evidence e "
			   "WHERE EXISTS (SELECT 1 FROM main.results r WHERE r.id = e.result_id + ?2 "
			   "AND r.id > ?2)",
};

struct store_merge {
	struct store *st;		/* borrowed */
	sqlite3_stmt *stmt[MERGE_MAX];	/* owned */
	struct store_merge_stats *stats; /* borrowed: what is counted */
};

static int store_exec(struct store *st, const char *sql, const char *what)
{
	char *msg = NULL;
	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->errbuf, sizeof st->errbuf, "%s: %s", what, msg ? msg : "?");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int64_t store_merge_scalar(struct store_merge *m, enum store_merge_stmt which)
{
	sqlite3_stmt *s = m->stmt[which];
	int64_t v = -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int64(s, 0);
	else
		store_fail(m->st, "merging");
	sqlite3_reset(s);
	return v;
}

static void store_bind_ms(sqlite3_stmt *s, int col, int64_t ms)
{
	if (ms)
		sqlite3_bind_int64(s, col, ms);
	else
		sqlite3_bind_null(s, col);
}

static int64_t store_min_set(int64_t a, int64_t b)
{
	return a == 0 ? b : b == 0 ? a : a < b ? a : b;
}

/* One source campaign: find or create its namesake, record the id and input-position mapping. */
static int store_merge_campaign(struct store_merge *m, const struct store_campaign *src)
{
	struct store *st = m->st;
	int64_t dst = store_campaign_find(st, src->name);
	if (dst < 0) {
		sqlite3_stmt *s = m->stmt[MERGE_CAMPAIGN_INSERT];
		sqlite3_bind_text(s, 1, src->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, store_campaign_state_name(src->state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, src->created_at);
		store_bind_ms(s, 4, src->started_at);
		store_bind_ms(s, 5, src->finished_at);
		store_bind_text_or_null(s, 6, src->config);
		if (store_step_done(st, s, "creating merged campaign") < 0)
			return -1;
		dst = sqlite3_last_insert_rowid(st->db);
		m->stats->campaigns_new++;
	} else {
		struct store_campaign d;
		if (store_campaign_get(st, dst, &d) != 1)
			return -1;
		/* The least finished state wins; the campaign spans both. */
		enum store_campaign_state state = d.state < src->state ? d.state : src->state;
		int64_t fin = d.finished_at > src->finished_at ? d.finished_at : src->finished_at;
		if (state != STORE_CAMPAIGN_DONE && state != STORE_CAMPAIGN_CANCELLED)
			fin = 0;
		sqlite3_stmt *s = m->stmt[MERGE_CAMPAIGN_UPDATE];
		sqlite3_bind_int64(s, 1, dst);
		sqlite3_bind_text(s, 2, store_campaign_state_name(state), -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, store_min_set(d.created_at, src->created_at));
		store_bind_ms(s, 4, store_min_set(d.started_at, src->started_at));
		store_bind_ms(s, 5, fin);
		store_campaign_clear(&d);
		if (store_step_done(st, s, "updating merged campaign") < 0)
			return -1;
		m->stats->campaigns_merged++;
	}
	/* Shards of one list keep their input positions (they are disjoint); anything else that
	 * collides goes after the campaign's last row. */
	sqlite3_stmt *s = m->stmt[MERGE_OVERLAP];
	sqlite3_bind_int64(s, 1, src->id);
	sqlite3_bind_int64(s, 2, dst);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return store_fail(st, "comparing input positions");
	int64_t seq_off = 0;
	if (rc == SQLITE_ROW && (seq_off = store_campaign_next_seq(st, dst)) < 0)
		return -1;
	s = m->stmt[MERGE_MAP_INSERT];
	sqlite3_bind_int64(s, 1, src->id);
	sqlite3_bind_int64(s, 2, dst);
	sqlite3_bind_int64(s, 3, seq_off);
	return store_step_done(st, s, "mapping campaigns");
}

static int store_merge_copy(struct store_merge *m, enum store_merge_stmt which, int64_t qoff,
			    int64_t roff, int64_t *count)
{
	sqlite3_stmt *s = m->stmt[which];
	sqlite3_bind_int64(s, 1, qoff);
	if (sqlite3_bind_parameter_count(s) >= 2)
		sqlite3_bind_int64(s, 2, roff);
	if (store_step_done(m->st, s, "copying rows") < 0)
		return -1;
	if (count)
		*count += sqlite3_changes(m->st->db);
	return 0;
}

static int store_merge_body(struct store_merge *m)
{
	struct store *st = m->st;
	sqlite3_stmt *s = m->stmt[MERGE_SRC_CAMPAIGNS];
	int rc;
	struct store_campaign *src = NULL;
	size_t n = 0, cap = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		xgrow((void **)&src, &cap, n + 1, sizeof *src);
		store_campaign_read(s, &src[n++]);
	}
	sqlite3_reset(s);
	int ret = rc == SQLITE_DONE ? 0 : store_fail(st, "reading source campaigns");
	for (size_t i = 0; ret == 0 && i < n; i++)
		ret = store_merge_campaign(m, &src[i]);
	for (size_t i = 0; i < n; i++)
		store_campaign_clear(&src[i]);
	free(src);
	if (ret < 0)
		return -1;
	int64_t qoff = store_merge_scalar(m, MERGE_QUEUE_MAX);
	int64_t roff = store_merge_scalar(m, MERGE_RESULT_MAX);
	int64_t total = store_merge_scalar(m, MERGE_SRC_ROWS);
	if (qoff < 0 || roff < 0 || total < 0)
		return -1;
	if (store_merge_copy(m, MERGE_QUEUE_VALID, qoff, roff, &m->stats->queued) < 0 ||
	    store_merge_copy(m, MERGE_QUEUE_INVALID, qoff, roff, &m->stats->queued) < 0 ||
	    store_merge_copy(m, MERGE_RESULTS, qoff, roff, &m->stats->results) < 0 ||
	    store_merge_copy(m, MERGE_VERDICTS, qoff, roff, NULL) < 0 ||
	    store_merge_copy(m, MERGE_MX, qoff, roff, NULL) < 0 ||
	    store_merge_copy(m, MERGE_EVIDENCE, qoff, roff, NULL) < 0)
		return -1;
	m->stats->duplicates = total - m->stats->queued;
	return 0;
}

/* Attach path, read-only, as mxs_src; 0, or -1 with the reason in st->errbuf. */
static int store_attach(struct store *st, const char *path)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(st->db, "ATTACH DATABASE ?1 AS mxs_src", -1, &s, NULL) != SQLITE_OK)
		return store_fail(st, "attaching");
	char *uri = store_input_uri_ro(path);
	sqlite3_bind_text(s, 1, uri, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	free(uri);
	if (rc != SQLITE_DONE) {
		snprintf(st->errbuf, sizeof st->errbuf, "%s: %s", path, sqlite3_errmsg(st->db));
		return -1;
	}
	return 0;
}

static int store_attached_version(struct store *st)
{
	sqlite3_stmt *s;
	int v = -1;
	if (sqlite3_prepare_v2(st->db, "PRAGMA mxs_src.user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

static void store_remove_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
	for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
		char *p = xasprintf("%s%s", path, suffix[i]);
		unlink(p);
		free(p);
	}
}

/* A shard of an older schema, copied next to the output and upgraded there (the input is only
 * ever read). Returns the copy's path (owned), or NULL with err. */
static char *store_merge_upgraded_copy(struct store *st, const char *path, char *err,
				       size_t errlen)
{
	const char *slash = st->path ? strrchr(st->path, '/') : NULL;
	char *tmp = st->path == NULL ? xstrdup("/tmp/.mxsurvey-merge-XXXXXX")
		    : slash		 ? xasprintf("%.*s/.mxsurvey-merge-XXXXXX",
						     (int)(slash - st->path), st->path)
					 : xstrdup(".mxsurvey-merge-XXXXXX");
	int fd = mkstemp(tmp);
	if (fd < 0) {
		snprintf(err, errlen, "%s: upgrading a copy: %s: %s", path, tmp, strerror(errno));
		free(tmp);
		return NULL;
	}
	close(fd);
	char why[256];
	int v = -1;
	if (store_input_copy(path, tmp, why, sizeof why) == 0) {
		struct store *copy = store_open(tmp, why, sizeof why);
		store_close(copy);
		if (copy != NULL)
			v = store_input_check(tmp, why, sizeof why);
	}
	if (v < 0 || (size_t)v != store_migrations_len) {
		snprintf(err, errlen, "%s: upgrading a copy: %s", path, why);
		store_remove_db(tmp);
		free(tmp);
		return NULL;
	}
	return tmp;
}

int store_merge(struct store *st, const char *path, struct store_merge_stats *stats, char *err,
		size_t errlen)
{
	memset(stats, 0, sizeof *stats);
	struct stat in, self;
	if (stat(path, &in) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (st->path && stat(st->path, &self) == 0 && self.st_dev == in.st_dev &&
	    self.st_ino == in.st_ino) {
		snprintf(err, errlen, "%s: is the output database", path);
		return -1;
	}
	if (store_flush(st) < 0) {
		snprintf(err, errlen, "%s", st->errbuf);
		return -1;
	}
	/* The input may come from anywhere: checked through a read-only hardened connection of its
	 * own (no triggers, no views, quick_check, every schema object ours) before it is attached,
	 * read-only, to this connection, itself defensive and not trusting schema functions. */
	char why[256];
	int v = store_input_check(path, why, sizeof why);
	if (v < 0) {
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	char *copy = NULL;
	if ((size_t)v < store_migrations_len && (copy = store_merge_upgraded_copy(st, path, err,
										   errlen)) == NULL)
		return -1;
	store_input_harden(st->db, 0);
	if (store_attach(st, copy ? copy : path) < 0) {
		snprintf(err, errlen, "%s", st->errbuf);
		if (copy)
			store_remove_db(copy);
		free(copy);
		return -1;
	}
	/* What is attached is what was checked: the schema is compared again through this
	 * connection, in case the file changed in between. */
	v = store_attached_version(st);
	if (v < 0 || (size_t)v != store_migrations_len ||
	    store_input_schema_equal(st->db, "mxs_src", v, why, sizeof why) < 0) {
		if (v < 0 || (size_t)v != store_migrations_len)
			snprintf(why, sizeof why, "schema version changed to %d while merging", v);
		snprintf(err, errlen, "%s: %s", path, why);
		store_exec(st, "DETACH DATABASE mxs_src", "detaching");
		if (copy)
			store_remove_db(copy);
		free(copy);
		return -1;
	}
	struct store_merge m = {.st = st, .stats = stats};
	int ret = store_exec(st,
			     "CREATE TEMP TABLE IF NOT EXISTS mxs_merge_map (src_id INTEGER "
			     "PRIMARY KEY, dst_id INTEGER NOT NULL, seq_off INTEGER NOT NULL);"
			     "DELETE FROM temp.mxs_merge_map",
			     "preparing the merge");
	for (int i = 0; ret == 0 && i < MERGE_MAX; i++)
		if (sqlite3_prepare_v2(st->db, store_merge_sql[i], -1, &m.stmt[i], NULL) !=
		    SQLITE_OK)
			ret = store_fail(st, "preparing the merge");
	if (ret == 0 && (ret = store_begin(st)) == 0) {
		ret = store_merge_body(&m);
		if (ret == 0)
			ret = store_commit(st);
		else
			store_exec(st, "ROLLBACK", "rollback");
		st->in_tx = 0;
	}
	for (int i = 0; i < MERGE_MAX; i++)
		sqlite3_finalize(m.stmt[i]);
	if (ret < 0) {
		snprintf(err, errlen, "%s: %s", path, st->errbuf);
		memset(stats, 0, sizeof *stats);
	}
	store_exec(st, "DROP TABLE IF EXISTS temp.mxs_merge_map", "cleaning up");
	store_exec(st, "DETACH DATABASE mxs_src", "detaching");
	if (copy)
		store_remove_db(copy);
	free(copy);
	return ret;
}
