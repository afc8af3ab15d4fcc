/* test_store_rows.c — the verdict and MX rows a batch keeps instead of the result's JSON tree:
 * one verdict per check (NULL reason kept NULL), one MX row per address with its family, DNSSEC
 * status and probe (UTF-8 as is, as the stored detail always was), one address-less row for a host
 * without addresses, nothing for a result without checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon/store_rows.h"

struct expect_mx {
	const char *host, *address, *dnssec, *detail;
	int64_t pref;
	int family;
};

static const struct {
	const char *name;
	const char *json;
	const char *verdicts; /* "check=status/reason;..." with "-" for NULL */
	struct expect_mx mx[4];
	size_t n_mx;
} cases[] = {
    {"no checks", "{\"domain\":\"a.example\"}", "", {{0}}, 0},
    {"verdicts only",
     "{\"checks\":{\"spf\":{\"status\":\"pass\",\"reason\":\"ok\"},"
     "\"dkim\":{\"status\":\"fail\"}}}",
     "spf=pass/ok;dkim=fail/-;",
     {{0}},
     0},
    {"two families, a probe for one address",
     "{\"checks\":{\"mx\":{\"status\":\"pass\",\"reason\":\"r\",\"detail\":{\"hosts\":["
     "{\"name\":\"mx.a.example\",\"pref\":10,"
     "\"a\":{\"dnssec\":\"secure\",\"addresses\":[\"192.0.2.1\",\"192.0.2.2\"]},"
     "\"aaaa\":{\"dnssec\":\"insecure\",\"addresses\":[\"2001:db8::1\"]},"
     "\"probes\":{\"192.0.2.2\":{\"starttls\":true,\"x\":[1,\"\\u00e9\"]}}}]}}}}",
     "mx=pass/r;",
     {{"mx.a.example", "192.0.2.1", "secure", NULL, 10, 4},
      {"mx.a.example", "192.0.2.2", "secure", "{\"starttls\":true,\"x\":[1,\"\xc3\xa9\"]}", 10, 4},
      {"mx.a.example", "2001:db8::1", "insecure", NULL, 10, 6}},
     3},
    {"a host without addresses, then one with",
     "{\"checks\":{\"mx\":{\"status\":\"fail\",\"detail\":{\"hosts\":["
     "{\"name\":\"gone.example\",\"pref\":5,\"a\":{\"dnssec\":\"bogus\",\"addresses\":[]}},"
     "{\"name\":\"mx.example\",\"pref\":20,\"a\":{\"addresses\":[\"198.51.100.7\"]}}]}}}}",
     "mx=fail/-;",
     {{"gone.example", NULL, NULL, NULL, 5, 0}, {"mx.example", "198.51.100.7", NULL, NULL, 20, 4}},
     2},
};

static void assert_str_or_null(const char *what, const char *got, const char *want)
{
	if (want == NULL && got == NULL)
		return;
	if (want == NULL || got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: \"%s\", expected \"%s\"", what, got ? got : "(null)",
			 want ? want : "(null)");
}

static void test_rows_from_json(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		json_error_t jerr;
		json_t *j = json_loads(cases[i].json, 0, &jerr);
		if (j == NULL)
			fail_msg("%s: bad case JSON: %s", cases[i].name, jerr.text);
		struct store_rows rows = {0};
		store_rows_from_json(&rows, j);
		json_decref(j); /* the rows own their text */
		char got[512] = "";
		for (size_t k = 0; k < rows.n_verdicts; k++) {
			const char *reason = store_rows_str(&rows, rows.verdicts[k].reason);
			size_t n = strlen(got);
			snprintf(got + n, sizeof got - n, "%s=%s/%s;",
				 store_rows_str(&rows, rows.verdicts[k].check),
				 store_rows_str(&rows, rows.verdicts[k].status),
				 reason ? reason : "-");
		}
		assert_str_or_null(cases[i].name, got, cases[i].verdicts);
		if (rows.n_mx != cases[i].n_mx)
			fail_msg("%s: %zu MX rows, expected %zu", cases[i].name, rows.n_mx,
				 cases[i].n_mx);
		for (size_t k = 0; k < rows.n_mx; k++) {
			const struct store_mx_row *m = &rows.mx[k];
			const struct expect_mx *e = &cases[i].mx[k];
			assert_str_or_null(cases[i].name, store_rows_str(&rows, m->host), e->host);
			assert_str_or_null(cases[i].name, store_rows_str(&rows, m->address),
					   e->address);
			assert_str_or_null(cases[i].name, store_rows_str(&rows, m->dnssec),
					   e->dnssec);
			assert_str_or_null(cases[i].name, store_rows_str(&rows, m->detail),
					   e->detail);
			assert_int_equal(m->pref, e->pref);
			assert_int_equal(m->family, e->family);
		}
		store_rows_clear(&rows);
		assert_int_equal(rows.n_mx + rows.n_verdicts + rows.text_len, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rows_from_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
