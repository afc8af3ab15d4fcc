/* test_mta_sts.c — MTA-STS: the TXT record parser (RFC 8461 §3.1), the policy parser (§3.2:
 * fields, line endings, whitespace, limits, bytes), its JSON form, MX pattern matching (§4.1),
 * the check's verdict and detail over recorded DNS answers and policy fetches (§3.3), MECSA's
 * percentage, what the daemon is told to fetch, and the fetch's evidence JSON round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/evidence_json.h"
#include "checks/mta_sts.h"
#include "checks/mx.h"
#include "testpki.h"

/* ---- TXT record ---- */

struct record_case {
	const char *rec;    /* the TXT record */
	size_t len;	    /* 0 for strlen */
	const char *id;	    /* the id when valid, NULL when invalid */
	const char *reason; /* substring of the reason when invalid */
};

static const struct record_case record_cases[] = {
	{"v=STSv1; id=20160831085700Z;", 0, "20160831085700Z", NULL}, /* RFC 8461 §3.1 example */
	{"v=STSv1; id=20160831085700Z", 0, "20160831085700Z", NULL},
	{"v=STSv1;id=abc123 ; ext=1", 0, "abc123", NULL},
	{"v=STSv1; id=1; ", 0, "1", NULL}, /* trailing "; " (mecsa-st rejects it) */
	{"v=STSv1 ;\tid=X9", 0, "X9", NULL},
	{"v=STSv1; foo.bar-1=a:b/c; id=7", 0, "7", NULL},
	{"v=STSv1; id=abcdefghijabcdefghijabcdefghij12", 0, "abcdefghijabcdefghijabcdefghij12",
	 NULL},
	{"v=STSv1; id=abcdefghijabcdefghijabcdefghij123", 0, NULL, "letters and digits"},
	{"v=STSv1; id=", 0, NULL, "letters and digits"},
	{"v=STSv1; id=2019-01-01", 0, NULL, "letters and digits"},
	{"v=STSv1; id=a.b", 0, NULL, "letters and digits"},
	{"v=STSv1", 0, NULL, "no field"},
	{"v=STSv1;", 0, NULL, "no field"},
	{"v=STSv1; foo=bar", 0, NULL, "no id"},
	{"v=stsv1; id=1", 0, NULL, "exactly"},
	{"v= STSv1; id=1", 0, NULL, "exactly"},
	{"id=1; v=STSv1", 0, NULL, "does not begin"},
	{"v=STSv2; id=1", 0, NULL, "does not begin"},
	{"v=STSv1; id=1; id=2", 0, NULL, "more than once"},
	{"v=STSv1; ID=1", 0, NULL, "lower-case"},
	{"v=STSv1; id=1;;", 0, NULL, "empty field"},
	{"v=STSv1 id=1", 0, NULL, "expected ';'"},
	{"v=STSv1; id=1; x=a=b", 0, NULL, "bad value"},
	{"v=STSv1; id=1\0", 14, NULL, "US-ASCII"},
	{"v=STSv1; id=1; n=\xc3\xa9", 0, NULL, "US-ASCII"},
};

static void test_mta_sts_record_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof record_cases / sizeof *record_cases; i++) {
		const struct record_case *c = &record_cases[i];
		struct mta_sts_record rec;
		char err[256] = "";
		int rc = mta_sts_record_parse(c->rec, c->len ? c->len : strlen(c->rec), &rec, err,
					      sizeof err);
		if (c->id) {
			if (rc != 0)
				fail_msg("case %zu '%s': rejected (%s)", i, c->rec, err);
			assert_string_equal(rec.id, c->id);
		} else {
			if (rc == 0)
				fail_msg("case %zu '%s': accepted", i, c->rec);
			if (strstr(err, c->reason) == NULL)
				fail_msg("case %zu '%s': reason '%s' lacks '%s'", i, c->rec, err,
					 c->reason);
			assert_string_equal(rec.id, "");
		}
	}
}

/* ---- policy ---- */

#define RFC_POLICY                                                                                 \
	"version: STSv1\nmode: enforce\nmx: mail.example.com\nmx: *.example.net\n"                 \
	"mx: backupmx.example.com\nmax_age: 604800\n"

struct policy_case {
	const char *what;	/* description */
	const char *body;	/* the policy */
	size_t len;		/* 0 for strlen */
	int ok;			/* 1 when valid */
	enum mta_sts_mode mode; /* expected mode (also checked on failure: parsed so far) */
	long max_age;		/* expected max_age, -1 unset */
	size_t n_mx;		/* expected mx count */
	const char *reason;	/* substring of the reason when invalid */
};

static const struct policy_case policy_cases[] = {
	{"RFC 8461 §3.2 example, LF", RFC_POLICY, 0, 1, MTA_STS_MODE_ENFORCE, 604800, 3, NULL},
	{"CRLF", "version: STSv1\r\nmode: testing\r\nmx: mx.example.com\r\nmax_age: 86400\r\n", 0,
	 1, MTA_STS_MODE_TESTING, 86400, 1, NULL},
	{"mixed endings, no final newline",
	 "version: STSv1\r\nmode: enforce\nmx: mx.example.com\r\nmax_age: 86400", 0, 1,
	 MTA_STS_MODE_ENFORCE, 86400, 1, NULL},
	{"mode none without mx", "version: STSv1\nmode: none\nmax_age: 0\n", 0, 1,
	 MTA_STS_MODE_NONE, 0, 0, NULL},
	{"mode none with mx", "version: STSv1\nmode: none\nmx: a.example\nmax_age: 1\n", 0, 1,
	 MTA_STS_MODE_NONE, 1, 1, NULL},
	{"no space after ':' and trailing WSP",
	 "version:STSv1 \nmode:\tenforce\t\nmx:mx.example.com  \nmax_age:31557600\n", 0, 1,
	 MTA_STS_MODE_ENFORCE, 31557600, 1, NULL},
	{"field order free", "max_age: 5\nmx: mx.example.com\nmode: enforce\nversion: STSv1\n", 0,
	 1, MTA_STS_MODE_ENFORCE, 5, 1, NULL},
	{"unknown fields ignored",
	 "version: STSv1\nmode: enforce\nfoo: bar baz\nx_1.y-z: \xc3\xa9t\xc3\xa9 ok\n"
	 "mx: mx.example.com\nmax_age: 60\n",
	 0, 1, MTA_STS_MODE_ENFORCE, 60, 1, NULL},
	{"leading zeros", "version: STSv1\nmode: none\nmax_age: 0000000042\n", 0, 1,
	 MTA_STS_MODE_NONE, 42, 0, NULL},
	{"blank lines tolerated", "version: STSv1\n\nmode: none\r\n\r\nmax_age: 1\n\n", 0, 1,
	 MTA_STS_MODE_NONE, 1, 0, NULL},
	/* missing fields */
	{"empty body", "", 0, 0, MTA_STS_MODE_UNSET, -1, 0, "no version"},
	{"no version", "mode: enforce\nmx: a.example\nmax_age: 1\n", 0, 0, MTA_STS_MODE_ENFORCE, 1,
	 1, "no version"},
	{"no mode", "version: STSv1\nmx: a.example\nmax_age: 1\n", 0, 0, MTA_STS_MODE_UNSET, 1, 1,
	 "no mode"},
	{"no max_age", "version: STSv1\nmode: testing\nmx: a.example\n", 0, 0, MTA_STS_MODE_TESTING,
	 -1, 1, "no max_age"},
	{"no mx in enforce", "version: STSv1\nmode: enforce\nmax_age: 1\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, 1, 0, "no mx"},
	{"no mx in testing", "version: STSv1\nmode: testing\nmax_age: 1\n", 0, 0,
	 MTA_STS_MODE_TESTING, 1, 0, "no mx"},
	/* values */
	{"version STSv2", "version: STSv2\nmode: none\nmax_age: 1\n", 0, 0, MTA_STS_MODE_UNSET, -1,
	 0, "not STSv1"},
	{"version lower-case", "version: stsv1\nmode: none\nmax_age: 1\n", 0, 0, MTA_STS_MODE_UNSET,
	 -1, 0, "not STSv1"},
	{"mode capitalised", "version: STSv1\nmode: Enforce\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "not enforce"},
	{"mode unknown", "version: STSv1\nmode: strict\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "not enforce"},
	{"mode empty", "version: STSv1\nmode:\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0, "not enforce"},
	{"max_age too big", "version: STSv1\nmode: none\nmax_age: 31557601\n", 0, 0,
	 MTA_STS_MODE_NONE, -1, 0, "exceeds"},
	{"max_age 10 digits too big", "version: STSv1\nmode: none\nmax_age: 9999999999\n", 0, 0,
	 MTA_STS_MODE_NONE, -1, 0, "exceeds"},
	{"max_age 11 digits", "version: STSv1\nmode: none\nmax_age: 00000000001\n", 0, 0,
	 MTA_STS_MODE_NONE, -1, 0, "1 to 10 digits"},
	{"max_age negative", "version: STSv1\nmode: none\nmax_age: -1\n", 0, 0, MTA_STS_MODE_NONE,
	 -1, 0, "1 to 10 digits"},
	{"max_age exponent", "version: STSv1\nmode: none\nmax_age: 1e5\n", 0, 0, MTA_STS_MODE_NONE,
	 -1, 0, "1 to 10 digits"},
	{"max_age empty", "version: STSv1\nmode: none\nmax_age: \n", 0, 0, MTA_STS_MODE_NONE, -1, 0,
	 "1 to 10 digits"},
	{"max_age inner space", "version: STSv1\nmode: none\nmax_age: 86 400\n", 0, 0,
	 MTA_STS_MODE_NONE, -1, 0, "1 to 10 digits"},
	{"mx two wildcards", "version: STSv1\nmode: enforce\nmx: *.*.example.com\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, -1, 0, "not a host name"},
	{"mx trailing dot", "version: STSv1\nmode: enforce\nmx: mx.example.com.\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, -1, 0, "not a host name"},
	{"mx underscore", "version: STSv1\nmode: enforce\nmx: mx_1.example.com\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, -1, 0, "not a host name"},
	{"mx star only", "version: STSv1\nmode: enforce\nmx: *\n", 0, 0, MTA_STS_MODE_ENFORCE, -1,
	 0, "not a host name"},
	{"mx empty", "version: STSv1\nmode: enforce\nmx:\n", 0, 0, MTA_STS_MODE_ENFORCE, -1, 0,
	 "not a host name"},
	{"mx inner wildcard", "version: STSv1\nmode: enforce\nmx: mx.*.example.com\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, -1, 0, "not a host name"},
	{"mx list on one line", "version: STSv1\nmode: enforce\nmx: a.example, b.example\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, -1, 0, "not a host name"},
	{"mx hyphen label end", "version: STSv1\nmode: enforce\nmx: mx-.example.com\n", 0, 0,
	 MTA_STS_MODE_ENFORCE, -1, 0, "not a host name"},
	/* duplicates */
	{"mode twice", "version: STSv1\nmode: enforce\nmode: testing\n", 0, 0, MTA_STS_MODE_ENFORCE,
	 -1, 0, "mode given twice"},
	{"version twice", "version: STSv1\nversion: STSv1\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "version given twice"},
	{"max_age twice", "max_age: 1\nmax_age: 1\n", 0, 0, MTA_STS_MODE_UNSET, 1, 0,
	 "max_age given twice"},
	/* whitespace and names */
	{"space before ':'", "version : STSv1\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "space before ':'"},
	{"leading space", " version: STSv1\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "starts with whitespace"},
	{"whitespace-only line", "version: STSv1\n  \nmode: none\nmax_age: 1\n", 0, 0,
	 MTA_STS_MODE_UNSET, -1, 0, "line 2 starts with whitespace"},
	{"capitalised name", "Version: STSv1\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0, "lower-case"},
	{"MAX_AGE", "version: STSv1\nmode: none\nMAX_AGE: 1\n", 0, 0, MTA_STS_MODE_NONE, -1, 0,
	 "lower-case"},
	{"no colon (HTML page)", "<html><body>Not found</body></html>\n", 0, 0, MTA_STS_MODE_UNSET,
	 -1, 0, "no ':'"},
	{"bad field name", "version: STSv1\nmy key: v\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "bad field name"},
	{"empty field name", ": v\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0, "bad field name"},
	{"extension without value", "version: STSv1\nfoo:\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "empty or bad value"},
	{"extension with inner tab", "version: STSv1\nfoo: a\tb\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "empty or bad value"},
	/* bytes */
	{"bare CR", "version: STSv1\rmode: enforce\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0, "bare CR"},
	{"NUL in a value", "version: STSv1\nfoo: a\0b\n", 24, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "empty or bad value"},
	{"NUL in a name", "version: STSv1\nf\0o: ab\n", 23, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "bad field name"},
	{"invalid UTF-8", "version: STSv1\nfoo: \xff\xfe\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "empty or bad value"},
	{"overlong UTF-8", "version: STSv1\nfoo: \xc0\xaf\n", 0, 0, MTA_STS_MODE_UNSET, -1, 0,
	 "empty or bad value"},
	{"UTF-8 BOM", "\xef\xbb\xbfversion: STSv1\nmode: none\nmax_age: 1\n", 0, 0,
	 MTA_STS_MODE_UNSET, -1, 0, "bad field name"},
};

static void test_mta_sts_policy_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof policy_cases / sizeof *policy_cases; i++) {
		const struct policy_case *c = &policy_cases[i];
		struct mta_sts_policy p;
		char err[256] = "";
		int rc = mta_sts_policy_parse(c->body, c->len ? c->len : strlen(c->body), &p, err,
					      sizeof err);
		if (c->ok && rc != 0)
			fail_msg("%s: rejected (%s)", c->what, err);
		if (!c->ok) {
			if (rc == 0)
				fail_msg("%s: accepted", c->what);
			if (strstr(err, c->reason) == NULL)
				fail_msg("%s: reason '%s' lacks '%s'", c->what, err, c->reason);
		}
		if (p.mode != c->mode || p.max_age != c->max_age || p.n_mx != c->n_mx)
			fail_msg("%s: mode %d max_age %ld mx %zu, expected %d %ld %zu", c->what,
				 (int)p.mode, p.max_age, p.n_mx, (int)c->mode, c->max_age, c->n_mx);
		mta_sts_policy_clear(&p);
	}
	mta_sts_policy_clear(NULL); /* a no-op */
}

/* A body of exactly `len` bytes: a valid policy padded with extension lines. */
static char *policy_of_size(size_t len)
{
	const char *head = "version: STSv1\nmode: none\nmax_age: 86400\n";
	char *b = malloc(len + 1);
	size_t o = strlen(head);
	memcpy(b, head, o);
	while (len - o > 0) {
		size_t line = len - o > 60 ? 60 : len - o; /* "x: " + filler + "\n" */
		if (line < 5) {				   /* pad the last line with spaces */
			memset(b + o, '\n', line);
			o += line;
			break;
		}
		memcpy(b + o, "x: ", 3);
		memset(b + o + 3, 'a', line - 4);
		b[o + line - 1] = '\n';
		o += line;
	}
	b[len] = '\0';
	return b;
}

static void test_mta_sts_policy_size(void **state)
{
	(void)state;
	static const struct {
		size_t len; /* body size */
		int ok;	    /* expected validity */
	} sizes[] = {{4096, 1}, {MTA_STS_POLICY_MAX, 1}, {MTA_STS_POLICY_MAX + 1, 0}, {1 << 20, 0}};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char *body = policy_of_size(sizes[i].len);
		struct mta_sts_policy p;
		char err[256] = "";
		int rc = mta_sts_policy_parse(body, sizes[i].len, &p, err, sizeof err);
		if ((rc == 0) != sizes[i].ok)
			fail_msg("%zu bytes: rc %d (%s)", sizes[i].len, rc, err);
		if (!sizes[i].ok)
			assert_non_null(strstr(err, "exceeds"));
		mta_sts_policy_clear(&p);
		free(body);
	}
}

static void test_mta_sts_policy_json(void **state)
{
	(void)state;
	static const char body[] = "version: STSv1\r\nmode: testing\r\nmx: mail.example.com\r\n"
				   "mx: *.example.net\r\nnote: caf\xc3\xa9\r\nnote: second\r\n"
				   "max_age: 86400\r\n\r\n";
	struct mta_sts_policy p;
	char err[256];
	assert_int_equal(mta_sts_policy_parse(body, sizeof body - 1, &p, err, sizeof err), 0);
	json_t *j = mta_sts_policy_to_json(&p);
	assert_string_equal(json_string_value(json_object_get(j, "version")), "STSv1");
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "testing");
	assert_int_equal(json_integer_value(json_object_get(j, "max_age")), 86400);
	json_t *mx = json_object_get(j, "mx");
	assert_int_equal(json_array_size(mx), 2);
	assert_string_equal(json_string_value(json_array_get(mx, 1)), "*.example.net");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "extensions"),
							       "note")),
			    "caf\xc3\xa9");
	assert_int_equal(json_integer_value(json_object_get(j, "blank_lines")), 1);
	assert_string_equal(json_string_value(json_object_get(j, "line_endings")), "crlf");
	char *dump = json_dumps(j, 0);
	assert_non_null(dump);
	free(dump);
	json_decref(j);
	assert_true(mta_sts_policy_match(&p, "MAIL.example.com."));
	assert_true(mta_sts_policy_match(&p, "mx1.example.net"));
	assert_false(mta_sts_policy_match(&p, "example.net"));
	mta_sts_policy_clear(&p);

	/* A failed parse still serialises what it saw; unset fields are null. */
	assert_int_equal(mta_sts_policy_parse("mode: enforce\nmax_age: x\n", 25, &p, err,
					      sizeof err),
			 -1);
	j = mta_sts_policy_to_json(&p);
	assert_true(json_is_null(json_object_get(j, "version")));
	assert_string_equal(json_string_value(json_object_get(j, "mode")), "enforce");
	assert_true(json_is_null(json_object_get(j, "max_age")));
	assert_string_equal(json_string_value(json_object_get(j, "line_endings")), "lf");
	json_decref(j);
	mta_sts_policy_clear(&p);

	assert_string_equal(mta_sts_mode_name(MTA_STS_MODE_ENFORCE), "enforce");
	assert_string_equal(mta_sts_mode_name(MTA_STS_MODE_NONE), "none");
	assert_null(mta_sts_mode_name(MTA_STS_MODE_UNSET));
}

/* ---- MX matching ---- */

struct match_case {
	const char *pattern; /* policy mx value */
	const char *host;    /* MX host name */
	int match;	     /* expected */
};

static const struct match_case match_cases[] = {
	{"mail.example.com", "mail.example.com", 1},
	{"mail.example.com", "MAIL.Example.COM", 1},
	{"MAIL.EXAMPLE.COM", "mail.example.com", 1},
	{"mail.example.com.", "mail.example.com", 1},
	{"mail.example.com", "mail.example.com.", 1},
	{"mail.example.com", "mail.example.co", 0},
	{"mail.example.com", "mail.example.com.au", 0},
	{"example.com", "mail.example.com", 0},
	{"mail.example.com", "example.com", 0},
	/* RFC 8461 §4.1: the wildcard stands for exactly one leftmost label */
	{"*.example.com", "mx.example.com", 1},
	{"*.example.com", "MX.EXAMPLE.COM", 1},
	{"*.Example.COM", "mx.example.com", 1},
	{"*.example.com", "mx.example.com.", 1},
	{"*.example.com.", "mx.example.com", 1},
	{"*.example.com", "a.b.example.com", 0}, /* mecsa-st says yes */
	{"*.example.com", "example.com", 0},
	{"*.example.com", "xexample.com", 0},
	{"*.example.com", ".example.com", 0},
	{"*.example.com", "mx.example.net", 0},
	{"*.example.com", "mx.notexample.com", 0},
	{"*.mx.example.com", "mx.example.com", 0},
	/* degenerate input */
	{"", "mail.example.com", 0},
	{NULL, "mail.example.com", 0},
	{"mail.example.com", "", 0},
	{"mail.example.com", NULL, 0},
	{".", ".", 0},
	{"*.", "mx", 0},
	{"*", "mx.example.com", 0},
	{"*", "*", 1}, /* no wildcard meaning without "*.": plain comparison */
	{".example.com", "x.example.com", 0},
};

static void test_mta_sts_mx_match_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof match_cases / sizeof *match_cases; i++) {
		const struct match_case *c = &match_cases[i];
		int got = mta_sts_mx_match(c->pattern, c->host);
		if (got != c->match)
			fail_msg("'%s' vs '%s': %d, expected %d",
				 c->pattern ? c->pattern : "(null)",
				 c->host ? c->host : "(null)", got, c->match);
	}
}

/* ---- the check ---- */

struct txt {
	const char *data; /* record bytes */
	size_t len;	  /* 0 for strlen */
};

struct verdict_case {
	const char *what;	  /* description */
	enum dns_status status;	  /* of the _mta-sts TXT lookup; NOT_QUERIED: not in evidence */
	struct txt txt[4];	  /* records, data NULL ends */
	enum verdict_status want; /* expected verdict */
	const char *reason;	  /* substring of the verdict reason */
	long long found;	  /* expected records_found, -1: no detail */
	int syntax_valid;	  /* expected syntax_valid */
	const char *id;		  /* expected id, NULL for null */
};

static const struct verdict_case verdict_cases[] = {
	{"not asked", DNS_STATUS_NOT_QUERIED, {{NULL, 0}}, VERDICT_NOT_TESTABLE, "not queried", -1,
	 0, NULL},
	{"nxdomain", DNS_STATUS_NXDOMAIN, {{NULL, 0}}, VERDICT_ABSENT, "nxdomain", 0, 0, NULL},
	{"nodata", DNS_STATUS_NODATA, {{NULL, 0}}, VERDICT_ABSENT, "nodata", 0, 0, NULL},
	{"servfail", DNS_STATUS_SERVFAIL, {{NULL, 0}}, VERDICT_DNS_ERROR, "servfail", 0, 0, NULL},
	{"timeout", DNS_STATUS_TIMEOUT, {{NULL, 0}}, VERDICT_DNS_ERROR, "timeout", 0, 0, NULL},
	{"error", DNS_STATUS_ERROR, {{NULL, 0}}, VERDICT_DNS_ERROR, "error", 0, 0, NULL},
	/* One TXT record is the domain's record, whatever it begins with (RFC 8461 §3.1
	 * discards non-STSv1 records only among several): invalid, not absent. */
	{"single non-STSv1 record", DNS_STATUS_OK, {{"v=spf1 -all", 0}, {NULL, 0}}, VERDICT_FAIL,
	 "does not begin with v=STSv1", 1, 0, NULL},
	{"single record without a version", DNS_STATUS_OK, {{"id=20240101", 0}, {NULL, 0}},
	 VERDICT_FAIL, "does not begin with v=STSv1", 1, 0, NULL},
	{"unrelated among several", DNS_STATUS_OK,
	 {{"v=spf1 -all", 0}, {"google-site-verification=x", 0}, {NULL, 0}}, VERDICT_ABSENT,
	 "among 2 TXT", 0, 0, NULL},
	/* A valid record alone: the policy host was never resolved, so nothing was fetched. */
	{"valid", DNS_STATUS_OK, {{"v=STSv1; id=20160831085700Z;", 0}, {NULL, 0}},
	 VERDICT_NOT_TESTABLE, "mta-sts.example.org was not resolved", 1, 1, "20160831085700Z"},
	{"valid + unrelated", DNS_STATUS_OK,
	 {{"v=spf1 -all", 0}, {"v=STSv1; id=abc", 0}, {"v=STSv10; id=1", 0}, {NULL, 0}},
	 VERDICT_NOT_TESTABLE, "not resolved", 1, 1, "abc"},
	{"two records", DNS_STATUS_OK, {{"v=STSv1; id=a", 0}, {"v=STSv1; id=b", 0}, {NULL, 0}},
	 VERDICT_FAIL, "2 MTA-STS records", 2, 0, NULL},
	{"bad id", DNS_STATUS_OK, {{"v=STSv1; id=2024-01-01", 0}, {NULL, 0}}, VERDICT_FAIL,
	 "letters and digits", 1, 0, NULL},
	{"no id", DNS_STATUS_OK, {{"v=STSv1;", 0}, {NULL, 0}}, VERDICT_FAIL, "no field", 1, 0,
	 NULL},
	{"lower-case version", DNS_STATUS_OK, {{"v=stsv1; id=1", 0}, {NULL, 0}}, VERDICT_FAIL,
	 "exactly", 1, 0, NULL},
	{"binary", DNS_STATUS_OK, {{"v=STSv1; id=1\xff", 0}, {NULL, 0}}, VERDICT_FAIL, "US-ASCII",
	 1, 0, NULL},
};

static void test_mta_sts_verdict_table(void **state)
{
	(void)state;
	const char *qname = "_mta-sts.example.org";
	for (size_t i = 0; i < sizeof verdict_cases / sizeof *verdict_cases; i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct evidence *ev = evidence_new("example.org");
		if (c->status != DNS_STATUS_NOT_QUERIED) {
			struct dns_answer *a = evidence_dns_slot(ev, qname, DNS_TYPE_TXT);
			a->status = c->status;
			for (size_t j = 0; c->txt[j].data; j++)
				dns_answer_add(a, DNS_TYPE_TXT, NULL, c->txt[j].data,
					       c->txt[j].len ? c->txt[j].len
							     : strlen(c->txt[j].data));
		}
		struct result *res = result_new("example.org");
		check_mx.evaluate(ev, res); /* mta_sts reads its verdict when no MX is known */
		check_mta_sts.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_MTASTS];
		if (cr->verdict.status != c->want)
			fail_msg("%s: verdict %s (%s), expected %s", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->want));
		if (strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", c->what, cr->verdict.reason,
				 c->reason);
		if (c->found >= 0) {
			json_t *d = cr->detail;
			assert_non_null(d);
			assert_int_equal(json_integer_value(json_object_get(d, "records_found")),
					 c->found);
			assert_int_equal(json_is_true(json_object_get(d, "syntax_valid")),
					 c->syntax_valid);
			json_t *id = json_object_get(d, "id");
			if (c->id)
				assert_string_equal(json_string_value(id), c->id);
			else
				assert_true(json_is_null(id));
			json_t *pol = json_object_get(d, "policy");
			assert_non_null(pol);
			assert_true(json_is_null(pol)); /* nothing was fetched */
			assert_true(json_is_null(json_object_get(d, "policy_fetch")));
			assert_false(json_is_true(json_object_get(d, "policy_valid")));
			char *dump = json_dumps(d, 0);
			assert_non_null(dump);
			free(dump);
		}
		/* MECSA support needs the policy: never set by the TXT check alone. */
		assert_false(res->supported[MECSA_MTA_STS]);
		assert_true(res->percent[MECSA_MTA_STS] == 0.0);
		result_free(res);
		evidence_free(ev);
	}
}

/* ---- the policy fetch, the verdict, MECSA ---- */

#define POLICY_BOTH                                                                                \
	"version: STSv1\nmode: enforce\nmx: mx1.example.org\nmx: mx2.example.org\nmax_age: "       \
	"86400\n"
#define POLICY_TESTING                                                                             \
	"version: STSv1\nmode: testing\nmx: mx1.example.org\nmx: mx2.example.org\nmax_age: "       \
	"86400\n"
#define POLICY_WILD "version: STSv1\r\nmode: enforce\r\nmx: *.example.org\r\nmax_age: 604800\r\n"
#define POLICY_ONE "version: STSv1\nmode: enforce\nmx: mx1.example.org\nmax_age: 86400\n"
#define POLICY_NONE "version: STSv1\nmode: none\nmax_age: 86400\n"
#define POLICY_BAD "version: STSv1\nmode: enforcing\nmx: mx1.example.org\n"
#define URL "https://mta-sts.example.org/.well-known/mta-sts.txt"

enum x509_rows { X_NONE = 0, X_VALID, X_MX2_BAD };

struct fetch_case {
	const char *what;	   /* description */
	enum dns_status host_a;	   /* A of mta-sts.example.org (AAAA: nodata, or the same failure);
				      NOT_QUERIED: neither asked */
	int fetched;		   /* an HTTPS fetch is recorded */
	int ok;			   /* ... with a complete response */
	long status;		   /* HTTP status */
	const char *ctype;	   /* Content-Type, or NULL */
	const char *redirect;	   /* Location, or NULL */
	const char *body;	   /* body, or NULL */
	const char *error;	   /* fetch error, or NULL */
	int tls;		   /* tls_failure */
	int timed_out;		   /* timed_out */
	int truncated;		   /* body cut */
	enum x509_rows x509;	   /* the x509 check's rows */
	int mx2_reached;	   /* mx2's probe got a 220 */
	enum verdict_status want;  /* verdict */
	const char *reason;	   /* substring of the reason */
	const char *mode;	   /* detail.mode, NULL for null */
	int all;		   /* detail.all_mx_matched */
	int deliverable;	   /* detail.deliverable: 1, 0, -1 for null */
	double pct;		   /* MECSA percentage */
	enum dns_status mx_lookup; /* the MX answer's status; NOT_QUERIED (0): OK, mx1 and mx2 */
};

static const struct fetch_case fetch_cases[] = {
	/* clang-format off */
	{"enforce, both MX", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_BOTH, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_PASS,
	 "mode enforce, every MX", "enforce", 1, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"testing", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_TESTING, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_PASS,
	 "mode testing", "testing", 1, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"charset parameter, wildcard, CRLF", DNS_STATUS_OK,
	 1, 1, 200, "Text/Plain; charset=utf-8", NULL, POLICY_WILD, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_PASS,
	 "every MX", "enforce", 1, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"one MX not listed", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_ONE, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "1 MX host(s) not in the policy: mx2.example.org", "enforce", 0, 1, 50.0,
	 DNS_STATUS_NOT_QUERIED},
	{"unlisted MX unreachable: MECSA ignores it", DNS_STATUS_OK,
	 1, 1, 200, "text/plain", NULL, POLICY_ONE, NULL, 0, 0, 0, X_VALID, 0, VERDICT_FAIL,
	 "not in the policy", "enforce", 0, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"mode none", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_NONE, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "policy mode none", "none", 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"syntax error", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_BAD, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "invalid policy: line 2: mode", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"404", DNS_STATUS_OK, 1, 1, 404, "text/html", NULL, "<html>not found</html>", NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "HTTP status 404", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"redirect not followed", DNS_STATUS_OK,
	 1, 1, 301, "text/html", "https://elsewhere.example/.well-known/mta-sts.txt", "", NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "redirects (HTTP 301 to https://elsewhere.example/", NULL, 0, -1, 0.0,
	 DNS_STATUS_NOT_QUERIED},
	{"text/html: RFC fail, MECSA counts it", DNS_STATUS_OK,
	 1, 1, 200, "text/html", NULL, POLICY_BOTH, NULL, 0, 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "text/html, not text/plain", "enforce", 1, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"text/plainish", DNS_STATUS_OK, 1, 1, 200, "text/plainx", NULL, POLICY_BOTH, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "not text/plain", "enforce", 1, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"no content type", DNS_STATUS_OK, 1, 1, 200, NULL, NULL, POLICY_BOTH, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "no Content-Type", "enforce", 1, 1, 100.0, DNS_STATUS_NOT_QUERIED},
	{"certificate for another name", DNS_STATUS_OK,
	 1, 0, 0, NULL, NULL, NULL, "SSL: no alternative certificate subject name matches", 1,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "TLS or certificate failure at mta-sts.example.org", NULL, 0, -1, 0.0,
	 DNS_STATUS_NOT_QUERIED},
	{"timeout", DNS_STATUS_OK,
	 1, 0, 0, NULL, NULL, NULL, "Operation timed out after 10000 ms", 0,
	 1, 0, X_VALID, 1, VERDICT_NOT_TESTABLE,
	 "timed out", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"connection refused", DNS_STATUS_OK,
	 1, 0, 0, NULL, NULL, NULL, "Failed to connect to mta-sts.example.org port 443", 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "fetch " URL " failed: Failed to connect", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"too large", DNS_STATUS_OK,
	 1, 0, 200, "text/plain", NULL, POLICY_BOTH, "body larger than 65536 bytes", 0,
	 0, 1, X_VALID, 1, VERDICT_FAIL, "larger than", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"cut in the evidence", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_BOTH, NULL, 0,
	 0, 1, X_VALID, 1, VERDICT_FAIL,
	 "larger than 65536", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"an MX certificate invalid: still a pass", DNS_STATUS_OK,
	 1, 1, 200, "text/plain", NULL, POLICY_BOTH, NULL, 0, 0, 0, X_MX2_BAD, 1, VERDICT_PASS,
	 "not PKIX-valid", "enforce", 1, 0, 100.0, DNS_STATUS_NOT_QUERIED},
	{"no x509 rows", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_BOTH, NULL, 0,
	 0, 0, X_NONE, 1, VERDICT_PASS, "every MX", "enforce", 1, 0, 100.0, DNS_STATUS_NOT_QUERIED},
	{"host has addresses, not fetched", DNS_STATUS_OK, 0, 0, 0, NULL, NULL, NULL, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_NOT_TESTABLE,
	 "was not fetched", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"host does not exist", DNS_STATUS_NXDOMAIN, 0, 0, 0, NULL, NULL, NULL, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "has no address (A nxdomain, AAAA nxdomain)", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"host lookup fails", DNS_STATUS_SERVFAIL, 0, 0, 0, NULL, NULL, NULL, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_DNS_ERROR,
	 "mta-sts.example.org A: servfail", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"host not asked", DNS_STATUS_NOT_QUERIED, 0, 0, 0, NULL, NULL, NULL, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_NOT_TESTABLE,
	 "was not resolved", NULL, 0, -1, 0.0, DNS_STATUS_NOT_QUERIED},
	{"MX lookup timed out", DNS_STATUS_OK, 1, 1, 200, "text/plain", NULL, POLICY_BOTH, NULL, 0,
	 0, 0, X_VALID, 1, VERDICT_DNS_ERROR,
	 "valid policy, but no MX host to match: ", "enforce", 0, -1, 0.0, DNS_STATUS_TIMEOUT},
	{"MX lookup: no such domain", DNS_STATUS_OK,
	 1, 1, 200, "text/plain", NULL, POLICY_BOTH, NULL, 0, 0, 0, X_VALID, 1, VERDICT_FAIL,
	 "no MX host to match the policy against", "enforce", 0, -1, 0.0, DNS_STATUS_NXDOMAIN},
	/* clang-format on */
};

static char *opt_dup(const char *s) { return s ? xstrdup(s) : NULL; }

/* example.org: a valid record, MX 10 mx1 (192.0.2.1) and 20 mx2 (192.0.2.2), both probed. */
static struct evidence *fetch_evidence(const struct fetch_case *c)
{
	struct evidence *ev = evidence_new("example.org");
	const char *txt[] = {"v=STSv1; id=20240101T0000;", NULL};
	tp_answer(ev, "_mta-sts.example.org", DNS_TYPE_TXT, DNS_STATUS_OK, DNSSEC_SECURE, NULL);
	struct dns_answer *a = evidence_dns_slot(ev, "_mta-sts.example.org", DNS_TYPE_TXT);
	dns_answer_add(a, DNS_TYPE_TXT, NULL, txt[0], strlen(txt[0]));
	const char *mx[] = {"10 mx1.example.org", "20 mx2.example.org", NULL};
	const char *a1[] = {"192.0.2.1", NULL}, *a2[] = {"192.0.2.2", NULL};
	if (c->mx_lookup == DNS_STATUS_NOT_QUERIED)
		tp_answer(ev, "example.org", DNS_TYPE_MX, DNS_STATUS_OK, DNSSEC_SECURE, mx);
	else
		tp_answer(ev, "example.org", DNS_TYPE_MX, c->mx_lookup, DNSSEC_SECURE, NULL);
	tp_answer(ev, "mx1.example.org", DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_SECURE, a1);
	tp_answer(ev, "mx2.example.org", DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_SECURE, a2);
	tp_probe_tls(ev, "mx1.example.org", "192.0.2.1", "TLSv1.3", NULL, 0);
	struct smtp_probe *p = tp_probe_tls(ev, "mx2.example.org", "192.0.2.2", "TLSv1.3", NULL, 0);
	if (!c->mx2_reached) {
		p->banner_code = 0;
		p->error = SMTP_ERR_TIMEOUT;
	}
	if (c->host_a != DNS_STATUS_NOT_QUERIED) {
		const char *h[] = {"192.0.2.80", NULL};
		tp_answer(ev, "mta-sts.example.org", DNS_TYPE_A, c->host_a, DNSSEC_SECURE,
			  c->host_a == DNS_STATUS_OK ? h : NULL);
		tp_answer(ev, "mta-sts.example.org", DNS_TYPE_AAAA,
			  c->host_a == DNS_STATUS_OK ? DNS_STATUS_NODATA : c->host_a, DNSSEC_SECURE,
			  NULL);
	}
	if (c->fetched) {
		struct https_fetch *f = evidence_https_add(ev);
		f->url = xstrdup(URL);
		f->resolve = xstrdup("mta-sts.example.org:443:192.0.2.80");
		f->ok = c->ok;
		f->status = c->status;
		f->content_type = opt_dup(c->ctype);
		f->redirect = opt_dup(c->redirect);
		f->error = opt_dup(c->error);
		f->tls_failure = c->tls;
		f->timed_out = c->timed_out;
		f->truncated = c->truncated;
		if (c->body) {
			f->body = (unsigned char *)xstrdup(c->body);
			f->len = strlen(c->body);
		}
	}
	return ev;
}

static json_t *fetch_x509_row(const char *host, const char *addr, int valid)
{
	return json_pack("{s:s, s:s, s:b}", "host", host, "address", addr, "valid", valid);
}

static void test_mta_sts_fetch_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof fetch_cases / sizeof *fetch_cases; i++) {
		const struct fetch_case *c = &fetch_cases[i];
		struct evidence *ev = fetch_evidence(c);
		struct result *res = result_new(ev->domain);
		json_t *rows = json_array();
		if (c->x509 != X_NONE) {
			json_array_append_new(rows,
					      fetch_x509_row("mx1.example.org", "192.0.2.1", 1));
			json_array_append_new(rows, fetch_x509_row("MX2.example.org.", "192.0.2.2",
								   c->x509 == X_VALID));
		}
		/* What the x509 check (earlier in the registry) leaves for mta_sts to read. */
		result_set(res, CHECK_X509, json_pack("{s:o}", "addresses", rows), VERDICT_PASS,
			   "set by the test");
		check_mx.evaluate(ev, res); /* mta_sts reads its verdict when no MX is known */
		check_mta_sts.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_MTASTS];
		if (cr->verdict.status != c->want)
			fail_msg("%s: verdict %s (%s), expected %s", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->want));
		if (strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", c->what, cr->verdict.reason,
				 c->reason);
		json_t *d = cr->detail;
		assert_non_null(d);
		const char *mode = json_string_value(json_object_get(d, "mode"));
		if (c->mode == NULL ? mode != NULL : mode == NULL || strcmp(mode, c->mode) != 0)
			fail_msg("%s: mode %s, expected %s", c->what, mode ? mode : "null",
				 c->mode ? c->mode : "null");
		assert_int_equal(json_is_true(json_object_get(d, "all_mx_matched")), c->all);
		json_t *dl = json_object_get(d, "deliverable");
		int got = json_is_null(dl) ? -1 : json_is_true(dl);
		if (got != c->deliverable)
			fail_msg("%s: deliverable %d, expected %d", c->what, got, c->deliverable);
		if (res->percent[MECSA_MTA_STS] != c->pct)
			fail_msg("%s: MECSA percent %.1f, expected %.1f", c->what,
				 res->percent[MECSA_MTA_STS], c->pct);
		assert_int_equal(res->supported[MECSA_MTA_STS], c->pct >= 80.0);
		json_t *pf = json_object_get(d, "policy_fetch");
		if (c->fetched) {
			assert_string_equal(json_string_value(json_object_get(pf, "url")), URL);
			assert_int_equal(json_integer_value(json_object_get(pf, "status")),
					 c->status);
			assert_int_equal(json_is_true(json_object_get(pf, "tls_failure")), c->tls);
			/* A policy object exactly when a whole 200 body was parsed. */
			int parsed = c->ok && c->status == 200 && !c->truncated;
			assert_int_equal(json_is_object(json_object_get(d, "policy")), parsed);
		} else {
			assert_true(json_is_null(pf));
		}
		if (c->mode && strcmp(c->mode, "none") != 0 &&
		    c->mx_lookup == DNS_STATUS_NOT_QUERIED) {
			json_t *m = json_object_get(d, "mx_matched");
			assert_int_equal(json_array_size(m), 2);
			assert_string_equal(
			    json_string_value(json_object_get(json_array_get(m, 0), "host")),
			    "mx1.example.org");
			assert_true(json_is_true(json_object_get(json_array_get(m, 0), "matched")));
		}
		char *dump = json_dumps(d, 0);
		assert_non_null(dump);
		free(dump);
		result_free(res);
		evidence_free(ev);
	}
}

/* The whole registry over one evidence: x509 runs before mta_sts, so deliverable is read from a
 * real judgement (no certificate here: not deliverable), and scoring keeps the percentage. */
static void test_mta_sts_registry_order(void **state)
{
	(void)state;
	size_t x509 = check_registry_len, sts = check_registry_len;
	for (size_t i = 0; i < check_registry_len; i++) {
		if (check_registry[i]->id == CHECK_X509)
			x509 = i;
		if (check_registry[i]->id == CHECK_MTASTS)
			sts = i;
	}
	assert_true(x509 < sts && sts < check_registry_len);
	struct evidence *ev = fetch_evidence(&fetch_cases[0]);
	struct result *res = result_new(ev->domain);
	check_evaluate_all(ev, res);
	const struct check_result *cr = &res->checks[CHECK_MTASTS];
	assert_int_equal(cr->verdict.status, VERDICT_PASS);
	assert_true(json_is_false(json_object_get(cr->detail, "deliverable")));
	assert_true(res->percent[MECSA_MTA_STS] == 100.0);
	result_free(res);
	evidence_free(ev);
}

struct target_case {
	const char *what;	 /* description */
	const char *txt;	 /* the _mta-sts TXT record, NULL: none */
	enum dns_status a, aaaa; /* answers for mta-sts.example.org; NOT_QUERIED: not in */
	int want;		 /* mta_sts_policy_fetch_target's return */
	const char *resolve;	 /* the pin when 1 */
	size_t n_plan;		 /* questions plan asks */
};

static const struct target_case target_cases[] = {
	{"no record", NULL, DNS_STATUS_NOT_QUERIED, DNS_STATUS_NOT_QUERIED, 0, NULL, 0},
	{"bad record", "v=STSv1; id=a-b", DNS_STATUS_NOT_QUERIED, DNS_STATUS_NOT_QUERIED, 0, NULL, 0},
	{"valid, host not asked", "v=STSv1; id=1", DNS_STATUS_NOT_QUERIED, DNS_STATUS_NOT_QUERIED, -1,
	 NULL, 2},
	{"only A in", "v=STSv1; id=1", DNS_STATUS_OK, DNS_STATUS_NOT_QUERIED, -1, NULL, 1},
	{"both in", "v=STSv1; id=1", DNS_STATUS_OK, DNS_STATUS_OK, 1,
	 "mta-sts.example.org:443:192.0.2.80,[2001:db8::80]", 0},
	{"A only", "v=STSv1; id=1", DNS_STATUS_OK, DNS_STATUS_NODATA, 1,
	 "mta-sts.example.org:443:192.0.2.80", 0},
	{"no such host", "v=STSv1; id=1", DNS_STATUS_NXDOMAIN, DNS_STATUS_NXDOMAIN, 0, NULL, 0},
	{"lookups failed", "v=STSv1; id=1", DNS_STATUS_SERVFAIL, DNS_STATUS_TIMEOUT, 0, NULL, 0},
};

static void test_mta_sts_fetch_target(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof target_cases / sizeof *target_cases; i++) {
		const struct target_case *c = &target_cases[i];
		struct evidence *ev = evidence_new("example.org");
		struct dns_answer *a = evidence_dns_slot(ev, "_mta-sts.example.org", DNS_TYPE_TXT);
		a->status = c->txt ? DNS_STATUS_OK : DNS_STATUS_NXDOMAIN;
		if (c->txt)
			dns_answer_add(a, DNS_TYPE_TXT, NULL, c->txt, strlen(c->txt));
		const char *v4[] = {"192.0.2.80", NULL}, *v6[] = {"2001:db8::80", NULL};
		if (c->a != DNS_STATUS_NOT_QUERIED)
			tp_answer(ev, "mta-sts.example.org", DNS_TYPE_A, c->a, DNSSEC_SECURE,
				  c->a == DNS_STATUS_OK ? v4 : NULL);
		if (c->aaaa != DNS_STATUS_NOT_QUERIED)
			tp_answer(ev, "mta-sts.example.org", DNS_TYPE_AAAA, c->aaaa, DNSSEC_SECURE,
				  c->aaaa == DNS_STATUS_OK ? v6 : NULL);
		char url[300] = "", pin[512] = "";
		int r = mta_sts_policy_fetch_target(ev, url, sizeof url, pin, sizeof pin);
		if (r != c->want)
			fail_msg("%s: returned %d, expected %d", c->what, r, c->want);
		if (r == 1) {
			assert_string_equal(url, URL);
			assert_string_equal(pin, c->resolve);
		}
		struct dns_question q[8];
		size_t n = check_mta_sts.plan(ev, q, 8);
		if (n != c->n_plan)
			fail_msg("%s: plan asks %zu, expected %zu", c->what, n, c->n_plan);
		for (size_t k = 0; k < n; k++) {
			assert_string_equal(q[k].name, "mta-sts.example.org");
			assert_true(q[k].type == DNS_TYPE_A || q[k].type == DNS_TYPE_AAAA);
		}
		evidence_free(ev);
	}
}

/* The recorded fetch survives the evidence JSON: text bodies as text, others as hex; a stored
 * fetch that is not one is refused. */
static void test_mta_sts_fetch_json(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.org");
	struct https_fetch *f = evidence_https_add(ev);
	f->url = xstrdup(URL);
	f->resolve = xstrdup("mta-sts.example.org:443:192.0.2.80");
	f->fetched_ms = 1700000000123LL;
	f->ok = 1;
	f->status = 200;
	f->content_type = xstrdup("text/plain");
	f->body = (unsigned char *)xstrdup(POLICY_WILD);
	f->len = strlen(POLICY_WILD);
	static const unsigned char bin[] = {'v', 0, 0xff, '\n'};
	f = evidence_https_add(ev);
	f->url = xstrdup("https://mta-sts.example.net/.well-known/mta-sts.txt");
	f->ok = 1;
	f->status = 301;
	f->redirect = xstrdup("https://elsewhere.example/");
	f->body = xcalloc(1, sizeof bin + 1);
	memcpy(f->body, bin, sizeof bin);
	f->len = sizeof bin;
	f->truncated = 1;
	f = evidence_https_add(ev);
	f->url = xstrdup("https://mta-sts.example.com/.well-known/mta-sts.txt");
	f->error = xstrdup("Operation timed out");
	f->timed_out = 1;
	f->tls_failure = 1;

	json_t *j = evidence_to_json(ev);
	json_t *arr = json_object_get(j, "https");
	assert_int_equal(json_array_size(arr), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 0), "body")),
			    POLICY_WILD);
	assert_string_equal(json_string_value(json_object_get(json_array_get(arr, 1), "body_hex")),
			    "7600ff0a");
	assert_null(json_object_get(json_array_get(arr, 2), "body"));
	char err[128] = "";
	struct evidence *back = evidence_from_json(j, err, sizeof err);
	if (back == NULL)
		fail_msg("refused: %s", err);
	json_t *j2 = evidence_to_json(back);
	assert_true(json_equal(j, j2));
	const struct https_fetch *b = evidence_https_find(back, URL);
	assert_non_null(b);
	assert_int_equal(b->len, strlen(POLICY_WILD));
	assert_memory_equal(b->body, POLICY_WILD, b->len);
	assert_string_equal(b->resolve, "mta-sts.example.org:443:192.0.2.80");
	b = evidence_https_find(back, "https://mta-sts.example.net/.well-known/mta-sts.txt");
	assert_int_equal(b->len, sizeof bin);
	assert_memory_equal(b->body, bin, sizeof bin);
	assert_int_equal(b->truncated, 1);
	assert_string_equal(b->redirect, "https://elsewhere.example/");
	b = evidence_https_find(back, "https://mta-sts.example.com/.well-known/mta-sts.txt");
	assert_null(b->body);
	assert_int_equal(b->timed_out, 1);
	assert_int_equal(b->tls_failure, 1);
	assert_null(evidence_https_find(back, "https://nowhere.example/"));

	/* The verdict is the same after the trip (the policy is what was stored). */
	struct result *r1 = result_new("example.org"), *r2 = result_new("example.org");
	check_mta_sts.evaluate(ev, r1);
	check_mta_sts.evaluate(back, r2);
	assert_int_equal(r1->checks[CHECK_MTASTS].verdict.status,
			 r2->checks[CHECK_MTASTS].verdict.status);
	result_free(r1);
	result_free(r2);

	static const char *const bad[] = {
	    "{\"version\":1,\"domain\":\"example.org\",\"dns\":[],\"https\":[{\"status\":200}]}",
	    "{\"version\":1,\"domain\":\"example.org\",\"dns\":[],\"https\":[{\"url\":\"u\","
	    "\"body_hex\":\"abc\"}]}",
	    "{\"version\":1,\"domain\":\"example.org\",\"dns\":[],\"https\":[{\"url\":\"u\","
	    "\"body_hex\":\"zz\"}]}",
	    "{\"version\":1,\"domain\":\"example.org\",\"dns\":[],\"https\":[7]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *jb = json_loads(bad[i], 0, NULL);
		assert_non_null(jb);
		err[0] = '\0';
		struct evidence *e = evidence_from_json(jb, err, sizeof err);
		if (e != NULL)
			fail_msg("bad #%zu accepted", i);
		assert_non_null(strstr(err, "HTTPS fetch"));
		json_decref(jb);
	}
	json_decref(j);
	json_decref(j2);
	evidence_free(back);
	evidence_free(ev);
}

/* A body over the evidence cap is cut and marked when copied in; a copy is deep. */
static void test_mta_sts_fetch_copy(void **state)
{
	(void)state;
	struct https_fetch src = {0}, dst;
	src.url = xstrdup(URL);
	src.len = EVIDENCE_HTTPS_BODY_MAX + 10;
	src.body = xcalloc(1, src.len + 1);
	memset(src.body, 'a', src.len);
	src.content_type = xstrdup("text/plain");
	evidence_https_copy(&dst, &src);
	assert_int_equal(dst.len, EVIDENCE_HTTPS_BODY_MAX);
	assert_int_equal(dst.truncated, 1);
	assert_int_equal(dst.body[dst.len], '\0');
	assert_ptr_not_equal(dst.url, src.url);
	assert_string_equal(dst.content_type, "text/plain");
	assert_null(dst.redirect);
	evidence_https_clear(&src);
	evidence_https_clear(&dst);
	evidence_https_clear(NULL);
	assert_null(dst.body);
}

static void test_mta_sts_plan(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.org");
	struct dns_question q[4];
	assert_int_equal(check_mta_sts.plan(ev, q, 4), 1);
	assert_string_equal(q[0].name, "_mta-sts.example.org");
	assert_int_equal(q[0].type, DNS_TYPE_TXT);
	assert_int_equal(q[0].flags, 0);
	evidence_dns_slot(ev, "_mta-sts.example.org", DNS_TYPE_TXT)->status = DNS_STATUS_SERVFAIL;
	assert_int_equal(check_mta_sts.plan(ev, q, 4), 0);
	evidence_free(ev);
	assert_string_equal(check_mta_sts.name, "mta_sts");
	assert_int_equal(check_mta_sts.id, CHECK_MTASTS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mta_sts_record_table),
		cmocka_unit_test(test_mta_sts_policy_table),
		cmocka_unit_test(test_mta_sts_policy_size),
		cmocka_unit_test(test_mta_sts_policy_json),
		cmocka_unit_test(test_mta_sts_mx_match_table),
		cmocka_unit_test(test_mta_sts_verdict_table),
		cmocka_unit_test(test_mta_sts_fetch_table),
		cmocka_unit_test(test_mta_sts_registry_order),
		cmocka_unit_test(test_mta_sts_fetch_target),
		cmocka_unit_test(test_mta_sts_fetch_json),
		cmocka_unit_test(test_mta_sts_fetch_copy),
		cmocka_unit_test(test_mta_sts_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
