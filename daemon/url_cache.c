/* url_cache.c — per-URL cache of fetches: a hash table of entries (a run meets one MTA-STS
 * policy URL per domain that has one, so there can be as many as domains), each fetching or
 * done, with the waiters of the scans that need it. Owns the entries, their recorded results and
 * waiters; the HTTP client is the engine's. Callbacks always come from the loop, never from
 * inside url_cache_want. Finished entries are also on a list in the order they finished: when
 * they hold more than the byte budget, the oldest go (all live for the same TTL, so the oldest
 * would expire first anyway). */
#include "daemon/url_cache.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <time.h>

#include "common/hash.h"
#include "common/xalloc.h"
#include "daemon/http.h"

struct url_entry {
	struct url_cache *uc;	  /* borrowed: the owner */
	char *url;		  /* owned */
	void *result;		  /* owned: ops->size bytes */
	int done;		  /* result complete */
	long long expires_ms;	  /* done: end of its life (monotonic) */
	struct url_wait *waiters; /* owned */
	struct url_entry *next;	  /* in its bucket */
	size_t bytes;		  /* done: counted in url_cache.done_bytes */
	TAILQ_ENTRY(url_entry) finished; /* done: in url_cache.finished */
};

struct url_wait {
	struct url_entry *entry;      /* borrowed */
	url_done_fn *cb;	      /* completion */
	void *arg;		      /* borrowed */
	int deferred;		      /* on uc->hits, not entry->waiters */
	struct url_wait *prev, *next; /* in its list */
};

struct url_cache {
	struct event_base *base;	  /* borrowed */
	struct http *http;		  /* borrowed */
	const struct url_cache_ops *ops;  /* borrowed */
	struct http_options opt;	  /* copy; ca_file borrowed */
	unsigned ttl_s;			  /* reuse period */
	struct url_entry **buckets;	  /* owned: chains of entries, each owned */
	size_t n_buckets;		  /* a power of two */
	size_t n_entries;		  /* in all buckets */
	size_t sweep_at;		  /* n_entries at which expired entries are swept */
	struct url_wait *hits;		  /* owned: cache answers to deliver */
	struct event *notify;		  /* owned: delivers hits */
	uint64_t fetches, nhits;	  /* counters */
	size_t max_bytes;		  /* budget of the finished entries */
	size_t done_bytes;		  /* what they hold now */
	TAILQ_HEAD(, url_entry) finished; /* borrowed: finished entries, oldest first */
};

static long long url_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void url_unlink(struct url_wait **head, struct url_wait *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		*head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void url_push(struct url_wait **head, struct url_wait *w)
{
	w->prev = NULL;
	w->next = *head;
	if (*head)
		(*head)->prev = w;
	*head = w;
}

/* Take a finished entry off the finished list. */
static void url_done_unlink(struct url_cache *uc, struct url_entry *e)
{
	if (!e->done)
		return;
	TAILQ_REMOVE(&uc->finished, e, finished);
	uc->done_bytes -= e->bytes;
}

static void url_entry_free(struct url_cache *uc, struct url_entry *e)
{
	url_done_unlink(uc, e);
	while (e->waiters) {
		struct url_wait *w = e->waiters;
		e->waiters = w->next;
		free(w);
	}
	uc->ops->clear(e->result);
	free(e->result);
	free(e->url);
	free(e);
}

static void url_trim(struct url_cache *uc);

/* Mark e finished at now: on the finished list, its bytes counted. */
static void url_finish(struct url_cache *uc, struct url_entry *e, long long now)
{
	e->done = 1;
	e->expires_ms = now + (long long)uc->ttl_s * 1000;
	e->bytes = sizeof *e + xstrsize(e->url) + uc->ops->size +
		   (uc->ops->footprint ? uc->ops->footprint(e->result) : 0);
	TAILQ_INSERT_TAIL(&uc->finished, e, finished);
	uc->done_bytes += e->bytes;
}

static void url_on_fetched(const struct http_response *r, void *arg)
{
	struct url_entry *e = arg;
	struct url_cache *uc = e->uc;
	uc->ops->record(e->result, r);
	url_finish(uc, e, url_now_ms());
	while (e->waiters) {
		struct url_wait *w = e->waiters;
		url_unlink(&e->waiters, w);
		url_done_fn *cb = w->cb;
		void *warg = w->arg;
		free(w);
		cb(e->result, warg);
	}
	url_trim(uc); /* after the callbacks: e itself may go when it alone is over the budget */
}

static void url_on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct url_cache *uc = arg;
	while (uc->hits) {
		struct url_wait *w = uc->hits;
		url_unlink(&uc->hits, w);
		url_done_fn *cb = w->cb;
		void *warg = w->arg;
		const void *result = w->entry->result;
		free(w);
		cb(result, warg);
	}
	url_trim(uc);
}

#define URL_BUCKETS_MIN 64

static uint64_t url_hash(const char *url)
{
	return hash_fnv1a64_str(HASH_FNV1A64_BASIS, url);
}

static struct url_entry **url_bucket(const struct url_cache *uc, const char *url)
{
	return &uc->buckets[url_hash(url) & (uc->n_buckets - 1)];
}

struct url_cache *url_cache_new(struct event_base *base, struct http *http,
				const struct http_options *opt, unsigned ttl_s, size_t max_bytes,
				const struct url_cache_ops *ops)
{
	struct url_cache *uc = xcalloc(1, sizeof *uc);
	uc->base = base;
	uc->http = http;
	uc->ops = ops;
	uc->opt = *opt;
	uc->opt.resolve = NULL;
	uc->ttl_s = ttl_s;
	uc->max_bytes = max_bytes ? max_bytes : URL_CACHE_MAX_BYTES;
	TAILQ_INIT(&uc->finished);
	uc->n_buckets = URL_BUCKETS_MIN;
	uc->buckets = xcalloc(uc->n_buckets, sizeof *uc->buckets);
	uc->sweep_at = URL_BUCKETS_MIN;
	uc->notify = event_new(base, -1, 0, url_on_notify, uc);
	return uc;
}

void url_cache_free(struct url_cache *uc)
{
	if (uc == NULL)
		return;
	while (uc->hits) {
		struct url_wait *w = uc->hits;
		uc->hits = w->next;
		free(w);
	}
	for (size_t b = 0; b < uc->n_buckets; b++) {
		while (uc->buckets[b]) {
			struct url_entry *e = uc->buckets[b];
			uc->buckets[b] = e->next;
			url_entry_free(uc, e);
		}
	}
	free(uc->buckets);
	if (uc->notify)
		event_free(uc->notify);
	free(uc);
}

/* 1 when entry x is referenced by a pending cache answer. */
static int url_is_hit(const struct url_cache *uc, const struct url_entry *x)
{
	for (const struct url_wait *w = uc->hits; w; w = w->next)
		if (w->entry == x)
			return 1;
	return 0;
}

/* Deliver w from the loop (a cache answer, or a fetch that could not start). */
static void url_defer(struct url_cache *uc, struct url_wait *w)
{
	w->deferred = 1;
	url_push(&uc->hits, w);
	event_active(uc->notify, EV_TIMEOUT, 0);
}

static int url_expired(const struct url_cache *uc, const struct url_entry *x, long long now)
{
	return x->done && x->expires_ms <= now && x->waiters == NULL && !url_is_hit(uc, x);
}

/* Forget the expired entries of one chain; a new want of their URLs fetches again. */
static void url_sweep_chain(struct url_cache *uc, struct url_entry **pp, long long now)
{
	while (*pp) {
		struct url_entry *x = *pp;
		if (url_expired(uc, x, now)) {
			*pp = x->next;
			url_entry_free(uc, x);
			uc->n_entries--;
		} else {
			pp = &x->next;
		}
	}
}

/* Forget finished entries, oldest first, until they fit the budget. One that a cache answer
 * still waits to deliver stays (it is delivered from the loop, which then trims again). */
static void url_trim(struct url_cache *uc)
{
	struct url_entry *x = TAILQ_FIRST(&uc->finished);
	while (uc->done_bytes > uc->max_bytes && x) {
		struct url_entry *newer = TAILQ_NEXT(x, finished);
		if (x->waiters == NULL && !url_is_hit(uc, x)) {
			struct url_entry **pp = url_bucket(uc, x->url);
			while (*pp != x)
				pp = &(*pp)->next;
			*pp = x->next;
			url_entry_free(uc, x);
			uc->n_entries--;
		}
		x = newer;
	}
}

/* Every time the table has doubled since the last sweep: forget what expired everywhere (so
 * memory follows what is alive, not what was ever fetched), then size the table to about one
 * bucket per entry. */
static void url_maintain(struct url_cache *uc, long long now)
{
	for (size_t b = 0; b < uc->n_buckets; b++)
		url_sweep_chain(uc, &uc->buckets[b], now);
	size_t want = URL_BUCKETS_MIN;
	while (want < uc->n_entries)
		want *= 2;
	if (want != uc->n_buckets) {
		struct url_entry **old = uc->buckets;
		size_t n_old = uc->n_buckets;
		uc->buckets = xcalloc(want, sizeof *uc->buckets);
		uc->n_buckets = want;
		for (size_t b = 0; b < n_old; b++) {
			while (old[b]) {
				struct url_entry *x = old[b];
				old[b] = x->next;
				struct url_entry **head = url_bucket(uc, x->url);
				x->next = *head;
				*head = x;
			}
		}
		free(old);
	}
	uc->sweep_at = 2 * (uc->n_entries > URL_BUCKETS_MIN ? uc->n_entries : URL_BUCKETS_MIN);
}

struct url_wait *url_cache_want(struct url_cache *uc, const char *url, const char *resolve,
				url_done_fn *cb, void *arg)
{
	long long now = url_now_ms();
	if (uc->n_entries >= uc->sweep_at)
		url_maintain(uc, now);
	struct url_entry **head = url_bucket(uc, url), *e = NULL;
	url_sweep_chain(uc, head, now);
	for (struct url_entry *x = *head; x && e == NULL; x = x->next)
		if (strcmp(x->url, url) == 0)
			e = x;
	struct url_wait *w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	if (e) {
		w->entry = e;
		if (e->done) {
			uc->nhits++;
			url_defer(uc, w);
		} else {
			url_push(&e->waiters, w);
		}
		return w;
	}
	e = xcalloc(1, sizeof *e);
	e->uc = uc;
	e->url = xstrdup(url);
	e->result = xcalloc(1, uc->ops->size);
	uc->ops->start(e->result, url, resolve);
	e->next = *head;
	*head = e;
	uc->n_entries++;
	uc->fetches++;
	w->entry = e;
	struct http_options opt = uc->opt;
	opt.resolve = resolve;
	if (http_get(uc->http, url, &opt, url_on_fetched, e) < 0) {
		/* Not started: an answer all the same, delivered from the loop. */
		uc->ops->fail(e->result, "the fetch could not be started");
		url_finish(uc, e, now);
		url_defer(uc, w);
	} else {
		url_push(&e->waiters, w);
	}
	return w;
}

void url_cache_unwant(struct url_cache *uc, struct url_wait *w)
{
	url_unlink(w->deferred ? &uc->hits : &w->entry->waiters, w);
	free(w);
}

uint64_t url_cache_fetches(const struct url_cache *uc)
{
	return uc->fetches;
}

uint64_t url_cache_hits(const struct url_cache *uc)
{
	return uc->nhits;
}

size_t url_cache_bytes(const struct url_cache *uc)
{
	return uc->done_bytes;
}
