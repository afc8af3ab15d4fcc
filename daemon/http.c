/* http.c — libcurl multi_socket on libevent: one event per socket attached to curl with
 * curl_multi_assign, one timer; finished transfers are drained after every socket action.
 * Owns the multi handle, each easy handle, its resolve pin, its DNS share and its transfer state
 * until completion. Names are resolved only from the caller's pins: curl's resolver-start hook
 * refuses every other lookup, so no query ever leaves through the system resolver.
 *
 * What the transfers share, and what they do not: the multi keeps one CA store for all of them
 * (curl's CA cache, which applies only when the store comes from a CA file alone, so CAPATH is
 * cleared). Each transfer has a DNS cache of its own (a CURLSH holding only its pin): pins are
 * permanent entries in curl, so in the multi's shared cache they would pile up, one per policy
 * host, and be walked on every transfer; and one domain's pin must never answer another's
 * fetch. Connections are not kept for reuse: a kept connection would serve the next transfer
 * to the same name whatever address that transfer pinned, or without a pin at all; and every
 * URL is fetched once per run (url_cache.c), policy hosts one per domain. TLS sessions are not
 * shared either: curl resumes only to the same host name, which a run seldom fetches from
 * twice. */
#include "daemon/http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct http {
	struct event_base *base; /* borrowed: the engine's loop */
	CURLM *multi;		 /* owned */
	struct event *timer;	 /* owned: curl's single timeout */
	int running;		 /* transfers curl reports as running */
	struct http_transfer *transfers; /* borrowed list of transfers in flight (each owned by itself) */
	unsigned long fetches;	 /* transfers started */
};

struct http_transfer {
	struct http *http;	    /* borrowed: the owner */
	CURL *easy;		    /* owned */
	http_done_fn *cb;	    /* completion */
	void *arg;		    /* borrowed */
	size_t max_bytes;	    /* body cap */
	int max_redirects;	    /* redirects followed at most */
	struct http_response resp;  /* filled as data arrives */
	int too_large;		    /* the cap was hit */
	size_t header_bytes;	    /* response header bytes so far, every response counted */
	int headers_too_large;	    /* HTTP_HEADERS_MAX was hit */
	int unpinned;		    /* the resolver hook refused a name */
	char unpinned_host[256];    /* that name, for the error */
	struct curl_slist *resolve; /* owned: the CURLOPT_RESOLVE list, alive as long as easy */
	CURLSH *dns;		    /* owned: this transfer's DNS cache (its pin), outlives easy */
	struct http_transfer *prev, *next; /* in http->transfers */
};

static void http_unlink(struct http *h, struct http_transfer *t)
{
	if (t->prev)
		t->prev->next = t->next;
	else
		h->transfers = t->next;
	if (t->next)
		t->next->prev = t->prev;
}

/* The curl side of a transfer, in the order curl needs: the easy handle before the share it
 * uses; the resolve list may go with the handle. */
static void http_transfer_release(struct http_transfer *t)
{
	curl_easy_cleanup(t->easy);
	curl_share_cleanup(t->dns);
	curl_slist_free_all(t->resolve);
	t->easy = NULL;
	t->dns = NULL;
	t->resolve = NULL;
}

struct http_socket {
	struct event *ev; /* owned: read/write interest for one curl socket */
};

static void http_check_done(struct http *h)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct http_transfer *t = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&t);
		CURLcode rc = msg->data.result;
		struct http_response *r = &t->resp;
		curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &r->status);
		char *ct = NULL, *loc = NULL;
		if (curl_easy_getinfo(t->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
			r->content_type = xstrdup(ct);
		if (curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
			r->redirect = xstrdup(loc);
		if (t->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
			snprintf(r->error, sizeof r->error, "body larger than %zu bytes", t->max_bytes);
		} else if (t->headers_too_large) {
			snprintf(r->error, sizeof r->error, "response headers larger than %d bytes",
				 HTTP_HEADERS_MAX);
		} else if (rc == CURLE_TOO_MANY_REDIRECTS) {
			snprintf(r->error, sizeof r->error, "too many redirects (more than %d)",
				 t->max_redirects);
		} else if (t->unpinned) {
			r->unpinned = 1;
			snprintf(r->error, sizeof r->error,
				 "no address pinned for %.180s (the system resolver is not used)",
				 t->unpinned_host);
		} else if (rc != CURLE_OK) {
			if (r->error[0] == '\0')
				snprintf(r->error, sizeof r->error, "%s", curl_easy_strerror(rc));
			r->tls_failure = rc == CURLE_SSL_CONNECT_ERROR ||
					 rc == CURLE_PEER_FAILED_VERIFICATION ||
					 rc == CURLE_SSL_CACERT_BADFILE ||
					 rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_CIPHER ||
					 rc == CURLE_SSL_ISSUER_ERROR ||
					 rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH;
			r->timed_out = rc == CURLE_OPERATION_TIMEDOUT;
		} else {
			r->ok = 1;
		}
		if (r->body == NULL)
			r->body = xcalloc(1, 1);
		curl_multi_remove_handle(h->multi, t->easy);
		http_transfer_release(t);
		http_unlink(h, t);
		t->cb(r, t->arg);
		free(r->content_type);
		free(r->redirect);
		free(r->body);
		free(t);
	}
}

static void http_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct http *h = arg;
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
		     ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(h->multi, fd, action, &h->running);
	http_check_done(h);
	if (h->running <= 0)
		evtimer_del(h->timer);
}

static void http_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct http *h = arg;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &h->running);
	http_check_done(h);
}

static int http_on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	struct http *h = userp;
	struct http_socket *hs = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (hs) {
			event_free(hs->ev);
			free(hs);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	short kind = (short)(((what & CURL_POLL_IN) ? EV_READ : 0) |
			     ((what & CURL_POLL_OUT) ? EV_WRITE : 0) | EV_PERSIST);
	if (hs == NULL) {
		hs = xcalloc(1, sizeof *hs);
		curl_multi_assign(h->multi, s, hs);
	} else {
		event_free(hs->ev);
	}
	hs->ev = event_new(h->base, s, kind, http_on_event, h);
	event_add(hs->ev, NULL);
	return 0;
}

static int http_on_timer_change(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct http *h = userp;
	if (timeout_ms < 0) {
		evtimer_del(h->timer);
		return 0;
	}
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	evtimer_add(h->timer, &tv);
	return 0;
}

struct http *http_new(struct event_base *base, char *err, size_t errlen)
{
	static int curl_ready;
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
			snprintf(err, errlen, "curl_global_init failed");
			return NULL;
		}
		curl_ready = 1;
	}
	struct http *h = xcalloc(1, sizeof *h);
	h->base = base;
	h->multi = curl_multi_init();
	h->timer = evtimer_new(base, http_on_timer, h);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, http_on_socket);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, http_on_timer_change);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

void http_free(struct http *h)
{
	if (h == NULL)
		return;
	while (h->transfers) {
		struct http_transfer *t = h->transfers;
		http_unlink(h, t);
		curl_multi_remove_handle(h->multi, t->easy);
		http_transfer_release(t);
		free(t->resp.body);
		free(t);
	}
	curl_multi_cleanup(h->multi);
	event_free(h->timer);
	free(h);
}

static size_t http_on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct http_transfer *t = userdata;
	size_t n = size * nmemb;
	if (t->resp.len + n > t->max_bytes) {
		t->too_large = 1;
		return 0; /* aborts the transfer */
	}
	t->resp.body = xrealloc(t->resp.body, t->resp.len + n + 1);
	memcpy(t->resp.body + t->resp.len, ptr, n);
	t->resp.len += n;
	t->resp.body[t->resp.len] = '\0';
	return n;
}

/* curl bounds the headers of one response itself only in recent versions, and not over a
 * chain of redirects: a peer that never ends its headers is cut here, whatever the version. */
static size_t http_on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	(void)ptr;
	struct http_transfer *t = userdata;
	size_t n = size * nmemb;
	t->header_bytes += n;
	if (t->header_bytes > HTTP_HEADERS_MAX) {
		t->headers_too_large = 1;
		return 0; /* aborts the transfer */
	}
	return n;
}

/* curl calls this only when a name is not in the transfer's DNS cache, which holds its pin and
 * nothing else: an IP literal (nothing to ask) goes on, any other name is refused. It is called
 * for each host of a followed redirect too, whose URL is then the effective one. */
static int http_on_resolver_start(void *resolver_state, void *reserved, void *userdata)
{
	(void)resolver_state;
	(void)reserved;
	struct http_transfer *t = userdata;
	char *url = NULL, *host = NULL;
	int allow = 0;
	curl_easy_getinfo(t->easy, CURLINFO_EFFECTIVE_URL, &url);
	CURLU *u = curl_url();
	if (u && url && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		unsigned char addr[16];
		allow = host[0] == '[' || inet_pton(AF_INET, host, addr) == 1;
		if (!allow)
			snprintf(t->unpinned_host, sizeof t->unpinned_host, "%s", host);
	}
	curl_free(host);
	curl_url_cleanup(u);
	if (!allow) {
		t->unpinned = 1;
		if (t->unpinned_host[0] == '\0')
			snprintf(t->unpinned_host, sizeof t->unpinned_host, "an unparsable URL");
	}
	return allow ? 0 : 1;
}

int http_get(struct http *h, const char *url, const struct http_options *opt, http_done_fn *cb,
	     void *arg)
{
	struct http_transfer *t = xcalloc(1, sizeof *t);
	t->http = h;
	t->cb = cb;
	t->arg = arg;
	t->max_bytes = opt->max_bytes;
	t->max_redirects = opt->max_redirects;
	t->easy = curl_easy_init();
	t->dns = curl_share_init();
	if (t->easy == NULL || t->dns == NULL ||
	    curl_share_setopt(t->dns, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) != CURLSHE_OK)
		goto fail;
	CURL *e = t->easy;
	curl_easy_setopt(e, CURLOPT_SHARE, t->dns);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, http_on_data);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, http_on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	/* A Content-Length over the cap ends the transfer before any of the body is read. */
	curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)opt->max_bytes);
	/* Bodies are taken as sent: no Accept-Encoding is sent (CURLOPT_ACCEPT_ENCODING unset)
	 * and a Content-Encoding the peer sends anyway is not undone, so what the caps count is
	 * what arrived, never what it would inflate to. */
	curl_easy_setopt(e, CURLOPT_HTTP_CONTENT_DECODING, 0L);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->resp.error);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, opt->timeout_ms);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, opt->max_redirects > 0 ? 1L : 0L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS,
			 opt->max_redirects > 0 ? (long)opt->max_redirects : 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mxsurvey");
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	if (opt->ca_file && opt->ca_file[0]) {
		/* The CA file alone, as the x509 check trusts: a build-time CAPATH (Debian's
		 * /etc/ssl/certs) would also keep curl from caching the store in the multi, and
		 * every connection would load and decode the whole file again. */
		curl_easy_setopt(e, CURLOPT_CAINFO, opt->ca_file);
		curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
		curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 86400L);
	}
	curl_easy_setopt(e, CURLOPT_RESOLVER_START_FUNCTION, http_on_resolver_start);
	curl_easy_setopt(e, CURLOPT_RESOLVER_START_DATA, t);
	if (opt->resolve && opt->resolve[0]) {
		t->resolve = curl_slist_append(NULL, opt->resolve);
		if (t->resolve == NULL || curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve) != CURLE_OK)
			goto fail; /* a malformed pin is caught at perform time; this is OOM */
	}
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK)
		goto fail;
	t->next = h->transfers;
	if (h->transfers)
		h->transfers->prev = t;
	h->transfers = t;
	h->fetches++;
	return 0;
fail:
	http_transfer_release(t);
	free(t);
	return -1;
}

unsigned long http_fetches(const struct http *h)
{
	return h->fetches;
}
