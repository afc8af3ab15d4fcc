/* probe_cache.h — SMTP probes shared by every scan of a campaign: one probe per (address, port,
 * SNI host) within the TTL; scans wanting a probe that is queued or running wait for it. Owns the
 * limits: concurrent sessions overall and per destination address, a per-address connection rate
 * and a global connect rate, the exclude list (checked before any packet), and retries with
 * backoff for servers that rate-limit (421 or 4xx greeting, 4xx to EHLO, reset after the
 * greeting) before giving the verdict "rate-limited". */
#ifndef MXS_PROBE_CACHE_H
#define MXS_PROBE_CACHE_H
#include <stddef.h>
#include <stdint.h>

#include "daemon/smtp.h"

struct event_base;
struct smtp_probe;
struct probe_cache;
struct probe_wait;

struct probe_limits {
	unsigned max_sessions;	   /* concurrent SMTP sessions overall */
	unsigned per_address;	   /* concurrent sessions per destination address */
	unsigned rate_per_address; /* new connections per address per minute */
	unsigned connect_rate;	   /* new connections per second overall */
	unsigned ttl_s;		   /* how long a finished probe is reused */
	unsigned transient_ttl_ms; /* and one that ended in a transient failure (timeout, refused,
				      4xx: checks/retry.h), so that a domain scanned again for
				      it probes again; 0: ttl_s */
	size_t max_done;	   /* finished probes kept at most (oldest dropped first, a chain
				      is a few KB); 0: PROBE_CACHE_MAX_DONE */
	size_t max_done_bytes;	   /* and the bytes they hold at most (the peers choose their
				      chains' size); 0: PROBE_CACHE_MAX_DONE_BYTES */
	unsigned max_attempts;	   /* sessions per probe when the server rate-limits (>= 1) */
	unsigned retry_ms;	   /* wait before the first retry; doubles for each next one */
	char *const *exclude;	   /* borrowed during probe_cache_new (parsed and copied): CIDRs
				      ("192.0.2.0/24", "2001:db8::/32", an address) and domain
				      names (host names at or under them) */
	size_t n_exclude;	   /* entries in exclude */
};

#define PROBE_CACHE_MAX_DONE 50000 /* default max_done */
/* Default max_done_bytes: about 20,000 probes at a typical 3 KB, and a bound that holds when
 * hostile peers send 100 KB chains under thousands of names. */
#define PROBE_CACHE_MAX_DONE_BYTES (64u << 20)

/* Called once per probe_cache_want, always from the loop (never inside want). p is the cache's:
 * valid during the call only (copy what you keep). */
typedef void probe_done_fn(const struct smtp_probe *p, void *arg);

/* opt is copied (its ehlo_name is copied too); when opt->ssl_ctx is NULL the cache makes and owns
 * a client context. NULL with a reason when an exclude entry cannot be parsed. */
struct probe_cache *probe_cache_new(struct event_base *base, const struct smtp_options *opt,
				    const struct probe_limits *lim, char *err, size_t errlen);
/* Cancels sessions in flight; waiters are dropped without their callbacks. */
void probe_cache_free(struct probe_cache *pc);

/* Ask for the probe of host at address:port. The handle is valid until cb has run or
 * probe_cache_unwant is called. */
struct probe_wait *probe_cache_want(struct probe_cache *pc, const char *host, const char *address,
				    unsigned port, probe_done_fn *cb, void *arg);
/* Give up waiting (a scan's deadline): cb will not run. When out is not NULL it receives what is
 * known (to be cleared by the caller): an earlier rate-limited attempt, or a DEADLINE failure
 * saying whether the probe was queued, waiting to retry, or running. A probe nobody waits for
 * any more is dropped if it has not started; a running one finishes and is cached. */
void probe_cache_unwant(struct probe_cache *pc, struct probe_wait *w, struct smtp_probe *out);

/* The exclude entry that covers address (numeric) or host (either may be NULL), or NULL. The
 * list governs every connection the scanner makes: SMTP here, and the scan's HTTP fetches. */
const char *probe_cache_excluded(const struct probe_cache *pc, const char *host,
				 const char *address);

struct probe_stats {
	uint64_t wants;	    /* probe_cache_want calls */
	uint64_t hits;	    /* answered from a finished probe */
	uint64_t joined;    /* joined a probe already queued or running */
	uint64_t sessions;  /* SMTP sessions started */
	uint64_t retries;   /* sessions that were retries after rate limiting */
	uint64_t excluded;  /* probes refused by the exclude list */
	uint64_t dropped;   /* queued probes dropped because nobody waited any more */
	uint64_t evicted;   /* finished probes dropped to stay within max_done(_bytes) */
	size_t active;	    /* sessions running now */
	size_t queued;	    /* probes waiting for a session slot or a retry */
	size_t entries;	    /* probes held (finished ones included) */
	size_t done_bytes;  /* bytes the finished ones hold, as counted against max_done_bytes */
};

const struct probe_stats *probe_cache_stats(const struct probe_cache *pc);

#endif
