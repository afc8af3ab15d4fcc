/* spf_macro.c — RFC 7208 §7 macros: checking macro-strings and domain-specs, and expanding them
 * (transformers, delimiters, URL escaping of upper-case letters, the 253-octet left truncation of
 * names). Owns nothing; output goes to the caller's buffers, with bounded memory. */
#include "checks/spf_macro.h"

#include <stdio.h>
#include <string.h>

/* More parts than any value can have: a larger DIGIT transformer means "all of them". */
#define SPF_MACRO_DIGITS_MAX 1000
/* Working buffer for domain expansion: when it fills, its first half is dropped (see below). */
#define SPF_MACRO_DOMAIN_BUF 1024

/* One parsed macro-expand. */
struct spf_macro_tok {
	const char *lit;    /* borrowed: replacement of "%%", "%_", "%-", or NULL for "%{...}" */
	char letter;	    /* the macro letter, lower-cased */
	bool upper;	    /* written upper-case: URL-escape the value */
	unsigned digits;    /* DIGIT transformer, 0 when absent */
	bool reverse;	    /* "r" transformer */
	const char *delims; /* borrowed: the delimiter characters inside the braces */
	size_t n_delims;    /* how many */
};

/* Where expanded text goes: a fixed buffer, either cut at its end (explanations) or keeping its
 * end (names, which §7.3 truncates from the left). */
struct spf_macro_out {
	char *buf;  /* borrowed: the output buffer */
	size_t cap; /* its size (room for the NUL included) */
	size_t len; /* bytes written */
	bool tail;  /* keep the tail: drop the first half when full */
};

static bool spf_macro_is_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

static bool spf_macro_is_digit(int c) { return c >= '0' && c <= '9'; }

static int spf_macro_lower(int c) { return (c >= 'A' && c <= 'Z') ? c + ('a' - 'A') : c; }

static int spf_macro_fail(char *err, size_t errlen, const char *msg)
{
	if (errlen)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

static int spf_macro_failc(char *err, size_t errlen, const char *fmt, int c)
{
	if (errlen)
		snprintf(err, errlen, fmt, c);
	return -1;
}

bool spf_macro_toplabel_ok(const char *s, size_t len)
{
	bool alpha = false, dash = false;
	if (len == 0 || s[0] == '-' || s[len - 1] == '-')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (spf_macro_is_alpha((unsigned char)s[i]))
			alpha = true;
		else if (s[i] == '-')
			dash = true;
		else if (!spf_macro_is_digit((unsigned char)s[i]))
			return false;
	}
	/* ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum ) */
	return alpha || dash;
}

static bool spf_macro_letter_ok(int lc, unsigned flags)
{
	if (strchr("slodipvh", lc))
		return true;
	/* c, r and t only make sense in an explanation (§7.1). */
	return (flags & (SPF_MACRO_EXPLAIN | SPF_MACRO_CRT)) && strchr("crt", lc);
}

/* Parse the macro-expand starting at s[i] == '%'. Returns the bytes consumed, or 0 with err. */
static size_t spf_macro_parse(const char *s, size_t len, size_t i, unsigned flags,
			      struct spf_macro_tok *t, char *err, size_t errlen)
{
	memset(t, 0, sizeof *t);
	if (i + 1 >= len) {
		spf_macro_fail(err, errlen, "'%' at the end");
		return 0;
	}
	switch (s[i + 1]) {
	case '%':
		t->lit = "%";
		return 2;
	case '_':
		t->lit = " ";
		return 2;
	case '-':
		t->lit = "%20";
		return 2;
	case '{':
		break;
	default:
		spf_macro_failc(err, errlen, "'%%' followed by '%c'", (unsigned char)s[i + 1]);
		return 0;
	}
	size_t j = i + 2;
	if (j >= len) {
		spf_macro_fail(err, errlen, "unterminated macro");
		return 0;
	}
	int c = (unsigned char)s[j];
	t->letter = (char)spf_macro_lower(c);
	t->upper = c >= 'A' && c <= 'Z';
	if (!spf_macro_is_alpha(c) || !spf_macro_letter_ok(t->letter, flags)) {
		spf_macro_failc(err, errlen, "macro letter '%c' not allowed here", c);
		return 0;
	}
	j++;
	bool had_digits = false;
	while (j < len && spf_macro_is_digit((unsigned char)s[j])) {
		had_digits = true;
		if (t->digits < SPF_MACRO_DIGITS_MAX)
			t->digits = t->digits * 10 + (unsigned)(s[j] - '0');
		j++;
	}
	if (had_digits && t->digits == 0) {
		/* §7.1: "If a DIGIT is specified, the value MUST be nonzero." */
		spf_macro_fail(err, errlen, "macro transformer 0");
		return 0;
	}
	if (j < len && (s[j] == 'r' || s[j] == 'R')) {
		t->reverse = true;
		j++;
	}
	t->delims = s + j;
	while (j < len && strchr(".-+,/_=", s[j]) && s[j] != '\0')
		j++;
	t->n_delims = (size_t)(s + j - t->delims);
	if (j >= len || s[j] != '}') {
		spf_macro_fail(err, errlen, "bad macro transformer or delimiter");
		return 0;
	}
	return j + 1 - i;
}

int spf_macro_check(const char *s, size_t len, unsigned flags, struct spf_macro_info *info,
		    char *err, size_t errlen)
{
	struct spf_macro_info mi = {false, false};
	for (size_t i = 0; i < len;) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			struct spf_macro_tok t;
			size_t n = spf_macro_parse(s, len, i, flags, &t, err, errlen);
			if (n == 0)
				return -1;
			if (t.letter == 'p')
				mi.uses_p = true;
			mi.ends_with_expand = true;
			i += n;
			continue;
		}
		/* macro-literal = %x21-24 / %x26-7E; an explanation may also hold SP */
		if (!((c >= 0x21 && c <= 0x7e) || (c == ' ' && (flags & SPF_MACRO_EXPLAIN))))
			return spf_macro_failc(err, errlen, "character 0x%02X not allowed", c);
		mi.ends_with_expand = false;
		i++;
	}
	if (info)
		*info = mi;
	return 0;
}

int spf_macro_check_domain(const char *s, size_t len, unsigned flags, struct spf_macro_info *info,
			   char *err, size_t errlen)
{
	struct spf_macro_info mi;
	if (len == 0)
		return spf_macro_fail(err, errlen, "empty domain-spec");
	if (spf_macro_check(s, len, flags, &mi, err, errlen) < 0)
		return -1;
	if (!mi.ends_with_expand) {
		/* domain-end = ( "." toplabel [ "." ] ) / macro-expand */
		size_t end = s[len - 1] == '.' ? len - 1 : len;
		size_t k = end;
		while (k > 0 && s[k - 1] != '.')
			k--;
		if (k == 0)
			return spf_macro_fail(err, errlen, "no top-level label");
		if (!spf_macro_toplabel_ok(s + k, end - k))
			return spf_macro_fail(err, errlen, "invalid top-level label");
	}
	if (info)
		*info = mi;
	return 0;
}

static void spf_macro_out_raw(struct spf_macro_out *o, char c)
{
	if (o->len + 1 >= o->cap) {
		if (!o->tail)
			return; /* an explanation is cut, not failed */
		/* Halving keeps the work linear and leaves more than 253 bytes, all that the
		 * left truncation of §7.3 can keep. */
		size_t drop = o->cap / 2;
		memmove(o->buf, o->buf + drop, o->len - drop);
		o->len -= drop;
	}
	o->buf[o->len++] = c;
}

static void spf_macro_out_char(struct spf_macro_out *o, char c, bool escape)
{
	static const char hex[] = "0123456789ABCDEF";
	unsigned char u = (unsigned char)c;
	/* RFC 3986 unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~" */
	if (!escape || spf_macro_is_alpha(u) || spf_macro_is_digit(u) || (u && strchr("-._~", u))) {
		spf_macro_out_raw(o, c);
		return;
	}
	spf_macro_out_raw(o, '%');
	spf_macro_out_raw(o, hex[u >> 4]);
	spf_macro_out_raw(o, hex[u & 15]);
}

static bool spf_macro_is_delim(const struct spf_macro_tok *t, char c)
{
	if (t->n_delims == 0)
		return c == '.';
	return memchr(t->delims, c, t->n_delims) != NULL;
}

/* §7.3: split on the delimiters, optionally reverse, keep the right-most `digits` parts, join
 * with "."; then URL-escape for an upper-case letter. Linear in the value's length. */
static void spf_macro_out_value(struct spf_macro_out *o, const char *val,
				const struct spf_macro_tok *t)
{
	size_t vlen = strlen(val);
	size_t nparts = 1;
	for (size_t i = 0; i < vlen; i++)
		if (spf_macro_is_delim(t, val[i]))
			nparts++;
	size_t keep = (t->digits && t->digits < nparts) ? t->digits : nparts;
	if (!t->reverse) {
		size_t skip = nparts - keep, i = 0;
		for (; skip; i++)
			if (spf_macro_is_delim(t, val[i]))
				skip--;
		for (; i < vlen; i++)
			spf_macro_out_char(o, spf_macro_is_delim(t, val[i]) ? '.' : val[i],
					   t->upper);
		return;
	}
	/* Reversed, the right-most `keep` parts are the first `keep` ones, last first. */
	size_t end = 0, seen = 0;
	for (; end < vlen; end++)
		if (spf_macro_is_delim(t, val[end]) && ++seen == keep)
			break;
	size_t stop = end;
	for (;;) {
		size_t start = stop;
		while (start > 0 && !spf_macro_is_delim(t, val[start - 1]))
			start--;
		for (size_t i = start; i < stop; i++)
			spf_macro_out_char(o, val[i], t->upper);
		if (start == 0)
			break;
		spf_macro_out_char(o, '.', t->upper);
		stop = start - 1;
	}
}

static const char *spf_macro_value(const struct spf_macro_vars *v, char letter)
{
	switch (letter) {
	case 's':
		return v->s;
	case 'l':
		return v->l;
	case 'o':
		return v->o;
	case 'd':
		return v->d;
	case 'i':
		return v->i;
	case 'p':
		return v->p;
	case 'v':
		return v->v;
	case 'h':
		return v->h;
	case 'c':
		return v->c;
	case 'r':
		return v->r ? v->r : "unknown";
	case 't':
		return v->t ? v->t : "0";
	default:
		return NULL;
	}
}

static int spf_macro_run(const char *s, size_t len, unsigned flags, const struct spf_macro_vars *v,
			 struct spf_macro_out *o)
{
	for (size_t i = 0; i < len;) {
		if (s[i] != '%') {
			spf_macro_out_raw(o, s[i++]);
			continue;
		}
		struct spf_macro_tok t;
		size_t n = spf_macro_parse(s, len, i, flags, &t, NULL, 0);
		if (n == 0)
			return -1;
		i += n;
		if (t.lit) {
			for (const char *p = t.lit; *p; p++)
				spf_macro_out_raw(o, *p);
			continue;
		}
		const char *val = spf_macro_value(v, t.letter);
		if (val == NULL)
			return -1; /* %{p} not resolved: the caller's mistake, not the record's */
		spf_macro_out_value(o, val, &t);
	}
	return 0;
}

int spf_macro_expand(const char *s, size_t len, unsigned flags, const struct spf_macro_vars *v,
		     char *out, size_t outlen)
{
	if (outlen == 0)
		return -1;
	struct spf_macro_out o = {out, outlen, 0, false};
	int rc = spf_macro_run(s, len, flags, v, &o);
	out[o.len] = '\0';
	return rc;
}

int spf_macro_expand_domain(const char *s, size_t len, const struct spf_macro_vars *v,
			    char out[DNAME_MAX])
{
	char buf[SPF_MACRO_DOMAIN_BUF];
	struct spf_macro_out o = {buf, sizeof buf, 0, true};
	out[0] = '\0';
	if (spf_macro_run(s, len, 0, v, &o) < 0)
		return -1;
	size_t n = o.len;
	if (n && buf[n - 1] == '.')
		n--; /* §7.3: a trailing dot is ignored for names */
	size_t start = 0;
	if (n > DNAME_MAX - 1) { /* always so when the front was dropped */
		/* Remove whole labels from the left until at most 253 characters remain. */
		start = n - (DNAME_MAX - 1);
		while (start < n && buf[start - 1] != '.')
			start++;
		if (start >= n)
			return -1;
	}
	if (n == start)
		return -1;
	memcpy(out, buf + start, n - start);
	out[n - start] = '\0';
	return 0;
}
