/* smtp_evidence.c — the SMTP probe and CRL fetch records: init, copy, teardown, names of stages
 * and errors, and their JSON form (DER as base64, text fields omitted when absent). Owns nothing
 * beyond the records it is handed. */
#include "checks/smtp_evidence.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/smtp_reply.h"
#include "common/xalloc.h"

static const char *const smtp_stage_names[SMTP_STAGE_MAX] = {
	[SMTP_STAGE_NONE] = "none",	  [SMTP_STAGE_CONNECT] = "connect",
	[SMTP_STAGE_BANNER] = "banner",	  [SMTP_STAGE_EHLO] = "ehlo",
	[SMTP_STAGE_HELO] = "helo",	  [SMTP_STAGE_STARTTLS] = "starttls",
	[SMTP_STAGE_TLS] = "tls",	  [SMTP_STAGE_EHLO_TLS] = "ehlo_tls",
	[SMTP_STAGE_QUIT] = "quit",	  [SMTP_STAGE_DONE] = "done",
};

static const char *const smtp_error_names[SMTP_ERR_MAX] = {
	[SMTP_ERR_NONE] = "none",
	[SMTP_ERR_REFUSED] = "refused",
	[SMTP_ERR_UNREACHABLE] = "unreachable",
	[SMTP_ERR_TIMEOUT] = "timeout",
	[SMTP_ERR_CLOSED] = "closed",
	[SMTP_ERR_REPLY] = "reply",
	[SMTP_ERR_PROTOCOL] = "protocol",
	[SMTP_ERR_TLS] = "tls",
	[SMTP_ERR_EXCLUDED] = "excluded",
	[SMTP_ERR_RATE_LIMITED] = "rate_limited",
	[SMTP_ERR_DEADLINE] = "deadline",
	[SMTP_ERR_LOCAL] = "local",
};

const char *smtp_stage_name(enum smtp_stage s)
{
	return (unsigned)s < SMTP_STAGE_MAX ? smtp_stage_names[s] : "?";
}

const char *smtp_error_name(enum smtp_error e)
{
	return (unsigned)e < SMTP_ERR_MAX ? smtp_error_names[e] : "?";
}

int smtp_stage_parse(const char *name)
{
	for (int i = 0; i < SMTP_STAGE_MAX; i++)
		if (name && strcmp(name, smtp_stage_names[i]) == 0)
			return i;
	return -1;
}

int smtp_error_parse(const char *name)
{
	for (int i = 0; i < SMTP_ERR_MAX; i++)
		if (name && strcmp(name, smtp_error_names[i]) == 0)
			return i;
	return -1;
}

void smtp_probe_init(struct smtp_probe *p)
{
	memset(p, 0, sizeof *p);
}

void smtp_probe_clear(struct smtp_probe *p)
{
	free(p->host);
	free(p->address);
	free(p->reason);
	free(p->banner);
	free(p->ehlo);
	free(p->starttls_reply);
	free(p->injection);
	free(p->tls_version);
	free(p->tls_cipher);
	free(p->tls_group);
	for (size_t i = 0; i < p->chain_len; i++)
		free(p->chain[i].der);
	free(p->chain);
	free(p->ehlo_tls);
	smtp_probe_init(p);
}

size_t smtp_probe_footprint(const struct smtp_probe *p)
{
	const char *const strs[] = {p->host,	    p->address,	   p->reason,	  p->banner,
				    p->ehlo,	    p->starttls_reply, p->injection, p->tls_version,
				    p->tls_cipher, p->tls_group,	   p->ehlo_tls};
	size_t n = p->chain_len * sizeof *p->chain;
	for (size_t i = 0; i < sizeof strs / sizeof *strs; i++)
		n += xstrsize(strs[i]);
	for (size_t i = 0; i < p->chain_len; i++)
		n += p->chain[i].len;
	return n;
}

static char *smtp_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void smtp_probe_copy(struct smtp_probe *dst, const struct smtp_probe *src)
{
	*dst = *src;
	dst->host = smtp_dup(src->host);
	dst->address = smtp_dup(src->address);
	dst->reason = smtp_dup(src->reason);
	dst->banner = smtp_dup(src->banner);
	dst->ehlo = smtp_dup(src->ehlo);
	dst->starttls_reply = smtp_dup(src->starttls_reply);
	dst->injection = smtp_dup(src->injection);
	dst->tls_version = smtp_dup(src->tls_version);
	dst->tls_cipher = smtp_dup(src->tls_cipher);
	dst->tls_group = smtp_dup(src->tls_group);
	dst->ehlo_tls = smtp_dup(src->ehlo_tls);
	dst->chain = src->chain_len ? xcalloc(src->chain_len, sizeof *dst->chain) : NULL;
	for (size_t i = 0; i < src->chain_len; i++) {
		dst->chain[i].der = xmemdup(src->chain[i].der, src->chain[i].len);
		dst->chain[i].len = src->chain[i].len;
	}
}

void smtp_probe_fail(struct smtp_probe *p, enum smtp_stage stage, enum smtp_error err,
		     const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	p->stage = stage;
	p->error = err;
	free(p->reason);
	p->reason = xstrdup(buf);
}

void smtp_probe_add_cert(struct smtp_probe *p, const unsigned char *der, size_t len)
{
	p->chain_sent++;
	if (p->chain_len >= SMTP_CHAIN_MAX)
		return;
	p->chain = xrealloc(p->chain, (p->chain_len + 1) * sizeof *p->chain);
	p->chain[p->chain_len].der = len ? xmemdup(der, len) : xcalloc(1, 1);
	p->chain[p->chain_len].len = len;
	p->chain_len++;
}

int smtp_probe_reached(const struct smtp_probe *p)
{
	return p->banner_code == 220;
}

int smtp_probe_tls12(const struct smtp_probe *p)
{
	return p->tls && p->tls_version &&
	       (strcmp(p->tls_version, "TLSv1.2") == 0 || strcmp(p->tls_version, "TLSv1.3") == 0);
}

/* ---- base64 ---- */

static const char smtp_b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *smtp_base64_encode(const unsigned char *p, size_t n)
{
	char *s = xmalloc(4 * ((n + 2) / 3) + 1), *o = s;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
			     (i + 2 < n ? p[i + 2] : 0);
		*o++ = smtp_b64[v >> 18 & 63];
		*o++ = smtp_b64[v >> 12 & 63];
		*o++ = i + 1 < n ? smtp_b64[v >> 6 & 63] : '=';
		*o++ = i + 2 < n ? smtp_b64[v & 63] : '=';
	}
	*o = '\0';
	return s;
}

static int smtp_b64_value(char c)
{
	const char *q = c ? strchr(smtp_b64, c) : NULL;
	return q ? (int)(q - smtp_b64) : -1;
}

int smtp_base64_decode(const char *s, unsigned char **out, size_t *len)
{
	size_t n = strlen(s);
	if (n % 4)
		return -1;
	unsigned char *p = xmalloc(n / 4 * 3 + 1);
	size_t k = 0;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;
		for (int j = 0; j < 4; j++) {
			if (s[i + j] == '=' && i + 4 == n && j >= 2) {
				v[j] = 0;
				pad++;
			} else if (pad || (v[j] = smtp_b64_value(s[i + j])) < 0) {
				free(p);
				return -1;
			}
		}
		unsigned w = (unsigned)v[0] << 18 | (unsigned)v[1] << 12 | (unsigned)v[2] << 6 |
			     (unsigned)v[3];
		p[k++] = (unsigned char)(w >> 16);
		if (pad < 2)
			p[k++] = (unsigned char)(w >> 8);
		if (pad < 1)
			p[k++] = (unsigned char)w;
	}
	*out = p;
	*len = k;
	return 0;
}

/* ---- JSON ---- */

static void smtp_json_set_str(struct json_out *o, const char *key, const char *s)
{
	if (s)
		json_out_key_str_or_null(o, key, s);
}

static void smtp_json_set_int(struct json_out *o, const char *key, long long v)
{
	if (v)
		json_out_key_int(o, key, v);
}

static void smtp_json_set_name(struct json_out *o, const char *key, const char *name)
{
	if (name)
		json_out_key_str(o, key, name, strlen(name));
}

static void smtp_ext_json(struct json_out *o, const char *key, unsigned set)
{
	json_out_key(o, key);
	json_out_open(o, '[');
	for (unsigned i = 0; i < SMTP_EXT_COUNT; i++)
		if (set & 1u << i) {
			const char *name = smtp_ext_name(1u << i);
			if (name)
				json_out_str(o, name, strlen(name));
		}
	json_out_close(o, ']');
}

/* DER as base64, written straight into the text (base64 needs no escaping). */
static void smtp_json_base64(struct json_out *o, const unsigned char *der, size_t len)
{
	char *b = smtp_base64_encode(der, len);
	json_out_str(o, b, strlen(b));
	free(b);
}

static unsigned smtp_ext_from_json(const json_t *a)
{
	unsigned set = 0;
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v)
	{
		const char *s = json_string_value(v);
		if (s)
			set |= smtp_ext_parse(s);
	}
	return set;
}

void smtp_probe_write(struct json_out *o, const struct smtp_probe *p)
{
	json_out_open(o, '{');
	json_out_key_str_or_null(o, "host", p->host);
	json_out_key_str_or_null(o, "address", p->address);
	json_out_key_int(o, "port", p->port);
	json_out_key_int(o, "started_ms", p->started_ms);
	json_out_key_int(o, "duration_ms", p->duration_ms);
	json_out_key_int(o, "attempts", p->attempts);
	smtp_json_set_name(o, "stage", smtp_stage_name(p->stage));
	smtp_json_set_name(o, "error", smtp_error_name(p->error));
	smtp_json_set_str(o, "reason", p->reason);
	smtp_json_set_int(o, "banner_code", p->banner_code);
	smtp_json_set_str(o, "banner", p->banner);
	smtp_json_set_int(o, "ehlo_code", p->ehlo_code);
	smtp_json_set_str(o, "ehlo", p->ehlo);
	smtp_json_set_int(o, "helo_code", p->helo_code);
	smtp_ext_json(o, "ext", p->ext);
	smtp_json_set_int(o, "size_limit", (long long)p->size_limit);
	smtp_json_set_int(o, "starttls_code", p->starttls_code);
	smtp_json_set_str(o, "starttls_reply", p->starttls_reply);
	smtp_json_set_int(o, "injection_len", (long long)p->injection_len);
	smtp_json_set_str(o, "injection", p->injection);
	json_out_key_bool(o, "tls", p->tls);
	smtp_json_set_str(o, "tls_version", p->tls_version);
	smtp_json_set_str(o, "tls_cipher", p->tls_cipher);
	smtp_json_set_str(o, "tls_group", p->tls_group);
	smtp_json_set_int(o, "tls_bits", p->tls_bits);
	smtp_json_set_int(o, "chain_sent", (long long)p->chain_sent);
	if (p->chain_len) {
		json_out_key(o, "chain");
		json_out_open(o, '[');
		for (size_t i = 0; i < p->chain_len; i++)
			smtp_json_base64(o, p->chain[i].der, p->chain[i].len);
		json_out_close(o, ']');
	}
	smtp_json_set_int(o, "ehlo_tls_code", p->ehlo_tls_code);
	smtp_json_set_str(o, "ehlo_tls", p->ehlo_tls);
	if (p->ehlo_tls_code)
		smtp_ext_json(o, "ext_tls", p->ext_tls);
	smtp_json_set_int(o, "quit_code", p->quit_code);
	if (p->bare_lf)
		json_out_key_bool(o, "bare_lf", 1);
	smtp_json_set_int(o, "unsolicited", (long long)p->unsolicited);
	json_out_close(o, '}');
}

static char *smtp_json_dup(const json_t *o, const char *key)
{
	return smtp_dup(json_string_value(json_object_get(o, key)));
}

static long long smtp_json_int(const json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

int smtp_probe_from_json(struct smtp_probe *p, const json_t *j, char *err, size_t errlen)
{
	const char *host = json_string_value(json_object_get(j, "host"));
	const char *addr = json_string_value(json_object_get(j, "address"));
	int stage = smtp_stage_parse(json_string_value(json_object_get(j, "stage")));
	int error = smtp_error_parse(json_string_value(json_object_get(j, "error")));
	if (!json_is_object(j) || !host || !addr || stage < 0 || error < 0) {
		snprintf(err, errlen, "SMTP probe without host, address, stage or error");
		return -1;
	}
	p->host = xstrdup(host);
	p->address = xstrdup(addr);
	p->port = (unsigned)smtp_json_int(j, "port");
	p->started_ms = smtp_json_int(j, "started_ms");
	p->duration_ms = (unsigned)smtp_json_int(j, "duration_ms");
	p->attempts = (unsigned)smtp_json_int(j, "attempts");
	p->stage = (enum smtp_stage)stage;
	p->error = (enum smtp_error)error;
	p->reason = smtp_json_dup(j, "reason");
	p->banner_code = (int)smtp_json_int(j, "banner_code");
	p->banner = smtp_json_dup(j, "banner");
	p->ehlo_code = (int)smtp_json_int(j, "ehlo_code");
	p->ehlo = smtp_json_dup(j, "ehlo");
	p->helo_code = (int)smtp_json_int(j, "helo_code");
	p->ext = smtp_ext_from_json(json_object_get(j, "ext"));
	p->size_limit = (unsigned long long)smtp_json_int(j, "size_limit");
	p->starttls_code = (int)smtp_json_int(j, "starttls_code");
	p->starttls_reply = smtp_json_dup(j, "starttls_reply");
	p->injection_len = (size_t)smtp_json_int(j, "injection_len");
	p->injection = smtp_json_dup(j, "injection");
	p->tls = json_is_true(json_object_get(j, "tls"));
	p->tls_version = smtp_json_dup(j, "tls_version");
	p->tls_cipher = smtp_json_dup(j, "tls_cipher");
	p->tls_group = smtp_json_dup(j, "tls_group");
	p->tls_bits = (int)smtp_json_int(j, "tls_bits");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(j, "chain"), i, c)
	{
		unsigned char *der;
		size_t len;
		const char *b = json_string_value(c);
		if (b == NULL || smtp_base64_decode(b, &der, &len) < 0) {
			snprintf(err, errlen, "SMTP probe certificate #%zu is not base64", i);
			return -1;
		}
		smtp_probe_add_cert(p, der, len);
		free(der);
	}
	p->chain_sent = (size_t)smtp_json_int(j, "chain_sent");
	if (p->chain_sent < p->chain_len)
		p->chain_sent = p->chain_len;
	p->ehlo_tls_code = (int)smtp_json_int(j, "ehlo_tls_code");
	p->ehlo_tls = smtp_json_dup(j, "ehlo_tls");
	p->ext_tls = smtp_ext_from_json(json_object_get(j, "ext_tls"));
	p->quit_code = (int)smtp_json_int(j, "quit_code");
	p->bare_lf = json_is_true(json_object_get(j, "bare_lf"));
	p->unsolicited = (size_t)smtp_json_int(j, "unsolicited");
	return 0;
}

void der_fetch_clear(struct der_fetch *c)
{
	free(c->url);
	free(c->error);
	free(c->der);
	memset(c, 0, sizeof *c);
}

void der_fetch_copy(struct der_fetch *dst, const struct der_fetch *src)
{
	*dst = *src;
	dst->url = smtp_dup(src->url);
	dst->error = smtp_dup(src->error);
	dst->der = src->der ? (src->len ? xmemdup(src->der, src->len) : xcalloc(1, 1)) : NULL;
}

void der_fetch_write(struct json_out *o, const struct der_fetch *c)
{
	json_out_open(o, '{');
	json_out_key_str_or_null(o, "url", c->url);
	json_out_key_int(o, "fetched_ms", c->fetched_ms);
	json_out_key_bool(o, "ok", c->ok);
	json_out_key_int(o, "http_status", c->http_status);
	smtp_json_set_str(o, "error", c->error);
	if (c->der) {
		json_out_key(o, "der");
		smtp_json_base64(o, c->der, c->len);
	}
	json_out_close(o, '}');
}

int der_fetch_from_json(struct der_fetch *c, const json_t *j, char *err, size_t errlen)
{
	const char *url = json_string_value(json_object_get(j, "url"));
	const char *der = json_string_value(json_object_get(j, "der"));
	if (url == NULL) {
		snprintf(err, errlen, "CRL fetch without a URL");
		return -1;
	}
	if (der && smtp_base64_decode(der, &c->der, &c->len) < 0) {
		snprintf(err, errlen, "CRL body is not base64");
		return -1;
	}
	c->url = xstrdup(url);
	c->fetched_ms = smtp_json_int(j, "fetched_ms");
	c->ok = json_is_true(json_object_get(j, "ok"));
	c->http_status = (long)smtp_json_int(j, "http_status");
	c->error = smtp_json_dup(j, "error");
	return 0;
}
