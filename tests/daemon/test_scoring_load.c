/* test_scoring_load.c — the scoring.yaml loader: every kind of error with its file:line:col, what
 * valid files may contain, the shipped config/scoring.yaml equal to the built-in table, and edits
 * to a copy of it changing scores (what a rescore relies on). Run from the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/score.h"
#include "daemon/scoring_load.h"

#define SHIPPED "config/scoring.yaml"

/* Three categories that load: appended to the error cases that are not about categories. */
#define CATS                                                                                       \
	"categories:\n"                                                                            \
	"  confidentiality: {protocols: [starttls], scores: {5: [[starttls]]}}\n"                  \
	"  spoofing: {protocols: [spf], scores: {}}\n"                                             \
	"  integrity: {protocols: [dkim], scores: ~}\n"

/* A whole file up to the integrity category, for cases about one category's contents. */
#define HEAD                                                                                       \
	"categories:\n"                                                                            \
	"  spoofing: {protocols: [spf], scores: {}}\n"                                             \
	"  integrity: {protocols: [dkim], scores: ~}\n"                                            \
	"  confidentiality:\n"

static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *yaml; /* the file */
		const char *err;  /* the whole message */
	} cases[] = {
		{"", "t.yaml:1:1: empty scoring table (expected mode, threshold, categories)"},
		{"# only a comment\n",
		 "t.yaml:1:1: empty scoring table (expected mode, threshold, categories)"},
		{"- mode\n", "t.yaml:1:1: top level: expected a mapping (mode, threshold, "
			     "categories), got a list"},
		{"mode: fixed\ncolour: red\n" CATS,
		 "t.yaml:2:1: top level: unknown key 'colour' (expected mode, threshold, "
		 "categories)"},
		{"mode: fixed\n" CATS "mode: fixed\n",
		 "t.yaml:6:1: top level: duplicate key 'mode' (first at line 1)"},
		{"mode: fixed\n", "t.yaml:1:1: missing 'categories'"},
		{"mode: compat\n" CATS,
		 "t.yaml:1:7: mode: expected fixed or mecsa-st, got 'compat'"},
		{"mode:\n" CATS, "t.yaml:1:6: mode: expected a value, got nothing"},
		{"mode: [fixed]\n" CATS, "t.yaml:1:7: mode: expected a value, got a list"},
		{"threshold: 0\n" CATS,
		 "t.yaml:1:12: threshold: 0 is out of range (a percentage, 0 < t <= 100)"},
		{"threshold: 100.5\n" CATS,
		 "t.yaml:1:12: threshold: 100.5 is out of range (a percentage, 0 < t <= 100)"},
		{"threshold: 80%\n" CATS, "t.yaml:1:12: threshold: '80%' is not a number"},
		{"threshold: nan\n" CATS, "t.yaml:1:12: threshold: 'nan' is not a number"},
		{"threshold: !!int 80\n" CATS,
		 "t.yaml:1:12: YAML tag 'tag:yaml.org,2002:int' is not supported here"},
		{"categories: [confidentiality]\n",
		 "t.yaml:1:13: categories: expected a mapping (confidentiality, spoofing, "
		 "integrity), got a list"},
		{"categories:\n"
		 "  confidentiality: {protocols: [starttls], scores: {}}\n"
		 "  spoofing: {protocols: [spf], scores: {}}\n",
		 "t.yaml:1:1: categories: missing 'integrity'"},
		{CATS "  privacy: {}\n",
		 "t.yaml:5:3: categories: unknown key 'privacy' (expected confidentiality, "
		 "spoofing, integrity)"},
		{HEAD "    protocols: [starttls, tls]\n    scores: {}\n",
		 "t.yaml:5:27: confidentiality.protocols: unknown protocol 'tls' (expected "
		 "starttls, x509, spf, spf_policy, dkim, dmarc, dmarc_policy, dane, dnssec, "
		 "mta-sts)"},
		{HEAD "    protocols: [starttls, dane, starttls]\n    scores: {}\n",
		 "t.yaml:5:33: confidentiality.protocols: 'starttls' is listed twice (first at "
		 "line 5)"},
		{HEAD "    protocols: [dane, x509]\n    scores: {}\n",
		 "t.yaml:5:23: confidentiality.protocols: x509 requires starttls in the same "
		 "category"},
		{"categories:\n"
		 "  confidentiality: {protocols: [starttls], scores: {}}\n"
		 "  spoofing: {protocols: [spf_policy, dkim], scores: {}}\n"
		 "  integrity: {protocols: [dkim], scores: ~}\n",
		 "t.yaml:3:26: spoofing.protocols: spf_policy requires spf in the same category"},
		{"categories:\n"
		 "  confidentiality: {protocols: [starttls], scores: {}}\n"
		 "  spoofing: {protocols: [spf], scores: {}}\n"
		 "  integrity:\n"
		 "    protocols:\n"
		 "      - dkim\n"
		 "      - dmarc_policy\n"
		 "    scores: {}\n",
		 "t.yaml:7:9: integrity.protocols: dmarc_policy requires dmarc in the same "
		 "category"},
		{HEAD "    protocols: []\n    scores: {}\n",
		 "t.yaml:5:16: confidentiality.protocols: a category needs at least one protocol"},
		{HEAD "    protocols: starttls\n    scores: {}\n",
		 "t.yaml:5:16: confidentiality.protocols: expected a list of protocols, got a "
		 "scalar"},
		{HEAD "    protocols: [starttls]\n    weights: {}\n",
		 "t.yaml:6:5: confidentiality: unknown key 'weights' (expected protocols, scores)"},
		{HEAD "    protocols: [starttls]\n",
		 "t.yaml:4:3: confidentiality: missing 'scores'"},
		{HEAD "    scores: {}\n", "t.yaml:4:3: confidentiality: missing 'protocols'"},
		{HEAD "    protocols: [starttls]\n    scores: [[starttls]]\n",
		 "t.yaml:6:13: confidentiality.scores: expected a mapping of scores (0..10) to "
		 "lists of combinations, got a list"},
		{HEAD "    protocols: [starttls]\n    scores:\n      11: [[starttls]]\n",
		 "t.yaml:7:7: confidentiality.scores: score '11' is not an integer from 0 to 10"},
		{HEAD "    protocols: [starttls]\n    scores:\n      -1: [[starttls]]\n",
		 "t.yaml:7:7: confidentiality.scores: score '-1' is not an integer from 0 to 10"},
		{HEAD "    protocols: [starttls]\n    scores:\n      5.5: [[starttls]]\n",
		 "t.yaml:7:7: confidentiality.scores: score '5.5' is not an integer from 0 to 10"},
		{HEAD "    protocols: [starttls]\n    scores:\n      ten: [[starttls]]\n",
		 "t.yaml:7:7: confidentiality.scores: score 'ten' is not an integer from 0 to 10"},
		{HEAD "    protocols: [starttls]\n    scores:\n"
		      "      5: []\n      6: []\n      5: []\n",
		 "t.yaml:9:7: confidentiality.scores: duplicate score 5 (first at line 7)"},
		{HEAD "    protocols: [starttls]\n    scores:\n      5: [starttls]\n",
		 "t.yaml:7:11: confidentiality.scores.5: a combination is a list of protocols, got "
		 "a scalar"},
		{HEAD "    protocols: [starttls]\n    scores:\n      5:\n        -\n",
		 "t.yaml:8:10: confidentiality.scores.5: a combination is a list of protocols, got "
		 "nothing"},
		{HEAD "    protocols: [starttls]\n    scores:\n      5: [[starttls, ssl]]\n",
		 "t.yaml:7:22: confidentiality.scores.5: unknown protocol 'ssl' (expected "
		 "starttls, x509, spf, spf_policy, dkim, dmarc, dmarc_policy, dane, dnssec, "
		 "mta-sts)"},
		{HEAD "    protocols: [starttls]\n    scores:\n      5: [[starttls, dkim]]\n",
		 "t.yaml:7:22: confidentiality.scores.5: 'dkim' is not one of confidentiality's "
		 "protocols"},
		{HEAD "    protocols: [starttls, dane]\n    scores:\n"
		      "      5: [[dane, starttls, dane]]\n",
		 "t.yaml:7:28: confidentiality.scores.5: 'dane' appears twice in one combination"},
		{HEAD "    protocols: [starttls]\n    scores:\n      5: {starttls: 1}\n",
		 "t.yaml:7:10: confidentiality.scores.5: expected a list of combinations, got a "
		 "mapping"},
		{"mode: [fixed\n" CATS,
		 "t.yaml:2:11: YAML syntax error: did not find expected ',' or ']' "
		 "(while parsing a "
		 "flow sequence at line 1, column 7)"},
		{CATS "---\n" CATS, "t.yaml:5:1: more than one YAML document in the file"},
		{"mode: fix\xff" "ed\n" CATS,
		 "t.yaml:1:10: invalid input: invalid leading UTF-8 octet"},
		{"{? [a]: b}\n", "t.yaml:1:4: top level: expected a value, got a list"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct score_table *t = (struct score_table *)0x1; /* untouched on error */
		char err[512];
		int rc = scoring_load_buffer("t.yaml", cases[i].yaml, strlen(cases[i].yaml), &t,
					     err, sizeof err);
		if (rc != -1 || strcmp(err, cases[i].err) != 0)
			fail_msg("case %zu: rc %d, error\n  got  '%s'\n  want '%s'", i, rc, err,
				 cases[i].err);
		assert_ptr_equal(t, (struct score_table *)0x1);
	}
}

/* Documents nested deeper than YAMLFILE_DEPTH_MAX are refused before libyaml loads them (its cost
 * grows with the square of the depth), at the first level too deep. */
static void test_nesting_depth(void **state)
{
	(void)state;
	static const struct {
		size_t lists; /* depth below the top-level mapping */
		const char *err;
	} cases[] = {
	    {63, "t.yaml:1:13: categories: expected a mapping (confidentiality, spoofing, "
		 "integrity), got a list"},
	    {64, "t.yaml:1:76: nested more than 64 levels deep"},
	    {100000, "t.yaml:1:76: nested more than 64 levels deep"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		size_t n = cases[i].lists, hl = strlen("categories: ");
		char *text = malloc(hl + 2 * n + 2);
		assert_non_null(text);
		memcpy(text, "categories: ", hl);
		memset(text + hl, '[', n);
		memset(text + hl + n, ']', n);
		memcpy(text + hl + 2 * n, "\n", 2);
		struct score_table *t = (struct score_table *)0x1;
		char err[512];
		int rc = scoring_load_buffer("t.yaml", text, strlen(text), &t, err, sizeof err);
		if (rc != -1 || strcmp(err, cases[i].err) != 0)
			fail_msg("%zu lists: rc %d, error\n  got  '%s'\n  want '%s'", n, rc, err,
				 cases[i].err);
		assert_ptr_equal(t, (struct score_table *)0x1);
		free(text);
	}
}

/* Files that load, and what they give. */
static void test_valid(void **state)
{
	(void)state;
	static const struct {
		const char *yaml;	     /* the file */
		enum score_mode mode;	     /* expected */
		double threshold;	     /* expected */
		enum mecsa_category cat;     /* a category to look at */
		size_t ncombos;		     /* its number of combinations */
		const char *set;	     /* a set to look up there (comma-joined) */
		int score;		     /* its score */
	} cases[] = {
		{CATS, SCORE_MODE_FIXED, 80, MECSA_CONFIDENTIALITY, 1, "starttls", 5},
		{"mode: mecsa-st\nthreshold: 75.5\n" CATS, SCORE_MODE_MECSA_ST, 75.5,
		 MECSA_SPOOFING, 0, "spf", 0},
		{"threshold: 100\n" HEAD "    protocols: [starttls, x509]\n"
		 "    scores:\n      \"10\": [[x509, starttls]]\n      '3': [[]]\n      4: ~\n",
		 SCORE_MODE_FIXED, 100, MECSA_CONFIDENTIALITY, 2, "", 3},
		{HEAD "    scores:\n      7: [&tls [starttls]]\n      6: [*tls]\n"
		      "    protocols: [starttls]\n",
		 SCORE_MODE_FIXED, 80, MECSA_CONFIDENTIALITY, 2, "starttls", 7},
		{"threshold: 1e-3\n" CATS "...\n", SCORE_MODE_FIXED, 0.001, MECSA_INTEGRITY, 0,
		 "dkim", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct score_table *t = NULL;
		char err[512];
		if (scoring_load_buffer("t.yaml", cases[i].yaml, strlen(cases[i].yaml), &t, err,
					sizeof err) != 0)
			fail_msg("case %zu: %s", i, err);
		assert_int_equal(t->mode, cases[i].mode);
		assert_true(t->threshold == cases[i].threshold);
		assert_int_equal(t->cat[cases[i].cat].ncombos, cases[i].ncombos);
		unsigned set = 0;
		char buf[SCORE_KEY_MAX];
		snprintf(buf, sizeof buf, "%s", cases[i].set);
		for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			set |= SCORE_BIT(score_proto_parse(tok));
		assert_int_equal(score_lookup(t, cases[i].cat, set), cases[i].score);
		score_table_free(t);
	}
}

static char *read_shipped(size_t *len)
{
	FILE *f = fopen(SHIPPED, "rb");
	if (f == NULL)
		fail_msg("cannot open %s (run the test from the repository root)", SHIPPED);
	char *buf = malloc(1 << 20);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_shipped_equals_builtin(void **state)
{
	(void)state;
	struct score_table *t = NULL;
	char err[512];
	if (scoring_load(SHIPPED, &t, err, sizeof err) != 0)
		fail_msg("%s", err);
	assert_true(score_table_equal(t, score_table_builtin()));
	score_table_free(t);
}

static void test_file_errors(void **state)
{
	(void)state;
	static const struct {
		const char *path; /* what to load */
		const char *err;  /* the message */
	} cases[] = {
		{"/nonexistent/scoring.yaml",
		 "/nonexistent/scoring.yaml: cannot open: No such file or directory"},
		{"config", "config: cannot read: Is a directory"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct score_table *t = NULL;
		char err[512];
		assert_int_equal(scoring_load(cases[i].path, &t, err, sizeof err), -1);
		assert_string_equal(err, cases[i].err);
		assert_null(t);
	}
	/* A zero-sized buffer is never written to. */
	struct score_table *t = NULL;
	assert_int_equal(scoring_load_buffer("t.yaml", "x: 1\n", 5, &t, NULL, 0), -1);
	assert_null(t);
}

/* Edit a copy of the shipped file, load it, and score a domain with it. */
static void test_edit_changes_score(void **state)
{
	(void)state;
	static const struct {
		const char *after; /* the edit applies to the first match after this text */
		const char *from;  /* text replaced... */
		const char *to;	   /* ...by this */
		double percent[MECSA_PROTO_MAX]; /* the domain */
		bool flags[MECSA_PROTO_MAX];	 /* its policy flags */
		enum mecsa_category cat;	 /* the score looked at */
		int before, after_score;	 /* with the shipped file, with the edit */
	} cases[] = {
		{"integrity:", "      7:", "      9:",
		 {[MECSA_DKIM] = 100, [MECSA_DMARC] = 100},
		 {[MECSA_DMARC_POLICY] = true},
		 MECSA_INTEGRITY, 7, 9},
		{"confidentiality:", "      5:", "      4:",
		 {[MECSA_STARTTLS] = 100},
		 {0},
		 MECSA_CONFIDENTIALITY, 5, 4},
		{"", "mode: fixed", "mode: mecsa-st",
		 {[MECSA_DKIM] = 100, [MECSA_DNSSEC] = 100},
		 {0},
		 MECSA_SPOOFING, 4, 8},
		{"", "threshold: 80", "threshold: 60",
		 {[MECSA_STARTTLS] = 66.7},
		 {0},
		 MECSA_CONFIDENTIALITY, 0, 5},
		{"spoofing:", "[dkim, spf]", "[spf, dkim, dnssec]",
		 {[MECSA_SPF] = 100, [MECSA_DKIM] = 100},
		 {0},
		 MECSA_SPOOFING, 5, 3},
	};
	size_t len;
	char *orig = read_shipped(&len);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const char *from = strstr(orig, cases[i].after);
		assert_non_null(from);
		const char *at = strstr(from, cases[i].from);
		if (at == NULL)
			fail_msg("case %zu: '%s' not found", i, cases[i].from);
		char path[] = "/tmp/test_scoring_load.XXXXXX";
		int fd = mkstemp(path);
		assert_true(fd >= 0);
		FILE *f = fdopen(fd, "w");
		assert_non_null(f);
		fwrite(orig, 1, (size_t)(at - orig), f);
		fputs(cases[i].to, f);
		fputs(at + strlen(cases[i].from), f);
		fclose(f);

		struct score_table *t = NULL;
		char err[512];
		int rc = scoring_load(path, &t, err, sizeof err);
		unlink(path);
		if (rc != 0)
			fail_msg("case %zu: %s", i, err);
		assert_false(score_table_equal(t, score_table_builtin()));

		const struct score_table *tables[] = {score_table_builtin(), t};
		const int want[] = {cases[i].before, cases[i].after_score};
		for (size_t k = 0; k < 2; k++) {
			struct result *res = result_new("example.org");
			memcpy(res->percent, cases[i].percent, sizeof res->percent);
			memcpy(res->supported, cases[i].flags, sizeof res->supported);
			score_apply(tables[k], res);
			if (res->score[cases[i].cat] != want[k])
				fail_msg("case %zu (%s): score %d, want %d", i,
					 k ? "edited" : "shipped", res->score[cases[i].cat],
					 want[k]);
			result_free(res);
		}
		score_table_free(t);
	}
	free(orig);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nesting_depth),
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_shipped_equals_builtin),
		cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_edit_changes_score),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
