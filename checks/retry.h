/* retry.h — which failures in a domain's evidence are transient: worth scanning the domain again
 * later in the campaign (the daemon re-queues it with back-off; `scan --retries N` the same
 * within its run). Pure: evidence in, decision out. A transient failure is a DNS timeout or a
 * SERVFAIL that is not DNSSEC-bogus; an SMTP connect or reply timeout, a refused or reset
 * connection, a 421/4xx reply (also after the probe's own retries), a probe the scan's deadline
 * cut short; an MTA-STS policy fetch that timed out. Anything else that failed (a bogus answer,
 * REFUSED, a malformed reply, an unreachable network, garbage, a 5xx, a TLS failure, an
 * excluded host) is permanent: scanning again would find the same. */
#ifndef MXS_RETRY_H
#define MXS_RETRY_H
#include <stddef.h>

#include "checks/evidence.h"

enum retry_kind {
	RETRY_NONE = 0,	 /* not a failure: an answer, a finished session */
	RETRY_TRANSIENT, /* may well succeed later */
	RETRY_PERMANENT, /* would fail the same way again */
};

enum retry_kind retry_dns_kind(const struct dns_answer *a);
enum retry_kind retry_smtp_kind(const struct smtp_probe *p);
enum retry_kind retry_https_kind(const struct https_fetch *f);

/* 1 when ev holds at least one failure and every failure is transient; why then names the
 * first of them (truncated to len). 0 otherwise. */
int retry_wanted(const struct evidence *ev, char *why, size_t len);

#endif
