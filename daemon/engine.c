/* engine.c — the loop and the scheduler. Owns the event base, the DNS and HTTP machinery, the SMTP
 * probe cache (with its session limits), the CRL cache, the CA bundle the certificate checks
 * trust, and the refill/progress/signal events; borrows the configuration and the store. Scans
 * own themselves and report back through engine_scan_done. */
#include "daemon/engine.h"

#include <event2/event.h>
#include <openssl/x509_vfy.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "checks/dkim.h"
#include "checks/score.h"
#include "checks/x509.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/config.h"
#include "daemon/der_cache.h"
#include "daemon/dns.h"
#include "daemon/evlog.h"
#include "daemon/http.h"
#include "daemon/https_cache.h"
#include "daemon/probe_cache.h"
#include "daemon/scan.h"
#include "daemon/scoring_load.h"
#include "daemon/store.h"
#include "daemon/tls.h"

#define ENGINE_CLAIM_BATCH 256 /* jobs claimed from the queue per transaction */
#define ENGINE_CRL_MAX_BYTES (512 * 1024) /* larger CRLs are "unknown" (and kept out of evidence) */
#define ENGINE_REVOCATION_REDIRECTS 4	  /* redirects a CRL or OCSP fetch follows; more fail */
#define ENGINE_MTA_STS_REUSE_S 60 /* how long a fetched MTA-STS policy serves the same URL again */

struct engine {
	struct event_base *base;	  /* owned */
	const struct config *cfg;	  /* borrowed */
	struct store *store;		  /* borrowed */
	struct dns *dns;		  /* owned */
	struct http *http;		  /* owned */
	struct probe_cache *probes;	  /* owned: SMTP probes and their limits */
	struct url_cache *revocation;	  /* owned: CRL and OCSP fetches per URL */
	struct url_cache *https;	  /* owned: MTA-STS policy fetches per URL (policy host) */
	X509_STORE *trust;		  /* owned: tls.ca_file, lent to checks/x509.c */
	char ehlo[256];			  /* the EHLO name actually sent */
	const struct score_table *score;  /* borrowed (built-in by default) */
	struct score_table *score_owned;  /* owned: the table loaded from scoring.file, or NULL */
	engine_source_fn *source;	  /* where jobs come from */
	void *source_arg;		  /* borrowed */
	int exit_when_idle;		  /* one-shot: end when the source is empty */
	unsigned poll_ms;		  /* daemon: how often to look for new work */
	int source_empty;		  /* the last claim found nothing */
	int draining;			  /* no new scans */
	int store_failed;		  /* a batch could not be committed */
	struct event *refill;		  /* owned: claims jobs (activated, or polled) */
	struct event *progress;		  /* owned: progress line timer, or NULL */
	struct event *sigint, *sigterm;	  /* owned: drain on the first, exit on the second */
	struct engine_stats stats;	  /* counters */
	struct timeval start;		  /* when run began */
};

static void engine_schedule_refill(struct engine *e, unsigned delay_ms)
{
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
	event_add(e->refill, &tv);
}

static int engine_idle(const struct engine *e)
{
	return e->stats.in_flight == 0 && (e->source_empty || e->draining);
}

static void engine_maybe_end(struct engine *e)
{
	if (!engine_idle(e))
		return;
	if (e->exit_when_idle || e->draining) {
		if (store_flush(e->store) < 0)
			e->store_failed = 1;
		event_base_loopbreak(e->base);
	}
}

static void engine_on_refill(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct engine *e = arg;
	static struct store_job jobs[ENGINE_CLAIM_BATCH];
	while (!e->draining && e->stats.in_flight < e->cfg->max_in_flight) {
		size_t room = e->cfg->max_in_flight - e->stats.in_flight;
		if (room > ENGINE_CLAIM_BATCH)
			room = ENGINE_CLAIM_BATCH;
		int n = e->source(e->source_arg, jobs, room);
		if (n < 0) {
			log_err("cannot take work from the queue; stopping");
			e->store_failed = 1;
			e->draining = 1;
			break;
		}
		e->source_empty = n == 0;
		for (int i = 0; i < n; i++) {
			e->stats.in_flight++;
			e->stats.started++;
			scan_start(e, &jobs[i]);
		}
		if (n == 0)
			break;
	}
	if (e->source_empty && !e->exit_when_idle && !e->draining)
		engine_schedule_refill(e, e->poll_ms);
	engine_maybe_end(e);
}

void engine_count_plan_runs(struct engine *e, uint64_t n)
{
	e->stats.plan_runs += n;
}

void engine_scan_done(struct engine *e, int deadline_hit, int failed, int invalid)
{
	e->stats.in_flight--;
	e->stats.finished++;
	e->stats.deadline += deadline_hit != 0;
	e->stats.failed += failed != 0;
	e->stats.invalid += invalid != 0;
	if (!e->draining && !e->source_empty)
		event_active(e->refill, EV_TIMEOUT, 0);
	engine_maybe_end(e);
}

static double engine_elapsed(const struct engine *e)
{
	struct timeval now;
	gettimeofday(&now, NULL);
	return (double)(now.tv_sec - e->start.tv_sec) + (now.tv_usec - e->start.tv_usec) / 1e6;
}

static void engine_on_progress(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct engine *e = arg;
	double t = engine_elapsed(e);
	fprintf(stderr, "\r%llu/%llu done, %.1f domains/s, %zu in flight, %llu invalid, %llu "
			"deadline   ",
		(unsigned long long)e->stats.finished, (unsigned long long)e->stats.expected,
		t > 0 ? (double)e->stats.finished / t : 0.0, e->stats.in_flight,
		(unsigned long long)e->stats.invalid, (unsigned long long)e->stats.deadline);
	fflush(stderr);
}

static void engine_on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct engine *e = arg;
	if (e->draining) {
		log_warn("second signal: stopping now; unfinished domains stay queued");
		event_base_loopbreak(e->base);
		return;
	}
	log_warn("signal %d: finishing the %zu domains in flight", (int)sig, e->stats.in_flight);
	engine_drain(e);
}

/* The SMTP side: the CA bundle for the certificate checks, the probe cache with the configured
 * limits and timeouts, the CRL cache. */
static int engine_smtp_init(struct engine *e, char *err, size_t errlen)
{
	const struct config *cfg = e->cfg;
	e->trust = tls_trust_load(cfg->ca_file, err, errlen);
	if (e->trust == NULL)
		return -1;
	x509_set_trust(e->trust);
	if (cfg->ehlo_name && cfg->ehlo_name[0])
		snprintf(e->ehlo, sizeof e->ehlo, "%s", cfg->ehlo_name);
	else if (gethostname(e->ehlo, sizeof e->ehlo - 1) != 0 || e->ehlo[0] == '\0')
		snprintf(e->ehlo, sizeof e->ehlo, "localhost");
	struct smtp_options opt = {
		.ehlo_name = e->ehlo,
		.connect_timeout_ms = cfg->connect_timeout_s * 1000,
		.reply_timeout_ms = cfg->reply_timeout_s * 1000,
	};
	struct probe_limits lim = {
		.max_sessions = cfg->smtp_max_sessions,
		.per_address = cfg->smtp_per_address,
		.rate_per_address = cfg->smtp_rate_per_address,
		.connect_rate = cfg->connect_rate,
		.ttl_s = cfg->probe_cache_ttl_s,
		.max_done_bytes = (size_t)cfg->probe_cache_mb << 20,
		.max_attempts = cfg->smtp_attempts,
		.retry_ms = cfg->smtp_retry_s * 1000,
		.exclude = cfg->exclude.items,
		.n_exclude = cfg->exclude.n,
	};
	e->probes = probe_cache_new(e->base, &opt, &lim, err, errlen);
	if (e->probes == NULL)
		return -1;
	struct http_options hopt = {
		.ca_file = cfg->ca_file,
		.timeout_ms = (long)cfg->http_timeout_s * 1000,
		.max_bytes = ENGINE_CRL_MAX_BYTES,
		.max_redirects = ENGINE_REVOCATION_REDIRECTS,
	};
	size_t cache_bytes = (size_t)cfg->http_cache_mb << 20;
	e->revocation = url_cache_new(e->base, e->http, &hopt, cfg->probe_cache_ttl_s, cache_bytes,
				      &der_cache_ops);
	/* MTA-STS (RFC 8461 §3.3): the policy's own cap, and a 3xx is an answer, not followed.
	 * A policy URL names one domain, so a fetch is kept only briefly (a domain listed twice
	 * in a row); kept for the probe TTL, a 1M campaign held 20,000 policies, and hostile
	 * domains could fill memory with bodies at the cap. */
	hopt.max_bytes = cfg->http_max_bytes;
	hopt.max_redirects = 0;
	e->https = url_cache_new(e->base, e->http, &hopt, ENGINE_MTA_STS_REUSE_S, cache_bytes,
				 &https_cache_ops);
	return 0;
}

struct engine *engine_new(const struct config *cfg, struct store *st, char *err, size_t errlen)
{
	struct engine *e = xcalloc(1, sizeof *e);
	e->cfg = cfg;
	e->store = st;
	e->score = score_table_builtin();
	static const char *const no_selectors[1];
	if (!cfg->dkim_probe_selectors)
		dkim_set_selectors(no_selectors, 0);
	else if (cfg->dkim_selectors.n)
		dkim_set_selectors((const char *const *)cfg->dkim_selectors.items,
				   cfg->dkim_selectors.n);
	else
		dkim_set_selectors(NULL, 0); /* the built-in list (again, after a reload) */
	if (cfg->scoring_file && cfg->scoring_file[0]) {
		if (scoring_load(cfg->scoring_file, &e->score_owned, err, errlen) < 0) {
			free(e);
			return NULL;
		}
		e->score = e->score_owned;
	}
	evlog_init();
	e->base = event_base_new();
	if (e->base == NULL) {
		snprintf(err, errlen, "cannot create the event loop");
		free(e);
		return NULL;
	}
	e->dns = dns_new(e->base, cfg, err, errlen);
	if (e->dns == NULL) {
		engine_free(e);
		return NULL;
	}
	e->http = http_new(e->base, err, errlen);
	if (e->http == NULL) {
		engine_free(e);
		return NULL;
	}
	if (engine_smtp_init(e, err, errlen) < 0) {
		engine_free(e);
		return NULL;
	}
	e->refill = evtimer_new(e->base, engine_on_refill, e);
	e->sigint = evsignal_new(e->base, SIGINT, engine_on_signal, e);
	e->sigterm = evsignal_new(e->base, SIGTERM, engine_on_signal, e);
	event_add(e->sigint, NULL);
	event_add(e->sigterm, NULL);
	store_set_batching(st, e->base, cfg->batch_size, cfg->batch_ms);
	return e;
}

void engine_free(struct engine *e)
{
	if (e == NULL)
		return;
	if (e->store)
		store_set_batching(e->store, NULL, e->cfg->batch_size, e->cfg->batch_ms);
	if (e->revocation && e->https)
		log_debug("fetch caches hold %zu KB of CRL/OCSP responses, %zu KB of MTA-STS policies",
			  url_cache_bytes(e->revocation) >> 10, url_cache_bytes(e->https) >> 10);
	/* Sessions first (they only hold sockets), then HTTP, which abandons CRL fetches without
	 * calling back, so that the CRL cache can go. */
	probe_cache_free(e->probes);
	http_free(e->http);
	url_cache_free(e->revocation);
	url_cache_free(e->https);
	if (e->trust) {
		if (x509_trust() == e->trust)
			x509_set_trust(NULL);
		X509_STORE_free(e->trust);
	}
	log_debug("planning: %llu plan runs for %llu scans",
		  (unsigned long long)e->stats.plan_runs, (unsigned long long)e->stats.finished);
	if (e->dns) {
		struct dns_stats ds;
		dns_stats(e->dns, &ds);
		log_debug("dns: %llu lookups: %llu from the cache, %llu joined a query in flight; "
			  "%llu queries; the cache holds %zu answers, %zu KB", (unsigned long long)ds.lookups,
			  (unsigned long long)ds.cache_hits, (unsigned long long)ds.joined,
			  (unsigned long long)ds.queries, ds.cache_entries, ds.cache_bytes >> 10);
	}
	dns_free(e->dns);
	if (e->refill)
		event_free(e->refill);
	if (e->progress)
		event_free(e->progress);
	if (e->sigint)
		event_free(e->sigint);
	if (e->sigterm)
		event_free(e->sigterm);
	if (e->base)
		event_base_free(e->base);
	score_table_free(e->score_owned);
	free(e);
}

void engine_set_source(struct engine *e, engine_source_fn *fn, void *arg, int exit_when_idle,
		       unsigned poll_ms)
{
	e->source = fn;
	e->source_arg = arg;
	e->exit_when_idle = exit_when_idle;
	e->poll_ms = poll_ms ? poll_ms : 1000;
}

void engine_set_expected(struct engine *e, uint64_t total)
{
	e->stats.expected = total;
}

void engine_set_progress(struct engine *e, int on)
{
	if (on && e->progress == NULL) {
		e->progress = event_new(e->base, -1, EV_PERSIST, engine_on_progress, e);
		struct timeval tv = {1, 0};
		event_add(e->progress, &tv);
	}
}

int engine_run(struct engine *e)
{
	gettimeofday(&e->start, NULL);
	event_active(e->refill, EV_TIMEOUT, 0);
	event_base_dispatch(e->base);
	if (e->progress) {
		engine_on_progress(-1, 0, e);
		fputc('\n', stderr);
	}
	if (store_flush(e->store) < 0)
		e->store_failed = 1;
	return e->store_failed ? -1 : 0;
}

void engine_drain(struct engine *e)
{
	e->draining = 1;
	event_del(e->refill);
	engine_maybe_end(e);
}

struct event_base *engine_base(struct engine *e) { return e->base; }
struct dns *engine_dns(struct engine *e) { return e->dns; }
struct http *engine_http(struct engine *e) { return e->http; }
struct probe_cache *engine_probes(struct engine *e) { return e->probes; }
struct url_cache *engine_revocation(struct engine *e) { return e->revocation; }
struct url_cache *engine_https(struct engine *e) { return e->https; }
const struct config *engine_config(struct engine *e) { return e->cfg; }
struct store *engine_store(struct engine *e) { return e->store; }
const struct engine_stats *engine_stats(const struct engine *e) { return &e->stats; }
const struct score_table *engine_score_table(struct engine *e) { return e->score; }
void engine_set_score_table(struct engine *e, const struct score_table *t) { e->score = t; }
