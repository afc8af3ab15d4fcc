/* dnsdelay.c — a delaying DNS proxy for the benchmark world (the kernel here has no netem):
 * every reply, over UDP and TCP, is held for a fixed number of milliseconds before it goes back
 * to the client, so each query sees that much added round-trip time. Owns its sockets only.
 *
 *   dnsdelay -d MS [-p PIDFILE] LISTEN=TARGET...   (IPv4 addresses, port 53 on both sides)
 *
 * UDP: one upstream socket per mapping; query IDs are rewritten so that replies from thousands
 * of clients in flight can be told apart. TCP: one upstream connection per client connection,
 * bytes copied both ways, the upstream's held back. Built by scripts/bench with libevent. */
#include <arpa/inet.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define DNSDELAY_MAX_MAPS 64
#define DNSDELAY_IDS 65536
#define DNSDELAY_BUF (1 << 23) /* socket buffers: scans send thousands of queries at once */

struct dnsdelay_slot {
	struct sockaddr_in client; /* who asked */
	uint16_t client_id;	   /* the ID it used */
	uint8_t used;		   /* waiting for a reply */
};

struct dnsdelay_map {
	struct sockaddr_in listen;		  /* where clients send */
	struct sockaddr_in target;		  /* where queries go */
	int ufd;				  /* UDP socket for clients */
	int up;					  /* UDP socket towards the target */
	uint16_t next_id;			  /* next upstream ID to try */
	struct dnsdelay_slot slot[DNSDELAY_IDS];  /* by upstream ID */
	struct event *ev_client, *ev_up;	  /* owned */
	struct evconnlistener *tcp;		  /* owned */
};

struct dnsdelay_reply {
	int fd;			/* the map's client socket (borrowed) */
	struct sockaddr_in to;	/* the client */
	size_t len;		/* bytes in data */
	unsigned char data[];	/* the reply */
};

/* One proxied TCP connection; freed when either side closes and its held data is sent. */
struct dnsdelay_conn {
	struct bufferevent *client; /* owned */
	struct bufferevent *up;	    /* owned */
	int pending;		    /* delayed chunks not yet delivered */
	int closing;		    /* a side closed: free once pending is 0 */
};

struct dnsdelay_chunk {
	struct dnsdelay_conn *conn; /* borrowed (kept alive by pending) */
	struct evbuffer *buf;	    /* owned */
};

static struct event_base *base;
static const struct timeval *delay_tv; /* libevent common timeout of the delay */
static uint64_t n_udp, n_tcp;

static void dnsdelay_send_reply(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dnsdelay_reply *r = arg;
	sendto(r->fd, r->data, r->len, 0, (struct sockaddr *)&r->to, sizeof r->to);
	free(r);
}

static void dnsdelay_on_client(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct dnsdelay_map *m = arg;
	unsigned char buf[65536];
	for (int burst = 0; burst < 256; burst++) {
		struct sockaddr_in from;
		socklen_t fl = sizeof from;
		ssize_t n = recvfrom(fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
		if (n < 12)
			return;
		/* Find a free upstream ID; a slot older than 65536 queries is simply reused. */
		uint16_t id = m->next_id++;
		struct dnsdelay_slot *s = &m->slot[id];
		s->client = from;
		s->client_id = (uint16_t)(buf[0] << 8 | buf[1]);
		s->used = 1;
		buf[0] = id >> 8;
		buf[1] = id & 0xff;
		send(m->up, buf, (size_t)n, 0);
		n_udp++;
	}
}

static void dnsdelay_on_upstream(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct dnsdelay_map *m = arg;
	unsigned char buf[65536];
	for (int burst = 0; burst < 256; burst++) {
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n < 12)
			return;
		uint16_t id = (uint16_t)(buf[0] << 8 | buf[1]);
		struct dnsdelay_slot *s = &m->slot[id];
		if (!s->used)
			continue;
		s->used = 0;
		buf[0] = s->client_id >> 8;
		buf[1] = s->client_id & 0xff;
		struct dnsdelay_reply *r = malloc(sizeof *r + (size_t)n);
		if (r == NULL)
			abort();
		r->fd = m->ufd;
		r->to = s->client;
		r->len = (size_t)n;
		memcpy(r->data, buf, (size_t)n);
		if (event_base_once(base, -1, EV_TIMEOUT, dnsdelay_send_reply, r, delay_tv) < 0)
			dnsdelay_send_reply(-1, 0, r);
	}
}

static void dnsdelay_conn_maybe_free(struct dnsdelay_conn *c)
{
	if (!c->closing || c->pending)
		return;
	bufferevent_free(c->client);
	bufferevent_free(c->up);
	free(c);
}

static void dnsdelay_deliver(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dnsdelay_chunk *k = arg;
	struct dnsdelay_conn *c = k->conn;
	if (!c->closing)
		bufferevent_write_buffer(c->client, k->buf);
	evbuffer_free(k->buf);
	free(k);
	c->pending--;
	dnsdelay_conn_maybe_free(c);
}

static void dnsdelay_on_up_read(struct bufferevent *bev, void *arg)
{
	struct dnsdelay_conn *c = arg;
	struct dnsdelay_chunk *k = malloc(sizeof *k);
	if (k == NULL)
		abort();
	k->conn = c;
	k->buf = evbuffer_new();
	evbuffer_add_buffer(k->buf, bufferevent_get_input(bev));
	c->pending++;
	event_base_once(base, -1, EV_TIMEOUT, dnsdelay_deliver, k, delay_tv);
}

static void dnsdelay_on_client_read(struct bufferevent *bev, void *arg)
{
	struct dnsdelay_conn *c = arg;
	bufferevent_write_buffer(c->up, bufferevent_get_input(bev));
}

static void dnsdelay_on_tcp_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct dnsdelay_conn *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		c->closing = 1;
		bufferevent_disable(c->client, EV_READ | EV_WRITE);
		bufferevent_disable(c->up, EV_READ | EV_WRITE);
		dnsdelay_conn_maybe_free(c);
	}
}

static void dnsdelay_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			       int salen, void *arg)
{
	(void)l;
	(void)sa;
	(void)salen;
	struct dnsdelay_map *m = arg;
	struct dnsdelay_conn *c = calloc(1, sizeof *c);
	if (c == NULL)
		abort();
	c->client = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->up = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->client, dnsdelay_on_client_read, NULL, dnsdelay_on_tcp_event, c);
	bufferevent_setcb(c->up, dnsdelay_on_up_read, NULL, dnsdelay_on_tcp_event, c);
	bufferevent_enable(c->client, EV_READ | EV_WRITE);
	bufferevent_enable(c->up, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(c->up, (struct sockaddr *)&m->target, sizeof m->target) <
	    0) {
		c->closing = 1;
		dnsdelay_conn_maybe_free(c);
		return;
	}
	n_tcp++;
}

static int dnsdelay_parse(const char *text, struct sockaddr_in *sa)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_port = htons(53);
	return inet_pton(AF_INET, text, &sa->sin_addr) == 1 ? 0 : -1;
}

static int dnsdelay_udp(const struct sockaddr_in *bind_to, const struct sockaddr_in *connect_to)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	int big = DNSDELAY_BUF, one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind_to && bind(fd, (const struct sockaddr *)bind_to, sizeof *bind_to) < 0)
		return -1;
	if (connect_to && connect(fd, (const struct sockaddr *)connect_to, sizeof *connect_to) < 0)
		return -1;
	return fd;
}

static void dnsdelay_on_signal(evutil_socket_t sig, short what, void *arg)
{
	(void)sig;
	(void)what;
	(void)arg;
	event_base_loopexit(base, NULL);
}

int main(int argc, char **argv)
{
	int delay_ms = -1, opt;
	const char *pidfile = NULL;
	while ((opt = getopt(argc, argv, "d:p:")) != -1) {
		if (opt == 'd')
			delay_ms = atoi(optarg);
		else if (opt == 'p')
			pidfile = optarg;
		else
			goto usage;
	}
	if (delay_ms < 0 || delay_ms > 60000 || optind >= argc || argc - optind > DNSDELAY_MAX_MAPS)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	base = event_base_new();
	struct timeval tv = {delay_ms / 1000, (delay_ms % 1000) * 1000};
	/* One common timeout: libevent keeps same-duration timers in a queue, O(1) each. */
	delay_tv = event_base_init_common_timeout(base, &tv);
	for (int i = optind; i < argc; i++) {
		char spec[128];
		snprintf(spec, sizeof spec, "%s", argv[i]);
		char *eq = strchr(spec, '=');
		struct dnsdelay_map *m = calloc(1, sizeof *m);
		if (eq == NULL || m == NULL)
			goto usage;
		*eq = 0;
		if (dnsdelay_parse(spec, &m->listen) < 0 || dnsdelay_parse(eq + 1, &m->target) < 0)
			goto usage;
		m->ufd = dnsdelay_udp(&m->listen, NULL);
		m->up = dnsdelay_udp(NULL, &m->target);
		if (m->ufd < 0 || m->up < 0) {
			fprintf(stderr, "dnsdelay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		m->ev_client = event_new(base, m->ufd, EV_READ | EV_PERSIST, dnsdelay_on_client, m);
		m->ev_up = event_new(base, m->up, EV_READ | EV_PERSIST, dnsdelay_on_upstream, m);
		event_add(m->ev_client, NULL);
		event_add(m->ev_up, NULL);
		m->tcp = evconnlistener_new_bind(base, dnsdelay_on_accept, m,
						 LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 1024,
						 (struct sockaddr *)&m->listen, sizeof m->listen);
		if (m->tcp == NULL) {
			fprintf(stderr, "dnsdelay: tcp %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
	}
	struct event *sig = evsignal_new(base, SIGTERM, dnsdelay_on_signal, NULL);
	struct event *sig2 = evsignal_new(base, SIGINT, dnsdelay_on_signal, NULL);
	event_add(sig, NULL);
	event_add(sig2, NULL);
	if (pidfile) {
		FILE *f = fopen(pidfile, "w");
		if (f) {
			fprintf(f, "%d\n", (int)getpid());
			fclose(f);
		}
	}
	fprintf(stderr, "dnsdelay: %d mappings, %d ms\n", argc - optind, delay_ms);
	event_base_dispatch(base);
	fprintf(stderr, "dnsdelay: stopped after %llu UDP queries, %llu TCP connections\n",
		(unsigned long long)n_udp, (unsigned long long)n_tcp);
	return 0;
usage:
	fprintf(stderr, "usage: dnsdelay -d MS [-p PIDFILE] LISTEN=TARGET...\n");
	return 2;
}
