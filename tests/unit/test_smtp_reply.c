/* test_smtp_reply.c — the SMTP reply parser: single and multi-line replies, the final line
 * without text, bare LF, mixed codes, garbage, overlong lines and replies, bytes left after the
 * reply (STARTTLS injection), each fed whole, split at every byte and split in two at every
 * offset; and EHLO keyword extraction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/smtp_reply.h"

struct reply_case {
	const char *what;	    /* description */
	const char *in;		    /* bytes the server sent (NUL-terminated, unless len) */
	size_t len;		    /* length of in when it holds NULs, else 0 */
	enum smtp_reply_status st;  /* expected outcome */
	int code;		    /* expected code (DONE) */
	size_t n_lines;		    /* expected line count (DONE) */
	const char *last;	    /* expected text of the last line (DONE), or NULL */
	int bare_lf;		    /* expected bare-LF flag */
	const char *left;	    /* bytes left after a DONE reply */
	const char *error;	    /* substring of the error (ERROR) */
};

static char big_line[SMTP_LINE_MAX + 64];
static char max_line[SMTP_LINE_MAX + 8];
static char big_reply[SMTP_REPLY_MAX + 4096];

static const struct reply_case cases[] = {
	{"one line", "220 mx.example ESMTP\r\n", 0, SMTP_REPLY_DONE, 220, 1, "mx.example ESMTP", 0, "", NULL},
	{"multi-line EHLO", "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n", 0,
	 SMTP_REPLY_DONE, 250, 4, "8BITMIME", 0, "", NULL},
	{"final line without text", "250-a\r\n250\r\n", 0, SMTP_REPLY_DONE, 250, 2, "", 0, "", NULL},
	{"bare LF tolerated and recorded", "220-a\n220 b\n", 0, SMTP_REPLY_DONE, 220, 2, "b", 1, "", NULL},
	{"CRLF then bare LF", "220-a\r\n220 b\n", 0, SMTP_REPLY_DONE, 220, 2, "b", 1, "", NULL},
	{"injection stays with the caller", "220 go ahead\r\n250 injected\r\n", 0, SMTP_REPLY_DONE,
	 220, 1, "go ahead", 0, "250 injected\r\n", NULL},
	{"partial next line stays", "221 bye\r\nxx", 0, SMTP_REPLY_DONE, 221, 1, "bye", 0, "xx", NULL},
	{"control and 8-bit bytes sanitised", "220 a\x01\xff" "b\r\n", 0, SMTP_REPLY_DONE, 220, 1,
	 "a??b", 0, "", NULL},
	{"bare CR inside a line", "220 a\rb\r\n", 0, SMTP_REPLY_DONE, 220, 1, "a?b", 0, "", NULL},
	{"NUL inside a line", "220 a\0b\r\n", 9, SMTP_REPLY_DONE, 220, 1, "a?b", 0, "", NULL},
	{"line of exactly the limit", max_line, 0, SMTP_REPLY_DONE, 250, 1, NULL, 0, "", NULL},
	{"incomplete line", "220 mx.exam", 0, SMTP_REPLY_MORE, 0, 0, NULL, 0, NULL, NULL},
	{"incomplete multi-line", "250-a\r\n250-b\r\n", 0, SMTP_REPLY_MORE, 0, 0, NULL, 0, NULL, NULL},
	{"empty input", "", 0, SMTP_REPLY_MORE, 0, 0, NULL, 0, NULL, NULL},
	{"mixed codes", "250-a\r\n220 b\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "mixed reply codes 250 and 220"},
	{"binary garbage", "\x16\x03\x01\x00\xff garbage\r\n", 16, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"garbage without a line end", "\x16\x03\x01", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"partial bad code", "2x", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"bad continuation line", "250-a\r\nfoo\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"code without separator", "2200 x\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"code out of range", "620 x\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"short line", "22\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"empty line", "\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"HTTP instead of SMTP", "HTTP/1.1 400 Bad Request\r\n", 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "not an SMTP reply"},
	{"overlong line", big_line, 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "longer than 4096"},
	{"overlong reply", big_reply, 0, SMTP_REPLY_ERROR, 0, 0, NULL, 0, NULL, "reply longer than"},
};

static void fill_vectors(void)
{
	/* 4096 + 60 bytes of text on one line, never ended. */
	memcpy(big_line, "250 ", 4);
	memset(big_line + 4, 'x', sizeof big_line - 5);
	big_line[sizeof big_line - 1] = '\0';
	/* "250 " + 4092 x = exactly SMTP_LINE_MAX bytes, then CRLF. */
	memcpy(max_line, "250 ", 4);
	memset(max_line + 4, 'y', SMTP_LINE_MAX - 4);
	memcpy(max_line + SMTP_LINE_MAX, "\r\n", 3);
	/* 250-lines of 1000 bytes until past the reply cap. */
	size_t p = 0;
	while (p + 1002 < sizeof big_reply - 1) {
		memcpy(big_reply + p, "250-", 4);
		memset(big_reply + p + 4, 'z', 996);
		memcpy(big_reply + p + 1000, "\r\n", 2);
		p += 1002;
	}
	big_reply[p] = '\0';
}

struct feed_out {
	enum smtp_reply_status st; /* final status */
	char *left;		   /* owned: bytes not consumed */
	size_t left_len;	   /* their length */
};

/* Feed in as chunks of at most step bytes (0: whole), the way the session drains its buffer. */
static struct feed_out feed(struct smtp_reply *r, const char *in, size_t len, size_t step,
			    size_t split)
{
	char *pend = malloc(len + 1);
	size_t np = 0, off = 0;
	enum smtp_reply_status st = SMTP_REPLY_MORE;
	while (off < len || np == 0) {
		size_t take = len - off;
		if (step && take > step)
			take = step;
		if (split && off < split && off + take > split)
			take = split - off;
		memcpy(pend + np, in + off, take);
		np += take;
		off += take;
		size_t used;
		st = smtp_reply_parse(r, pend, np, &used);
		assert_true(used <= np);
		memmove(pend, pend + used, np - used);
		np -= used;
		if (st != SMTP_REPLY_MORE || off >= len)
			break;
	}
	/* What the parser never saw stays too. */
	memcpy(pend + np, in + off, len - off);
	np += len - off;
	return (struct feed_out){st, pend, np};
}

static void check_one(const struct reply_case *c, size_t step, size_t split)
{
	size_t len = c->len ? c->len : strlen(c->in);
	struct smtp_reply r;
	smtp_reply_init(&r);
	struct feed_out o = feed(&r, c->in, len, step, split);
	if (o.st != c->st)
		fail_msg("%s (step %zu split %zu): status %d, expected %d (%s)", c->what, step,
			 split, o.st, c->st, r.error);
	if (c->st == SMTP_REPLY_DONE) {
		assert_int_equal(r.code, c->code);
		assert_int_equal(r.n_lines, c->n_lines);
		if (c->last)
			assert_string_equal(r.lines[r.n_lines - 1], c->last);
		assert_int_equal(r.bare_lf, c->bare_lf);
		assert_int_equal(o.left_len, strlen(c->left));
		assert_memory_equal(o.left, c->left, o.left_len);
		assert_int_equal(r.size + o.left_len, len);
		/* Calling again after DONE consumes nothing. */
		size_t used = 99;
		assert_int_equal(smtp_reply_parse(&r, "250 x\r\n", 7, &used), SMTP_REPLY_DONE);
		assert_int_equal(used, 0);
	} else if (c->st == SMTP_REPLY_ERROR) {
		if (strstr(r.error, c->error) == NULL)
			fail_msg("%s: error \"%s\" lacks \"%s\"", c->what, r.error, c->error);
	}
	free(o.left);
	smtp_reply_clear(&r);
}

static void test_replies(void **state)
{
	(void)state;
	fill_vectors();
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct reply_case *c = &cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		check_one(c, 0, 0);
		check_one(c, 1, 0); /* split at every byte */
		if (len < 256)
			for (size_t s = 1; s < len; s++)
				check_one(c, 0, s); /* split in two at every offset */
		else
			check_one(c, 1000, 0);
	}
}

static void test_reply_text(void **state)
{
	(void)state;
	struct smtp_reply r;
	smtp_reply_init(&r);
	size_t used;
	const char *in = "250-mx\r\n250 SIZE 10\r\n";
	assert_int_equal(smtp_reply_parse(&r, in, strlen(in), &used), SMTP_REPLY_DONE);
	char *t = smtp_reply_text(&r);
	assert_string_equal(t, "250 mx\n250 SIZE 10");
	free(t);
	smtp_reply_clear(&r);
	assert_int_equal(r.n_lines, 0);
	assert_null(r.lines);
}

struct ext_case {
	const char *reply;	  /* a whole EHLO reply */
	unsigned set;		  /* expected keywords */
	unsigned long long size;  /* expected SIZE argument */
};

static const struct ext_case ext_cases[] = {
	{"250-mx.example Hello\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n"
	 "250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-DSN\r\n250-SMTPUTF8\r\n250 CHUNKING\r\n",
	 SMTP_EXT_PIPELINING | SMTP_EXT_SIZE | SMTP_EXT_STARTTLS | SMTP_EXT_ENHANCEDSTATUSCODES |
		 SMTP_EXT_8BITMIME | SMTP_EXT_DSN | SMTP_EXT_SMTPUTF8 | SMTP_EXT_CHUNKING,
	 10240000},
	{"250-mx\r\n250-starttls\r\n250-RequireTLS\r\n250 AUTH PLAIN LOGIN\r\n",
	 SMTP_EXT_STARTTLS | SMTP_EXT_REQUIRETLS | SMTP_EXT_AUTH, 0},
	{"250-mx\r\n250-AUTH=LOGIN\r\n250 SIZE\r\n", SMTP_EXT_AUTH | SMTP_EXT_SIZE, 0},
	{"250-mx\r\n250-SIZE abc\r\n250 XSTARTTLS\r\n", SMTP_EXT_SIZE, 0},
	{"250 STARTTLS\r\n", 0, 0}, /* the greeting line is not a keyword */
	{"502 5.5.1 EHLO not implemented\r\n", 0, 0},
};

static void test_extensions(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof ext_cases / sizeof *ext_cases; i++) {
		struct smtp_reply r;
		smtp_reply_init(&r);
		size_t used;
		assert_int_equal(smtp_reply_parse(&r, ext_cases[i].reply, strlen(ext_cases[i].reply),
						  &used),
				 SMTP_REPLY_DONE);
		unsigned long long size = 99;
		assert_int_equal(smtp_reply_extensions(&r, &size), ext_cases[i].set);
		assert_int_equal(size, ext_cases[i].size);
		smtp_reply_clear(&r);
	}
	assert_string_equal(smtp_ext_name(SMTP_EXT_REQUIRETLS), "REQUIRETLS");
	assert_null(smtp_ext_name(1u << 30));
	assert_int_equal(smtp_ext_parse("8bitmime"), SMTP_EXT_8BITMIME);
	assert_int_equal(smtp_ext_parse("X-FOO"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_reply_text),
		cmocka_unit_test(test_extensions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
