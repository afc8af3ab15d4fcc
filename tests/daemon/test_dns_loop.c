/* test_dns_loop.c — the getdns event loop of daemon/dns.c on libevent: an fd both writable and
 * readable gets its write callback first (the case of libunbound's TCP Fast Open connections
 * before their first write), plain reads and timeouts fire, a cleared event stays silent, and a
 * socket getdns closes under its event is plugged without a libevent warning. */
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
#include "daemon/evlog.h"

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
	evlog_init();
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

/* getdns 1.6 closes an upstream's TCP socket under its event (a query that fell back from a
 * truncated UDP answer to the shared TCP connection times out or is cancelled) and schedules
 * on the number again. No libevent warning: the number gets a plug on which getdns' read fails
 * at once, so that it resets the connection (and closes the plug). */
static void test_closed_under_event_rescheduled(void **state)
{
	struct fixture *f = *state;
	unsigned long warnings = evlog_warnings();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct calls c = {0};
	getdns_eventloop_event gev = {&c, on_read, NULL, NULL, NULL};
	assert_int_equal(f->loop->vmt->schedule(f->loop, sv[0], (uint64_t)-1, &gev),
			 GETDNS_RETURN_GOOD);
	close(sv[0]); /* getdns' stub_timeout_cb */
	f->loop->vmt->clear(f->loop, &gev);
	assert_int_equal(f->loop->vmt->schedule(f->loop, sv[0], (uint64_t)-1, &gev),
			 GETDNS_RETURN_GOOD);
	assert_int_equal(evlog_warnings(), warnings);
	assert_int_equal(dns_loop_plugged(f->loop), 1);
	event_base_loop(f->base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
	assert_int_equal(c.reads, 1); /* end of file on the plug */
	char b;
	assert_int_equal(recv(sv[0], &b, 1, 0), -1); /* not a socket: getdns fails the upstream */
	f->loop->vmt->clear(f->loop, &gev);
	close(sv[0]); /* getdns' reset closes the plug */
	close(sv[1]);
}

/* Closed under its event and left scheduled: plugged before anything else is scheduled, so a
 * socket opened next cannot get the number and be read by the upstream's callback. */
static void test_closed_under_event_number_kept(void **state)
{
	struct fixture *f = *state;
	unsigned long warnings = evlog_warnings();
	int sv[2];
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	struct calls c = {0}, t = {0};
	getdns_eventloop_event gev = {&c, on_read, NULL, NULL, NULL};
	f->loop->vmt->schedule(f->loop, sv[0], (uint64_t)-1, &gev);
	close(sv[0]);
	getdns_eventloop_event timer = {&t, NULL, NULL, on_timeout_clear, NULL};
	t.loop = f->loop;
	t.gev = &timer;
	f->loop->vmt->schedule(f->loop, -1, 1, &timer); /* getdns scheduling anything */
	int next = socket(AF_INET, SOCK_DGRAM, 0);
	assert_true(next >= 0);
	assert_int_not_equal(next, sv[0]);
	event_base_loop(f->base, EVLOOP_ONCE);
	assert_int_equal(c.reads, 1);
	assert_int_equal(evlog_warnings(), warnings);
	f->loop->vmt->clear(f->loop, &gev);
	if (timer.ev)
		f->loop->vmt->clear(f->loop, &timer);
	close(next);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unconnected_tcp_writes_first, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_follows_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timeout_fires_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cleared_event_is_silent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_closed_under_event_rescheduled, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_closed_under_event_number_kept, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
