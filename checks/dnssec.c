/* dnssec.c — the DNSSEC check. The MECSA questions (reference spec §3.8): is the domain signed
 * and does it validate; are its MX, TXT (SPF) and _dmarc TXT RRsets secure; for each MX host,
 * are its A/AAAA and TLSA RRsets secure. Validation itself is the resolver's (getdns, libunbound
 * or a trusted validating resolver); this evaluator judges the recorded per-RRset statuses.
 * Unlike mecsa-st's hand-written chain walk (which cannot succeed in a stock install), insecure
 * delegations and authenticated denial are understood, and bogus is told apart from unsigned. */
#include "checks/dnssec.h"

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <strings.h>

#include "checks/dnssec_why.h"
#include "checks/mx.h"
#include "checks/result.h"

struct dnssec_tally {
	const struct evidence *ev;		 /* borrowed: what is judged */
	time_t now;				 /* when (the scan's start) */
	size_t secure, insecure, bogus, unknown; /* RRsets per status */
	size_t server_failures;			 /* SERVFAIL, and SERVFAIL again with CD=1 */
	json_t *rrsets;				 /* borrowed: the detail array being filled */
	json_t *denials;			 /* borrowed: absent RRsets and how they were denied */
	char first_bad[160];			 /* the first bogus or insecure RRset, for the reason */
	const char *bogus_reason;		 /* static: why the first bogus RRset is, or NULL */
};

/* The status of an answer for this check (dns_answer_dnssec): bogus also when a SERVFAIL
 * without EDE brought data back with CD=1; a failed lookup without a status is unknown. */
static enum dnssec_status dnssec_effective(const struct dns_answer *a)
{
	return dns_answer_dnssec(a);
}

static void dnssec_count(struct dnssec_tally *t, const char *role, const struct dns_answer *a)
{
	if (a == NULL || a->status == DNS_STATUS_NOT_QUERIED)
		return;
	struct dnssec_diagnosis dg;
	dnssec_diagnose(t->ev, a, t->now, &dg);
	enum dnssec_status s = dg.status;
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", role, "name", a->qname, "type",
			      dns_type_name(a->qtype), "lookup", dns_status_name(a->status),
			      "dnssec", dnssec_status_name(s));
	if (a->why)
		json_object_set_new(o, "why", json_string(a->why));
	if (a->cd)
		json_object_set_new(o, "cd_lookup", json_string(dns_status_name(a->cd->status)));
	if (dg.server_failure) {
		json_object_set_new(o, "server_failure", json_true());
		t->server_failures++;
	}
	if (s == DNSSEC_BOGUS) {
		json_object_set_new(o, "bogus_reason", json_string(dnssec_why_name(dg.why)));
		json_object_set_new(o, "bogus_source",
				    dg.source ? json_string(dg.source) : json_null());
		if (dg.signer[0])
			json_object_set_new(o, "signer", json_string(dg.signer));
		if (t->bogus_reason == NULL)
			t->bogus_reason = dnssec_why_name(dg.why);
	}
	json_array_append_new(t->rrsets, o);
	switch (s) {
	case DNSSEC_SECURE: t->secure++; return;
	case DNSSEC_INSECURE: t->insecure++; break;
	case DNSSEC_BOGUS: t->bogus++; break;
	case DNSSEC_INDETERMINATE: t->unknown++; return;
	}
	if (t->first_bad[0] == '\0' || (s == DNSSEC_BOGUS && t->bogus == 1))
		snprintf(t->first_bad, sizeof t->first_bad, "%s %s %s%s%s%s%s%s", a->qname,
			 dns_type_name(a->qtype), dnssec_status_name(s),
			 s == DNSSEC_BOGUS ? " (" : "", s == DNSSEC_BOGUS ? dnssec_why_name(dg.why) : "",
			 s == DNSSEC_BOGUS ? ")" : "", a->why ? ": " : "", a->why ? a->why : "");
}

/* An absent RRset (NXDOMAIN, NODATA) the mail checks rely on: was its absence proven by
 * DNSSEC (secure) or only asserted (insecure)? Informational, not counted in the tally. */
static void dnssec_denial(struct dnssec_tally *t, const char *role, const struct dns_answer *a)
{
	if (a == NULL || (a->status != DNS_STATUS_NXDOMAIN && a->status != DNS_STATUS_NODATA))
		return;
	enum dnssec_status s = dnssec_effective(a);
	json_array_append_new(t->denials,
			      json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", role, "name", a->qname,
					"type", dns_type_name(a->qtype), "lookup",
					dns_status_name(a->status), "dnssec",
					dnssec_status_name(s)));
}

static int dnssec_has_record(const struct dns_answer *a, const char *prefix)
{
	if (a == NULL || a->status != DNS_STATUS_OK)
		return 0;
	size_t n = strlen(prefix);
	for (size_t i = 0; i < a->n_rr; i++)
		if (a->rr[i].len >= n && strncasecmp((const char *)a->rr[i].data, prefix, n) == 0)
			return 1;
	return 0;
}

static void dnssec_evaluate(const struct evidence *ev, struct result *res)
{
	struct dnssec_tally t = {0};
	t.ev = ev;
	t.now = ev->started_ms > 0 ? (time_t)(ev->started_ms / 1000) : time(NULL);
	t.rrsets = json_array();
	t.denials = json_array();
	const struct dns_answer *mx = evidence_dns_find(ev, ev->domain, DNS_TYPE_MX);
	dnssec_count(&t, "mx", mx);
	/* The TXT RRset is in scope when it carries SPF or the domain publishes TLS-RPT (MECSA). */
	char name[DNAME_MAX + 16];
	const struct dns_answer *txt = evidence_dns_find(ev, ev->domain, DNS_TYPE_TXT);
	const struct dns_answer *rpt = NULL, *dmarc = NULL;
	if (snprintf(name, sizeof name, "_smtp._tls.%s", ev->domain) < (int)sizeof name)
		rpt = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (dnssec_has_record(txt, "v=spf1") || dnssec_has_record(rpt, "v=TLSRPTv1"))
		dnssec_count(&t, "spf", txt);
	dnssec_denial(&t, "txt", txt);
	dnssec_denial(&t, "tlsrpt", rpt);
	if (snprintf(name, sizeof name, "_mta-sts.%s", ev->domain) < (int)sizeof name)
		dnssec_denial(&t, "mta_sts", evidence_dns_find(ev, name, DNS_TYPE_TXT));
	/* The DMARC RRset that applies: the domain's own or the inherited one (DMARC check). */
	const char *found_at =
		json_string_value(json_object_get(res->checks[CHECK_DMARC].detail, "found_at"));
	if (found_at)
		dmarc = evidence_dns_find(ev, found_at, DNS_TYPE_TXT);
	else if (snprintf(name, sizeof name, "_dmarc.%s", ev->domain) < (int)sizeof name)
		dmarc = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (dnssec_has_record(dmarc, "v=DMARC1"))
		dnssec_count(&t, "dmarc", dmarc);
	else if (snprintf(name, sizeof name, "_dmarc.%s", ev->domain) < (int)sizeof name)
		dnssec_denial(&t, "dmarc", evidence_dns_find(ev, name, DNS_TYPE_TXT));
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind);
	for (size_t i = 0; i < nh; i++) {
		if (hosts[i].ip_literal)
			continue;
		dnssec_count(&t, "mx_a", evidence_dns_find(ev, hosts[i].name, DNS_TYPE_A));
		dnssec_count(&t, "mx_aaaa", evidence_dns_find(ev, hosts[i].name, DNS_TYPE_AAAA));
		if (snprintf(name, sizeof name, "_25._tcp.%s", hosts[i].name) >= (int)sizeof name)
			continue;
		const struct dns_answer *tlsa = evidence_dns_find(ev, name, DNS_TYPE_TLSA);
		if (tlsa && tlsa->status == DNS_STATUS_OK)
			dnssec_count(&t, "tlsa", tlsa);
		dnssec_denial(&t, "tlsa", tlsa);
	}
	size_t den_secure = 0, den_insecure = 0;
	size_t k;
	json_t *den;
	json_array_foreach(t.denials, k, den)
	{
		const char *s = json_string_value(json_object_get(den, "dnssec"));
		den_secure += strcmp(s, "secure") == 0;
		den_insecure += strcmp(s, "insecure") == 0;
	}
	json_t *d = json_pack("{s:s, s:i, s:i, s:i, s:i, s:o}", "domain",
			      mx ? dnssec_status_name(dnssec_effective(mx)) : "indeterminate",
			      "secure", (int)t.secure, "insecure", (int)t.insecure, "bogus",
			      (int)t.bogus, "indeterminate", (int)t.unknown, "rrsets", t.rrsets);
	json_object_set_new(d, "bogus_reason",
			    t.bogus_reason ? json_string(t.bogus_reason) : json_null());
	json_object_set_new(d, "server_failures", json_integer((json_int_t)t.server_failures));
	json_object_set_new(d, "denials", t.denials);
	json_object_set_new(d, "denials_secure", json_integer((json_int_t)den_secure));
	json_object_set_new(d, "denials_insecure", json_integer((json_int_t)den_insecure));
	size_t total = t.secure + t.insecure + t.bogus + t.unknown;
	int ok = total > 0 && t.secure == total;
	res->supported[MECSA_DNSSEC] = ok;
	res->percent[MECSA_DNSSEC] = ok ? 100.0 : 0.0;
	if (total == 0)
		result_set(res, CHECK_DNSSEC, d, VERDICT_NOT_TESTABLE, "no RRset was gathered");
	else if (ok)
		result_set(res, CHECK_DNSSEC, d, VERDICT_PASS, "all %zu RRsets validate as secure",
			   total);
	else if (t.bogus)
		result_set(res, CHECK_DNSSEC, d, VERDICT_FAIL, "%zu of %zu RRsets are bogus: %s",
			   t.bogus, total, t.first_bad);
	else if (t.insecure == total)
		result_set(res, CHECK_DNSSEC, d, VERDICT_ABSENT, "not signed (insecure)");
	else if (t.insecure)
		result_set(res, CHECK_DNSSEC, d, VERDICT_FAIL,
			   "%zu of %zu RRsets are not signed: %s", t.insecure, total, t.first_bad);
	else if (t.server_failures)
		result_set(res, CHECK_DNSSEC, d, VERDICT_NOT_TESTABLE,
			   "validation status unknown for %zu of %zu RRsets: server failure "
			   "(SERVFAIL also with checking disabled) for %zu",
			   t.unknown, total, t.server_failures);
	else
		result_set(res, CHECK_DNSSEC, d, VERDICT_NOT_TESTABLE,
			   "validation status unknown for %zu of %zu RRsets", t.unknown, total);
}

/* What explains a bogus answer: its signer's DNSKEY and DS (dnssec_why.h). */
static size_t dnssec_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	size_t n = 0;
	dnssec_why_plan(ev, q, max, &n);
	return n;
}

const struct check check_dnssec = {
	.id = CHECK_DNSSEC,
	.name = "dnssec",
	.title = "DNSSEC",
	.plan = dnssec_plan, /* judges what the other checks gathered, and asks what explains a
				DNSSEC failure */
	.evaluate = dnssec_evaluate,
};
