/* test_provider.c — MX host names grouped by provider: registrable domains under multi-label
 * public suffixes, address literals kept as they are, case and trailing dots folded, a public
 * suffix itself and names under an unlisted TLD (the test world's "mxs"). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/provider.h"

static const struct {
	const char *host;     /* an MX host name */
	const char *provider; /* its provider */
} cases[] = {
	{"mx1.mail.example.co.uk", "example.co.uk"},
	{"ASPMX.L.Google.COM.", "google.com"},
	{"example-com.mail.protection.outlook.com", "outlook.com"},
	{"mx.perfect.mxs", "perfect.mxs"}, /* unlisted TLD: the default rule "*" */
	{"mx-d0001.bulk.mxs", "bulk.mxs"},
	{"192.0.2.25", "192.0.2.25"},
	{"[2001:db8::25]", "[2001:db8::25]"},
	{"co.uk", "co.uk"}, /* a public suffix has no registrable domain */
	{"", ""},
	{NULL, ""},
};

static void test_providers(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[256];
		const char *got = provider_of(cases[i].host, out, sizeof out);
		if (strcmp(got, cases[i].provider) != 0)
			fail_msg("provider_of(%s) = \"%s\", want \"%s\"",
				 cases[i].host ? cases[i].host : "NULL", got, cases[i].provider);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_providers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
