/* dns.h — asynchronous DNS on the engine's loop through getdns, in one of three modes:
 * recursive (getdns' embedded libunbound validates), stub + getdns validation, and stub trusting a
 * local validating resolver (AD bit, Extended DNS Errors). Answers come back as recorded evidence
 * (struct dns_answer), with the DNSSEC status of every RRset. */
#ifndef MXS_DNS_H
#define MXS_DNS_H
#include <stddef.h>
#include <stdint.h>

#include "checks/dns_answer.h"

struct event_base;
struct config;
struct dns;
struct dns_request;
struct getdns_eventloop;
struct getdns_dict;

/* Called once per lookup, also when cancelled (answer->status TIMEOUT, why "cancelled").
 * answer is the callee's to keep: it may move the contents out (and must clear them). */
typedef void dns_done_fn(struct dns_answer *answer, void *arg);

struct dns *dns_new(struct event_base *base, const struct config *cfg, char *err, size_t errlen);
void dns_free(struct dns *d);

/* Start a lookup of (name, type). A fresh answer from the scanner's cache (dns_cache.h) is given
 * at once; a question already in flight is not asked twice, the lookup waits for its answer.
 * Returns a handle for dns_cancel, or NULL when it could not be started (cb is then never called).
 * cb may run before dns_lookup returns; the handle returned then is inert. */
struct dns_request *dns_lookup(struct dns *d, const char *name, uint16_t type, dns_done_fn *cb,
			       void *arg);
/* Cancel: cb runs (synchronously) with a TIMEOUT answer saying why. Other lookups of the same
 * question keep waiting. */
void dns_cancel(struct dns *d, struct dns_request *req, const char *why);

/* One reply of a getdns response (an entry of replies_tree: bytes from the network, as getdns
 * decoded them) into a, whose qname and qtype the caller set: status, rcode, the RRs of qtype,
 * canonical name, DNSSEC status (trust_upstream: from the AD bit and Extended DNS Errors of a
 * validating upstream, else getdns' own dnssec_status). A reply to another question is an error.
 * Used by the lookups and the fuzz harness (tests/fuzz/fuzz_dns_reply.c). */
void dns_fill_from_reply(struct dns_answer *a, struct getdns_dict *reply, int trust_upstream);

/* Queries handed to getdns so far (for progress and benchmarks). */
uint64_t dns_queries(const struct dns *d);

struct dns_stats {
	uint64_t lookups;    /* dns_lookup calls */
	uint64_t queries;    /* queries handed to getdns (retries included) */
	uint64_t cache_hits; /* lookups answered from the cache */
	uint64_t joined;     /* lookups that waited for a query already in flight */
	size_t cache_entries; /* answers the cache holds now */
	size_t cache_bytes;   /* and their bytes */
};
void dns_stats(const struct dns *d, struct dns_stats *out);

/* getdns' event loop on base (getdns_context_set_eventloop), used instead of getdns' own libevent
 * extension: when an fd is both writable and readable it runs the write callback, and the read in
 * the next round (dns.c says why). The caller owns it and frees it with dns_loop_free after the
 * context using it is destroyed (its vmt->cleanup does nothing). */
struct getdns_eventloop *dns_loop_new(struct event_base *base);
void dns_loop_free(struct getdns_eventloop *loop);
/* Sockets getdns closed under their events that the loop replaced by a plug (dns.c says why). */
unsigned long dns_loop_plugged(const struct getdns_eventloop *loop);

#endif
