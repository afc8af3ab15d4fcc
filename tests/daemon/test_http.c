/* test_http.c — the curl multi client on libevent against a small keep-alive HTTP server on
 * loopback: a pinned name is fetched from its pin, a name without a pin is never resolved, and a
 * pin is the fetch's own: neither it nor the connection it opened serves a later fetch of the
 * same name. */
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
	int connections; /* accepted */
	int open;	 /* accepted and not yet closed */
	int requests;	 /* answered */
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_pins_are_per_fetch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
