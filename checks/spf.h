/* spf.h — SPF (RFC 7208): a sans-I/O check_host() evaluator, and the "spf" check built on it.
 * The evaluator never touches the network: it asks for one DNS answer at a time and the caller
 * (the daemon's resolver, recorded evidence, or a test's zone data) supplies it. */
#ifndef MXS_SPF_H
#define MXS_SPF_H
#include <stdbool.h>
#include <stddef.h>

#include "checks/check.h"
#include "checks/dns_answer.h"

/* DNS PTR; dns_answer.h does not list it (yet). */
enum { SPF_TYPE_PTR = 12 };

/* RFC 7208 §4.6.4 processing limits. */
#define SPF_MAX_DNS_TERMS 10 /* include, a, mx, ptr, exists, redirect per evaluation */
#define SPF_MAX_VOID 2	     /* terms whose lookup found nothing (NODATA or NXDOMAIN) */
#define SPF_MAX_MX_NAMES 10  /* MX names one "mx" may look up; more is a permerror */
#define SPF_MAX_PTR_NAMES 10 /* PTR names considered; the rest are ignored */

#define SPF_EXPLANATION_MAX 512
#define SPF_REASON_MAX 256

/* The client address the check evaluates for: TEST-NET-1 (RFC 5737), an address no policy
 * should authorise, so that "pass" is never the result of a lucky match. */
#define SPF_CHECK_IP "192.0.2.1"

/* check_host() results (RFC 7208 §2.6). */
enum spf_result {
	SPF_NONE = 0,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR,
};

/* What one evaluation found. */
struct spf_outcome {
	enum spf_result result;		       /* the check_host() result */
	char explanation[SPF_EXPLANATION_MAX]; /* exp= text on "fail"; "" for the default one */
	char reason[SPF_REASON_MAX];	       /* why, for a person ("more than 10 DNS lookups") */
	char *record;		    /* owned: the top-level v=spf1 record when exactly one
				     * was found (NUL-terminated; may hold any byte), or NULL */
	size_t record_len;	    /* its length */
	int record_count;	    /* v=spf1 records in the top-level TXT RRset */
	bool syntax_valid;	    /* the top-level record parsed without error */
	char all;		    /* qualifier of the effective "all": the record's own, or
				     * (when it has none) that of its redirect= target; '-',
				     * '~', '?', '+', or 0 when none was seen */
	char *redirect;		    /* owned: the top-level record's redirect= target
				     * (expanded once evaluated), or NULL */
	int dns_lookups;	    /* terms that caused DNS lookups (limit 10) */
	int void_lookups;	    /* terms whose lookup found nothing (limit 2) */
	enum dns_status txt_status; /* the top-level TXT lookup (NOT_QUERIED: not made or
				     * not available) */
	bool not_gathered;	    /* an answer the evaluation needed was not supplied */
};

struct spf_eval;

enum spf_step {
	SPF_STEP_NEED_DNS, /* *need is filled: answer it with spf_eval_answer() */
	SPF_STEP_DONE,	   /* spf_eval_outcome() is final */
};

/* A check_host(<ip>, <domain>, <sender>) evaluation. ip is an IPv4 or IPv6 address in text (an
 * IPv4-mapped IPv6 address counts as IPv4); sender is the MAIL FROM address (NULL or "":
 * postmaster@<domain>; without a local-part "postmaster" is used); helo may be NULL (then
 * <domain>). Bad input does not fail: the outcome says why (a malformed domain gives "none", an
 * invalid address "permerror"). */
struct spf_eval *spf_eval_new(const char *domain, const char *sender, const char *ip,
			      const char *helo);
/* Values of the explanation-only macros %{r} and %{t} (default "unknown" and 0): the evaluator
 * reads no clock, so that re-evaluating stored evidence gives the same text. */
void spf_eval_set_receiver(struct spf_eval *e, const char *receiver, long long now);
/* Advance as far as the answers given allow. SPF_STEP_NEED_DNS: need holds one question
 * (canonical name, type); the next call must follow spf_eval_answer(). */
enum spf_step spf_eval_step(struct spf_eval *e, struct dns_question *need);
/* The answer to the question just asked; a is borrowed (what is kept is copied). NULL means the
 * answer is not available: the lookup counts as failed, with "not gathered" as the reason. */
void spf_eval_answer(struct spf_eval *e, const struct dns_answer *a);
/* The outcome; final once spf_eval_step() returned SPF_STEP_DONE. */
const struct spf_outcome *spf_eval_outcome(const struct spf_eval *e);
void spf_eval_free(struct spf_eval *e);

/* "pass", "fail", "softfail", "neutral", "none", "permerror", "temperror". */
const char *spf_result_name(enum spf_result r);

/* Record selection (§4.5): 1 when txt begins with "v=spf1" (any case) followed by SP or its end. */
bool spf_is_record(const char *txt, size_t len);
/* Full syntax check of a record (§4.6, §5, §6, §7): 0, or -1 with a reason in err. */
int spf_record_syntax(const char *rec, size_t len, char *err, size_t errlen);

/* The check (CHECK_SPF). */
extern const struct check check_spf;

#endif
