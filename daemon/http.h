/* http.h — asynchronous HTTP(S) GETs with libcurl's multi interface driven by the engine's loop
 * (the hiperfifo pattern): for MTA-STS policies and CRLs. Bodies are capped, redirects are not
 * followed unless asked (and then only a few), response headers are capped too, a body is taken
 * as sent (no compression is asked for and none is undone: a peer's gzip bomb stays what it
 * weighs on the wire), and every failure comes back as data with a reason. Host names are
 * never resolved by curl's (the system's) resolver: the caller pins them from the scanner's own
 * DNS answers (opt->resolve); a name without a pin fails the fetch ("no address pinned"). */
#ifndef MXS_HTTP_H
#define MXS_HTTP_H
#include <stddef.h>

struct event_base;
struct http;

struct http_options {
	const char *ca_file;	/* borrowed: CA bundle for https (NULL: system default) */
	long timeout_ms;	/* whole-transfer timeout */
	size_t max_bytes;	/* body cap; more, or a Content-Length over it, is an error ("body
				   larger than N bytes") */
	int max_redirects;	/* redirects followed; 0: a 3xx is returned as is; one more than
				   this is an error ("too many redirects") */
	const char *resolve;	/* borrowed: CURLOPT_RESOLVE entry "host:port:addr[,addr...]" (IPv6
				   in brackets) from the scanner's DNS, or NULL; IP-literal URLs need
				   none, any other host without a pin is refused */
};

#define HTTP_HEADERS_MAX (64 * 1024) /* response header bytes per transfer, redirects included */

struct http_response {
	int ok;			/* 1 when a complete response arrived (any status) */
	long status;		/* HTTP status, 0 without a response */
	char *content_type;	/* owned: Content-Type header value, or NULL */
	char *redirect;		/* owned: Location of a 3xx, or NULL */
	unsigned char *body;	/* owned: the body (NUL-terminated for convenience) */
	size_t len;		/* body length */
	char error[256];	/* why ok is 0: curl's message (timeout, TLS, too large...) */
	int tls_failure;	/* 1 when the TLS handshake or certificate check failed */
	int timed_out;		/* 1 when the whole-transfer timeout ended it */
	int unpinned;		/* 1 when a host name had no pinned address (nothing was sent) */
};

/* Called once; resp is borrowed (valid during the call). */
typedef void http_done_fn(const struct http_response *resp, void *arg);

struct http *http_new(struct event_base *base, char *err, size_t errlen);
/* Abandons transfers in flight without calling their callbacks. */
void http_free(struct http *h);
/* Start a GET; -1 if it could not be started (cb not called). */
int http_get(struct http *h, const char *url, const struct http_options *opt, http_done_fn *cb,
	     void *arg);
unsigned long http_fetches(const struct http *h);

#endif
