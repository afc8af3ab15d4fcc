/* check.h — the uniform interface every check implements (the zmap probe-module shape): one
 * const struct per check, ending its file, listed once in the registry (checks/registry.c).
 * A check is pure: evidence in, verdict and detail out; no sockets, no event loop. */
#ifndef MXS_CHECK_H
#define MXS_CHECK_H

#include <stdint.h>

#include "checks/evidence.h"
#include "common/dname.h"
#include "checks/result.h"

/* Evaluate ev and fill res->checks[id]; earlier checks' results (registry order) may be read. */
typedef void check_evaluate_fn(const struct evidence *ev, struct result *res);

/* A DNS question a check wants answered. */
#define DNS_Q_AUTHORITATIVE 0x01 /* ask the domain's authoritative servers, not the resolver */
struct dns_question {
	char name[DNAME_MAX]; /* no trailing dot */
	uint16_t type;	      /* DNS_TYPE_* */
	uint8_t flags;	      /* DNS_Q_* */
};

/* Sans-I/O gathering: given the evidence so far, append to q the questions this check still
 * needs (at most max; return how many were written). The daemon asks them, records the answers
 * in the evidence and calls plan again, until no check asks for anything new. A question whose
 * answer is already in the evidence must not be asked again. NULL: needs nothing. */
typedef size_t check_plan_fn(const struct evidence *ev, struct dns_question *q, size_t max);

struct check {
	enum check_id id;	     /* index into result->checks */
	const char *name;	     /* stable key in JSON and the store ("mx", "spf", ...) */
	const char *title;	     /* heading in the text report */
	check_plan_fn *plan;	     /* what to gather (may be NULL) */
	/* plan() reads only the answers to questions it returned itself (as the sequential SPF,
	 * DMARC and DKIM lookups do), so its output changes only once one of them is answered:
	 * the daemon then plans it again only after such an answer. 0 (the safe default): plan
	 * reads other evidence too (MX answers, SMTP probes) and runs after anything arrives. */
	unsigned plan_self_contained : 1;
	check_evaluate_fn *evaluate; /* the evaluator */
};

/* Every check, in evaluation order. */
extern const struct check *const check_registry[];
extern const size_t check_registry_len;

/* For plan functions: append (name, type, flags) to q[*n] unless its answer is already in the
 * evidence, it is already in q, or q is full. Returns 1 when appended. */
int check_plan_ask(const struct evidence *ev, struct dns_question *q, size_t max, size_t *n,
		   const char *name, uint16_t type, uint8_t flags);

const struct check *check_by_name(const char *name);
const struct check *check_by_id(enum check_id id);

/* Run every evaluator of the registry over ev into a fresh res (scores included). */
void check_evaluate_all(const struct evidence *ev, struct result *res);

#endif
