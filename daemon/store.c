/* store.c — SQLite persistence. Owns the connection, its prepared statements and the batch of
 * results not yet committed. Every statement is prepared once at open; nothing is built with
 * string formatting. */
#include "daemon/store.h"

#include <event2/event.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "checks/check.h"
#include "checks/evidence_json.h"
#include "checks/result_json.h"
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
	[STMT_CLAIM_ANY_SELECT] = "SELECT q.id, q.campaign_id, q.seq, q.input, q.domain, q.attempts "
				  "FROM queue q JOIN campaigns c ON c.id = q.campaign_id "
				  "WHERE q.state = 'pending' AND c.state = 'active' "
				  "ORDER BY q.id LIMIT ?1",
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
	json_t *result;		/* owned: for verdict and MX rows */
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
	int memory = path == NULL || path[0] == '\0';
	int rc = sqlite3_open_v2(memory ? ":memory:" : path, &st->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 NULL);
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
	json_decref(p->result);
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

int store_claim(struct store *st, int64_t campaign_id, struct store_job *jobs, size_t max)
{
	if (max == 0)
		return 0;
	sqlite3_stmt *sel = st->stmt[campaign_id ? STMT_CLAIM_SELECT : STMT_CLAIM_ANY_SELECT];
	if (campaign_id) {
		sqlite3_bind_int64(sel, 1, campaign_id);
		sqlite3_bind_int64(sel, 2, (sqlite3_int64)max);
	} else {
		sqlite3_bind_int64(sel, 1, (sqlite3_int64)max);
	}
	if (store_begin(st) < 0) {
		sqlite3_clear_bindings(sel);
		return -1;
	}
	size_t n = 0;
	int rc;
	while (n < max && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
		struct store_job *j = &jobs[n++];
		j->queue_id = sqlite3_column_int64(sel, 0);
		j->campaign_id = sqlite3_column_int64(sel, 1);
		j->seq = sqlite3_column_int64(sel, 2);
		j->input = store_column_dup(sel, 3);
		j->domain = store_column_dup(sel, 4);
		j->attempts = sqlite3_column_int(sel, 5) + 1;
	}
	sqlite3_reset(sel);
	sqlite3_clear_bindings(sel);
	int64_t now = store_now_ms();
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *up = st->stmt[STMT_CLAIM_UPDATE];
		sqlite3_bind_int64(up, 1, jobs[i].queue_id);
		sqlite3_bind_int64(up, 2, now);
		if (store_step_done(st, up, "claiming") < 0)
			goto fail;
	}
	if (store_commit(st) < 0)
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
	p->result = result_to_json(res);
	p->result_json = json_dumps(p->result, JSON_COMPACT | JSON_ENSURE_ASCII);
	if (ev) {
		json_t *e = evidence_to_json(ev);
		p->evidence_json = json_dumps(e, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(e);
	}
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

static int store_write_verdicts(struct store *st, int64_t rid, json_t *result)
{
	const char *name;
	json_t *c;
	json_object_foreach(json_object_get(result, "checks"), name, c)
	{
		sqlite3_stmt *s = st->stmt[STMT_VERDICT_INSERT];
		sqlite3_bind_int64(s, 1, rid);
		sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
		store_bind_text_or_null(s, 3, json_string_value(json_object_get(c, "status")));
		store_bind_text_or_null(s, 4, json_string_value(json_object_get(c, "reason")));
		if (store_step_done(st, s, "inserting verdict") < 0)
			return -1;
	}
	return 0;
}

static int store_write_mx_row(struct store *st, int64_t rid, json_t *host, const char *address,
			      int family, const char *dnssec)
{
	sqlite3_stmt *s = st->stmt[STMT_MX_INSERT];
	sqlite3_bind_int64(s, 1, rid);
	store_bind_text_or_null(s, 2, json_string_value(json_object_get(host, "name")));
	sqlite3_bind_int64(s, 3, json_integer_value(json_object_get(host, "pref")));
	store_bind_text_or_null(s, 4, address);
	if (family)
		sqlite3_bind_int(s, 5, family);
	store_bind_text_or_null(s, 6, dnssec);
	json_t *probes = json_object_get(host, "probes");
	json_t *probe = address && probes ? json_object_get(probes, address) : NULL;
	char *detail = probe ? json_dumps(probe, JSON_COMPACT) : NULL;
	store_bind_text_or_null(s, 7, detail);
	free(detail);
	return store_step_done(st, s, "inserting MX row");
}

static int store_write_mx(struct store *st, int64_t rid, json_t *result)
{
	json_t *mx = json_object_get(json_object_get(result, "checks"), "mx");
	json_t *hosts = json_object_get(json_object_get(mx, "detail"), "hosts");
	size_t i;
	json_t *h;
	json_array_foreach(hosts, i, h)
	{
		int rows = 0;
		static const char *const fam_key[2] = {"a", "aaaa"};
		for (int f = 0; f < 2; f++) {
			json_t *ans = json_object_get(h, fam_key[f]);
			const char *dnssec = json_string_value(json_object_get(ans, "dnssec"));
			size_t k;
			json_t *addr;
			json_array_foreach(json_object_get(ans, "addresses"), k, addr)
			{
				if (store_write_mx_row(st, rid, h, json_string_value(addr),
						       f ? 6 : 4, dnssec) < 0)
					return -1;
				rows++;
			}
		}
		if (rows == 0 && store_write_mx_row(st, rid, h, NULL, 0, NULL) < 0)
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
	if (store_write_verdicts(st, rid, p->result) < 0 || store_write_mx(st, rid, p->result) < 0)
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

int store_foreach_result(struct store *st, int64_t campaign_id, store_result_fn *cb, void *arg)
{
	sqlite3_stmt *s = st->stmt[STMT_FOREACH];
	sqlite3_bind_int64(s, 1, campaign_id);
	int rc, ret = 0;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		json_error_t jerr;
		const char *text = (const char *)sqlite3_column_text(s, 0);
		json_t *j = json_loads(text, 0, &jerr);
		if (j == NULL) {
			log_err("store: unreadable result: %s", jerr.text);
			ret = -1;
			break;
		}
		int stop = cb(j, arg);
		json_decref(j);
		if (stop)
			break;
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		ret = store_fail(st, "reading results");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return ret;
}
