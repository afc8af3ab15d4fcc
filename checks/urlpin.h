/* urlpin.h — what the daemon needs to fetch an http(s) URL named by a check (a CRL distribution
 * point, an OCSP responder, the MTA-STS policy) without the system resolver: the URL's host, and
 * curl's CURLOPT_RESOLVE pin built from the A/AAAA answers recorded in the evidence. Pure. */
#ifndef MXS_URLPIN_H
#define MXS_URLPIN_H
#include <stddef.h>

#include "checks/evidence.h"

enum url_host_kind {
	URL_HOST_NONE = -1, /* not http(s), userinfo, an empty or overlong host, a bad port */
	URL_HOST_NAME = 0,  /* a DNS name: resolve it */
	URL_HOST_IP = 1,    /* an address literal (IPv6 without its brackets) */
};

/* The host of url into host (len bytes) and its port (default 80 or 443). */
enum url_host_kind url_host(const char *url, char *host, size_t len, unsigned *port);

/* "host:port:addr[,addr...]" (IPv6 in brackets) from the recorded A and AAAA answers of url's
 * host, as much as fits in out. 1 with out filled; 0 when there is nothing to pin (an address
 * literal, no usable host, or a host without addresses: the fetch then fails by itself); -1 while
 * the host's answers are not both in yet. */
int url_pin(const struct evidence *ev, const char *url, char *out, size_t len);

#endif
