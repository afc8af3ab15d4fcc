/* scan.c — one domain's scan. Owns its job, evidence, deadline timer and the list of lookups in
 * flight. DNS questions come from the checks' plan functions (sans-I/O); each answer is recorded
 * in the evidence and the plans are asked again, until nothing new is needed or the deadline
 * passes. Then the pure evaluators and the scorer run and the result goes to the store. */
#include "daemon/scan.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "checks/check.h"
#include "checks/score.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/config.h"
#include "daemon/dns.h"
#include "daemon/engine.h"
#include "daemon/store.h"

struct scan_lookup {
	struct scan *scan;		   /* borrowed: the owner */
	struct dns_request *req;	   /* borrowed: getdns owns it until its callback */
	struct scan_lookup *prev, *next;   /* in scan->lookups */
	struct dns_question q;		   /* the question */
};

struct scan {
	struct engine *engine;	      /* borrowed */
	struct store_job job;	      /* owned strings */
	struct evidence *ev;	      /* owned */
	struct event *deadline;	      /* owned */
	struct scan_lookup *lookups;  /* owned: lookups in flight */
	size_t n_asked;		      /* questions asked so far (capped) */
	int64_t started_ms;	      /* wall clock at start */
	int deadline_hit;	      /* gathering was cut short */
	int finishing;		      /* evaluation under way: ignore further callbacks */
	int planning;		      /* inside scan_plan: answers arriving synchronously wait */
	struct scan_lookup *asking;   /* the lookup being started; NULL once answered */
};

static int64_t scan_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void scan_finish(struct scan *s);
static void scan_plan(struct scan *s);

static void scan_on_answer(struct dns_answer *a, void *arg)
{
	struct scan_lookup *l = arg;
	struct scan *s = l->scan;
	if (l->prev)
		l->prev->next = l->next;
	else
		s->lookups = l->next;
	if (l->next)
		l->next->prev = l->prev;
	struct dns_answer *slot = evidence_dns_slot(s->ev, l->q.name, l->q.type);
	char *qname = slot->qname;
	slot->qname = NULL;
	dns_answer_clear(slot);
	*slot = *a; /* move: the answer's contents now belong to the evidence */
	free(slot->qname);
	slot->qname = qname;
	memset(a, 0, sizeof *a);
	if (s->asking == l)
		s->asking = NULL; /* answered before dns_lookup returned */
	free(l);
	if (s->finishing || s->planning)
		return;
	scan_plan(s);
}

static int scan_is_asked(const struct scan *s, const struct dns_question *q)
{
	for (const struct scan_lookup *l = s->lookups; l; l = l->next)
		if (l->q.type == q->type && strcmp(l->q.name, q->name) == 0)
			return 1;
	return 0;
}

static void scan_ask(struct scan *s, const struct dns_question *q)
{
	struct scan_lookup *l = xcalloc(1, sizeof *l);
	l->scan = s;
	l->q = *q;
	l->next = s->lookups;
	if (s->lookups)
		s->lookups->prev = l;
	s->lookups = l;
	s->n_asked++;
	s->asking = l;
	struct dns_request *req =
		dns_lookup(engine_dns(s->engine), q->name, q->type, scan_on_answer, l);
	if (s->asking == NULL)
		return; /* already answered and freed */
	s->asking = NULL;
	if (req) {
		l->req = req;
		return;
	}
	/* Not started: record the failure as the answer, so the plan moves on. */
	struct dns_answer a = {0};
	a.rcode = -1;
	a.status = DNS_STATUS_ERROR;
	a.why = xstrdup("query could not be started");
	scan_on_answer(&a, l);
	dns_answer_clear(&a);
}

/* Ask every check what it still needs; ask what is new; finish when nothing is outstanding. */
static void scan_plan(struct scan *s)
{
	struct dns_question q[64];
	size_t asked;
	s->planning = 1;
again:
	asked = 0;
	for (size_t i = 0; i < check_registry_len; i++) {
		const struct check *c = check_registry[i];
		if (c->plan == NULL)
			continue;
		size_t n = c->plan(s->ev, q, sizeof q / sizeof *q);
		for (size_t k = 0; k < n; k++) {
			if (scan_is_asked(s, &q[k]) ||
			    evidence_dns_find(s->ev, q[k].name, q[k].type))
				continue;
			if (s->n_asked >= SCAN_MAX_QUERIES) {
				/* Record the refusal so the plan stops asking. */
				struct dns_answer *a = evidence_dns_slot(s->ev, q[k].name, q[k].type);
				a->status = DNS_STATUS_ERROR;
				a->why = xstrdup("per-domain query limit reached");
				continue;
			}
			scan_ask(s, &q[k]);
			asked++;
		}
	}
	if (asked && s->lookups == NULL)
		goto again; /* every answer came synchronously: plan on them */
	s->planning = 0;
	if (s->lookups == NULL)
		scan_finish(s); /* also when answers arrived synchronously: plan saw them all */
}

static void scan_on_deadline(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct scan *s = arg;
	s->deadline_hit = 1;
	s->finishing = 1;
	while (s->lookups) {
		struct scan_lookup *l = s->lookups;
		/* The callback unlinks and frees l and records a TIMEOUT answer. */
		dns_cancel(engine_dns(s->engine), l->req, "scan deadline reached");
	}
	scan_finish(s);
}

static void scan_free(struct scan *s)
{
	if (s->deadline)
		event_free(s->deadline);
	evidence_free(s->ev);
	store_job_clear(&s->job);
	free(s);
}

static void scan_finish(struct scan *s)
{
	s->finishing = 1;
	s->ev->finished_ms = scan_now_ms();
	s->ev->deadline_hit = s->deadline_hit;
	struct result *res = result_new(s->ev->domain);
	check_evaluate_all(s->ev, res);
	score_apply(engine_score_table(s->engine), res);
	store_put_result(engine_store(s->engine), &s->job, res, s->ev,
			 s->ev->finished_ms - s->started_ms);
	result_free(res);
	struct engine *e = s->engine;
	int deadline = s->deadline_hit;
	scan_free(s);
	engine_scan_done(e, deadline, 0, 0);
}

static void scan_invalid(struct engine *e, struct store_job *job)
{
	char canon[DNAME_MAX], why[200];
	if (dname_normalize(job->input, canon, sizeof canon, why, sizeof why) == 0)
		snprintf(why, sizeof why, "not a domain name");
	struct result *res = result_new(job->input);
	res->state = RESULT_INVALID;
	res->invalid_reason = xstrdup(why);
	store_put_result(engine_store(e), job, res, NULL, 0);
	result_free(res);
	store_job_clear(job);
	engine_scan_done(e, 0, 0, 1);
}

void scan_start(struct engine *e, struct store_job *job)
{
	if (job->domain == NULL) {
		scan_invalid(e, job);
		return;
	}
	struct scan *s = xcalloc(1, sizeof *s);
	s->engine = e;
	s->job = *job;
	memset(job, 0, sizeof *job);
	s->ev = evidence_new(s->job.domain);
	s->started_ms = scan_now_ms();
	s->ev->started_ms = s->started_ms;
	s->deadline = evtimer_new(engine_base(e), scan_on_deadline, s);
	struct timeval tv = {engine_config(e)->deadline_s, 0};
	evtimer_add(s->deadline, &tv);
	scan_plan(s);
}
