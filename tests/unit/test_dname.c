/* test_dname.c — name normalisation: case, trailing dot, IDNA, and the reasons for rejection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/dname.h"

struct dname_case {
	const char *input;    /* as the user wrote it */
	const char *expected; /* normalised, or NULL when invalid */
	const char *reason;   /* substring of the reason when invalid */
};

static const struct dname_case dname_cases[] = {
	{"example.org", "example.org", NULL},
	{"Example.ORG.", "example.org", NULL},
	{"  mail.example.org \t", "mail.example.org", NULL},
	{"bücher.de", "xn--bcher-kva.de", NULL},
	{"BÜCHER.de", "xn--bcher-kva.de", NULL},
	{"xn--bcher-kva.de", "xn--bcher-kva.de", NULL},
	{"faß.de", "xn--fa-hia.de", NULL}, /* non-transitional IDNA 2008 */
	{"a-b.c-d.example", "a-b.c-d.example", NULL},
	{"", NULL, "empty"},
	{".", NULL, "empty"},
	{"bad..name", NULL, "empty label"},
	{"-lead.example", NULL, "hyphen"},
	{"trail-.example", NULL, "hyphen"},
	{"under_score.example", NULL, "not allowed"},
	{"sp ace.example", NULL, "not allowed"},
	{"localhost", NULL, "single-label"},
	{"192.0.2.1", NULL, "IP address"},
	{"2001:db8::1", NULL, "IP address"},
	{"[192.0.2.1]", NULL, "IP address"},
	{"example.123", NULL, "all-numeric"},
	{"xn--zz.example", NULL, "A-label"},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", NULL, "63"},
	{"\xff\xfe.example", NULL, "IDNA"},
};

static void test_dname_normalize_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof dname_cases / sizeof *dname_cases; i++) {
		const struct dname_case *c = &dname_cases[i];
		char out[DNAME_MAX] = "", err[200] = "";
		int rc = dname_normalize(c->input, out, sizeof out, err, sizeof err);
		if (c->expected) {
			if (rc != 0)
				fail_msg("'%s': rejected (%s)", c->input, err);
			assert_string_equal(out, c->expected);
		} else {
			if (rc == 0)
				fail_msg("'%s': accepted as '%s'", c->input, out);
			if (strstr(err, c->reason) == NULL)
				fail_msg("'%s': reason '%s' lacks '%s'", c->input, err, c->reason);
		}
	}
}

static void test_dname_too_long(void **state)
{
	(void)state;
	char name[400] = "";
	for (int i = 0; i < 5; i++)
		strcat(name, "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghij."); /* 51 each */
	strcat(name, "example");
	char out[DNAME_MAX], err[200];
	assert_int_equal(dname_normalize(name, out, sizeof out, err, sizeof err), -1);
	assert_non_null(strstr(err, "253"));
}

static void test_dname_helpers(void **state)
{
	(void)state;
	assert_true(dname_equal("Example.ORG.", "example.org"));
	assert_false(dname_equal("example.org", "example.org.uk"));
	assert_string_equal(dname_parent("a.b.c"), "b.c");
	assert_null(dname_parent("c"));
	char out[DNAME_MAX];
	dname_canonical("MX.Example.Org.", out, sizeof out);
	assert_string_equal(out, "mx.example.org");
	assert_true(dname_is_ip_literal("[IPv6:2001:db8::1]"));
	assert_false(dname_is_ip_literal("mx.example.org"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dname_normalize_table),
		cmocka_unit_test(test_dname_too_long),
		cmocka_unit_test(test_dname_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
