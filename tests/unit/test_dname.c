/* test_dname.c — name normalisation: case, trailing dot, IDNA, and the reasons for rejection;
 * names from the wire, compared with getdns' own printing of them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <getdns/getdns.h>

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

/* What mxsurvey read names as before dname_from_wire: getdns' text, lower-cased, without the
 * trailing dot. */
static int wire_by_getdns(const unsigned char *w, size_t len, char *out, size_t outlen)
{
	getdns_bindata b = {len, (uint8_t *)w};
	char *fqdn = NULL;
	if (getdns_convert_dns_name_to_fqdn(&b, &fqdn) != GETDNS_RETURN_GOOD || fqdn == NULL)
		return -1;
	dname_canonical(fqdn, out, outlen);
	free(fqdn);
	return 0;
}

struct wire_case {
	const char *wire; /* labels as length-prefixed bytes, root label included */
	size_t len;
	const char *expected; /* NULL: malformed */
};

#define W(s) s, sizeof s - 1
static const struct wire_case wire_cases[] = {
	{W("\0"), ""},
	{W("\2MX\7Example\3ORG\0"), "mx.example.org"},
	{W("\1*\4test\0"), "*.test"},
	{W("\3a.b\4test\0"), "a\\.b.test"},
	{W("\5a;()\\\0"), "a\\;\\(\\)\\\\"},
	{W("\3a b\0"), "a\\032b"},
	{W("\2\xc3\xa9\0"), "\\195\\169"},
	{W("\1\x7f\1~\0"), "\\127.~"},
	{W("\3abc"), NULL},		 /* no root label */
	{W("\5abc\0"), NULL},		 /* label longer than the rest */
	{W("\xc0\x0c"), NULL},	 /* a compression pointer */
	{W("\100abc\0"), NULL},	 /* label type 01 */
	{"", 0, NULL},
};

static void test_dname_from_wire_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof wire_cases / sizeof *wire_cases; i++) {
		const struct wire_case *c = &wire_cases[i];
		char out[DNAME_TEXT_MAX];
		int n = dname_from_wire((const unsigned char *)c->wire, c->len, out, sizeof out);
		if (c->expected == NULL) {
			if (n >= 0)
				fail_msg("case %zu: \"%s\" from a malformed name", i, out);
			continue;
		}
		if (n < 0 || strcmp(out, c->expected) != 0 || (size_t)n != strlen(out))
			fail_msg("case %zu: %d \"%s\", expected \"%s\"", i, n, n < 0 ? "" : out,
				 c->expected);
	}
	char small[7]; /* "exampl" and its NUL */
	assert_int_equal(dname_from_wire((const unsigned char *)"\7example\0", 9, small,
					 sizeof small), -1);
	assert_int_equal(dname_from_wire((const unsigned char *)"\6exampl\0", 8, small,
					 sizeof small), 6);
}

/* Random well-formed names (any octets, any label lengths up to the 255-octet limit) print as
 * getdns prints them. */
static void test_dname_from_wire_random(void **state)
{
	(void)state;
	srand(20261201);
	for (int iter = 0; iter < 20000; iter++) {
		unsigned char w[255];
		size_t len = 0;
		int labels = rand() % 8;
		for (int l = 0; l < labels; l++) {
			size_t lab = 1 + (size_t)rand() % (rand() % 4 ? 12 : 63);
			if (len + 1 + lab + 1 > sizeof w)
				break;
			w[len++] = (unsigned char)lab;
			for (size_t k = 0; k < lab; k++) {
				int r = rand() % 4;
				w[len++] = (unsigned char)(r == 0 ? rand() % 256 : r == 1 ? 'A' + rand() % 26
										      : 'a' + rand() % 36);
			}
		}
		w[len++] = 0;
		char got[DNAME_TEXT_MAX], want[DNAME_TEXT_MAX];
		assert_int_equal(wire_by_getdns(w, len, want, sizeof want), 0);
		if (dname_from_wire(w, len, got, sizeof got) < 0 || strcmp(got, want) != 0)
			fail_msg("iteration %d: \"%s\", getdns \"%s\"", iter, got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dname_normalize_table),
		cmocka_unit_test(test_dname_too_long),
		cmocka_unit_test(test_dname_helpers),
		cmocka_unit_test(test_dname_from_wire_table),
		cmocka_unit_test(test_dname_from_wire_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
