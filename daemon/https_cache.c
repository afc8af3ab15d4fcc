/* https_cache.c — recording an HTTPS fetch: status, content type, redirect, the body up to the
 * evidence's cap, and the failure (TLS, timeout) when there is one. */
#include "daemon/https_cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "checks/evidence.h"
#include "common/xalloc.h"
#include "daemon/http.h"

static long long https_wall_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void https_start(void *result, const char *url, const char *resolve)
{
	struct https_fetch *f = result;
	f->url = xstrdup(url);
	f->resolve = resolve ? xstrdup(resolve) : NULL;
}

static void https_record(void *result, const struct http_response *r)
{
	struct https_fetch *f = result;
	f->fetched_ms = https_wall_ms();
	f->ok = r->ok;
	f->status = r->status;
	f->content_type = r->content_type ? xstrdup(r->content_type) : NULL;
	f->redirect = r->redirect ? xstrdup(r->redirect) : NULL;
	f->tls_failure = r->tls_failure;
	f->timed_out = r->timed_out;
	if (!r->ok)
		f->error = xstrdup(r->error[0] ? r->error : "fetch failed");
	if (r->body && (r->ok || r->len)) {
		/* http caps at opt.max_bytes; the evidence keeps at most its own cap. */
		f->len = r->len > EVIDENCE_HTTPS_BODY_MAX ? EVIDENCE_HTTPS_BODY_MAX : r->len;
		f->truncated = r->len > f->len;
		f->body = xmalloc(f->len + 1);
		memcpy(f->body, r->body, f->len);
		f->body[f->len] = '\0';
	}
}

static void https_fail(void *result, const char *why)
{
	struct https_fetch *f = result;
	f->error = xstrdup(why);
	f->fetched_ms = https_wall_ms();
}

static void https_clear(void *result)
{
	evidence_https_clear(result);
}

static size_t https_footprint(const void *result)
{
	const struct https_fetch *f = result;
	return xstrsize(f->url) + xstrsize(f->resolve) +
	       xstrsize(f->content_type) + xstrsize(f->redirect) +
	       xstrsize(f->error) + (f->body ? f->len + 1 : 0);
}

const struct url_cache_ops https_cache_ops = {
	.size = sizeof(struct https_fetch),
	.start = https_start,
	.record = https_record,
	.fail = https_fail,
	.clear = https_clear,
	.footprint = https_footprint,
};
