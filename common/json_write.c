/* json_write.c — compact JSON text of a jansson tree (see json_write.h for why). The output
 * format is jansson's own: keys in insertion order, "\uXXXX" escapes in upper-case hex, the short
 * escapes \b \f \n \r \t \" \\, reals as "%.17g" with ".0" added to integral values and the
 * exponent written without '+' or leading zeros. */
#include "common/json_write.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static void jw_reserve(struct json_out *w, size_t n)
{
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 1024;
		while (w->len + n + 1 > cap)
			cap *= 2;
		w->p = xrealloc(w->p, cap);
		w->cap = cap;
	}
}

static void jw_put(struct json_out *w, const char *s, size_t n)
{
	jw_reserve(w, n);
	memcpy(w->p + w->len, s, n);
	w->len += n;
}

static void jw_char(struct json_out *w, char c)
{
	jw_reserve(w, 1);
	w->p[w->len++] = c;
}

/* One UTF-8 sequence at s (n bytes left): its length, and the code point in *cp; 0 when it is
 * not well-formed (overlong, surrogate, beyond U+10FFFF, cut short), as jansson judges it. */
static size_t jw_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t len;
	uint32_t v;
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		v = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		v = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff) || (len == 3 && v < 0x800) ||
	    (len == 4 && v < 0x10000))
		return 0;
	*cp = v;
	return len;
}

static void jw_u16(struct json_out *w, uint32_t unit)
{
	static const char hex[] = "0123456789ABCDEF";
	char e[6] = {'\\', 'u', hex[unit >> 12 & 15], hex[unit >> 8 & 15], hex[unit >> 4 & 15],
		     hex[unit & 15]};
	jw_put(w, e, sizeof e);
}

/* Plain bytes (printable ASCII other than '"' and '\\') are copied in runs. */
static int jw_string(struct json_out *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;
	jw_char(w, '"');
	while (s < end) {
		const unsigned char *run = s;
		while (s < end && *s >= 0x20 && *s < 0x80 && *s != '"' && *s != '\\')
			s++;
		if (s > run)
			jw_put(w, (const char *)run, (size_t)(s - run));
		if (s == end)
			break;
		unsigned char c = *s;
		if (c >= 0x80) {
			uint32_t cp;
			size_t len = jw_utf8(s, (size_t)(end - s), &cp);
			if (len == 0)
				return -1;
			if (!w->ascii)
				jw_put(w, (const char *)s, len);
			else if (cp < 0x10000)
				jw_u16(w, cp);
			else {
				cp -= 0x10000;
				jw_u16(w, 0xd800 | (cp >> 10 & 0x3ff));
				jw_u16(w, 0xdc00 | (cp & 0x3ff));
			}
			s += len;
			continue;
		}
		const char *esc = c == '"'    ? "\\\""
				  : c == '\\' ? "\\\\"
				  : c == '\b' ? "\\b"
				  : c == '\f' ? "\\f"
				  : c == '\n' ? "\\n"
				  : c == '\r' ? "\\r"
				  : c == '\t' ? "\\t"
					      : NULL;
		if (esc)
			jw_put(w, esc, 2);
		else
			jw_u16(w, c);
		s++;
	}
	jw_char(w, '"');
	return 0;
}

static void jw_integer(struct json_out *w, json_int_t v)
{
	char buf[24], *e = buf + sizeof buf, *p = e;
	/* Through unsigned, so that the most negative value has a magnitude too. */
	unsigned long long m = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
	do {
		*--p = (char)('0' + m % 10);
		m /= 10;
	} while (m);
	if (v < 0)
		*--p = '-';
	jw_put(w, p, (size_t)(e - p));
}

static int jw_real(struct json_out *w, double v)
{
	if (!isfinite(v))
		return -1;
	char buf[64];
	int n = snprintf(buf, sizeof buf, "%.17g", v);
	if (n < 0 || (size_t)n >= sizeof buf - 3)
		return -1;
	for (char *c = buf; *c; c++)
		if (*c == ',')
			*c = '.'; /* a locale's decimal comma */
	char *e = strchr(buf, 'e');
	if (e == NULL && strchr(buf, '.') == NULL) {
		memcpy(buf + n, ".0", 3);
		n += 2;
	}
	if (e) { /* "1e+05" -> "1e5", "1e-05" -> "1e-5" */
		char *from = e + 1, *to = e + 1;
		if (*from == '-')
			from = ++to;
		else if (*from == '+')
			from++;
		while (*from == '0' && from[1])
			from++;
		memmove(to, from, strlen(from) + 1);
		n = (int)strlen(buf);
	}
	jw_put(w, buf, (size_t)n);
	return 0;
}

static int jw_value(struct json_out *w, const json_t *j, int depth)
{
	if (j == NULL || depth > JSON_WRITE_DEPTH_MAX)
		return -1;
	switch (json_typeof(j)) {
	case JSON_NULL:
		jw_put(w, "null", 4);
		return 0;
	case JSON_TRUE:
		jw_put(w, "true", 4);
		return 0;
	case JSON_FALSE:
		jw_put(w, "false", 5);
		return 0;
	case JSON_INTEGER:
		jw_integer(w, json_integer_value(j));
		return 0;
	case JSON_REAL:
		return jw_real(w, json_real_value(j));
	case JSON_STRING:
		return jw_string(w, json_string_value(j), json_string_length(j));
	case JSON_ARRAY: {
		jw_char(w, '[');
		for (size_t i = 0; i < json_array_size(j); i++) {
			if (i)
				jw_char(w, ',');
			if (jw_value(w, json_array_get(j, i), depth + 1) < 0)
				return -1;
		}
		jw_char(w, ']');
		return 0;
	}
	case JSON_OBJECT: {
		jw_char(w, '{');
		int first = 1;
		for (void *it = json_object_iter((json_t *)j); it;
		     it = json_object_iter_next((json_t *)j, it)) {
			if (!first)
				jw_char(w, ',');
			first = 0;
			if (jw_string(w, json_object_iter_key(it), json_object_iter_key_len(it)) < 0)
				return -1;
			jw_char(w, ':');
			if (jw_value(w, json_object_iter_value(it), depth + 1) < 0)
				return -1;
		}
		jw_char(w, '}');
		return 0;
	}
	}
	return -1;
}

int json_utf8_valid(const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str, *end = s + n;
	while (s < end) {
		if (*s < 0x80) {
			s++;
			continue;
		}
		uint32_t cp;
		size_t len = jw_utf8(s, (size_t)(end - s), &cp);
		if (len == 0)
			return 0;
		s += len;
	}
	return 1;
}

/* ---- the streaming writer ---- */

/* A comma before a key or an array element, unless it opens its container or follows a key. */
static void json_out_sep(struct json_out *o)
{
	if (o->len) {
		char last = o->p[o->len - 1];
		if (last != '{' && last != '[' && last != ':')
			jw_char(o, ',');
	}
}

void json_out_init(struct json_out *o, int ascii)
{
	memset(o, 0, sizeof *o);
	o->ascii = ascii;
}

void json_out_open(struct json_out *o, char bracket)
{
	json_out_sep(o);
	jw_char(o, bracket);
}

void json_out_close(struct json_out *o, char bracket)
{
	jw_char(o, bracket);
}

void json_out_key(struct json_out *o, const char *key)
{
	json_out_sep(o);
	jw_string(o, key, strlen(key));
	jw_char(o, ':');
}

int json_out_str(struct json_out *o, const char *s, size_t n)
{
	if (!json_utf8_valid(s, n))
		return -1;
	json_out_sep(o);
	jw_string(o, s, n);
	return 0;
}

void json_out_int(struct json_out *o, long long v)
{
	json_out_sep(o);
	jw_integer(o, (json_int_t)v);
}

void json_out_bool(struct json_out *o, int v)
{
	json_out_sep(o);
	jw_put(o, v ? "true" : "false", v ? 4 : 5);
}

void json_out_null(struct json_out *o)
{
	json_out_sep(o);
	jw_put(o, "null", 4);
}

void json_out_hex(struct json_out *o, const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	json_out_sep(o);
	jw_reserve(o, 2 * n + 2);
	char *w = o->p + o->len;
	*w++ = '"';
	for (size_t i = 0; i < n; i++) {
		*w++ = digits[p[i] >> 4];
		*w++ = digits[p[i] & 15];
	}
	*w++ = '"';
	o->len = (size_t)(w - o->p);
}

void json_out_key_int(struct json_out *o, const char *key, long long v)
{
	json_out_key(o, key);
	json_out_int(o, v);
}

void json_out_key_bool(struct json_out *o, const char *key, int v)
{
	json_out_key(o, key);
	json_out_bool(o, v);
}

int json_out_key_str(struct json_out *o, const char *key, const char *s, size_t n)
{
	if (!json_utf8_valid(s, n))
		return -1;
	json_out_key(o, key);
	jw_string(o, s, n);
	return 0;
}

void json_out_key_str_or_null(struct json_out *o, const char *key, const char *s)
{
	if (s == NULL || json_out_key_str(o, key, s, strlen(s)) < 0) {
		json_out_key(o, key);
		json_out_null(o);
	}
}

char *json_out_finish(struct json_out *o, size_t *len)
{
	jw_reserve(o, 0);
	o->p[o->len] = '\0';
	char *text = o->p;
	if (len)
		*len = o->len;
	memset(o, 0, sizeof *o);
	return text;
}

char *json_write(const json_t *j, int ascii, size_t *len)
{
	if (!json_is_object(j) && !json_is_array(j))
		return NULL;
	struct json_out w = {.ascii = ascii};
	if (jw_value(&w, j, 0) < 0) {
		free(w.p);
		return NULL;
	}
	w.p[w.len] = '\0';
	if (len)
		*len = w.len;
	return w.p;
}
