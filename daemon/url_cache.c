/* url_cache.c — per-URL cache of fetches: a list of entries (a run meets few CRL URLs and
 * policy hosts), each fetching or done, with the waiters of the scans that need it. Owns the
 * entries, their recorded results and waiters; the HTTP client is the engine's. Callbacks always
 * come from the loop, never from inside url_cache_want. */
#include "daemon/url_cache.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/xalloc.h"
#include "daemon/http.h"

struct url_entry {
	struct url_cache *uc;	  /* borrowed: the owner */
	char *url;		  /* owned */
	void *result;		  /* owned: ops->size bytes */
	int done;		  /* result complete */
	long long expires_ms;	  /* done: end of its life (monotonic) */
	struct url_wait *waiters; /* owned */
	struct url_entry *next;	  /* in uc->entries */
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
	struct url_entry *entries;	  /* owned */
	struct url_wait *hits;		  /* owned: cache answers to deliver */
	struct event *notify;		  /* owned: delivers hits */
	uint64_t fetches, nhits;	  /* counters */
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

static void url_entry_free(struct url_cache *uc, struct url_entry *e)
{
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

static void url_on_fetched(const struct http_response *r, void *arg)
{
	struct url_entry *e = arg;
	e->uc->ops->record(e->result, r);
	e->done = 1;
	e->expires_ms = url_now_ms() + (long long)e->uc->ttl_s * 1000;
	while (e->waiters) {
		struct url_wait *w = e->waiters;
		url_unlink(&e->waiters, w);
		url_done_fn *cb = w->cb;
		void *warg = w->arg;
		free(w);
		cb(e->result, warg);
	}
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
}

struct url_cache *url_cache_new(struct event_base *base, struct http *http,
				const struct http_options *opt, unsigned ttl_s,
				const struct url_cache_ops *ops)
{
	struct url_cache *uc = xcalloc(1, sizeof *uc);
	uc->base = base;
	uc->http = http;
	uc->ops = ops;
	uc->opt = *opt;
	uc->opt.resolve = NULL;
	uc->ttl_s = ttl_s;
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
	while (uc->entries) {
		struct url_entry *e = uc->entries;
		uc->entries = e->next;
		url_entry_free(uc, e);
	}
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

struct url_wait *url_cache_want(struct url_cache *uc, const char *url, const char *resolve,
				url_done_fn *cb, void *arg)
{
	long long now = url_now_ms();
	struct url_entry *e = NULL, **pp = &uc->entries;
	while (*pp) {
		struct url_entry *x = *pp;
		int expired =
			x->done && x->expires_ms <= now && x->waiters == NULL && !url_is_hit(uc, x);
		if (expired) {
			/* Forget it (the list stays short); a new want of its URL fetches again. */
			*pp = x->next;
			url_entry_free(uc, x);
			continue;
		}
		if (strcmp(x->url, url) == 0)
			e = x;
		pp = &x->next;
	}
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
	e->next = uc->entries;
	uc->entries = e;
	uc->fetches++;
	w->entry = e;
	struct http_options opt = uc->opt;
	opt.resolve = resolve;
	if (http_get(uc->http, url, &opt, url_on_fetched, e) < 0) {
		/* Not started: an answer all the same, delivered from the loop. */
		uc->ops->fail(e->result, "the fetch could not be started");
		e->done = 1;
		e->expires_ms = now + (long long)uc->ttl_s * 1000;
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
