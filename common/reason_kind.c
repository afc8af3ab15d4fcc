/* reason_kind.c — verdict reasons folded into error kinds (reason_kind.h). A single pass over
 * the text, word by word; nothing is allocated. */
#include "common/reason_kind.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

struct rk_out {
	char *p;    /* borrowed: the caller's buffer */
	size_t len; /* bytes written */
	size_t cap; /* buffer size */
};

static void rk_put(struct rk_out *o, const char *s, size_t n)
{
	while (n-- && o->len + 1 < o->cap)
		o->p[o->len++] = *s++;
	o->p[o->len] = '\0';
}

static int rk_word_char(int c)
{
	return isalnum(c) || c == '.' || c == '-' || c == '_' || c == ':' || c == '/' ||
	       c == '%' || c == '*';
}

/* What one word (letters, digits, dots, dashes...) stands for, or NULL to keep it. */
static const char *rk_fold(const char *w, size_t n)
{
	size_t dots = 0, digits = 0, alpha = 0, colons = 0;
	for (size_t i = 0; i < n; i++) {
		dots += w[i] == '.';
		digits += isdigit((unsigned char)w[i]) != 0;
		alpha += isalpha((unsigned char)w[i]) != 0;
		colons += w[i] == ':';
	}
	if (n > 3 && memchr(w, '/', n) && colons && strstr(w, "://") &&
	    (size_t)(strstr(w, "://") - w) < n)
		return "<url>";
	if (colons >= 2 && alpha + digits + colons + dots == n && dots <= 3)
		return "<address>"; /* IPv6 (hex digits are letters here) */
	if (dots == 3 && digits + dots == n)
		return "<address>";
	if (dots == 2 && digits + dots == n)
		return NULL; /* an enhanced status code, 4.3.2 */
	if (digits == n)
		return n == 3 && w[0] >= '2' && w[0] <= '5' ? NULL : "N";
	/* A host or domain name: two labels or more, not a version ("TLSv1.2") nor a trailing
	 * full stop. */
	if (dots >= 1 && w[n - 1] != '.' && w[0] != '.' && alpha && strncmp(w, "TLSv", 4) != 0 &&
	    !colons)
		return "<name>";
	return NULL;
}

/* Length of a leading "N of M words: " / "N words: " prefix (no dot in it), or 0. */
static size_t rk_count_prefix(const char *s)
{
	if (!isdigit((unsigned char)s[0]))
		return 0;
	const char *colon = strstr(s, ": ");
	if (colon == NULL || memchr(s, '.', (size_t)(colon - s)) || colon - s > 60)
		return 0;
	return (size_t)(colon - s) + 2;
}

/* Length of a leading "HOST [ADDR]: " (the per-address part of a reason), or 0. */
static size_t rk_host_prefix(const char *s)
{
	const char *sp = strchr(s, ' ');
	if (sp == NULL || sp[1] != '[')
		return 0;
	const char *close = strstr(sp, "]: ");
	if (close == NULL || memchr(s, ' ', (size_t)(sp - s)) != NULL)
		return 0;
	return (size_t)(close - s) + 3;
}

char *reason_kind(const char *reason, char *out, size_t outlen)
{
	struct rk_out o = {out, 0, outlen};
	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (reason == NULL || reason[0] == '\0') {
		rk_put(&o, "(no reason)", 11);
		return out;
	}
	const char *s = reason;
	s += rk_count_prefix(s);
	s += rk_host_prefix(s);
	while (*s) {
		if (*s == '"' || *s == '\'') {
			/* Quoted text comes from the peer or the record: its content is not the kind. */
			const char *end = strchr(s + 1, *s);
			if (end) {
				rk_put(&o, s, 1);
				rk_put(&o, "...", 3);
				rk_put(&o, end, 1);
				s = end + 1;
				continue;
			}
		}
		if (*s == '[') {
			const char *end = strchr(s, ']');
			if (end) {
				rk_put(&o, "[<address>]", 11);
				s = end + 1;
				continue;
			}
		}
		if (!rk_word_char((unsigned char)*s)) {
			/* Control characters (from a peer) become spaces: a kind is one line. */
			rk_put(&o, (unsigned char)*s < 0x20 || *s == 0x7f ? " " : s, 1);
			s++;
			continue;
		}
		size_t n = 0;
		while (s[n] && rk_word_char((unsigned char)s[n]))
			n++;
		/* A trailing ':' or '.' ends the sentence, it is not part of the word. */
		size_t w = n;
		while (w > 1 && (s[w - 1] == ':' || s[w - 1] == '.'))
			w--;
		const char *f = rk_fold(s, w);
		if (f)
			rk_put(&o, f, strlen(f));
		else
			rk_put(&o, s, w);
		rk_put(&o, s + w, n - w);
		s += n;
	}
	return out;
}
