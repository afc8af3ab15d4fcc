/* test_output.c — printing stored results: JSON lines are the stored text itself, and must be
 * byte for byte what parsing it and dumping it again printed (non-ASCII as UTF-8, order and
 * numbers as stored; C1 controls stay escaped); the JSON array and the text report still come
 * from the parsed object, the report with control characters escaped. */
#include "checks/score.h"
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/evidence.h"
#include "checks/result.h"
#include "daemon/output.h"
#include "daemon/store.h"

/* Reasons that exercise the escapes the store writes: two- and three-byte characters, one
 * beyond the BMP (a surrogate pair), and escaped text that only looks like an escape. */
static const char *const output_reasons[] = {
	"RFC 7672 \u00a73.1: no usable record", /* U+00A7, two bytes in UTF-8 */
	"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7 \\u00e9 \"quoted\" tab\there",
	"plain ASCII",
};
#define OUTPUT_N (sizeof output_reasons / sizeof *output_reasons)

static int64_t output_fill(struct store *st)
{
	int64_t c = store_campaign_create(st, "out", NULL);
	assert_true(c > 0);
	store_begin(st);
	for (size_t i = 0; i < OUTPUT_N; i++) {
		char name[32];
		snprintf(name, sizeof name, "d%zu.example", i);
		assert_int_equal(store_enqueue(st, c, (int64_t)i, name, name), 0);
	}
	store_commit(st);
	struct store_job jobs[OUTPUT_N];
	assert_int_equal(store_claim(st, c, jobs, OUTPUT_N), OUTPUT_N);
	for (size_t i = 0; i < OUTPUT_N; i++) {
		struct result *res = result_new(jobs[i].domain);
		result_set(res, CHECK_MX, json_pack("{s:f, s:i}", "percent", 100.0 / 3, "n", 7),
			   VERDICT_FAIL, "%s", output_reasons[i]);
		store_put_result(st, &jobs[i], res, NULL, 5);
		result_free(res);
	}
	assert_int_equal(store_flush(st), 0);
	for (size_t i = 0; i < OUTPUT_N; i++)
		store_job_clear(&jobs[i]);
	return c;
}

static int output_dump_line(json_t *r, void *arg)
{
	FILE *f = arg;
	json_dumpf(r, f, JSON_COMPACT | JSON_PRESERVE_ORDER);
	fputc('\n', f);
	return 0;
}

static void test_output_jsonl_is_the_parsed_dump(void **state)
{
	(void)state;
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	assert_non_null(st);
	int64_t c = output_fill(st);

	char *got = NULL, *want = NULL;
	size_t got_len = 0, want_len = 0;
	FILE *f = open_memstream(&got, &got_len);
	assert_int_equal(output_campaign(st, c, OUTPUT_JSONL, f), 0);
	fclose(f);
	f = open_memstream(&want, &want_len);
	assert_int_equal(store_foreach_result(st, c, output_dump_line, f), 0);
	fclose(f);

	assert_string_equal(got, want);
	assert_non_null(strstr(got, "\xc2\xa7" "3.1"));		   /* UTF-8, not \u00A7 */
	assert_non_null(strstr(got, "\xf0\x9f\x93\xa7"));	   /* one 4-byte character */
	assert_non_null(strstr(got, "\\\\u00e9 \\\"quoted\\\"")); /* escapes kept as stored */
	size_t lines = 0;
	for (const char *p = got; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, OUTPUT_N);
	free(got);
	free(want);
	store_close(st);
}

static void test_output_json_and_text_still_parse(void **state)
{
	(void)state;
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	int64_t c = output_fill(st);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(output_campaign(st, c, OUTPUT_JSON, f), 0);
	fclose(f);
	json_error_t jerr;
	json_t *arr = json_loads(buf, 0, &jerr);
	assert_non_null(arr);
	assert_int_equal(json_array_size(arr), OUTPUT_N);
	assert_string_equal(json_string_value(json_object_get(
				    json_object_get(json_object_get(json_array_get(arr, 1), "checks"),
						    "mx"),
				    "reason")),
			    output_reasons[1]);
	json_decref(arr);
	free(buf);

	f = open_memstream(&buf, &len);
	assert_int_equal(output_campaign(st, c, OUTPUT_TEXT, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "== d0.example"));
	assert_non_null(strstr(buf, output_reasons[0]));
	free(buf);
	store_close(st);
}

/* What a peer wrote reaches a terminal escaped: ESC, BEL, an 8-bit CSI (U+009B) and a right-to-
 * left override in a reason are \xHH in the text report; JSON lines keep the controls as \u
 * escapes (C1 included, which JSON itself would allow raw). */
static void test_output_controls_escaped(void **state)
{
	(void)state;
	static const char evil[] = "peer said \x1b]0;owned\x07 \xc2\x9b" "2J \xe2\x80\xae" "cba";
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	int64_t c = store_campaign_create(st, "evil", NULL);
	store_begin(st);
	assert_int_equal(store_enqueue(st, c, 0, "e.example", "e.example"), 0);
	store_commit(st);
	struct store_job job;
	assert_int_equal(store_claim(st, c, &job, 1), 1);
	struct result *res = result_new(job.domain);
	result_set(res, CHECK_MX, json_object(), VERDICT_FAIL, "%s", evil);
	store_put_result(st, &job, res, NULL, 5);
	result_free(res);
	store_job_clear(&job);
	assert_int_equal(store_flush(st), 0);

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(output_campaign(st, c, OUTPUT_TEXT, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "peer said \\x1b]0;owned\\x07 \\xc2\\x9b2J \\xe2\\x80\\xaecba"));
	assert_null(strpbrk(buf, "\x1b\x07\x9b"));
	free(buf);

	f = open_memstream(&buf, &len);
	assert_int_equal(output_campaign(st, c, OUTPUT_JSONL, f), 0);
	fclose(f);
	assert_non_null(strstr(buf, "\\u001B]0;owned\\u0007 \\u009B2J \xe2\x80\xae" "cba"));
	assert_null(strpbrk(buf, "\x1b\x07\x9b"));
	free(buf);
	store_close(st);
}

/* The text report of a domain whose confidentiality could not be measured: "-" for its score,
 * what could not be measured with the reason, and no advice from those verdicts; advice from
 * what was measured stays. */
static void test_output_text_not_measured(void **state)
{
	(void)state;
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	int64_t c = store_campaign_create(st, "nm", NULL);
	store_begin(st);
	assert_int_equal(store_enqueue(st, c, 0, "a.example", "a.example"), 0);
	store_commit(st);
	struct store_job job;
	assert_int_equal(store_claim(st, c, &job, 1), 1);
	struct result *res = result_new("a.example");
	static const struct {
		enum check_id id;	    /* the check */
		enum verdict_status status; /* its verdict */
		const char *reason;	    /* and why */
	} v[] = {
		{CHECK_MX, VERDICT_PASS, "1 of 1 MX hosts resolve"},
		{CHECK_STARTTLS, VERDICT_NOT_TESTABLE, "no MX address could be tested: 421 busy"},
		{CHECK_X509, VERDICT_NOT_TESTABLE, "no TLS session, so no certificate to judge"},
		{CHECK_DANE, VERDICT_ABSENT, "no TLSA records"},
		{CHECK_SPF, VERDICT_ABSENT, "no SPF record"},
		{CHECK_DKIM, VERDICT_ABSENT, "no _domainkey"},
		{CHECK_DMARC, VERDICT_ABSENT, "no DMARC record"},
		{CHECK_MTASTS, VERDICT_ABSENT, "no MTA-STS record"},
		{CHECK_DNSSEC, VERDICT_ABSENT, "not signed"},
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		result_set(res, v[i].id, NULL, v[i].status, "%s", v[i].reason);
	score_apply(score_table_builtin(), res);
	store_put_result(st, &job, res, NULL, 5);
	result_free(res);
	store_job_clear(&job);
	assert_int_equal(store_flush(st), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_int_equal(output_campaign(st, c, OUTPUT_TEXT, f), 0);
	fclose(f);
	if (strstr(buf, "confidentiality  -    -/10  not measured: starttls x509  missing: dane "
			"dnssec mta-sts\n") == NULL ||
	    strstr(buf, "spoofing         .....  0/10") == NULL ||
	    strstr(buf, "Not measured (no score from it, no advice):\n"
			"   - starttls: no MX address could be tested: 421 busy\n"
			"   - x509: no TLS session") == NULL ||
	    strstr(buf, "offer STARTTLS") != NULL || strstr(buf, "use certificates") != NULL ||
	    strstr(buf, "1. publish one valid SPF record") == NULL)
		fail_msg("text report:\n%s", buf);
	free(buf);
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_jsonl_is_the_parsed_dump),
		cmocka_unit_test(test_output_json_and_text_still_parse),
		cmocka_unit_test(test_output_controls_escaped),
		cmocka_unit_test(test_output_text_not_measured),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
