/* smtp_evidence.h — what one SMTP probe of one (MX address, SNI host) recorded, and what one CRL
 * fetch brought back: the raw material of the starttls, x509, dane and requiretls checks. Filled
 * by the daemon's session (daemon/smtp.c) and CRL fetcher, or by tests; stored as JSON. Remote
 * failures are data here: the stage the session reached and why it ended. */
#ifndef MXS_SMTP_EVIDENCE_H
#define MXS_SMTP_EVIDENCE_H
#include <jansson.h>
#include <stddef.h>

#include "common/json_write.h"

/* How far a session got. The stage of a failure is the one that was under way. */
enum smtp_stage {
	SMTP_STAGE_NONE = 0, /* never started (excluded, or still queued at the deadline) */
	SMTP_STAGE_CONNECT,  /* TCP connect */
	SMTP_STAGE_BANNER,   /* waiting for the greeting */
	SMTP_STAGE_EHLO,     /* EHLO sent */
	SMTP_STAGE_HELO,     /* HELO sent after EHLO was refused */
	SMTP_STAGE_STARTTLS, /* STARTTLS sent */
	SMTP_STAGE_TLS,	     /* TLS handshake */
	SMTP_STAGE_EHLO_TLS, /* EHLO inside TLS */
	SMTP_STAGE_QUIT,     /* QUIT sent */
	SMTP_STAGE_DONE,     /* the session ran to its end */
	SMTP_STAGE_MAX
};

enum smtp_error {
	SMTP_ERR_NONE = 0,	/* no failure */
	SMTP_ERR_REFUSED,	/* connection refused */
	SMTP_ERR_UNREACHABLE,	/* network or host unreachable, other connect errors */
	SMTP_ERR_TIMEOUT,	/* the stage's timeout expired */
	SMTP_ERR_CLOSED,	/* the peer closed or reset the connection */
	SMTP_ERR_REPLY,		/* an unwanted reply code (banner 554, EHLO 502, STARTTLS 454) */
	SMTP_ERR_PROTOCOL,	/* not SMTP: garbage, mixed codes, overlong lines */
	SMTP_ERR_TLS,		/* the TLS handshake failed */
	SMTP_ERR_EXCLUDED,	/* the address or host is on the exclude list: never contacted */
	SMTP_ERR_RATE_LIMITED,	/* the server kept refusing (421/4xx/reset) after retries */
	SMTP_ERR_DEADLINE,	/* the scan's deadline came before the probe's result */
	SMTP_ERR_LOCAL,		/* a local failure (socket, TLS context) */
	SMTP_ERR_MAX
};

#define SMTP_CHAIN_MAX 16     /* certificates recorded per chain; more are counted, not kept */
#define SMTP_INJECTION_MAX 512 /* bytes of injected plaintext kept (sanitised) */

struct smtp_cert {
	unsigned char *der; /* owned: DER */
	size_t len;	    /* its length */
};

struct smtp_probe {
	char *host;		     /* owned: MX host name, also the SNI sent */
	char *address;		     /* owned: numeric address probed */
	unsigned port;		     /* TCP port */
	long long started_ms;	     /* wall clock at the (last) connect, ms since the epoch */
	unsigned duration_ms;	     /* length of the (last) session */
	unsigned attempts;	     /* sessions made (more than one after rate limiting) */
	enum smtp_stage stage;	     /* where the session ended */
	enum smtp_error error;	     /* why it ended early, SMTP_ERR_NONE when it did not */
	char *reason;		     /* owned: the failure for a person, NULL without one */
	int banner_code;	     /* greeting code, 0 without a greeting */
	char *banner;		     /* owned: greeting text (all lines), or NULL */
	int ehlo_code;		     /* reply code to EHLO, 0 when not sent */
	char *ehlo;		     /* owned: EHLO reply text, or NULL */
	int helo_code;		     /* reply code to HELO (sent when EHLO was refused), else 0 */
	unsigned ext;		     /* SMTP_EXT_* keywords offered before TLS */
	unsigned long long size_limit; /* SIZE argument before TLS, 0 when none */
	int starttls_code;	     /* reply code to STARTTLS, 0 when not sent */
	char *starttls_reply;	     /* owned: that reply's text, or NULL */
	size_t injection_len;	     /* plaintext bytes received after 220 to STARTTLS */
	char *injection;	     /* owned: their first bytes (sanitised), or NULL */
	int tls;		     /* 1 when the TLS handshake completed */
	char *tls_version;	     /* owned: "TLSv1.3", ... or NULL */
	char *tls_cipher;	     /* owned: cipher suite name, or NULL */
	char *tls_group;	     /* owned: key-exchange group ("X25519", "DH-2048"), or NULL */
	int tls_bits;		     /* cipher secret bits */
	size_t chain_sent;	     /* certificates the server sent (chain_len may be fewer) */
	size_t chain_len;	     /* certificates recorded, leaf first */
	struct smtp_cert *chain;     /* owned: the peer chain as sent */
	int ehlo_tls_code;	     /* reply code to EHLO inside TLS, 0 when not sent */
	char *ehlo_tls;		     /* owned: that reply's text, or NULL */
	unsigned ext_tls;	     /* SMTP_EXT_* keywords offered inside TLS */
	int quit_code;		     /* reply code to QUIT, 0 when none came */
	int bare_lf;		     /* the server ended some line with a bare LF */
	size_t unsolicited;	     /* bytes the server sent after a reply before our next command */
};

/* A CRL distribution point fetched for the x509 check (cached per URL by the daemon). */
struct der_fetch {
	char *url;	      /* owned: the URL as found in the certificate */
	long long fetched_ms; /* wall clock of the fetch */
	int ok;		      /* 1 when a body arrived with HTTP status 200 */
	long http_status;     /* HTTP status, 0 without a response */
	char *error;	      /* owned: why ok is 0, or NULL */
	unsigned char *der;   /* owned: the body (a DER CRL, if the server is right), or NULL */
	size_t len;	      /* its length */
};

void smtp_probe_init(struct smtp_probe *p);
/* Free what p owns and re-initialise it. */
void smtp_probe_clear(struct smtp_probe *p);
/* Deep copy into dst (overwritten, not freed). */
void smtp_probe_copy(struct smtp_probe *dst, const struct smtp_probe *src);
/* Bytes of heap p owns (strings, chain), not counting the struct itself: what a cache holding
 * it pays, most of it chosen by the peer. */
size_t smtp_probe_footprint(const struct smtp_probe *p);
/* Record the failure: stage, error and the reason text (replacing an earlier one). */
void smtp_probe_fail(struct smtp_probe *p, enum smtp_stage stage, enum smtp_error err,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
/* Append one certificate (a copy) to the chain, or count it only when the chain is full. */
void smtp_probe_add_cert(struct smtp_probe *p, const unsigned char *der, size_t len);

/* 1 when the greeting was 220: the probe reached an SMTP server willing to talk. */
int smtp_probe_reached(const struct smtp_probe *p);
/* 1 when the handshake negotiated TLS 1.2 or newer (what MECSA counts). */
int smtp_probe_tls12(const struct smtp_probe *p);

const char *smtp_stage_name(enum smtp_stage s);
const char *smtp_error_name(enum smtp_error e);
int smtp_stage_parse(const char *name); /* -1 when unknown */
int smtp_error_parse(const char *name); /* -1 when unknown */

/* p as a JSON object, onto o (the evidence's form of a probe). */
void smtp_probe_write(struct json_out *o, const struct smtp_probe *p);
/* Fill p (initialised by the caller) from j; -1 with a reason when j is not a probe. */
int smtp_probe_from_json(struct smtp_probe *p, const json_t *j, char *err, size_t errlen);

void der_fetch_clear(struct der_fetch *c);
void der_fetch_copy(struct der_fetch *dst, const struct der_fetch *src);
void der_fetch_write(struct json_out *o, const struct der_fetch *c);
int der_fetch_from_json(struct der_fetch *c, const json_t *j, char *err, size_t errlen);

/* Base64 (RFC 4648, padded) as used for DER in the evidence JSON. */
char *smtp_base64_encode(const unsigned char *p, size_t n);
/* -1 on malformed input; *out is owned by the caller. */
int smtp_base64_decode(const char *s, unsigned char **out, size_t *len);

#endif
