/* text.c — escaping outside text for display, and the check of names people choose. Owns
 * nothing. */
#include "common/text.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* One UTF-8 sequence at s (n bytes left, n >= 1): its length, with the code point in *cp; 0 when
 * it is not UTF-8 (truncated, overlong, a surrogate, beyond U+10FFFF). */
static size_t text_utf8(const unsigned char *s, size_t n, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	size_t len;
	uint32_t c, min;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return len;
}

/* Characters a terminal runs (controls) or that change how the rest of the line reads. */
static int text_unsafe_cp(uint32_t c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 || c == 0x2029 ||
	       (c >= 0x200e && c <= 0x200f) || (c >= 0x202a && c <= 0x202e) ||
	       (c >= 0x2066 && c <= 0x2069);
}

/* Length of the safe sequence at s, or 0 when its first byte must be escaped (alone, or with
 * the rest of an unsafe character: *unsafe_len bytes). */
static size_t text_next(const unsigned char *s, size_t n, size_t *unsafe_len)
{
	uint32_t cp;
	size_t len = text_utf8(s, n, &cp);
	if (len == 0) {
		*unsafe_len = 1;
		return 0;
	}
	if (text_unsafe_cp(cp)) {
		*unsafe_len = len;
		return 0;
	}
	return len;
}

int text_is_safe(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), bad;
	for (size_t i = 0; i < n;) {
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			i++;
			continue;
		}
		size_t len = text_next(p + i, n - i, &bad);
		if (len == 0)
			return 0;
		i += len;
	}
	return 1;
}

/* Escape s into out (sized 4 * strlen + 1 at least, or NULL to count). Returns the length. */
static size_t text_escape_into(const char *s, char *out)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), o = 0, bad;
	for (size_t i = 0; i < n;) {
		size_t len = p[i] >= 0x20 && p[i] < 0x7f ? 1 : text_next(p + i, n - i, &bad);
		if (len) {
			if (out)
				memcpy(out + o, p + i, len);
			o += len;
			i += len;
			continue;
		}
		for (size_t k = 0; k < bad; k++, i++) {
			if (out) {
				out[o] = '\\';
				out[o + 1] = 'x';
				out[o + 2] = hex[p[i] >> 4];
				out[o + 3] = hex[p[i] & 15];
			}
			o += 4;
		}
	}
	if (out)
		out[o] = '\0';
	return o;
}

char *text_escape(const char *s)
{
	if (s == NULL)
		return NULL;
	char *out = xmalloc(text_escape_into(s, NULL) + 1);
	text_escape_into(s, out);
	return out;
}

void text_fputs(const char *s, FILE *out)
{
	if (s == NULL)
		return;
	if (text_is_safe(s)) {
		fputs(s, out);
		return;
	}
	char *e = text_escape(s);
	fputs(e, out);
	free(e);
}

int text_check_name(const char *s, size_t max, char *why, size_t whylen)
{
	size_t n = strlen(s);
	const char *problem = NULL;
	if (n == 0)
		problem = "it is empty";
	else if (n > max)
		problem = "it is too long";
	else if (!text_is_safe(s))
		problem = "it is not printable UTF-8 text (control characters or invalid bytes)";
	else if (s[0] == ' ' || s[n - 1] == ' ')
		problem = "it starts or ends with a space";
	if (problem == NULL)
		return 0;
	if (n > max)
		snprintf(why, whylen, "%s (%zu bytes, at most %zu)", problem, n, max);
	else
		snprintf(why, whylen, "%s", problem);
	return -1;
}
