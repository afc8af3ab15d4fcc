/* test_http.c — the curl multi client on libevent against a small keep-alive HTTP server on
 * loopback: a pinned name is fetched from its pin, a name without a pin is never resolved, and a
 * pin is the fetch's own: neither it nor the connection it opened serves a later fetch of the
 * same name. Then hostile answers, each ending promptly with its reason: a redirect loop, a
 * Content-Length over the cap with no body coming, headers that never end, and a gzip body
 * nobody asked for (taken as sent, never inflated). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "daemon/http.h"

struct served {
	int connections;     /* accepted */
	int open;	     /* accepted and not yet closed */
	int requests;	     /* answered */
	int accept_encoding; /* requests that asked for a compressed answer */
};

static void on_closed(struct bufferevent *bev, short what, void *arg)
{
	(void)what;
	((struct served *)arg)->open--;
	bufferevent_free(bev);
}

static void on_request(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0)
		return;
	((struct served *)arg)->requests++;
	evbuffer_drain(in, evbuffer_get_length(in));
	/* HTTP/1.1 keeps the connection open: the client decides whether it is used again. */
	static const char reply[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	bufferevent_write(bev, reply, sizeof reply - 1);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	(void)sa;
	(void)socklen;
	((struct served *)arg)->connections++;
	((struct served *)arg)->open++;
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
							 BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_request, NULL, on_closed, arg);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

/* ---- hostile answers, by path ---- */

/* gzip of 4096 zero bytes: what a body would inflate to if the client undid the encoding. */
static const unsigned char gz4096[] = {
    0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xed, 0xc1, 0x01,
    0x0d, 0x00, 0x00, 0x00, 0xc2, 0xa0, 0xf7, 0x4f, 0x6d, 0x0f, 0x07, 0x14, 0x00,
    0x00, 0x00, 0xf0, 0x6e, 0x11, 0x00, 0x1c, 0xc7, 0x00, 0x10, 0x00, 0x00};

#define FILLER_HEADERS 80 /* of 1 KiB: over HTTP_HEADERS_MAX, under curl's own 300 KiB */

static void on_hostile_request(struct bufferevent *bev, void *arg)
{
	struct served *sv = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer_ptr end = evbuffer_search(in, "\r\n\r\n", 4, NULL);
	if (end.pos < 0)
		return;
	char head[2048];
	size_t n = evbuffer_remove(in, head, sizeof head - 1);
	head[n] = '\0';
	evbuffer_drain(in, evbuffer_get_length(in));
	sv->requests++;
	if (strcasestr(head, "\r\nAccept-Encoding:"))
		sv->accept_encoding++;
	struct evbuffer *out = bufferevent_get_output(bev);
	if (strncmp(head, "GET /loop ", 10) == 0) {
		evbuffer_add_printf(out, "HTTP/1.1 301 Moved Permanently\r\nLocation: /loop\r\n"
					 "Content-Length: 0\r\n\r\n");
	} else if (strncmp(head, "GET /length ", 12) == 0) {
		/* 100 MB announced, nothing sent: only the header can end this early. */
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n");
	} else if (strncmp(head, "GET /headers ", 13) == 0) {
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\n");
		char filler[1024];
		memset(filler, 'h', sizeof filler);
		for (int i = 0; i < FILLER_HEADERS; i++)
			evbuffer_add_printf(out, "X-Filler-%02d: %.*s\r\n", i, 1000, filler);
		evbuffer_add_printf(out, "Content-Length: 2\r\n\r\nok");
	} else if (strncmp(head, "GET /gzip ", 10) == 0) {
		evbuffer_add_printf(out, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
					 "Content-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
				    sizeof gz4096);
		evbuffer_add(out, gz4096, sizeof gz4096);
	} else {
		evbuffer_add_printf(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
	}
}

static void on_hostile_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			      int socklen, void *arg)
{
	(void)sa;
	(void)socklen;
	((struct served *)arg)->connections++;
	((struct served *)arg)->open++;
	struct bufferevent *bev = bufferevent_socket_new(evconnlistener_get_base(l), fd,
							 BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(bev, on_hostile_request, NULL, on_closed, arg);
	bufferevent_enable(bev, EV_READ | EV_WRITE);
}

struct fetched {
	int done;		 /* callbacks */
	int ok;			 /* of the last */
	int unpinned;		 /* of the last */
	char body[16];		 /* of the last */
	struct event_base *base; /* borrowed: to stop the loop */
};

static void on_fetched(const struct http_response *r, void *arg)
{
	struct fetched *f = arg;
	f->done++;
	f->ok = r->ok && r->status == 200;
	f->unpinned = r->unpinned;
	snprintf(f->body, sizeof f->body, "%.*s", (int)r->len, (const char *)r->body);
	event_base_loopbreak(f->base);
}

static void fetch(struct http *h, struct fetched *f, const char *url, const char *pin)
{
	struct http_options opt = {.timeout_ms = 5000, .max_bytes = 1024, .resolve = pin};
	int before = f->done;
	assert_int_equal(http_get(h, url, &opt, on_fetched, f), 0);
	while (f->done == before)
		event_base_loop(f->base, EVLOOP_ONCE);
}

static void test_http_pins_are_per_fetch(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct served served = {0};
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	struct evconnlistener *l = evconnlistener_new_bind(
		base, on_accept, &served, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 16,
		(struct sockaddr *)&sin, sizeof sin);
	assert_non_null(l);
	socklen_t len = sizeof sin;
	getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&sin, &len);
	int port = ntohs(sin.sin_port);

	char err[128], url[96], pin[96];
	struct http *h = http_new(base, err, sizeof err);
	assert_non_null(h);
	struct fetched f = {.base = base};
	snprintf(url, sizeof url, "http://policy.example.test:%d/", port);
	snprintf(pin, sizeof pin, "policy.example.test:%d:127.0.0.1", port);

	fetch(h, &f, url, pin);
	assert_true(f.ok);
	assert_string_equal(f.body, "ok");
	assert_int_equal(served.requests, 1);

	/* The same name again without a pin: the first fetch's pin and connection are gone with
	 * it, and the system resolver is never asked. */
	fetch(h, &f, url, NULL);
	assert_false(f.ok);
	assert_true(f.unpinned);
	assert_int_equal(served.requests, 1);

	/* Pinned again, it is fetched again, on a connection of its own. */
	fetch(h, &f, url, pin);
	assert_true(f.ok);
	assert_int_equal(served.requests, 2);
	assert_int_equal(served.connections, 2);
	assert_int_equal(http_fetches(h), 3);

	http_free(h);
	/* The server's side of each connection ends when it sees the close. */
	for (int i = 0; i < 200 && served.open > 0; i++) {
		struct timeval tv = {0, 10000};
		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	assert_int_equal(served.open, 0);
	evconnlistener_free(l);
	event_base_free(base);
}

struct hostile_case {
	const char *name;
	const char *path;
	int max_redirects;
	int ok;		      /* want: a complete response */
	long status;	      /* want (when ok) */
	const char *error;    /* want: the reason (when not ok) */
	size_t len;	      /* want: body bytes (when ok) */
	int requests;	      /* want: requests the server saw */
};

static const struct hostile_case hostile_cases[] = {
    {"redirect loop, followed", "/loop", 3, 0, 0, "too many redirects (more than 3)", 0, 4},
    {"redirect loop, not followed", "/loop", 0, 1, 301, NULL, 0, 1},
    {"Content-Length over the cap", "/length", 0, 0, 0, "body larger than 1024 bytes", 0, 1},
    {"headers without end", "/headers", 0, 0, 0, "response headers larger than 65536 bytes", 0,
     1},
    {"gzip nobody asked for", "/gzip", 0, 1, 200, NULL, sizeof gz4096, 1},
};

struct got {
	int done;		 /* callbacks */
	int ok, timed_out;	 /* of the last */
	long status;		 /* of the last */
	char error[256];	 /* of the last */
	char redirect[128];	 /* of the last */
	unsigned char body[64];	 /* of the last (its first bytes) */
	size_t len;		 /* of the last */
	struct event_base *base; /* borrowed: to stop the loop */
};

static void on_got(const struct http_response *r, void *arg)
{
	struct got *g = arg;
	g->done++;
	g->ok = r->ok;
	g->timed_out = r->timed_out;
	g->status = r->status;
	snprintf(g->error, sizeof g->error, "%s", r->error);
	snprintf(g->redirect, sizeof g->redirect, "%s", r->redirect ? r->redirect : "");
	g->len = r->len;
	memcpy(g->body, r->body, r->len < sizeof g->body ? r->len : sizeof g->body);
	event_base_loopbreak(g->base);
}

static void test_http_hostile_answers(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	char err[128];
	struct http *h = http_new(base, err, sizeof err);
	assert_non_null(h);
	for (size_t i = 0; i < sizeof hostile_cases / sizeof hostile_cases[0]; i++) {
		const struct hostile_case *c = &hostile_cases[i];
		struct served served = {0};
		sin.sin_port = 0;
		struct evconnlistener *l = evconnlistener_new_bind(
			base, on_hostile_accept, &served, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
			16, (struct sockaddr *)&sin, sizeof sin);
		assert_non_null(l);
		struct sockaddr_in bound;
		socklen_t blen = sizeof bound;
		getsockname(evconnlistener_get_fd(l), (struct sockaddr *)&bound, &blen);
		char url[96];
		snprintf(url, sizeof url, "http://127.0.0.1:%d%s", ntohs(bound.sin_port), c->path);
		/* Long enough that running into it shows as timed_out rather than a reason. */
		struct http_options opt = {
		    .timeout_ms = 4000, .max_bytes = 1024, .max_redirects = c->max_redirects};
		struct got g = {.base = base};
		assert_int_equal(http_get(h, url, &opt, on_got, &g), 0);
		while (g.done == 0)
			event_base_loop(base, EVLOOP_ONCE);
		if (g.timed_out || g.ok != c->ok || served.requests != c->requests ||
		    (c->ok && (g.status != c->status || g.len != c->len)) ||
		    (!c->ok && strcmp(g.error, c->error) != 0))
			fail_msg("%s: ok %d status %ld len %zu requests %d timed_out %d error \"%s\"",
				 c->name, g.ok, g.status, g.len, served.requests, g.timed_out,
				 g.error);
		/* Nothing is asked compressed, and a compressed body is handed over as sent. */
		assert_int_equal(served.accept_encoding, 0);
		if (c->len == sizeof gz4096)
			assert_memory_equal(g.body, gz4096, sizeof gz4096);
		if (c->ok && c->status == 301)
			assert_non_null(strstr(g.redirect, "/loop"));
		for (int k = 0; k < 200 && served.open > 0; k++) {
			struct timeval tv = {0, 10000};
			event_base_loopexit(base, &tv);
			event_base_dispatch(base);
		}
		evconnlistener_free(l);
	}
	http_free(h);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_pins_are_per_fetch),
		cmocka_unit_test(test_http_hostile_answers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
