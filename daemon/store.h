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
};

/* Open (creating) path, or an in-memory database when path is NULL or "". Applies migrations,
 * sets WAL and foreign keys. NULL with err filled on failure. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
int store_schema_version(struct store *st);
const char *store_errmsg(struct store *st);

/* Batching parameters; with a base, a timer commits a partial batch after batch_ms. */
void store_set_batching(struct store *st, struct event_base *base, unsigned batch_size,
			unsigned batch_ms);

/* Campaigns. Returns the id, or -1. create fails when the name exists. */
int64_t store_campaign_create(struct store *st, const char *name, const char *config_snapshot);
int64_t store_campaign_find(struct store *st, const char *name);
int store_campaign_set_state(struct store *st, int64_t campaign_id, const char *state);

/* Queue. Enqueue many rows between store_begin/store_commit. */
int store_begin(struct store *st);
int store_commit(struct store *st);
int store_enqueue(struct store *st, int64_t campaign_id, int64_t seq, const char *input,
		  const char *domain);
/* Claim up to max pending rows of active campaigns (campaign_id 0: any), oldest first, marking
 * them running and counting the attempt. Returns how many were written to jobs (owned by the
 * caller: store_job_clear each). -1 on error. */
int store_claim(struct store *st, int64_t campaign_id, struct store_job *jobs, size_t max);
void store_job_clear(struct store_job *job);
/* Rows left running by a process that died go back to pending. Returns how many. */
int store_requeue_running(struct store *st);
int store_counts(struct store *st, int64_t campaign_id, struct store_counts *out);

/* Batched writer: queue the result (and its evidence, may be NULL) of a claimed job; the row
 * becomes done (or failed, for RESULT_FAILED) in the same transaction as its result. */
void store_put_result(struct store *st, const struct store_job *job, const struct result *res,
		      const struct evidence *ev, int64_t duration_ms);
/* Commit what is queued. 0 on success, -1 on error (the batch is kept for a retry). */
int store_flush(struct store *st);
size_t store_unflushed(const struct store *st);

/* Read back results of a campaign in input order; cb gets the stored output object (borrowed).
 * A non-zero return from cb stops the walk. */
typedef int store_result_fn(json_t *result, void *arg);
int store_foreach_result(struct store *st, int64_t campaign_id, store_result_fn *cb, void *arg);

#endif
