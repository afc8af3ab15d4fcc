/* scan.c — one domain's scan. Owns its job, evidence, deadline timer and the lists of lookups,
 * SMTP probes, revocation (CRL, OCSP) and HTTPS fetches it waits for. DNS questions come from the
 * checks' plan functions (sans-I/O); each answer is recorded in the evidence and the plans are
 * asked again. Once MX hosts have addresses, one SMTP probe per (host, address) is asked of the
 * engine's probe cache, and the CRLs and OCSP responses for the certificates it brings back of
 * the revocation cache; once the MTA-STS policy host has addresses, its policy of the HTTPS
 * cache. Fetches are pinned to addresses from
 * the evidence, never the system resolver. Gathering ends when nothing is outstanding or at the
 * deadline; then the pure evaluators and the scorer run and the result goes to the store. */
#include "daemon/scan.h"

#include <event2/event.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "checks/check.h"
#include "checks/mta_sts.h"
#include "checks/ocsp.h"
#include "checks/retry.h"
#include "checks/score.h"
#include "checks/smtp_evidence.h"
#include "checks/starttls.h"
#include "checks/urlpin.h"
#include "checks/x509.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/text.h"
#include "common/xalloc.h"
#include "daemon/config.h"
#include "daemon/der_cache.h"
#include "daemon/dns.h"
#include "daemon/engine.h"
#include "daemon/https_cache.h"
#include "daemon/probe_cache.h"
#include "daemon/store.h"

struct scan_lookup {
	struct scan *scan;		   /* borrowed: the owner */
	struct dns_request *req;	   /* borrowed: getdns owns it until its callback */
	struct scan_lookup *prev, *next;   /* in scan->lookups */
	uint64_t checks;		   /* the checks (registry bits) whose plan returned it */
	uint16_t type;			   /* the question: its type */
	char name[];			   /* and its name (sized: tens of thousands wait at once) */
};

struct scan_probe {
	struct scan *scan;		     /* borrowed: the owner */
	struct probe_wait *wait;	     /* borrowed: the probe cache's handle */
	char host[DNAME_MAX];		     /* MX host (SNI) */
	char address[STARTTLS_ADDR_MAX];     /* address probed */
	struct scan_probe *prev, *next;	     /* in scan->probes */
};

enum scan_der_kind { SCAN_CRL, SCAN_OCSP };

struct scan_der {
	struct scan *scan;		     /* borrowed: the owner */
	struct url_wait *wait;		     /* borrowed: the revocation cache's handle */
	char *url;			     /* owned */
	enum scan_der_kind kind;	     /* which evidence list the result goes to */
	struct scan_der *prev, *next;	     /* in scan->ders */
};

#define SCAN_DER_URLS_MAX (X509_CRL_URLS_MAX + OCSP_URLS_MAX)

struct scan_https {
	struct scan *scan;		     /* borrowed: the owner */
	struct url_wait *wait;	     /* borrowed: the HTTPS cache's handle */
	char *url;			     /* owned */
	char *resolve;			     /* owned: the pin asked with */
	struct scan_https *prev, *next;	     /* in scan->https */
};

struct scan {
	struct engine *engine;	      /* borrowed */
	struct store_job job;	      /* owned strings */
	struct evidence *ev;	      /* owned */
	struct event *deadline;	      /* owned */
	struct event *replan;	      /* owned: plans again from the loop once something arrived */
	struct scan_lookup *lookups;  /* owned: lookups in flight */
	struct scan_probe *probes;    /* owned: SMTP probes waited for */
	struct scan_der *ders;	      /* owned: CRL and OCSP fetches waited for */
	struct scan_https *https;     /* owned: HTTPS fetches (MTA-STS policies) waited for */
	size_t n_asked;		      /* questions asked so far (capped) */
	uint64_t replan_due;	      /* self-contained checks with an answer since their plan */
	uint64_t plan_runs;	      /* plan() calls so far (engine_stats) */
	int64_t started_ms;	      /* wall clock at start */
	int deadline_hit;	      /* gathering was cut short */
	int finishing;		      /* evaluation under way: ignore further callbacks */
	int planning;		      /* inside scan_plan: answers arriving synchronously wait */
	struct scan_lookup *asking;   /* the lookup being started; NULL once answered */
	size_t der_smtp_seen;	      /* ev->n_smtp when the revocation URLs were last listed */
	char *der_urls[SCAN_DER_URLS_MAX]; /* owned: CRL and OCSP URLs of the recorded chains */
	enum scan_der_kind der_kinds[SCAN_DER_URLS_MAX]; /* what each of der_urls is */
	size_t n_der_urls;	      /* entries in der_urls */
};

static int64_t scan_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void scan_finish(struct scan *s);
static void scan_plan(struct scan *s);

static void scan_on_replan(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct scan *s = arg;
	if (!s->finishing)
		scan_plan(s);
}

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
	struct dns_answer *slot = evidence_dns_slot(s->ev, l->name, l->type);
	char *qname = slot->qname;
	slot->qname = NULL;
	dns_answer_clear(slot);
	*slot = *a; /* move: the answer's contents now belong to the evidence */
	free(slot->qname);
	slot->qname = qname;
	memset(a, 0, sizeof *a);
	s->replan_due |= l->checks;
	if (s->asking == l)
		s->asking = NULL; /* answered before dns_lookup returned */
	free(l);
	if (s->finishing || s->planning)
		return;
	/* Not scan_plan() here: getdns may deliver this answer from inside another scan's
	 * dns_lookup, and planning (more lookups, more synchronous answers) would recurse
	 * through every scan in flight until the stack runs out. */
	event_active(s->replan, EV_TIMEOUT, 0);
}

static struct scan_lookup *scan_asked(const struct scan *s, const struct dns_question *q)
{
	for (struct scan_lookup *l = s->lookups; l; l = l->next)
		if (l->type == q->type && strcmp(l->name, q->name) == 0)
			return l;
	return NULL;
}

static void scan_ask(struct scan *s, const struct dns_question *q, uint64_t checks)
{
	size_t name_size = strlen(q->name) + 1;
	struct scan_lookup *l = xcalloc(1, sizeof *l + name_size);
	l->scan = s;
	l->type = q->type;
	memcpy(l->name, q->name, name_size);
	l->checks = checks;
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

static void scan_on_probe(const struct smtp_probe *p, void *arg)
{
	struct scan_probe *sp = arg;
	struct scan *s = sp->scan;
	if (sp->prev)
		sp->prev->next = sp->next;
	else
		s->probes = sp->next;
	if (sp->next)
		sp->next->prev = sp->prev;
	free(sp);
	smtp_probe_copy(evidence_smtp_add(s->ev), p);
	if (!s->finishing)
		event_active(s->replan, EV_TIMEOUT, 0); /* chains may name CRLs; or it was the last */
}

static struct der_list *scan_der_list(struct scan *s, enum scan_der_kind kind)
{
	return kind == SCAN_OCSP ? &s->ev->ocsp : &s->ev->crl;
}

static void scan_on_der(const void *result, void *arg)
{
	const struct der_fetch *c = result;
	struct scan_der *sd = arg;
	struct scan *s = sd->scan;
	if (sd->prev)
		sd->prev->next = sd->next;
	else
		s->ders = sd->next;
	if (sd->next)
		sd->next->prev = sd->prev;
	der_fetch_copy(evidence_der_add(scan_der_list(s, sd->kind)), c);
	free(sd->url);
	free(sd);
	if (!s->finishing)
		event_active(s->replan, EV_TIMEOUT, 0);
}

static void scan_on_https(const void *result, void *arg)
{
	const struct https_fetch *f = result;
	struct scan_https *sh = arg;
	struct scan *s = sh->scan;
	if (sh->prev)
		sh->prev->next = sh->next;
	else
		s->https = sh->next;
	if (sh->next)
		sh->next->prev = sh->prev;
	free(sh->url);
	free(sh->resolve);
	free(sh);
	evidence_https_copy(evidence_https_add(s->ev), f);
	if (!s->finishing)
		event_active(s->replan, EV_TIMEOUT, 0);
}

/* limits.exclude governs fetches as it does SMTP: the URL's host (a name under an excluded domain,
 * or an excluded address literal) and each pinned address ("host:port:addr,[v6],..." as curl's
 * CURLOPT_RESOLVE takes it, rewritten without the excluded ones) are checked before any
 * connection. NULL when the fetch may go ahead; else the entry that stops it. */
static const char *scan_fetch_excluded(struct scan *s, const char *url, char *pin)
{
	struct probe_cache *pc = engine_probes(s->engine);
	char host[DNAME_MAX];
	unsigned port;
	if (url_host(url, host, sizeof host, &port) == URL_HOST_NONE)
		host[0] = '\0';
	const char *by = probe_cache_excluded(pc, host, host);
	if (by || pin == NULL || pin[0] == '\0')
		return by;
	char *addrs = strchr(pin, ':');
	addrs = addrs ? strchr(addrs + 1, ':') : NULL;
	if (addrs == NULL)
		return NULL;
	addrs++;
	char kept[512] = "", *save = NULL;
	size_t used = 0;
	const char *last = NULL;
	for (char *a = strtok_r(addrs, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		char bare[64];
		snprintf(bare, sizeof bare, "%.*s", (int)strcspn(a + (*a == '['), "]"),
			 a + (*a == '['));
		const char *e = probe_cache_excluded(pc, NULL, bare);
		if (e) {
			last = e;
			continue;
		}
		int k = snprintf(kept + used, sizeof kept - used, "%s%s", used ? "," : "", a);
		if (k > 0 && used + (size_t)k < sizeof kept)
			used += (size_t)k;
	}
	memcpy(addrs, kept, used + 1); /* never longer than what it replaces */
	return used ? NULL : last;
}

/* The MTA-STS policy, once the check says which and its host's addresses are in. */
static void scan_want_https(struct scan *s)
{
	char url[DNAME_MAX + 48], pin[512];
	if (mta_sts_policy_fetch_target(s->ev, url, sizeof url, pin, sizeof pin) <= 0 ||
	    evidence_https_find(s->ev, url))
		return;
	for (struct scan_https *sh = s->https; sh; sh = sh->next)
		if (strcmp(sh->url, url) == 0)
			return;
	const char *excluded = scan_fetch_excluded(s, url, pin);
	if (excluded) {
		struct https_fetch *f = evidence_https_add(s->ev);
		f->url = xstrdup(url);
		f->resolve = xstrdup(pin);
		f->error = xasprintf("not fetched: excluded by limits.exclude (%s)", excluded);
		f->excluded = 1;
		return;
	}
	struct scan_https *sh = xcalloc(1, sizeof *sh);
	sh->scan = s;
	sh->url = xstrdup(url);
	sh->resolve = xstrdup(pin);
	sh->next = s->https;
	if (s->https)
		s->https->prev = sh;
	s->https = sh;
	sh->wait = url_cache_want(engine_https(s->engine), url, pin, scan_on_https, sh);
}

/* The CRLs and OCSP responses of the chains recorded so far, each once its host's addresses are
 * in the evidence (x509's plan asks for them), so that the fetch uses the scanner's resolver. */
static void scan_want_revocation(struct scan *s)
{
	/* Listing the URLs decodes every recorded certificate (costly with OpenSSL 3): only when a
	 * probe result arrived since the last listing. */
	if (s->ev->n_smtp != s->der_smtp_seen) {
		s->der_smtp_seen = s->ev->n_smtp;
		for (size_t i = 0; i < s->n_der_urls; i++)
			free(s->der_urls[i]);
		size_t nc = x509_crl_urls(s->ev, s->der_urls, X509_CRL_URLS_MAX);
		size_t no = ocsp_request_urls(s->ev, s->der_urls + nc, OCSP_URLS_MAX);
		for (size_t i = 0; i < nc + no; i++)
			s->der_kinds[i] = i < nc ? SCAN_CRL : SCAN_OCSP;
		s->n_der_urls = nc + no;
	}
	for (size_t i = 0; i < s->n_der_urls; i++) {
		const char *url = s->der_urls[i];
		char pin[512];
		int pinned = 0;
		int pending = evidence_der_find(scan_der_list(s, s->der_kinds[i]), url) != NULL ||
			      (pinned = url_pin(s->ev, url, pin, sizeof pin)) < 0;
		for (struct scan_der *sd = s->ders; sd && !pending; sd = sd->next)
			pending = strcmp(sd->url, url) == 0;
		if (pending)
			continue;
		const char *excluded = scan_fetch_excluded(s, url, pinned > 0 ? pin : NULL);
		if (excluded) {
			struct der_fetch *c = evidence_der_add(scan_der_list(s, s->der_kinds[i]));
			c->url = xstrdup(url);
			c->error = xasprintf("not fetched: excluded by limits.exclude (%s)", excluded);
			continue;
		}
		struct scan_der *sd = xcalloc(1, sizeof *sd);
		sd->scan = s;
		sd->url = xstrdup(url);
		sd->kind = s->der_kinds[i];
		sd->next = s->ders;
		if (s->ders)
			s->ders->prev = sd;
		s->ders = sd;
		/* Without a pin (an IP literal, or a host without addresses) http.c refuses any
		 * name lookup, so the fetch fails rather than asking the system resolver. */
		sd->wait = url_cache_want(engine_revocation(s->engine), sd->url,
					  pinned > 0 ? pin : NULL, scan_on_der, sd);
	}
}

/* SMTP probes for every (MX host, address) known and not yet probed or awaited, and the
 * revocation fetches of the chains recorded so far. Callbacks always come later, from the loop. */
static void scan_want_transport(struct scan *s)
{
	const struct config *cfg = engine_config(s->engine);
	struct smtp_target t[STARTTLS_TARGETS_MAX];
	size_t n = starttls_targets(s->ev, cfg->ipv6, t, STARTTLS_TARGETS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (evidence_smtp_find(s->ev, t[i].host, t[i].address))
			continue;
		int pending = 0;
		for (struct scan_probe *sp = s->probes; sp && !pending; sp = sp->next)
			pending = strcmp(sp->address, t[i].address) == 0 &&
				  dname_equal(sp->host, t[i].host);
		if (pending)
			continue;
		struct scan_probe *sp = xcalloc(1, sizeof *sp);
		sp->scan = s;
		memcpy(sp->host, t[i].host, sizeof sp->host);
		memcpy(sp->address, t[i].address, sizeof sp->address);
		sp->next = s->probes;
		if (s->probes)
			s->probes->prev = sp;
		s->probes = sp;
		sp->wait = probe_cache_want(engine_probes(s->engine), t[i].host, t[i].address,
					    cfg->smtp_port, scan_on_probe, sp);
	}
	scan_want_revocation(s);
}

/* The registry bit of check i; checks past the 64th have none and are always re-planned. */
static uint64_t scan_check_bit(size_t i)
{
	return i < 64 ? (uint64_t)1 << i : 0;
}

/* Whether check i's plan must run again. A self-contained plan (check.h) gives the same questions
 * until one of them is answered, and replaying it is most of the cost of planning: the SPF
 * evaluator re-runs from the top on every call. */
static int scan_plan_due(const struct scan *s, size_t i)
{
	const struct check *c = check_registry[i];
	uint64_t bit = scan_check_bit(i);
	return c->plan && (!c->plan_self_contained || bit == 0 || (s->replan_due & bit));
}

/* Ask every check what it still needs; ask what is new; finish when nothing is outstanding. */
static void scan_plan(struct scan *s)
{
	struct dns_question q[64];
	size_t asked, passes = 0;
	s->planning = 1;
again:
	asked = 0;
	passes++;
	for (size_t i = 0; i < check_registry_len; i++) {
		if (!scan_plan_due(s, i))
			continue;
		uint64_t bit = scan_check_bit(i);
		s->replan_due &= ~bit;
		s->plan_runs++;
		size_t n = check_registry[i]->plan(s->ev, q, sizeof q / sizeof *q);
		for (size_t k = 0; k < n; k++) {
			struct scan_lookup *l = scan_asked(s, &q[k]);
			if (l) {
				l->checks |= bit; /* its answer is this check's news too */
				continue;
			}
			if (evidence_dns_find(s->ev, q[k].name, q[k].type)) {
				s->replan_due |= bit; /* answered since the plan ran (a cache hit) */
				continue;
			}
			if (s->n_asked >= SCAN_MAX_QUERIES) {
				/* Record the refusal so the plan stops asking. */
				struct dns_answer *a = evidence_dns_slot(s->ev, q[k].name, q[k].type);
				a->status = DNS_STATUS_ERROR;
				a->why = xstrdup("per-domain query limit reached");
				s->replan_due |= bit;
				continue;
			}
			scan_ask(s, &q[k], bit);
			asked++;
		}
	}
	/* Every answer came synchronously, or some did for a self-contained plan: plan on them. */
	if (((asked && s->lookups == NULL) || s->replan_due) && passes <= SCAN_MAX_QUERIES)
		goto again;
	scan_want_transport(s);
	scan_want_https(s);
	s->planning = 0;
	/* Also when answers arrived synchronously: plan saw them all. */
	if (s->lookups == NULL && s->probes == NULL && s->ders == NULL && s->https == NULL)
		scan_finish(s);
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
	/* Probes still awaited: what the cache knows so far (an earlier rate-limited attempt, or
	 * "queued" / "running" at the deadline) becomes the record; the probe itself goes on. */
	while (s->probes) {
		struct scan_probe *sp = s->probes;
		s->probes = sp->next;
		probe_cache_unwant(engine_probes(s->engine), sp->wait, evidence_smtp_add(s->ev));
		free(sp);
	}
	while (s->ders) {
		struct scan_der *sd = s->ders;
		s->ders = sd->next;
		url_cache_unwant(engine_revocation(s->engine), sd->wait);
		struct der_fetch *c = evidence_der_add(scan_der_list(s, sd->kind));
		c->url = sd->url;
		c->error = xasprintf("scan deadline reached before the %s arrived",
				     sd->kind == SCAN_OCSP ? "OCSP response" : "CRL");
		free(sd);
	}
	while (s->https) {
		struct scan_https *sh = s->https;
		s->https = sh->next;
		url_cache_unwant(engine_https(s->engine), sh->wait);
		/* Our limit, not the server's answer: the check says not testable. */
		struct https_fetch *f = evidence_https_add(s->ev);
		f->url = sh->url;
		f->resolve = sh->resolve;
		f->timed_out = 1;
		f->error = xstrdup("scan deadline reached before the policy arrived");
		free(sh);
	}
	scan_finish(s);
}

static void scan_free(struct scan *s)
{
	if (s->deadline)
		event_free(s->deadline);
	if (s->replan)
		event_free(s->replan);
	for (size_t i = 0; i < s->n_der_urls; i++)
		free(s->der_urls[i]);
	evidence_free(s->ev);
	store_job_clear(&s->job);
	free(s);
}

static void scan_finish(struct scan *s)
{
	s->finishing = 1;
	s->ev->finished_ms = scan_now_ms();
	s->ev->deadline_hit = s->deadline_hit;
	struct engine *e = s->engine;
	const struct config *cfg = engine_config(e);
	char why[256];
	int retry = 0;
	/* Only transient failures (a timeout, a SERVFAIL, a 4xx...): scan again later in the
	 * campaign, after retry_after seconds doubled for each attempt already made; the result
	 * of the last attempt is the one kept. */
	if (s->job.attempts >= 1 && (unsigned)s->job.attempts <= cfg->retry_attempts &&
	    retry_wanted(s->ev, why, sizeof why)) {
		int shift = s->job.attempts - 1 < 20 ? s->job.attempts - 1 : 20;
		long long delay_ms = (long long)cfg->retry_after_s * 1000 << shift;
		log_info("%s: only transient failures (%s): scanning again in %llds (attempt %d "
			 "of %u)",
			 s->job.domain, why, delay_ms / 1000, s->job.attempts + 1,
			 cfg->retry_attempts + 1);
		store_put_retry(engine_store(e), &s->job, s->ev->finished_ms + delay_ms);
		retry = 1;
	} else {
		struct result *res = result_new(s->ev->domain);
		res->attempts = s->job.attempts;
		check_evaluate_all(s->ev, res);
		score_apply(engine_score_table(e), res);
		store_put_result(engine_store(e), &s->job, res, s->ev,
				 s->ev->finished_ms - s->started_ms);
		result_free(res);
	}
	int deadline = s->deadline_hit;
	engine_count_plan_runs(e, s->plan_runs);
	scan_free(s);
	engine_scan_done(e, deadline, 0, 0, retry);
}

static void scan_invalid(struct engine *e, struct store_job *job)
{
	char canon[DNAME_MAX], why[200];
	if (dname_normalize(job->input, canon, sizeof canon, why, sizeof why) == 0)
		snprintf(why, sizeof why, "not a domain name");
	/* The line as given may be anything (bytes that are not UTF-8, terminal controls): the
	 * result shows it escaped. */
	char *shown = text_escape(job->input);
	struct result *res = result_new(shown);
	free(shown);
	res->state = RESULT_INVALID;
	res->invalid_reason = xstrdup(why);
	store_put_result(engine_store(e), job, res, NULL, 0);
	result_free(res);
	store_job_clear(job);
	engine_scan_done(e, 0, 0, 1, 0);
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
	for (size_t i = 0; i < check_registry_len; i++) /* every plan runs once */
		if (check_registry[i]->plan)
			s->replan_due |= scan_check_bit(i);
	s->deadline = evtimer_new(engine_base(e), scan_on_deadline, s);
	s->replan = event_new(engine_base(e), -1, 0, scan_on_replan, s);
	struct timeval tv = {engine_config(e)->deadline_s, 0};
	evtimer_add(s->deadline, &tv);
	scan_plan(s);
}
