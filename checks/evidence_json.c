/* evidence_json.c — serialisation of struct evidence (DNS answers with their RRs, SMTP probes, CRL
 * and HTTPS fetches). Binary RR data (TXT strings, TLSA association data) is hex-encoded, so any
 * byte survives; certificates and CRLs are base64 (checks/smtp_evidence.c); an HTTPS body is
 * kept as text when it is UTF-8 without NUL bytes (a policy a person can read), else as hex. */
#include "checks/evidence_json.h"

#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"

static json_t *evidence_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	json_t *j = json_stringn(s, 2 * n);
	free(s);
	return j;
}

static int evidence_unhex(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2)
		return -1;
	unsigned char *p = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1) {
			free(p);
			return -1;
		}
		p[i] = (unsigned char)v;
	}
	*out = p;
	*len = n / 2;
	return 0;
}

static json_t *evidence_rr_json(const struct dns_rdata *rd)
{
	json_t *o = json_object();
	if (rd->type)
		json_object_set_new(o, "type", json_integer(rd->type));
	if (rd->text)
		json_object_set_new(o, "text", json_string(rd->text));
	if (rd->data)
		json_object_set_new(o, "data", evidence_hex(rd->data, rd->len));
	if (rd->pref)
		json_object_set_new(o, "pref", json_integer(rd->pref));
	if (rd->type == DNS_TYPE_TLSA) {
		json_object_set_new(o, "usage", json_integer(rd->usage));
		json_object_set_new(o, "selector", json_integer(rd->selector));
		json_object_set_new(o, "mtype", json_integer(rd->mtype));
	}
	json_object_set_new(o, "ttl", json_integer(rd->ttl));
	return o;
}

static json_t *evidence_answer_json(const struct dns_answer *a)
{
	json_t *rrs = json_array();
	for (size_t i = 0; i < a->n_rr; i++)
		json_array_append_new(rrs, evidence_rr_json(&a->rr[i]));
	json_t *o = json_pack("{s:s, s:i, s:s, s:i, s:s, s:o}", "name", a->qname, "type", a->qtype,
			      "status", dns_status_name(a->status), "rcode", a->rcode, "dnssec",
			      dnssec_status_name(a->dnssec), "rr", rrs);
	if (a->canonical)
		json_object_set_new(o, "canonical", json_string(a->canonical));
	if (a->why)
		json_object_set_new(o, "why", json_string(a->why));
	return o;
}

static json_t *evidence_opt_str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

static json_t *evidence_https_json(const struct https_fetch *f)
{
	json_t *o = json_pack("{s:o, s:o, s:I, s:b, s:I, s:o, s:o, s:o, s:b, s:b}", "url",
			      evidence_opt_str(f->url), "resolve", evidence_opt_str(f->resolve),
			      "fetched_ms", (json_int_t)f->fetched_ms, "ok", f->ok, "status",
			      (json_int_t)f->status, "content_type",
			      evidence_opt_str(f->content_type), "redirect",
			      evidence_opt_str(f->redirect), "error", evidence_opt_str(f->error),
			      "tls_failure", f->tls_failure, "timed_out", f->timed_out);
	if (f->excluded)
		json_object_set_new(o, "excluded", json_true());
	if (f->body) {
		json_t *text = memchr(f->body, '\0', f->len)
				       ? NULL
				       : json_stringn((const char *)f->body, f->len);
		if (text)
			json_object_set_new(o, "body", text);
		else
			json_object_set_new(o, "body_hex", evidence_hex(f->body, f->len));
		json_object_set_new(o, "truncated", json_boolean(f->truncated));
	}
	return o;
}

static char *evidence_json_strdup(const json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? xstrdup(s) : NULL;
}

static int evidence_https_from_json(struct https_fetch *f, const json_t *o)
{
	const char *url = json_string_value(json_object_get(o, "url"));
	if (!json_is_object(o) || url == NULL)
		return -1;
	f->url = xstrdup(url);
	f->resolve = evidence_json_strdup(o, "resolve");
	f->fetched_ms = json_integer_value(json_object_get(o, "fetched_ms"));
	f->ok = json_is_true(json_object_get(o, "ok"));
	f->status = (long)json_integer_value(json_object_get(o, "status"));
	f->content_type = evidence_json_strdup(o, "content_type");
	f->redirect = evidence_json_strdup(o, "redirect");
	f->error = evidence_json_strdup(o, "error");
	f->tls_failure = json_is_true(json_object_get(o, "tls_failure"));
	f->timed_out = json_is_true(json_object_get(o, "timed_out"));
	f->excluded = json_is_true(json_object_get(o, "excluded"));
	f->truncated = json_is_true(json_object_get(o, "truncated"));
	json_t *text = json_object_get(o, "body");
	const char *hex = json_string_value(json_object_get(o, "body_hex"));
	if (json_is_string(text)) {
		f->len = json_string_length(text);
		f->body = xmalloc(f->len + 1);
		memcpy(f->body, json_string_value(text), f->len);
		f->body[f->len] = '\0';
	} else if (hex) {
		unsigned char *p;
		if (evidence_unhex(hex, &p, &f->len) < 0)
			return -1;
		f->body = p;
		f->body[f->len] = '\0'; /* evidence_unhex leaves room for it */
	}
	if (f->len > EVIDENCE_HTTPS_BODY_MAX)
		return -1;
	return 0;
}

static void evidence_der_list_to_json(json_t *o, const char *key, const struct der_list *l)
{
	if (l->n == 0)
		return;
	json_t *arr = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(arr, der_fetch_to_json(&l->v[i]));
	json_object_set_new(o, key, arr);
}

json_t *evidence_to_json(const struct evidence *ev)
{
	json_t *dns = json_array();
	for (size_t i = 0; i < ev->n_dns; i++)
		json_array_append_new(dns, evidence_answer_json(&ev->dns[i]));
	json_t *o = json_pack("{s:i, s:s, s:I, s:I, s:b, s:o}", "version", EVIDENCE_JSON_VERSION,
			      "domain", ev->domain, "started_ms", (json_int_t)ev->started_ms,
			      "finished_ms", (json_int_t)ev->finished_ms, "deadline_hit",
			      ev->deadline_hit, "dns", dns);
	/* Optional members (still version 1): absent when nothing was probed or fetched. */
	if (ev->n_smtp) {
		json_t *smtp = json_array();
		for (size_t i = 0; i < ev->n_smtp; i++)
			json_array_append_new(smtp, smtp_probe_to_json(&ev->smtp[i]));
		json_object_set_new(o, "smtp", smtp);
	}
	evidence_der_list_to_json(o, "crl", &ev->crl);
	evidence_der_list_to_json(o, "ocsp", &ev->ocsp);
	if (ev->n_https) {
		json_t *https = json_array();
		for (size_t i = 0; i < ev->n_https; i++)
			json_array_append_new(https, evidence_https_json(&ev->https[i]));
		json_object_set_new(o, "https", https);
	}
	return o;
}

static int evidence_rr_from_json(struct dns_answer *a, const json_t *r)
{
	const char *text = json_string_value(json_object_get(r, "text"));
	const char *hex = json_string_value(json_object_get(r, "data"));
	unsigned char *data = NULL;
	size_t len = 0;
	if (hex && evidence_unhex(hex, &data, &len) < 0)
		return -1;
	json_int_t type = json_integer_value(json_object_get(r, "type"));
	struct dns_rdata *rd = dns_answer_add(a, (uint16_t)(type ? type : a->qtype), text, data, len);
	free(data);
	rd->pref = (uint16_t)json_integer_value(json_object_get(r, "pref"));
	rd->usage = (uint8_t)json_integer_value(json_object_get(r, "usage"));
	rd->selector = (uint8_t)json_integer_value(json_object_get(r, "selector"));
	rd->mtype = (uint8_t)json_integer_value(json_object_get(r, "mtype"));
	rd->ttl = (uint32_t)json_integer_value(json_object_get(r, "ttl"));
	return 0;
}

static int evidence_answer_from_json(struct evidence *ev, const json_t *o)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	json_int_t type = json_integer_value(json_object_get(o, "type"));
	const char *status = json_string_value(json_object_get(o, "status"));
	const char *dnssec = json_string_value(json_object_get(o, "dnssec"));
	if (!name || type <= 0 || type > 65535 || !status || !dnssec)
		return -1;
	int st = dns_status_parse(status), sec = dnssec_status_parse(dnssec);
	if (st < 0 || sec < 0)
		return -1;
	struct dns_answer *a = evidence_dns_slot(ev, name, (unsigned)type);
	a->status = (enum dns_status)st;
	a->dnssec = (enum dnssec_status)sec;
	a->rcode = (int)json_integer_value(json_object_get(o, "rcode"));
	const char *canon = json_string_value(json_object_get(o, "canonical"));
	const char *why = json_string_value(json_object_get(o, "why"));
	a->canonical = canon ? xstrdup(canon) : NULL;
	a->why = why ? xstrdup(why) : NULL;
	size_t i;
	json_t *r;
	json_array_foreach(json_object_get(o, "rr"), i, r)
	{
		if (evidence_rr_from_json(a, r) < 0)
			return -1;
	}
	return 0;
}

static int evidence_der_list_from_json(struct der_list *l, const json_t *arr, const char *what,
				       char *err, size_t errlen)
{
	size_t i;
	const json_t *o;
	json_array_foreach(arr, i, o)
	{
		char why[160];
		if (der_fetch_from_json(evidence_der_add(l), o, why, sizeof why) < 0) {
			snprintf(err, errlen, "malformed %s fetch #%zu in evidence: %s", what, i, why);
			return -1;
		}
	}
	return 0;
}

struct evidence *evidence_from_json(const json_t *j, char *err, size_t errlen)
{
	if (!json_is_object(j) ||
	    json_integer_value(json_object_get(j, "version")) != EVIDENCE_JSON_VERSION) {
		snprintf(err, errlen, "not evidence of version %d", EVIDENCE_JSON_VERSION);
		return NULL;
	}
	const char *domain = json_string_value(json_object_get(j, "domain"));
	if (domain == NULL) {
		snprintf(err, errlen, "evidence without a domain");
		return NULL;
	}
	struct evidence *ev = evidence_new(domain);
	ev->started_ms = json_integer_value(json_object_get(j, "started_ms"));
	ev->finished_ms = json_integer_value(json_object_get(j, "finished_ms"));
	ev->deadline_hit = json_is_true(json_object_get(j, "deadline_hit"));
	size_t i;
	json_t *o;
	json_array_foreach(json_object_get(j, "dns"), i, o)
	{
		if (evidence_answer_from_json(ev, o) < 0) {
			snprintf(err, errlen, "malformed DNS answer #%zu in evidence", i);
			evidence_free(ev);
			return NULL;
		}
	}
	json_array_foreach(json_object_get(j, "smtp"), i, o)
	{
		char why[160];
		if (smtp_probe_from_json(evidence_smtp_add(ev), o, why, sizeof why) < 0) {
			snprintf(err, errlen, "malformed SMTP probe #%zu in evidence: %s", i, why);
			evidence_free(ev);
			return NULL;
		}
	}
	if (evidence_der_list_from_json(&ev->crl, json_object_get(j, "crl"), "CRL", err, errlen) <
		    0 ||
	    evidence_der_list_from_json(&ev->ocsp, json_object_get(j, "ocsp"), "OCSP", err,
					errlen) < 0) {
		evidence_free(ev);
		return NULL;
	}
	json_array_foreach(json_object_get(j, "https"), i, o)
	{
		if (evidence_https_from_json(evidence_https_add(ev), o) < 0) {
			snprintf(err, errlen, "malformed HTTPS fetch #%zu in evidence", i);
			evidence_free(ev);
			return NULL;
		}
	}
	return ev;
}
