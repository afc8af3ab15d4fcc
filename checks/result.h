/* result.h — the judgement of one domain: a verdict and a JSON detail object per check, the MECSA
 * protocol-support flags and the three scores. Built by the evaluators; serialised to the store by
 * result_json.c. */
#ifndef MXS_RESULT_H
#define MXS_RESULT_H
#include <jansson.h>
#include <stdbool.h>

#include "checks/verdict.h"

enum check_id {
	CHECK_MX = 0,
	CHECK_SPF,
	CHECK_DKIM,
	CHECK_DMARC,
	CHECK_TLSRPT,
	CHECK_MTASTS,
	CHECK_STARTTLS,
	CHECK_X509,
	CHECK_DANE,
	CHECK_DNSSEC,
	CHECK_REQUIRETLS,
	CHECK_MAX
};

/* MECSA protocol support (reference spec §4.1-4.3): what the score tables are keyed on. */
enum mecsa_proto {
	MECSA_STARTTLS = 0,
	MECSA_X509,
	MECSA_SPF,
	MECSA_SPF_POLICY,
	MECSA_DKIM,
	MECSA_DMARC,
	MECSA_DMARC_POLICY,
	MECSA_DANE,
	MECSA_DNSSEC,
	MECSA_MTA_STS,
	MECSA_PROTO_MAX
};

enum mecsa_category { MECSA_CONFIDENTIALITY = 0, MECSA_SPOOFING, MECSA_INTEGRITY, MECSA_CAT_MAX };

struct check_result {
	struct verdict verdict; /* the outcome */
	json_t *detail;		/* owned: check-specific fields, or NULL when not evaluated */
};

enum result_state {
	RESULT_SCANNED = 0, /* the checks ran (whatever their verdicts) */
	RESULT_INVALID,	    /* the input was not a valid domain name (reason in invalid_reason) */
	RESULT_FAILED,	    /* the scan itself failed (reason in invalid_reason) */
};

struct result {
	char *domain;			     /* owned: the normalised name (or the raw input when invalid) */
	enum result_state state;	     /* see above */
	char *invalid_reason;		     /* owned: why the input or scan failed, else NULL */
	struct check_result checks[CHECK_MAX]; /* indexed by enum check_id */
	bool supported[MECSA_PROTO_MAX];     /* support flags: evaluators set spf_policy and
						dmarc_policy (others provisional); score_apply()
						finalises all */
	double percent[MECSA_PROTO_MAX];     /* raw percentages (0-100), judged by score_apply()
						against the table's threshold; evaluators fill every
						protocol but the two policies */
	double percent_fixed[MECSA_PROTO_MAX]; /* what fixed scoring judges instead of percent[]
						  where mxsurvey is stricter than mecsa-st (x509:
						  a weak key makes a certificate invalid); -1: the
						  same as percent[] */
	int score[MECSA_CAT_MAX];	     /* 0-10, -1 when not scored or withheld */
	json_t *missing[MECSA_CAT_MAX];	     /* owned: protocols missing for a top score (array),
						those whose support was determined only */
	/* Set by score_apply(): what could not be measured (see checks/score.h). */
	unsigned not_measured[MECSA_CAT_MAX]; /* per category: SCORE_BIT() of its protocols whose
						support could not be determined (their check:
						dns_error or not_testable) */
	bool withheld[MECSA_CAT_MAX];	     /* the category's score depends on a protocol of
						not_measured (withheld in fixed mode: score -1) */
	char *withheld_reason[MECSA_CAT_MAX]; /* owned: what could not be measured, when withheld */
	int indeterminate;		     /* checks whose undetermined verdict blocks a score */
	/* Set by the starttls evaluator: MECSA's denominators, -1 when not known. */
	int mecsa_rows;			     /* addresses where STARTTLS support was determined */
	int mecsa_tls_rows;		     /* of them, with a TLS 1.2+ session (x509's rows) */
	int attempts;			     /* scans this result is the last of; 0 when unknown */
};

struct result *result_new(const char *domain);
void result_free(struct result *res);

/* Set a check's verdict; detail (may be NULL) is taken over by the result. */
void result_set(struct result *res, enum check_id id, json_t *detail, enum verdict_status status,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));

const char *mecsa_proto_name(enum mecsa_proto p);
const char *mecsa_category_name(enum mecsa_category c);

#endif
