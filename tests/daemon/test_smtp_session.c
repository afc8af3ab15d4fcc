/* test_smtp_session.c — real SMTP probe sessions against a scripted server living in the same
 * libevent loop on loopback: STARTTLS (TLS 1.3 and a TLS 1.0-only peer), no STARTTLS, refused and
 * hidden STARTTLS, handshake failures, multi-line and bare-LF replies, 421/554 greetings, silence,
 * garbage, oversized lines, refused connections, STARTTLS injection, replies dripped one byte at a
 * time, a 50-certificate chain; then 1,000 concurrent sessions, each ending by reply or timeout. */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/smtp_evidence.h"
#include "checks/smtp_reply.h"
#include "common/xalloc.h"
#include "daemon/probe_cache.h"
#include "daemon/smtp.h"
#include "daemon/tls.h"

/* ------------------------------------------------------------------ the scripted server */

enum fake_tls {
	FAKE_TLS_OK = 0,   /* handshake after 220 */
	FAKE_TLS_CLOSE,	   /* close right after 220 */
	FAKE_TLS_GARBAGE,  /* plaintext garbage a moment after 220, then silence */
	FAKE_TLS_HANGUP,   /* accept the ClientHello, then close mid-handshake */
};

struct fake_script {
	const char *banner;	    /* bytes sent on connect; NULL: never says anything */
	int close_on_ehlo;	    /* reset right after the greeting: close when EHLO arrives */
	const char *ehlo;	    /* reply to EHLO before TLS */
	const char *helo;	    /* reply to HELO (NULL: "250 fake") */
	const char *starttls;	    /* reply to STARTTLS (NULL: "502 no") */
	const char *inject;	    /* bytes sent together with the STARTTLS reply */
	enum fake_tls tls;	    /* what follows a 220 to STARTTLS */
	int tls10;		    /* serve TLS 1.0 only */
	int long_chain;		    /* send a chain of 50 certificates */
	const char *ehlo_tls;	    /* reply to EHLO inside TLS */
	int drip;		    /* send every reply one byte per loop turn */
	int banner_delay_ms;	    /* wait this long before the greeting */
	size_t fail_first;	    /* greet the first N connections with 421 and close */
};

struct fake_server {
	struct event_base *base;	   /* borrowed */
	struct evconnlistener *listener;   /* owned */
	const struct fake_script *script;  /* borrowed: current behaviour */
	struct fake_conn *conns;	   /* owned: open connections */
	unsigned short port;		   /* where it listens */
	size_t accepted;		   /* connections seen */
	size_t open;			   /* connections open now */
	size_t peak;			   /* most open at once */
};

static size_t fake_open_total, fake_peak_total; /* over every server */
static size_t fake_peak_live; /* most client sessions alive when a connection arrived */

struct fake_conn {
	struct fake_server *srv;      /* borrowed */
	struct bufferevent *bev;      /* owned (plain or TLS filter) */
	struct event *drip;	      /* owned: the drip timer */
	struct evbuffer *pending;     /* owned: bytes waiting to drip */
	struct event *later;	      /* owned: sends the garbage of FAKE_TLS_GARBAGE */
	int tls;		      /* inside TLS */
	int tls_after_drip;	      /* start TLS once the dripped 220 is out */
	struct fake_conn *next;	      /* in srv->conns */
};

static SSL_CTX *ctx_modern, *ctx_tls10, *ctx_long;
static X509 *test_cert;
static EVP_PKEY *test_key;

static void fake_conn_close(struct fake_conn *c)
{
	struct fake_conn **pp = &c->srv->conns;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	c->srv->open--;
	fake_open_total--;
	if (c->bev)
		bufferevent_free(c->bev);
	if (c->drip)
		event_free(c->drip);
	if (c->later)
		event_free(c->later);
	evbuffer_free(c->pending);
	free(c);
}

static void fake_start_tls(struct fake_conn *c);
static void fake_on_read(struct bufferevent *bev, void *arg);
static void fake_on_event(struct bufferevent *bev, short what, void *arg);

static void fake_on_drip(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fake_conn *c = arg;
	char b;
	if (evbuffer_remove(c->pending, &b, 1) == 1)
		bufferevent_write(c->bev, &b, 1);
	if (evbuffer_get_length(c->pending)) {
		struct timeval tv = {0, 200};
		evtimer_add(c->drip, &tv);
	} else if (c->tls_after_drip) {
		c->tls_after_drip = 0;
		fake_start_tls(c);
	}
}

static void fake_send(struct fake_conn *c, const char *s)
{
	if (!c->srv->script->drip) {
		bufferevent_write(c->bev, s, strlen(s));
		return;
	}
	evbuffer_add(c->pending, s, strlen(s));
	if (!evtimer_pending(c->drip, NULL)) {
		struct timeval tv = {0, 200};
		evtimer_add(c->drip, &tv);
	}
}

static void fake_on_garbage(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fake_conn *c = arg;
	fake_send(c, "this is not a TLS server hello\r\n\x16\x03\x01garbage");
}

static void fake_start_tls(struct fake_conn *c)
{
	const struct fake_script *sc = c->srv->script;
	SSL_CTX *ctx = sc->tls10 ? ctx_tls10 : sc->long_chain ? ctx_long : ctx_modern;
	SSL *ssl = SSL_new(ctx);
	struct bufferevent *t = bufferevent_openssl_filter_new(
		c->srv->base, c->bev, ssl, BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE);
	assert_non_null(t);
	c->bev = t;
	c->tls = 1;
	bufferevent_setcb(t, fake_on_read, NULL, fake_on_event, c);
	bufferevent_enable(t, EV_READ | EV_WRITE);
}

static void fake_on_ignore(struct bufferevent *bev, void *arg)
{
	(void)arg;
	evbuffer_drain(bufferevent_get_input(bev), evbuffer_get_length(bufferevent_get_input(bev)));
}

/* FAKE_TLS_CLOSE: close once the 220 has left. */
static void fake_on_drained(struct bufferevent *bev, void *arg)
{
	(void)bev;
	fake_conn_close(arg);
}

/* FAKE_TLS_HANGUP: read the ClientHello in plaintext, then close. */
static void fake_on_hello(struct bufferevent *bev, void *arg)
{
	struct fake_conn *c = arg;
	if (evbuffer_get_length(bufferevent_get_input(bev)) > 5)
		fake_conn_close(c);
}

static void fake_command(struct fake_conn *c, const char *line)
{
	const struct fake_script *sc = c->srv->script;
	if (strncasecmp(line, "EHLO", 4) == 0) {
		if (sc->close_on_ehlo && !c->tls) {
			fake_conn_close(c);
			return;
		}
		fake_send(c, c->tls ? (sc->ehlo_tls ? sc->ehlo_tls : "250 fake\r\n")
				    : (sc->ehlo ? sc->ehlo : "250 fake\r\n"));
	} else if (strncasecmp(line, "HELO", 4) == 0) {
		fake_send(c, sc->helo ? sc->helo : "250 fake\r\n");
	} else if (strcasecmp(line, "STARTTLS") == 0 && !c->tls) {
		const char *r = sc->starttls ? sc->starttls : "502 5.5.1 no STARTTLS\r\n";
		char both[512];
		snprintf(both, sizeof both, "%s%s", r, sc->inject ? sc->inject : "");
		fake_send(c, both);
		if (strncmp(r, "220", 3) != 0)
			return;
		if (sc->tls == FAKE_TLS_CLOSE) {
			bufferevent_setcb(c->bev, NULL, fake_on_drained, fake_on_event, c);
		} else if (sc->tls == FAKE_TLS_HANGUP) {
			bufferevent_setcb(c->bev, fake_on_hello, NULL, fake_on_event, c);
		} else if (sc->tls == FAKE_TLS_GARBAGE) {
			/* Ignore the ClientHello; answer it with plaintext. */
			bufferevent_setcb(c->bev, fake_on_ignore, NULL, fake_on_event, c);
			c->later = evtimer_new(c->srv->base, fake_on_garbage, c);
			struct timeval tv = {0, 20000};
			evtimer_add(c->later, &tv);
		} else if (sc->drip) {
			c->tls_after_drip = 1;
		} else {
			fake_start_tls(c);
		}
	} else if (strcasecmp(line, "QUIT") == 0) {
		/* Close once the 221 is out, as servers do: the client sees it closed. */
		fake_send(c, "221 2.0.0 bye\r\n");
		if (!c->srv->script->drip)
			bufferevent_setcb(c->bev, NULL, fake_on_drained, fake_on_event, c);
	} else {
		fake_send(c, "502 5.5.2 what\r\n");
	}
}

static void fake_on_read(struct bufferevent *bev, void *arg)
{
	struct fake_conn *c = arg;
	char *line;
	size_t n;
	while ((line = evbuffer_readln(bufferevent_get_input(bev), &n, EVBUFFER_EOL_CRLF))) {
		struct bufferevent *before = c->bev;
		int tls = c->tls;
		struct fake_server *srv = c->srv;
		int alive = 0;
		fake_command(c, line);
		free(line);
		for (struct fake_conn *k = srv->conns; k; k = k->next)
			alive |= k == c;
		if (!alive || c->bev != before || c->tls != tls)
			return;
	}
}

static void fake_on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct fake_conn *c = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		fake_conn_close(c);
}

static void fake_on_banner(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct fake_conn *c = arg;
	fake_send(c, c->srv->script->banner);
}

static void fake_on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
			   int len, void *arg)
{
	(void)l;
	(void)sa;
	(void)len;
	struct fake_server *srv = arg;
	struct fake_conn *c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->bev = bufferevent_socket_new(srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->drip = evtimer_new(srv->base, fake_on_drip, c);
	c->pending = evbuffer_new();
	c->next = srv->conns;
	srv->conns = c;
	srv->accepted++;
	if (++srv->open > srv->peak)
		srv->peak = srv->open;
	if (++fake_open_total > fake_peak_total)
		fake_peak_total = fake_open_total;
	/* The client's view: a server may not have noticed yet that an earlier session closed. */
	if (smtp_live_sessions() > fake_peak_live)
		fake_peak_live = smtp_live_sessions();
	bufferevent_setcb(c->bev, fake_on_read, NULL, fake_on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	if (srv->accepted <= srv->script->fail_first) {
		fake_send(c, "421 4.7.0 too many connections, come back later\r\n");
		bufferevent_setcb(c->bev, NULL, fake_on_drained, fake_on_event, c);
	} else if (srv->script->banner && srv->script->banner_delay_ms) {
		c->later = evtimer_new(srv->base, fake_on_banner, c);
		struct timeval tv = {srv->script->banner_delay_ms / 1000,
				     (srv->script->banner_delay_ms % 1000) * 1000};
		evtimer_add(c->later, &tv);
	} else if (srv->script->banner) {
		fake_send(c, srv->script->banner);
	}
}

static struct fake_server *fake_server_new(struct event_base *base, const char *addr,
					   unsigned short port)
{
	struct fake_server *srv = xcalloc(1, sizeof *srv);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, addr, &sin.sin_addr);
	srv->base = base;
	srv->listener = evconnlistener_new_bind(base, fake_on_accept, srv,
						LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 512,
						(struct sockaddr *)&sin, sizeof sin);
	if (srv->listener == NULL) {
		free(srv);
		return NULL;
	}
	struct sockaddr_in got;
	socklen_t gl = sizeof got;
	getsockname(evconnlistener_get_fd(srv->listener), (struct sockaddr *)&got, &gl);
	srv->port = ntohs(got.sin_port);
	return srv;
}

static void fake_server_free(struct fake_server *srv)
{
	if (srv == NULL)
		return;
	while (srv->conns)
		fake_conn_close(srv->conns);
	evconnlistener_free(srv->listener);
	free(srv);
}

/* ------------------------------------------------------------------ certificates */

static X509 *make_cert(EVP_PKEY *key, const char *cn)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_sign(x, key, EVP_sha256());
	return x;
}

static SSL_CTX *make_server_ctx(int tls10, int chain)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (tls10) {
		SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_max_proto_version(ctx, TLS1_VERSION);
		SSL_CTX_set_security_level(ctx, 0);
		SSL_CTX_set_cipher_list(ctx, "DEFAULT:@SECLEVEL=0");
	}
	SSL_CTX_use_certificate(ctx, test_cert);
	SSL_CTX_use_PrivateKey(ctx, test_key);
	for (int i = 1; i < chain; i++)
		SSL_CTX_add1_chain_cert(ctx, test_cert);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	return ctx;
}

static int setup(void **state)
{
	(void)state;
	test_key = EVP_EC_gen("P-256");
	test_cert = make_cert(test_key, "mx.test");
	ctx_modern = make_server_ctx(0, 1);
	ctx_tls10 = make_server_ctx(1, 1);
	ctx_long = make_server_ctx(0, 50);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	SSL_CTX_free(ctx_modern);
	SSL_CTX_free(ctx_tls10);
	SSL_CTX_free(ctx_long);
	X509_free(test_cert);
	EVP_PKEY_free(test_key);
	return 0;
}

/* ------------------------------------------------------------------ single sessions */

#define EHLO_TLS "250-fake\r\n250-PIPELINING\r\n250-SIZE 1000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"
#define EHLO_RT "250-fake\r\n250-PIPELINING\r\n250 REQUIRETLS\r\n"

struct session_case {
	const char *what;	     /* description */
	struct fake_script script;   /* the server */
	int refused;		     /* connect to a port nobody listens on */
	enum smtp_stage stage;	     /* expected end stage */
	enum smtp_error error;	     /* expected error */
	int banner_code;	     /* expected greeting code */
	int ehlo_code;		     /* expected EHLO code */
	int starttls_code;	     /* expected STARTTLS code */
	int tls;		     /* handshake expected to complete */
	const char *version;	     /* expected TLS version, or NULL */
	unsigned ext, ext_tls;	     /* keywords expected before / inside TLS (subset) */
	int injection;		     /* injected bytes expected */
	const char *reason;	     /* substring of the reason, or NULL */
	int helo_code;		     /* expected HELO code */
	int bare_lf;		     /* bare LF expected */
	int unsolicited;	     /* unsolicited bytes expected */
	size_t chain_sent;	     /* certificates sent (0: do not check) */
};

static const struct session_case cases[] = {
	{"STARTTLS with TLS 1.3, REQUIRETLS inside",
	 {"220 fake ESMTP\r\n", 0, EHLO_TLS, NULL, "220 2.0.0 go\r\n", NULL, FAKE_TLS_OK, 0, 0, EHLO_RT, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1.3",
	 SMTP_EXT_STARTTLS | SMTP_EXT_SIZE | SMTP_EXT_PIPELINING | SMTP_EXT_8BITMIME, SMTP_EXT_REQUIRETLS, 0, NULL, 0, 0, 0, 1},
	{"no STARTTLS offered (and refused)",
	 {"220 fake\r\n", 0, "250-fake\r\n250 PIPELINING\r\n", NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 502, 0, NULL, SMTP_EXT_PIPELINING, 0, 0, NULL, 0, 0, 0, 0},
	{"STARTTLS refused with 454",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "454 4.7.0 not now\r\n", NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 454, 0, NULL, SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 0, 0, 0},
	{"hidden STARTTLS works",
	 {"220 fake\r\n", 0, "250-fake\r\n250 8BITMIME\r\n", NULL, "220 go\r\n", NULL, FAKE_TLS_OK, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1.3", SMTP_EXT_8BITMIME, 0, 0, NULL, 0, 0, 0, 0},
	{"220 to STARTTLS, then the server closes",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_CLOSE, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_TLS, SMTP_ERR_TLS, 220, 250, 220, 0, NULL, SMTP_EXT_STARTTLS, 0, 0, "TLS handshake", 0, 0, 0, 0},
	{"220 to STARTTLS, then plaintext garbage",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_GARBAGE, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_TLS, SMTP_ERR_TLS, 220, 250, 220, 0, NULL, SMTP_EXT_STARTTLS, 0, 0, "TLS handshake", 0, 0, 0, 0},
	{"STARTTLS injection",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", "250 injected\r\n", FAKE_TLS_OK, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1.3", SMTP_EXT_STARTTLS, 0, 1, NULL, 0, 0, 0, 0},
	{"TLS 1.0-only peer",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_OK, 1, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1", SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 0, 0, 0},
	{"chain of 50 certificates",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_OK, 0, 1, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1.3", SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 0, 0, 50},
	{"multi-line banner and EHLO",
	 {"220-fake ESMTP\r\n220-this greeting spans\r\n220 three lines\r\n", 0,
	  "250-fake\r\n250-HELP 1\r\n250-HELP 2\r\n250-HELP 3\r\n250-STARTTLS\r\n250-HELP 4\r\n250 HELP 5\r\n",
	  NULL, "220 go\r\n", NULL, FAKE_TLS_OK, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1.3", SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 0, 0, 0},
	{"every reply dripped one byte at a time",
	 {"220-fake\r\n220 ESMTP\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_OK, 0, 0, NULL, 1, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 220, 1, "TLSv1.3", SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 0, 0, 0},
	{"bare LF line ends",
	 {"220 fake\n", 0, "250-fake\n250 STARTTLS\n", NULL, "454 no\n", NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 454, 0, NULL, SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 1, 0, 0},
	{"pipelined junk after the greeting",
	 {"220 fake\r\n250 junk\r\n", 0, EHLO_TLS, NULL, "454 no\r\n", NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 250, 454, 0, NULL, SMTP_EXT_STARTTLS, 0, 0, NULL, 0, 0, 1, 0},
	{"421 greeting",
	 {"421 4.3.2 busy, closing\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_BANNER, SMTP_ERR_REPLY, 421, 0, 0, 0, NULL, 0, 0, 0, "greeting 421", 0, 0, 0, 0},
	{"554 greeting",
	 {"554 5.3.2 no service\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_BANNER, SMTP_ERR_REPLY, 554, 0, 0, 0, NULL, 0, 0, 0, "greeting 554", 0, 0, 0, 0},
	{"greeting never sent",
	 {NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_BANNER, SMTP_ERR_TIMEOUT, 0, 0, 0, 0, NULL, 0, 0, 0, "greeting", 0, 0, 0, 0},
	{"garbage greeting",
	 {"\x16\x03\x01\x02garbage\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_BANNER, SMTP_ERR_PROTOCOL, 0, 0, 0, 0, NULL, 0, 0, 0, "not an SMTP reply", 0, 0, 0, 0},
	{"oversized EHLO line",
	 {"220 fake\r\n", 0, NULL /* set at run time */, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_EHLO, SMTP_ERR_PROTOCOL, 220, 0, 0, 0, NULL, 0, 0, 0, "longer than", 0, 0, 0, 0},
	{"mixed codes in the EHLO reply",
	 {"220 fake\r\n", 0, "250-fake\r\n220 STARTTLS\r\n", NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_EHLO, SMTP_ERR_PROTOCOL, 220, 0, 0, 0, NULL, 0, 0, 0, "mixed reply codes", 0, 0, 0, 0},
	{"EHLO refused, HELO accepted",
	 {"220 fake\r\n", 0, "502 5.5.2 try HELO\r\n", NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_DONE, SMTP_ERR_NONE, 220, 502, 0, 0, NULL, 0, 0, 0, NULL, 250, 0, 0, 0},
	{"EHLO answered 450 (rate limiting)",
	 {"220 fake\r\n", 0, "450 4.7.1 slow down\r\n", NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_EHLO, SMTP_ERR_REPLY, 220, 450, 0, 0, NULL, 0, 0, 0, "EHLO refused with 450", 0, 0, 0, 0},
	{"reset right after the greeting",
	 {"220 fake\r\n", 1, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_EHLO, SMTP_ERR_CLOSED, 220, 0, 0, 0, NULL, 0, 0, 0, "connection", 0, 0, 0, 0},
	{"server hangs up mid-handshake",
	 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_HANGUP, 0, 0, NULL, 0, 0, 0},
	 0, SMTP_STAGE_TLS, SMTP_ERR_TLS, 220, 250, 220, 0, NULL, SMTP_EXT_STARTTLS, 0, 0, "TLS handshake", 0, 0, 0, 0},
	{"connection refused",
	 {NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	 1, SMTP_STAGE_CONNECT, SMTP_ERR_REFUSED, 0, 0, 0, 0, NULL, 0, 0, 0, "refused", 0, 0, 0, 0},
};

struct run_state {
	struct smtp_probe probe; /* moved out of the session */
	int calls;		 /* completions seen */
};

static void on_done(struct smtp_probe *p, void *arg)
{
	struct run_state *rs = arg;
	rs->calls++;
	rs->probe = *p;
	smtp_probe_init(p);
}

static SSL_CTX *client_ctx(void)
{
	char err[256];
	SSL_CTX *ctx = tls_client_ctx_new(err, sizeof err);
	if (ctx == NULL)
		fail_msg("%s", err);
	return ctx;
}

static unsigned short unused_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sin = {.sin_family = AF_INET};
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	bind(fd, (struct sockaddr *)&sin, sizeof sin);
	socklen_t l = sizeof sin;
	getsockname(fd, (struct sockaddr *)&sin, &l);
	close(fd);
	return ntohs(sin.sin_port);
}

static char *oversized_ehlo(void)
{
	size_t n = 100 * 1024;
	char *s = xmalloc(n + 64);
	strcpy(s, "250-fake\r\n250-X-OVERSIZED ");
	size_t k = strlen(s);
	memset(s + k, 'y', n);
	strcpy(s + k + n, "\r\n250 STARTTLS\r\n");
	return s;
}

static void test_sessions(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
	assert_non_null(srv);
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = {.ehlo_name = "probe.test", .connect_timeout_ms = 2000,
				   .reply_timeout_ms = 400, .ssl_ctx = ctx};
	char *big = oversized_ehlo();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct session_case *c = &cases[i];
		struct fake_script sc = c->script;
		if (sc.ehlo == NULL && c->stage == SMTP_STAGE_EHLO && c->error == SMTP_ERR_PROTOCOL)
			sc.ehlo = big;
		srv->script = &sc;
		struct run_state rs = {0};
		unsigned short port = c->refused ? unused_port() : srv->port;
		smtp_start(base, &opt, "mx.test", "127.0.0.1", port, on_done, &rs);
		assert_int_equal(rs.calls, 0); /* never from inside smtp_start */
		while (rs.calls == 0)
			event_base_loop(base, EVLOOP_ONCE);
		const struct smtp_probe *p = &rs.probe;
		print_message("%-45s %s/%s %s %s\n", c->what, smtp_stage_name(p->stage),
			      smtp_error_name(p->error), p->tls_version ? p->tls_version : "",
			      p->reason ? p->reason : "");
		if (p->stage != c->stage || p->error != c->error)
			fail_msg("%s: ended at %s/%s (%s), expected %s/%s", c->what,
				 smtp_stage_name(p->stage), smtp_error_name(p->error),
				 p->reason ? p->reason : "", smtp_stage_name(c->stage),
				 smtp_error_name(c->error));
		assert_int_equal(p->banner_code, c->banner_code);
		assert_int_equal(p->ehlo_code, c->ehlo_code);
		assert_int_equal(p->starttls_code, c->starttls_code);
		assert_int_equal(p->helo_code, c->helo_code);
		if (p->tls != c->tls)
			fail_msg("%s: tls %d (%s)", c->what, p->tls, p->reason ? p->reason : "");
		if (c->version)
			assert_string_equal(p->tls_version, c->version);
		if (c->tls) {
			assert_non_null(p->tls_cipher);
			assert_non_null(p->tls_group);
			assert_true(p->chain_len >= 1);
			assert_int_equal(p->ehlo_tls_code, 250);
			assert_int_equal(p->quit_code, 221);
		}
		assert_int_equal(p->ext & c->ext, c->ext);
		assert_int_equal(p->ext_tls & c->ext_tls, c->ext_tls);
		if (!(c->ext & SMTP_EXT_STARTTLS))
			assert_false(p->ext & SMTP_EXT_STARTTLS);
		assert_int_equal(p->injection_len > 0, c->injection);
		assert_int_equal(p->bare_lf, c->bare_lf);
		assert_int_equal(p->unsolicited > 0, c->unsolicited);
		if (c->chain_sent) {
			assert_int_equal(p->chain_sent, c->chain_sent);
			assert_int_equal(p->chain_len, c->chain_sent < SMTP_CHAIN_MAX
							       ? c->chain_sent : SMTP_CHAIN_MAX);
		}
		if (c->reason && (p->reason == NULL || strstr(p->reason, c->reason) == NULL))
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->what,
				 p->reason ? p->reason : "(none)", c->reason);
		if (c->error == SMTP_ERR_NONE)
			assert_null(p->reason);
		assert_string_equal(p->host, "mx.test");
		assert_string_equal(p->address, "127.0.0.1");
		smtp_probe_clear(&rs.probe);
		while (srv->conns)
			fake_conn_close(srv->conns);
	}
	assert_int_equal(smtp_live_sessions(), 0);
	free(big);
	fake_server_free(srv);
	SSL_CTX_free(ctx);
	event_base_free(base);
}

/* ------------------------------------------------------------------ the probe cache */

struct want_state {
	struct smtp_probe probe; /* copy of the result */
	int calls;		 /* callbacks seen */
	int *done;		 /* shared completion counter, or NULL */
};

static void on_probe(const struct smtp_probe *p, void *arg)
{
	struct want_state *ws = arg;
	ws->calls++;
	smtp_probe_clear(&ws->probe);
	smtp_probe_copy(&ws->probe, p);
	if (ws->done)
		(*ws->done)++;
}

/* Every one of the n probes completed TLS; their copies are freed. */
static void assert_all_tls_and_clear(struct want_state *ws, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(ws[i].probe.tls, 1);
		smtp_probe_clear(&ws[i].probe);
	}
}

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
}

/* Run the loop until *count reaches want; fail after limit_ms. */
static void run_until(struct event_base *base, const int *count, int want, long long limit_ms)
{
	long long end = mono_ms() + limit_ms;
	struct event *tick = event_new(base, -1, EV_PERSIST, on_tick, NULL);
	struct timeval tv = {0, 50000};
	event_add(tick, &tv); /* so that the loop never blocks longer than 50 ms */
	while (*count < want) {
		if (mono_ms() > end)
			fail_msg("still %d of %d after %lld ms", *count, want, limit_ms);
		event_base_loop(base, EVLOOP_ONCE);
	}
	event_free(tick);
}

static struct probe_limits test_limits(void)
{
	return (struct probe_limits){.max_sessions = 5000,
				     .per_address = 2,
				     .rate_per_address = 1000000,
				     .connect_rate = 1000000,
				     .ttl_s = 3600,
				     .max_attempts = 3,
				     .retry_ms = 20};
}

static struct smtp_options test_options(SSL_CTX *ctx, unsigned reply_ms)
{
	return (struct smtp_options){.ehlo_name = "probe.test", .connect_timeout_ms = 3000,
				     .reply_timeout_ms = reply_ms, .ssl_ctx = ctx};
}

static const struct fake_script good_script = {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n",
					       NULL, FAKE_TLS_OK, 0, 0, EHLO_RT, 0, 0, 0};

static struct probe_cache *cache_new(struct event_base *base, const struct smtp_options *opt,
				     const struct probe_limits *lim)
{
	char err[200];
	struct probe_cache *pc = probe_cache_new(base, opt, lim, err, sizeof err);
	if (pc == NULL)
		fail_msg("%s", err);
	return pc;
}

/* One probe per (address, SNI): joins while running, hits once done, never synchronously. */
static void test_cache_sharing(void **state)
{
	(void)state;
	struct event_base *base = event_base_new();
	struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
	srv->script = &good_script;
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = test_options(ctx, 2000);
	struct probe_limits lim = test_limits();
	struct probe_cache *pc = cache_new(base, &opt, &lim);
	int done = 0;
	struct want_state a = {.done = &done}, b = {.done = &done}, c = {.done = &done},
			  d = {.done = &done};
	probe_cache_want(pc, "MX.test", "127.0.0.1", srv->port, on_probe, &a);
	probe_cache_want(pc, "mx.test.", "127.0.0.1", srv->port, on_probe, &b);
	run_until(base, &done, 2, 5000);
	assert_int_equal(srv->accepted, 1);
	assert_int_equal(probe_cache_stats(pc)->joined, 1);
	assert_int_equal(a.probe.tls, 1);
	assert_int_equal(b.probe.tls, 1);
	probe_cache_want(pc, "mx.test", "127.0.0.1", srv->port, on_probe, &c);
	assert_int_equal(c.calls, 0); /* a hit is delivered from the loop, not inside want */
	run_until(base, &done, 3, 5000);
	assert_int_equal(probe_cache_stats(pc)->hits, 1);
	assert_int_equal(srv->accepted, 1);
	assert_string_equal(c.probe.tls_version, "TLSv1.3");
	/* Another SNI name is another probe. */
	probe_cache_want(pc, "mx2.test", "127.0.0.1", srv->port, on_probe, &d);
	run_until(base, &done, 4, 5000);
	assert_int_equal(srv->accepted, 2);
	assert_string_equal(d.probe.host, "mx2.test");
	assert_int_equal(probe_cache_stats(pc)->sessions, 2);
	assert_int_equal(probe_cache_stats(pc)->active, 0);
	struct want_state *all[] = {&a, &b, &c, &d};
	for (int i = 0; i < 4; i++) {
		assert_int_equal(all[i]->calls, 1);
		smtp_probe_clear(&all[i]->probe);
	}
	probe_cache_free(pc);
	fake_server_free(srv);
	SSL_CTX_free(ctx);
	event_base_free(base);
	assert_int_equal(smtp_live_sessions(), 0);
}

/* Finished probes beyond max_done, or holding more than max_done_bytes, are dropped oldest
 * first, and probed again when wanted; done_bytes counts what the kept ones hold. */
static void test_cache_eviction(void **state)
{
	(void)state;
	struct {
		const char *what;	 /* description */
		size_t max_done;	 /* limits */
		size_t max_done_bytes;
		size_t entries[4];	 /* held after each of a, b, c, a */
		uint64_t evicted;	 /* dropped in all */
		unsigned accepted;	 /* sessions the server saw */
	} rows[] = {
		{"two probes at most", 2, 1u << 30, {1, 2, 2, 2}, 2, 4},
		{"one byte at most: only the newest stays", 100, 1, {1, 1, 1, 1}, 3, 4},
		{"room for all: the second a.test is a hit", 100, 1u << 30, {1, 2, 3, 3}, 0, 3},
	};
	for (size_t r = 0; r < sizeof rows / sizeof *rows; r++) {
		struct event_base *base = event_base_new();
		struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
		srv->script = &good_script;
		SSL_CTX *ctx = client_ctx();
		struct smtp_options opt = test_options(ctx, 2000);
		struct probe_limits lim = test_limits();
		lim.max_done = rows[r].max_done;
		lim.max_done_bytes = rows[r].max_done_bytes;
		struct probe_cache *pc = cache_new(base, &opt, &lim);
		int done = 0;
		struct want_state ws[4];
		const char *hosts[4] = {"a.test", "b.test", "c.test", "a.test"};
		for (int i = 0; i < 4; i++) {
			ws[i] = (struct want_state){.done = &done};
			probe_cache_want(pc, hosts[i], "127.0.0.1", srv->port, on_probe, &ws[i]);
			run_until(base, &done, i + 1, 5000);
			const struct probe_stats *st = probe_cache_stats(pc);
			if (st->entries != rows[r].entries[i])
				print_message("%s: %zu held after %s\n", rows[r].what, st->entries,
					      hosts[i]);
			assert_int_equal(st->entries, rows[r].entries[i]);
			/* Every held probe counts at least its leaf certificate (the same here). */
			size_t leaf = ws[i].probe.chain_len ? ws[i].probe.chain[0].len : 0;
			assert_true(leaf > 0 && st->done_bytes >= st->entries * leaf);
		}
		const struct probe_stats *st = probe_cache_stats(pc);
		assert_int_equal(st->evicted, rows[r].evicted);
		assert_int_equal(srv->accepted, rows[r].accepted);
		assert_all_tls_and_clear(ws, 4);
		probe_cache_free(pc);
		fake_server_free(srv);
		SSL_CTX_free(ctx);
		event_base_free(base);
	}
}

/* Servers that rate-limit are retried with backoff; still refusing means "rate-limited". */
static void test_cache_rate_limited(void **state)
{
	(void)state;
	struct {
		const char *what;	  /* description */
		struct fake_script sc;	  /* the server */
		enum smtp_error error;	  /* expected outcome */
		unsigned attempts;	  /* sessions made */
		int tls;		  /* STARTTLS done in the end */
	} rows[] = {
		{"421 greeting, always",
		 {"421 4.7.0 busy\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
		 SMTP_ERR_RATE_LIMITED, 3, 0},
		{"450 to EHLO, always",
		 {"220 fake\r\n", 0, "450 4.7.1 slow down\r\n", NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
		 SMTP_ERR_RATE_LIMITED, 3, 0},
		{"reset after the greeting, always",
		 {"220 fake\r\n", 1, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
		 SMTP_ERR_RATE_LIMITED, 3, 0},
		{"421 twice, then fine",
		 {"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_OK, 0, 0, NULL, 0, 0, 2},
		 SMTP_ERR_NONE, 3, 1},
		{"554 greeting: permanent, not retried",
		 {"554 5.7.1 go away\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
		 SMTP_ERR_REPLY, 1, 0},
	};
	struct event_base *base = event_base_new();
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = test_options(ctx, 1000);
	struct probe_limits lim = test_limits();
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
		srv->script = &rows[i].sc;
		struct probe_cache *pc = cache_new(base, &opt, &lim);
		int done = 0;
		struct want_state ws = {.done = &done};
		probe_cache_want(pc, "mx.test", "127.0.0.1", srv->port, on_probe, &ws);
		run_until(base, &done, 1, 5000);
		if (ws.probe.error != rows[i].error || ws.probe.attempts != rows[i].attempts)
			fail_msg("%s: %s after %u attempts (%s)", rows[i].what,
				 smtp_error_name(ws.probe.error), ws.probe.attempts,
				 ws.probe.reason ? ws.probe.reason : "");
		assert_int_equal(srv->accepted, rows[i].attempts);
		assert_int_equal(ws.probe.tls, rows[i].tls);
		assert_int_equal(probe_cache_stats(pc)->retries, rows[i].attempts - 1);
		if (rows[i].error == SMTP_ERR_RATE_LIMITED)
			assert_non_null(strstr(ws.probe.reason, "rate-limited"));
		smtp_probe_clear(&ws.probe);
		probe_cache_free(pc);
		fake_server_free(srv);
	}
	SSL_CTX_free(ctx);
	event_base_free(base);
}

static void test_cache_exclude(void **state)
{
	(void)state;
	char *list[] = {"192.0.2.0/24", "2001:db8::/33", "198.51.100.7", "mx.test", "mil"};
	struct probe_limits lim = test_limits();
	lim.exclude = list;
	lim.n_exclude = sizeof list / sizeof *list;
	struct event_base *base = event_base_new();
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = test_options(ctx, 1000);
	struct probe_cache *pc = cache_new(base, &opt, &lim);
	struct {
		const char *host, *addr; /* the probe */
		int excluded;		 /* expected */
	} rows[] = {
		{"a.example", "192.0.2.200", 1},	{"a.example", "192.0.3.1", 0},
		{"a.example", "2001:db8:7fff::1", 1},	{"a.example", "2001:db8:8000::1", 0},
		{"a.example", "198.51.100.7", 1},	{"a.example", "198.51.100.8", 0},
		{"mx.test", "203.0.113.1", 1},		{"relay.mx.test", "203.0.113.1", 1},
		{"xmx.test", "203.0.113.1", 0},		{"mail.army.mil", "203.0.113.1", 1},
		{"MX.TEST.", "203.0.113.1", 1},		{"a.example", "not-an-address", 0},
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++)
		if ((probe_cache_excluded(pc, rows[i].host, rows[i].addr) != NULL) !=
		    rows[i].excluded)
			fail_msg("%s %s: excluded %d", rows[i].host, rows[i].addr, !rows[i].excluded);
	/* Excluded probes end without a packet. */
	struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
	srv->script = &good_script;
	int done = 0;
	struct want_state ws = {.done = &done};
	probe_cache_want(pc, "mx.test", "127.0.0.1", srv->port, on_probe, &ws);
	run_until(base, &done, 1, 2000);
	assert_int_equal(ws.probe.error, SMTP_ERR_EXCLUDED);
	assert_non_null(strstr(ws.probe.reason, "limits.exclude (mx.test)"));
	assert_int_equal(srv->accepted, 0);
	assert_int_equal(probe_cache_stats(pc)->excluded, 1);
	smtp_probe_clear(&ws.probe);
	probe_cache_free(pc);
	fake_server_free(srv);
	/* A malformed entry is refused when the cache is made. */
	char *bad[] = {"192.0.2.0/40"};
	lim.exclude = bad;
	lim.n_exclude = 1;
	char err[200];
	assert_null(probe_cache_new(base, &opt, &lim, err, sizeof err));
	assert_non_null(strstr(err, "192.0.2.0/40"));
	SSL_CTX_free(ctx);
	event_base_free(base);
}

/* Concurrency caps and connection rates hold. */
static void test_cache_limits(void **state)
{
	(void)state;
	struct {
		const char *what;	/* description */
		unsigned max_sessions, per_address, rate_per_min, connect_rate; /* limits */
		int probes;		/* SNI names probed at one address */
		size_t peak;		/* most sessions at once allowed */
		long long min_ms;	/* the rates make it take at least this long */
	} rows[] = {
		{"per-address cap", 5000, 2, 1000000, 1000000, 6, 2, 0},
		{"global cap", 3, 10, 1000000, 1000000, 9, 3, 0},
		{"per-address rate 600/min", 5000, 1, 600, 1000000, 4, 1, 290},
		{"global rate 20/s", 5000, 10, 1000000, 20, 6, 10, 190},
	};
	struct fake_script slow = good_script;
	slow.banner_delay_ms = 100;
	struct event_base *base = event_base_new();
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = test_options(ctx, 2000);
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct probe_limits lim = test_limits();
		lim.max_sessions = rows[i].max_sessions;
		lim.per_address = rows[i].per_address;
		lim.rate_per_address = rows[i].rate_per_min;
		lim.connect_rate = rows[i].connect_rate;
		struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
		srv->script = &slow;
		struct probe_cache *pc = cache_new(base, &opt, &lim);
		int done = 0;
		struct want_state ws[16];
		long long t0 = mono_ms();
		fake_peak_live = 0;
		for (int k = 0; k < rows[i].probes; k++) {
			char host[32];
			snprintf(host, sizeof host, "mx%d.test", k);
			ws[k] = (struct want_state){.done = &done};
			probe_cache_want(pc, host, "127.0.0.1", srv->port, on_probe, &ws[k]);
		}
		run_until(base, &done, rows[i].probes, 10000);
		long long ms = mono_ms() - t0;
		if (fake_peak_live > rows[i].peak || ms < rows[i].min_ms)
			fail_msg("%s: peak %zu (max %zu), %lld ms (min %lld)", rows[i].what,
				 fake_peak_live, rows[i].peak, ms, rows[i].min_ms);
		assert_int_equal(srv->accepted, rows[i].probes);
		assert_all_tls_and_clear(ws, (size_t)rows[i].probes);
		probe_cache_free(pc);
		fake_server_free(srv);
	}
	SSL_CTX_free(ctx);
	event_base_free(base);
}

/* A scan's deadline: waiters leave with what is known; unwanted queued probes are dropped,
 * running ones finish and are cached. */
static void test_cache_unwant(void **state)
{
	(void)state;
	struct fake_script silent = {NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0};
	struct fake_script busy = {"421 4.7.0 busy\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0};
	struct event_base *base = event_base_new();
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = test_options(ctx, 300);
	struct probe_limits lim = test_limits();
	lim.max_sessions = 1;
	struct probe_cache *pc = cache_new(base, &opt, &lim);
	struct fake_server *srv = fake_server_new(base, "127.0.0.1", 0);
	srv->script = &silent;
	struct want_state a = {0}, b = {0}, late = {0};
	struct probe_wait *wa = probe_cache_want(pc, "a.test", "127.0.0.1", srv->port, on_probe, &a);
	struct probe_wait *wb = probe_cache_want(pc, "b.test", "127.0.0.1", srv->port, on_probe, &b);
	struct smtp_probe out;
	probe_cache_unwant(pc, wb, &out);
	assert_int_equal(out.error, SMTP_ERR_DEADLINE);
	assert_non_null(strstr(out.reason, "still queued"));
	assert_string_equal(out.host, "b.test");
	smtp_probe_clear(&out);
	assert_int_equal(probe_cache_stats(pc)->dropped, 1);
	probe_cache_unwant(pc, wa, &out);
	assert_non_null(strstr(out.reason, "session still running"));
	smtp_probe_clear(&out);
	/* The running probe ends by its timeout and is cached for the next scan. */
	while (probe_cache_stats(pc)->active)
		event_base_loop(base, EVLOOP_ONCE);
	int done = 0;
	late.done = &done;
	probe_cache_want(pc, "a.test", "127.0.0.1", srv->port, on_probe, &late);
	run_until(base, &done, 1, 2000);
	assert_int_equal(late.probe.error, SMTP_ERR_TIMEOUT);
	assert_int_equal(srv->accepted, 1);
	assert_int_equal(a.calls + b.calls, 0);
	smtp_probe_clear(&late.probe);
	/* Waiting to retry at the deadline: the last refusal is the record. */
	lim.retry_ms = 60000;
	struct probe_cache *pc2 = cache_new(base, &opt, &lim);
	srv->script = &busy;
	struct want_state c = {0};
	struct probe_wait *wc = probe_cache_want(pc2, "c.test", "127.0.0.1", srv->port, on_probe, &c);
	while (srv->accepted < 2 || probe_cache_stats(pc2)->active)
		event_base_loop(base, EVLOOP_ONCE);
	probe_cache_unwant(pc2, wc, &out);
	assert_int_equal(out.error, SMTP_ERR_RATE_LIMITED);
	assert_int_equal(out.banner_code, 421);
	assert_non_null(strstr(out.reason, "retry still pending"));
	smtp_probe_clear(&out);
	assert_int_equal(probe_cache_stats(pc2)->entries, 0);
	probe_cache_free(pc2);
	/* Freeing the cache with a session in flight closes it without callbacks. */
	srv->script = &silent;
	struct want_state d = {0};
	probe_cache_want(pc, "d.test", "127.0.0.1", srv->port, on_probe, &d);
	event_base_loop(base, EVLOOP_NONBLOCK);
	probe_cache_free(pc);
	assert_int_equal(smtp_live_sessions(), 0);
	assert_int_equal(d.calls, 0);
	fake_server_free(srv);
	SSL_CTX_free(ctx);
	event_base_free(base);
}

/* 1,000 MX addresses probed at once, a tenth of them misbehaving: every probe ends, by a reply
 * or a timeout, nothing leaks, and the throughput is printed. */
#define BULK_N 1000
static void test_bulk(void **state)
{
	(void)state;
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur < 4 * BULK_N + 100) {
		rl.rlim_cur = rl.rlim_max < 4 * BULK_N + 100 ? rl.rlim_max : 4 * BULK_N + 100;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	static const struct fake_script bad[] = {
		{NULL, 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},			   /* silent */
		{"\x16\x03\x01garbage\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},   /* garbage */
		{"220 fake\r\n", 0, EHLO_TLS, NULL, "220 go\r\n", NULL, FAKE_TLS_CLOSE, 0, 0, NULL, 0, 0, 0},
		{"421 busy\r\n", 0, NULL, NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},		   /* retried */
		{"220 fake\r\n", 0, "250-fake\r\n250 8BITMIME\r\n", NULL, NULL, NULL, 0, 0, 0, NULL, 0, 0, 0},
	};
	/* Under valgrind everything is ~50 times slower: TEST_TIMEOUT_SCALE stretches the timeouts
	 * (a silent server then costs that much longer too). 5 s leaves the well-behaved servers'
	 * handshakes room on a loaded machine under ASan; the silent ones cost it once. */
	const char *scale_env = getenv("TEST_TIMEOUT_SCALE");
	unsigned scale = scale_env && atoi(scale_env) > 0 ? (unsigned)atoi(scale_env) : 1;
	struct event_base *base = event_base_new();
	SSL_CTX *ctx = client_ctx();
	struct smtp_options opt = test_options(ctx, 5000 * scale);
	opt.connect_timeout_ms *= scale;
	struct probe_limits lim = test_limits();
	lim.max_attempts = 2;
	lim.retry_ms = 50;
	struct probe_cache *pc = cache_new(base, &opt, &lim);
	struct fake_server **srv = calloc(BULK_N, sizeof *srv);
	struct want_state *ws = calloc(BULK_N, sizeof *ws);
	char (*addr)[32] = calloc(BULK_N, sizeof *addr);
	unsigned short port = 0;
	int listening = 0;
	/* TEST_BULK_GOOD=1: every server well-behaved (a throughput measurement). */
	int all_good = getenv("TEST_BULK_GOOD") != NULL;
	for (int i = 0; i < BULK_N; i++) {
		snprintf(addr[i], sizeof addr[i], "127.77.%d.%d", i / 250, i % 250 + 1);
		if (i % 50 == 49 && !all_good)
			continue; /* 2 %: nobody listens, connection refused */
		srv[i] = fake_server_new(base, addr[i], port);
		if (srv[i] == NULL)
			fail_msg("cannot listen on %s:%u", addr[i], port);
		port = srv[i]->port;
		srv[i]->script = i % 10 == 3 && !all_good ? &bad[(i / 10) % 5] : &good_script;
		listening++;
	}
	fake_peak_total = fake_open_total;
	struct rusage r0, r1;
	getrusage(RUSAGE_SELF, &r0);
	long long t0 = mono_ms();
	int done = 0;
	for (int i = 0; i < BULK_N; i++) {
		ws[i].done = &done;
		probe_cache_want(pc, "mx.bulk.test", addr[i], port, on_probe, &ws[i]);
	}
	assert_true(probe_cache_stats(pc)->active > 0);
	run_until(base, &done, BULK_N, 30000LL * scale);
	long long ms = mono_ms() - t0;
	getrusage(RUSAGE_SELF, &r1);
	double cpu = (double)(r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) +
		     (double)(r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) +
		     (double)(r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
		     (double)(r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
	size_t tls = 0, timeouts = 0, refused = 0, limited = 0, other = 0;
	for (int i = 0; i < BULK_N; i++) {
		const struct smtp_probe *p = &ws[i].probe;
		assert_int_equal(ws[i].calls, 1);
		if (p->tls && p->error == SMTP_ERR_NONE)
			tls++;
		else if (p->error == SMTP_ERR_TIMEOUT)
			timeouts++;
		else if (p->error == SMTP_ERR_REFUSED)
			refused++;
		else if (p->error == SMTP_ERR_RATE_LIMITED)
			limited++;
		else
			other++;
		/* The well-behaved ones all got TLS. */
		if (srv[i] && srv[i]->script == &good_script && !p->tls)
			fail_msg("%s: %s", addr[i], p->reason ? p->reason : "no TLS");
		smtp_probe_clear(&ws[i].probe);
	}
	print_message("bulk: %d probes (%d listening) in %lld ms, peak %zu connections; "
		      "%zu TLS, %zu timeouts, %zu refused, %zu rate-limited, %zu other; "
		      "%.0f probes/s, %.2f ms CPU per probe (client and server)\n",
		      BULK_N, listening, ms, fake_peak_total, tls, timeouts, refused, limited,
		      other, BULK_N * 1000.0 / (double)ms, cpu * 1000.0 / BULK_N);
	assert_true(fake_peak_total >= BULK_N / 2); /* really concurrent */
	assert_int_equal(refused, all_good ? 0 : BULK_N / 50);
	assert_int_equal(limited, all_good ? 0 : BULK_N / 100 * 2);
	assert_int_equal(probe_cache_stats(pc)->active, 0);
	assert_int_equal(smtp_live_sessions(), 0);
	probe_cache_free(pc);
	for (int i = 0; i < BULK_N; i++)
		fake_server_free(srv[i]);
	free(srv);
	free(ws);
	free(addr);
	SSL_CTX_free(ctx);
	event_base_free(base);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_cache_sharing),
		cmocka_unit_test(test_cache_eviction),
		cmocka_unit_test(test_cache_rate_limited),
		cmocka_unit_test(test_cache_exclude),
		cmocka_unit_test(test_cache_limits),
		cmocka_unit_test(test_cache_unwant),
		cmocka_unit_test(test_bulk),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
