/* test_result_json.c — the output object where something was not measured: a withheld score is
 * null with its reason and the protocols not measured; the MECSA compatibility object says null,
 * never 0, for what was not measured or does not apply; dr_has_spf_record and
 * dr_has_dmarc_record mean exactly one record; attempts and indeterminate are reported. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/result_json.h"
#include "checks/score.h"

/* The JSON value at a dotted path ("mecsa.scores.dr_starttls"), borrowed, or NULL. */
static json_t *at(json_t *o, const char *path)
{
	char buf[128];
	snprintf(buf, sizeof buf, "%s", path);
	for (char *save = NULL, *k = strtok_r(buf, ".", &save); k && o; k = strtok_r(NULL, ".", &save))
		o = json_object_get(o, k);
	return o;
}

static char *text(json_t *v)
{
	return v ? json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT) : strdup("(absent)");
}

/* Paths and the compact JSON they must hold. */
struct expect {
	const char *path; /* dotted */
	const char *json; /* compact JSON text, "(absent)" when the key must not be there */
};

static void assert_paths(json_t *o, const char *what, const struct expect *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *got = text(at(o, e[i].path));
		if (strcmp(got, e[i].json) != 0)
			fail_msg("%s: %s is %s, want %s", what, e[i].path, got, e[i].json);
		free(got);
	}
}

/* A scanned result from verdicts and percentages, scored with the built-in table. */
static struct result *scored(const enum verdict_status *v, const double *pct, int rows,
			     int tls_rows)
{
	struct result *res = result_new("example.org");
	for (int c = 0; c < CHECK_MAX; c++)
		if (v[c] != VERDICT_NONE)
			result_set(res, (enum check_id)c, NULL, v[c], "reason of %d", c);
	memcpy(res->percent, pct, sizeof res->percent);
	res->mecsa_rows = rows;
	res->mecsa_tls_rows = tls_rows;
	score_apply(score_table_builtin(), res);
	return res;
}

static void test_withheld_and_not_applicable(void **state)
{
	(void)state;
	/* Every MX refused: STARTTLS not testable; SPF measured. */
	enum verdict_status v[CHECK_MAX] = {
	    [CHECK_MX] = VERDICT_PASS,		[CHECK_STARTTLS] = VERDICT_NOT_TESTABLE,
	    [CHECK_X509] = VERDICT_NOT_TESTABLE, [CHECK_DANE] = VERDICT_ABSENT,
	    [CHECK_SPF] = VERDICT_PASS,		[CHECK_DKIM] = VERDICT_ABSENT,
	    [CHECK_DMARC] = VERDICT_ABSENT,	[CHECK_MTASTS] = VERDICT_ABSENT,
	    [CHECK_DNSSEC] = VERDICT_ABSENT,
	};
	double pct[MECSA_PROTO_MAX] = {[MECSA_SPF] = 100};
	struct result *res = scored(v, pct, 0, 0);
	res->attempts = 3;
	json_t *o = result_to_json(res);
	static const struct expect e[] = {
	    {"scores.confidentiality.score", "null"},
	    {"scores.confidentiality.stars", "null"},
	    {"scores.confidentiality.not_measured", "[\"starttls\",\"x509\"]"},
	    {"scores.confidentiality.missing", "[\"dane\",\"dnssec\",\"mta-sts\"]"},
	    {"scores.confidentiality.reason",
	     "\"could not be measured: starttls (not_testable: reason of 6); x509 (not_testable: "
	     "reason of 7)\""},
	    {"scores.spoofing.score", "3"},
	    {"scores.spoofing.reason", "null"},
	    {"scores.spoofing.not_measured", "[]"},
	    {"mecsa.scores.dr_confidential", "null"},
	    {"mecsa.scores.dr_spoofing", "3"},
	    {"mecsa.scores.dr_starttls", "null"},
	    {"mecsa.scores.dr_certificate", "null"},
	    {"mecsa.scores.dr_dane", "null"},
	    {"mecsa.scores.dr_mta_sts", "null"},
	    {"mecsa.scores.dr_spf", "100.0"},
	    {"mecsa.scores.dr_dnssec", "0.0"},
	    {"mecsa.percent.starttls", "null"},
	    {"attempts", "3"},
	    {"indeterminate", "2"},
	};
	assert_paths(o, "every MX refused", e, sizeof e / sizeof e[0]);
	json_decref(o);
	result_free(res);

	/* STARTTLS measured on two addresses, neither TLS 1.2+: 0 %, and the certificate
	 * percentage does not apply. */
	enum verdict_status w[CHECK_MAX] = {
	    [CHECK_MX] = VERDICT_PASS,	       [CHECK_STARTTLS] = VERDICT_FAIL,
	    [CHECK_X509] = VERDICT_NOT_TESTABLE, [CHECK_DANE] = VERDICT_ABSENT,
	    [CHECK_SPF] = VERDICT_ABSENT,      [CHECK_DKIM] = VERDICT_ABSENT,
	    [CHECK_DMARC] = VERDICT_ABSENT,    [CHECK_MTASTS] = VERDICT_ABSENT,
	    [CHECK_DNSSEC] = VERDICT_ABSENT,
	};
	double none[MECSA_PROTO_MAX] = {0};
	res = scored(w, none, 2, 0);
	o = result_to_json(res);
	static const struct expect f[] = {
	    {"scores.confidentiality.score", "0"},
	    {"scores.confidentiality.not_measured", "[\"x509\"]"},
	    {"mecsa.scores.dr_starttls", "0.0"},
	    {"mecsa.scores.dr_certificate", "null"},
	    {"mecsa.scores.dr_dane", "0.0"},
	    {"mecsa.scores.dr_mta_sts", "0.0"},
	    {"attempts", "(absent)"},
	    {"indeterminate", "0"},
	};
	assert_paths(o, "no TLS 1.2+", f, sizeof f / sizeof f[0]);
	json_decref(o);
	result_free(res);
}

static void test_one_record(void **state)
{
	(void)state;
	static const struct {
		int spf_found;	 /* records_found of the SPF detail, -1 none */
		int dmarc_found; /* of the DMARC detail */
		const char *spf, *dmarc; /* dr_has_spf_record, dr_has_dmarc_record */
	} cases[] = {
	    {1, 1, "true", "true"},
	    {2, 2, "false", "false"}, /* present but broken */
	    {0, 0, "false", "false"},
	    {-1, 1, "false", "true"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct result *res = result_new("example.org");
		if (cases[i].spf_found >= 0)
			result_set(res, CHECK_SPF,
				   json_pack("{s:i}", "records_found", cases[i].spf_found),
				   cases[i].spf_found == 1 ? VERDICT_PASS : VERDICT_FAIL, "x");
		result_set(res, CHECK_DMARC, json_pack("{s:i}", "records_found", cases[i].dmarc_found),
			   cases[i].dmarc_found == 1 ? VERDICT_PASS : VERDICT_FAIL, "x");
		score_apply(score_table_builtin(), res);
		json_t *o = result_to_json(res);
		const struct expect e[] = {
		    {"mecsa.scores.dr_has_spf_record", cases[i].spf},
		    {"mecsa.scores.dr_has_dmarc_record", cases[i].dmarc},
		};
		char what[32];
		snprintf(what, sizeof what, "case %zu", i);
		assert_paths(o, what, e, 2);
		json_decref(o);
		result_free(res);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_withheld_and_not_applicable),
		cmocka_unit_test(test_one_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
