/* urlpin.c — the host of an http(s) URL, and the address pin for fetching it. */
#include "checks/urlpin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dname.h"

enum url_host_kind url_host(const char *url, char *host, size_t len, unsigned *port)
{
	int https = strncasecmp(url, "https://", 8) == 0;
	if (!https && strncasecmp(url, "http://", 7) != 0)
		return URL_HOST_NONE;
	const char *p = url + (https ? 8 : 7), *end;
	*port = https ? 443 : 80;
	int bracket = *p == '[';
	if (bracket) {
		end = strchr(++p, ']');
		if (end == NULL)
			return URL_HOST_NONE;
	} else {
		end = p + strcspn(p, "/:?#");
	}
	size_t n = (size_t)(end - p);
	if (n == 0 || n >= len || memchr(p, '@', n))
		return URL_HOST_NONE;
	memcpy(host, p, n);
	host[n] = '\0';
	end += bracket;
	if (*end == ':') {
		char *e;
		unsigned long v = strtoul(end + 1, &e, 10);
		if (e == end + 1 || v == 0 || v > 65535 || (*e && !strchr("/?#", *e)))
			return URL_HOST_NONE;
		*port = (unsigned)v;
	} else if (*end && !strchr("/?#", *end)) {
		return URL_HOST_NONE;
	}
	if (bracket)
		return dname_is_ip_literal(host) ? URL_HOST_IP : URL_HOST_NONE;
	return dname_is_ip_literal(host) ? URL_HOST_IP : URL_HOST_NAME;
}

int url_pin(const struct evidence *ev, const char *url, char *out, size_t len)
{
	char host[DNAME_MAX];
	unsigned port;
	if (url_host(url, host, sizeof host, &port) != URL_HOST_NAME)
		return 0;
	const struct dns_answer *a4 = evidence_dns_find(ev, host, DNS_TYPE_A);
	const struct dns_answer *a6 = evidence_dns_find(ev, host, DNS_TYPE_AAAA);
	if (a4 == NULL || a6 == NULL)
		return -1;
	int used = snprintf(out, len, "%s:%u:", host, port), addrs = 0;
	if (used < 0 || (size_t)used >= len)
		return 0;
	const struct dns_answer *both[2] = {a4, a6};
	for (int f = 0; f < 2; f++)
		for (size_t i = 0; i < both[f]->n_rr; i++) {
			const char *t = both[f]->rr[i].text;
			if (t == NULL)
				continue;
			int k = snprintf(out + used, len - (size_t)used, f ? "%s[%s]" : "%s%s",
					 addrs ? "," : "", t);
			if (k < 0 || (size_t)(used + k) >= len) {
				out[used] = '\0'; /* keep the addresses that fit whole */
				return addrs ? 1 : 0;
			}
			used += k;
			addrs++;
		}
	return addrs ? 1 : 0;
}
