/* tlsrpt.c — the TLS-RPT check: the one "v=TLSRPTv1" TXT record at _smtp._tls.<domain> and its
 * RFC 8460 §3 syntax (report URIs, extensions). Pure; owns the parsed URIs of a tlsrpt_record.
 * Where mecsa-st differs (spec §3.5, §6 #14) the RFC is followed; the differences are noted. */
#include "checks/tlsrpt.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/txtrec.h"
#include "common/xalloc.h"

static int tlsrpt_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* RFC 3986 characters allowed literally in a report URI: unreserved, gen-delims and sub-delims,
 * minus ',', '!' and ';', which RFC 8460 §3 requires percent-encoded. */
static int tlsrpt_uri_char(int c)
{
	if (isalnum(c))
		return 1;
	return strchr("-._~:/?#[]@$&'()*+=", c) != NULL && c != '\0';
}

/* A host name as the URI's host: dot-separated LDH labels, 1-63 octets each. */
static int tlsrpt_host_ok(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return 0;
		if (label == 0 && c == '-')
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && p[n - 1] != '-';
}

/* 1..65535 in decimal. */
static int tlsrpt_port_ok(const char *p, size_t n)
{
	unsigned long port = 0;
	if (n == 0 || n > 5)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)p[i]))
			return 0;
		port = port * 10 + (unsigned long)(p[i] - '0');
	}
	return port >= 1 && port <= 65535;
}

static int tlsrpt_fail(char *err, size_t errlen, const char *uri, size_t len, const char *why)
{
	snprintf(err, errlen, "report URI \"%.*s\": %s", (int)(len > 60 ? 60 : len), uri, why);
	return -1;
}

static int tlsrpt_mailto_check(const char *uri, size_t len, const char *p, size_t n, char *err,
			       size_t errlen)
{
	/* RFC 6068: mailto:addr-spec[?hfields]; one recipient (a second needs a raw ','). */
	const char *q = memchr(p, '?', n);
	size_t an = q ? (size_t)(q - p) : n;
	const char *at = NULL;
	for (size_t i = 0; i < an; i++)
		if (p[i] == '@')
			at = p + i;
	if (at == NULL)
		return tlsrpt_fail(err, errlen, uri, len, "mailto: without an address (no '@')");
	if (at == p)
		return tlsrpt_fail(err, errlen, uri, len, "mailto: address without local part");
	if (memchr(p, '@', (size_t)(at - p)))
		return tlsrpt_fail(err, errlen, uri, len, "mailto: address with more than one '@'");
	const char *dom = at + 1;
	size_t dn = an - (size_t)(dom - p);
	if (!(dn > 2 && dom[0] == '[' && dom[dn - 1] == ']') && !tlsrpt_host_ok(dom, dn))
		return tlsrpt_fail(err, errlen, uri, len, "mailto: address with a bad domain");
	return 0;
}

static int tlsrpt_https_check(const char *uri, size_t len, const char *p, size_t n, char *err,
			      size_t errlen)
{
	if (n < 2 || p[0] != '/' || p[1] != '/')
		return tlsrpt_fail(err, errlen, uri, len, "https: URI without \"//host\"");
	p += 2;
	n -= 2;
	size_t an = 0;
	while (an < n && p[an] != '/' && p[an] != '?' && p[an] != '#')
		an++;
	const char *host = p;
	size_t hn = an;
	const char *at = NULL;
	for (size_t i = 0; i < an; i++)
		if (p[i] == '@')
			at = p + i;
	if (at) { /* userinfo@: legal in RFC 3986, pointless here, not an error */
		host = at + 1;
		hn = an - (size_t)(host - p);
	}
	if (hn && host[0] == '[') {
		const char *close = memchr(host, ']', hn);
		if (close == NULL || close == host + 1)
			return tlsrpt_fail(err, errlen, uri, len, "bad IP literal host");
		size_t rest = hn - (size_t)(close + 1 - host);
		if (rest && close[1] != ':')
			return tlsrpt_fail(err, errlen, uri, len, "junk after the IP literal host");
		if (rest && !tlsrpt_port_ok(close + 2, rest - 1))
			return tlsrpt_fail(err, errlen, uri, len, "bad port");
		return 0;
	}
	const char *colon = memchr(host, ':', hn);
	if (colon) {
		if (!tlsrpt_port_ok(colon + 1, hn - (size_t)(colon + 1 - host)))
			return tlsrpt_fail(err, errlen, uri, len, "bad port");
		hn = (size_t)(colon - host);
	}
	if (hn == 0)
		return tlsrpt_fail(err, errlen, uri, len, "https: URI without a host");
	if (!tlsrpt_host_ok(host, hn))
		return tlsrpt_fail(err, errlen, uri, len, "https: URI with a bad host name");
	return 0;
}

int tlsrpt_uri_check(const char *uri, size_t len, char *err, size_t errlen)
{
	if (len == 0)
		return tlsrpt_fail(err, errlen, uri, len, "empty URI");
	int hashes = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)uri[i];
		if (c == '%') {
			if (i + 2 >= len || !isxdigit((unsigned char)uri[i + 1]) ||
			    !isxdigit((unsigned char)uri[i + 2]))
				return tlsrpt_fail(err, errlen, uri, len, "bad percent-encoding");
			i += 2;
			continue;
		}
		if (c == ',' || c == '!' || c == ';')
			return tlsrpt_fail(err, errlen, uri, len,
					   "',', '!', ';' must be percent-encoded (RFC 8460 §3)");
		if (!tlsrpt_uri_char(c))
			return tlsrpt_fail(err, errlen, uri, len,
					   "character not allowed in a URI (RFC 3986)");
		if (c == '#' && ++hashes > 1)
			return tlsrpt_fail(err, errlen, uri, len, "more than one '#'");
	}
	size_t s = 0;
	if (!isalpha((unsigned char)uri[0]))
		return tlsrpt_fail(err, errlen, uri, len, "no URI scheme");
	while (s < len && (isalnum((unsigned char)uri[s]) || uri[s] == '+' || uri[s] == '-' ||
			   uri[s] == '.'))
		s++;
	if (s == len || uri[s] != ':')
		return tlsrpt_fail(err, errlen, uri, len, "no URI scheme");
	/* RFC 3986 §3.1: schemes compare case-insensitively. */
	if (s == 6 && strncasecmp(uri, "mailto", 6) == 0)
		return tlsrpt_mailto_check(uri, len, uri + 7, len - 7, err, errlen);
	if (s == 5 && strncasecmp(uri, "https", 5) == 0)
		return tlsrpt_https_check(uri, len, uri + 6, len - 6, err, errlen);
	/* mecsa-st rejects http: but also accepts "httpsxyz"; RFC 8460 §3 supports exactly two. */
	return tlsrpt_fail(err, errlen, uri, len,
			   "unsupported scheme (RFC 8460 supports mailto: and https:)");
}

/* rua-value = tlsrpt-uri *(*WSP "," *WSP tlsrpt-uri) */
static int tlsrpt_parse_rua(const char *v, size_t n, struct tlsrpt_record *out, char *err,
			    size_t errlen)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < n && v[i] != ',' && !tlsrpt_is_wsp((unsigned char)v[i]))
			i++;
		if (i == start) {
			snprintf(err, errlen, "rua= has an empty URI at position %zu", start);
			return -1;
		}
		if (tlsrpt_uri_check(v + start, i - start, err, errlen) < 0)
			return -1;
		out->rua = xrealloc(out->rua, (out->n_rua + 1) * sizeof *out->rua);
		out->rua[out->n_rua++] = xstrndup(v + start, i - start);
		while (i < n && tlsrpt_is_wsp((unsigned char)v[i]))
			i++;
		if (i == n)
			return 0;
		if (v[i] != ',') {
			/* v is not NUL-terminated: quote at most what is left of it. */
			snprintf(err, errlen,
				 "rua=: URIs must be separated by ',' (found \"%.*s\")",
				 (int)(n - i > 20 ? 20 : n - i), v + i);
			return -1;
		}
		i++;
		while (i < n && tlsrpt_is_wsp((unsigned char)v[i]))
			i++;
	}
}

void tlsrpt_record_clear(struct tlsrpt_record *rec)
{
	if (rec == NULL)
		return;
	for (size_t i = 0; i < rec->n_rua; i++)
		free(rec->rua[i]);
	free(rec->rua);
	memset(rec, 0, sizeof *rec);
}

int tlsrpt_record_parse(const char *txt, size_t len, struct tlsrpt_record *out, char *err,
			size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct txtrec_iter it;
	struct txtrec_field f;
	int rc;
	if (txtrec_begin(&it, txt, len, TLSRPT_VERSION, err, errlen) < 0)
		return -1;
	int seen_rua = 0;
	while ((rc = txtrec_next(&it, &f, err, errlen)) > 0) {
		if (txtrec_eq(f.name, f.name_len, "rua")) {
			/* The ABNF does not forbid a second rua=; its URIs are simply added. */
			seen_rua = 1;
			if (tlsrpt_parse_rua(f.value, f.value_len, out, err, errlen) < 0)
				return -1;
			continue;
		}
		if (f.name_len == 3 && strncasecmp(f.name, "rua", 3) == 0) {
			/* Names are case-sensitive (%s"rua="): say so instead of ignoring it. */
			snprintf(err, errlen, "field name \"%.3s\" must be lower-case \"rua\"",
				 f.name);
			return -1;
		}
		if (!txtrec_ext_value_ok(f.value, f.value_len)) {
			snprintf(err, errlen, "extension \"%.*s\" has a bad value",
				 (int)f.name_len, f.name);
			return -1;
		}
		out->n_ext++; /* unknown fields are ignored (RFC 8460 §3) */
	}
	if (rc < 0)
		return -1;
	if (!seen_rua) {
		/* The ABNF alone would accept "v=TLSRPTv1; foo=bar" (mecsa-st does), but the record
		 * exists to name where reports go: without rua= no sender can report anything. */
		snprintf(err, errlen, "no rua= field (no report destination)");
		return -1;
	}
	return 0;
}

static size_t tlsrpt_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	char name[DNAME_MAX + 16];
	size_t n = 0;
	snprintf(name, sizeof name, "_smtp._tls.%s", ev->domain);
	check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TXT, 0);
	return n;
}

static void tlsrpt_evaluate(const struct evidence *ev, struct result *res)
{
	char name[DNAME_MAX + 16];
	snprintf(name, sizeof name, "_smtp._tls.%s", ev->domain);
	const struct dns_answer *a = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (a == NULL || a->status == DNS_STATUS_NOT_QUERIED) {
		result_set(res, CHECK_TLSRPT, NULL, VERDICT_NOT_TESTABLE, "TXT %s was not queried",
			   name);
		return;
	}
	struct txtrec_pick pick;
	txtrec_pick(a, TLSRPT_VERSION, &pick);
	/* A near miss ("v=tlsrptv1") counts as found so that it is reported as a bad record. */
	size_t found = pick.n_strict ? pick.n_strict : pick.n_loose;
	json_t *d = json_pack("{s:s, s:s, s:o, s:I, s:b, s:[], s:n}", "qname", name, "lookup",
			      dns_status_name(a->status), "record", json_null(), "records_found",
			      (json_int_t)found, "syntax_valid", 0, "rua", "reason");
	json_t *rua = json_object_get(d, "rua");

	const struct dns_rdata *rd = txtrec_one(a, &pick, TLSRPT_VERSION, "TLS-RPT", "RFC 8460 §3",
						 name, CHECK_TLSRPT, d, res);
	if (rd == NULL)
		return;
	json_object_set_new(d, "record", txtrec_json_bytes(rd->data, rd->len));
	struct tlsrpt_record rec;
	char err[VERDICT_REASON_MAX];
	int rc = tlsrpt_record_parse((const char *)rd->data, rd->len, &rec, err, sizeof err);
	if (rc == 0) {
		for (size_t i = 0; i < rec.n_rua; i++)
			json_array_append_new(rua, json_string(rec.rua[i]));
		json_object_set_new(d, "syntax_valid", json_true());
		json_object_set_new(d, "reason", json_null());
		if (rec.n_ext)
			json_object_set_new(d, "extensions", json_integer((json_int_t)rec.n_ext));
		result_set(res, CHECK_TLSRPT, d, VERDICT_PASS, "%zu report URI%s", rec.n_rua,
			   rec.n_rua == 1 ? "" : "s");
	} else {
		json_object_set_new(d, "reason", json_string(err));
		result_set(res, CHECK_TLSRPT, d, VERDICT_FAIL, "invalid TLS-RPT record: %s", err);
	}
	tlsrpt_record_clear(&rec);
}

const struct check check_tlsrpt = {
	.id = CHECK_TLSRPT,
	.name = "tlsrpt",
	.title = "TLS-RPT",
	.plan = tlsrpt_plan,
	.plan_self_contained = 1,
	.evaluate = tlsrpt_evaluate,
};
