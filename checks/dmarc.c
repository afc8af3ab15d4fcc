/* dmarc.c — the DMARC check: a strict RFC 7489 record parser; policy discovery by RFC 7489 §6.6.3
 * (the domain, then its PSL organizational domain: this gives the verdict) and by the DMARCbis
 * DNS tree walk (RFC 9989 §4.10: reported alongside); external report destinations (RFC 7489
 * §7.1). Pure: reads recorded answers; owns only the temporary records it parses per call. */
#include "checks/dmarc.h"

#include <ctype.h>
#include <libpsl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/result.h"
#include "common/xalloc.h"

/* Deliberate differences from mecsa-st (reference spec §3.6, §4.2, §6 item 13):
 *  - p is required and must follow v (mecsa-st accepts a record without p);
 *  - the fetch and the parser agree: only "v=DMARC1" (exact case) is a record; a v=dmarc1
 *    look-alike is reported as a failed record instead of mecsa-st's fetch-ok/syntax-fail mix;
 *  - any RFC 3986 URI is accepted in rua/ruf (mecsa-st rejects https: and any '=' in a value,
 *    e.g. mailto:...?subject=x), sizes take K/M/G/T in any case, tabs count as whitespace;
 *  - several records at _dmarc.<domain>, and failed lookups, end discovery (no fallback to the
 *    organizational domain), as RFC 7489 §6.6.3 says;
 *  - the organizational domain comes from libpsl (wildcards, exceptions, IDN handled);
 *  - "inherited" is a flag, the record text is kept as published (no appended suffix), so the
 *    dmarc_policy flag of an inherited record is not lost to mecsa-st's suffix bug. */

/* A _dmarc or _report name: room for two full names, checked against 253 before use. */
#define DMARC_QNAME_MAX (2 * DNAME_MAX + 32)
/* External destinations checked per record: bounds the _report queries a record can cause. */
#define DMARC_EXT_MAX 16
/* How much of a value an error message quotes. */
#define DMARC_QUOTE 48

static const char *const dmarc_tag_names[DMARC_TAG_MAX] = {
	[DMARC_TAG_V] = "v",	     [DMARC_TAG_P] = "p",	[DMARC_TAG_SP] = "sp",
	[DMARC_TAG_NP] = "np",	     [DMARC_TAG_ADKIM] = "adkim", [DMARC_TAG_ASPF] = "aspf",
	[DMARC_TAG_PCT] = "pct",     [DMARC_TAG_FO] = "fo",	[DMARC_TAG_RF] = "rf",
	[DMARC_TAG_RI] = "ri",	     [DMARC_TAG_RUA] = "rua",	[DMARC_TAG_RUF] = "ruf",
	[DMARC_TAG_PSD] = "psd",     [DMARC_TAG_T] = "t",
};

/* ---- the parser ---------------------------------------------------------------------------- */

/* A slice of the record being parsed. */
struct dmarc_span {
	const char *s; /* borrowed: first byte */
	size_t n;      /* length */
};

struct dmarc_parser {
	struct dmarc_record *rec; /* borrowed: the record being filled */
	char *err;		  /* borrowed: the caller's error buffer */
	size_t errlen;		  /* its size (0: no message wanted) */
};

static int dmarc_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

static struct dmarc_span dmarc_trim(struct dmarc_span sp)
{
	while (sp.n && dmarc_is_wsp(sp.s[0])) {
		sp.s++;
		sp.n--;
	}
	while (sp.n && dmarc_is_wsp(sp.s[sp.n - 1]))
		sp.n--;
	return sp;
}

static int dmarc_span_eq(struct dmarc_span sp, const char *lit)
{
	return strlen(lit) == sp.n && memcmp(sp.s, lit, sp.n) == 0;
}

/* Quoted ABNF strings are case-insensitive (RFC 5234 §2.3). */
static int dmarc_span_ieq(struct dmarc_span sp, const char *lit)
{
	return strlen(lit) == sp.n && strncasecmp(sp.s, lit, sp.n) == 0;
}

static int dmarc_quote_len(struct dmarc_span sp)
{
	return (int)(sp.n < DMARC_QUOTE ? sp.n : DMARC_QUOTE);
}

/* Record an error; the first one is the one reported. */
static void dmarc_error(struct dmarc_parser *ps, const char *tag, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void dmarc_error(struct dmarc_parser *ps, const char *tag, const char *fmt, ...)
{
	struct dmarc_record *r = ps->rec;
	if (r->n_errors++ > 0)
		return;
	snprintf(r->err_tag, sizeof r->err_tag, "%s", tag ? tag : "");
	if (ps->errlen == 0)
		return;
	int k = 0;
	if (tag && tag[0])
		k = snprintf(ps->err, ps->errlen, "%s: ", tag);
	if (k < 0 || (size_t)k >= ps->errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(ps->err + k, ps->errlen - (size_t)k, fmt, ap);
	va_end(ap);
}

static int dmarc_parse_policy(struct dmarc_span v, enum dmarc_policy *out)
{
	if (dmarc_span_ieq(v, "none"))
		*out = DMARC_POLICY_NONE;
	else if (dmarc_span_ieq(v, "quarantine"))
		*out = DMARC_POLICY_QUARANTINE;
	else if (dmarc_span_ieq(v, "reject"))
		*out = DMARC_POLICY_REJECT;
	else
		return -1;
	return 0;
}

static int dmarc_parse_align(struct dmarc_span v, enum dmarc_align *out)
{
	if (dmarc_span_ieq(v, "r"))
		*out = DMARC_ALIGN_RELAXED;
	else if (dmarc_span_ieq(v, "s"))
		*out = DMARC_ALIGN_STRICT;
	else
		return -1;
	return 0;
}

/* 1*maxdigits DIGIT into *out; -1 when not all digits, too long, or above max. */
static int dmarc_parse_uint(struct dmarc_span v, size_t maxdigits, uint64_t max, uint64_t *out)
{
	if (v.n == 0 || v.n > maxdigits)
		return -1;
	uint64_t x = 0;
	for (size_t i = 0; i < v.n; i++) {
		if (!isdigit((unsigned char)v.s[i]))
			return -1;
		x = x * 10 + (uint64_t)(v.s[i] - '0');
	}
	if (x > max)
		return -1;
	*out = x;
	return 0;
}

/* Split on sep: the next WSP-trimmed part, advancing *rest; -1 after the last one. */
static int dmarc_next_part(struct dmarc_span *rest, int *done, char sep, struct dmarc_span *part)
{
	if (*done)
		return -1;
	const char *c = memchr(rest->s, sep, rest->n);
	size_t n = c ? (size_t)(c - rest->s) : rest->n;
	*part = dmarc_trim((struct dmarc_span){rest->s, n});
	if (c) {
		rest->s = c + 1;
		rest->n -= n + 1;
	} else {
		*done = 1;
	}
	return 0;
}

static int dmarc_parse_fo(struct dmarc_parser *ps, struct dmarc_span v)
{
	struct dmarc_span rest = v, part;
	int done = 0;
	unsigned fo = 0;
	static const char opts[] = "01ds"; /* in the order of the DMARC_FO_* bits */
	while (dmarc_next_part(&rest, &done, ':', &part) == 0) {
		const char *o = part.n == 1 ? strchr(opts, tolower((unsigned char)part.s[0])) : NULL;
		if (o == NULL || *o == '\0') {
			dmarc_error(ps, "fo", "invalid option \"%.*s\" (0, 1, d or s)",
				    dmarc_quote_len(part), part.s);
			return -1;
		}
		fo |= 1u << (o - opts);
	}
	ps->rec->fo = fo;
	return 0;
}

/* RFC 5321 Keyword (Ldh-str): Let-dig [*(ALPHA / DIGIT / "-") Let-dig]. */
static int dmarc_is_keyword(struct dmarc_span k)
{
	if (k.n == 0 || !isalnum((unsigned char)k.s[0]) || !isalnum((unsigned char)k.s[k.n - 1]))
		return 0;
	for (size_t i = 0; i < k.n; i++)
		if (!isalnum((unsigned char)k.s[i]) && k.s[i] != '-')
			return 0;
	return 1;
}

static int dmarc_parse_rf(struct dmarc_parser *ps, struct dmarc_span v)
{
	struct dmarc_span rest = v, part;
	int done = 0;
	while (dmarc_next_part(&rest, &done, ':', &part) == 0) {
		if (!dmarc_is_keyword(part)) {
			dmarc_error(ps, "rf", "invalid report format \"%.*s\" (RFC 5321 Keyword)",
				    dmarc_quote_len(part), part.s);
			return -1;
		}
	}
	ps->rec->rf = xstrndup(v.s, v.n);
	return 0;
}

/* RFC 3986 characters a URI may hold here: unreserved, reserved except ',', '!' and ';' (the
 * record's own separators, which must be percent-encoded), and '%' (checked separately). */
static int dmarc_uri_char(unsigned char c)
{
	return c != '\0' && (isalnum(c) || strchr("-._~:/?#[]@$&'()*+=", c) != NULL);
}

/* Check one URI (without size); for mailto: return its host (owned) in *host. Returns 0, or -1
 * with why filled. */
static int dmarc_uri_check(struct dmarc_span u, char **host, char *why, size_t whylen)
{
	*host = NULL;
	size_t i = 0;
	if (u.n == 0 || !isalpha((unsigned char)u.s[0])) {
		snprintf(why, whylen, "no URI scheme");
		return -1;
	}
	while (i < u.n && (isalnum((unsigned char)u.s[i]) || u.s[i] == '+' || u.s[i] == '-' ||
			   u.s[i] == '.'))
		i++;
	if (i == u.n || u.s[i] != ':') {
		snprintf(why, whylen, "no URI scheme");
		return -1;
	}
	struct dmarc_span scheme = {u.s, i};
	i++;
	if (i == u.n) {
		snprintf(why, whylen, "nothing after the scheme");
		return -1;
	}
	for (size_t j = i; j < u.n; j++) {
		unsigned char c = (unsigned char)u.s[j];
		if (c == '%') {
			if (j + 2 >= u.n || !isxdigit((unsigned char)u.s[j + 1]) ||
			    !isxdigit((unsigned char)u.s[j + 2])) {
				snprintf(why, whylen, "bad percent-encoding");
				return -1;
			}
			j += 2;
		} else if (!dmarc_uri_char(c)) {
			snprintf(why, whylen, "character '%c' not allowed in a URI", c);
			return -1;
		}
	}
	if (!dmarc_span_ieq(scheme, "mailto"))
		return 0;
	/* mailto: addr-spec (RFC 6068): local@host before any '?'. */
	const char *addr = u.s + i;
	const char *q = memchr(addr, '?', u.n - i);
	size_t alen = q ? (size_t)(q - addr) : u.n - i;
	const char *at = NULL;
	for (size_t j = 0; j < alen; j++)
		if (addr[j] == '@')
			at = addr + j;
	if (at == NULL || at == addr || (size_t)(at - addr) + 1 == alen) {
		snprintf(why, whylen, "mailto: needs local-part@domain");
		return -1;
	}
	size_t hlen = alen - (size_t)(at - addr) - 1;
	char h[DNAME_MAX + 1];
	if (hlen > DNAME_MAX) {
		snprintf(why, whylen, "mailto: domain too long");
		return -1;
	}
	for (size_t j = 0; j < hlen; j++)
		h[j] = (char)tolower((unsigned char)at[1 + j]);
	h[hlen] = '\0';
	if (hlen > 1 && h[hlen - 1] == '.')
		h[hlen - 1] = '\0';
	char herr[80];
	if (dname_check_hostname(h, herr, sizeof herr) != 0) {
		snprintf(why, whylen, "mailto: domain \"%.48s\" is not a host name (%.40s)", h,
			 herr);
		return -1;
	}
	*host = xstrdup(h);
	return 0;
}

/* The obsolete-in-RFC-9989 size suffix: "!" 1*DIGIT [ "k" / "m" / "g" / "t" ]. */
static int dmarc_parse_size(struct dmarc_span s, uint64_t *out)
{
	uint64_t mult = 1;
	if (s.n && isalpha((unsigned char)s.s[s.n - 1])) {
		switch (tolower((unsigned char)s.s[s.n - 1])) {
		case 'k': mult = 1ULL << 10; break;
		case 'm': mult = 1ULL << 20; break;
		case 'g': mult = 1ULL << 30; break;
		case 't': mult = 1ULL << 40; break;
		default: return -1;
		}
		s.n--;
	}
	uint64_t x;
	if (dmarc_parse_uint(s, 19, UINT64_MAX / mult, &x) != 0)
		return -1;
	*out = x * mult;
	return 0;
}

static void dmarc_parse_urilist(struct dmarc_parser *ps, enum dmarc_tag tag, struct dmarc_span v)
{
	const char *tname = dmarc_tag_names[tag];
	struct dmarc_uri **arr = tag == DMARC_TAG_RUA ? &ps->rec->rua : &ps->rec->ruf;
	size_t *n = tag == DMARC_TAG_RUA ? &ps->rec->n_rua : &ps->rec->n_ruf;
	struct dmarc_span rest = v, part;
	int done = 0, bad = 0;
	while (dmarc_next_part(&rest, &done, ',', &part) == 0) {
		if (part.n == 0) {
			dmarc_error(ps, tname, "empty URI in the list");
			bad = 1;
			continue;
		}
		struct dmarc_span uri = part, size = {NULL, 0};
		const char *bang = memchr(part.s, '!', part.n);
		uint64_t max_size = 0;
		if (bang) {
			uri.n = (size_t)(bang - part.s);
			size = (struct dmarc_span){bang + 1, part.n - uri.n - 1};
			if (dmarc_parse_size(size, &max_size) != 0) {
				dmarc_error(ps, tname, "bad size limit \"!%.*s\" in \"%.*s\"",
					    dmarc_quote_len(size), size.s, dmarc_quote_len(part),
					    part.s);
				bad = 1;
				continue;
			}
		}
		char why[128], *host;
		if (dmarc_uri_check(uri, &host, why, sizeof why) != 0) {
			dmarc_error(ps, tname, "invalid URI \"%.*s\": %s", dmarc_quote_len(part),
				    part.s, why);
			bad = 1;
			continue;
		}
		*arr = xrealloc(*arr, (*n + 1) * sizeof **arr);
		struct dmarc_uri *d = &(*arr)[(*n)++];
		d->text = xstrndup(part.s, part.n);
		d->uri = xstrndup(uri.s, uri.n);
		d->max_size = max_size;
		d->host = host;
	}
	if (bad)
		ps->rec->bad |= 1u << tag;
}

static void dmarc_parse_value(struct dmarc_parser *ps, enum dmarc_tag tag, struct dmarc_span v)
{
	struct dmarc_record *r = ps->rec;
	const char *tname = dmarc_tag_names[tag];
	uint64_t x;
	int rc = 0;
	switch (tag) {
	case DMARC_TAG_V:
		return; /* only reachable as a repeat, handled by the caller */
	case DMARC_TAG_P:
		rc = dmarc_parse_policy(v, &r->p);
		break;
	case DMARC_TAG_SP:
		rc = dmarc_parse_policy(v, &r->sp);
		break;
	case DMARC_TAG_NP:
		rc = dmarc_parse_policy(v, &r->np);
		break;
	case DMARC_TAG_ADKIM:
		rc = dmarc_parse_align(v, &r->adkim);
		break;
	case DMARC_TAG_ASPF:
		rc = dmarc_parse_align(v, &r->aspf);
		break;
	case DMARC_TAG_PCT:
		if (dmarc_parse_uint(v, 3, 100, &x) != 0) {
			dmarc_error(ps, tname, "invalid value \"%.*s\" (an integer 0-100)",
				    dmarc_quote_len(v), v.s);
			r->bad |= 1u << tag;
			return;
		}
		r->pct = (int)x;
		return;
	case DMARC_TAG_RI:
		if (dmarc_parse_uint(v, 10, UINT32_MAX, &x) != 0) {
			dmarc_error(ps, tname, "invalid value \"%.*s\" (seconds, a 32-bit integer)",
				    dmarc_quote_len(v), v.s);
			r->bad |= 1u << tag;
			return;
		}
		r->ri = (uint32_t)x;
		return;
	case DMARC_TAG_FO:
		if (dmarc_parse_fo(ps, v) != 0)
			r->bad |= 1u << tag;
		return;
	case DMARC_TAG_RF:
		if (dmarc_parse_rf(ps, v) != 0)
			r->bad |= 1u << tag;
		return;
	case DMARC_TAG_RUA:
	case DMARC_TAG_RUF:
		dmarc_parse_urilist(ps, tag, v);
		return;
	case DMARC_TAG_PSD:
		if (dmarc_span_ieq(v, "y"))
			r->psd = DMARC_PSD_Y;
		else if (dmarc_span_ieq(v, "n"))
			r->psd = DMARC_PSD_N;
		else if (dmarc_span_ieq(v, "u"))
			r->psd = DMARC_PSD_U;
		else
			rc = -1;
		break;
	case DMARC_TAG_T:
		if (dmarc_span_ieq(v, "y"))
			r->t = 1;
		else if (!dmarc_span_ieq(v, "n"))
			rc = -1;
		break;
	case DMARC_TAG_MAX:
		return;
	}
	if (rc != 0) {
		static const char *const allowed[DMARC_TAG_MAX] = {
			[DMARC_TAG_P] = "none, quarantine or reject",
			[DMARC_TAG_SP] = "none, quarantine or reject",
			[DMARC_TAG_NP] = "none, quarantine or reject",
			[DMARC_TAG_ADKIM] = "r or s",
			[DMARC_TAG_ASPF] = "r or s",
			[DMARC_TAG_PSD] = "y, n or u",
			[DMARC_TAG_T] = "y or n",
		};
		dmarc_error(ps, tname, "invalid value \"%.*s\" (%s)", dmarc_quote_len(v), v.s,
			    allowed[tag] ? allowed[tag] : "?");
		r->bad |= 1u << tag;
	}
}

static void dmarc_parse_tag(struct dmarc_parser *ps, struct dmarc_span spec, size_t pos)
{
	struct dmarc_record *r = ps->rec;
	const char *eq = memchr(spec.s, '=', spec.n);
	if (eq == NULL) {
		dmarc_error(ps, NULL, "tag \"%.*s\" has no '='", dmarc_quote_len(spec), spec.s);
		return;
	}
	struct dmarc_span name = dmarc_trim((struct dmarc_span){spec.s, (size_t)(eq - spec.s)});
	struct dmarc_span val =
		dmarc_trim((struct dmarc_span){eq + 1, spec.n - (size_t)(eq - spec.s) - 1});
	if (name.n == 0) {
		dmarc_error(ps, NULL, "empty tag name before '='");
		return;
	}
	for (size_t i = 0; i < name.n; i++)
		if (!isalpha((unsigned char)name.s[i])) {
			dmarc_error(ps, NULL, "invalid tag name \"%.*s\" (letters only)",
				    dmarc_quote_len(name), name.s);
			return;
		}
	char tname[sizeof r->err_tag];
	snprintf(tname, sizeof tname, "%.*s", (int)name.n, name.s);

	int tag = -1;
	for (int i = 0; i < DMARC_TAG_MAX; i++)
		if (dmarc_span_eq(name, dmarc_tag_names[i]))
			tag = i;
	if (tag < 0) {
		/* Unknown tags MUST be ignored (RFC 7489 §6.3); repeating one is still an error. */
		for (size_t i = 0; i < r->n_unknown; i++)
			if (dmarc_span_eq(name, r->unknown[i])) {
				dmarc_error(ps, tname, "repeated tag");
				return;
			}
		r->unknown = xrealloc(r->unknown, (r->n_unknown + 1) * sizeof *r->unknown);
		r->unknown[r->n_unknown++] = xstrndup(name.s, name.n);
		if (val.n == 0)
			dmarc_error(ps, tname, "empty value");
		return;
	}
	unsigned bit = 1u << tag;
	if (r->seen & bit) {
		dmarc_error(ps, tname, "repeated tag");
		r->bad |= bit;
		return;
	}
	r->seen |= bit;
	if (val.n == 0) {
		dmarc_error(ps, tname, "empty value");
		r->bad |= bit;
		return;
	}
	if (tag == DMARC_TAG_P && pos != 1)
		dmarc_error(ps, tname, "must be the second tag, right after v (RFC 7489 §6.4)");
	dmarc_parse_value(ps, (enum dmarc_tag)tag, val);
}

static int dmarc_fatal(struct dmarc_parser *ps, const char *tag, const char *why)
{
	ps->rec->fatal = 1;
	dmarc_error(ps, tag, "%s", why);
	return -1;
}

int dmarc_parse(const char *txt, size_t len, struct dmarc_record *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->pct = 100;
	out->ri = 86400;
	if (errlen)
		err[0] = '\0';
	struct dmarc_parser ps = {out, err, errlen};
	char why[96];

	if (txt == NULL || len == 0)
		return dmarc_fatal(&ps, NULL, "empty record");
	if (len > DMARC_TXT_MAX) {
		snprintf(why, sizeof why, "record too long (%zu bytes, at most %d)", len,
			 DMARC_TXT_MAX);
		return dmarc_fatal(&ps, NULL, why);
	}
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)txt[i];
		if (c != '\t' && (c < 0x20 || c > 0x7e)) {
			snprintf(why, sizeof why,
				 "byte 0x%02x at offset %zu is not printable ASCII", c, i);
			return dmarc_fatal(&ps, NULL, why);
		}
	}

	const char *p = txt, *end = txt + len;
	for (size_t pos = 0;; pos++) {
		const char *semi = memchr(p, ';', (size_t)(end - p));
		const char *stop = semi ? semi : end;
		struct dmarc_span spec = dmarc_trim((struct dmarc_span){p, (size_t)(stop - p)});
		if (pos == 0) {
			const char *eq = memchr(spec.s, '=', spec.n);
			struct dmarc_span name = {spec.s, eq ? (size_t)(eq - spec.s) : 0};
			if (eq == NULL || !dmarc_span_eq(dmarc_trim(name), "v"))
				return dmarc_fatal(&ps, "v", "the record must start with v=DMARC1");
			struct dmarc_span v = dmarc_trim(
				(struct dmarc_span){eq + 1, spec.n - (size_t)(eq - spec.s) - 1});
			if (!dmarc_span_eq(v, "DMARC1")) {
				snprintf(why, sizeof why,
					 "version must be exactly \"DMARC1\" (case-sensitive), not "
					 "\"%.*s\"",
					 dmarc_quote_len(v), v.s);
				return dmarc_fatal(&ps, "v", why);
			}
			out->seen |= 1u << DMARC_TAG_V;
		} else if (spec.n == 0) {
			if (semi) /* the ABNF allows one trailing separator, not empty tags */
				dmarc_error(&ps, NULL, "empty tag between two ';'");
		} else {
			dmarc_parse_tag(&ps, spec, pos);
		}
		if (semi == NULL)
			break;
		p = semi + 1;
	}
	if (!(out->seen & (1u << DMARC_TAG_P)))
		dmarc_error(&ps, "p", "required tag missing (RFC 7489 §6.3)");
	return out->n_errors ? -1 : 0;
}

static void dmarc_uris_free(struct dmarc_uri *u, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(u[i].text);
		free(u[i].uri);
		free(u[i].host);
	}
	free(u);
}

void dmarc_record_clear(struct dmarc_record *r)
{
	if (r == NULL)
		return;
	dmarc_uris_free(r->rua, r->n_rua);
	dmarc_uris_free(r->ruf, r->n_ruf);
	for (size_t i = 0; i < r->n_unknown; i++)
		free(r->unknown[i]);
	free(r->unknown);
	free(r->rf);
	memset(r, 0, sizeof *r);
}

/* "v" *WSP "=" *WSP "DMARC1" then end, WSP or ';'. */
static int dmarc_txt_version(const unsigned char *d, size_t len, int exact)
{
	size_t i = 0;
	if (d == NULL)
		return 0;
	while (i < len && dmarc_is_wsp((char)d[i]))
		i++;
	if (i >= len || !(d[i] == 'v' || (!exact && d[i] == 'V')))
		return 0;
	i++;
	while (i < len && dmarc_is_wsp((char)d[i]))
		i++;
	if (i >= len || d[i] != '=')
		return 0;
	i++;
	while (i < len && dmarc_is_wsp((char)d[i]))
		i++;
	if (len - i < 6)
		return 0;
	if (exact ? memcmp(d + i, "DMARC1", 6) != 0
		  : strncasecmp((const char *)d + i, "DMARC1", 6) != 0)
		return 0;
	i += 6;
	/* The look-alike rule is mecsa-st's plain prefix test: "v=dmarc1x" is a candidate too. */
	return !exact || i == len || d[i] == ';' || dmarc_is_wsp((char)d[i]);
}

int dmarc_txt_is_record(const unsigned char *data, size_t len)
{
	return dmarc_txt_version(data, len, 1);
}

int dmarc_txt_is_candidate(const unsigned char *data, size_t len)
{
	return dmarc_txt_version(data, len, 0);
}

const char *dmarc_policy_name(enum dmarc_policy p)
{
	switch (p) {
	case DMARC_POLICY_NONE: return "none";
	case DMARC_POLICY_QUARANTINE: return "quarantine";
	case DMARC_POLICY_REJECT: return "reject";
	default: return NULL;
	}
}

const char *dmarc_org_domain(const char *name, char *out, size_t outlen)
{
	const psl_ctx_t *psl = psl_builtin();
	char canon[DNAME_MAX];
	dname_canonical(name, canon, sizeof canon);
	const char *reg = psl ? psl_registrable_domain(psl, canon) : NULL;
	if (reg == NULL || strlen(reg) >= outlen)
		return NULL;
	memcpy(out, reg, strlen(reg) + 1);
	return out;
}

static size_t dmarc_labels(const char *name)
{
	if (name[0] == '\0')
		return 0;
	size_t n = 1;
	for (const char *p = name; *p; p++)
		n += *p == '.';
	return n;
}

/* The last keep labels of name. */
static const char *dmarc_suffix(const char *name, size_t keep)
{
	size_t n = dmarc_labels(name);
	const char *p = name;
	while (n > keep && p) {
		p = strchr(p, '.');
		if (p)
			p++;
		n--;
	}
	return p ? p : name;
}

size_t dmarc_walk_names(const char *domain, char names[][DNAME_MAX], size_t max)
{
	size_t n = 0;
	if (max > DMARC_WALK_MAX)
		max = DMARC_WALK_MAX;
	if (domain == NULL || domain[0] == '\0' || max == 0)
		return 0;
	dname_canonical(domain, names[n++], DNAME_MAX);
	size_t labels = dmarc_labels(names[0]);
	/* RFC 9989 §4.10 step 4: from eight labels on, jump straight to the last seven. */
	const char *next = labels >= 8 ? dmarc_suffix(names[0], 7) : dname_parent(names[0]);
	for (; next && n < max; next = dname_parent(next))
		snprintf(names[n++], DNAME_MAX, "%s", next);
	return n;
}

/* ---- policy discovery over the evidence ----------------------------------------------------- */

enum dmarc_ans {
	DMARC_ANS_NEED = 0, /* never asked (or the gathering stopped first) */
	DMARC_ANS_FAILED,   /* SERVFAIL, timeout, refused, error */
	DMARC_ANS_OK,	    /* a definite answer: records, NODATA or NXDOMAIN */
};

/* What the TXT answer at _dmarc.<name> holds. */
struct dmarc_at {
	char qname[DMARC_QNAME_MAX];	   /* _dmarc.<name> */
	const struct dns_answer *a;	   /* borrowed: the recorded answer, NULL when none */
	enum dmarc_ans state;		   /* see enum */
	size_t n_records;		   /* TXT records starting with v=DMARC1 */
	const struct dns_rdata *record;	   /* borrowed: the first of them */
	const struct dns_rdata *lookalike; /* borrowed: a v=dmarc1 look-alike that is not one */
};

static enum dmarc_ans dmarc_answer_state(const struct dns_answer *a)
{
	if (a == NULL || a->status == DNS_STATUS_NOT_QUERIED)
		return DMARC_ANS_NEED;
	return dns_status_is_answer(a->status) ? DMARC_ANS_OK : DMARC_ANS_FAILED;
}

/* Fill at for the TXT answer of qname (built from prefix + name). */
static void dmarc_at_lookup(const struct evidence *ev, const char *prefix, const char *name,
			    struct dmarc_at *at)
{
	memset(at, 0, sizeof *at);
	snprintf(at->qname, sizeof at->qname, "%s%s", prefix, name);
	if (strlen(at->qname) > DNAME_MAX - 1) {
		/* Longer than a DNS name can be: nothing can be published there. */
		at->state = DMARC_ANS_OK;
		return;
	}
	at->a = evidence_dns_find(ev, at->qname, DNS_TYPE_TXT);
	at->state = dmarc_answer_state(at->a);
	if (at->state != DMARC_ANS_OK)
		return;
	for (size_t i = 0; i < at->a->n_rr; i++) {
		const struct dns_rdata *rr = &at->a->rr[i];
		if (rr->type != DNS_TYPE_TXT)
			continue; /* a CNAME kept for the record */
		if (dmarc_txt_is_record(rr->data, rr->len)) {
			if (at->n_records++ == 0)
				at->record = rr;
		} else if (at->lookalike == NULL && dmarc_txt_is_candidate(rr->data, rr->len)) {
			at->lookalike = rr;
		}
	}
}

enum dmarc_disc {
	DMARC_DISC_NEED = 0,  /* an answer is still missing: need names the question */
	DMARC_DISC_FOUND,     /* one record applies: rr */
	DMARC_DISC_MULTIPLE,  /* RFC 7489: several records where discovery stopped */
	DMARC_DISC_ABSENT,    /* no record anywhere it was looked for */
	DMARC_DISC_DNS_ERROR, /* a lookup that decides the outcome failed: failed */
};

/* RFC 7489 §6.6.3 discovery. */
struct dmarc_rfc {
	enum dmarc_disc status;		    /* outcome */
	char need[DMARC_QNAME_MAX];	    /* NEED: the TXT name still to ask */
	char org[DNAME_MAX];		    /* PSL organizational domain, "" when none */
	char policy_domain[DNAME_MAX];	    /* FOUND/MULTIPLE: where the records are */
	char at[DMARC_QNAME_MAX];	    /* the _dmarc name that decided (found, failed) */
	int inherited;			    /* found at the organizational domain */
	size_t n_records;		    /* records at that name */
	const struct dns_rdata *rr;	    /* borrowed: FOUND: the record */
	const struct dns_answer *failed;    /* borrowed: DNS_ERROR: the failed answer */
	const struct dns_rdata *lookalike;  /* borrowed: a v=dmarc1 look-alike met on the way */
	char lookalike_at[DMARC_QNAME_MAX]; /* where it was */
};

/* One step: returns 1 when discovery is decided at this name. */
static int dmarc_rfc_step(struct dmarc_rfc *d, const struct dmarc_at *at, const char *name,
			  int inherited)
{
	switch (at->state) {
	case DMARC_ANS_NEED:
		d->status = DMARC_DISC_NEED;
		snprintf(d->need, sizeof d->need, "%s", at->qname);
		return 1;
	case DMARC_ANS_FAILED:
		d->status = DMARC_DISC_DNS_ERROR;
		d->failed = at->a;
		snprintf(d->at, sizeof d->at, "%s", at->qname);
		return 1;
	case DMARC_ANS_OK:
		break;
	}
	if (at->lookalike && d->lookalike == NULL) {
		d->lookalike = at->lookalike;
		snprintf(d->lookalike_at, sizeof d->lookalike_at, "%s", at->qname);
	}
	if (at->n_records == 0)
		return 0;
	d->status = at->n_records == 1 ? DMARC_DISC_FOUND : DMARC_DISC_MULTIPLE;
	d->n_records = at->n_records;
	d->rr = at->record;
	d->inherited = inherited;
	snprintf(d->policy_domain, sizeof d->policy_domain, "%s", name);
	snprintf(d->at, sizeof d->at, "%s", at->qname);
	return 1;
}

static void dmarc_rfc_discover(const struct evidence *ev, struct dmarc_rfc *d)
{
	memset(d, 0, sizeof *d);
	if (dmarc_org_domain(ev->domain, d->org, sizeof d->org) == NULL)
		d->org[0] = '\0';
	struct dmarc_at at;
	dmarc_at_lookup(ev, "_dmarc.", ev->domain, &at);
	/* Several records at the domain end discovery (§6.6.3 step 5): no fallback, unlike
	 * mecsa-st, which also falls back after timeouts. */
	if (dmarc_rfc_step(d, &at, ev->domain, 0))
		return;
	if (d->org[0] && !dname_equal(d->org, ev->domain)) {
		dmarc_at_lookup(ev, "_dmarc.", d->org, &at);
		if (dmarc_rfc_step(d, &at, d->org, 1))
			return;
	}
	d->status = DMARC_DISC_ABSENT;
}

/* psd= of a record that is one, or DMARC_PSD_UNSET (also when the tag is invalid). */
static enum dmarc_psd dmarc_rr_psd(const struct dns_rdata *rr)
{
	struct dmarc_record rec;
	dmarc_parse((const char *)rr->data, rr->len, &rec, NULL, 0);
	enum dmarc_psd psd = (rec.bad & (1u << DMARC_TAG_PSD)) ? DMARC_PSD_UNSET : rec.psd;
	dmarc_record_clear(&rec);
	return psd;
}

/* RFC 9989 §4.10.1 policy discovery with the §4.10 tree walk and §4.10.2 organizational domain. */
struct dmarc_bis {
	enum dmarc_disc status;			       /* outcome (never MULTIPLE: discarded) */
	char need[DMARC_QNAME_MAX];		       /* NEED: the TXT name still to ask */
	size_t n_queried;			       /* _dmarc names answered, in walk order */
	char queried[DMARC_WALK_MAX][DMARC_QNAME_MAX]; /* those names */
	size_t n_discarded;			       /* names holding several records */
	char org[DNAME_MAX];			       /* org domain, "" when not needed */
	char policy_domain[DNAME_MAX];		       /* FOUND: domain whose record applies */
	char at[DMARC_QNAME_MAX];		       /* its _dmarc name, or the failed one */
	int inherited;				       /* the record is not the domain's own */
	int from_psd;				       /* the record is a PSD's (psd=y) */
	const struct dns_rdata *rr;		       /* borrowed: FOUND: the record */
	const struct dns_answer *failed;	       /* borrowed: DNS_ERROR: the failed answer */
};

static void dmarc_bis_discover(const struct evidence *ev, struct dmarc_bis *d)
{
	memset(d, 0, sizeof *d);
	char names[DMARC_WALK_MAX][DNAME_MAX];
	size_t nn = dmarc_walk_names(ev->domain, names, DMARC_WALK_MAX);
	struct {
		size_t idx;		    /* index into names */
		const struct dns_rdata *rr; /* borrowed: the single record there */
		enum dmarc_psd psd;	    /* its psd= */
	} found[DMARC_WALK_MAX];
	size_t nf = 0;
	struct dmarc_at at;

	for (size_t i = 0; i < nn; i++) {
		dmarc_at_lookup(ev, "_dmarc.", names[i], &at);
		if (at.state == DMARC_ANS_NEED) {
			d->status = DMARC_DISC_NEED;
			snprintf(d->need, sizeof d->need, "%s", at.qname);
			return;
		}
		if (at.state == DMARC_ANS_FAILED) {
			/* Whatever this name holds could change the outcome: stop undecided. */
			d->status = DMARC_DISC_DNS_ERROR;
			d->failed = at.a;
			snprintf(d->at, sizeof d->at, "%s", at.qname);
			return;
		}
		snprintf(d->queried[d->n_queried++], sizeof d->queried[0], "%s", at.qname);
		if (at.n_records > 1) /* §4.10 step 2/6: several records are all discarded */
			d->n_discarded++;
		if (at.n_records != 1)
			continue;
		if (i == 0) { /* the Author Domain's own record: no walk needed */
			d->status = DMARC_DISC_FOUND;
			d->rr = at.record;
			snprintf(d->policy_domain, sizeof d->policy_domain, "%s", names[0]);
			snprintf(d->at, sizeof d->at, "%s", at.qname);
			return;
		}
		found[nf].idx = i;
		found[nf].rr = at.record;
		found[nf].psd = dmarc_rr_psd(at.record);
		nf++;
		if (found[nf - 1].psd == DMARC_PSD_Y || found[nf - 1].psd == DMARC_PSD_N)
			break; /* step 6: a psd=y or psd=n record stops the walk */
	}
	if (nf == 0) {
		d->status = DMARC_DISC_ABSENT;
		return;
	}
	/* §4.10.2, longest to shortest: psd=n is the org; psd=y makes the name one label below it
	 * the org; otherwise the record with the fewest labels is. */
	const struct dns_rdata *org_rr = NULL, *psd_rr = NULL;
	const char *psd_name = NULL;
	for (size_t k = 0; k < nf && d->org[0] == '\0'; k++) {
		const char *nm = names[found[k].idx];
		if (found[k].psd == DMARC_PSD_N) {
			snprintf(d->org, sizeof d->org, "%s", nm);
			org_rr = found[k].rr;
		} else if (found[k].psd == DMARC_PSD_Y) {
			snprintf(d->org, sizeof d->org, "%s",
				 dmarc_suffix(names[0], dmarc_labels(nm) + 1));
			psd_rr = found[k].rr;
			psd_name = nm;
		}
	}
	if (d->org[0] == '\0') {
		snprintf(d->org, sizeof d->org, "%s", names[found[nf - 1].idx]);
		org_rr = found[nf - 1].rr;
	}
	if (org_rr == NULL) /* org below a PSD: its own record if the walk met one */
		for (size_t k = 0; k < nf; k++)
			if (dname_equal(names[found[k].idx], d->org))
				org_rr = found[k].rr;
	d->status = DMARC_DISC_FOUND;
	d->inherited = 1;
	if (org_rr) {
		d->rr = org_rr;
		snprintf(d->policy_domain, sizeof d->policy_domain, "%s", d->org);
	} else {
		d->rr = psd_rr;
		d->from_psd = 1;
		snprintf(d->policy_domain, sizeof d->policy_domain, "%s", psd_name);
	}
	snprintf(d->at, sizeof d->at, "_dmarc.%s", d->policy_domain);
}

/* ---- external report destinations (RFC 7489 §7.1) ------------------------------------------ */

struct dmarc_ext {
	const struct dmarc_uri *u;   /* borrowed: the destination */
	const char *tag;	     /* "rua" or "ruf" */
	char qname[DMARC_QNAME_MAX]; /* <policy-domain>._report._dmarc.<host> */
	int too_long;		     /* qname exceeds 253 characters: cannot be asked */
};

static const char *dmarc_org_or_self(const char *name, char *buf, size_t len)
{
	const char *o = dmarc_org_domain(name, buf, len);
	return o ? o : name;
}

/* The mailto: destinations of rec outside the organizational domain of policy_domain. */
static size_t dmarc_externals(const struct dmarc_record *rec, const char *policy_domain,
			      struct dmarc_ext *out, size_t max)
{
	char pbuf[DNAME_MAX], hbuf[DNAME_MAX];
	const char *porg = dmarc_org_or_self(policy_domain, pbuf, sizeof pbuf);
	size_t n = 0;
	for (int list = 0; list < 2; list++) {
		const struct dmarc_uri *u = list ? rec->ruf : rec->rua;
		size_t nu = list ? rec->n_ruf : rec->n_rua;
		for (size_t i = 0; i < nu && n < max; i++) {
			if (u[i].host == NULL)
				continue;
			if (dname_equal(dmarc_org_or_self(u[i].host, hbuf, sizeof hbuf), porg))
				continue;
			struct dmarc_ext *e = &out[n++];
			e->u = &u[i];
			e->tag = list ? "ruf" : "rua";
			snprintf(e->qname, sizeof e->qname, "%s._report._dmarc.%s", policy_domain,
				 u[i].host);
			e->too_long = strlen(e->qname) > DNAME_MAX - 1;
		}
	}
	return n;
}

/* ---- the check ------------------------------------------------------------------------------ */

static size_t dmarc_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	size_t n = 0;
	struct dmarc_rfc rfc;
	struct dmarc_bis bis;
	dmarc_rfc_discover(ev, &rfc);
	dmarc_bis_discover(ev, &bis);
	if (rfc.status == DMARC_DISC_NEED)
		check_plan_ask(ev, q, max, &n, rfc.need, DNS_TYPE_TXT, 0);
	if (bis.status == DMARC_DISC_NEED)
		check_plan_ask(ev, q, max, &n, bis.need, DNS_TYPE_TXT, 0);
	if (rfc.status == DMARC_DISC_FOUND) {
		struct dmarc_record rec;
		struct dmarc_ext ext[DMARC_EXT_MAX];
		dmarc_parse((const char *)rfc.rr->data, rfc.rr->len, &rec, NULL, 0);
		size_t ne = dmarc_externals(&rec, rfc.policy_domain, ext, DMARC_EXT_MAX);
		for (size_t i = 0; i < ne; i++)
			if (!ext[i].too_long)
				check_plan_ask(ev, q, max, &n, ext[i].qname, DNS_TYPE_TXT, 0);
		dmarc_record_clear(&rec);
	}
	return n;
}

/* TXT data as a JSON string: non-printable bytes as \xHH (JSON strings must be UTF-8), bounded. */
static json_t *dmarc_json_text(const struct dns_rdata *rr)
{
	if (rr == NULL)
		return json_null();
	size_t len = rr->data ? rr->len : 0;
	size_t take = len > DMARC_TXT_MAX ? DMARC_TXT_MAX : len;
	char *buf = xmalloc(take * 4 + 4);
	size_t o = 0;
	for (size_t i = 0; i < take; i++) {
		unsigned char c = rr->data[i];
		if (c >= 0x20 && c <= 0x7e)
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, 5, "\\x%02x", c);
	}
	if (take < len)
		o += (size_t)snprintf(buf + o, 4, "...");
	buf[o] = '\0';
	json_t *j = json_string(buf);
	free(buf);
	return j;
}

static json_t *dmarc_json_str(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *dmarc_uris_json(const struct dmarc_uri *u, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_string(u[i].text));
	return a;
}

static const char *dmarc_align_name(enum dmarc_align a)
{
	return a == DMARC_ALIGN_STRICT ? "s" : "r";
}

static const char *dmarc_psd_name(enum dmarc_psd p)
{
	switch (p) {
	case DMARC_PSD_Y: return "y";
	case DMARC_PSD_N: return "n";
	case DMARC_PSD_U: return "u";
	default: return NULL;
	}
}

/* The tag fields of the detail; rec NULL (no record) gives the same keys, empty. Policy tags
 * are as published (null when absent: absence means something); pct, adkim, aspf, ri carry the
 * RFC default when absent. */
static void dmarc_record_json(json_t *d, const struct dmarc_record *rec)
{
	json_t *unknown = json_array();
	for (size_t i = 0; rec && i < rec->n_unknown; i++)
		json_array_append_new(unknown, json_string(rec->unknown[i]));
	json_t *fo = json_array();
	static const char *const fo_names[] = {"0", "1", "d", "s"};
	for (unsigned i = 0; rec && i < 4; i++)
		if (rec->fo & (1u << i))
			json_array_append_new(fo, json_string(fo_names[i]));
	json_object_set_new(d, "p", dmarc_json_str(rec ? dmarc_policy_name(rec->p) : NULL));
	json_object_set_new(d, "sp", dmarc_json_str(rec ? dmarc_policy_name(rec->sp) : NULL));
	json_object_set_new(d, "np", dmarc_json_str(rec ? dmarc_policy_name(rec->np) : NULL));
	json_object_set_new(d, "pct", rec ? json_integer(rec->pct) : json_null());
	json_object_set_new(d, "adkim", dmarc_json_str(rec ? dmarc_align_name(rec->adkim) : NULL));
	json_object_set_new(d, "aspf", dmarc_json_str(rec ? dmarc_align_name(rec->aspf) : NULL));
	json_object_set_new(d, "fo", fo);
	json_object_set_new(d, "rf", dmarc_json_str(rec ? rec->rf : NULL));
	json_object_set_new(d, "ri", rec ? json_integer(rec->ri) : json_null());
	json_object_set_new(d, "psd", dmarc_json_str(rec ? dmarc_psd_name(rec->psd) : NULL));
	json_object_set_new(d, "t", json_boolean(rec && rec->t));
	json_object_set_new(d, "rua", dmarc_uris_json(rec ? rec->rua : NULL, rec ? rec->n_rua : 0));
	json_object_set_new(d, "ruf", dmarc_uris_json(rec ? rec->ruf : NULL, rec ? rec->n_ruf : 0));
	json_object_set_new(d, "rua_present",
			    json_boolean(rec && (rec->seen & (1u << DMARC_TAG_RUA))));
	json_object_set_new(d, "ruf_present",
			    json_boolean(rec && (rec->seen & (1u << DMARC_TAG_RUF))));
	json_object_set_new(d, "unknown_tags", unknown);
}

/* The policy that applies to the tested domain: p for a record of its own, else sp when valid
 * (np would need to know the domain does not exist, and a scanned domain usually does). */
static enum dmarc_policy dmarc_effective(const struct dmarc_record *rec, int inherited)
{
	if (inherited && rec->sp != DMARC_POLICY_UNSET && !(rec->bad & (1u << DMARC_TAG_SP)))
		return rec->sp;
	return (rec->bad & (1u << DMARC_TAG_P)) ? DMARC_POLICY_UNSET : rec->p;
}

static const char *dmarc_disc_name(enum dmarc_disc s)
{
	switch (s) {
	case DMARC_DISC_NEED: return "not_queried";
	case DMARC_DISC_FOUND: return "pass";
	case DMARC_DISC_MULTIPLE: return "fail";
	case DMARC_DISC_ABSENT: return "absent";
	case DMARC_DISC_DNS_ERROR: return "dns_error";
	}
	return "?";
}

/* The DMARCbis result object: same evidence, the tree walk instead of the PSL. */
static json_t *dmarc_bis_json(const struct dmarc_bis *b)
{
	json_t *o = json_object();
	json_t *queried = json_array();
	for (size_t i = 0; i < b->n_queried; i++)
		json_array_append_new(queried, json_string(b->queried[i]));
	const char *status = dmarc_disc_name(b->status);
	const char *reason = NULL;
	struct dmarc_record rec;
	int have = 0;
	enum dmarc_policy p = DMARC_POLICY_UNSET;
	int p_defaulted = 0;
	if (b->status == DMARC_DISC_FOUND) {
		dmarc_parse((const char *)b->rr->data, b->rr->len, &rec, NULL, 0);
		have = 1;
		int p_ok = (rec.seen & (1u << DMARC_TAG_P)) && !(rec.bad & (1u << DMARC_TAG_P));
		int sub_ok = !(rec.bad & ((1u << DMARC_TAG_SP) | (1u << DMARC_TAG_NP)));
		if (rec.fatal) {
			status = "fail";
			reason = "the record does not parse: no DMARC processing";
		} else if (p_ok && sub_ok) {
			p = rec.p;
		} else if (rec.n_rua > 0) {
			/* §4.10.1: no valid p (or a bad sp/np) but a valid rua: act as p=none. */
			p = DMARC_POLICY_NONE;
			p_defaulted = 1;
		} else {
			status = "fail";
			reason = "no valid p tag and no valid rua: no DMARC processing (§4.10.1)";
		}
	} else if (b->status == DMARC_DISC_DNS_ERROR) {
		reason = "a lookup of the tree walk failed";
	} else if (b->status == DMARC_DISC_NEED) {
		reason = "a lookup of the tree walk was not performed";
	}
	enum dmarc_policy eff = p;
	if (have && p != DMARC_POLICY_UNSET && b->inherited && !p_defaulted &&
	    rec.sp != DMARC_POLICY_UNSET)
		eff = rec.sp;
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "reason", dmarc_json_str(reason));
	json_object_set_new(o, "record", have ? dmarc_json_text(b->rr) : json_null());
	json_object_set_new(o, "found_at", b->status == DMARC_DISC_FOUND ? json_string(b->at)
									    : json_null());
	json_object_set_new(o, "failed_at", b->status == DMARC_DISC_DNS_ERROR ? json_string(b->at)
										 : json_null());
	json_object_set_new(o, "inherited", json_boolean(b->inherited));
	json_object_set_new(o, "from_psd", json_boolean(b->from_psd));
	json_object_set_new(o, "org_domain", b->org[0] ? json_string(b->org) : json_null());
	json_object_set_new(o, "p", dmarc_json_str(dmarc_policy_name(p)));
	json_object_set_new(o, "p_defaulted", json_boolean(p_defaulted));
	json_object_set_new(o, "effective_policy", dmarc_json_str(dmarc_policy_name(eff)));
	json_object_set_new(o, "psd", dmarc_json_str(have ? dmarc_psd_name(rec.psd) : NULL));
	json_object_set_new(o, "t", json_boolean(have && rec.t));
	json_object_set_new(o, "discarded_multiple", json_integer((json_int_t)b->n_discarded));
	json_object_set_new(o, "queries", queried);
	if (have)
		dmarc_record_clear(&rec);
	return o;
}

/* The external destinations array; counts the ones that did not authorize reports. */
static json_t *dmarc_ext_json(const struct evidence *ev, const struct dmarc_record *rec,
			      const char *policy_domain, size_t *unauthorized)
{
	json_t *arr = json_array();
	struct dmarc_ext ext[DMARC_EXT_MAX];
	size_t ne = dmarc_externals(rec, policy_domain, ext, DMARC_EXT_MAX);
	*unauthorized = 0;
	for (size_t i = 0; i < ne; i++) {
		json_t *auth = json_null();
		const char *lookup = "not_queried";
		if (ext[i].too_long) {
			lookup = "name_too_long";
		} else {
			struct dmarc_at at;
			dmarc_at_lookup(ev, "", ext[i].qname, &at);
			if (at.a)
				lookup = dns_status_name(at.a->status);
			if (at.state == DMARC_ANS_OK) {
				auth = json_boolean(at.n_records > 0);
				if (at.n_records == 0)
					(*unauthorized)++;
			}
		}
		json_t *e = json_pack("{s:s, s:s, s:s, s:s, s:o, s:s}", "uri", ext[i].u->uri, "tag",
				      ext[i].tag, "domain", ext[i].u->host, "query", ext[i].qname,
				      "authorized", auth, "lookup", lookup);
		json_array_append_new(arr, e);
	}
	return arr;
}

static void dmarc_evaluate(const struct evidence *ev, struct result *res)
{
	struct dmarc_rfc rfc;
	struct dmarc_bis bis;
	dmarc_rfc_discover(ev, &rfc);
	dmarc_bis_discover(ev, &bis);

	/* The record judged: the one found, else a v=dmarc1 look-alike (a broken record is a
	 * finding, not an absence). */
	const struct dns_rdata *rr = NULL;
	const char *rr_at = NULL;
	if (rfc.status == DMARC_DISC_FOUND || rfc.status == DMARC_DISC_MULTIPLE) {
		rr = rfc.rr;
		rr_at = rfc.at;
	} else if (rfc.status == DMARC_DISC_ABSENT && rfc.lookalike) {
		rr = rfc.lookalike;
		rr_at = rfc.lookalike_at;
	}
	struct dmarc_record rec;
	memset(&rec, 0, sizeof rec);
	char err[DMARC_QNAME_MAX + 64] = "";
	int valid = 0, have = 0;
	if (rr) {
		valid = dmarc_parse((const char *)rr->data, rr->len, &rec, err, sizeof err) == 0;
		have = 1;
	}
	if (rfc.status == DMARC_DISC_MULTIPLE) {
		/* The first record is shown, but no single record is "the" valid one. */
		valid = 0;
		snprintf(err, sizeof err, "%zu DMARC records at %s", rfc.n_records, rfc.at);
	}
	int found = rfc.status == DMARC_DISC_FOUND;
	int supported = found && valid;
	int policy = supported &&
		     (rec.p == DMARC_POLICY_QUARANTINE || rec.p == DMARC_POLICY_REJECT) &&
		     (rec.seen & ((1u << DMARC_TAG_RUA) | (1u << DMARC_TAG_RUF)));

	json_t *d = json_object();
	json_object_set_new(d, "algorithm", json_string("rfc7489"));
	json_object_set_new(d, "record", have ? dmarc_json_text(rr) : json_null());
	json_object_set_new(d, "found_at", rr_at ? json_string(rr_at) : json_null());
	json_object_set_new(d, "inherited", json_boolean(have && rfc.inherited));
	json_object_set_new(d, "org_domain", rfc.org[0] ? json_string(rfc.org) : json_null());
	json_object_set_new(d, "syntax_valid", json_boolean(have && valid));
	json_object_set_new(d, "error", have && !valid ? json_string(err) : json_null());
	json_object_set_new(d, "records_found", json_integer((json_int_t)rfc.n_records));
	dmarc_record_json(d, have ? &rec : NULL);
	enum dmarc_policy eff =
		supported ? dmarc_effective(&rec, rfc.inherited) : DMARC_POLICY_UNSET;
	json_object_set_new(d, "effective_policy", dmarc_json_str(dmarc_policy_name(eff)));
	size_t unauthorized = 0;
	json_object_set_new(d, "external_destinations",
			    found ? dmarc_ext_json(ev, &rec, rfc.policy_domain, &unauthorized)
				  : json_array());
	json_object_set_new(d, "dmarcbis", dmarc_bis_json(&bis));
	json_object_set_new(d, "mecsa_policy", json_boolean(policy));

	/* MECSA (spec §3.6, §4.2): dmarc = a valid record, at the domain or inherited;
	 * dmarc_policy = that and p=quarantine|reject and rua or ruf. Read from the parsed p:
	 * mecsa-st's string test misses "p = reject" and the inherited record whose appended
	 * "(From Organizational domain ...)" suffix sticks to a final p=reject; neither quirk is
	 * reproduced. */
	res->supported[MECSA_DMARC] = supported;
	res->supported[MECSA_DMARC_POLICY] = policy;
	res->percent[MECSA_DMARC] = supported ? 100 : 0;
	res->percent[MECSA_DMARC_POLICY] = policy ? 100 : 0;

	switch (rfc.status) {
	case DMARC_DISC_NEED:
		result_set(res, CHECK_DMARC, d, VERDICT_NOT_TESTABLE, "lookup of %s not performed",
			   rfc.need);
		break;
	case DMARC_DISC_DNS_ERROR:
		result_set(res, CHECK_DMARC, d, VERDICT_DNS_ERROR, "lookup of %s failed: %s%s%s",
			   rfc.at, dns_status_name(rfc.failed->status), rfc.failed->why ? " " : "",
			   rfc.failed->why ? rfc.failed->why : "");
		break;
	case DMARC_DISC_MULTIPLE:
		result_set(res, CHECK_DMARC, d, VERDICT_FAIL,
			   "%zu DMARC records at %s: no DMARC policy applies (RFC 7489 §6.6.3)",
			   rfc.n_records, rfc.at);
		break;
	case DMARC_DISC_ABSENT:
		if (have)
			result_set(res, CHECK_DMARC, d, VERDICT_FAIL,
				   "TXT record at %s looks like DMARC but is not: %s", rr_at, err);
		else if (rfc.org[0] && !dname_equal(rfc.org, ev->domain))
			result_set(res, CHECK_DMARC, d, VERDICT_ABSENT,
				   "no DMARC record at _dmarc.%s nor at _dmarc.%s", ev->domain,
				   rfc.org);
		else
			result_set(res, CHECK_DMARC, d, VERDICT_ABSENT,
				   "no DMARC record at _dmarc.%s", ev->domain);
		break;
	case DMARC_DISC_FOUND:
		if (!valid)
			result_set(res, CHECK_DMARC, d, VERDICT_FAIL, "syntax error at %s: %s",
				   rr_at, err);
		else if (unauthorized)
			result_set(res, CHECK_DMARC, d, VERDICT_PASS,
				   "%s%s; %zu external report destination(s) did not authorize "
				   "reports (RFC 7489 §7.1)",
				   rfc.inherited ? "inherited from " : "found at ", rr_at,
				   unauthorized);
		else if (rfc.inherited)
			result_set(res, CHECK_DMARC, d, VERDICT_PASS,
				   "inherited from the organizational domain (%s)", rr_at);
		else
			result_set(res, CHECK_DMARC, d, VERDICT_PASS, "found at %s", rr_at);
		break;
	}
	dmarc_record_clear(&rec);
}

const struct check check_dmarc = {
	.id = CHECK_DMARC,
	.name = "dmarc",
	.title = "DMARC",
	.plan = dmarc_plan,
	.plan_self_contained = 1,
	.evaluate = dmarc_evaluate,
};
