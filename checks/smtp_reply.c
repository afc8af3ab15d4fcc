/* smtp_reply.c — incremental SMTP reply parsing (multi-line replies, caps on line and reply size,
 * bare LF tolerated and recorded, mixed codes and garbage rejected) and EHLO keyword extraction.
 * Pure: owns only the parsed lines of the reply it fills. */
#include "checks/smtp_reply.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/xalloc.h"

void smtp_reply_init(struct smtp_reply *r)
{
	memset(r, 0, sizeof *r);
}

void smtp_reply_clear(struct smtp_reply *r)
{
	for (size_t i = 0; i < r->n_lines; i++)
		free(r->lines[i]);
	free(r->lines);
	smtp_reply_init(r);
}

static enum smtp_reply_status smtp_reply_fail(struct smtp_reply *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static enum smtp_reply_status smtp_reply_fail(struct smtp_reply *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof r->error, fmt, ap);
	va_end(ap);
	return SMTP_REPLY_ERROR;
}

/* A copy of the line's text with every byte outside printable ASCII replaced by '?': the text
 * ends up in JSON and logs, and a hostile peer controls it. */
static char *smtp_reply_sanitise(const char *p, size_t n)
{
	char *s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		s[i] = (c >= 0x20 && c < 0x7f) || c == '\t' ? (char)c : '?';
	}
	s[n] = '\0';
	return s;
}

/* 1 when the first n bytes of a line (n <= 4) can start a reply line: "[2-5][0-5][0-9][ -]";
 * partial: the line end has not arrived, so a CR after the code may still be "NNN\r\n". */
static int smtp_reply_prefix_ok(const char *p, size_t n, int partial)
{
	return (n < 1 || (p[0] >= '2' && p[0] <= '5')) && (n < 2 || (p[1] >= '0' && p[1] <= '5')) &&
	       (n < 3 || (p[2] >= '0' && p[2] <= '9')) &&
	       (n < 4 || p[3] == ' ' || p[3] == '-' || (partial && p[3] == '\r'));
}

/* One complete line (without its line end): check the code and store the text. */
static enum smtp_reply_status smtp_reply_line(struct smtp_reply *r, const char *p, size_t n)
{
	if (n < 3 || !smtp_reply_prefix_ok(p, n < 4 ? n : 4, 0)) {
		char *show = smtp_reply_sanitise(p, n < 40 ? n : 40);
		smtp_reply_fail(r, "not an SMTP reply line: \"%s%s\"", show, n > 40 ? "..." : "");
		free(show);
		return SMTP_REPLY_ERROR;
	}
	int code = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');
	if (r->n_lines && code != r->code)
		return smtp_reply_fail(r, "mixed reply codes %d and %d in one reply", r->code,
				       code);
	if (r->n_lines >= SMTP_REPLY_LINES)
		return smtp_reply_fail(r, "reply has more than %d lines", SMTP_REPLY_LINES);
	r->code = code;
	r->lines = xrealloc(r->lines, (r->n_lines + 1) * sizeof *r->lines);
	r->lines[r->n_lines++] = n > 4 ? smtp_reply_sanitise(p + 4, n - 4) : xstrdup("");
	if (n == 3 || p[3] == ' ')
		r->done = 1;
	return r->done ? SMTP_REPLY_DONE : SMTP_REPLY_MORE;
}

enum smtp_reply_status smtp_reply_parse(struct smtp_reply *r, const char *buf, size_t len,
					size_t *used)
{
	size_t pos = 0;
	*used = 0;
	if (r->error[0])
		return SMTP_REPLY_ERROR;
	if (r->done)
		return SMTP_REPLY_DONE;
	while (pos < len) {
		size_t room = len - pos, look = room < SMTP_LINE_MAX + 2 ? room : SMTP_LINE_MAX + 2;
		const char *nl = memchr(buf + pos, '\n', look);
		if (nl == NULL) {
			/* Garbage is refused as soon as it shows, not after a timeout. */
			if (!smtp_reply_prefix_ok(buf + pos, room < 4 ? room : 4, 1)) {
				char *show = smtp_reply_sanitise(buf + pos, room < 40 ? room : 40);
				smtp_reply_fail(r, "not an SMTP reply line: \"%s%s\"", show,
						room > 40 ? "..." : "");
				free(show);
				return SMTP_REPLY_ERROR;
			}
			if (room > SMTP_LINE_MAX + 1)
				return smtp_reply_fail(r, "reply line longer than %d bytes",
						       SMTP_LINE_MAX);
			return SMTP_REPLY_MORE;
		}
		size_t eol = (size_t)(nl - (buf + pos)) + 1, n = eol - 1;
		if (n && buf[pos + n - 1] == '\r')
			n--;
		else
			r->bare_lf = 1;
		if (n > SMTP_LINE_MAX)
			return smtp_reply_fail(r, "reply line longer than %d bytes", SMTP_LINE_MAX);
		if (r->size + eol > SMTP_REPLY_MAX)
			return smtp_reply_fail(r, "reply longer than %d bytes", SMTP_REPLY_MAX);
		enum smtp_reply_status st = smtp_reply_line(r, buf + pos, n);
		if (st == SMTP_REPLY_ERROR)
			return st;
		pos += eol;
		r->size += eol;
		*used = pos;
		if (st == SMTP_REPLY_DONE)
			return st;
	}
	return SMTP_REPLY_MORE;
}

char *smtp_reply_text(const struct smtp_reply *r)
{
	size_t n = 1;
	for (size_t i = 0; i < r->n_lines; i++)
		n += strlen(r->lines[i]) + 5;
	char *s = xmalloc(n), *p = s;
	*p = '\0';
	for (size_t i = 0; i < r->n_lines; i++)
		p += sprintf(p, "%s%03d %s", i ? "\n" : "", r->code, r->lines[i]);
	return s;
}

static const char *const smtp_ext_names[SMTP_EXT_COUNT] = {
	"STARTTLS", "REQUIRETLS", "SIZE",  "PIPELINING", "8BITMIME", "SMTPUTF8",
	"CHUNKING", "DSN",	  "ENHANCEDSTATUSCODES", "AUTH", "BINARYMIME",
};

const char *smtp_ext_name(unsigned bit)
{
	for (unsigned i = 0; i < SMTP_EXT_COUNT; i++)
		if (bit == 1u << i)
			return smtp_ext_names[i];
	return NULL;
}

unsigned smtp_ext_parse(const char *keyword)
{
	for (unsigned i = 0; i < SMTP_EXT_COUNT; i++)
		if (strcasecmp(keyword, smtp_ext_names[i]) == 0)
			return 1u << i;
	return 0;
}

unsigned smtp_reply_extensions(const struct smtp_reply *r, unsigned long long *size_limit)
{
	unsigned set = 0;
	if (size_limit)
		*size_limit = 0;
	if (r->code != 250)
		return 0;
	/* Line 0 is the greeting ("mx.example.com Hello ..."), keywords follow. */
	for (size_t i = 1; i < r->n_lines; i++) {
		char word[32];
		const char *p = r->lines[i];
		size_t k = 0;
		while (p[k] && p[k] != ' ' && p[k] != '\t' && p[k] != '=' && k + 1 < sizeof word) {
			word[k] = p[k];
			k++;
		}
		word[k] = '\0';
		unsigned bit = smtp_ext_parse(word);
		set |= bit;
		if (bit == SMTP_EXT_SIZE && size_limit) {
			const char *arg = p + k;
			while (*arg == ' ' || *arg == '\t')
				arg++;
			char *end;
			unsigned long long v = strtoull(arg, &end, 10);
			if (end != arg && (*end == '\0' || *end == ' '))
				*size_limit = v;
		}
	}
	return set;
}
