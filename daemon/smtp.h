/* smtp.h — one SMTP probe session on the engine's loop: connect to a numeric address, greeting,
 * EHLO (HELO when refused), STARTTLS and the TLS upgrade with SNI, EHLO again inside TLS, QUIT.
 * Never MAIL FROM. Every outcome, failures included, comes back as a struct smtp_probe. */
#ifndef MXS_SMTP_H
#define MXS_SMTP_H
#include <stddef.h>

#include <openssl/ssl.h>

struct event_base;
struct smtp_probe;
struct smtp_session;

struct smtp_options {
	const char *ehlo_name;	     /* borrowed: EHLO/HELO argument */
	unsigned connect_timeout_ms; /* TCP connect */
	unsigned reply_timeout_ms;   /* each reply, and the TLS handshake */
	unsigned quit_timeout_ms;    /* wait for the reply to QUIT; 0: min(reply, 5 s) */
	unsigned session_timeout_ms; /* the whole session; 0: connect + 4 replies */
	SSL_CTX *ssl_ctx;	     /* borrowed: from tls_client_ctx_new() */
};

/* Called once when the session ends (never from inside smtp_start). probe is the session's and
 * valid during the call; the callee may take its contents (then smtp_probe_init it). */
typedef void smtp_done_fn(struct smtp_probe *probe, void *arg);

/* Start probing address:port (a numeric IPv4 or IPv6 address; nothing is resolved) with host as
 * SNI and as the probe's host name. opt is copied (ehlo_name and ssl_ctx stay borrowed). Never
 * NULL: a local failure also ends with cb. */
struct smtp_session *smtp_start(struct event_base *base, const struct smtp_options *opt,
				const char *host, const char *address, unsigned port,
				smtp_done_fn *cb, void *arg);
/* Abandon a session: close it without calling cb. Not from inside its own cb. */
void smtp_cancel(struct smtp_session *s);

/* Sessions alive in this process (tests check that none leaks or sticks). */
size_t smtp_live_sessions(void);

#endif
