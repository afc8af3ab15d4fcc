/* test_score.c — MECSA scoring: every row of the reference spec's effective tables (§4.5) in
 * both modes, the monotone closure of fixed mode (§4.7), the missing-protocol lists, the 80 % rule
 * and its dependencies, stars, names, and building/comparing tables. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/score.h"

/* One row of spec §4.5: the combination as mecsa-st spells it (canonical order), the value listed
 * in that category of score.json (-1: not listed), what mecsa-st outputs, what fixed mode gives
 * (the listed value, or for an unlisted combination the §4.7 closure), and the "Missing" list. */
struct table_row {
	enum mecsa_category cat; /* the category the row belongs to */
	const char *combo;	 /* supported protocols, comma-joined in canonical order */
	int listed;		 /* score.json's value in this category, -1 when not listed */
	int mecsa_st;		 /* "effective" column */
	int fixed;		 /* fixed mode */
	const char *missing;	 /* category protocols not supported, comma-joined */
};

static const struct table_row rows[] = {
	{ MECSA_CONFIDENTIALITY, "", -1, 0, 0, "starttls,x509,dane,dnssec,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "dane", -1, 0, 0, "starttls,x509,dnssec,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "mta-sts", -1, 0, 0, "starttls,x509,dane,dnssec" },
	{ MECSA_CONFIDENTIALITY, "dane,dnssec", -1, 0, 0, "starttls,x509,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "dane,mta-sts", -1, 0, 0, "starttls,x509,dnssec" },
	{ MECSA_CONFIDENTIALITY, "dnssec,mta-sts", -1, 0, 0, "starttls,x509,dane" },
	{ MECSA_CONFIDENTIALITY, "dane,dnssec,mta-sts", -1, 0, 0, "starttls,x509" },
	{ MECSA_CONFIDENTIALITY, "dnssec", -1, 2, 0, "starttls,x509,dane,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls", 5, 5, 5, "x509,dane,dnssec,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,dane", 6, 6, 6, "x509,dnssec,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,dnssec", 6, 6, 6, "x509,dane,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,mta-sts", 6, 6, 6, "x509,dane,dnssec" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509", 7, 7, 7, "dane,dnssec,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,dane", 7, 7, 7, "dnssec,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,dnssec", 8, 8, 8, "dane,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,dane,dnssec", 10, 10, 10, "x509,mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,mta-sts", 10, 10, 10, "dane,dnssec" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,dane,dnssec", 10, 10, 10, "mta-sts" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,dane,mta-sts", 10, 10, 10, "dnssec" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,dane,dnssec,mta-sts", 10, 10, 10, "" },
	{ MECSA_CONFIDENTIALITY, "starttls,dane,mta-sts", -1, 0, 6, "x509,dnssec" },
	{ MECSA_CONFIDENTIALITY, "starttls,dnssec,mta-sts", -1, 0, 6, "x509,dane" },
	{ MECSA_CONFIDENTIALITY, "starttls,dane,dnssec,mta-sts", -1, 0, 10, "x509" },
	{ MECSA_CONFIDENTIALITY, "starttls,x509,dnssec,mta-sts", -1, 0, 10, "dane" },
	{ MECSA_SPOOFING, "", -1, 0, 0, "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "dnssec", -1, 2, 0, "spf,spf_policy,dkim,dmarc,dmarc_policy" },
	{ MECSA_SPOOFING, "spf", 3, 3, 3, "spf_policy,dkim,dmarc,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "dkim", 3, 3, 3, "spf,spf_policy,dmarc,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "dmarc", 3, 2, 3, "spf,spf_policy,dkim,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "dmarc,dmarc_policy", -1, 0, 3, "spf,spf_policy,dkim,dnssec" },
	{ MECSA_SPOOFING, "spf,dnssec", 4, 4, 4, "spf_policy,dkim,dmarc,dmarc_policy" },
	{ MECSA_SPOOFING, "dmarc,dnssec", 4, 4, 4, "spf,spf_policy,dkim,dmarc_policy" },
	{ MECSA_SPOOFING, "dmarc,dmarc_policy,dnssec", 4, 4, 4, "spf,spf_policy,dkim" },
	{ MECSA_SPOOFING, "dkim,dnssec", 4, 8, 4, "spf,spf_policy,dmarc,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,dmarc", 5, 5, 5, "spf_policy,dkim,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,dkim", -1, 0, 5, "spf_policy,dmarc,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "dkim,dmarc", 5, 6, 5, "spf,spf_policy,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,spf_policy", 6, 6, 6, "dkim,dmarc,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,spf_policy,dnssec", 6, 6, 6, "dkim,dmarc,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,spf_policy,dmarc", 6, 6, 6, "dkim,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,spf_policy,dkim", 6, 6, 6, "dmarc,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,dkim,dnssec", 6, 6, 6, "spf_policy,dmarc,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,dkim,dmarc", 6, 6, 6, "spf_policy,dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,dmarc,dnssec", 6, 6, 6, "spf_policy,dkim,dmarc_policy" },
	{ MECSA_SPOOFING, "dkim,dmarc,dnssec", 6, 8, 6, "spf,spf_policy,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,dmarc,dmarc_policy", 7, 7, 7, "spf_policy,dkim,dnssec" },
	{ MECSA_SPOOFING, "dkim,dmarc,dmarc_policy", 7, 7, 7, "spf,spf_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,dkim,dmarc,dmarc_policy", 7, 7, 7, "spf_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,spf_policy,dmarc,dnssec", 7, 7, 7, "dkim,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,spf_policy,dkim,dmarc", 7, 7, 7, "dmarc_policy,dnssec" },
	{ MECSA_SPOOFING, "spf,spf_policy,dmarc,dmarc_policy", -1, 0, 7, "dkim,dnssec" },
	{ MECSA_SPOOFING, "spf,dkim,dmarc,dnssec", 8, 8, 8, "spf_policy,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,dmarc,dmarc_policy,dnssec", 8, 8, 8, "spf_policy,dkim" },
	{ MECSA_SPOOFING, "spf,spf_policy,dkim,dnssec", 8, 8, 8, "dmarc,dmarc_policy" },
	{ MECSA_SPOOFING, "spf,spf_policy,dkim,dmarc,dmarc_policy", 8, 8, 8, "dnssec" },
	{ MECSA_SPOOFING, "dkim,dmarc,dmarc_policy,dnssec", 8, 10, 8, "spf,spf_policy" },
	{ MECSA_SPOOFING, "spf,spf_policy,dmarc,dmarc_policy,dnssec", -1, 0, 8, "dkim" },
	{ MECSA_SPOOFING, "spf,dkim,dmarc,dmarc_policy,dnssec", 9, 9, 9, "spf_policy" },
	{ MECSA_SPOOFING, "spf,spf_policy,dkim,dmarc,dnssec", 9, 9, 9, "dmarc_policy" },
	{ MECSA_SPOOFING, "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec", 10, 10, 10, "" },
	{ MECSA_INTEGRITY, "", -1, 0, 0, "dkim,dmarc,dmarc_policy,dnssec" },
	{ MECSA_INTEGRITY, "dkim", -1, 3, 0, "dmarc,dmarc_policy,dnssec" },
	{ MECSA_INTEGRITY, "dmarc", 2, 2, 2, "dkim,dmarc_policy,dnssec" },
	{ MECSA_INTEGRITY, "dnssec", 2, 2, 2, "dkim,dmarc,dmarc_policy" },
	{ MECSA_INTEGRITY, "dmarc,dmarc_policy", -1, 0, 2, "dkim,dnssec" },
	{ MECSA_INTEGRITY, "dmarc,dnssec", 4, 4, 4, "dkim,dmarc_policy" },
	{ MECSA_INTEGRITY, "dmarc,dmarc_policy,dnssec", -1, 4, 4, "dkim" },
	{ MECSA_INTEGRITY, "dkim,dmarc", 6, 6, 6, "dmarc_policy,dnssec" },
	{ MECSA_INTEGRITY, "dkim,dmarc,dmarc_policy", 7, 7, 7, "dnssec" },
	{ MECSA_INTEGRITY, "dkim,dnssec", 8, 8, 8, "dmarc,dmarc_policy" },
	{ MECSA_INTEGRITY, "dkim,dmarc,dnssec", 8, 8, 8, "dmarc_policy" },
	{ MECSA_INTEGRITY, "dkim,dmarc,dmarc_policy,dnssec", 10, 10, 10, "" },
};

#define NROWS (sizeof rows / sizeof rows[0])

/* Each category's protocols (spec §4.3), in the order "missing" lists them. */
static const char *const rows_protocols[MECSA_CAT_MAX] = {
	[MECSA_CONFIDENTIALITY] = "starttls,x509,dane,dnssec,mta-sts",
	[MECSA_SPOOFING] = "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec",
	[MECSA_INTEGRITY] = "dkim,dmarc,dmarc_policy,dnssec",
};

/* The set named by a comma-joined list; fails the test on an unknown name. */
static unsigned set_of(const char *combo)
{
	unsigned set = 0;
	char buf[SCORE_KEY_MAX];
	snprintf(buf, sizeof buf, "%s", combo);
	for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int p = score_proto_parse(tok);
		if (p < 0)
			fail_msg("unknown protocol '%s'", tok);
		set |= SCORE_BIT(p);
	}
	return set;
}

static void join_array(const json_t *arr, char *buf, size_t len)
{
	size_t i, out = 0;
	json_t *v;
	buf[0] = '\0';
	json_array_foreach(arr, i, v)
	{
		int w = snprintf(buf + out, len - out, "%s%s", i ? "," : "", json_string_value(v));
		assert_true(w >= 0 && (size_t)w < len - out);
		out += (size_t)w;
	}
}

static struct score_table mecsa_st_table(void)
{
	struct score_table t = *score_table_builtin(); /* shares the static combinations */
	t.mode = SCORE_MODE_MECSA_ST;
	return t;
}

/* A scanned result supporting exactly the protocols of combo (percentages 100, policy flags). */
static struct result *result_with(const char *combo)
{
	struct result *res = result_new("example.org");
	unsigned set = set_of(combo);
	for (int p = 0; p < MECSA_PROTO_MAX; p++) {
		bool on = (set & SCORE_BIT(p)) != 0;
		if (p == MECSA_SPF_POLICY || p == MECSA_DMARC_POLICY)
			res->supported[p] = on;
		else
			res->percent[p] = on ? 100.0 : 0.0;
	}
	return res;
}

static void test_rows_lookup(void **state)
{
	(void)state;
	struct score_table st = mecsa_st_table();
	const struct score_table *fx = score_table_builtin();
	size_t per_cat[MECSA_CAT_MAX] = {0};

	assert_int_equal(fx->mode, SCORE_MODE_FIXED);
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		char list[SCORE_KEY_MAX] = "";
		for (size_t i = 0; i < fx->cat[c].nprotocols; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s",
				 i ? "," : "", mecsa_proto_name(fx->cat[c].protocols[i]));
		assert_string_equal(list, rows_protocols[c]);
	}
	for (size_t i = 0; i < NROWS; i++) {
		const struct table_row *r = &rows[i];
		unsigned set = set_of(r->combo);
		char key[SCORE_KEY_MAX];

		per_cat[r->cat]++;
		/* The string mecsa-st would build for this set is the row's spelling. */
		assert_int_equal(score_combination(set, key, sizeof key), strlen(r->combo));
		assert_string_equal(key, r->combo);

		if (score_lookup(&st, r->cat, set) != r->mecsa_st ||
		    score_mecsa_st_lookup(&st, r->combo) != r->mecsa_st)
			fail_msg("mecsa-st %s '%s': got %d, want %d", mecsa_category_name(r->cat),
				 r->combo, score_lookup(&st, r->cat, set), r->mecsa_st);
		if (score_lookup(fx, r->cat, set) != r->fixed)
			fail_msg("fixed %s '%s': got %d, want %d", mecsa_category_name(r->cat),
				 r->combo, score_lookup(fx, r->cat, set), r->fixed);
		/* Protocols of other categories change nothing. */
		unsigned all = SCORE_BIT(MECSA_PROTO_MAX) - 1;
		unsigned outside = all & ~set_of(rows_protocols[r->cat]);
		assert_int_equal(score_lookup(&st, r->cat, set | outside), r->mecsa_st);
		assert_int_equal(score_lookup(fx, r->cat, set | outside), r->fixed);
		/* Fixed mode honours the table as written (the builtin table is monotone). */
		if (r->listed >= 0)
			assert_int_equal(r->fixed, r->listed);
	}
	/* Every reachable combination: 2*8+8, 3*3*2*2, 2*3*2. */
	assert_int_equal(per_cat[MECSA_CONFIDENTIALITY], 24);
	assert_int_equal(per_cat[MECSA_SPOOFING], 36);
	assert_int_equal(per_cat[MECSA_INTEGRITY], 12);
}

static void test_rows_apply(void **state)
{
	(void)state;
	struct score_table st = mecsa_st_table();
	const struct score_table *tables[] = {score_table_builtin(), &st};

	for (size_t i = 0; i < NROWS; i++) {
		const struct table_row *r = &rows[i];
		for (size_t k = 0; k < 2; k++) {
			struct result *res = result_with(r->combo);
			char missing[256];
			int want = tables[k]->mode == SCORE_MODE_FIXED ? r->fixed : r->mecsa_st;

			score_apply(tables[k], res);
			if (res->score[r->cat] != want)
				fail_msg("%s %s '%s': got %d, want %d",
					 score_mode_name(tables[k]->mode),
					 mecsa_category_name(r->cat), r->combo, res->score[r->cat],
					 want);
			assert_non_null(res->missing[r->cat]);
			join_array(res->missing[r->cat], missing, sizeof missing);
			if (strcmp(missing, r->missing) != 0)
				fail_msg("%s '%s': missing '%s', want '%s'",
					 mecsa_category_name(r->cat), r->combo, missing,
					 r->missing);
			result_free(res);
		}
	}
}

/* The 80 % rule, the threshold of the table and mecsa-st's dependencies (x509 after starttls,
 * the policies after their protocol). */
struct support_case {
	const char *name;		    /* what the case shows */
	double threshold;		    /* the table's */
	double percent[MECSA_PROTO_MAX];    /* res->percent[] */
	bool flags[MECSA_PROTO_MAX];	    /* res->supported[] before scoring */
	const char *set[MECSA_CAT_MAX];	    /* expected category sets */
	const char *supported;		    /* res->supported[] after scoring */
	int score[MECSA_CAT_MAX];	    /* expected fixed-mode scores */
};

static const struct support_case support_cases[] = {
	{"one TLS 1.0 address of three drops starttls, and x509 with it", 80,
	 {[MECSA_STARTTLS] = 66.7, [MECSA_X509] = 100},
	 {[MECSA_STARTTLS] = true, [MECSA_X509] = true},
	 {"", "", ""}, "", {0, 0, 0}},
	{"exactly 80 counts, 75 does not", 80,
	 {[MECSA_STARTTLS] = 80, [MECSA_X509] = 75, [MECSA_DANE] = 79.99, [MECSA_MTA_STS] = 80},
	 {0},
	 {"starttls,mta-sts", "", ""}, "starttls,mta-sts", {6, 0, 0}},
	{"a table threshold of 70 lets 75 % count", 70,
	 {[MECSA_STARTTLS] = 75, [MECSA_X509] = 75, [MECSA_DANE] = 70, [MECSA_MTA_STS] = 69.9},
	 {0},
	 {"starttls,x509,dane", "", ""}, "starttls,x509,dane", {7, 0, 0}},
	{"policies only count with their protocol", 80,
	 {[MECSA_DMARC] = 100, [MECSA_DKIM] = 100},
	 {[MECSA_SPF_POLICY] = true, [MECSA_DMARC_POLICY] = true},
	 {"", "dkim,dmarc,dmarc_policy", "dkim,dmarc,dmarc_policy"}, "dkim,dmarc,dmarc_policy",
	 {0, 7, 7}},
	{"dmarc_policy without dmarc", 80,
	 {[MECSA_DMARC] = 50, [MECSA_DKIM] = 100},
	 {[MECSA_DMARC] = true, [MECSA_DMARC_POLICY] = true},
	 {"", "dkim", "dkim"}, "dkim", {0, 3, 0}},
	{"supported[] without a percentage is ignored", 80,
	 {0},
	 {[MECSA_SPF] = true, [MECSA_DNSSEC] = true},
	 {"", "", ""}, "", {0, 0, 0}},
	{"NaN never counts", 80,
	 {[MECSA_STARTTLS] = NAN, [MECSA_SPF] = 100},
	 {0},
	 {"", "spf", ""}, "spf", {0, 3, 0}},
	{"google.com in the bundled log", 80,
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 50, [MECSA_MTA_STS] = 100, [MECSA_SPF] = 100,
	  [MECSA_DKIM] = 100, [MECSA_DMARC] = 100},
	 {[MECSA_SPF_POLICY] = true, [MECSA_DMARC_POLICY] = true},
	 {"starttls,mta-sts", "spf,spf_policy,dkim,dmarc,dmarc_policy", "dkim,dmarc,dmarc_policy"},
	 "starttls,spf,spf_policy,dkim,dmarc,dmarc_policy,mta-sts", {6, 8, 7}},
	{"internet.nl in the bundled log", 80,
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 0, [MECSA_DANE] = 100, [MECSA_SPF] = 100,
	  [MECSA_DKIM] = 100, [MECSA_DMARC] = 100},
	 {[MECSA_SPF_POLICY] = true},
	 {"starttls,dane", "spf,spf_policy,dkim,dmarc", "dkim,dmarc"},
	 "starttls,spf,spf_policy,dkim,dmarc,dane", {6, 7, 6}},
};

static void test_support(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof support_cases / sizeof support_cases[0]; i++) {
		const struct support_case *sc = &support_cases[i];
		struct score_table t = *score_table_builtin();
		struct result *res = result_new("example.org");
		char buf[SCORE_KEY_MAX];
		unsigned after = 0;

		t.threshold = sc->threshold;
		memcpy(res->percent, sc->percent, sizeof res->percent);
		memcpy(res->supported, sc->flags, sizeof res->supported);
		for (int c = 0; c < MECSA_CAT_MAX; c++) {
			score_combination(score_category_set(&t, c, res), buf, sizeof buf);
			if (strcmp(buf, sc->set[c]) != 0)
				fail_msg("%s: %s set '%s', want '%s'", sc->name,
					 mecsa_category_name(c), buf, sc->set[c]);
		}
		score_apply(&t, res);
		for (int c = 0; c < MECSA_CAT_MAX; c++)
			if (res->score[c] != sc->score[c])
				fail_msg("%s: %s score %d, want %d", sc->name,
					 mecsa_category_name(c), res->score[c], sc->score[c]);
		for (int p = 0; p < MECSA_PROTO_MAX; p++)
			if (res->supported[p])
				after |= SCORE_BIT(p);
		score_combination(after, buf, sizeof buf);
		if (strcmp(buf, sc->supported) != 0)
			fail_msg("%s: supported '%s', want '%s'", sc->name, buf, sc->supported);
		result_free(res);
	}
}

static void test_threshold_helpers(void **state)
{
	(void)state;
	static const struct {
		double percent;	 /* input */
		bool at80;	 /* score_supported() */
		bool at50;	 /* with a table threshold of 50 */
	} cases[] = {
		{0, false, false},	{49.99, false, false}, {50, false, true},
		{66.67, false, true},	{79.999, false, true}, {80, true, true},
		{100, true, true},	{NAN, false, false},   {-1, false, false},
	};
	struct score_table t = *score_table_builtin();
	t.threshold = 50;
	assert_true(score_table_builtin()->threshold == SCORE_THRESHOLD_DEFAULT);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(score_supported(cases[i].percent), cases[i].at80);
		assert_int_equal(score_table_supported(score_table_builtin(), cases[i].percent),
				 cases[i].at80);
		assert_int_equal(score_table_supported(&t, cases[i].percent), cases[i].at50);
	}
}

static void test_unscored_states(void **state)
{
	(void)state;
	static const enum result_state states[] = {RESULT_INVALID, RESULT_FAILED, RESULT_SCANNED};
	for (size_t i = 0; i < sizeof states / sizeof states[0]; i++) {
		struct result *res = result_with("starttls,x509,spf");
		/* A second scoring replaces the first (no leak, no stale lists). */
		score_apply(score_table_builtin(), res);
		res->state = states[i];
		score_apply(score_table_builtin(), res);
		for (int c = 0; c < MECSA_CAT_MAX; c++) {
			if (states[i] == RESULT_SCANNED) {
				assert_true(res->score[c] >= 0);
				assert_non_null(res->missing[c]);
			} else {
				assert_int_equal(res->score[c], SCORE_UNSCORED);
				assert_null(res->missing[c]);
			}
		}
		result_free(res);
	}
}

static void test_stars(void **state)
{
	(void)state;
	static const struct {
		int score;	  /* 0-10 or -1 */
		double stars;	  /* score_stars() */
		const char *text; /* score_stars_format() */
	} cases[] = {
		{-1, -1.0, "-"}, {0, 0.0, "0.0"}, {1, 0.5, "0.5"}, {6, 3.0, "3.0"},
		{7, 3.5, "3.5"}, {9, 4.5, "4.5"}, {10, 5.0, "5.0"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char buf[8];
		assert_true(score_stars(cases[i].score) == cases[i].stars);
		assert_int_equal(score_stars_format(cases[i].score, buf, sizeof buf),
				 strlen(cases[i].text));
		assert_string_equal(buf, cases[i].text);
	}
}

static void test_names(void **state)
{
	(void)state;
	static const struct {
		int kind;	  /* 0 protocol, 1 category, 2 mode */
		const char *name; /* input */
		int want;	  /* parse result */
	} cases[] = {
		{0, "starttls", MECSA_STARTTLS}, {0, "x509", MECSA_X509},
		{0, "spf", MECSA_SPF},		 {0, "spf_policy", MECSA_SPF_POLICY},
		{0, "dkim", MECSA_DKIM},	 {0, "dmarc", MECSA_DMARC},
		{0, "dmarc_policy", MECSA_DMARC_POLICY}, {0, "dane", MECSA_DANE},
		{0, "dnssec", MECSA_DNSSEC},	 {0, "mta-sts", MECSA_MTA_STS},
		{0, "mta_sts", -1},		 {0, "STARTTLS", -1},
		{0, "", -1},			 {0, "spf ", -1},
		{1, "confidentiality", MECSA_CONFIDENTIALITY},
		{1, "spoofing", MECSA_SPOOFING}, {1, "integrity", MECSA_INTEGRITY},
		{1, "privacy", -1},
		{2, "fixed", SCORE_MODE_FIXED},	 {2, "mecsa-st", SCORE_MODE_MECSA_ST},
		{2, "mecsa_st", -1},		 {2, "compat", -1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = cases[i].kind == 0   ? score_proto_parse(cases[i].name)
			  : cases[i].kind == 1 ? score_category_parse(cases[i].name)
					       : score_mode_parse(cases[i].name);
		if (got != cases[i].want)
			fail_msg("'%s': got %d, want %d", cases[i].name, got, cases[i].want);
		if (cases[i].kind == 2 && got >= 0)
			assert_string_equal(score_mode_name(got), cases[i].name);
	}
}

/* A copy of the builtin table built with the loader's API, in file order or scores ascending. */
static struct score_table *builtin_copy(bool ascending)
{
	const struct score_table *b = score_table_builtin();
	struct score_table *t = score_table_new();
	t->mode = b->mode;
	t->threshold = b->threshold;
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		const struct score_category *bc = &b->cat[c];
		t->cat[c].nprotocols = bc->nprotocols;
		memcpy(t->cat[c].protocols, bc->protocols, sizeof bc->protocols);
		if (!ascending) {
			for (size_t i = 0; i < bc->ncombos; i++)
				score_table_add_combo(t, c, bc->combos[i].score,
						      bc->combos[i].proto, bc->combos[i].n);
			continue;
		}
		/* Scores ascending, each score's entries in their original order. */
		for (int s = SCORE_MIN; s <= SCORE_MAX; s++)
			for (size_t i = 0; i < bc->ncombos; i++)
				if (bc->combos[i].score == s)
					score_table_add_combo(t, c, s, bc->combos[i].proto,
							      bc->combos[i].n);
	}
	return t;
}

static void edit_none(struct score_table *t)
{
	(void)t;
}

static void edit_mode(struct score_table *t)
{
	t->mode = SCORE_MODE_MECSA_ST;
}

static void edit_threshold(struct score_table *t)
{
	t->threshold = 79;
}

static void edit_score(struct score_table *t)
{
	((struct score_combo *)t->cat[MECSA_INTEGRITY].combos)[0].score = 9;
}

static void edit_swap_same_score(struct score_table *t)
{
	/* The first two confidentiality rows both score 10: order within a score counts. */
	struct score_combo *v = (struct score_combo *)t->cat[MECSA_CONFIDENTIALITY].combos;
	struct score_combo x = v[0];
	v[0] = v[1];
	v[1] = x;
}

static void edit_protocol_order(struct score_table *t)
{
	unsigned char *p = t->cat[MECSA_INTEGRITY].protocols, x = p[0];
	p[0] = p[1];
	p[1] = x;
}

static void edit_extra_combo(struct score_table *t)
{
	static const unsigned char dkim[] = {MECSA_DKIM};
	score_table_add_combo(t, MECSA_INTEGRITY, 1, dkim, 1);
}

static void edit_combo_proto(struct score_table *t)
{
	((struct score_combo *)t->cat[MECSA_SPOOFING].combos)[24].proto[0] = MECSA_SPF;
}

static void test_table_equal(void **state)
{
	(void)state;
	static const struct {
		const char *name;		      /* what is changed */
		bool ascending;			      /* scores ascending instead of file order */
		void (*edit)(struct score_table *t); /* the change */
		bool equal;			      /* still equal to the builtin */
	} cases[] = {
		{"identical copy", false, edit_none, true},
		{"scores ascending, same order per score", true, edit_none, true},
		{"mode", false, edit_mode, false},
		{"threshold", false, edit_threshold, false},
		{"a score", false, edit_score, false},
		{"order within a score", false, edit_swap_same_score, false},
		{"protocol list order", false, edit_protocol_order, false},
		{"an extra combination", false, edit_extra_combo, false},
		{"dkim,spf -> spf,spf", false, edit_combo_proto, false},
	};
	/* Row 24 of the builtin spoofing list is the non-canonical "dkim,spf". */
	const struct score_combo *dkim_spf = &score_table_builtin()->cat[MECSA_SPOOFING].combos[24];
	assert_int_equal(dkim_spf->n, 2);
	assert_int_equal(dkim_spf->proto[0], MECSA_DKIM);
	assert_int_equal(dkim_spf->proto[1], MECSA_SPF);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct score_table *t = builtin_copy(cases[i].ascending);
		cases[i].edit(t);
		if (score_table_equal(t, score_table_builtin()) != cases[i].equal ||
		    score_table_equal(score_table_builtin(), t) != cases[i].equal)
			fail_msg("%s: equal should be %d", cases[i].name, cases[i].equal);
		score_table_free(t);
	}
	/* The builtin table is never freed; NULL is a no-op. */
	score_table_free((struct score_table *)score_table_builtin());
	score_table_free(NULL);
	assert_int_equal(score_table_builtin()->cat[MECSA_SPOOFING].ncombos, 33);
}

/* The flattening mechanism itself, on a small hand-made table. */
static void test_mecsa_st_mechanism(void **state)
{
	(void)state;
	static const struct {
		enum mecsa_category cat; /* where the entry is listed */
		int score;		 /* under which score */
		const char *combo;	 /* as written */
	} entries[] = {
		{MECSA_INTEGRITY, 1, "dkim"},	       /* the last category wins... */
		{MECSA_CONFIDENTIALITY, 9, "dkim"},    /* ...even over a higher score */
		{MECSA_SPOOFING, 5, "spf"},	       /* within a category the higher */
		{MECSA_SPOOFING, 3, "spf"},	       /* score wins, whatever the order */
		{MECSA_SPOOFING, 0, "dmarc"},	       /* a listed 0 */
		{MECSA_SPOOFING, 4, "dmarc,spf"},      /* not canonical */
		{MECSA_SPOOFING, 2, ""},	       /* the empty set */
	};
	static const struct {
		const char *key;	 /* looked up */
		int mecsa_st;		 /* flattened map */
		int st_set;		 /* mecsa-st mode, the same set (spelt canonically) */
		enum mecsa_category cat; /* for the set lookups */
		int fixed;		 /* fixed mode in cat, -1 when key is not a set */
	} lookups[] = {
		{"dkim", 1, 1, MECSA_INTEGRITY, 1},
		{"dkim", 1, 1, MECSA_CONFIDENTIALITY, 9},
		{"spf", 5, 5, MECSA_SPOOFING, 5},
		{"dmarc", 0, 0, MECSA_SPOOFING, 2 /* the empty set's floor beats the listed 0 */},
		{"dmarc,spf", 4, 0 /* "spf,dmarc" is not listed */, MECSA_SPOOFING, 5},
		{"spf,dmarc", 0, 0, MECSA_SPOOFING, 5},
		{"", 2, 2, MECSA_SPOOFING, 2},
		{"dnssec", 0, 0, MECSA_SPOOFING, 2},
		{"spoofing", 0, 0, MECSA_SPOOFING, -1},
	};
	static const unsigned char all[] = {MECSA_STARTTLS, MECSA_X509, MECSA_SPF, MECSA_SPF_POLICY,
					    MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY,
					    MECSA_DANE, MECSA_DNSSEC, MECSA_MTA_STS};
	struct score_table *t = score_table_new();

	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		t->cat[c].nprotocols = sizeof all;
		memcpy(t->cat[c].protocols, all, sizeof all);
	}
	for (size_t i = 0; i < sizeof entries / sizeof entries[0]; i++) {
		unsigned char proto[MECSA_PROTO_MAX];
		size_t n = 0;
		char buf[SCORE_KEY_MAX];
		snprintf(buf, sizeof buf, "%s", entries[i].combo);
		for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save))
			proto[n++] = (unsigned char)score_proto_parse(tok);
		score_table_add_combo(t, entries[i].cat, entries[i].score, proto, n);
	}
	for (size_t i = 0; i < sizeof lookups / sizeof lookups[0]; i++) {
		t->mode = SCORE_MODE_MECSA_ST;
		if (score_mecsa_st_lookup(t, lookups[i].key) != lookups[i].mecsa_st)
			fail_msg("mecsa-st '%s': got %d, want %d", lookups[i].key,
				 score_mecsa_st_lookup(t, lookups[i].key), lookups[i].mecsa_st);
		if (lookups[i].fixed < 0)
			continue;
		unsigned set = set_of(lookups[i].key);
		/* Through score_lookup too: mecsa-st mode ignores the category... */
		assert_int_equal(score_lookup(t, lookups[i].cat, set), lookups[i].st_set);
		/* ...fixed mode only looks inside it. */
		t->mode = SCORE_MODE_FIXED;
		if (score_lookup(t, lookups[i].cat, set) != lookups[i].fixed)
			fail_msg("fixed %s '%s': got %d, want %d",
				 mecsa_category_name(lookups[i].cat), lookups[i].key,
				 score_lookup(t, lookups[i].cat, set), lookups[i].fixed);
	}
	score_table_free(t);
}

/* Withheld scores: a category whose score depends on a protocol whose support could not be
 * measured (its check: dns_error or not_testable) gets no score in fixed mode, with a reason;
 * mecsa-st mode keeps mecsa-st's number. A score no outcome of the unknown verdicts could
 * change stands. */
#define V(c, st) [c] = VERDICT_##st
struct withheld_case {
	const char *name;			  /* what the case shows */
	double percent[MECSA_PROTO_MAX];	  /* res->percent[] */
	bool flags[MECSA_PROTO_MAX];		  /* the policies' res->supported[] */
	enum verdict_status verdict[CHECK_MAX];	  /* per check; VERDICT_NONE: not set */
	int policy_accepted;			  /* MTA-STS detail.policy_accepted: -1 absent */
	int fixed[MECSA_CAT_MAX];		  /* fixed-mode scores, -1 withheld */
	int mecsa_st[MECSA_CAT_MAX];		  /* mecsa-st-mode scores */
	const char *not_measured[MECSA_CAT_MAX];  /* per category, comma-joined */
	const char *missing[MECSA_CAT_MAX];	  /* per category, comma-joined */
	int indeterminate;			  /* checks behind a withheld score */
	const char *reason_has;			  /* in the first withheld category's reason */
};

static const struct withheld_case withheld_cases[] = {
	{"the resolver did not answer: every lookup timed out",
	 {0}, {0},
	 {V(CHECK_MX, DNS_ERROR), V(CHECK_STARTTLS, DNS_ERROR), V(CHECK_X509, NOT_TESTABLE),
	  V(CHECK_DANE, NOT_TESTABLE), V(CHECK_SPF, DNS_ERROR), V(CHECK_DKIM, DNS_ERROR),
	  V(CHECK_DMARC, DNS_ERROR), V(CHECK_MTASTS, DNS_ERROR), V(CHECK_DNSSEC, NOT_TESTABLE)},
	 -1, {-1, -1, -1}, {0, 0, 0},
	 {"starttls,x509,dane,dnssec,mta-sts", "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec",
	  "dkim,dmarc,dmarc_policy,dnssec"},
	 {"", "", ""}, 8, "starttls (dns_error"},
	{"every MX refused: confidentiality not measured, the rest is",
	 {[MECSA_SPF] = 100, [MECSA_DKIM] = 100, [MECSA_DMARC] = 100},
	 {[MECSA_SPF_POLICY] = true, [MECSA_DMARC_POLICY] = true},
	 {V(CHECK_MX, PASS), V(CHECK_STARTTLS, NOT_TESTABLE), V(CHECK_X509, NOT_TESTABLE),
	  V(CHECK_DANE, NOT_TESTABLE), V(CHECK_SPF, PASS), V(CHECK_DKIM, PASS),
	  V(CHECK_DMARC, PASS), V(CHECK_MTASTS, ABSENT), V(CHECK_DNSSEC, ABSENT)},
	 -1, {-1, 8, 7}, {0, 8, 7},
	 {"starttls,x509,dane", "", ""}, {"dnssec,mta-sts", "dnssec", "dnssec"}, 3,
	 "starttls (not_testable"},
	{"no STARTTLS measured: a DNSSEC SERVFAIL cannot change confidentiality 0",
	 {[MECSA_SPF] = 100}, {0},
	 {V(CHECK_MX, PASS), V(CHECK_STARTTLS, FAIL), V(CHECK_X509, NOT_TESTABLE),
	  V(CHECK_DANE, ABSENT), V(CHECK_SPF, PASS), V(CHECK_DKIM, ABSENT), V(CHECK_DMARC, ABSENT),
	  V(CHECK_MTASTS, ABSENT), V(CHECK_DNSSEC, DNS_ERROR)},
	 -1, {0, -1, -1}, {0, 3, 0},
	 {"x509,dnssec", "dnssec", "dnssec"},
	 {"starttls,dane,mta-sts", "spf_policy,dkim,dmarc,dmarc_policy", "dkim,dmarc,dmarc_policy"},
	 1, "dnssec (dns_error"},
	{"a DKIM SERVFAIL beside everything else",
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 100, [MECSA_DANE] = 100, [MECSA_DNSSEC] = 100,
	  [MECSA_MTA_STS] = 100, [MECSA_SPF] = 100, [MECSA_DMARC] = 100},
	 {[MECSA_SPF_POLICY] = true, [MECSA_DMARC_POLICY] = true},
	 {V(CHECK_STARTTLS, PASS), V(CHECK_X509, PASS), V(CHECK_DANE, PASS), V(CHECK_SPF, PASS),
	  V(CHECK_DKIM, DNS_ERROR), V(CHECK_DMARC, PASS), V(CHECK_MTASTS, PASS),
	  V(CHECK_DNSSEC, PASS)},
	 1, {10, -1, -1}, {10, 0, 4},
	 {"", "dkim", "dkim"}, {"", "", ""}, 1, "dkim (dns_error"},
	{"an MTA-STS policy fetch that timed out",
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 100}, {0},
	 {V(CHECK_STARTTLS, PASS), V(CHECK_X509, PASS), V(CHECK_DANE, ABSENT),
	  V(CHECK_MTASTS, NOT_TESTABLE), V(CHECK_DNSSEC, ABSENT)},
	 -1, {-1, 0, 0}, {7, 0, 0},
	 {"mta-sts", "", ""}, {"dane,dnssec", "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec",
	  "dkim,dmarc,dmarc_policy,dnssec"}, 1, "mta-sts (not_testable"},
	{"support shown stands even when the check could not finish",
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 100, [MECSA_MTA_STS] = 100}, {0},
	 {V(CHECK_STARTTLS, PASS), V(CHECK_X509, PASS), V(CHECK_DANE, ABSENT),
	  V(CHECK_MTASTS, DNS_ERROR), V(CHECK_DNSSEC, ABSENT)},
	 1, {10, 0, 0}, {10, 0, 0},
	 {"", "", ""}, {"dane,dnssec", "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec",
	  "dkim,dmarc,dmarc_policy,dnssec"}, 0, NULL},
	{"fixed mode: a policy the MTA-STS check refused is no support",
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 100, [MECSA_MTA_STS] = 100}, {0},
	 {V(CHECK_STARTTLS, PASS), V(CHECK_X509, PASS), V(CHECK_DANE, ABSENT),
	  V(CHECK_MTASTS, FAIL), V(CHECK_DNSSEC, ABSENT)},
	 0, {7, 0, 0}, {10, 0, 0},
	 {"", "", ""}, {"dane,dnssec,mta-sts", "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec",
	  "dkim,dmarc,dmarc_policy,dnssec"}, 0, NULL},
	{"fixed mode: the same policy accepted counts",
	 {[MECSA_STARTTLS] = 100, [MECSA_X509] = 100, [MECSA_MTA_STS] = 100}, {0},
	 {V(CHECK_STARTTLS, PASS), V(CHECK_X509, PASS), V(CHECK_DANE, ABSENT),
	  V(CHECK_MTASTS, PASS), V(CHECK_DNSSEC, ABSENT)},
	 1, {10, 0, 0}, {10, 0, 0},
	 {"", "", ""}, {"dane,dnssec", "spf,spf_policy,dkim,dmarc,dmarc_policy,dnssec",
	  "dkim,dmarc,dmarc_policy,dnssec"}, 0, NULL},
};

static void withheld_join(unsigned set, char *buf, size_t len)
{
	score_combination(set, buf, len);
}

static void test_withheld(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof withheld_cases / sizeof withheld_cases[0]; i++) {
		const struct withheld_case *wc = &withheld_cases[i];
		for (int mode = 0; mode < SCORE_MODE_MAX; mode++) {
			struct score_table t = *score_table_builtin();
			t.mode = (enum score_mode)mode;
			struct result *res = result_new("example.org");
			memcpy(res->percent, wc->percent, sizeof res->percent);
			memcpy(res->supported, wc->flags, sizeof res->supported);
			for (int c = 0; c < CHECK_MAX; c++) {
				json_t *d = NULL;
				if (c == CHECK_MTASTS && wc->policy_accepted >= 0)
					d = json_pack("{s:b}", "policy_accepted",
						      wc->policy_accepted);
				if (wc->verdict[c] != VERDICT_NONE)
					result_set(res, (enum check_id)c, d, wc->verdict[c], "%s",
						   "as the case says");
				else
					json_decref(d);
			}
			score_apply(&t, res);
			const int *want = mode == SCORE_MODE_FIXED ? wc->fixed : wc->mecsa_st;
			const char *first_reason = NULL;
			for (int c = 0; c < MECSA_CAT_MAX; c++) {
				char buf[SCORE_KEY_MAX], missing[SCORE_KEY_MAX];
				if (res->score[c] != want[c])
					fail_msg("%s (%s): %s score %d, want %d", wc->name,
						 score_mode_name(t.mode), mecsa_category_name(c),
						 res->score[c], want[c]);
				if (mode != SCORE_MODE_FIXED)
					continue; /* mecsa-st's table decides otherwise: not asked */
				withheld_join(res->not_measured[c], buf, sizeof buf);
				if (strcmp(buf, wc->not_measured[c]) != 0)
					fail_msg("%s: %s not measured '%s', want '%s'", wc->name,
						 mecsa_category_name(c), buf, wc->not_measured[c]);
				join_array(res->missing[c], missing, sizeof missing);
				if (strcmp(missing, wc->missing[c]) != 0)
					fail_msg("%s: %s missing '%s', want '%s'", wc->name,
						 mecsa_category_name(c), missing, wc->missing[c]);
				/* mecsa-st mode keeps its number; whether it would be withheld
				 * depends on its own (flattened) table. */
				if (res->withheld[c] != (wc->fixed[c] < 0) ||
				    (res->withheld_reason[c] != NULL) != (wc->fixed[c] < 0))
					fail_msg("%s (%s): %s withheld %d, reason %s", wc->name,
						 score_mode_name(t.mode), mecsa_category_name(c),
						 res->withheld[c],
						 res->withheld_reason[c] ? res->withheld_reason[c]
									 : "(none)");
				if (res->withheld_reason[c] && first_reason == NULL)
					first_reason = res->withheld_reason[c];
			}
			if (mode == SCORE_MODE_FIXED && res->indeterminate != wc->indeterminate)
				fail_msg("%s: indeterminate %d, want %d", wc->name,
					 res->indeterminate, wc->indeterminate);
			if (mode == SCORE_MODE_FIXED && wc->reason_has &&
			    (first_reason == NULL || strstr(first_reason, wc->reason_has) == NULL))
				fail_msg("%s: reason '%s' lacks '%s'", wc->name,
					 first_reason ? first_reason : "(none)", wc->reason_has);
			result_free(res);
		}
	}
}

/* score_bounds: the range a category's score can take over the unknown protocols. */
static void test_bounds(void **state)
{
	(void)state;
	static const struct {
		enum mecsa_category cat; /* the category */
		const char *known;	 /* supported, measured */
		const char *unknown;	 /* not measured */
		int lo, hi;		 /* fixed mode */
	} cases[] = {
		{MECSA_CONFIDENTIALITY, "", "", 0, 0},
		{MECSA_CONFIDENTIALITY, "", "starttls,x509,dane,dnssec,mta-sts", 0, 10},
		{MECSA_CONFIDENTIALITY, "", "dnssec", 0, 0},
		{MECSA_CONFIDENTIALITY, "starttls", "x509", 5, 7},
		{MECSA_CONFIDENTIALITY, "starttls,x509,mta-sts", "dane,dnssec", 10, 10},
		{MECSA_SPOOFING, "spf", "dnssec", 3, 4},
		{MECSA_SPOOFING, "spf,spf_policy", "dkim", 6, 6},
		{MECSA_INTEGRITY, "", "dnssec", 0, 2},
		{MECSA_INTEGRITY, "dkim,dmarc,dmarc_policy,dnssec", "spf", 10, 10},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int lo, hi;
		score_bounds(score_table_builtin(), cases[i].cat, set_of(cases[i].known),
			     set_of(cases[i].unknown), &lo, &hi);
		if (lo != cases[i].lo || hi != cases[i].hi)
			fail_msg("%s known '%s' unknown '%s': %d..%d, want %d..%d",
				 mecsa_category_name(cases[i].cat), cases[i].known,
				 cases[i].unknown, lo, hi, cases[i].lo, cases[i].hi);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows_lookup),	  cmocka_unit_test(test_rows_apply),
		cmocka_unit_test(test_support),		  cmocka_unit_test(test_threshold_helpers),
		cmocka_unit_test(test_unscored_states),	  cmocka_unit_test(test_stars),
		cmocka_unit_test(test_names),		  cmocka_unit_test(test_table_equal),
		cmocka_unit_test(test_mecsa_st_mechanism),
		cmocka_unit_test(test_withheld),	  cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
