/* evidence.h — everything the probes gathered about one domain: the raw material the pure
 * evaluators judge. It is stored as JSON (evidence_json.c), so a campaign can be re-evaluated and
 * re-scored later without touching the network. */
#ifndef MXS_EVIDENCE_H
#define MXS_EVIDENCE_H
#include <stddef.h>

#include "checks/dns_answer.h"
#include "checks/smtp_evidence.h"

#define EVIDENCE_HTTPS_BODY_MAX (64 * 1024) /* body bytes kept per fetch (an MTA-STS policy's cap) */

/* An HTTPS GET made for a check (the MTA-STS policy), as the daemon saw it: cached per URL within
 * a run, recorded whatever the outcome. */
struct https_fetch {
	char *url;		/* owned: the URL fetched */
	char *resolve;		/* owned: the address pin used ("host:port:addr,..."), or NULL */
	long long fetched_ms;	/* wall clock when the fetch ended */
	int ok;			/* 1 when a complete HTTP response arrived (any status) */
	long status;		/* HTTP status, 0 without a response */
	char *content_type;	/* owned: the Content-Type header, or NULL */
	char *redirect;		/* owned: the Location of a 3xx (not followed), or NULL */
	unsigned char *body;	/* owned: at most EVIDENCE_HTTPS_BODY_MAX bytes, NUL-terminated, or
				   NULL when there was none */
	size_t len;		/* body length */
	int truncated;		/* 1 when the body was cut to EVIDENCE_HTTPS_BODY_MAX */
	char *error;		/* owned: why ok is 0 (curl's reason, the deadline...), or NULL */
	int tls_failure;	/* 1 when the TLS handshake or the certificate check failed */
	int timed_out;		/* 1 when the fetch timed out (the scanner's limit, not an answer) */
	int excluded;		/* 1 when limits.exclude forbade the connection (not attempted) */
};

/* Revocation fetches of one kind, in the order they ended. */
struct der_list {
	size_t n;		/* number of fetches */
	size_t cap;		/* allocated slots */
	struct der_fetch *v;	/* owned */
};

struct evidence {
	char *domain;		/* owned: normalised A-label name, no trailing dot */
	long long started_ms;	/* wall clock when the scan started (ms since the epoch) */
	long long finished_ms;	/* wall clock when gathering ended */
	int deadline_hit;	/* 1 when the per-scan deadline cut gathering short */
	size_t n_dns;		/* number of answers */
	size_t cap_dns;		/* allocated slots */
	struct dns_answer *dns; /* owned: every DNS answer gathered, in the order asked */
	size_t n_smtp;		/* number of SMTP probes */
	size_t cap_smtp;	/* allocated slots */
	struct smtp_probe *smtp; /* owned: one probe per (MX host, address), in the order started */
	struct der_list crl;	/* CRLs fetched for the x509 check */
	struct der_list ocsp;	/* OCSP responses fetched for the x509 check (GET, one per
				   certificate: the URL holds the request) */
	size_t n_https;		/* number of HTTPS fetches */
	size_t cap_https;	/* allocated slots */
	struct https_fetch *https; /* owned: HTTPS fetches (MTA-STS policies) */
};

struct evidence *evidence_new(const char *domain);
void evidence_free(struct evidence *ev);

/* The recorded answer for (qname, qtype), or NULL when it was never asked. Names compare
 * case-insensitively, trailing dot ignored. */
const struct dns_answer *evidence_dns_find(const struct evidence *ev, const char *qname,
					   unsigned qtype);
/* A new, zeroed answer slot for (qname, qtype), or the existing one. Pointers returned earlier
 * may move: use them only until the next call. */
struct dns_answer *evidence_dns_slot(struct evidence *ev, const char *qname, unsigned qtype);

/* The probe of (host, address), or NULL. Host names compare case-insensitively. */
const struct smtp_probe *evidence_smtp_find(const struct evidence *ev, const char *host,
					    const char *address);
/* A new, initialised probe slot (pointers returned earlier may move). */
struct smtp_probe *evidence_smtp_add(struct evidence *ev);
/* The fetch of url in l (ev->crl or ev->ocsp), or NULL. */
const struct der_fetch *evidence_der_find(const struct der_list *l, const char *url);
/* A new, zeroed slot in l (pointers returned earlier may move). */
struct der_fetch *evidence_der_add(struct der_list *l);

/* The fetch of url, or NULL. */
const struct https_fetch *evidence_https_find(const struct evidence *ev, const char *url);
/* A new, zeroed HTTPS slot (pointers returned earlier may move). */
struct https_fetch *evidence_https_add(struct evidence *ev);
/* Free what f owns and zero it; NULL is a no-op. */
void evidence_https_clear(struct https_fetch *f);
/* Deep copy into dst (overwritten, not freed); a body over EVIDENCE_HTTPS_BODY_MAX is cut and
 * marked truncated. */
void evidence_https_copy(struct https_fetch *dst, const struct https_fetch *src);

#endif
