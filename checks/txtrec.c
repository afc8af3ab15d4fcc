/* txtrec.c — the TXT record grammar shared by TLS-RPT and MTA-STS (version tag first, then
 * ';'-separated name=value fields), choosing the record among an RRset, and a JSON-safe copy of
 * raw record bytes. Owns nothing: every result points into the caller's data. */
#include "checks/txtrec.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"

static int txtrec_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

int txtrec_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && memcmp(p, s, n) == 0;
}

/* The position after the version tag when rec starts with it exactly and the tag ends there. */
static int txtrec_strict_prefix(const char *rec, size_t len, const char *version)
{
	size_t vl = strlen(version);
	if (len < vl || memcmp(rec, version, vl) != 0)
		return 0;
	return len == vl || rec[vl] == ';' || txtrec_is_wsp((unsigned char)rec[vl]);
}

/* "v = stsv1;" and the like: what an operator meant as the record but did not write exactly.
 * Counted separately so that a near miss is reported as a bad record, not as no record. */
static int txtrec_loose_prefix(const char *rec, size_t len, const char *version)
{
	size_t i = 0;
	while (i < len && txtrec_is_wsp((unsigned char)rec[i]))
		i++;
	if (i >= len || (rec[i] != 'v' && rec[i] != 'V'))
		return 0;
	i++;
	while (i < len && txtrec_is_wsp((unsigned char)rec[i]))
		i++;
	if (i >= len || rec[i] != '=')
		return 0;
	i++;
	while (i < len && txtrec_is_wsp((unsigned char)rec[i]))
		i++;
	const char *tag = strchr(version, '=');
	tag = tag ? tag + 1 : version;
	size_t tl = strlen(tag);
	if (len - i < tl || strncasecmp(rec + i, tag, tl) != 0)
		return 0;
	i += tl;
	return i == len || rec[i] == ';' || txtrec_is_wsp((unsigned char)rec[i]);
}

int txtrec_is_strict(const struct dns_rdata *rd, const char *version)
{
	return rd->type == DNS_TYPE_TXT && rd->data &&
	       txtrec_strict_prefix((const char *)rd->data, rd->len, version);
}

void txtrec_pick(const struct dns_answer *a, const char *version, struct txtrec_pick *out)
{
	memset(out, 0, sizeof *out);
	if (a == NULL || a->status != DNS_STATUS_OK)
		return;
	for (size_t i = 0; i < a->n_rr; i++) {
		const struct dns_rdata *rd = &a->rr[i];
		if (rd->type != DNS_TYPE_TXT)
			continue; /* a CNAME kept for evidence */
		out->n_txt++;
		const char *rec = rd->data ? (const char *)rd->data : "";
		if (txtrec_strict_prefix(rec, rd->len, version)) {
			if (out->n_strict++ == 0)
				out->strict = rd;
		} else if (txtrec_loose_prefix(rec, rd->len, version)) {
			if (out->n_loose++ == 0)
				out->loose = rd;
		}
	}
}

int txtrec_ext_name_ok(const char *p, size_t n)
{
	if (n < 1 || n > 32 || !isalnum((unsigned char)p[0]))
		return 0;
	for (size_t i = 1; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return 0;
	}
	return 1;
}

int txtrec_ext_value_ok(const char *p, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c < 0x21 || c > 0x7e || c == '=' || c == ';')
			return 0;
	}
	return 1;
}

int txtrec_begin(struct txtrec_iter *it, const char *rec, size_t len, const char *version,
		 char *err, size_t errlen)
{
	memset(it, 0, sizeof *it);
	it->rec = rec;
	it->len = len;
	/* Both RFCs: the record is US-ASCII; the ABNF has no room for controls other than HTAB. */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)rec[i];
		if ((c < 0x20 && c != '\t') || c > 0x7e) {
			snprintf(err, errlen, "byte 0x%02X at offset %zu is not printable US-ASCII",
				 c, i);
			return -1;
		}
	}
	if (!txtrec_strict_prefix(rec, len, version)) {
		if (txtrec_loose_prefix(rec, len, version))
			snprintf(err, errlen, "the version tag must be exactly \"%s\" "
				 "(case-sensitive, no spaces)", version);
		else
			snprintf(err, errlen, "the record does not begin with \"%s\"", version);
		return -1;
	}
	it->pos = strlen(version);
	return 0;
}

int txtrec_next(struct txtrec_iter *it, struct txtrec_field *f, char *err, size_t errlen)
{
	const char *r = it->rec;
	size_t n = it->len;
	while (it->pos < n && txtrec_is_wsp((unsigned char)r[it->pos]))
		it->pos++;
	if (it->pos < n && r[it->pos] != ';') {
		/* The record need not be NUL-terminated: quote at most what is left of it. */
		size_t left = n - it->pos;
		snprintf(err, errlen, "expected ';' at offset %zu, found \"%.*s\"", it->pos,
			 (int)(left > 20 ? 20 : left), r + it->pos);
		return -1;
	}
	if (it->pos < n) {
		it->pos++;
		while (it->pos < n && txtrec_is_wsp((unsigned char)r[it->pos]))
			it->pos++;
	}
	if (it->pos == n) { /* end, possibly after one trailing delimiter */
		if (it->n_fields == 0) {
			snprintf(err, errlen, "no field after the version tag");
			return -1;
		}
		return 0;
	}
	size_t start = it->pos;
	while (it->pos < n && r[it->pos] != '=' && r[it->pos] != ';' &&
	       !txtrec_is_wsp((unsigned char)r[it->pos]))
		it->pos++;
	f->name = r + start;
	f->name_len = it->pos - start;
	if (f->name_len == 0) {
		snprintf(err, errlen, "empty field at offset %zu", start);
		return -1;
	}
	if (it->pos == n || r[it->pos] != '=') {
		snprintf(err, errlen,
			 "field \"%.*s\" is not of the form name=value (no space around '=')",
			 (int)(f->name_len > 32 ? 32 : f->name_len), f->name);
		return -1;
	}
	if (!txtrec_ext_name_ok(f->name, f->name_len)) {
		snprintf(err, errlen,
			 "bad field name \"%.*s\" (a letter or digit, then up to 31 letters, "
			 "digits, '_', '-', '.')",
			 (int)(f->name_len > 40 ? 40 : f->name_len), f->name);
		return -1;
	}
	it->pos++; /* '=' */
	size_t vstart = it->pos;
	while (it->pos < n && r[it->pos] != ';')
		it->pos++;
	size_t vend = it->pos;
	while (vend > vstart && txtrec_is_wsp((unsigned char)r[vend - 1]))
		vend--; /* *WSP before ';' belongs to the delimiter */
	f->value = r + vstart;
	f->value_len = vend - vstart;
	it->n_fields++;
	return 1;
}

size_t txtrec_utf8_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];
	size_t len;
	unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0; /* overlong */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90; /* overlong */
		else if (c == 0xf4)
			hi = 0x8f; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (n < len || p[1] < lo || p[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (p[i] < 0x80 || p[i] > 0xbf)
			return 0;
	return len;
}

json_t *txtrec_json_bytes(const void *data, size_t n)
{
	const unsigned char *p = data;
	char *buf = xmalloc(4 * n + 1);
	size_t o = 0;
	for (size_t i = 0; i < n;) {
		if (p[i] < 0x80) {
			buf[o++] = (char)p[i++]; /* controls and NUL are escaped by jansson */
			continue;
		}
		size_t l = txtrec_utf8_len(p + i, n - i);
		if (l) {
			memcpy(buf + o, p + i, l);
			o += l;
			i += l;
		} else {
			o += (size_t)sprintf(buf + o, "\\x%02X", p[i]);
			i++;
		}
	}
	json_t *s = json_stringn(buf, o);
	free(buf);
	return s ? s : json_string("");
}

const struct dns_rdata *txtrec_one(const struct dns_answer *a, const struct txtrec_pick *pick,
				   const char *version, const char *what, const char *rule,
				   const char *name, enum check_id id, json_t *d,
				   struct result *res)
{
	if (!dns_status_is_answer(a->status)) {
		json_object_set_new(d, "reason", json_string("lookup failed"));
		result_set(res, id, d, VERDICT_DNS_ERROR, "TXT %s: %s%s%s", name,
			   dns_status_name(a->status), a->why ? ": " : "", a->why ? a->why : "");
		return NULL;
	}
	if (pick->n_strict > 1) {
		/* Not exactly one record: the domain is taken not to publish one at all. */
		json_t *all = json_array();
		for (size_t i = 0; i < a->n_rr; i++)
			if (txtrec_is_strict(&a->rr[i], version))
				json_array_append_new(all, txtrec_json_bytes(a->rr[i].data,
									     a->rr[i].len));
		json_object_set_new(d, "records", all);
		json_object_set_new(d, "reason", json_pack("s++", "several ", what, " records"));
		result_set(res, id, d, VERDICT_FAIL, "%zu %s records found; exactly one is allowed (%s)",
			   pick->n_strict, what, rule);
		return NULL;
	}
	const struct dns_rdata *rd = pick->strict ? pick->strict : pick->loose;
	if (rd == NULL) {
		json_object_set_new(d, "reason", json_string("no record"));
		if (a->status == DNS_STATUS_OK)
			result_set(res, id, d, VERDICT_ABSENT, "no %s record among %zu TXT records at %s",
				   version, pick->n_txt, name);
		else
			result_set(res, id, d, VERDICT_ABSENT, "no TXT record at %s (%s)", name,
				   dns_status_name(a->status));
	}
	return rd;
}
