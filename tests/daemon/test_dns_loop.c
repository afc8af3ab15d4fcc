/* test_dns_loop.c — the getdns event loop of daemon/dns.c on libevent: an fd both writable and
 * readable gets its write callback first (the case of libunbound's TCP Fast Open connections
 * before their first write), plain reads and timeouts fire, and a cleared event stays silent. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/event.h>
#include <fcntl.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/dns.h"

struct calls {
	int reads;		     /* read_cb runs */
	int writes;		     /* write_cb runs */
	int timeouts;		     /* timeout_cb runs */
	getdns_eventloop *loop;	     /* borrowed: to clear the event from its callback */
	getdns_eventloop_event *gev; /* borrowed: the event under test */
};

static void on_read(void *arg)
{
	((struct calls *)arg)->reads++;
}

static void on_write(void *arg)
{
	((struct calls *)arg)->writes++;
}

/* A one-shot timer as getdns uses it: the callback clears its own event. */
static void on_timeout_clear(void *arg)
{
	struct calls *c = arg;
	c->timeouts++;
	c->loop->vmt->clear(c->loop, c->gev);
}

struct fixture {
	struct event_base *base;
	getdns_eventloop *loop;
};

static int setup(void **state)
{
	static struct fixture f;
	f.base = event_base_new();
	f.loop = dns_loop_new(f.base);
	*state = &f;
	return f.base == NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	dns_loop_free(f->loop);
	event_base_free(f->base);
	return 0;
}

/* A TCP socket not yet connected polls readable and writable (EPOLLHUP): the write runs. */
static void test_unconnected_tcp_writes_first(void **state)
{
	struct fixture *f = *state;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, IPPROTO_TCP);
	assert_true(fd >= 0);
	struct calls c = {0};
	getdns_eventloop_event gev = {&c, on_read, on_write, NULL, NULL};
	assert_int_equal(f->loop->vmt->schedule(f->loop, fd, (uint64_t)-1, &gev),
			 GETDNS_RETURN_GOOD);
	assert_non_null(gev.ev);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.reads, 0);
	f->loop->vmt->clear(f->loop, &gev);
	assert_null(gev.ev);
	close(fd);
}

/* Readable and writable with both callbacks: one callback per round, write first, then the read
 * once the write side is no longer wanted. */
static void test_read_follows_write(void **state)
{
	struct fixture *f = *state;
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	struct calls c = {0};
	getdns_eventloop_event gev = {&c, on_read, on_write, NULL, NULL};
	f->loop->vmt->schedule(f->loop, sv[0], (uint64_t)-1, &gev);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.reads, 0);
	f->loop->vmt->clear(f->loop, &gev);
	gev.write_cb = NULL;
	f->loop->vmt->schedule(f->loop, sv[0], (uint64_t)-1, &gev);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(c.writes, 1);
	assert_int_equal(c.reads, 1);
	f->loop->vmt->clear(f->loop, &gev);
	close(sv[0]);
	close(sv[1]);
}

static void test_timeout_fires_once(void **state)
{
	struct fixture *f = *state;
	struct calls c = {0};
	getdns_eventloop_event gev = {&c, NULL, NULL, on_timeout_clear, NULL};
	c.loop = f->loop;
	c.gev = &gev;
	f->loop->vmt->schedule(f->loop, -1, 10, &gev);
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(c.timeouts, 1);
	assert_null(gev.ev);
	assert_int_equal(event_base_loop(f->base, EVLOOP_NONBLOCK), 1); /* nothing left */
}

static void test_cleared_event_is_silent(void **state)
{
	struct fixture *f = *state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "x", 1), 1);
	struct calls c = {0};
	getdns_eventloop_event gev = {&c, on_read, NULL, NULL, NULL};
	f->loop->vmt->schedule(f->loop, p[0], (uint64_t)-1, &gev);
	f->loop->vmt->clear(f->loop, &gev);
	assert_null(gev.ev);
	event_base_loop(f->base, EVLOOP_NONBLOCK);
	assert_int_equal(c.reads, 0);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unconnected_tcp_writes_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_follows_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_fires_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleared_event_is_silent, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
