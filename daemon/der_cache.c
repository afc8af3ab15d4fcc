/* der_cache.c — recording a CRL or OCSP fetch: the DER body of a 200 answer, or why there is none. */
#include "daemon/der_cache.h"

#include <stdlib.h>
#include <sys/time.h>

#include "checks/smtp_evidence.h"
#include "common/xalloc.h"
#include "daemon/http.h"

static long long der_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void der_start(void *result, const char *url, const char *resolve)
{
	(void)resolve;
	struct der_fetch *c = result;
	c->url = xstrdup(url);
}

static void der_record(void *result, const struct http_response *r)
{
	struct der_fetch *c = result;
	c->fetched_ms = der_wall_ms();
	c->http_status = r->status;
	if (r->ok && r->status == 200 && r->len) {
		c->ok = 1;
		c->der = xmemdup(r->body, r->len);
		c->len = r->len;
	} else if (r->ok) {
		c->error = xasprintf("HTTP status %ld%s", r->status, r->len ? "" : ", empty body");
	} else {
		c->error = xstrdup(r->error[0] ? r->error : "fetch failed");
	}
}

static void der_fail(void *result, const char *why)
{
	struct der_fetch *c = result;
	c->error = xstrdup(why);
	c->fetched_ms = der_wall_ms();
}

static void der_clear(void *result)
{
	der_fetch_clear(result);
}

static size_t der_footprint(const void *result)
{
	const struct der_fetch *c = result;
	return xstrsize(c->url) + xstrsize(c->error) + c->len;
}

const struct url_cache_ops der_cache_ops = {
	.size = sizeof(struct der_fetch),
	.start = der_start,
	.record = der_record,
	.fail = der_fail,
	.clear = der_clear,
	.footprint = der_footprint,
};
