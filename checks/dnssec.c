/* dnssec.c — the DNSSEC check. The MECSA questions (reference spec §3.8): is the domain signed
 * and does it validate; are its MX, TXT (SPF) and _dmarc TXT RRsets secure; for each MX host,
 * are its A/AAAA and TLSA RRsets secure. Validation itself is the resolver's (getdns, libunbound
 * or a trusted validating resolver); this evaluator judges the recorded per-RRset statuses.
 * Unlike mecsa-st's hand-written chain walk (which cannot succeed in a stock install), insecure
 * delegations and authenticated denial are understood, and bogus is told apart from unsigned. */
#include "checks/dnssec.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "checks/mx.h"
#include "checks/result.h"

struct dnssec_tally {
	size_t secure, insecure, bogus, unknown; /* RRsets per status */
	json_t *rrsets;				 /* borrowed: the detail array being filled */
	char first_bad[160];			 /* the first bogus or insecure RRset, for the reason */
};

/* The status of an answer for this check: a SERVFAIL whose DNSSEC status is bogus is bogus; a
 * failed lookup without a status is unknown. */
static enum dnssec_status dnssec_effective(const struct dns_answer *a)
{
	if (a->dnssec == DNSSEC_BOGUS)
		return DNSSEC_BOGUS;
	if (!dns_status_is_answer(a->status))
		return DNSSEC_INDETERMINATE;
	return a->dnssec;
}

static void dnssec_count(struct dnssec_tally *t, const char *role, const struct dns_answer *a)
{
	if (a == NULL || a->status == DNS_STATUS_NOT_QUERIED)
		return;
	enum dnssec_status s = dnssec_effective(a);
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s}", "role", role, "name", a->qname, "type",
			      dns_type_name(a->qtype), "lookup", dns_status_name(a->status),
			      "dnssec", dnssec_status_name(s));
	if (a->why)
		json_object_set_new(o, "why", json_string(a->why));
	json_array_append_new(t->rrsets, o);
	switch (s) {
	case DNSSEC_SECURE: t->secure++; return;
	case DNSSEC_INSECURE: t->insecure++; break;
	case DNSSEC_BOGUS: t->bogus++; break;
	case DNSSEC_INDETERMINATE: t->unknown++; return;
	}
	if (t->first_bad[0] == '\0' || s == DNSSEC_BOGUS)
		snprintf(t->first_bad, sizeof t->first_bad, "%s %s %s%s%s", a->qname,
			 dns_type_name(a->qtype), dnssec_status_name(s), a->why ? ": " : "",
			 a->why ? a->why : "");
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
	t.rrsets = json_array();
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
	/* The DMARC RRset that applies: the domain's own or the inherited one (DMARC check). */
	const char *found_at =
		json_string_value(json_object_get(res->checks[CHECK_DMARC].detail, "found_at"));
	if (found_at)
		dmarc = evidence_dns_find(ev, found_at, DNS_TYPE_TXT);
	else if (snprintf(name, sizeof name, "_dmarc.%s", ev->domain) < (int)sizeof name)
		dmarc = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (dnssec_has_record(dmarc, "v=DMARC1"))
		dnssec_count(&t, "dmarc", dmarc);
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
	}
	json_t *d = json_pack("{s:s, s:i, s:i, s:i, s:i, s:o}", "domain",
			      mx ? dnssec_status_name(dnssec_effective(mx)) : "indeterminate",
			      "secure", (int)t.secure, "insecure", (int)t.insecure, "bogus",
			      (int)t.bogus, "indeterminate", (int)t.unknown, "rrsets", t.rrsets);
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
	else
		result_set(res, CHECK_DNSSEC, d, VERDICT_NOT_TESTABLE,
			   "validation status unknown for %zu of %zu RRsets", t.unknown, total);
}

const struct check check_dnssec = {
	.id = CHECK_DNSSEC,
	.name = "dnssec",
	.title = "DNSSEC",
	.plan = NULL, /* judges what the other checks gathered */
	.evaluate = dnssec_evaluate,
};
