/* dns_cache.h — the scanner's own cache of definite DNS answers (an RRset, NODATA, NXDOMAIN, with
 * their DNSSEC status), keyed by (name, type). In a survey most domains share a few providers: the
 * same MX hosts' A/AAAA/TLSA, SPF includes and CRL hosts are asked for by thousands of domains,
 * and each answer asked of getdns costs the scanner (and the resolver) far more than a copy.
 * Entries live for their TTL (the smallest of the RRset), capped; negative answers for the cap of
 * negative answers; failures (SERVFAIL, timeouts) are never cached. Bounded by count and by
 * bytes (a peer chooses its RRsets' size: a TXT answer can be 64 KB): the least recently used
 * entry goes first. */
#ifndef MXS_DNS_CACHE_H
#define MXS_DNS_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "checks/dns_answer.h"

struct dns_cache;

#define DNS_CACHE_MAX_BYTES (32u << 20) /* default max_bytes: about 100,000 typical answers */

struct dns_cache_limits {
	size_t max_entries;	/* at most this many answers kept (>= 1) */
	size_t max_bytes;	/* and at most this many bytes (0: DNS_CACHE_MAX_BYTES) */
	unsigned max_ttl_s;	/* an RRset is kept at most this long (0: nothing is cached) */
	unsigned negative_ttl_s; /* NODATA / NXDOMAIN kept this long (at most max_ttl_s) */
};

struct dns_cache *dns_cache_new(const struct dns_cache_limits *lim);
void dns_cache_free(struct dns_cache *c);

/* The fresh answer for (name, type) at now_ms (names compare case-insensitively, trailing dot
 * ignored), or NULL. Valid until the next call on the cache. */
const struct dns_answer *dns_cache_get(struct dns_cache *c, const char *name, uint16_t type,
				       int64_t now_ms);

/* Keep a copy of a when it is a definite answer with a non-zero lifetime; replaces an older one. */
void dns_cache_put(struct dns_cache *c, const struct dns_answer *a, int64_t now_ms);

struct dns_cache_stats {
	uint64_t hits;	  /* dns_cache_get calls answered */
	uint64_t misses;  /* dns_cache_get calls not answered (absent or expired) */
	size_t entries;	  /* answers kept now */
	size_t bytes;	  /* what they hold, entries included */
};
void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *out);

#endif
