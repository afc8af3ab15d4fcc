/* crl_cache.c — per-URL cache of CRL fetches: a list of entries (a campaign sees few CRL URLs),
 * each fetching or done, with the waiters of the scans that need it. Owns entries, their results
 * and waiters; the HTTP client is the engine's. Callbacks always come from the loop. */
#include "daemon/crl_cache.h"

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "checks/smtp_evidence.h"
#include "common/xalloc.h"
#include "daemon/http.h"

struct crl_entry {
	struct crl_cache *cc;	     /* borrowed: the owner */
	struct crl_fetch result;     /* the fetch (url always set) */
	int done;		     /* result complete */
	long long expires_ms;	     /* done: end of its life (monotonic) */
	struct crl_wait *waiters;    /* owned */
	struct crl_entry *next;	     /* in cc->entries */
};

struct crl_wait {
	struct crl_entry *entry;     /* borrowed */
	crl_done_fn *cb;	     /* completion */
	void *arg;		     /* borrowed */
	int deferred;		     /* on cc->hits, not entry->waiters */
	struct crl_wait *prev, *next; /* in its list */
};

struct crl_cache {
	struct event_base *base;     /* borrowed */
	struct http *http;	     /* borrowed */
	struct http_options opt;     /* copy; ca_file borrowed */
	unsigned ttl_s;		     /* reuse period */
	struct crl_entry *entries;   /* owned */
	struct crl_wait *hits;	     /* owned: cache answers to deliver */
	struct event *notify;	     /* owned: delivers hits */
	uint64_t fetches, nhits;     /* counters */
};

static long long crl_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long long crl_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void crl_unlink(struct crl_wait **head, struct crl_wait *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		*head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->prev = w->next = NULL;
}

static void crl_push(struct crl_wait **head, struct crl_wait *w)
{
	w->prev = NULL;
	w->next = *head;
	if (*head)
		(*head)->prev = w;
	*head = w;
}

static void crl_on_fetched(const struct http_response *r, void *arg)
{
	struct crl_entry *e = arg;
	struct crl_fetch *c = &e->result;
	c->fetched_ms = crl_wall_ms();
	c->http_status = r->status;
	if (r->ok && r->status == 200 && r->len) {
		c->ok = 1;
		c->der = xmemdup(r->body, r->len);
		c->len = r->len;
	} else if (r->ok) {
		c->error = xasprintf("HTTP status %ld%s", r->status, r->len ? "" : ", empty body");
	} else {
		c->error = xstrdup(r->error[0] ? r->error : "fetch failed");
	}
	e->done = 1;
	e->expires_ms = crl_now_ms() + (long long)e->cc->ttl_s * 1000;
	while (e->waiters) {
		struct crl_wait *w = e->waiters;
		crl_unlink(&e->waiters, w);
		crl_done_fn *cb = w->cb;
		void *warg = w->arg;
		free(w);
		cb(c, warg);
	}
}

static void crl_on_notify(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct crl_cache *cc = arg;
	while (cc->hits) {
		struct crl_wait *w = cc->hits;
		crl_unlink(&cc->hits, w);
		crl_done_fn *cb = w->cb;
		void *warg = w->arg;
		const struct crl_fetch *c = &w->entry->result;
		free(w);
		cb(c, warg);
	}
}

struct crl_cache *crl_cache_new(struct event_base *base, struct http *http,
				const struct http_options *opt, unsigned ttl_s)
{
	struct crl_cache *cc = xcalloc(1, sizeof *cc);
	cc->base = base;
	cc->http = http;
	cc->opt = *opt;
	cc->ttl_s = ttl_s;
	cc->notify = event_new(base, -1, 0, crl_on_notify, cc);
	return cc;
}

void crl_cache_free(struct crl_cache *cc)
{
	if (cc == NULL)
		return;
	while (cc->hits) {
		struct crl_wait *w = cc->hits;
		cc->hits = w->next;
		free(w);
	}
	while (cc->entries) {
		struct crl_entry *e = cc->entries;
		cc->entries = e->next;
		while (e->waiters) {
			struct crl_wait *w = e->waiters;
			e->waiters = w->next;
			free(w);
		}
		crl_fetch_clear(&e->result);
		free(e);
	}
	if (cc->notify)
		event_free(cc->notify);
	free(cc);
}

struct crl_wait *crl_cache_want(struct crl_cache *cc, const char *url, const char *resolve,
				crl_done_fn *cb, void *arg)
{
	long long now = crl_now_ms();
	struct crl_entry *e = NULL, **pp = &cc->entries;
	while (*pp) {
		struct crl_entry *x = *pp;
		if (strcmp(x->result.url, url) == 0) {
			e = x;
			break;
		}
		/* Expired and unwanted: forget it (the list stays short). */
		if (x->done && x->expires_ms <= now && x->waiters == NULL) {
			int hit = 0;
			for (struct crl_wait *w = cc->hits; w; w = w->next)
				hit |= w->entry == x;
			if (!hit) {
				*pp = x->next;
				crl_fetch_clear(&x->result);
				free(x);
				continue;
			}
		}
		pp = &x->next;
	}
	struct crl_wait *w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	if (e == NULL) {
		e = xcalloc(1, sizeof *e);
		e->cc = cc;
		e->result.url = xstrdup(url);
		e->next = cc->entries;
		cc->entries = e;
		cc->fetches++;
		w->entry = e;
		crl_push(&e->waiters, w);
		struct http_options opt = cc->opt;
		opt.resolve = resolve;
		if (http_get(cc->http, url, &opt, crl_on_fetched, e) < 0) {
			/* Not started: an answer all the same, delivered from the loop. */
			e->done = 1;
			e->result.error = xstrdup("the fetch could not be started");
			e->result.fetched_ms = crl_wall_ms();
			e->expires_ms = now + (long long)cc->ttl_s * 1000;
			crl_unlink(&e->waiters, w);
			w->deferred = 1;
			crl_push(&cc->hits, w);
			event_active(cc->notify, EV_TIMEOUT, 0);
		}
		return w;
	}
	w->entry = e;
	if (e->done) {
		cc->nhits++;
		w->deferred = 1;
		crl_push(&cc->hits, w);
		event_active(cc->notify, EV_TIMEOUT, 0);
	} else {
		crl_push(&e->waiters, w);
	}
	return w;
}

void crl_cache_unwant(struct crl_cache *cc, struct crl_wait *w)
{
	crl_unlink(w->deferred ? &cc->hits : &w->entry->waiters, w);
	free(w);
}

uint64_t crl_cache_fetches(const struct crl_cache *cc)
{
	return cc->fetches;
}

uint64_t crl_cache_hits(const struct crl_cache *cc)
{
	return cc->nhits;
}
