/* probe_cache.c — the campaign's SMTP probes: a hash of entries keyed by (address, port, SNI host),
 * each queued, running, waiting to retry or done, with the scans waiting for it; per-address
 * state (sessions running, a token bucket for the connection rate, the queue of entries) in a
 * second hash; a ready list of addresses that may start a session now; one global token bucket.
 * Owns entries, addresses, waiters, sessions in flight, timers and (when it made it) the TLS
 * client context. Callbacks to waiters always come from the loop. */
#include "daemon/probe_cache.h"

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "checks/retry.h"
#include "checks/smtp_evidence.h"
#include "common/dname.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/tls.h"

enum pc_state {
	PC_QUEUED = 0, /* waiting for a session slot, a token or its address */
	PC_RUNNING,    /* a session is under way */
	PC_BACKOFF,    /* the server rate-limited: waiting to retry */
	PC_DONE,       /* result available */
};

struct pc_addr {
	struct probe_cache *pc;		  /* borrowed: the owner */
	char *address;			  /* owned: numeric address, the hash key */
	struct pc_addr *hnext;		  /* hash chain */
	unsigned active;		  /* sessions running to this address */
	double tokens;			  /* connection-rate bucket */
	long long refill_ms;		  /* when tokens were last topped up */
	struct pc_entry *qhead, *qtail;	  /* borrowed: entries queued for this address */
	int in_ready;			  /* on pc->ready */
	int sleeping;			  /* waiting for a token (wake armed) */
	struct pc_addr *rprev, *rnext;	  /* in pc->ready */
	struct event *wake;		  /* owned (lazily): token wait */
	size_t refs;			  /* entries pointing here */
};

struct pc_entry {
	struct probe_cache *pc;		  /* borrowed: the owner */
	char *key;			  /* owned: "address|port|host" */
	struct pc_entry *hnext;		  /* hash chain */
	char *host;			  /* owned: canonical SNI host */
	struct pc_addr *addr;		  /* borrowed (counted in addr->refs) */
	unsigned port;			  /* TCP port */
	enum pc_state state;		  /* see enum pc_state */
	struct smtp_session *session;	  /* owned while PC_RUNNING */
	struct event *retry;		  /* owned (lazily): backoff timer */
	struct smtp_probe result;	  /* PC_DONE: the probe */
	struct smtp_probe last;		  /* the last rate-limited attempt (host NULL when none) */
	unsigned attempts;		  /* sessions made */
	long long expires_ms;		  /* PC_DONE: end of its life */
	struct probe_wait *waiters;	  /* owned: scans waiting for the result */
	size_t deferred;		  /* waiters answered from the cache, not yet called */
	struct pc_entry *qnext;		  /* in addr's queue */
	struct pc_entry *dprev, *dnext;	  /* PC_DONE: in pc's done list, oldest first */
	size_t done_bytes;		  /* PC_DONE: what it holds, counted in stats.done_bytes */
};

struct probe_wait {
	struct pc_entry *entry;		  /* borrowed */
	probe_done_fn *cb;		  /* completion */
	void *arg;			  /* borrowed */
	int deferred;			  /* on pc->hits rather than entry->waiters */
	struct probe_wait *prev, *next;	  /* in its list */
};

struct pc_cidr {
	int family;		/* AF_INET or AF_INET6 */
	unsigned char net[16];	/* network bytes */
	unsigned prefix;	/* prefix length */
	char *text;		/* owned: the entry as configured (for reasons) */
};

struct probe_cache {
	struct event_base *base;	/* borrowed */
	struct smtp_options opt;	/* copy; ehlo_name owned (ehlo), ssl_ctx see own_ctx */
	char *ehlo;			/* owned: EHLO name */
	int own_ctx;			/* 1 when opt.ssl_ctx is ours to free */
	struct probe_limits lim;	/* copy; exclude borrowed, parsed into cidrs/domains */
	struct pc_cidr *cidrs;		/* owned */
	size_t n_cidrs;			/* entries */
	char **domains;			/* owned: excluded domain names (canonical) */
	size_t n_domains;		/* entries */
	struct pc_entry **etab;		/* owned: entry hash buckets */
	size_t ecap;			/* buckets (power of two) */
	struct pc_addr **atab;		/* owned: address hash buckets */
	size_t acap;			/* buckets (power of two) */
	size_t n_addrs;			/* addresses held */
	struct pc_addr *ready, *ready_tail; /* addresses that may start a session */
	struct pc_entry *done_head, *done_tail; /* finished entries, oldest first */
	size_t n_done;			/* entries on that list */
	struct probe_wait *hits;	/* owned: cache answers to deliver */
	struct event *notify;		/* owned: delivers hits */
	struct event *kick;		/* owned: global token wait */
	struct event *sweep;		/* owned: frees expired entries */
	double gtokens;			/* global connect-rate bucket */
	long long grefill_ms;		/* when gtokens was last topped up */
	int dispatching;		/* inside pc_dispatch */
	struct probe_stats stats;	/* counters */
};

static long long pc_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t pc_hash(const char *s)
{
	return hash_fnv1a64_str(HASH_FNV1A64_BASIS, s);
}

static void pc_timer_ms(struct event *ev, long long ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)((ms % 1000) * 1000)};
	evtimer_add(ev, &tv);
}

/* ---- the exclude list ---- */

static int pc_parse_ip(const char *s, int *family, unsigned char *out)
{
	if (inet_pton(AF_INET, s, out) == 1) {
		*family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1) {
		*family = AF_INET6;
		return 0;
	}
	return -1;
}

static int pc_exclude_parse(struct probe_cache *pc, char *err, size_t errlen)
{
	for (size_t i = 0; i < pc->lim.n_exclude; i++) {
		const char *s = pc->lim.exclude[i];
		const char *slash = strchr(s, '/');
		char ip[64];
		size_t iplen = slash ? (size_t)(slash - s) : strlen(s);
		struct pc_cidr c = {.family = 0};
		if (iplen < sizeof ip) {
			memcpy(ip, s, iplen);
			ip[iplen] = '\0';
		}
		if (iplen < sizeof ip && pc_parse_ip(ip, &c.family, c.net) == 0) {
			unsigned max = c.family == AF_INET ? 32 : 128;
			char *end = NULL;
			unsigned long p = slash ? strtoul(slash + 1, &end, 10) : max;
			if (slash && (end == slash + 1 || *end || p > max)) {
				snprintf(err, errlen, "exclude '%s': bad prefix length", s);
				return -1;
			}
			c.prefix = (unsigned)p;
			c.text = xstrdup(s);
			pc->cidrs = xrealloc(pc->cidrs, (pc->n_cidrs + 1) * sizeof *pc->cidrs);
			pc->cidrs[pc->n_cidrs++] = c;
		} else if (slash) {
			snprintf(err, errlen, "exclude '%s' is not a CIDR", s);
			return -1;
		} else {
			char canon[DNAME_MAX];
			dname_canonical(s, canon, sizeof canon);
			pc->domains = xrealloc(pc->domains, (pc->n_domains + 1) * sizeof *pc->domains);
			pc->domains[pc->n_domains++] = xstrdup(canon);
		}
	}
	/* Parsed and copied: the configuration may be reloaded under us. */
	pc->lim.exclude = NULL;
	pc->lim.n_exclude = 0;
	return 0;
}

static int pc_cidr_match(const struct pc_cidr *c, int family, const unsigned char *a)
{
	if (c->family != family)
		return 0;
	unsigned full = c->prefix / 8, rest = c->prefix % 8;
	if (memcmp(c->net, a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (c->net[full] & mask) == (a[full] & mask);
}

/* The exclude entry that covers host or address, or NULL. */
static const char *pc_excluded_by(const struct probe_cache *pc, const char *host,
				  const char *address)
{
	unsigned char a[16];
	int family;
	if (address && pc_parse_ip(address, &family, a) == 0)
		for (size_t i = 0; i < pc->n_cidrs; i++)
			if (pc_cidr_match(&pc->cidrs[i], family, a))
				return pc->cidrs[i].text;
	for (size_t i = 0; host && i < pc->n_domains; i++) {
		const char *d = pc->domains[i];
		size_t hl = strlen(host), dl = strlen(d);
		if (dname_equal(host, d) ||
		    (hl > dl && host[hl - dl - 1] == '.' && strcasecmp(host + hl - dl, d) == 0))
			return d;
	}
	return NULL;
}

const char *probe_cache_excluded(const struct probe_cache *pc, const char *host,
				 const char *address)
{
	return pc_excluded_by(pc, host, address);
}

/* ---- hashes ---- */

static void pc_etab_grow(struct probe_cache *pc)
{
	size_t ncap = pc->ecap * 2;
	struct pc_entry **nt = xcalloc(ncap, sizeof *nt);
	for (size_t i = 0; i < pc->ecap; i++)
		while (pc->etab[i]) {
			struct pc_entry *e = pc->etab[i];
			pc->etab[i] = e->hnext;
			size_t b = pc_hash(e->key) & (ncap - 1);
			e->hnext = nt[b];
			nt[b] = e;
		}
	free(pc->etab);
	pc->etab = nt;
	pc->ecap = ncap;
}

static struct pc_entry *pc_entry_find(struct probe_cache *pc, const char *key)
{
	for (struct pc_entry *e = pc->etab[pc_hash(key) & (pc->ecap - 1)]; e; e = e->hnext)
		if (strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* A fresh address may open as many sessions at once as it is allowed to run. */
static double pc_addr_burst(const struct probe_cache *pc)
{
	unsigned b = pc->lim.per_address < pc->lim.rate_per_address ? pc->lim.per_address
								    : pc->lim.rate_per_address;
	return b ? b : 1;
}

static struct pc_addr *pc_addr_get(struct probe_cache *pc, const char *address)
{
	size_t b = pc_hash(address) & (pc->acap - 1);
	for (struct pc_addr *a = pc->atab[b]; a; a = a->hnext)
		if (strcmp(a->address, address) == 0)
			return a;
	if (pc->n_addrs >= pc->acap) {
		size_t ncap = pc->acap * 2;
		struct pc_addr **nt = xcalloc(ncap, sizeof *nt);
		for (size_t i = 0; i < pc->acap; i++)
			while (pc->atab[i]) {
				struct pc_addr *x = pc->atab[i];
				pc->atab[i] = x->hnext;
				size_t nb = pc_hash(x->address) & (ncap - 1);
				x->hnext = nt[nb];
				nt[nb] = x;
			}
		free(pc->atab);
		pc->atab = nt;
		pc->acap = ncap;
		b = pc_hash(address) & (pc->acap - 1);
	}
	struct pc_addr *a = xcalloc(1, sizeof *a);
	a->pc = pc;
	a->address = xstrdup(address);
	a->refill_ms = pc_now_ms();
	a->tokens = pc_addr_burst(pc);
	a->hnext = pc->atab[b];
	pc->atab[b] = a;
	pc->n_addrs++;
	return a;
}

static void pc_ready_remove(struct probe_cache *pc, struct pc_addr *a)
{
	if (!a->in_ready)
		return;
	if (a->rprev)
		a->rprev->rnext = a->rnext;
	else
		pc->ready = a->rnext;
	if (a->rnext)
		a->rnext->rprev = a->rprev;
	else
		pc->ready_tail = a->rprev;
	a->rprev = a->rnext = NULL;
	a->in_ready = 0;
}

static void pc_ready_append(struct probe_cache *pc, struct pc_addr *a)
{
	if (a->in_ready)
		return;
	a->rprev = pc->ready_tail;
	a->rnext = NULL;
	if (pc->ready_tail)
		pc->ready_tail->rnext = a;
	else
		pc->ready = a;
	pc->ready_tail = a;
	a->in_ready = 1;
}

static void pc_addr_release(struct probe_cache *pc, struct pc_addr *a)
{
	if (a->refs || a->active || a->qhead)
		return;
	pc_ready_remove(pc, a);
	size_t b = pc_hash(a->address) & (pc->acap - 1);
	struct pc_addr **pp = &pc->atab[b];
	while (*pp != a)
		pp = &(*pp)->hnext;
	*pp = a->hnext;
	if (a->wake)
		event_free(a->wake);
	free(a->address);
	free(a);
	pc->n_addrs--;
}

/* An address joins the ready list when it has work and nothing holds it back. */
static void pc_addr_maybe_ready(struct probe_cache *pc, struct pc_addr *a)
{
	if (a->qhead && !a->sleeping && a->active < pc->lim.per_address)
		pc_ready_append(pc, a);
}

static void pc_done_unlink(struct probe_cache *pc, struct pc_entry *e)
{
	if (e->state != PC_DONE)
		return;
	if (e->dprev)
		e->dprev->dnext = e->dnext;
	else if (pc->done_head == e)
		pc->done_head = e->dnext;
	else
		return; /* not on the list */
	if (e->dnext)
		e->dnext->dprev = e->dprev;
	else
		pc->done_tail = e->dprev;
	e->dprev = e->dnext = NULL;
	pc->n_done--;
	pc->stats.done_bytes -= e->done_bytes;
	e->done_bytes = 0;
}

static void pc_entry_free(struct probe_cache *pc, struct pc_entry *e)
{
	pc_done_unlink(pc, e);
	size_t b = pc_hash(e->key) & (pc->ecap - 1);
	struct pc_entry **pp = &pc->etab[b];
	while (*pp && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = e->hnext;
	if (e->retry)
		event_free(e->retry);
	smtp_cancel(e->session);
	smtp_probe_clear(&e->result);
	smtp_probe_clear(&e->last);
	while (e->waiters) {
		struct probe_wait *w = e->waiters;
		e->waiters = w->next;
		free(w);
	}
	struct pc_addr *a = e->addr;
	a->refs--;
	free(e->key);
	free(e->host);
	free(e);
	pc->stats.entries--;
	pc_addr_release(pc, a);
}

/* An entry becomes PC_DONE: it joins the done list, and the oldest finished entries nobody waits
 * for go when there are too many or they hold too many bytes (a campaign of millions of
 * distinct MX names would otherwise keep every chain until the TTL, and peers choose how big
 * their chains are). */
static void pc_mark_done(struct probe_cache *pc, struct pc_entry *e)
{
	e->state = PC_DONE;
	long long ttl_ms = (long long)pc->lim.ttl_s * 1000;
	if (pc->lim.transient_ttl_ms && pc->lim.transient_ttl_ms < ttl_ms &&
	    retry_smtp_kind(&e->result) == RETRY_TRANSIENT)
		ttl_ms = pc->lim.transient_ttl_ms;
	e->expires_ms = pc_now_ms() + ttl_ms;
	e->dnext = NULL;
	e->dprev = pc->done_tail;
	if (pc->done_tail)
		pc->done_tail->dnext = e;
	else
		pc->done_head = e;
	pc->done_tail = e;
	pc->n_done++;
	e->done_bytes = sizeof *e + xstrsize(e->key) + xstrsize(e->host) +
			smtp_probe_footprint(&e->result) + smtp_probe_footprint(&e->last);
	pc->stats.done_bytes += e->done_bytes;
	struct pc_entry *x = pc->done_head;
	while ((pc->n_done > pc->lim.max_done || pc->stats.done_bytes > pc->lim.max_done_bytes) &&
	       x) {
		struct pc_entry *next = x->dnext;
		if (x != e && !x->waiters && !x->deferred) {
			pc_entry_free(pc, x);
			pc->stats.evicted++;
		}
		x = next;
	}
}

/* ---- running sessions ---- */

static void pc_dispatch(struct probe_cache *pc);
static void pc_on_session(struct smtp_probe *p, void *arg);

static void pc_enqueue(struct probe_cache *pc, struct pc_entry *e)
{
	struct pc_addr *a = e->addr;
	e->state = PC_QUEUED;
	e->qnext = NULL;
	if (a->qtail)
		a->qtail->qnext = e;
	else
		a->qhead = e;
	a->qtail = e;
	pc->stats.queued++;
	pc_addr_maybe_ready(pc, a);
}

static void pc_dequeue(struct pc_entry *e)
{
	struct pc_addr *a = e->addr;
	struct pc_entry *prev = NULL;
	for (struct pc_entry *x = a->qhead; x; prev = x, x = x->qnext)
		if (x == e) {
			if (prev)
				prev->qnext = e->qnext;
			else
				a->qhead = e->qnext;
			if (a->qtail == e)
				a->qtail = prev;
			e->qnext = NULL;
			return;
		}
}

static void pc_refill(double *tokens, long long *last, double per_ms, double burst)
{
	long long now = pc_now_ms();
	*tokens += (double)(now - *last) * per_ms;
	if (*tokens > burst)
		*tokens = burst;
	*last = now;
}

static long long pc_wait_ms(double tokens, double per_ms)
{
	double need = 1.0 - tokens;
	long long ms = (long long)(need / per_ms) + 1;
	return ms < 1 ? 1 : ms;
}

static double pc_addr_rate(const struct probe_cache *pc)
{
	return (double)pc->lim.rate_per_address / 60000.0;
}

static double pc_global_burst(const struct probe_cache *pc)
{
	double b = pc->lim.connect_rate / 10.0;
	return b < 1 ? 1 : b;
}

static void pc_start(struct probe_cache *pc, struct pc_entry *e)
{
	e->state = PC_RUNNING;
	pc->stats.queued--;
	pc->stats.active++;
	pc->stats.sessions++;
	pc->stats.retries += e->attempts > 0;
	e->addr->active++;
	e->session = smtp_start(pc->base, &pc->opt, e->host, e->addr->address, e->port,
				pc_on_session, e);
}

static void pc_on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pc_addr *a = arg;
	a->sleeping = 0;
	pc_addr_maybe_ready(a->pc, a);
	pc_dispatch(a->pc);
}

/* Start every session the limits allow now, round-robin over ready addresses. */
static void pc_dispatch(struct probe_cache *pc)
{
	if (pc->dispatching)
		return;
	pc->dispatching = 1;
	pc_refill(&pc->gtokens, &pc->grefill_ms, pc->lim.connect_rate / 1000.0,
		  pc_global_burst(pc));
	while (pc->ready && pc->stats.active < pc->lim.max_sessions) {
		if (pc->gtokens < 1.0) {
			if (!evtimer_pending(pc->kick, NULL))
				pc_timer_ms(pc->kick,
					    pc_wait_ms(pc->gtokens, pc->lim.connect_rate / 1000.0));
			break;
		}
		struct pc_addr *a = pc->ready;
		if (a->qhead == NULL || a->active >= pc->lim.per_address) {
			pc_ready_remove(pc, a); /* back when a session of its ends */
			continue;
		}
		pc_refill(&a->tokens, &a->refill_ms, pc_addr_rate(pc), pc_addr_burst(pc));
		if (a->tokens < 1.0) {
			pc_ready_remove(pc, a);
			a->sleeping = 1;
			if (a->wake == NULL)
				a->wake = evtimer_new(pc->base, pc_on_wake, a);
			pc_timer_ms(a->wake, pc_wait_ms(a->tokens, pc_addr_rate(pc)));
			continue;
		}
		struct pc_entry *e = a->qhead;
		a->qhead = e->qnext;
		if (a->qhead == NULL)
			a->qtail = NULL;
		e->qnext = NULL;
		a->tokens -= 1.0;
		pc->gtokens -= 1.0;
		/* Fairness: the address goes to the back of the line. */
		pc_ready_remove(pc, a);
		pc_start(pc, e);
		pc_addr_maybe_ready(pc, a);
	}
	pc->dispatching = 0;
}

static void pc_on_kick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	pc_dispatch(arg);
}

/* What a server does when it wants us to come back later (RFC 5321 §3.1, 4.2.5): a 4xx
 * greeting, a 4xx to EHLO, or a connection dropped right after (or instead of) the greeting. */
static int pc_rate_limit_signal(const struct smtp_probe *p)
{
	if (p->banner_code >= 400 && p->banner_code < 500)
		return 1;
	if (p->stage == SMTP_STAGE_BANNER && p->error == SMTP_ERR_CLOSED)
		return 1;
	return p->banner_code == 220 && p->stage == SMTP_STAGE_EHLO &&
	       ((p->error == SMTP_ERR_REPLY && p->ehlo_code >= 400 && p->ehlo_code < 500) ||
		p->error == SMTP_ERR_CLOSED);
}

static void pc_notify(struct probe_cache *pc, struct pc_entry *e)
{
	(void)pc;
	while (e->waiters) {
		struct probe_wait *w = e->waiters;
		e->waiters = w->next;
		if (e->waiters)
			e->waiters->prev = NULL;
		probe_done_fn *cb = w->cb;
		void *arg = w->arg;
		free(w);
		cb(&e->result, arg);
	}
}

static void pc_on_retry(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct pc_entry *e = arg;
	struct probe_cache *pc = e->pc;
	pc->stats.queued--; /* pc_enqueue counts it again */
	pc_enqueue(pc, e);
	pc_dispatch(pc);
}

static void pc_on_session(struct smtp_probe *p, void *arg)
{
	struct pc_entry *e = arg;
	struct probe_cache *pc = e->pc;
	e->session = NULL;
	pc->stats.active--;
	e->addr->active--;
	e->attempts++;
	p->attempts = e->attempts;
	if (pc_rate_limit_signal(p)) {
		if (e->attempts < pc->lim.max_attempts) {
			smtp_probe_clear(&e->last);
			e->last = *p;
			smtp_probe_init(p);
			e->state = PC_BACKOFF;
			pc->stats.queued++;
			if (e->retry == NULL)
				e->retry = evtimer_new(pc->base, pc_on_retry, e);
			pc_timer_ms(e->retry, (long long)pc->lim.retry_ms << (e->attempts - 1));
			pc_addr_maybe_ready(pc, e->addr);
			pc_dispatch(pc);
			return;
		}
		char why[400];
		snprintf(why, sizeof why, "%s", p->reason ? p->reason : "refused");
		smtp_probe_fail(p, p->stage, SMTP_ERR_RATE_LIMITED,
				"rate-limited, still refusing after %u attempts: %s", e->attempts,
				why);
	}
	e->result = *p;
	smtp_probe_init(p);
	smtp_probe_clear(&e->last);
	pc_mark_done(pc, e);
	pc_addr_maybe_ready(pc, e->addr);
	pc_notify(pc, e);
	pc_dispatch(pc);
}

/* ---- waiters ---- */

static void pc_on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct probe_cache *pc = arg;
	while (pc->hits) {
		struct probe_wait *w = pc->hits;
		pc->hits = w->next;
		if (pc->hits)
			pc->hits->prev = NULL;
		struct pc_entry *e = w->entry;
		probe_done_fn *cb = w->cb;
		void *warg = w->arg;
		free(w);
		e->deferred--;
		cb(&e->result, warg);
	}
}

static void pc_on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct probe_cache *pc = arg;
	long long now = pc_now_ms();
	for (size_t i = 0; i < pc->ecap; i++) {
		struct pc_entry *e = pc->etab[i];
		while (e) {
			struct pc_entry *next = e->hnext;
			if (e->state == PC_DONE && e->expires_ms <= now && !e->waiters && !e->deferred)
				pc_entry_free(pc, e);
			e = next;
		}
	}
}

struct probe_wait *probe_cache_want(struct probe_cache *pc, const char *host, const char *address,
				    unsigned port, probe_done_fn *cb, void *arg)
{
	char canon[DNAME_MAX];
	dname_canonical(host, canon, sizeof canon);
	char *key = xasprintf("%s|%u|%s", address, port, canon);
	struct pc_entry *e = pc_entry_find(pc, key);
	pc->stats.wants++;
	if (e && e->state == PC_DONE && e->expires_ms <= pc_now_ms() && !e->waiters &&
	    !e->deferred) {
		pc_entry_free(pc, e); /* stale: probe again */
		e = NULL;
	}
	if (e == NULL) {
		if (pc->stats.entries >= pc->ecap)
			pc_etab_grow(pc);
		e = xcalloc(1, sizeof *e);
		e->pc = pc;
		e->key = key;
		key = NULL;
		e->host = xstrdup(canon);
		e->port = port;
		e->addr = pc_addr_get(pc, address);
		e->addr->refs++;
		smtp_probe_init(&e->result);
		smtp_probe_init(&e->last);
		size_t b = pc_hash(e->key) & (pc->ecap - 1);
		e->hnext = pc->etab[b];
		pc->etab[b] = e;
		pc->stats.entries++;
		const char *why = pc_excluded_by(pc, canon, address);
		if (why) {
			/* Never contacted: the answer is known at once (and cached). */
			e->result.host = xstrdup(canon);
			e->result.address = xstrdup(address);
			e->result.port = port;
			smtp_probe_fail(&e->result, SMTP_STAGE_NONE, SMTP_ERR_EXCLUDED,
					"excluded by limits.exclude (%s)", why);
			pc_mark_done(pc, e);
			pc->stats.excluded++;
		} else {
			pc_enqueue(pc, e);
		}
	} else if (e->state == PC_DONE) {
		pc->stats.hits++;
	} else {
		pc->stats.joined++;
	}
	free(key);
	struct probe_wait *w = xcalloc(1, sizeof *w);
	w->entry = e;
	w->cb = cb;
	w->arg = arg;
	if (e->state == PC_DONE) {
		w->deferred = 1;
		w->next = pc->hits;
		if (pc->hits)
			pc->hits->prev = w;
		pc->hits = w;
		e->deferred++;
		event_active(pc->notify, EV_TIMEOUT, 0);
	} else {
		w->next = e->waiters;
		if (e->waiters)
			e->waiters->prev = w;
		e->waiters = w;
		pc_dispatch(pc);
	}
	return w;
}

void probe_cache_unwant(struct probe_cache *pc, struct probe_wait *w, struct smtp_probe *out)
{
	struct pc_entry *e = w->entry;
	struct probe_wait **head = w->deferred ? &pc->hits : &e->waiters;
	if (w->prev)
		w->prev->next = w->next;
	else
		*head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	if (w->deferred)
		e->deferred--;
	int deferred = w->deferred;
	free(w);
	if (out) {
		smtp_probe_init(out);
		if (deferred) {
			smtp_probe_copy(out, &e->result);
		} else if (e->last.host) {
			smtp_probe_copy(out, &e->last);
			char why[400];
			snprintf(why, sizeof why, "%s", e->last.reason ? e->last.reason : "refused");
			smtp_probe_fail(out, out->stage, SMTP_ERR_RATE_LIMITED,
					"rate-limited (%u attempts, retry still pending at the scan "
					"deadline): %s",
					e->attempts, why);
		} else {
			out->host = xstrdup(e->host);
			out->address = xstrdup(e->addr->address);
			out->port = e->port;
			smtp_probe_fail(out, SMTP_STAGE_NONE, SMTP_ERR_DEADLINE,
					"scan deadline: probe %s",
					e->state == PC_RUNNING ? "session still running"
					: e->state == PC_BACKOFF ? "waiting to retry"
								 : "still queued for a session slot");
		}
	}
	if (e->waiters || e->deferred || (e->state != PC_QUEUED && e->state != PC_BACKOFF))
		return;
	/* Nobody wants it any more and it has not started: drop it. */
	if (e->state == PC_QUEUED)
		pc_dequeue(e);
	pc->stats.queued--;
	pc->stats.dropped++;
	pc_entry_free(pc, e);
}

/* ---- life ---- */

struct probe_cache *probe_cache_new(struct event_base *base, const struct smtp_options *opt,
				    const struct probe_limits *lim, char *err, size_t errlen)
{
	struct probe_cache *pc = xcalloc(1, sizeof *pc);
	pc->base = base;
	pc->opt = *opt;
	pc->ehlo = xstrdup(opt->ehlo_name ? opt->ehlo_name : "");
	pc->opt.ehlo_name = pc->ehlo;
	pc->lim = *lim;
	if (pc->lim.max_sessions == 0)
		pc->lim.max_sessions = 1;
	if (pc->lim.per_address == 0)
		pc->lim.per_address = 1;
	if (pc->lim.rate_per_address == 0)
		pc->lim.rate_per_address = 1;
	if (pc->lim.connect_rate == 0)
		pc->lim.connect_rate = 1;
	if (pc->lim.max_attempts == 0)
		pc->lim.max_attempts = 1;
	if (pc->lim.max_done == 0)
		pc->lim.max_done = PROBE_CACHE_MAX_DONE;
	if (pc->lim.max_done_bytes == 0)
		pc->lim.max_done_bytes = PROBE_CACHE_MAX_DONE_BYTES;
	pc->ecap = 1024;
	pc->etab = xcalloc(pc->ecap, sizeof *pc->etab);
	pc->acap = 1024;
	pc->atab = xcalloc(pc->acap, sizeof *pc->atab);
	pc->gtokens = pc_global_burst(pc);
	pc->grefill_ms = pc_now_ms();
	pc->notify = event_new(base, -1, 0, pc_on_notify, pc);
	pc->kick = evtimer_new(base, pc_on_kick, pc);
	pc->sweep = event_new(base, -1, EV_PERSIST, pc_on_sweep, pc);
	pc_timer_ms(pc->sweep, 60000);
	if (pc_exclude_parse(pc, err, errlen) < 0) {
		probe_cache_free(pc);
		return NULL;
	}
	if (pc->opt.ssl_ctx == NULL) {
		pc->opt.ssl_ctx = tls_client_ctx_new(err, errlen);
		if (pc->opt.ssl_ctx == NULL) {
			probe_cache_free(pc);
			return NULL;
		}
		pc->own_ctx = 1;
	}
	return pc;
}

void probe_cache_free(struct probe_cache *pc)
{
	if (pc == NULL)
		return;
	while (pc->hits) {
		struct probe_wait *w = pc->hits;
		pc->hits = w->next;
		w->entry->deferred--;
		free(w);
	}
	for (size_t i = 0; i < pc->ecap; i++)
		while (pc->etab[i]) {
			struct pc_entry *e = pc->etab[i];
			if (e->state == PC_RUNNING) {
				pc->stats.active--;
				e->addr->active--;
			}
			e->addr->qhead = e->addr->qtail = NULL; /* queues go with their entries */
			pc_entry_free(pc, e);
		}
	free(pc->etab);
	free(pc->atab);
	if (pc->notify)
		event_free(pc->notify);
	if (pc->kick)
		event_free(pc->kick);
	if (pc->sweep)
		event_free(pc->sweep);
	if (pc->own_ctx)
		SSL_CTX_free(pc->opt.ssl_ctx);
	for (size_t i = 0; i < pc->n_cidrs; i++)
		free(pc->cidrs[i].text);
	free(pc->cidrs);
	for (size_t i = 0; i < pc->n_domains; i++)
		free(pc->domains[i]);
	free(pc->domains);
	free(pc->ehlo);
	free(pc);
}

const struct probe_stats *probe_cache_stats(const struct probe_cache *pc)
{
	return &pc->stats;
}
