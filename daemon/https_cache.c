/* https_cache.c — per-URL cache of HTTPS fetches (MTA-STS policies): a list of entries (one per
 * policy host a run meets), each fetching or done, with the waiters of the scans that need it.
 * Owns entries, their recorded fetches and waiters; the HTTP client is the engine's. Callbacks
 * always come from the loop, never from inside https_cache_want. */
#include "daemon/https_cache.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "checks/evidence.h"
#include "common/xalloc.h"
#include "daemon/http.h"

struct https_entry {
	struct https_cache *hc;	    /* borrowed: the owner */
	struct https_fetch result;  /* the fetch (url always set) */
	int done;		    /* result complete */
	long long expires_ms;	    /* done: end of its life (monotonic) */
	struct https_wait *waiters; /* owned */
	struct https_entry *next;   /* in hc->entries */
};

struct https_wait {
	struct https_entry *entry;	/* borrowed */
	https_done_fn *cb;		/* completion */
	void *arg;			/* borrowed */
	int deferred;			/* on hc->hits, not entry->waiters */
	struct https_wait *prev, *next; /* in its list */
};

struct https_cache {
	struct event_base *base;     /* borrowed */
	struct http *http;	     /* borrowed */
	struct http_options opt;     /* copy; ca_file borrowed */
	unsigned ttl_s;		     /* reuse period */
	struct https_entry *entries; /* owned */
	struct https_wait *hits;     /* owned: cache answers to deliver */
	struct event *notify;	     /* owned: delivers hits */
	uint64_t fetches, nhits;     /* counters */
};

static long long https_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long https_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void https_unlink(struct https_wait **head, struct https_wait *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		*head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void https_push(struct https_wait **head, struct https_wait *w)
{
	w->prev = NULL;
	w->next = *head;
	if (*head)
		(*head)->prev = w;
	*head = w;
}

static void https_on_fetched(const struct http_response *r, void *arg)
{
	struct https_entry *e = arg;
	struct https_fetch *f = &e->result;
	f->fetched_ms = https_wall_ms();
	f->ok = r->ok;
	f->status = r->status;
	f->content_type = r->content_type ? xstrdup(r->content_type) : NULL;
	f->redirect = r->redirect ? xstrdup(r->redirect) : NULL;
	f->tls_failure = r->tls_failure;
	f->timed_out = r->timed_out;
	if (!r->ok)
		f->error = xstrdup(r->error[0] ? r->error : "fetch failed");
	if (r->body && (r->ok || r->len)) {
		/* http caps at opt.max_bytes; the evidence keeps at most its own cap. */
		f->len = r->len > EVIDENCE_HTTPS_BODY_MAX ? EVIDENCE_HTTPS_BODY_MAX : r->len;
		f->truncated = r->len > f->len;
		f->body = xmalloc(f->len + 1);
		memcpy(f->body, r->body, f->len);
		f->body[f->len] = '\0';
	}
	e->done = 1;
	e->expires_ms = https_now_ms() + (long long)e->hc->ttl_s * 1000;
	while (e->waiters) {
		struct https_wait *w = e->waiters;
		https_unlink(&e->waiters, w);
		https_done_fn *cb = w->cb;
		void *warg = w->arg;
		free(w);
		cb(f, warg);
	}
}

static void https_on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct https_cache *hc = arg;
	while (hc->hits) {
		struct https_wait *w = hc->hits;
		https_unlink(&hc->hits, w);
		https_done_fn *cb = w->cb;
		void *warg = w->arg;
		const struct https_fetch *f = &w->entry->result;
		free(w);
		cb(f, warg);
	}
}

struct https_cache *https_cache_new(struct event_base *base, struct http *http,
				    const struct http_options *opt, unsigned ttl_s)
{
	struct https_cache *hc = xcalloc(1, sizeof *hc);
	hc->base = base;
	hc->http = http;
	hc->opt = *opt;
	hc->opt.resolve = NULL;
	hc->ttl_s = ttl_s;
	hc->notify = event_new(base, -1, 0, https_on_notify, hc);
	return hc;
}

void https_cache_free(struct https_cache *hc)
{
	if (hc == NULL)
		return;
	while (hc->hits) {
		struct https_wait *w = hc->hits;
		hc->hits = w->next;
		free(w);
	}
	while (hc->entries) {
		struct https_entry *e = hc->entries;
		hc->entries = e->next;
		while (e->waiters) {
			struct https_wait *w = e->waiters;
			e->waiters = w->next;
			free(w);
		}
		evidence_https_clear(&e->result);
		free(e);
	}
	if (hc->notify)
		event_free(hc->notify);
	free(hc);
}

/* 1 when entry x is referenced by a pending cache answer. */
static int https_is_hit(const struct https_cache *hc, const struct https_entry *x)
{
	for (const struct https_wait *w = hc->hits; w; w = w->next)
		if (w->entry == x)
			return 1;
	return 0;
}

struct https_wait *https_cache_want(struct https_cache *hc, const char *url, const char *resolve,
				    https_done_fn *cb, void *arg)
{
	long long now = https_now_ms();
	struct https_entry *e = NULL, **pp = &hc->entries;
	while (*pp) {
		struct https_entry *x = *pp;
		int expired =
		    x->done && x->expires_ms <= now && x->waiters == NULL && !https_is_hit(hc, x);
		if (expired) {
			/* Forget it (the list stays short); a new want of its URL fetches again. */
			*pp = x->next;
			evidence_https_clear(&x->result);
			free(x);
			continue;
		}
		if (strcmp(x->result.url, url) == 0)
			e = x;
		pp = &x->next;
	}
	struct https_wait *w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->hc = hc;
		e->result.url = xstrdup(url);
		e->result.resolve = resolve ? xstrdup(resolve) : NULL;
		e->next = hc->entries;
		hc->entries = e;
		hc->fetches++;
		w->entry = e;
		https_push(&e->waiters, w);
		struct http_options opt = hc->opt;
		opt.resolve = resolve;
		if (http_get(hc->http, url, &opt, https_on_fetched, e) < 0) {
			/* Not started: an answer all the same, delivered from the loop. */
			e->done = 1;
			e->result.error = xstrdup("the fetch could not be started");
			e->result.fetched_ms = https_wall_ms();
			e->expires_ms = now + (long long)hc->ttl_s * 1000;
			https_unlink(&e->waiters, w);
			w->deferred = 1;
			https_push(&hc->hits, w);
			event_active(hc->notify, EV_TIMEOUT, 0);
		}
		return w;
	}
	w->entry = e;
	if (e->done) {
		hc->nhits++;
		w->deferred = 1;
		https_push(&hc->hits, w);
		event_active(hc->notify, EV_TIMEOUT, 0);
	} else {
		https_push(&e->waiters, w);
	}
	return w;
}

void https_cache_unwant(struct https_cache *hc, struct https_wait *w)
{
	https_unlink(w->deferred ? &hc->hits : &w->entry->waiters, w);
	free(w);
}

uint64_t https_cache_fetches(const struct https_cache *hc) { return hc->fetches; }

uint64_t https_cache_hits(const struct https_cache *hc) { return hc->nhits; }
