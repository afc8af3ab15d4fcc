/* dns.c — getdns on libevent. Owns the getdns context and every in-flight request; a request is
 * freed in its getdns callback, the one place it ends (also on cancel). Responses are converted
 * to struct dns_answer and destroyed there. */
#include "daemon/dns.h"
#include "daemon/dns_cache.h"

#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <fcntl.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/dname.h"
#include "common/hash.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/config.h"
#include "daemon/evlog.h"

#define DNS_INFLIGHT_BUCKETS 16384 /* hash of questions in flight (a power of two) */

struct dns {
	getdns_context *ctx;	  /* owned */
	getdns_eventloop *loop;	  /* owned: getdns' event loop (dns_loop_new), outlives ctx */
	getdns_dict *ext;	  /* owned: extensions passed with every query */
	getdns_dict *ext_cd;	  /* owned: those plus CD and DO, for re-asking an ambiguous SERVFAIL
				     (trust_upstream only, else NULL) */
	struct dns_cache *cache;  /* owned: definite answers, by (name, type) */
	int trust_upstream;	  /* 1: DNSSEC status from the AD bit / EDE of the resolver */
	uint64_t started;	  /* queries handed to getdns */
	uint64_t answered;	  /* queries answered */
	uint64_t lookups;	  /* dns_lookup calls */
	uint64_t joined;	  /* lookups that joined a query already in flight */
	size_t outstanding;	  /* queries handed to getdns and not yet answered */
	size_t max_outstanding;	  /* more wait in the queue (getdns: one socket per query) */
	struct dns_query *queue_head, *queue_tail; /* borrowed: queries waiting their turn */
	struct dns_query *inflight[DNS_INFLIGHT_BUCKETS]; /* borrowed: queued or sent, by question */
	struct dns_query *starting; /* being handed to getdns; NULL once answered */
};

/* One question asked of getdns (or waiting to be), shared by every lookup that wants it while it
 * is in flight: a thousand domains on one provider ask for its MX host's addresses once. */
struct dns_query {
	struct dns *dns;	     /* borrowed: the owner */
	getdns_transaction_t id;     /* getdns transaction */
	const char *cancel_why;	     /* static: reason given to dns_cancel */
	uint16_t type;		     /* the question's type */
	int attempts;		     /* queries sent for this question */
	unsigned long plugs;	     /* the loop's plugged count when last sent */
	int resets;		     /* sent again after the loop reset its connection */
	int queued;		     /* waiting in the queue, not yet given to getdns */
	struct dns_answer *first;    /* owned: a SERVFAIL without EDE waiting for its CD=1 re-query
					(NULL otherwise); the reply then goes into first->cd */
	struct dns_request *waiters; /* owned: the lookups to answer */
	struct dns_query *next;	     /* in the queue */
	struct dns_query *hnext;     /* in its inflight bucket */
	char name[];		     /* the question, canonical (sized: tens of thousands queue) */
};

/* One lookup: the caller's handle. */
struct dns_request {
	struct dns_query *query;  /* borrowed: the question it waits for */
	dns_done_fn *cb;	  /* completion */
	void *arg;		  /* borrowed: cb's argument */
	struct dns_request *next; /* among the query's waiters */
};

/* NODATA and NXDOMAIN are kept this long at most (the SOA minimum is not recorded). */
#define DNS_NEGATIVE_TTL_S 60

/* getdns' stub sends a UDP query once and waits out the timeout: one lost datagram would be a
 * "timeout" verdict. Ask again before reporting it. */
#define DNS_ATTEMPTS 2

/* getdns' event loop on the engine's libevent base, in place of getdns' own libevent extension,
 * which gives an fd that is both readable and writable to the read callback only. Recursive mode
 * needs both: Debian's libunbound opens its TCP connections with TCP Fast Open, so the socket is
 * connected by its first write, and until then epoll reports it readable and writable (EPOLLHUP).
 * Handed the read alone, libunbound reads, gets ENOTCONN and drops the connection: every answer
 * that needs TCP after a truncated UDP reply failed. Here the write goes first; the read follows
 * in the next round, since libevent's events are level-triggered. */
struct dns_loop {
	getdns_eventloop super;	 /* first: getdns holds a pointer to it */
	struct event_base *base; /* borrowed: the engine's loop */
	struct dns_loop_stream *streams; /* owned: stream sockets with an event (see below) */
	size_t n_streams, cap_streams;
	unsigned long plugged;	 /* closed sockets replaced by a plug (dns_loop_plug) */
};

/* getdns 1.6's stub falls back from a truncated UDP answer to TCP by giving the query the
 * upstream's shared TCP socket as its own (netreq->fd = upstream->fd); when that query then
 * times out or is cancelled, getdns closes "its" socket, which is the upstream's, while the
 * upstream keeps it and its event. Its next event_add on that number failed with EBADF
 * (libevent: "Epoll ADD ... Bad file descriptor"), and a socket opened meanwhile could get the
 * number and be read by the upstream's callbacks. The loop therefore keeps the stream sockets
 * it has events for, and where one turns out closed behind the event, puts a plug at its
 * number: the read end of a pipe without writer, on which getdns' next recv or send fails
 * (ENOTSOCK, no SIGPIPE), so that getdns fails the upstream's queries (they are asked again)
 * and resets the connection properly, closing the plug. It is checked where getdns can have
 * done it: before any event is scheduled, after each getdns callback run by this loop, and
 * when getdns answers a query (dns_on_response), before anything can open a socket. */
struct dns_loop_stream {
	getdns_eventloop_event *gev; /* borrowed: getdns' event on the socket */
	int fd;			     /* the socket's number */
	dev_t dev;		     /* and its identity when the event was added */
	ino_t ino;
	int timed;		     /* the event's timeout, to add it again */
	struct timeval tv;
};

/* gev->ev: our event, with what its callback needs; the struct event follows it. */
struct dns_loop_ev {
	union {
		struct {
			struct dns_loop *loop;	     /* borrowed */
			getdns_eventloop_event *gev; /* borrowed */
		};
		max_align_t align; /* the struct event after it is aligned */
	};
};
#define DNS_LOOP_EVENT(w) ((struct event *)((struct dns_loop_ev *)(w) + 1))

/* Put a plug at the (closed) number fd. 0, or -1. */
static int dns_loop_plug(struct dns_loop *l, int fd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	close(p[1]);
	if (p[0] != fd) {
		int rc = dup3(p[0], fd, O_CLOEXEC);
		close(p[0]);
		if (rc < 0)
			return -1;
	}
	if (l->plugged++ == 0)
		log_info("dns: getdns closed TCP socket %d under its event (stub TCP fallback); "
			 "its connection is reset", fd);
	return 0;
}

static void dns_loop_untrack(struct dns_loop *l, const getdns_eventloop_event *gev)
{
	for (size_t i = 0; i < l->n_streams; i++)
		if (l->streams[i].gev == gev) {
			l->streams[i] = l->streams[--l->n_streams];
			return;
		}
}

/* Each kept stream socket still open and the same socket; else plugged and its event added
 * again (epoll forgot it with the close). */
static void dns_loop_check(struct dns_loop *l)
{
	for (size_t i = 0; i < l->n_streams;) {
		struct dns_loop_stream *s = &l->streams[i];
		struct stat st;
		int alive = fstat(s->fd, &st) == 0;
		if (alive && st.st_dev == s->dev && st.st_ino == s->ino) {
			i++;
			continue;
		}
		struct event *ev = DNS_LOOP_EVENT(s->gev->ev);
		if (!alive && errno == EBADF && dns_loop_plug(l, s->fd) == 0 &&
		    fstat(s->fd, &st) == 0) {
			s->dev = st.st_dev;
			s->ino = st.st_ino;
			event_del(ev);
			event_add(ev, s->timed ? &s->tv : NULL);
			i++;
			continue;
		}
		/* Another socket has the number already: nothing safe to do but say it. */
		evlog_bug("dns: getdns' TCP socket %d was closed under its event and its number "
			  "reused", s->fd);
		l->streams[i] = l->streams[--l->n_streams];
	}
}

static void dns_loop_on_event(evutil_socket_t fd, short what, void *arg)
{
	struct dns_loop_ev *w = arg; /* may be freed by the callback: read what is needed first */
	struct dns_loop *l = w->loop;
	getdns_eventloop_event *gev = w->gev;
	(void)fd;
	if ((what & EV_WRITE) && gev->write_cb)
		gev->write_cb(gev->userarg);
	else if ((what & EV_READ) && gev->read_cb)
		gev->read_cb(gev->userarg);
	else if ((what & EV_TIMEOUT) && gev->timeout_cb)
		gev->timeout_cb(gev->userarg);
	dns_loop_check(l);
}

static getdns_return_t dns_loop_schedule(getdns_eventloop *loop, int fd, uint64_t timeout_ms,
					 getdns_eventloop_event *gev)
{
	struct dns_loop *l = (struct dns_loop *)loop;
	dns_loop_check(l);
	int io = (gev->read_cb || gev->write_cb) && fd >= 0;
	struct stat st;
	int known = io && fstat(fd, &st) == 0;
	if (io && !known && errno == EBADF && dns_loop_plug(l, fd) == 0)
		known = fstat(fd, &st) == 0; /* closed by getdns before it scheduled it again */
	short what = (gev->read_cb ? EV_READ | EV_PERSIST : 0) |
		     (gev->write_cb ? EV_WRITE | EV_PERSIST : 0);
	struct dns_loop_ev *w = xmalloc(sizeof *w + event_get_struct_event_size());
	w->loop = l;
	w->gev = gev;
	struct event *ev = DNS_LOOP_EVENT(w);
	if (event_assign(ev, l->base, io ? fd : -1, what, dns_loop_on_event, w) < 0) {
		free(w);
		return GETDNS_RETURN_GENERIC_ERROR;
	}
	/* getdns' "forever" is (uint64_t)-1: no timer at all rather than an overflowing one. */
	int timed = gev->timeout_cb && timeout_ms != UINT64_MAX;
	struct timeval tv = {(time_t)(timeout_ms / 1000), (suseconds_t)(timeout_ms % 1000) * 1000};
	if (event_add(ev, timed ? &tv : NULL) < 0) {
		free(w);
		return GETDNS_RETURN_GENERIC_ERROR;
	}
	gev->ev = w;
	int type = 0;
	socklen_t tl = sizeof type;
	if (known && S_ISSOCK(st.st_mode) &&
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl) == 0 && type == SOCK_STREAM) {
		xgrow((void **)&l->streams, &l->cap_streams, l->n_streams + 1, sizeof *l->streams);
		l->streams[l->n_streams++] = (struct dns_loop_stream){
			.gev = gev, .fd = fd, .dev = st.st_dev, .ino = st.st_ino, .timed = timed,
			.tv = tv};
	}
	return GETDNS_RETURN_GOOD;
}

static getdns_return_t dns_loop_clear(getdns_eventloop *loop, getdns_eventloop_event *gev)
{
	if (gev->ev == NULL)
		return GETDNS_RETURN_GOOD;
	dns_loop_untrack((struct dns_loop *)loop, gev);
	event_del(DNS_LOOP_EVENT(gev->ev));
	free(gev->ev);
	gev->ev = NULL;
	return GETDNS_RETURN_GOOD;
}

static void dns_loop_run(getdns_eventloop *loop)
{
	event_base_dispatch(((struct dns_loop *)loop)->base);
}

static void dns_loop_run_once(getdns_eventloop *loop, int blocking)
{
	event_base_loop(((struct dns_loop *)loop)->base,
			EVLOOP_ONCE | (blocking ? 0 : EVLOOP_NONBLOCK));
}

/* getdns_context_destroy calls this before ub_ctx_delete, which then clears libunbound's last
 * events (a TCP connection kept open for reuse) through this same loop: it must stay alive, so
 * the owner frees it with dns_loop_free once the context is gone. */
static void dns_loop_cleanup(getdns_eventloop *loop)
{
	(void)loop;
}

struct getdns_eventloop *dns_loop_new(struct event_base *base)
{
	static getdns_eventloop_vmt vmt = {
		.cleanup = dns_loop_cleanup,
		.schedule = dns_loop_schedule,
		.clear = dns_loop_clear,
		.run = dns_loop_run,
		.run_once = dns_loop_run_once,
	};
	struct dns_loop *l = xcalloc(1, sizeof *l);
	l->super.vmt = &vmt;
	l->base = base;
	return &l->super;
}

void dns_loop_free(struct getdns_eventloop *loop)
{
	if (loop)
		free(((struct dns_loop *)loop)->streams);
	free(loop);
}

unsigned long dns_loop_plugged(const struct getdns_eventloop *loop)
{
	return ((const struct dns_loop *)loop)->plugged;
}

static int dns_fail(char *err, size_t errlen, const char *what, getdns_return_t r)
{
	snprintf(err, errlen, "%s: %s", what, getdns_get_errorstr_by_id(r));
	return -1;
}

static getdns_list *dns_read_rr_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	getdns_list *list = NULL;
	/* NULL origin: getdns 1.6 reads an uninitialised length with one (random failures). */
	getdns_return_t r = getdns_fp2rr_list(f, &list, NULL, 3600);
	fclose(f);
	size_t n = 0;
	if (r != GETDNS_RETURN_GOOD || getdns_list_get_length(list, &n) || n == 0) {
		snprintf(err, errlen, "%s: no resource records could be read", path);
		getdns_list_destroy(list);
		return NULL;
	}
	return list;
}

static int dns_set_upstreams(struct dns *d, const struct config *cfg, char *err, size_t errlen)
{
	getdns_list *ups = getdns_list_create();
	for (size_t i = 0; i < cfg->dns_upstreams.n; i++) {
		char addr[INET6_ADDRSTRLEN];
		unsigned port = 53;
		unsigned char bin[16];
		if (config_parse_upstream(cfg->dns_upstreams.items[i], addr, sizeof addr, &port) < 0) {
			snprintf(err, errlen, "bad upstream %s", cfg->dns_upstreams.items[i]);
			getdns_list_destroy(ups);
			return -1;
		}
		int v6 = inet_pton(AF_INET6, addr, bin) == 1;
		if (!v6 && inet_pton(AF_INET, addr, bin) != 1) {
			snprintf(err, errlen, "bad upstream address %s", addr);
			getdns_list_destroy(ups);
			return -1;
		}
		getdns_dict *u = getdns_dict_create();
		getdns_bindata type = {4, (uint8_t *)(v6 ? "IPv6" : "IPv4")};
		getdns_bindata data = {v6 ? 16 : 4, bin};
		getdns_dict_set_bindata(u, "address_type", &type);
		getdns_dict_set_bindata(u, "address_data", &data);
		if (port != 53)
			getdns_dict_set_int(u, "port", port);
		getdns_list_set_dict(ups, i, u);
		getdns_dict_destroy(u);
	}
	getdns_return_t r = getdns_context_set_upstream_recursive_servers(d->ctx, ups);
	getdns_list_destroy(ups);
	return r ? dns_fail(err, errlen, "setting upstreams", r) : 0;
}

static int dns_configure(struct dns *d, const struct config *cfg, char *err, size_t errlen)
{
	getdns_return_t r;
	int stub = cfg->dns_mode == CONFIG_DNS_STUB;
	r = getdns_context_set_resolution_type(d->ctx, stub ? GETDNS_RESOLUTION_STUB
							    : GETDNS_RESOLUTION_RECURSING);
	if (r)
		return dns_fail(err, errlen, "setting resolution type", r);
	if (stub && dns_set_upstreams(d, cfg, err, errlen) < 0)
		return -1;
	getdns_context_set_timeout(d->ctx, cfg->dns_timeout_ms);
	/* Thousands of queries in flight: the engine limits domains, not getdns. */
	getdns_context_set_limit_outstanding_queries(d->ctx, 0);
	if (cfg->dns_trust_anchor && cfg->dns_trust_anchor[0]) {
		getdns_list *ta = dns_read_rr_file(cfg->dns_trust_anchor, err, errlen);
		if (ta == NULL)
			return -1;
		r = getdns_context_set_dnssec_trust_anchors(d->ctx, ta);
		getdns_list_destroy(ta);
		if (r)
			return dns_fail(err, errlen, "setting trust anchors", r);
		/* With an explicit anchor there is nothing to fetch: keep getdns' zero-config
		 * DNSSEC from trying the Internet (it needs a writable appdata directory). */
		getdns_context_set_appdata_dir(d->ctx, "/nonexistent/mxsurvey");
	}
	if (!stub && cfg->dns_root_hints && cfg->dns_root_hints[0]) {
		getdns_list *hints = dns_read_rr_file(cfg->dns_root_hints, err, errlen);
		if (hints == NULL)
			return -1;
		r = getdns_context_set_dns_root_servers(d->ctx, hints);
		getdns_list_destroy(hints);
		if (r)
			return dns_fail(err, errlen, "setting root hints", r);
	}
	d->ext = getdns_dict_create();
	d->trust_upstream = stub && cfg->dns_validate == CONFIG_VALIDATE_UPSTREAM;
	if (d->trust_upstream) {
		/* AD in the query asks the validating resolver to report AD (RFC 6840 §5.7). DO would
		 * too, but would also bring the RRSIGs and NSEC proofs, which nothing here reads and
		 * which getdns would turn into dicts for every answer from a signed zone. */
		getdns_dict_set_int(d->ext, "/header/ad", 1);
		/* A SERVFAIL without an Extended DNS Error is asked again with checking disabled
		 * (RFC 4035 §3.2.2) and DO, so that the RRSIGs come back: the evidence that tells
		 * a DNSSEC failure (data) from a server failure (SERVFAIL again), and why. */
		d->ext_cd = getdns_dict_create();
		getdns_dict_set_int(d->ext_cd, "/header/ad", 1);
		getdns_dict_set_int(d->ext_cd, "/header/cd", 1);
		getdns_dict_set_int(d->ext_cd, "/add_opt_parameters/do_bit", 1);
	} else {
		getdns_dict_set_int(d->ext, "dnssec_return_status", GETDNS_EXTENSION_TRUE);
		/* Keep bogus answers visible instead of dropping them. */
		getdns_dict_set_int(d->ext, "dnssec_return_all_statuses", GETDNS_EXTENSION_TRUE);
	}
	return 0;
}

struct dns *dns_new(struct event_base *base, const struct config *cfg, char *err, size_t errlen)
{
	struct dns *d = xcalloc(1, sizeof *d);
	getdns_return_t r = getdns_context_create(&d->ctx, 1);
	if (r) {
		dns_fail(err, errlen, "creating getdns context", r);
		free(d);
		return NULL;
	}
	/* getdns opens one socket per query in flight (and libunbound drops what exceeds its
	 * request list): beyond the descriptors we have, queries fail or the stub recurses
	 * until the stack ends. Raise the soft limit and keep the rest queued here. */
	struct rlimit rl;
	size_t fds = 1024;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		if (rl.rlim_cur < rl.rlim_max) {
			rl.rlim_cur = rl.rlim_max;
			setrlimit(RLIMIT_NOFILE, &rl);
			getrlimit(RLIMIT_NOFILE, &rl);
		}
		fds = rl.rlim_cur == RLIM_INFINITY ? 65536 : (size_t)rl.rlim_cur;
	}
	d->max_outstanding = fds > 2048 ? (fds - 1024) / 2 : 512;
	if (d->max_outstanding > 4096)
		d->max_outstanding = 4096;
	if (cfg->dns_mode != CONFIG_DNS_STUB && d->max_outstanding > 1000)
		d->max_outstanding = 1000; /* libunbound's request list */
	if (dns_configure(d, cfg, err, errlen) < 0) {
		dns_free(d);
		return NULL;
	}
	struct dns_cache_limits lim = {
		.max_entries = cfg->dns_cache_entries,
		.max_bytes = (size_t)cfg->dns_cache_mb << 20,
		.max_ttl_s = cfg->dns_cache_ttl_s,
		.negative_ttl_s = DNS_NEGATIVE_TTL_S,
	};
	d->cache = dns_cache_new(&lim);
	d->loop = dns_loop_new(base);
	r = getdns_context_set_eventloop(d->ctx, d->loop);
	if (r) {
		dns_fail(err, errlen, "attaching getdns to libevent", r);
		dns_free(d);
		return NULL;
	}
	return d;
}

void dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	while (d->queue_head)
		dns_cancel(d, d->queue_head->waiters, "shutting down");
	if (d->ctx)
		getdns_context_destroy(d->ctx); /* runs the callbacks of what is in flight */
	dns_loop_free(d->loop);
	dns_cache_free(d->cache);
	getdns_dict_destroy(d->ext);
	getdns_dict_destroy(d->ext_cd);
	free(d);
}

uint64_t dns_queries(const struct dns *d)
{
	return d->started;
}

void dns_stats(const struct dns *d, struct dns_stats *out)
{
	struct dns_cache_stats cs;
	dns_cache_stats(d->cache, &cs);
	out->lookups = d->lookups;
	out->queries = d->started;
	out->cache_hits = cs.hits;
	out->joined = d->joined;
	out->cache_entries = cs.entries;
	out->cache_bytes = cs.bytes;
}

/* A name from a reply, lower-cased, without the trailing dot; "" when it is not well formed. */
static const char *dns_wire_to_name(const getdns_bindata *wire, char out[DNAME_TEXT_MAX])
{
	if (wire == NULL || dname_from_wire(wire->data, wire->size, out, DNAME_TEXT_MAX) < 0)
		out[0] = '\0';
	return out;
}

static void dns_add_text_rr(struct dns_answer *a, uint16_t type, getdns_dict *rdata,
			    const char *field, uint32_t ttl)
{
	getdns_bindata *b = NULL;
	if (getdns_dict_get_bindata(rdata, field, &b) || b == NULL)
		return;
	char name[DNAME_TEXT_MAX];
	dns_answer_add(a, type, dns_wire_to_name(b, name), NULL, 0)->ttl = ttl;
}

static void dns_add_addr_rr(struct dns_answer *a, uint16_t type, getdns_dict *rdata,
			    uint32_t ttl)
{
	getdns_bindata *b = NULL;
	int v6 = type == DNS_TYPE_AAAA;
	if (getdns_dict_get_bindata(rdata, v6 ? "ipv6_address" : "ipv4_address", &b) || !b ||
	    b->size != (v6 ? 16u : 4u))
		return;
	char text[INET6_ADDRSTRLEN];
	inet_ntop(v6 ? AF_INET6 : AF_INET, b->data, text, sizeof text);
	dns_answer_add(a, type, text, NULL, 0)->ttl = ttl;
}

static void dns_add_txt_rr(struct dns_answer *a, getdns_dict *rdata, uint32_t ttl)
{
	getdns_list *strings = NULL;
	size_t n = 0, total = 0;
	if (getdns_dict_get_list(rdata, "txt_strings", &strings) ||
	    getdns_list_get_length(strings, &n))
		return;
	unsigned char *buf = NULL;
	for (size_t i = 0; i < n; i++) {
		getdns_bindata *b = NULL;
		if (getdns_list_get_bindata(strings, i, &b) || !b)
			continue;
		buf = xrealloc(buf, total + b->size + 1);
		memcpy(buf + total, b->data, b->size);
		total += b->size;
	}
	dns_answer_add(a, DNS_TYPE_TXT, NULL, buf ? buf : (const unsigned char *)"", total)->ttl =
		ttl;
	free(buf);
}

static void dns_add_rr(struct dns_answer *a, getdns_dict *rr)
{
	uint32_t type = 0, ttl = 0, u = 0;
	getdns_dict *rdata = NULL;
	getdns_dict_get_int(rr, "type", &type);
	getdns_dict_get_int(rr, "ttl", &ttl);
	if (type != a->qtype || getdns_dict_get_dict(rr, "rdata", &rdata))
		return;
	size_t before = a->n_rr; /* an RR without its data adds nothing: leave the others be */
	switch (type) {
	case DNS_TYPE_A:
	case DNS_TYPE_AAAA:
		dns_add_addr_rr(a, (uint16_t)type, rdata, ttl);
		break;
	case DNS_TYPE_MX:
		dns_add_text_rr(a, DNS_TYPE_MX, rdata, "exchange", ttl);
		if (a->n_rr > before && getdns_dict_get_int(rdata, "preference", &u) == 0)
			a->rr[a->n_rr - 1].pref = (uint16_t)u;
		break;
	case DNS_TYPE_NS:
		dns_add_text_rr(a, DNS_TYPE_NS, rdata, "nsdname", ttl);
		break;
	case DNS_TYPE_CNAME:
		dns_add_text_rr(a, DNS_TYPE_CNAME, rdata, "cname", ttl);
		break;
	case DNS_TYPE_PTR:
		dns_add_text_rr(a, DNS_TYPE_PTR, rdata, "ptrdname", ttl);
		break;
	case DNS_TYPE_TXT:
	case DNS_TYPE_SPF:
		dns_add_txt_rr(a, rdata, ttl);
		if (a->n_rr > before)
			a->rr[a->n_rr - 1].type = (uint16_t)type;
		break;
	case DNS_TYPE_DS:
	case DNS_TYPE_DNSKEY:
	case DNS_TYPE_RRSIG: {
		/* Kept as wire RDATA: checks/dnssec_why.c reads key tags, algorithms and dates. */
		getdns_bindata *b = NULL;
		if (getdns_dict_get_bindata(rdata, "rdata_raw", &b) || !b)
			return;
		dns_answer_add(a, (uint16_t)type, NULL, b->data, b->size)->ttl = ttl;
		break;
	}
	case DNS_TYPE_TLSA: {
		getdns_bindata *b = NULL;
		if (getdns_dict_get_bindata(rdata, "certificate_association_data", &b) || !b)
			return;
		struct dns_rdata *rd = dns_answer_add(a, DNS_TYPE_TLSA, NULL, b->data, b->size);
		rd->ttl = ttl;
		if (getdns_dict_get_int(rdata, "certificate_usage", &u) == 0)
			rd->usage = (uint8_t)u;
		if (getdns_dict_get_int(rdata, "selector", &u) == 0)
			rd->selector = (uint8_t)u;
		if (getdns_dict_get_int(rdata, "matching_type", &u) == 0)
			rd->mtype = (uint8_t)u;
		break;
	}
	default:
		dns_answer_add(a, (uint16_t)type, NULL, NULL, 0)->ttl = ttl;
	}
}

static enum dnssec_status dns_map_dnssec(uint32_t s)
{
	switch (s) {
	case GETDNS_DNSSEC_SECURE: return DNSSEC_SECURE;
	case GETDNS_DNSSEC_INSECURE: return DNSSEC_INSECURE;
	case GETDNS_DNSSEC_BOGUS: return DNSSEC_BOGUS;
	default: return DNSSEC_INDETERMINATE;
	}
}

/* Extended DNS Error (RFC 8914) codes that mean the answer failed DNSSEC validation. */
static int dns_ede_is_dnssec(uint32_t code)
{
	return code == 1 || code == 2 || (code >= 5 && code <= 12);
}

/* Returns the number of EDE options read (the last one is kept in a->why). */
static int dns_read_ede(struct dns_answer *a, getdns_dict *reply, int *bogus)
{
	int seen = 0;
	getdns_list *additional = NULL;
	size_t n = 0;
	if (getdns_dict_get_list(reply, "additional", &additional) ||
	    getdns_list_get_length(additional, &n))
		return 0;
	for (size_t i = 0; i < n; i++) {
		getdns_dict *rr = NULL;
		uint32_t type = 0;
		getdns_list *opts = NULL;
		size_t nopt = 0;
		if (getdns_list_get_dict(additional, i, &rr) || getdns_dict_get_int(rr, "type", &type) ||
		    type != 41 || getdns_dict_get_list(rr, "/rdata/options", &opts) ||
		    getdns_list_get_length(opts, &nopt))
			continue;
		for (size_t k = 0; k < nopt; k++) {
			getdns_dict *o = NULL;
			uint32_t code = 0;
			getdns_bindata *data = NULL;
			if (getdns_list_get_dict(opts, k, &o) ||
			    getdns_dict_get_int(o, "option_code", &code) || code != 15 ||
			    getdns_dict_get_bindata(o, "option_data", &data) || !data ||
			    data->size < 2)
				continue;
			uint32_t info = (uint32_t)data->data[0] << 8 | data->data[1];
			int tl = (int)(data->size - 2) > 200 ? 200 : (int)(data->size - 2);
			free(a->why);
			a->why = xasprintf("EDE %u%s%.*s", info, tl ? ": " : "", tl,
					   (const char *)data->data + 2);
			/* Text from the wire: keep it printable. */
			for (char *p = a->why; *p; p++)
				if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
					*p = '?';
			if (dns_ede_is_dnssec(info))
				*bogus = 1;
			seen++;
		}
	}
	return seen;
}

/* 1 when the reply's question section is (name, type) as asked. On a failed recursion (SERVFAIL)
 * the libunbound of Debian 12 hands getdns its last received packet instead of no packet, and
 * getdns passes that on as the reply, rcode NOERROR: an answer to some other question, which read
 * as ours would say "no record". Writes the reply's question into other when it differs. */
static int dns_reply_is_for(getdns_dict *reply, const struct dns_answer *a, char *other,
			    size_t otherlen)
{
	getdns_bindata *qname = NULL;
	uint32_t qtype = 0;
	if (getdns_dict_get_bindata(reply, "/question/qname", &qname) || qname == NULL ||
	    getdns_dict_get_int(reply, "/question/qtype", &qtype)) {
		snprintf(other, otherlen, "no question");
		return 0;
	}
	char name[DNAME_TEXT_MAX];
	dns_wire_to_name(qname, name);
	int same = qtype == a->qtype && dname_equal(name, a->qname);
	if (!same)
		snprintf(other, otherlen, "%s/%u", name, qtype);
	return same;
}

/* dns_fill_from_reply; returns 1 when the reply carried an Extended DNS Error (trust_upstream). */
/* The RRs of the reply's answer section, into a (its question's and the others'). */
static void dns_add_answer_section(struct dns_answer *a, getdns_dict *reply)
{
	getdns_list *answer = NULL;
	size_t n = 0;
	if (getdns_dict_get_list(reply, "answer", &answer) != 0 ||
	    getdns_list_get_length(answer, &n) != 0)
		return;
	for (size_t i = 0; i < n; i++) {
		getdns_dict *rr = NULL;
		if (getdns_list_get_dict(answer, i, &rr) == 0)
			dns_add_rr(a, rr);
	}
}

static int dns_fill_reply(struct dns_answer *a, getdns_dict *reply, int trust_upstream)
{
	uint32_t rcode = 0, ad = 0, sec = GETDNS_DNSSEC_NOT_PERFORMED;
	int ede = 0;
	char other[DNAME_TEXT_MAX + 16]; /* the reply's question, name/type, when not ours */
	if (!dns_reply_is_for(reply, a, other, sizeof other)) {
		a->status = DNS_STATUS_ERROR;
		a->why = xasprintf("reply to another question (%s)", other);
		return 0;
	}
	getdns_dict_get_int(reply, "/header/rcode", &rcode);
	getdns_dict_get_int(reply, "/header/ad", &ad);
	a->rcode = (int)rcode;
	dns_add_answer_section(a, reply);
	getdns_bindata *canon = NULL;
	if (getdns_dict_get_bindata(reply, "canonical_name", &canon) == 0 && canon) {
		char c[DNAME_TEXT_MAX];
		if (!dname_equal(dns_wire_to_name(canon, c), a->qname))
			a->canonical = xstrdup(c);
	}
	uint32_t tc = 0;
	getdns_dict_get_int(reply, "/header/tc", &tc);
	switch (rcode) {
	case 0: a->status = a->n_rr ? DNS_STATUS_OK : DNS_STATUS_NODATA; break;
	case 3: a->status = DNS_STATUS_NXDOMAIN; break;
	case 2: a->status = DNS_STATUS_SERVFAIL; break;
	default: a->status = DNS_STATUS_REFUSED; break;
	}
	if (tc && rcode == 0) {
		/* A truncated reply that no retry over TCP replaced: the RRset is incomplete or
		 * missing, which is neither "no record" nor an answer. */
		a->status = DNS_STATUS_ERROR;
		free(a->why);
		a->why = xstrdup("truncated answer (TC) and no complete answer over TCP");
	}
	if (trust_upstream) {
		int bogus = 0;
		ede = dns_read_ede(a, reply, &bogus) > 0;
		if (bogus)
			a->dnssec = DNSSEC_BOGUS;
		else if (rcode == 0 || rcode == 3)
			a->dnssec = ad ? DNSSEC_SECURE : DNSSEC_INSECURE;
	} else if (getdns_dict_get_int(reply, "dnssec_status", &sec) == 0) {
		a->dnssec = dns_map_dnssec(sec);
	}
	/* A validating resolver answers SERVFAIL for bogus data, and a validating MTA would not
	 * use it: make the three DNS modes agree. The status stays visible as dnssec=bogus. */
	if (a->dnssec == DNSSEC_BOGUS && a->status != DNS_STATUS_SERVFAIL) {
		for (size_t i = 0; i < a->n_rr; i++) {
			free(a->rr[i].text);
			free(a->rr[i].data);
		}
		free(a->rr);
		a->rr = NULL;
		a->n_rr = 0;
		a->status = DNS_STATUS_SERVFAIL;
		if (a->why == NULL)
			a->why = xstrdup("DNSSEC validation failed (bogus)");
	}
	return ede;
}

void dns_fill_from_reply(struct dns_answer *a, getdns_dict *reply, int trust_upstream)
{
	dns_fill_reply(a, reply, trust_upstream);
}

/* The RRSIGs of a section of reply, appended to a (type DNS_TYPE_RRSIG, wire RDATA). */
static void dns_add_sigs(struct dns_answer *a, getdns_dict *reply, const char *section)
{
	getdns_list *l = NULL;
	size_t n = 0;
	if (getdns_dict_get_list(reply, section, &l) || getdns_list_get_length(l, &n))
		return;
	uint16_t qtype = a->qtype;
	a->qtype = DNS_TYPE_RRSIG; /* dns_add_rr keeps the RRs of a->qtype */
	for (size_t i = 0; i < n && a->n_rr < 64; i++) {
		getdns_dict *rr = NULL;
		if (getdns_list_get_dict(l, i, &rr) == 0)
			dns_add_rr(a, rr);
	}
	a->qtype = qtype;
}

/* The CD=1 reply to q's question, raw, as first->cd: what came back and every RRSIG. */
static void dns_fill_cd(struct dns_answer *first, getdns_callback_type_t type,
			getdns_dict *response)
{
	struct dns_answer *cd = xcalloc(1, sizeof *cd);
	cd->qname = xstrdup(first->qname);
	cd->qtype = first->qtype;
	cd->rcode = -1;
	first->cd = cd;
	getdns_list *replies = NULL;
	getdns_dict *reply = NULL;
	char other[DNAME_TEXT_MAX + 16];
	if (type == GETDNS_CALLBACK_TIMEOUT) {
		cd->status = DNS_STATUS_TIMEOUT;
		return;
	}
	if (type != GETDNS_CALLBACK_COMPLETE ||
	    getdns_dict_get_list(response, "replies_tree", &replies) ||
	    getdns_list_get_dict(replies, 0, &reply)) {
		cd->status = DNS_STATUS_ERROR;
		cd->why = xstrdup("no reply to the CD=1 query");
		return;
	}
	if (!dns_reply_is_for(reply, cd, other, sizeof other)) {
		cd->status = DNS_STATUS_ERROR;
		cd->why = xasprintf("reply to another question (%s)", other);
		return;
	}
	uint32_t rcode = 0;
	getdns_dict_get_int(reply, "/header/rcode", &rcode);
	cd->rcode = (int)rcode;
	dns_add_answer_section(cd, reply);
	switch (rcode) {
	case 0: cd->status = cd->n_rr ? DNS_STATUS_OK : DNS_STATUS_NODATA; break;
	case 3: cd->status = DNS_STATUS_NXDOMAIN; break;
	case 2: cd->status = DNS_STATUS_SERVFAIL; break;
	default: cd->status = DNS_STATUS_REFUSED; break;
	}
	if (first->qtype != DNS_TYPE_RRSIG) {
		dns_add_sigs(cd, reply, "answer");
		dns_add_sigs(cd, reply, "authority");
	}
}

static void dns_on_response(getdns_context *ctx, getdns_callback_type_t type,
			    getdns_dict *response, void *userarg, getdns_transaction_t tid);

static struct dns_query **dns_inflight_slot(struct dns *d, const char *name, uint16_t type)
{
	uint64_t h = hash_fnv1a64_str(HASH_FNV1A64_BASIS ^ type, name); /* the canonical name */
	struct dns_query **pp = &d->inflight[h & (DNS_INFLIGHT_BUCKETS - 1)];
	while (*pp && ((*pp)->type != type || strcmp((*pp)->name, name) != 0))
		pp = &(*pp)->hnext;
	return pp;
}

/* The query is answered or abandoned: later lookups of its question start a new one. */
static void dns_inflight_remove(struct dns *d, struct dns_query *q)
{
	struct dns_query **pp = dns_inflight_slot(d, q->name, q->type);
	if (*pp == q)
		*pp = q->hnext;
}

static int dns_start(struct dns *d, struct dns_query *q)
{
	d->outstanding++;
	d->started++;
	q->plugs = dns_loop_plugged(d->loop);
	getdns_return_t r = getdns_general(d->ctx, q->name, q->type, d->ext, q, &q->id,
					   dns_on_response);
	if (r != GETDNS_RETURN_GOOD) {
		d->outstanding--;
		log_debug("dns: %s/%u not started: %s", q->name, q->type,
			  getdns_get_errorstr_by_id(r));
		return -1;
	}
	return 0;
}

/* Give a its waiters, each its own copy (a callback may move the contents out), and free q.
 * Callbacks may start lookups: q is out of the in-flight table before the first runs. */
static void dns_answer_waiters(struct dns_query *q, struct dns_answer *a)
{
	dns_inflight_remove(q->dns, q);
	if (q->dns->starting == q)
		q->dns->starting = NULL;
	struct dns_request *w = q->waiters;
	free(q);
	while (w) {
		struct dns_request *next = w->next;
		struct dns_answer copy = {0};
		if (next)
			dns_answer_copy(&copy, a);
		dns_done_fn *cb = w->cb;
		void *arg = w->arg;
		free(w);
		cb(next ? &copy : a, arg);
		dns_answer_clear(&copy);
		w = next;
	}
}

/* Answer a query that never reached getdns (cancelled in the queue, or not startable). */
static void dns_answer_unsent(struct dns_query *q, enum dns_status status, const char *why)
{
	struct dns_answer a = {0};
	a.qname = xstrdup(q->name);
	a.qtype = q->type;
	a.rcode = -1;
	a.status = status;
	a.why = xstrdup(why);
	dns_answer_waiters(q, &a);
	dns_answer_clear(&a);
}

/* Hand queued queries to getdns while there is room (after every answer). */
static void dns_start_queued(struct dns *d)
{
	while (d->queue_head && d->outstanding < d->max_outstanding) {
		struct dns_query *q = d->queue_head;
		d->queue_head = q->next;
		if (d->queue_head == NULL)
			d->queue_tail = NULL;
		q->next = NULL;
		q->queued = 0;
		if (dns_start(d, q) < 0)
			dns_answer_unsent(q, DNS_STATUS_ERROR, "query could not be started");
	}
}

static int64_t dns_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dns_on_response(getdns_context *ctx, getdns_callback_type_t type,
			    getdns_dict *response, void *userarg, getdns_transaction_t tid)
{
	(void)ctx;
	(void)tid;
	struct dns_query *q = userarg;
	struct dns *d = q->dns;
	/* A timeout or a cancel may have closed an upstream's TCP socket: plugged before this
	 * callback's lookups can open a socket under its number. */
	dns_loop_check((struct dns_loop *)d->loop);
	uint32_t rstatus = 0;
	if (type == GETDNS_CALLBACK_COMPLETE)
		getdns_dict_get_int(response, "status", &rstatus);
	getdns_dict *ext = q->first ? d->ext_cd : d->ext;
	/* A query failed without a reply while the loop plugged a socket (its TCP connection was
	 * reset, dns_loop_plug) is asked again like a timed-out one. */
	getdns_list *got = NULL;
	size_t n_got = 0;
	int reset = type != GETDNS_CALLBACK_CANCEL && dns_loop_plugged(d->loop) != q->plugs &&
		    (getdns_dict_get_list(response, "replies_tree", &got) != 0 ||
		     getdns_list_get_length(got, &n_got) != 0 || n_got == 0);
	/* The reset is the loop's doing, not the server's: it does not use up an attempt. */
	int again = reset && q->resets < DNS_ATTEMPTS;
	if ((again || ((type == GETDNS_CALLBACK_TIMEOUT ||
			rstatus == GETDNS_RESPSTATUS_ALL_TIMEOUT) &&
		       q->attempts < DNS_ATTEMPTS)) &&
	    getdns_general(d->ctx, q->name, q->type, ext, q, &q->id, dns_on_response) ==
		    GETDNS_RETURN_GOOD) {
		if (again)
			q->resets++;
		else
			q->attempts++;
		d->started++;
		q->plugs = dns_loop_plugged(d->loop);
		getdns_dict_destroy(response);
		return;
	}
	if (q->first) {
		/* The CD=1 re-query of a SERVFAIL: recorded raw beside it (never cached: the
		 * SERVFAIL it explains is not). A cancelled lookup still ends as cancelled. */
		struct dns_answer *first = q->first;
		q->first = NULL;
		if (type == GETDNS_CALLBACK_CANCEL) {
			dns_answer_clear(first);
			first->qname = xstrdup(q->name);
			first->qtype = q->type;
			first->rcode = -1;
			first->status = DNS_STATUS_TIMEOUT;
			first->why = xstrdup(q->cancel_why ? q->cancel_why : "cancelled");
		} else {
			dns_fill_cd(first, type, response);
		}
		getdns_dict_destroy(response);
		d->outstanding--;
		dns_answer_waiters(q, first);
		dns_answer_clear(first);
		free(first);
		dns_start_queued(d);
		return;
	}
	struct dns_answer a = {0};
	a.qname = xstrdup(q->name);
	a.qtype = q->type;
	a.rcode = -1;
	d->answered++;
	getdns_list *replies = NULL;
	getdns_dict *reply = NULL;
	uint32_t status = 0;
	int ede = 0;
	switch (type) {
	case GETDNS_CALLBACK_COMPLETE:
		getdns_dict_get_int(response, "status", &status);
		if (getdns_dict_get_list(response, "replies_tree", &replies) == 0 &&
		    getdns_list_get_dict(replies, 0, &reply) == 0) {
			ede = dns_fill_reply(&a, reply, d->trust_upstream);
		} else if (status == GETDNS_RESPSTATUS_ALL_TIMEOUT) {
			a.status = DNS_STATUS_TIMEOUT;
		} else if (status == GETDNS_RESPSTATUS_ALL_BOGUS_ANSWERS ||
			   status == GETDNS_RESPSTATUS_NO_SECURE_ANSWERS) {
			a.status = DNS_STATUS_SERVFAIL;
			a.dnssec = DNSSEC_BOGUS;
		} else {
			a.status = DNS_STATUS_ERROR;
			a.why = xasprintf("getdns status %u", status);
		}
		break;
	case GETDNS_CALLBACK_TIMEOUT:
		a.status = DNS_STATUS_TIMEOUT;
		break;
	case GETDNS_CALLBACK_CANCEL:
		a.status = DNS_STATUS_TIMEOUT;
		a.why = xstrdup(q->cancel_why ? q->cancel_why : "cancelled");
		break;
	default:
		a.status = DNS_STATUS_ERROR;
		a.why = xstrdup("lookup error");
	}
	if (reply && d->ext_cd && a.status == DNS_STATUS_SERVFAIL && !ede) {
		/* Ambiguous: many validating resolvers say nothing more. Ask again with CD=1;
		 * the answer is delivered with that reply (above). */
		q->first = xmalloc(sizeof *q->first);
		*q->first = a; /* moved */
		q->attempts = 1;
		q->plugs = dns_loop_plugged(d->loop);
		d->started++;
		if (getdns_general(d->ctx, q->name, q->type, d->ext_cd, q, &q->id,
				   dns_on_response) == GETDNS_RETURN_GOOD) {
			getdns_dict_destroy(response);
			return;
		}
		d->started--;
		a = *q->first;
		free(q->first);
		q->first = NULL;
	}
	getdns_dict_destroy(response);
	if (type == GETDNS_CALLBACK_COMPLETE)
		dns_cache_put(d->cache, &a, dns_now_ms());
	d->outstanding--;
	dns_answer_waiters(q, &a);
	dns_answer_clear(&a);
	dns_start_queued(d);
}

/* The handle of a lookup answered before dns_lookup returned (from the cache, or by getdns at
 * once): never dereferenced; dns_cancel ignores it. */
static struct dns_request dns_answered_now;

struct dns_request *dns_lookup(struct dns *d, const char *name, uint16_t type, dns_done_fn *cb,
			       void *arg)
{
	char canon[DNAME_MAX];
	dname_canonical(name, canon, sizeof canon);
	d->lookups++;
	const struct dns_answer *cached = dns_cache_get(d->cache, canon, type, dns_now_ms());
	if (cached) {
		struct dns_answer a = {0};
		dns_answer_copy(&a, cached);
		cb(&a, arg);
		dns_answer_clear(&a);
		return &dns_answered_now;
	}
	struct dns_request *w = xcalloc(1, sizeof *w);
	w->cb = cb;
	w->arg = arg;
	struct dns_query **slot = dns_inflight_slot(d, canon, type);
	if (*slot) { /* the question is already asked: wait for the same answer */
		w->query = *slot;
		w->next = (*slot)->waiters;
		(*slot)->waiters = w;
		d->joined++;
		return w;
	}
	size_t name_size = strlen(canon) + 1;
	struct dns_query *q = xcalloc(1, sizeof *q + name_size);
	q->dns = d;
	q->type = type;
	memcpy(q->name, canon, name_size);
	q->attempts = 1;
	q->waiters = w;
	w->query = q;
	*slot = q;
	if (d->outstanding >= d->max_outstanding || d->queue_head) {
		q->queued = 1;
		if (d->queue_tail)
			d->queue_tail->next = q;
		else
			d->queue_head = q;
		d->queue_tail = q;
		return w;
	}
	d->starting = q;
	if (dns_start(d, q) < 0) {
		d->starting = NULL;
		dns_inflight_remove(d, q);
		free(w);
		free(q);
		return NULL;
	}
	if (d->starting == NULL)
		return &dns_answered_now; /* getdns answered inside getdns_general */
	d->starting = NULL;
	return w;
}

void dns_cancel(struct dns *d, struct dns_request *w, const char *why)
{
	if (w == NULL || w == &dns_answered_now)
		return;
	struct dns_query *q = w->query;
	if (q->waiters != w || w->next) {
		/* Others wait for the same question: this lookup alone ends, the query goes on. */
		struct dns_request **pp = &q->waiters;
		while (*pp != w)
			pp = &(*pp)->next;
		*pp = w->next;
		struct dns_answer a = {0};
		a.qname = xstrdup(q->name);
		a.qtype = q->type;
		a.rcode = -1;
		a.status = DNS_STATUS_TIMEOUT;
		a.why = xstrdup(why ? why : "cancelled");
		dns_done_fn *cb = w->cb;
		void *arg = w->arg;
		free(w);
		cb(&a, arg);
		dns_answer_clear(&a);
		return;
	}
	if (q->queued) {
		struct dns_query **pp = &d->queue_head, *prev = NULL;
		while (*pp && *pp != q) {
			prev = *pp;
			pp = &(*pp)->next;
		}
		if (*pp) {
			*pp = q->next;
			if (d->queue_tail == q)
				d->queue_tail = prev;
		}
		dns_answer_unsent(q, DNS_STATUS_TIMEOUT, why ? why : "cancelled");
		return;
	}
	q->cancel_why = why;
	getdns_cancel_callback(d->ctx, q->id);
}
