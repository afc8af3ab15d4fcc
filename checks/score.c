/* score.c — MECSA scoring: the built-in table (mecsa-st's score.json), the 80 % rule, lookups in
 * fixed and mecsa-st modes, and score_apply() which fills a result's scores and missing lists.
 * Owns loaded tables' combination arrays; the built-in table is static and never freed. */
#include "checks/score.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

/* The n of a combination is counted from its own initialiser, so a row cannot disagree with it. */
#define SCORE_COMBO(s, ...)                                                                        \
	{                                                                                          \
		.score = (s), .n = sizeof((const unsigned char[]){__VA_ARGS__}),                   \
		.proto = {__VA_ARGS__}                                                             \
	}

/* commons/score.json of mecsa-st, in its file order (scores "10" down to "1", each list in its
 * order): the order only matters in mecsa-st mode, where later entries overwrite earlier ones. */
static const struct score_combo builtin_confidentiality[] = {
	SCORE_COMBO(10, MECSA_STARTTLS, MECSA_X509, MECSA_DANE, MECSA_DNSSEC, MECSA_MTA_STS),
	SCORE_COMBO(10, MECSA_STARTTLS, MECSA_DANE, MECSA_DNSSEC),
	SCORE_COMBO(10, MECSA_STARTTLS, MECSA_X509, MECSA_DANE, MECSA_DNSSEC),
	SCORE_COMBO(10, MECSA_STARTTLS, MECSA_X509, MECSA_DANE, MECSA_MTA_STS),
	SCORE_COMBO(10, MECSA_STARTTLS, MECSA_X509, MECSA_MTA_STS),
	SCORE_COMBO(8, MECSA_STARTTLS, MECSA_X509, MECSA_DNSSEC),
	SCORE_COMBO(7, MECSA_STARTTLS, MECSA_X509),
	SCORE_COMBO(7, MECSA_STARTTLS, MECSA_X509, MECSA_DANE),
	SCORE_COMBO(6, MECSA_STARTTLS, MECSA_DNSSEC),
	SCORE_COMBO(6, MECSA_STARTTLS, MECSA_DANE),
	SCORE_COMBO(6, MECSA_STARTTLS, MECSA_MTA_STS),
	SCORE_COMBO(5, MECSA_STARTTLS),
};

static const struct score_combo builtin_spoofing[] = {
	SCORE_COMBO(10, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY,
		    MECSA_DNSSEC),
	SCORE_COMBO(9, MECSA_SPF, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY, MECSA_DNSSEC),
	SCORE_COMBO(9, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(8, MECSA_SPF, MECSA_DKIM, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(8, MECSA_SPF, MECSA_DMARC, MECSA_DMARC_POLICY, MECSA_DNSSEC),
	SCORE_COMBO(8, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM, MECSA_DNSSEC),
	SCORE_COMBO(8, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(8, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY, MECSA_DNSSEC),
	SCORE_COMBO(7, MECSA_SPF, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(7, MECSA_SPF, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(7, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(7, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM, MECSA_DMARC),
	SCORE_COMBO(7, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(6, MECSA_DKIM, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(6, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(6, MECSA_SPF, MECSA_DKIM, MECSA_DNSSEC),
	SCORE_COMBO(6, MECSA_SPF, MECSA_DKIM, MECSA_DMARC),
	SCORE_COMBO(6, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM),
	SCORE_COMBO(6, MECSA_SPF, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(6, MECSA_SPF, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(6, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DMARC),
	SCORE_COMBO(6, MECSA_SPF, MECSA_SPF_POLICY),
	SCORE_COMBO(6, MECSA_SPF, MECSA_SPF_POLICY, MECSA_DNSSEC),
	SCORE_COMBO(5, MECSA_SPF, MECSA_DMARC),
	SCORE_COMBO(5, MECSA_DKIM, MECSA_SPF), /* sic: not canonical, unreachable in mecsa-st */
	SCORE_COMBO(5, MECSA_DKIM, MECSA_DMARC),
	SCORE_COMBO(4, MECSA_DKIM, MECSA_DNSSEC),
	SCORE_COMBO(4, MECSA_SPF, MECSA_DNSSEC),
	SCORE_COMBO(4, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(4, MECSA_DMARC, MECSA_DMARC_POLICY, MECSA_DNSSEC),
	SCORE_COMBO(3, MECSA_SPF),
	SCORE_COMBO(3, MECSA_DKIM),
	SCORE_COMBO(3, MECSA_DMARC),
};

static const struct score_combo builtin_integrity[] = {
	SCORE_COMBO(10, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY, MECSA_DNSSEC),
	SCORE_COMBO(8, MECSA_DKIM, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(8, MECSA_DKIM, MECSA_DNSSEC),
	SCORE_COMBO(7, MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY),
	SCORE_COMBO(6, MECSA_DKIM, MECSA_DMARC),
	SCORE_COMBO(4, MECSA_DMARC, MECSA_DNSSEC),
	SCORE_COMBO(2, MECSA_DMARC),
	SCORE_COMBO(2, MECSA_DNSSEC),
};

#define SCORE_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct score_table builtin_table = {
	.mode = SCORE_MODE_FIXED,
	.threshold = SCORE_THRESHOLD_DEFAULT,
	.cat = {
		[MECSA_CONFIDENTIALITY] = {
			.nprotocols = 5,
			.protocols = { MECSA_STARTTLS, MECSA_X509, MECSA_DANE, MECSA_DNSSEC,
				       MECSA_MTA_STS },
			.ncombos = SCORE_NELEM(builtin_confidentiality),
			.combos = builtin_confidentiality,
		},
		[MECSA_SPOOFING] = {
			.nprotocols = 6,
			.protocols = { MECSA_SPF, MECSA_SPF_POLICY, MECSA_DKIM, MECSA_DMARC,
				       MECSA_DMARC_POLICY, MECSA_DNSSEC },
			.ncombos = SCORE_NELEM(builtin_spoofing),
			.combos = builtin_spoofing,
		},
		[MECSA_INTEGRITY] = {
			.nprotocols = 4,
			.protocols = { MECSA_DKIM, MECSA_DMARC, MECSA_DMARC_POLICY, MECSA_DNSSEC },
			.ncombos = SCORE_NELEM(builtin_integrity),
			.combos = builtin_integrity,
		},
	},
};

static const char *const score_mode_names[SCORE_MODE_MAX] = {
	[SCORE_MODE_FIXED] = "fixed",
	[SCORE_MODE_MECSA_ST] = "mecsa-st",
};

const struct score_table *score_table_builtin(void)
{
	return &builtin_table;
}

struct score_table *score_table_new(void)
{
	struct score_table *t = xcalloc(1, sizeof *t);
	t->mode = SCORE_MODE_FIXED;
	t->threshold = SCORE_THRESHOLD_DEFAULT;
	return t;
}

void score_table_free(struct score_table *t)
{
	if (t == NULL || t == &builtin_table)
		return;
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		free((void *)t->cat[c].combos);
	free(t);
}

void score_table_add_combo(struct score_table *t, enum mecsa_category c, int score,
			   const unsigned char *proto, size_t n)
{
	/* Loaders validate their input; reaching here with nonsense is a bug. */
	if (t == &builtin_table || (unsigned)c >= MECSA_CAT_MAX || score < SCORE_MIN ||
	    score > SCORE_MAX || n > MECSA_PROTO_MAX)
		abort();
	for (size_t i = 0; i < n; i++)
		if (proto[i] >= MECSA_PROTO_MAX)
			abort();
	struct score_category *cat = &t->cat[c];
	struct score_combo *v = (struct score_combo *)cat->combos;
	xgrow((void **)&v, &cat->cap, cat->ncombos + 1, sizeof *v);
	cat->combos = v;
	struct score_combo *e = &v[cat->ncombos++];
	memset(e, 0, sizeof *e);
	e->score = score;
	e->n = (unsigned char)n;
	memcpy(e->proto, proto, n);
}

/* The next combination at or after *i with the given score, or NULL. */
static const struct score_combo *score_next_with(const struct score_category *cat, size_t *i,
						 int score)
{
	for (; *i < cat->ncombos; (*i)++)
		if (cat->combos[*i].score == score)
			return &cat->combos[(*i)++];
	return NULL;
}

bool score_table_equal(const struct score_table *a, const struct score_table *b)
{
	if (a->mode != b->mode || a->threshold != b->threshold)
		return false;
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		const struct score_category *ca = &a->cat[c], *cb = &b->cat[c];
		if (ca->nprotocols != cb->nprotocols ||
		    memcmp(ca->protocols, cb->protocols, ca->nprotocols) != 0)
			return false;
		if (ca->ncombos != cb->ncombos)
			return false;
		/* Per score, in order: that is all a lookup in either mode can observe. */
		for (int s = SCORE_MIN; s <= SCORE_MAX; s++) {
			size_t i = 0, j = 0;
			for (;;) {
				const struct score_combo *x = score_next_with(ca, &i, s);
				const struct score_combo *y = score_next_with(cb, &j, s);
				if (x == NULL || y == NULL) {
					if (x != y)
						return false;
					break;
				}
				if (x->n != y->n || memcmp(x->proto, y->proto, x->n) != 0)
					return false;
			}
		}
	}
	return true;
}

int score_proto_parse(const char *name)
{
	for (int p = 0; p < MECSA_PROTO_MAX; p++)
		if (strcmp(name, mecsa_proto_name((enum mecsa_proto)p)) == 0)
			return p;
	return -1;
}

int score_category_parse(const char *name)
{
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		if (strcmp(name, mecsa_category_name((enum mecsa_category)c)) == 0)
			return c;
	return -1;
}

int score_mode_parse(const char *name)
{
	for (int m = 0; m < SCORE_MODE_MAX; m++)
		if (strcmp(name, score_mode_names[m]) == 0)
			return m;
	return -1;
}

const char *score_mode_name(enum score_mode m)
{
	return (unsigned)m < SCORE_MODE_MAX ? score_mode_names[m] : "?";
}

bool score_supported(double percent)
{
	return percent >= SCORE_THRESHOLD_DEFAULT;
}

bool score_table_supported(const struct score_table *t, double percent)
{
	return percent >= t->threshold;
}

static unsigned score_category_mask(const struct score_category *cat)
{
	unsigned m = 0;
	for (size_t i = 0; i < cat->nprotocols; i++)
		m |= SCORE_BIT(cat->protocols[i]);
	return m;
}

static unsigned score_combo_mask(const struct score_combo *combo)
{
	unsigned m = 0;
	for (size_t i = 0; i < combo->n; i++)
		m |= SCORE_BIT(combo->proto[i]);
	return m;
}

/* mecsa-st only tests x509 after starttls passed, and the policies after their protocol. */
static unsigned score_dependencies(unsigned set)
{
	if (!(set & SCORE_BIT(MECSA_STARTTLS)))
		set &= ~SCORE_BIT(MECSA_X509);
	if (!(set & SCORE_BIT(MECSA_SPF)))
		set &= ~SCORE_BIT(MECSA_SPF_POLICY);
	if (!(set & SCORE_BIT(MECSA_DMARC)))
		set &= ~SCORE_BIT(MECSA_DMARC_POLICY);
	return set;
}

/* The check whose verdict says whether protocol p could be measured. */
static const enum check_id score_proto_check[MECSA_PROTO_MAX] = {
	[MECSA_STARTTLS] = CHECK_STARTTLS, [MECSA_X509] = CHECK_X509,
	[MECSA_SPF] = CHECK_SPF,	   [MECSA_SPF_POLICY] = CHECK_SPF,
	[MECSA_DKIM] = CHECK_DKIM,	   [MECSA_DMARC] = CHECK_DMARC,
	[MECSA_DMARC_POLICY] = CHECK_DMARC, [MECSA_DANE] = CHECK_DANE,
	[MECSA_DNSSEC] = CHECK_DNSSEC,	   [MECSA_MTA_STS] = CHECK_MTASTS,
};

/* In fixed mode a policy the MTA-STS check refused (wrong Content-Type, a redirect, a fetch or
 * certificate failure, bad syntax, mode none) is no MTA-STS support, whatever its MX patterns
 * match; mecsa-st only logs the Content-Type and follows redirects. A result the MTA-STS check
 * did not judge (hand-built ones) keeps its percentage. */
static bool score_mta_sts_accepted(const struct score_table *t, const struct result *res)
{
	const struct check_result *cr = &res->checks[CHECK_MTASTS];
	if (t->mode != SCORE_MODE_FIXED || cr->verdict.status == VERDICT_NONE)
		return true;
	return json_is_true(json_object_get(cr->detail, "policy_accepted"));
}

/* Every protocol res supports, before dependencies: percentages against the table's threshold,
 * the two policies as flags (they have no percentage). */
static unsigned score_raw_set(const struct score_table *t, const struct result *res)
{
	unsigned set = 0;
	for (int p = 0; p < MECSA_PROTO_MAX; p++) {
		bool on;
		if (p == MECSA_SPF_POLICY || p == MECSA_DMARC_POLICY)
			on = res->supported[p];
		else if (t->mode == SCORE_MODE_FIXED && res->percent_fixed[p] >= 0.0)
			on = score_table_supported(t, res->percent_fixed[p]);
		else
			on = score_table_supported(t, res->percent[p]);
		if (p == MECSA_MTA_STS && on)
			on = score_mta_sts_accepted(t, res);
		if (on)
			set |= SCORE_BIT(p);
	}
	return set;
}

unsigned score_unmeasured_set(const struct result *res)
{
	unsigned set = 0;
	for (int p = 0; p < MECSA_PROTO_MAX; p++) {
		enum verdict_status s = res->checks[score_proto_check[p]].verdict.status;
		/* A lookup that failed or a check that could not test (no MX host reachable, a
		 * fetch that timed out) says nothing about support. */
		if (s == VERDICT_DNS_ERROR || s == VERDICT_NOT_TESTABLE)
			set |= SCORE_BIT(p);
	}
	return set;
}

unsigned score_category_set(const struct score_table *t, enum mecsa_category c,
			    const struct result *res)
{
	/* Restrict first: a protocol outside the category cannot enable one inside it. */
	return score_dependencies(score_raw_set(t, res) & score_category_mask(&t->cat[c]));
}

/* Join n names with commas into buf (snprintf semantics). */
static size_t score_join(const unsigned char *proto, size_t n, char *buf, size_t len)
{
	size_t out = 0;
	for (size_t i = 0; i < n; i++) {
		const char *name = mecsa_proto_name((enum mecsa_proto)proto[i]);
		int w = snprintf(buf + (out < len ? out : len), out < len ? len - out : 0, "%s%s",
				 i ? "," : "", name);
		out += (size_t)w;
	}
	if (n == 0 && len > 0)
		buf[0] = '\0';
	return out;
}

size_t score_combination(unsigned set, char *buf, size_t len)
{
	unsigned char proto[MECSA_PROTO_MAX];
	size_t n = 0;
	/* enum mecsa_proto is declared in the canonical order of spec §4.3. */
	for (int p = 0; p < MECSA_PROTO_MAX; p++)
		if (set & SCORE_BIT(p))
			proto[n++] = (unsigned char)p;
	return score_join(proto, n, buf, len);
}

int score_mecsa_st_lookup(const struct score_table *t, const char *key)
{
	/* mecsa-st flattens every category into one map (categories in file order, scores
	 * ascending, later entries overwriting) keyed by the SHA-1 of the string as written; the
	 * string itself is the same key. Walking in that order and keeping the last hit is the
	 * flattened map without building it. */
	int found = -1;
	char buf[SCORE_KEY_MAX];
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		const struct score_category *cat = &t->cat[c];
		for (int s = SCORE_MIN; s <= SCORE_MAX; s++) {
			for (size_t i = 0; i < cat->ncombos; i++) {
				const struct score_combo *e = &cat->combos[i];
				if (e->score != s)
					continue;
				if (score_join(e->proto, e->n, buf, sizeof buf) < sizeof buf &&
				    strcmp(buf, key) == 0)
					found = s;
			}
		}
	}
	return found < 0 ? 0 : found;
}

static int score_fixed_lookup(const struct score_category *cat, unsigned set)
{
	int best = 0;
	for (size_t i = 0; i < cat->ncombos; i++) {
		const struct score_combo *e = &cat->combos[i];
		if ((score_combo_mask(e) & ~set) == 0 && e->score > best)
			best = e->score;
	}
	return best;
}

int score_lookup(const struct score_table *t, enum mecsa_category c, unsigned set)
{
	const struct score_category *cat = &t->cat[c];
	set &= score_category_mask(cat);
	if (t->mode == SCORE_MODE_MECSA_ST) {
		char key[SCORE_KEY_MAX];
		score_combination(set, key, sizeof key);
		return score_mecsa_st_lookup(t, key);
	}
	return score_fixed_lookup(cat, set);
}

/* The category's protocols in neither set nor unknown: what is missing for a top score, among
 * what was measured. */
static json_t *score_missing(const struct score_category *cat, unsigned set, unsigned unknown)
{
	json_t *arr = json_array();
	if (arr == NULL)
		abort();
	for (size_t i = 0; i < cat->nprotocols; i++) {
		enum mecsa_proto p = (enum mecsa_proto)cat->protocols[i];
		if (!((set | unknown) & SCORE_BIT(p)))
			json_array_append_new(arr, json_string(mecsa_proto_name(p)));
	}
	return arr;
}

void score_bounds(const struct score_table *t, enum mecsa_category c, unsigned known,
		  unsigned unknown, int *lo, int *hi)
{
	unsigned mask = score_category_mask(&t->cat[c]);
	unknown &= mask;
	known &= mask & ~unknown;
	*lo = SCORE_MAX + 1;
	*hi = SCORE_MIN - 1;
	/* Every way the unknown protocols could have come out (at most 2^10 subsets). */
	for (unsigned sub = unknown;; sub = (sub - 1) & unknown) {
		int v = score_lookup(t, c, score_dependencies(known | sub));
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
		if (sub == 0)
			break;
	}
}

/* "could not be measured: starttls (not_testable: ...), dnssec (dns_error: ...)": each check
 * behind the unknown protocols of the category once. Returns an owned string. */
static char *score_withheld_reason(const struct score_category *cat, const struct result *res,
				   unsigned unknown)
{
	char buf[1024];
	size_t used = (size_t)snprintf(buf, sizeof buf, "could not be measured:");
	unsigned done = 0; /* check ids already named */
	for (size_t i = 0; i < cat->nprotocols && used < sizeof buf; i++) {
		enum mecsa_proto p = (enum mecsa_proto)cat->protocols[i];
		enum check_id id = score_proto_check[p];
		if (!(unknown & SCORE_BIT(p)) || (done & (1u << id)))
			continue;
		done |= 1u << id;
		const struct verdict *v = &res->checks[id].verdict;
		int k = snprintf(buf + used, sizeof buf - used, "%s %s (%s%s%.160s)",
				 done == (1u << id) ? "" : ";", mecsa_proto_name(p),
				 verdict_status_name(v->status), v->reason[0] ? ": " : "",
				 v->reason);
		used = k < 0 ? sizeof buf : used + (size_t)k;
	}
	return xstrdup(buf);
}

void score_apply(const struct score_table *t, struct result *res)
{
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		json_decref(res->missing[c]);
		res->missing[c] = NULL;
		res->score[c] = SCORE_UNSCORED;
		res->withheld[c] = false;
		res->not_measured[c] = 0;
		free(res->withheld_reason[c]);
		res->withheld_reason[c] = NULL;
	}
	res->indeterminate = 0;
	if (res->state != RESULT_SCANNED)
		return;
	unsigned raw = score_raw_set(t, res);
	/* Support shown is support measured, even when the check could not finish. */
	unsigned unknown = score_unmeasured_set(res) & ~raw;
	unsigned blocking = 0; /* check ids whose verdict keeps some score from being known */
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		const struct score_category *cat = &t->cat[c];
		unsigned u = unknown & score_category_mask(cat);
		unsigned set = score_category_set(t, (enum mecsa_category)c, res);
		int lo, hi;
		score_bounds(t, (enum mecsa_category)c, raw, u, &lo, &hi);
		/* The score stands when no outcome of the unknown verdicts could change it (no
		 * STARTTLS measured means no confidentiality score, a DNSSEC SERVFAIL beside a
		 * measured "no STARTTLS" does not). */
		res->withheld[c] = lo != hi;
		res->not_measured[c] = u;
		res->missing[c] = score_missing(cat, set, u);
		if (res->withheld[c]) {
			res->withheld_reason[c] = score_withheld_reason(cat, res, u);
			for (int p = 0; p < MECSA_PROTO_MAX; p++)
				if (u & SCORE_BIT(p))
					blocking |= 1u << score_proto_check[p];
		}
		/* mecsa-st mode keeps mecsa-st's answer: what was not measured counts as absent. */
		if (!res->withheld[c] || t->mode == SCORE_MODE_MECSA_ST)
			res->score[c] = score_lookup(t, (enum mecsa_category)c, set);
	}
	res->indeterminate = __builtin_popcount(blocking);
	/* Stored flags must agree with the scores, also when the table's threshold is not 80. */
	unsigned all = score_dependencies(raw);
	for (int p = 0; p < MECSA_PROTO_MAX; p++)
		res->supported[p] = (all & SCORE_BIT(p)) != 0;
}

double score_stars(int score)
{
	return score < 0 ? -1.0 : score / 2.0;
}

int score_stars_format(int score, char *buf, size_t len)
{
	if (score < 0)
		return snprintf(buf, len, "-");
	return snprintf(buf, len, "%d.%d", score / 2, (score % 2) * 5);
}
