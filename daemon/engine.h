/* engine.h — the event loop and the scheduler: one libevent base owning the DNS (getdns), HTTP
 * (curl multi) and SMTP probe machinery (probe and CRL caches, session limits); domains come
 * from a source (the SQLite queue) and are scanned under an in-flight limit, each with a
 * deadline; results go to the store's batched writer. */
#ifndef MXS_ENGINE_H
#define MXS_ENGINE_H
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct config;
struct store;
struct store_job;
struct dns;
struct http;
struct probe_cache;
struct url_cache;
struct engine;
struct score_table;

/* Claim up to max jobs into jobs; returns how many, 0 when there is nothing now, -1 on error. */
typedef int engine_source_fn(void *arg, struct store_job *jobs, size_t max);

struct engine_stats {
	uint64_t started;   /* scans started */
	uint64_t finished;  /* results handed to the store */
	uint64_t invalid;   /* inputs that were not domain names */
	uint64_t failed;    /* scans that ended in RESULT_FAILED */
	uint64_t deadline;  /* scans cut short by their deadline */
	size_t in_flight;   /* scans running now */
	uint64_t expected;  /* total the source will deliver, 0 when unknown (progress) */
	uint64_t plan_runs; /* check plan() calls of finished scans (what re-planning costs) */
	uint64_t retried;   /* scans whose domain went back to the queue for a retry */
};

struct engine *engine_new(const struct config *cfg, struct store *st, char *err, size_t errlen);
void engine_free(struct engine *e);

/* Where jobs come from. With exit_when_idle the loop ends once the source is empty and nothing
 * is in flight (one-shot scans); otherwise it polls the source every poll_ms (the daemon). */
void engine_set_source(struct engine *e, engine_source_fn *fn, void *arg, int exit_when_idle,
		       unsigned poll_ms);
/* For one-shot runs whose source holds rows waiting for a retry: ms until the first is due (0:
 * now), -1 when none waits (or on error, logged). Called with the source's arg once the source
 * is empty and nothing is in flight: the loop then waits for them instead of ending. */
typedef int64_t engine_later_fn(void *arg);
void engine_set_later(struct engine *e, engine_later_fn *fn);
void engine_set_expected(struct engine *e, uint64_t total);
void engine_set_progress(struct engine *e, int on);
/* Run the loop until done or stopped. 0 on a clean end, -1 on a store failure. */
int engine_run(struct engine *e);
/* Stop taking new domains; in-flight scans finish (bounded by their deadline), then run ends. */
void engine_drain(struct engine *e);

struct event_base *engine_base(struct engine *e);
struct dns *engine_dns(struct engine *e);
struct http *engine_http(struct engine *e);
struct probe_cache *engine_probes(struct engine *e);
struct url_cache *engine_revocation(struct engine *e);
struct url_cache *engine_https(struct engine *e);
const struct config *engine_config(struct engine *e);
struct store *engine_store(struct engine *e);
const struct engine_stats *engine_stats(const struct engine *e);
const struct score_table *engine_score_table(struct engine *e);
/* Use t (borrowed; the caller keeps it alive) instead of the built-in MECSA table. */
void engine_set_score_table(struct engine *e, const struct score_table *t);

/* For scan.c: a scan ended (its result, or with retried its return to the queue, is in the
 * store's batch). */
void engine_scan_done(struct engine *e, int deadline_hit, int failed, int invalid, int retried);
/* For scan.c: a finished scan's plan() calls, for engine_stats. */
void engine_count_plan_runs(struct engine *e, uint64_t n);

#endif
