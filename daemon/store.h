/* store.h — the SQLite store: campaigns, the domain queue, results, verdicts, per-MX rows and raw
 * evidence. One connection, WAL, prepared statements only, numbered migrations applied on open.
 * Results are written by a batched writer: one transaction per batch_size results or batch_ms. */
#ifndef MXS_STORE_H
#define MXS_STORE_H
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct event_base;
struct store;
struct result;
struct evidence;

struct store_job {
	int64_t queue_id;    /* queue row */
	int64_t campaign_id; /* its campaign */
	int64_t seq;	     /* input order */
	char *input;	     /* owned: the line as submitted */
	char *domain;	     /* owned: normalised name, NULL when the input is invalid */
	int attempts;	     /* attempts so far, this one included */
};

struct store_counts {
	int64_t pending, running, done, failed; /* queue rows per state */
	int64_t retry; /* of the pending, those waiting for a retry (scanned before, transient
			  failures only) */
};

/* Open (creating) path, or an in-memory database when path is NULL or "". A file it creates is
 * mode 0600 (less the umask). Applies migrations, sets WAL and foreign keys. NULL with err
 * filled on failure. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
int store_schema_version(struct store *st);
const char *store_errmsg(struct store *st);
/* The connection (borrowed), for the read-only queries of the reports over the v_* views. */
struct sqlite3 *store_db(struct store *st);

/* SQLite's page cache for this connection, in megabytes (SQLite's default is 2): bulk writers
 * into big indexes (submit) read far fewer pages back with more. 0, or -1. */
int store_set_cache_mb(struct store *st, unsigned mb);

/* Batching parameters; with a base, a timer commits a partial batch after batch_ms. */
void store_set_batching(struct store *st, struct event_base *base, unsigned batch_size,
			unsigned batch_ms);

/* Campaign names: 1 to STORE_CAMPAIGN_NAME_MAX bytes of printable UTF-8 (no control characters,
 * no leading or trailing space). 0, or -1 with the reason in why. */
#define STORE_CAMPAIGN_NAME_MAX 128
int store_campaign_name_check(const char *name, char *why, size_t whylen);

/* Campaigns. Returns the id, or -1. create fails when the name exists or is not a valid name
 * (store_errmsg says which). */
int64_t store_campaign_create(struct store *st, const char *name, const char *config_snapshot);
int64_t store_campaign_find(struct store *st, const char *name);
int store_campaign_set_state(struct store *st, int64_t campaign_id, const char *state);

/* A campaign's states as stored (schema/001_initial.sql), in merge order: merging two campaigns
 * keeps the lower state (an active shard keeps the merged campaign active). */
enum store_campaign_state {
	STORE_CAMPAIGN_ACTIVE = 0, /* its pending rows are scanned */
	STORE_CAMPAIGN_PAUSED,	   /* kept, not scanned until resumed */
	STORE_CAMPAIGN_CANCELLED,  /* its pending rows are never scanned */
	STORE_CAMPAIGN_DONE,	   /* nothing pending or running any more */
	STORE_CAMPAIGN_STATE_MAX
};
#define STORE_CAMPAIGN_BIT(s) (1u << (unsigned)(s))

const char *store_campaign_state_name(enum store_campaign_state s);
int store_campaign_state_parse(const char *name); /* -1 when unknown */

struct store_campaign {
	int64_t id;			 /* row id */
	char *name;			 /* owned */
	enum store_campaign_state state; /* where it is */
	int64_t created_at;		 /* ms since the epoch */
	int64_t started_at;		 /* ms, 0 when not recorded */
	int64_t finished_at;		 /* ms, 0 while not done or cancelled */
	char *config;			 /* owned: configuration snapshot (JSON), may be NULL */
};

/* Read campaign id into out (store_campaign_clear it). 1 found, 0 no such campaign, -1 error. */
int store_campaign_get(struct store *st, int64_t id, struct store_campaign *out);
void store_campaign_clear(struct store_campaign *c);
/* Every campaign in id order; c is valid during the call only. Non-zero from cb stops the walk. */
typedef int store_campaign_fn(const struct store_campaign *c, void *arg);
int store_foreach_campaign(struct store *st, store_campaign_fn *cb, void *arg);
/* Move the campaign to state to when its current state is in from_mask (STORE_CAMPAIGN_BIT of
 * each). finished_at is set by done/cancelled and cleared by active. 1 moved, 0 not moved (other
 * state, or no such campaign), -1 error. */
int store_campaign_transition(struct store *st, int64_t id, unsigned from_mask,
			      enum store_campaign_state to);
/* Active campaigns with no pending or running row become done, finished now. How many, or -1. */
int store_campaigns_finish(struct store *st);

/* Queue. Enqueue many rows between store_begin/store_commit. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_enqueue(struct store *st, int64_t campaign_id, int64_t seq, const char *input,
		  const char *domain);
/* Enqueue unless the campaign already has a row for this domain (for an input that is not a valid
 * name, domain NULL: for this same input line): submitting twice is harmless. seq is the wanted
 * input position; when rows were added concurrently past it, the row goes after the last one.
 * 1 queued, 0 already there, -1 error. */
int store_enqueue_unique(struct store *st, int64_t campaign_id, int64_t seq, const char *input,
			 const char *domain);
/* The seq after the campaign's last row (0 when it has none), or -1. */
int64_t store_campaign_next_seq(struct store *st, int64_t campaign_id);
/* Claim up to max pending rows of active campaigns (campaign_id 0: any), oldest first, marking
 * them running and counting the attempt. Returns how many were written to jobs (owned by the
 * caller: store_job_clear each). -1 on error. With campaign_id 0 the active campaigns share the
 * claim (an equal part each, the rest to those that have more), so a small campaign submitted
 * during a big one is not stuck behind it. */
int store_claim(struct store *st, int64_t campaign_id, struct store_job *jobs, size_t max);
void store_job_clear(struct store_job *job);
/* Rows left running by a process that died go back to pending. Returns how many. */
int store_requeue_running(struct store *st);
int store_counts(struct store *st, int64_t campaign_id, struct store_counts *out);

/* Pending rows of active campaigns: what the daemon has left to do. -1 on error. */
int64_t store_pending_active(struct store *st);
/* Results stored at or after since_ms (campaign_id 0: any) and the oldest of their times (0 when
 * none): the recent rate. 0, or -1. */
int store_recent_results(struct store *st, int64_t campaign_id, int64_t since_ms, int64_t *count,
			 int64_t *oldest_ms);

/* Refuse a second daemon on the same database: an exclusive flock(2) on a descriptor of the
 * file, held until store_close (SQLite's own locks are POSIX locks, independent of it). 0, or -1
 * with the reason in err. An in-memory store needs no lock. */
int store_lock_exclusive(struct store *st, char *err, size_t errlen);

/* Batched writer: queue the result (and its evidence, may be NULL) of a claimed job; the row
 * becomes done (or failed, for RESULT_FAILED) in the same transaction as its result. One result
 * that cannot be stored never takes the others down: a result that cannot be written as JSON,
 * or that the database refuses (a constraint, a value too big), is replaced by a failed result
 * saying why, and the batch is written again without it (logged). */
void store_put_result(struct store *st, const struct store_job *job, const struct result *res,
		      const struct evidence *ev, int64_t duration_ms);
/* Batched with the results: the claimed job's row goes back to pending, not to be claimed
 * before retry_at_ms (ms since the epoch), without a result (the next scan's is kept). */
void store_put_retry(struct store *st, const struct store_job *job, int64_t retry_at_ms);
/* Rows waiting for a retry (campaign_id 0: any) and when the first is due (ms, 0 when none).
 * 0, or -1. */
int store_retry_waiting(struct store *st, int64_t campaign_id, int64_t *count, int64_t *first_ms);
/* Commit what is queued. 0 on success, -1 on an error of the store itself (busy, disk full,
 * I/O): the batch is kept, and retried by the batch timer (every second) or the next flush. */
int store_flush(struct store *st);
/* When commits started failing (ms since the epoch), 0 while they work: how long the store has
 * refused the results, for the caller's decision to give up. */
int64_t store_failing_since(const struct store *st);
size_t store_unflushed(const struct store *st);

/* Read back results of a campaign in input order; cb gets the stored output object (borrowed).
 * A non-zero return from cb stops the walk. */
typedef int store_result_fn(json_t *result, void *arg);
int store_foreach_result(struct store *st, int64_t campaign_id, store_result_fn *cb, void *arg);
/* The same walk without parsing: cb gets the stored text (compact JSON, non-ASCII escaped as
 * \uXXXX; borrowed, NUL-terminated, len bytes). */
typedef int store_result_text_fn(const char *json, size_t len, void *arg);
int store_foreach_result_text(struct store *st, int64_t campaign_id, store_result_text_fn *cb,
			      void *arg);

/* A cursor over a campaign's results, with its own statement (several may be open at once, e.g.
 * to walk two campaigns side by side). */
enum store_order {
	STORE_ORDER_INPUT = 0, /* input order (seq) */
	STORE_ORDER_DOMAIN,    /* by domain (bytewise), then input order */
};
struct store_row {
	int64_t result_id;   /* results row */
	int64_t seq;	     /* input position */
	const char *input;   /* borrowed (valid until the next step): the line as submitted */
	const char *domain;  /* borrowed (likewise): the results row's domain */
	int64_t scanned_at;  /* ms since the epoch */
	int64_t duration_ms; /* how long the scan took */
	json_t *result;	     /* borrowed (likewise): the stored output object */
};
struct store_cursor;
struct store_cursor *store_cursor_open(struct store *st, int64_t campaign_id,
				       enum store_order order);
/* 1 with row filled, 0 at the end, -1 on a store error or an unreadable result. */
int store_cursor_next(struct store_cursor *c, struct store_row *row);
void store_cursor_free(struct store_cursor *c);

/* Rescoring: stored evidence, page by page, and replacing a result's judgement in place. */
struct store_evidence_row {
	int64_t result_id; /* results row */
	char *evidence;	   /* owned: evidence JSON text */
	char *result;	   /* owned: the stored result JSON text */
	int attempts;	   /* the queue row's scans (kept in the rewritten result) */
};
/* Up to max results with evidence of the campaign (0: all) whose id is above after_id, in id
 * order, into rows (free each .evidence and .result). How many, or -1. */
int store_evidence_page(struct store *st, int64_t campaign_id, int64_t after_id,
			struct store_evidence_row *rows, size_t max);
/* Rewrite result_id's state, reason, scores, result_json, verdict and MX rows from res (scan
 * time, duration and evidence kept). Call between store_begin and store_commit. 0, or -1. */
int store_replace_result(struct store *st, int64_t result_id, const struct result *res);

/* Merging a shard's database into this one. Campaigns are matched by name (a new name is
 * created); queue rows, results, verdicts, MX rows and evidence are copied with new ids; a row
 * whose domain (or, when invalid, input line) the merged campaign already has is skipped, so a
 * database merged twice adds nothing. Input positions are kept unless they collide with the
 * campaign's own, then they follow its last row. Rows left running by a killed shard come in as
 * pending. One transaction per source. */
struct store_merge_stats {
	int64_t campaigns_new;	  /* campaigns created */
	int64_t campaigns_merged; /* campaigns matched by name */
	int64_t queued;		  /* queue rows copied */
	int64_t duplicates;	  /* queue rows skipped (already there) */
	int64_t results;	  /* results copied */
};
int store_merge(struct store *st, const char *path, struct store_merge_stats *stats, char *err,
		size_t errlen);

#endif
