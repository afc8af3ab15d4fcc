/* smtp.c — the SMTP probe session as an explicit state machine (the OpenSMTPD mta_session shape):
 * smtp_enter() is the only place the state changes and sends the state's command; smtp_on_reply()
 * switches on the state; the libevent callbacks are the I/O handlers. Handlers never free the
 * session: they mark it done and the I/O handler finishes it on the way out. A session owns its
 * bufferevent (with BEV_OPT_CLOSE_ON_FREE: the socket, and after STARTTLS the TLS filter, which
 * owns the SSL and the socket bufferevent under it), its two timers and the probe it fills. */
#include "daemon/smtp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "checks/smtp_evidence.h"
#include "checks/smtp_reply.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/tls.h"

enum smtp_state {
	SMTP_STATE_INIT = 0, /* created, nothing sent */
	SMTP_STATE_CONNECT,  /* TCP connect under way */
	SMTP_STATE_BANNER,   /* waiting for the greeting */
	SMTP_STATE_EHLO,     /* EHLO sent */
	SMTP_STATE_HELO,     /* HELO sent (EHLO refused) */
	SMTP_STATE_STARTTLS, /* STARTTLS sent */
	SMTP_STATE_TLS,	     /* TLS handshake under way */
	SMTP_STATE_EHLO_TLS, /* EHLO sent inside TLS */
	SMTP_STATE_QUIT,     /* QUIT sent */
	SMTP_STATE_END,	     /* finished: the I/O handler completes the session */
};

static const char *const smtp_state_names[] = {
	"init", "connect", "banner", "ehlo", "helo", "starttls", "tls", "ehlo_tls", "quit", "end",
};

/* The evidence stage that corresponds to each state. */
static const enum smtp_stage smtp_state_stage[] = {
	SMTP_STAGE_NONE,     SMTP_STAGE_CONNECT, SMTP_STAGE_BANNER,   SMTP_STAGE_EHLO,
	SMTP_STAGE_HELO,     SMTP_STAGE_STARTTLS, SMTP_STAGE_TLS,     SMTP_STAGE_EHLO_TLS,
	SMTP_STAGE_QUIT,     SMTP_STAGE_DONE,
};

struct smtp_session {
	struct event_base *base;     /* borrowed: the engine's loop */
	struct smtp_options opt;     /* copy; its pointers stay borrowed */
	struct bufferevent *bev;     /* owned: socket, or the TLS filter over it */
	struct event *timer;	     /* owned: the current stage's timeout */
	struct event *deadline;	     /* owned: the whole session's limit */
	enum smtp_state state;	     /* where the dialogue is */
	struct smtp_reply reply;     /* the reply being read */
	struct smtp_probe probe;     /* what the session recorded */
	smtp_done_fn *cb;	     /* completion */
	void *arg;		     /* borrowed: cb's argument */
	int done;		     /* marked: finish on the way out of the I/O handler */
	int starting;		     /* inside smtp_start: completion is deferred to the loop */
	struct timespec t0;	     /* monotonic start, for duration_ms */
};

static size_t smtp_live;

size_t smtp_live_sessions(void)
{
	return smtp_live;
}

static void smtp_enter(struct smtp_session *s, enum smtp_state next);

static void smtp_arm(struct smtp_session *s, unsigned ms)
{
	struct timeval tv = {ms / 1000, (ms % 1000) * 1000};
	evtimer_add(s->timer, &tv);
}

static void smtp_send(struct smtp_session *s, const char *cmd)
{
	bufferevent_write(s->bev, cmd, strlen(cmd));
}

static void smtp_send_hello(struct smtp_session *s, const char *verb)
{
	char line[300];
	snprintf(line, sizeof line, "%s %s\r\n", verb, s->opt.ehlo_name);
	smtp_send(s, line);
}

/* Stop reading and record the failure of the current stage; the session ends. */
static void smtp_fail(struct smtp_session *s, enum smtp_error err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void smtp_fail(struct smtp_session *s, enum smtp_error err, const char *fmt, ...)
{
	char why[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	smtp_probe_fail(&s->probe, smtp_state_stage[s->state], err, "%s", why);
	smtp_enter(s, SMTP_STATE_END);
}

/* STARTTLS injection (posttls-finger's check): plaintext that came with or after the 220 to
 * STARTTLS would be read as if it were protected by TLS. Record and discard it. */
static void smtp_take_injection(struct smtp_session *s)
{
	struct evbuffer *in = bufferevent_get_input(s->bev);
	size_t n = evbuffer_get_length(in);
	if (n == 0)
		return;
	size_t keep = n < SMTP_INJECTION_MAX ? n : SMTP_INJECTION_MAX;
	char *text = xmalloc(keep + 1);
	evbuffer_remove(in, text, keep);
	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c >= 0x7f)
			text[i] = c == '\r' || c == '\n' ? ' ' : '?';
	}
	text[keep] = '\0';
	evbuffer_drain(in, n - keep);
	s->probe.injection_len += n;
	free(s->probe.injection);
	s->probe.injection = text;
}

static void smtp_on_read(struct bufferevent *bev, void *arg);
static void smtp_on_event(struct bufferevent *bev, short what, void *arg);

static void smtp_start_tls(struct smtp_session *s)
{
	smtp_take_injection(s);
	SSL *ssl = tls_client_new(s->opt.ssl_ctx, s->probe.host);
	if (ssl == NULL) {
		smtp_fail(s, SMTP_ERR_LOCAL, "cannot create a TLS session");
		return;
	}
	struct bufferevent *tls = bufferevent_openssl_filter_new(
		s->base, s->bev, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		smtp_fail(s, SMTP_ERR_LOCAL, "cannot create the TLS filter");
		return;
	}
	s->bev = tls; /* the filter now owns the socket bufferevent and the SSL */
	bufferevent_openssl_set_allow_dirty_shutdown(tls, 1);
	bufferevent_setcb(tls, smtp_on_read, NULL, smtp_on_event, s);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
}

static void smtp_connect(struct smtp_session *s)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	if (inet_pton(AF_INET, s->probe.address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)s->probe.port);
		len = sizeof *sin;
	} else if (inet_pton(AF_INET6, s->probe.address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)s->probe.port);
		len = sizeof *sin6;
	} else {
		smtp_fail(s, SMTP_ERR_LOCAL, "'%s' is not a numeric address", s->probe.address);
		return;
	}
	s->bev = bufferevent_socket_new(s->base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (s->bev == NULL) {
		smtp_fail(s, SMTP_ERR_LOCAL, "cannot create a socket buffer");
		return;
	}
	bufferevent_setcb(s->bev, smtp_on_read, NULL, smtp_on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	/* A failure known at once (EMFILE, ENETUNREACH) runs smtp_on_event before this returns;
	 * it marks the session, and smtp_start completes it from the timer. */
	bufferevent_socket_connect(s->bev, (struct sockaddr *)&ss, (int)len);
}

/* The only place the state changes: trace it, send the state's command, arm its timeout. */
static void smtp_enter(struct smtp_session *s, enum smtp_state next)
{
	log_debug("smtp %s[%s]: %s -> %s", s->probe.host, s->probe.address,
		  smtp_state_names[s->state], smtp_state_names[next]);
	s->state = next;
	/* After a failure the probe keeps the stage that failed (a QUIT after 554 is politeness). */
	if (next != SMTP_STATE_END && s->probe.error == SMTP_ERR_NONE)
		s->probe.stage = smtp_state_stage[next];
	evtimer_del(s->timer);
	switch (next) {
	case SMTP_STATE_INIT:
		break;
	case SMTP_STATE_CONNECT:
		smtp_arm(s, s->opt.connect_timeout_ms);
		smtp_connect(s);
		break;
	case SMTP_STATE_BANNER:
		smtp_arm(s, s->opt.reply_timeout_ms);
		break;
	case SMTP_STATE_EHLO:
	case SMTP_STATE_EHLO_TLS:
		smtp_arm(s, s->opt.reply_timeout_ms);
		smtp_send_hello(s, "EHLO");
		break;
	case SMTP_STATE_HELO:
		smtp_arm(s, s->opt.reply_timeout_ms);
		smtp_send_hello(s, "HELO");
		break;
	case SMTP_STATE_STARTTLS:
		smtp_arm(s, s->opt.reply_timeout_ms);
		smtp_send(s, "STARTTLS\r\n");
		break;
	case SMTP_STATE_TLS:
		smtp_arm(s, s->opt.reply_timeout_ms);
		smtp_start_tls(s);
		break;
	case SMTP_STATE_QUIT:
		smtp_arm(s, s->opt.quit_timeout_ms);
		smtp_send(s, "QUIT\r\n");
		break;
	case SMTP_STATE_END:
		if (s->probe.error == SMTP_ERR_NONE)
			s->probe.stage = SMTP_STAGE_DONE;
		if (s->bev)
			bufferevent_disable(s->bev, EV_READ | EV_WRITE);
		evtimer_del(s->deadline);
		s->done = 1;
		break;
	}
}

/* One complete reply, judged by the state it answers. */
static void smtp_on_reply(struct smtp_session *s, const struct smtp_reply *r)
{
	int code = r->code;
	switch (s->state) {
	case SMTP_STATE_BANNER:
		s->probe.banner_code = code;
		s->probe.banner = smtp_reply_text(r);
		if (code == 220) {
			smtp_enter(s, SMTP_STATE_EHLO);
		} else {
			smtp_probe_fail(&s->probe, SMTP_STAGE_BANNER, SMTP_ERR_REPLY,
					"greeting %d: %.200s", code, r->lines[0]);
			/* RFC 5321 §3.1: after a 554 greeting the client should QUIT; a 421
			 * server is closing anyway. */
			smtp_enter(s, code >= 500 ? SMTP_STATE_QUIT : SMTP_STATE_END);
		}
		break;
	case SMTP_STATE_EHLO:
		s->probe.ehlo_code = code;
		s->probe.ehlo = smtp_reply_text(r);
		if (code == 250) {
			s->probe.ext = smtp_reply_extensions(r, &s->probe.size_limit);
			/* Also when not advertised: "accepted but hidden" is worth recording;
			 * the evaluator does not count it as offered. */
			smtp_enter(s, SMTP_STATE_STARTTLS);
		} else if (code >= 500) {
			smtp_enter(s, SMTP_STATE_HELO);
		} else {
			smtp_probe_fail(&s->probe, SMTP_STAGE_EHLO, SMTP_ERR_REPLY,
					"EHLO refused with %d: %.200s", code, r->lines[0]);
			smtp_enter(s, code == 421 ? SMTP_STATE_END : SMTP_STATE_QUIT);
		}
		break;
	case SMTP_STATE_HELO:
		s->probe.helo_code = code;
		if (code != 250)
			smtp_probe_fail(&s->probe, SMTP_STAGE_HELO, SMTP_ERR_REPLY,
					"EHLO and HELO refused (%d, %d)", s->probe.ehlo_code, code);
		smtp_enter(s, code == 421 ? SMTP_STATE_END : SMTP_STATE_QUIT);
		break;
	case SMTP_STATE_STARTTLS:
		s->probe.starttls_code = code;
		s->probe.starttls_reply = smtp_reply_text(r);
		smtp_enter(s, code == 220 ? SMTP_STATE_TLS
				: code == 421 ? SMTP_STATE_END : SMTP_STATE_QUIT);
		break;
	case SMTP_STATE_EHLO_TLS:
		s->probe.ehlo_tls_code = code;
		s->probe.ehlo_tls = smtp_reply_text(r);
		if (code == 250)
			s->probe.ext_tls = smtp_reply_extensions(r, NULL);
		smtp_enter(s, code == 421 ? SMTP_STATE_END : SMTP_STATE_QUIT);
		break;
	case SMTP_STATE_QUIT:
		s->probe.quit_code = code;
		smtp_enter(s, SMTP_STATE_END);
		break;
	default:
		/* A reply while connecting or in the handshake cannot be parsed here. */
		smtp_fail(s, SMTP_ERR_PROTOCOL, "unexpected reply %d", code);
		break;
	}
}

static void smtp_free(struct smtp_session *s)
{
	if (s->bev)
		bufferevent_free(s->bev);
	if (s->timer)
		event_free(s->timer);
	if (s->deadline)
		event_free(s->deadline);
	smtp_reply_clear(&s->reply);
	smtp_probe_clear(&s->probe);
	free(s);
	smtp_live--;
}

/* The way out of every I/O handler: complete a session that a handler marked done. */
static void smtp_finish_if_done(struct smtp_session *s)
{
	if (!s->done || s->starting)
		return;
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	long long ms = (t1.tv_sec - s->t0.tv_sec) * 1000LL + (t1.tv_nsec - s->t0.tv_nsec) / 1000000;
	s->probe.duration_ms = (unsigned)(ms < 0 ? 0 : ms);
	/* Close before the callback: a caller may start the next session to this address. */
	if (s->bev) {
		bufferevent_free(s->bev);
		s->bev = NULL;
	}
	s->cb(&s->probe, s->arg);
	smtp_free(s);
}

static void smtp_on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	struct smtp_session *s = arg;
	while (!s->done && s->state != SMTP_STATE_TLS) {
		struct evbuffer *in = bufferevent_get_input(s->bev);
		size_t len = evbuffer_get_length(in), used = 0;
		if (len == 0)
			break;
		const char *p = (const char *)evbuffer_pullup(in, (ev_ssize_t)len);
		enum smtp_reply_status st = smtp_reply_parse(&s->reply, p, len, &used);
		evbuffer_drain(in, used);
		if (st == SMTP_REPLY_MORE)
			break;
		if (st == SMTP_REPLY_ERROR) {
			smtp_fail(s, SMTP_ERR_PROTOCOL, "%s", s->reply.error);
			break;
		}
		s->probe.bare_lf |= s->reply.bare_lf;
		size_t left = evbuffer_get_length(in);
		int to_tls = s->state == SMTP_STATE_STARTTLS && s->reply.code == 220;
		if (left && !to_tls) {
			/* Nothing was asked yet: a server that talks ahead is recorded, not
			 * believed (its bytes would be taken as the answer to our next command). */
			s->probe.unsolicited += left;
			evbuffer_drain(in, left);
		}
		struct smtp_reply r = s->reply;
		smtp_reply_init(&s->reply);
		smtp_on_reply(s, &r);
		smtp_reply_clear(&r);
	}
	smtp_finish_if_done(s);
}

static void smtp_connect_failed(struct smtp_session *s, int e)
{
	enum smtp_error err = SMTP_ERR_UNREACHABLE;
	if (e == ECONNREFUSED)
		err = SMTP_ERR_REFUSED;
	else if (e == ETIMEDOUT)
		err = SMTP_ERR_TIMEOUT;
	else if (e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM || e == EADDRNOTAVAIL ||
		 e == EAFNOSUPPORT)
		err = SMTP_ERR_LOCAL;
	smtp_fail(s, err, "connect: %s", e ? strerror(e) : "failed");
}

static void smtp_tls_failed(struct smtp_session *s, short what)
{
	char why[300] = "";
	size_t used = 0;
	unsigned long code;
	while ((code = bufferevent_get_openssl_error(s->bev)) != 0) {
		char one[160];
		if (ERR_GET_LIB(code) == 0)
			continue; /* libevent's record of a system call result, not OpenSSL's */
		tls_error_text(code, one, sizeof one);
		if (used < sizeof why)
			used += (size_t)snprintf(why + used, sizeof why - used, "%s%s",
						 used ? "; " : "", one);
	}
	char queue[200];
	tls_error_queue(queue, sizeof queue);
	if (why[0] == '\0' && queue[0])
		snprintf(why, sizeof why, "%s", queue);
	if (why[0] == '\0') {
		int e = EVUTIL_SOCKET_ERROR();
		snprintf(why, sizeof why, "%s",
			 (what & BEV_EVENT_EOF) ? "connection closed" : e ? strerror(e) : "failed");
	}
	smtp_fail(s, SMTP_ERR_TLS, "TLS handshake: %s", why);
}

static void smtp_on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	struct smtp_session *s = arg;
	if (s->done)
		return; /* marked during bufferevent_socket_connect: smtp_start completes it */
	if (what & BEV_EVENT_CONNECTED) {
		if (s->state == SMTP_STATE_CONNECT)
			smtp_enter(s, SMTP_STATE_BANNER);
		else if (s->state == SMTP_STATE_TLS) {
			tls_record(bufferevent_openssl_get_ssl(s->bev), &s->probe);
			smtp_enter(s, SMTP_STATE_EHLO_TLS);
		}
	} else if (s->state == SMTP_STATE_CONNECT) {
		smtp_connect_failed(s, EVUTIL_SOCKET_ERROR());
	} else if (s->state == SMTP_STATE_TLS) {
		smtp_tls_failed(s, what);
	} else if (s->state == SMTP_STATE_QUIT) {
		smtp_enter(s, SMTP_STATE_END); /* the server hung up after QUIT: fine */
	} else if (what & BEV_EVENT_EOF) {
		smtp_fail(s, SMTP_ERR_CLOSED, "connection closed by the server");
	} else {
		int e = EVUTIL_SOCKET_ERROR();
		unsigned long code = s->probe.tls ? bufferevent_get_openssl_error(s->bev) : 0;
		if (code) {
			char one[160];
			tls_error_text(code, one, sizeof one);
			smtp_fail(s, SMTP_ERR_TLS, "TLS: %s", one);
		} else {
			smtp_fail(s, SMTP_ERR_CLOSED, "connection %s",
				  e == ECONNRESET ? "reset by the server"
				  : e		  ? strerror(e)
						  : "failed");
		}
	}
	smtp_finish_if_done(s);
}

static const char *smtp_waiting_for(enum smtp_state st)
{
	switch (st) {
	case SMTP_STATE_CONNECT:
		return "connecting";
	case SMTP_STATE_BANNER:
		return "waiting for the greeting";
	case SMTP_STATE_TLS:
		return "in the TLS handshake";
	default:
		return "waiting for a reply";
	}
}

static void smtp_on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct smtp_session *s = arg;
	if (!s->done) {
		if (s->state == SMTP_STATE_QUIT)
			smtp_enter(s, SMTP_STATE_END); /* no reply to QUIT: not a failure */
		else
			smtp_fail(s, SMTP_ERR_TIMEOUT, "timeout %s (%s)", smtp_waiting_for(s->state),
				  smtp_state_names[s->state]);
	}
	smtp_finish_if_done(s);
}

static void smtp_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct smtp_session *s = arg;
	if (!s->done)
		smtp_fail(s, SMTP_ERR_TIMEOUT, "session took longer than %u ms (%s)",
			  s->opt.session_timeout_ms, smtp_state_names[s->state]);
	smtp_finish_if_done(s);
}

struct smtp_session *smtp_start(struct event_base *base, const struct smtp_options *opt,
				const char *host, const char *address, unsigned port,
				smtp_done_fn *cb, void *arg)
{
	struct smtp_session *s = xcalloc(1, sizeof *s);
	smtp_live++;
	s->base = base;
	s->opt = *opt;
	if (s->opt.ehlo_name == NULL || s->opt.ehlo_name[0] == '\0')
		s->opt.ehlo_name = "localhost";
	if (s->opt.quit_timeout_ms == 0)
		s->opt.quit_timeout_ms = opt->reply_timeout_ms < 5000 ? opt->reply_timeout_ms : 5000;
	if (s->opt.session_timeout_ms == 0)
		s->opt.session_timeout_ms = opt->connect_timeout_ms + 4 * opt->reply_timeout_ms;
	s->cb = cb;
	s->arg = arg;
	smtp_reply_init(&s->reply);
	smtp_probe_init(&s->probe);
	s->probe.host = xstrdup(host);
	s->probe.address = xstrdup(address);
	s->probe.port = port;
	s->probe.attempts = 1;
	struct timeval now;
	gettimeofday(&now, NULL);
	s->probe.started_ms = (long long)now.tv_sec * 1000 + now.tv_usec / 1000;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->timer = evtimer_new(base, smtp_on_timer, s);
	s->deadline = evtimer_new(base, smtp_on_deadline, s);
	struct timeval dl = {s->opt.session_timeout_ms / 1000,
			     (s->opt.session_timeout_ms % 1000) * 1000};
	evtimer_add(s->deadline, &dl);
	s->starting = 1;
	smtp_enter(s, SMTP_STATE_CONNECT);
	s->starting = 0;
	if (s->done) {
		/* Failed before any I/O: complete from the loop, never inside smtp_start. */
		evtimer_del(s->timer);
		event_active(s->timer, EV_TIMEOUT, 0);
	}
	return s;
}

void smtp_cancel(struct smtp_session *s)
{
	if (s)
		smtp_free(s);
}
