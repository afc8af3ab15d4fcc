/* evidence_json.c — serialisation of struct evidence (DNS answers with their RRs, SMTP probes, CRL
 * and HTTPS fetches). Binary RR data (TXT strings, TLSA association data) is hex-encoded, so any
 * byte survives; certificates and CRLs are base64 (checks/smtp_evidence.c); an HTTPS body is
 * kept as text when it is UTF-8 without NUL bytes (a policy a person can read), else as hex. */
#include "checks/evidence_json.h"

#include <stdio.h>
#include <string.h>

#include "common/xalloc.h"

static int evidence_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int evidence_unhex(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2)
		return -1;
	unsigned char *p = xmalloc(n / 2 + 1);
	for (size_t i = 0; i < n / 2; i++) {
		/* Exactly two hex digits per byte: sscanf's %2x would take " a", "+a" or "0x". */
		int hi = evidence_hexval(s[2 * i]), lo = evidence_hexval(s[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			free(p);
			return -1;
		}
		p[i] = (unsigned char)(hi << 4 | lo);
	}
	*out = p;
	*len = n / 2;
	return 0;
}

static void evidence_rr_write(struct json_out *o, const struct dns_rdata *rd)
{
	json_out_open(o, '{');
	if (rd->type)
		json_out_key_int(o, "type", rd->type);
	if (rd->text)
		json_out_key_str(o, "text", rd->text, strlen(rd->text)); /* left out if not UTF-8 */
	if (rd->data) {
		json_out_key(o, "data");
		json_out_hex(o, rd->data, rd->len);
	}
	if (rd->pref)
		json_out_key_int(o, "pref", rd->pref);
	if (rd->type == DNS_TYPE_TLSA) {
		json_out_key_int(o, "usage", rd->usage);
		json_out_key_int(o, "selector", rd->selector);
		json_out_key_int(o, "mtype", rd->mtype);
	}
	json_out_key_int(o, "ttl", rd->ttl);
	json_out_close(o, '}');
}

static void evidence_answer_write(struct json_out *o, const struct dns_answer *a)
{
	if (!json_utf8_valid(a->qname, strlen(a->qname)))
		return; /* names are the scanner's own; such an answer could not be read back */
	json_out_open(o, '{');
	const char *status = dns_status_name(a->status), *dnssec = dnssec_status_name(a->dnssec);
	json_out_key_str(o, "name", a->qname, strlen(a->qname));
	json_out_key_int(o, "type", a->qtype);
	json_out_key_str(o, "status", status, strlen(status));
	json_out_key_int(o, "rcode", a->rcode);
	json_out_key_str(o, "dnssec", dnssec, strlen(dnssec));
	json_out_key(o, "rr");
	json_out_open(o, '[');
	for (size_t i = 0; i < a->n_rr; i++)
		evidence_rr_write(o, &a->rr[i]);
	json_out_close(o, ']');
	if (a->canonical)
		json_out_key_str(o, "canonical", a->canonical, strlen(a->canonical));
	if (a->why)
		json_out_key_str(o, "why", a->why, strlen(a->why));
	json_out_close(o, '}');
}

static void evidence_https_write(struct json_out *o, const struct https_fetch *f)
{
	json_out_open(o, '{');
	json_out_key_str_or_null(o, "url", f->url);
	json_out_key_str_or_null(o, "resolve", f->resolve);
	json_out_key_int(o, "fetched_ms", f->fetched_ms);
	json_out_key_bool(o, "ok", f->ok);
	json_out_key_int(o, "status", f->status);
	json_out_key_str_or_null(o, "content_type", f->content_type);
	json_out_key_str_or_null(o, "redirect", f->redirect);
	json_out_key_str_or_null(o, "error", f->error);
	json_out_key_bool(o, "tls_failure", f->tls_failure);
	json_out_key_bool(o, "timed_out", f->timed_out);
	if (f->excluded)
		json_out_key_bool(o, "excluded", 1);
	if (f->body) {
		/* A policy a person can read is kept as text; anything else as hex. */
		if (memchr(f->body, '\0', f->len) != NULL ||
		    json_out_key_str(o, "body", (const char *)f->body, f->len) < 0) {
			json_out_key(o, "body_hex");
			json_out_hex(o, f->body, f->len);
		}
		json_out_key_bool(o, "truncated", f->truncated);
	}
	json_out_close(o, '}');
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

static void evidence_der_list_write(struct json_out *o, const char *key, const struct der_list *l)
{
	if (l->n == 0)
		return;
	json_out_key(o, key);
	json_out_open(o, '[');
	for (size_t i = 0; i < l->n; i++)
		der_fetch_write(o, &l->v[i]);
	json_out_close(o, ']');
}

char *evidence_json_text(const struct evidence *ev, int ascii, size_t *len)
{
	if (!json_utf8_valid(ev->domain, strlen(ev->domain)))
		return NULL;
	struct json_out o;
	json_out_init(&o, ascii);
	json_out_open(&o, '{');
	json_out_key_int(&o, "version", EVIDENCE_JSON_VERSION);
	json_out_key(&o, "domain");
	json_out_str(&o, ev->domain, strlen(ev->domain));
	json_out_key_int(&o, "started_ms", ev->started_ms);
	json_out_key_int(&o, "finished_ms", ev->finished_ms);
	json_out_key_bool(&o, "deadline_hit", ev->deadline_hit);
	json_out_key(&o, "dns");
	json_out_open(&o, '[');
	for (size_t i = 0; i < ev->n_dns; i++)
		evidence_answer_write(&o, &ev->dns[i]);
	json_out_close(&o, ']');
	/* Optional members (still version 1): absent when nothing was probed or fetched. */
	if (ev->n_smtp) {
		json_out_key(&o, "smtp");
		json_out_open(&o, '[');
		for (size_t i = 0; i < ev->n_smtp; i++)
			smtp_probe_write(&o, &ev->smtp[i]);
		json_out_close(&o, ']');
	}
	evidence_der_list_write(&o, "crl", &ev->crl);
	evidence_der_list_write(&o, "ocsp", &ev->ocsp);
	if (ev->n_https) {
		json_out_key(&o, "https");
		json_out_open(&o, '[');
		for (size_t i = 0; i < ev->n_https; i++)
			evidence_https_write(&o, &ev->https[i]);
		json_out_close(&o, ']');
	}
	json_out_close(&o, '}');
	return json_out_finish(&o, len);
}

json_t *evidence_to_json(const struct evidence *ev)
{
	size_t len;
	char *text = evidence_json_text(ev, 0, &len);
	json_t *j = text ? json_loadb(text, len, 0, NULL) : NULL;
	free(text);
	return j;
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

/* 0, or -1 with a reason in err. Stored evidence is read as hostile input (rescore, merge): an
 * answer that repeats the (name, type) of an earlier one is refused, since which of the two a
 * check should see cannot be told, and merging them would invent an RRset nobody served. */
static int evidence_answer_from_json(struct evidence *ev, const json_t *o, char *err,
				     size_t errlen)
{
	const char *name = json_string_value(json_object_get(o, "name"));
	json_int_t type = json_integer_value(json_object_get(o, "type"));
	const char *status = json_string_value(json_object_get(o, "status"));
	const char *dnssec = json_string_value(json_object_get(o, "dnssec"));
	if (!name || type <= 0 || type > 65535 || !status || !dnssec) {
		snprintf(err, errlen, "name, type, status or dnssec missing or invalid");
		return -1;
	}
	int st = dns_status_parse(status), sec = dnssec_status_parse(dnssec);
	if (st < 0 || sec < 0) {
		snprintf(err, errlen, "unknown status or dnssec status");
		return -1;
	}
	const struct dns_answer *earlier = evidence_dns_find(ev, name, (unsigned)type);
	if (earlier != NULL) {
		snprintf(err, errlen, "same name and type %d as answer #%zu", (int)type,
			 (size_t)(earlier - ev->dns));
		return -1;
	}
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
		if (evidence_rr_from_json(a, r) < 0) {
			snprintf(err, errlen, "malformed record #%zu", i);
			return -1;
		}
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
		char why[160];
		if (evidence_answer_from_json(ev, o, why, sizeof why) < 0) {
			snprintf(err, errlen, "malformed DNS answer #%zu in evidence: %s", i, why);
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
