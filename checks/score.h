/* score.h — MECSA scoring (reference spec §4): from a result's per-protocol percentages and
 * policy flags to the three 0-10 category scores and the protocols missing for a top score. The
 * table is data (config/scoring.yaml, loaded by daemon/scoring_load.c) with a built-in copy of
 * mecsa-st's score.json. Two modes:
 *   fixed     (default) per-category sets, order-free; a combination the table does not list
 *             scores the best listed subset of it (monotone closure, spec §4.7);
 *   mecsa-st  bit-for-bit mecsa-st: all categories flattened into one map keyed by the
 *             comma-joined string as written, later categories overwriting earlier ones, higher
 *             scores overwriting lower ones, unlisted -> 0 (spec §4.4/§4.5). */
#ifndef MXS_SCORE_H
#define MXS_SCORE_H
#include <stdbool.h>
#include <stddef.h>

#include "checks/result.h"

enum score_mode {
	SCORE_MODE_FIXED = 0, /* set semantics + monotone closure */
	SCORE_MODE_MECSA_ST,  /* reproduce mecsa-st's flattened string map */
	SCORE_MODE_MAX
};

#define SCORE_MIN 0
#define SCORE_MAX 10
#define SCORE_UNSCORED (-1)
#define SCORE_THRESHOLD_DEFAULT 80.0 /* the 80 % rule (spec §4.1) */
#define SCORE_KEY_MAX 96	     /* longest combination string ("starttls,...,mta-sts") + NUL */

/* A set of protocols is a bit mask over enum mecsa_proto. */
#define SCORE_BIT(p) (1u << (unsigned)(p))

/* One listed combination: a set of protocols that earns a score. The order is kept because
 * mecsa-st keys on the string as written (its spoofing "dkim,spf" can never match). */
struct score_combo {
	int score;			    /* 0-10 */
	unsigned char n;		    /* protocols in proto[] */
	unsigned char proto[MECSA_PROTO_MAX]; /* enum mecsa_proto values, in the order written */
};

struct score_category {
	unsigned char nprotocols;		  /* entries in protocols[] */
	unsigned char protocols[MECSA_PROTO_MAX]; /* enum mecsa_proto: what the category tests, in
						     the order "missing" lists them */
	size_t ncombos;				  /* entries in combos[] */
	size_t cap;				  /* allocated entries (0 for the builtin table) */
	const struct score_combo *combos;	  /* owned (static in the builtin): file order */
};

struct score_table {
	enum score_mode mode;			    /* how combinations are looked up */
	double threshold;			    /* percent at which a protocol counts (80) */
	struct score_category cat[MECSA_CAT_MAX]; /* indexed by enum mecsa_category */
};

/* mecsa-st's commons/score.json, transcribed (spec §4.3-4.5), fixed mode, threshold 80.
 * Never freed (score_table_free ignores it). */
const struct score_table *score_table_builtin(void);

/* An empty table (fixed mode, default threshold, no protocols, no combinations), for loaders. */
struct score_table *score_table_new(void);
void score_table_free(struct score_table *t);
/* Append a combination to category c (proto: n enum mecsa_proto values, n <= MECSA_PROTO_MAX). */
void score_table_add_combo(struct score_table *t, enum mecsa_category c, int score,
			   const unsigned char *proto, size_t n);
/* Same mode, threshold, protocol lists and, per category and score, the same combinations in the
 * same order (what mecsa-st mode depends on). */
bool score_table_equal(const struct score_table *a, const struct score_table *b);

/* Names: -1 when unknown. Protocol names as in mecsa_proto_name(). */
int score_proto_parse(const char *name);
int score_category_parse(const char *name);
int score_mode_parse(const char *name); /* "fixed" | "mecsa-st" */
const char *score_mode_name(enum score_mode m);

/* The 80 % rule evaluators use for res->supported[] (default threshold), and with a table's. */
bool score_supported(double percent);
bool score_table_supported(const struct score_table *t, double percent);

/* The supported set of category c for res: a protocol measured by a percentage (all but
 * spf_policy and dmarc_policy) counts when res->percent[p] reaches t->threshold; spf_policy and
 * dmarc_policy are the evaluators' res->supported[] flags. As in mecsa-st, x509 only counts with
 * starttls, spf_policy only with spf, dmarc_policy only with dmarc. Restricted to c's protocols. */
unsigned score_category_set(const struct score_table *t, enum mecsa_category c,
			    const struct result *res);
/* The combination string of set in canonical order (spec §4.3), e.g. "starttls,x509". Returns
 * its length (truncated to len - 1 when longer, like snprintf). */
size_t score_combination(unsigned set, char *buf, size_t len);
/* The score of set in category c, by t's mode. */
int score_lookup(const struct score_table *t, enum mecsa_category c, unsigned set);
/* mecsa-st's flattened map: the score stored under key, 0 when no category lists it. */
int score_mecsa_st_lookup(const struct score_table *t, const char *key);

/* Protocols whose check could not determine support: its verdict is dns_error (a timeout, a
 * SERVFAIL, a bogus answer) or not_testable (no MX host testable: null MX, no MX address, every
 * MX refused, timed out or answered 4xx or garbage; a fetch that timed out...). */
unsigned score_unmeasured_set(const struct result *res);
/* The lowest and highest score category c can have with the protocols of known supported, over
 * every outcome of the protocols of unknown. Equal: the score does not depend on them. */
void score_bounds(const struct score_table *t, enum mecsa_category c, unsigned known,
		  unsigned unknown, int *lo, int *hi);

/* Score res with t: res->score[] for each category, res->missing[] (JSON array of the category's
 * protocols measured and not supported, in the table's order; empty for a full house), and
 * res->supported[] rewritten to the flags actually scored (percentages judged with
 * t->threshold). A score that depends on a protocol whose support could not be measured
 * (score_unmeasured_set, not shown supported) is withheld: res->withheld[c] with the reason in
 * res->withheld_reason[c], and in fixed mode res->score[c] = -1; mecsa-st mode keeps mecsa-st's
 * score (the unmeasured counted as absent). res->not_measured[] and res->indeterminate (checks
 * behind a withheld score) are set in both modes. In fixed mode an MTA-STS policy the check
 * refused (detail.policy_accepted false) is not support. Results that are not RESULT_SCANNED
 * stay unscored (-1, missing NULL). */
void score_apply(const struct score_table *t, struct result *res);

/* Stars as mecsa-st prints them: score / 2, half-star steps (0-5); -1 for unscored. */
double score_stars(int score);
/* "3.5" (one decimal, as mecsa-st's text summary), or "-" when unscored; snprintf's return. */
int score_stars_format(int score, char *buf, size_t len);

#endif
