/* test_dns_share.c — daemon/dns.c against a tiny DNS server on loopback (in this process, on the
 * same libevent base): lookups of one question in flight share one query; answers come from the
 * scanner's cache while fresh (RRsets and NXDOMAIN, never SERVFAIL); cancelling one of several
 * waiters ends it alone; with the cache off every lookup is a query; trusting the upstream, a
 * query asks for AD with the AD bit and EDNS but without DO, and AD in the reply reads secure;
 * queries that fall back to TCP and time out there leave no socket closed under an event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/dns.h"
#include "daemon/evlog.h"

/* ---- the server: A 192.0.2.1 for every name, NXDOMAIN for nx.*, SERVFAIL for sf.*; AD set in
 * replies for sec.* ---- */

struct server {
	int fd;
	unsigned port;
	struct event *ev;
	int tcp;		/* listening on the same port: reads queries, never answers */
	struct event *tcp_ev;
	int conns[8];		/* accepted connections, kept open */
	struct event *conn_ev[8];
	int n_conns;
	int queries; /* queries received */
	char last[256];
	int last_ad;   /* the last query had the AD bit */
	int last_edns; /* ... an OPT record */
	int last_do;   /* ... with the DO bit */
};

/* The question's name as text ("a.example.test") from the wire at p; its end in *end. */
static int wire_name(const unsigned char *msg, size_t len, size_t off, char *out, size_t outlen,
		     size_t *end)
{
	size_t o = 0;
	while (off < len && msg[off]) {
		size_t l = msg[off++];
		if (l > 63 || off + l > len || o + l + 2 > outlen)
			return -1;
		if (o)
			out[o++] = '.';
		memcpy(out + o, msg + off, l);
		o += l;
		off += l;
	}
	out[o] = '\0';
	*end = off + 1;
	return off < len ? 0 : -1;
}

static void server_on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct server *srv = arg;
	unsigned char q[1500], r[1600];
	struct sockaddr_storage from;
	socklen_t fl = sizeof from;
	ssize_t n = recvfrom(fd, q, sizeof q, 0, (struct sockaddr *)&from, &fl);
	size_t qend;
	char name[256];
	if (n < 12 || wire_name(q, (size_t)n, 12, name, sizeof name, &qend) < 0 ||
	    qend + 4 > (size_t)n)
		return;
	srv->queries++;
	snprintf(srv->last, sizeof srv->last, "%s", name);
	srv->last_ad = (q[3] & 0x20) != 0;
	size_t opt = qend + 4; /* the OPT record, when it is the first additional one */
	srv->last_edns = (q[10] || q[11]) && opt + 11 <= (size_t)n && q[opt] == 0 &&
			 q[opt + 1] == 0 && q[opt + 2] == 41;
	srv->last_do = srv->last_edns && (q[opt + 7] & 0x80) != 0;
	uint16_t qtype = (uint16_t)(q[qend] << 8 | q[qend + 1]);
	int rcode = strncmp(name, "nx.", 3) == 0 ? 3 : strncmp(name, "sf.", 3) == 0 ? 2 : 0;
	int tc = strncmp(name, "tc", 2) == 0; /* truncated: ask again over TCP */
	int answer = rcode == 0 && qtype == 1 && !tc;
	memcpy(r, q, qend + 4);
	r[2] = (unsigned char)(0x80 | (tc ? 0x02 : 0) | (q[2] & 0x01)); /* QR, TC, RD echoed */
	r[3] = (unsigned char)(0x80 | rcode); /* RA */
	if (strncmp(name, "sec.", 4) == 0)
		r[3] |= 0x20; /* AD */
	r[4] = 0, r[5] = 1;	      /* QDCOUNT */
	r[6] = 0, r[7] = (unsigned char)answer;
	r[8] = r[9] = r[10] = r[11] = 0;
	size_t o = qend + 4;
	if (answer) {
		static const unsigned char rr[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4,
						   192,	 0,    2, 1};
		memcpy(r + o, rr, sizeof rr);
		o += sizeof rr;
	}
	sendto(fd, r, o, 0, (struct sockaddr *)&from, fl);
}

static void server_on_conn_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	(void)arg;
	char buf[512];
	(void)recv(fd, buf, sizeof buf, 0); /* the query, or the end: never answered */
}

static void server_on_accept(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct server *srv = arg;
	int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK);
	if (c < 0)
		return;
	if (srv->n_conns == 8) {
		close(c);
		return;
	}
	srv->conns[srv->n_conns] = c;
	srv->conn_ev[srv->n_conns] = event_new(event_get_base(srv->tcp_ev), c,
					       EV_READ | EV_PERSIST, server_on_conn_read, srv);
	event_add(srv->conn_ev[srv->n_conns++], NULL);
}

static void server_start(struct server *srv, struct event_base *base)
{
	memset(srv, 0, sizeof *srv);
	srv->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	assert_true(srv->fd >= 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	assert_int_equal(bind(srv->fd, (struct sockaddr *)&sa, sizeof sa), 0);
	socklen_t sl = sizeof sa;
	getsockname(srv->fd, (struct sockaddr *)&sa, &sl);
	srv->port = ntohs(sa.sin_port);
	srv->ev = event_new(base, srv->fd, EV_READ | EV_PERSIST, server_on_read, srv);
	event_add(srv->ev, NULL);
	srv->tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	assert_true(srv->tcp >= 0);
	assert_int_equal(bind(srv->tcp, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(srv->tcp, 8), 0);
	srv->tcp_ev = event_new(base, srv->tcp, EV_READ | EV_PERSIST, server_on_accept, srv);
	event_add(srv->tcp_ev, NULL);
}

static void server_stop(struct server *srv)
{
	for (int i = 0; i < srv->n_conns; i++) {
		event_free(srv->conn_ev[i]);
		close(srv->conns[i]);
	}
	event_free(srv->tcp_ev);
	close(srv->tcp);
	event_free(srv->ev);
	close(srv->fd);
}

/* ---- the scanner's side ---- */

struct got {
	int calls;
	enum dns_status status;
	enum dnssec_status dnssec;
	size_t n_rr;
	char why[128];
};

static void on_answer(struct dns_answer *a, void *arg)
{
	struct got *g = arg;
	g->calls++;
	g->status = a->status;
	g->dnssec = a->dnssec;
	g->n_rr = a->n_rr;
	snprintf(g->why, sizeof g->why, "%s", a->why ? a->why : "");
}

struct world {
	struct event_base *base;
	struct server srv;
	struct config cfg;
	struct dns *dns;
	char ta[64];
};

static void world_up(struct world *w, unsigned cache_ttl)
{
	w->base = event_base_new();
	server_start(&w->srv, w->base);
	config_init_defaults(&w->cfg);
	char up[64], err[200];
	snprintf(up, sizeof up, "127.0.0.1@%u", w->srv.port);
	assert_int_equal(config_apply_override(&w->cfg, "dns.mode", "stub", err, sizeof err), 0);
	assert_int_equal(config_apply_override(&w->cfg, "dns.validate", "upstream", err, sizeof err),
			 0);
	assert_int_equal(config_apply_override(&w->cfg, "dns.upstreams", up, err, sizeof err), 0);
	/* An explicit anchor: getdns never looks for one on the network. */
	snprintf(w->ta, sizeof w->ta, "/tmp/mxs-test-ta.%d", (int)getpid());
	FILE *f = fopen(w->ta, "w");
	fputs(". 3600 IN DS 20326 8 2 "
	      "E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n",
	      f);
	fclose(f);
	config_set_str(&w->cfg.dns_trust_anchor, w->ta);
	w->cfg.dns_cache_ttl_s = cache_ttl;
	w->dns = dns_new(w->base, &w->cfg, err, sizeof err);
	if (w->dns == NULL)
		fail_msg("dns_new: %s", err);
}

static void world_down(struct world *w)
{
	dns_free(w->dns);
	server_stop(&w->srv);
	config_clear(&w->cfg);
	event_base_free(w->base);
	unlink(w->ta);
}

/* Run the loop until every got has been called (at most ~5 s). */
static void run_until(struct world *w, struct got *g, size_t n)
{
	for (int round = 0; round < 500; round++) {
		size_t done = 0;
		for (size_t i = 0; i < n; i++)
			done += g[i].calls > 0;
		if (done == n)
			return;
		struct timeval tv = {0, 10000};
		event_base_loopexit(w->base, &tv);
		event_base_dispatch(w->base);
	}
	fail_msg("lookups not answered");
}

static void test_shared_and_cached(void **state)
{
	(void)state;
	struct world w;
	world_up(&w, 300);
	struct got g[20] = {{0}};
	for (int i = 0; i < 20; i++)
		assert_non_null(dns_lookup(w.dns, "a.example.test", DNS_TYPE_A, on_answer, &g[i]));
	run_until(&w, g, 20);
	assert_int_equal(w.srv.queries, 1); /* one query for twenty lookups */
	for (int i = 0; i < 20; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_equal(g[i].status, DNS_STATUS_OK);
		assert_int_equal(g[i].n_rr, 1);
	}
	/* Fresh in the cache: answered before dns_lookup returns, no query. */
	struct got again = {0};
	assert_non_null(dns_lookup(w.dns, "A.Example.Test.", DNS_TYPE_A, on_answer, &again));
	assert_int_equal(again.calls, 1);
	assert_int_equal(again.status, DNS_STATUS_OK);
	assert_int_equal(w.srv.queries, 1);

	/* NXDOMAIN is cached too; SERVFAIL never. */
	struct got nx[2] = {{0}}, sf[2] = {{0}};
	dns_lookup(w.dns, "nx.example.test", DNS_TYPE_A, on_answer, &nx[0]);
	run_until(&w, nx, 1);
	dns_lookup(w.dns, "nx.example.test", DNS_TYPE_A, on_answer, &nx[1]);
	assert_int_equal(nx[1].calls, 1);
	assert_int_equal(nx[1].status, DNS_STATUS_NXDOMAIN);
	assert_int_equal(w.srv.queries, 2);
	dns_lookup(w.dns, "sf.example.test", DNS_TYPE_A, on_answer, &sf[0]);
	run_until(&w, sf, 1);
	dns_lookup(w.dns, "sf.example.test", DNS_TYPE_A, on_answer, &sf[1]);
	run_until(&w, sf + 1, 1);
	assert_int_equal(sf[1].status, DNS_STATUS_SERVFAIL);
	assert_int_equal(w.srv.queries, 4);

	struct dns_stats st;
	dns_stats(w.dns, &st);
	assert_int_equal(st.lookups, 25);
	assert_int_equal(st.joined, 19);
	assert_int_equal(st.cache_hits, 2);
	assert_int_equal(st.queries, 4);
	world_down(&w);
}

static void test_cancel_one_waiter(void **state)
{
	(void)state;
	struct world w;
	world_up(&w, 300);
	struct got g[3] = {{0}};
	struct dns_request *r[3];
	for (int i = 0; i < 3; i++)
		r[i] = dns_lookup(w.dns, "c.example.test", DNS_TYPE_A, on_answer, &g[i]);
	dns_cancel(w.dns, r[1], "scan deadline reached");
	assert_int_equal(g[1].calls, 1); /* at once */
	assert_int_equal(g[1].status, DNS_STATUS_TIMEOUT);
	assert_string_equal(g[1].why, "scan deadline reached");
	struct got rest[2];
	run_until(&w, g, 3);
	memcpy(&rest[0], &g[0], sizeof rest[0]);
	memcpy(&rest[1], &g[2], sizeof rest[1]);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(rest[i].calls, 1);
		assert_int_equal(rest[i].status, DNS_STATUS_OK);
	}
	assert_int_equal(g[1].calls, 1);
	assert_int_equal(w.srv.queries, 1);

	/* The only waiter cancelled: the query goes with it, the callback runs once. */
	struct got alone = {0};
	struct dns_request *a = dns_lookup(w.dns, "d.example.test", DNS_TYPE_A, on_answer, &alone);
	dns_cancel(w.dns, a, "cancelled by the test");
	assert_int_equal(alone.calls, 1);
	assert_int_equal(alone.status, DNS_STATUS_TIMEOUT);
	struct timeval tv = {0, 100000};
	event_base_loopexit(w.base, &tv);
	event_base_dispatch(w.base);
	assert_int_equal(alone.calls, 1);
	world_down(&w);
}

static void test_cache_off(void **state)
{
	(void)state;
	struct world w;
	world_up(&w, 0);
	struct got g[2] = {{0}};
	dns_lookup(w.dns, "a.example.test", DNS_TYPE_A, on_answer, &g[0]);
	run_until(&w, g, 1);
	dns_lookup(w.dns, "a.example.test", DNS_TYPE_A, on_answer, &g[1]);
	assert_int_equal(g[1].calls, 0);
	run_until(&w, g + 1, 1);
	assert_int_equal(w.srv.queries, 2);
	world_down(&w);
}

/* Trusting a validating upstream: AD asked for with the AD bit (RFC 6840 §5.7), not with DO,
 * which would bring signatures nothing reads; AD in the reply is the DNSSEC status. */
static void test_upstream_ad(void **state)
{
	(void)state;
	struct world w;
	world_up(&w, 300);
	const struct {
		const char *name;
		enum dnssec_status expect;
	} cases[] = {{"sec.example.test", DNSSEC_SECURE}, {"a.example.test", DNSSEC_INSECURE}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct got g = {0};
		dns_lookup(w.dns, cases[i].name, DNS_TYPE_A, on_answer, &g);
		run_until(&w, &g, 1);
		assert_int_equal(g.status, DNS_STATUS_OK);
		if (g.dnssec != cases[i].expect)
			fail_msg("%s: dnssec %d, expected %d", cases[i].name, g.dnssec,
				 cases[i].expect);
		assert_true(w.srv.last_ad);
		assert_true(w.srv.last_edns); /* extended errors (RFC 8914) need EDNS */
		assert_false(w.srv.last_do);
	}
	world_down(&w);
}

/* getdns 1.6 falls back from a truncated UDP answer to the upstream's TCP connection using the
 * connection's socket as the query's own, and closes it when the query times out, while the
 * connection goes on with it. Two such queries on one connection to a server that never answers
 * over TCP: the second timeout scheduled the connection on the closed socket (libevent: "Epoll
 * ADD ... Bad file descriptor"; with MXS_LIBEVENT_STRICT=1 an abort). Now no libevent warning,
 * and both lookups end with a DNS error. */
static void test_tcp_fallback_timeout(void **state)
{
	(void)state;
	struct world w;
	world_up(&w, 0);
	char err[200];
	assert_int_equal(config_apply_override(&w.cfg, "dns.timeout", "300", err, sizeof err), 0);
	dns_free(w.dns);
	w.dns = dns_new(w.base, &w.cfg, err, sizeof err);
	assert_non_null(w.dns);
	evlog_init();
	unsigned long warnings = evlog_warnings();
	struct got g[2] = {{0}};
	dns_lookup(w.dns, "tc1.example.test", DNS_TYPE_A, on_answer, &g[0]);
	dns_lookup(w.dns, "tc2.example.test", DNS_TYPE_A, on_answer, &g[1]);
	run_until(&w, g, 2);
	assert_int_equal(evlog_warnings(), warnings);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(g[i].calls, 1);
		assert_int_not_equal(g[i].status, DNS_STATUS_OK);
	}
	assert_true(w.srv.n_conns >= 1); /* the fallback did go over TCP */
	world_down(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_and_cached),
		cmocka_unit_test(test_cancel_one_waiter),
		cmocka_unit_test(test_cache_off),
		cmocka_unit_test(test_upstream_ad),
		cmocka_unit_test(test_tcp_fallback_timeout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
