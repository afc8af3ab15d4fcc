/* crl_cache.h — CRLs for the x509 check, fetched over HTTP(S) with the engine's curl multi and
 * cached per URL for the campaign: every scan that needs a URL waits for the one fetch. Failures
 * are results too (an unreachable CRL makes revocation "unknown", never "revoked"). */
#ifndef MXS_CRL_CACHE_H
#define MXS_CRL_CACHE_H
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct http;
struct http_options;
struct crl_fetch;
struct crl_cache;
struct crl_wait;

/* Called once per want, from the loop; c is the cache's, valid during the call only. */
typedef void crl_done_fn(const struct crl_fetch *c, void *arg);

/* http and opt->ca_file are borrowed; ttl_s: how long a fetch is reused. */
struct crl_cache *crl_cache_new(struct event_base *base, struct http *http,
				const struct http_options *opt, unsigned ttl_s);
/* Waiters are dropped without callbacks. Free it after http_free (which abandons transfers
 * without calling back), since a fetch in flight points at its entry. */
void crl_cache_free(struct crl_cache *cc);

/* resolve: the CURLOPT_RESOLVE pin of url's host from the scanner's DNS (x509_crl_resolve), or
 * NULL for an IP-literal URL; used only when this want starts the fetch. */
struct crl_wait *crl_cache_want(struct crl_cache *cc, const char *url, const char *resolve,
				crl_done_fn *cb, void *arg);
/* Stop waiting: cb will not run. The fetch itself goes on and is cached. */
void crl_cache_unwant(struct crl_cache *cc, struct crl_wait *w);

/* Fetches started and cache answers, for progress and tests. */
uint64_t crl_cache_fetches(const struct crl_cache *cc);
uint64_t crl_cache_hits(const struct crl_cache *cc);

#endif
