/* https_cache.h — HTTPS fetches for checks (the MTA-STS policy of a policy host), made with the
 * engine's curl multi and cached per URL for the run: every scan that needs a URL waits for the
 * one fetch. Failures are results too (timeout, TLS, refused), recorded as struct https_fetch. */
#ifndef MXS_HTTPS_CACHE_H
#define MXS_HTTPS_CACHE_H
#include <stdint.h>

struct event_base;
struct http;
struct http_options;
struct https_fetch;
struct https_cache;
struct https_wait;

/* Called once per want, from the loop; f is the cache's, valid during the call only. */
typedef void https_done_fn(const struct https_fetch *f, void *arg);

/* http and opt->ca_file are borrowed (opt->resolve is ignored: each want brings its own);
 * ttl_s: how long a fetch is reused. */
struct https_cache *https_cache_new(struct event_base *base, struct http *http,
				    const struct http_options *opt, unsigned ttl_s);
/* Waiters are dropped without callbacks. Free it after http_free (which abandons transfers
 * without calling back), since a fetch in flight points at its entry. NULL is a no-op. */
void https_cache_free(struct https_cache *hc);

/* resolve: the CURLOPT_RESOLVE pin of url's host from the scanner's DNS (borrowed, copied), used
 * when this want starts the fetch; the fetch records the pin it used. */
struct https_wait *https_cache_want(struct https_cache *hc, const char *url, const char *resolve,
				    https_done_fn *cb, void *arg);
/* Stop waiting: cb will not run. The fetch itself goes on and is cached. */
void https_cache_unwant(struct https_cache *hc, struct https_wait *w);

/* Fetches started and cache answers, for progress and tests. */
uint64_t https_cache_fetches(const struct https_cache *hc);
uint64_t https_cache_hits(const struct https_cache *hc);

#endif
