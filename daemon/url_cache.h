/* url_cache.h — fetches made with the engine's curl multi and cached per URL for the run: every
 * scan that needs a URL waits for the one fetch. What a fetch records (a CRL, an MTA-STS policy)
 * is the ops' business; failures are results too. */
#ifndef MXS_URL_CACHE_H
#define MXS_URL_CACHE_H
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http;
struct http_options;
struct http_response;
struct url_cache;
struct url_wait;

/* How one kind of fetch is recorded into its result struct (of ops->size bytes, zeroed). */
struct url_cache_ops {
	size_t size;							 /* of the result */
	void (*start)(void *result, const char *url, const char *resolve); /* fetch begins */
	void (*record)(void *result, const struct http_response *r);	 /* fetch ended */
	void (*fail)(void *result, const char *why);			 /* never started */
	void (*clear)(void *result);					 /* free its members */
	size_t (*footprint)(const void *result); /* bytes its members hold (NULL: none counted) */
};

/* Called once per want, from the loop; result is the cache's, valid during the call only. */
typedef void url_done_fn(const void *result, void *arg);

/* http, ops and opt->ca_file are borrowed (opt->resolve is ignored: each want brings its own);
 * ttl_s: how long a fetch is reused; max_bytes: what finished fetches may hold in all (0:
 * URL_CACHE_MAX_BYTES), the oldest forgotten first. Peers choose their bodies (up to the HTTP cap
 * each) and campaigns their URLs, so only a byte bound holds memory down. */
struct url_cache *url_cache_new(struct event_base *base, struct http *http,
				const struct http_options *opt, unsigned ttl_s, size_t max_bytes,
				const struct url_cache_ops *ops);

#define URL_CACHE_MAX_BYTES (32u << 20) /* default max_bytes */
/* Waiters are dropped without callbacks. Free it after http_free (which abandons transfers
 * without calling back), since a fetch in flight points at its entry. NULL is a no-op. */
void url_cache_free(struct url_cache *uc);

/* resolve: the CURLOPT_RESOLVE pin of url's host from the scanner's DNS (borrowed), or NULL for
 * an IP-literal URL; used only when this want starts the fetch. cb never runs from inside. */
struct url_wait *url_cache_want(struct url_cache *uc, const char *url, const char *resolve,
				url_done_fn *cb, void *arg);
/* Stop waiting: cb will not run. The fetch itself goes on and is cached. */
void url_cache_unwant(struct url_cache *uc, struct url_wait *w);

/* Fetches started and cache answers, for progress and tests. */
uint64_t url_cache_fetches(const struct url_cache *uc);
uint64_t url_cache_hits(const struct url_cache *uc);
/* What the finished fetches kept hold now, entries included. */
size_t url_cache_bytes(const struct url_cache *uc);

#endif
