/* mx.h — the MX check: which hosts receive mail for a domain (RFC 5321 §5.1, RFC 7505). The
 * daemon uses mx_hosts() to know which hosts to resolve and probe, and check_mx judges. */
#ifndef MXS_MX_H
#define MXS_MX_H
#include <stddef.h>
#include <stdint.h>

#include "checks/check.h"

struct mx_host {
	char name[DNAME_MAX]; /* the MX target (or the domain itself for an implicit MX) */
	uint16_t pref;	      /* MX preference (0 for an implicit MX) */
	int ip_literal;	      /* 1 when the target is an IP address, which RFC 5321 forbids */
};

enum mx_kind {
	MX_KIND_UNKNOWN = 0, /* the MX lookup has not been answered (or failed) */
	MX_KIND_EXPLICIT,    /* MX records name the hosts */
	MX_KIND_IMPLICIT,    /* no MX: the domain itself is the host (RFC 5321 §5.1) */
	MX_KIND_NULL,	     /* null MX "0 .": the domain accepts no mail (RFC 7505) */
	MX_KIND_NONE,	     /* the domain does not exist */
};

/* The mail hosts of ev->domain from the recorded MX answer, sorted by preference (stable) and
 * de-duplicated, at most max. *kind says which case applies. Returns the number written. */
size_t mx_hosts(const struct evidence *ev, struct mx_host *out, size_t max, enum mx_kind *kind);

#define MX_HOSTS_MAX 32 /* hosts per domain considered; more are ignored (and reported) */

extern const struct check check_mx;

#endif
