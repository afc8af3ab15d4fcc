/* starttls.h — the STARTTLS check: does every reachable MX address offer STARTTLS and complete a
 * TLS 1.2+ handshake? Also the shared vocabulary of the transport checks (x509, dane, requiretls):
 * which (MX host, address) pairs are probed, and what one probe says about STARTTLS. */
#ifndef MXS_STARTTLS_H
#define MXS_STARTTLS_H
#include <stddef.h>
#include <stdint.h>

#include "checks/check.h"

#define STARTTLS_TARGETS_MAX 64 /* (host, address) pairs probed per domain */
#define STARTTLS_ADDR_MAX 46	/* INET6_ADDRSTRLEN */

/* One SMTP probe the daemon should run (or whose recorded result the evaluators read). */
struct smtp_target {
	char host[DNAME_MAX];		  /* MX host name, also the SNI */
	char address[STARTTLS_ADDR_MAX];  /* numeric address from the host's A/AAAA answer */
	uint16_t pref;			  /* MX preference */
	int ipv6;			  /* 1 for an AAAA address */
};

/* Every (MX host, address) pair in the recorded answers: hosts in MX order, A addresses then AAAA
 * (when ipv6), de-duplicated, IP-literal targets skipped, at most max. */
size_t starttls_targets(const struct evidence *ev, int ipv6, struct smtp_target *out, size_t max);

/* What one probe says about STARTTLS at one address. */
enum starttls_outcome {
	STARTTLS_NOT_PROBED = 0,   /* no probe recorded (IPv6 off, or the deadline came first) */
	STARTTLS_UNREACHABLE,	   /* no 220 greeting: refused, timeout, 4xx/5xx, garbage, excluded */
	STARTTLS_UNTESTED,	   /* greeted, but rate-limited or timed out before STARTTLS was
				      decided */
	STARTTLS_NOT_OFFERED,	   /* EHLO without STARTTLS (or EHLO refused, or unparseable) */
	STARTTLS_REFUSED,	   /* offered, but the STARTTLS command was refused or dropped */
	STARTTLS_HANDSHAKE_FAILED, /* 220 to STARTTLS, then no TLS session */
	STARTTLS_OK,		   /* TLS negotiated (any version) */
};

enum starttls_outcome starttls_outcome(const struct smtp_probe *p);
const char *starttls_outcome_name(enum starttls_outcome o);
/* 1 for outcomes where STARTTLS support was determined (MECSA's denominator). */
int starttls_counted(enum starttls_outcome o);

/* The per-address row of (host, address) that the starttls check attached to the mx check's
 * detail (checks.mx.detail.hosts[].probes[address], what the store keeps per MX address), or
 * NULL. Later transport checks add their per-address findings to it. Borrowed. */
json_t *starttls_mx_row(struct result *res, const char *host, const char *address);

/* The probe recorded for target t (NULL when none). */
const struct smtp_probe *starttls_probe(const struct evidence *ev, const struct smtp_target *t);

extern const struct check check_starttls;

#endif
