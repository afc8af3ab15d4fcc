/* mx.c — the MX check: MX lookup, implicit MX, null MX, and the A/AAAA of every MX host with
 * their DNSSEC status. Pure: reads the recorded answers, writes a verdict and a JSON detail. */
#include "checks/mx.h"

#include <stdlib.h>
#include <string.h>

#include "checks/result.h"

static int mx_host_cmp(const void *a, const void *b)
{
	const struct mx_host *x = a, *y = b;
	return (int)x->pref - (int)y->pref;
}

static int mx_is_null(const struct dns_answer *mx)
{
	/* RFC 7505: a single MX RR with preference 0 and the root as target. */
	return mx->n_rr == 1 && (mx->rr[0].text == NULL || mx->rr[0].text[0] == '\0' ||
				 strcmp(mx->rr[0].text, ".") == 0);
}

size_t mx_hosts(const struct evidence *ev, struct mx_host *out, size_t max, enum mx_kind *kind)
{
	const struct dns_answer *mx = evidence_dns_find(ev, ev->domain, DNS_TYPE_MX);
	*kind = MX_KIND_UNKNOWN;
	if (mx == NULL)
		return 0;
	size_t n = 0;
	switch (mx->status) {
	case DNS_STATUS_OK:
		if (mx_is_null(mx)) {
			*kind = MX_KIND_NULL;
			return 0;
		}
		*kind = MX_KIND_EXPLICIT;
		for (size_t i = 0; i < mx->n_rr && n < max; i++) {
			const char *t = mx->rr[i].text ? mx->rr[i].text : "";
			if (t[0] == '\0' || strcmp(t, ".") == 0)
				continue; /* a root target among others: no host */
			char canon[DNAME_MAX];
			dname_canonical(t, canon, sizeof canon);
			int dup = 0;
			for (size_t j = 0; j < n; j++)
				if (strcmp(out[j].name, canon) == 0)
					dup = 1;
			if (dup)
				continue;
			memcpy(out[n].name, canon, sizeof canon);
			out[n].pref = mx->rr[i].pref;
			out[n].ip_literal = dname_is_ip_literal(canon);
			n++;
		}
		/* Stable: equal preferences keep answer order. */
		for (size_t i = 1; i < n; i++)
			for (size_t j = i; j > 0 && mx_host_cmp(&out[j - 1], &out[j]) > 0; j--) {
				struct mx_host tmp = out[j];
				out[j] = out[j - 1];
				out[j - 1] = tmp;
			}
		return n;
	case DNS_STATUS_NODATA:
		*kind = MX_KIND_IMPLICIT;
		if (max == 0)
			return 0;
		dname_canonical(ev->domain, out[0].name, sizeof out[0].name);
		out[0].pref = 0;
		out[0].ip_literal = 0;
		return 1;
	case DNS_STATUS_NXDOMAIN:
		*kind = MX_KIND_NONE;
		return 0;
	default:
		return 0;
	}
}

static size_t mx_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	size_t n = 0;
	check_plan_ask(ev, q, max, &n, ev->domain, DNS_TYPE_MX, 0);
	if (n)
		return n;
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind);
	for (size_t i = 0; i < nh; i++) {
		if (hosts[i].ip_literal)
			continue;
		check_plan_ask(ev, q, max, &n, hosts[i].name, DNS_TYPE_A, 0);
		check_plan_ask(ev, q, max, &n, hosts[i].name, DNS_TYPE_AAAA, 0);
	}
	return n;
}

static json_t *mx_answer_json(const struct dns_answer *a)
{
	if (a == NULL)
		return json_pack("{s:s, s:s, s:[]}", "status", "not_queried", "dnssec",
				 "indeterminate", "addresses");
	json_t *addrs = json_array();
	for (size_t i = 0; i < a->n_rr; i++)
		if (a->rr[i].text)
			json_array_append_new(addrs, json_string(a->rr[i].text));
	json_t *o = json_pack("{s:s, s:s, s:o}", "status", dns_status_name(a->status), "dnssec",
			      dnssec_status_name(dns_answer_dnssec(a)), "addresses", addrs);
	if (a->why)
		json_object_set_new(o, "why", json_string(a->why));
	return o;
}

/* A host's alias target: the A answer's canonical name, else the AAAA one's. */
static const char *mx_host_cname(const struct dns_answer *a4, const struct dns_answer *a6)
{
	if (a4 && a4->canonical)
		return a4->canonical;
	if (a6 && a6->canonical)
		return a6->canonical;
	return NULL;
}

struct mx_tally {
	size_t with_address; /* hosts with at least one address */
	size_t failed;	     /* hosts whose lookups failed (SERVFAIL, timeout...) */
	size_t literal;	     /* IP-literal targets */
	size_t cname;	     /* targets that are aliases (RFC 2181 §10.3) */
};

static json_t *mx_hosts_json(const struct evidence *ev, const struct mx_host *hosts, size_t nh,
			     struct mx_tally *t)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < nh; i++) {
		const struct dns_answer *a4 = evidence_dns_find(ev, hosts[i].name, DNS_TYPE_A);
		const struct dns_answer *a6 = evidence_dns_find(ev, hosts[i].name, DNS_TYPE_AAAA);
		const char *cname = mx_host_cname(a4, a6);
		json_t *h = json_pack("{s:s, s:i, s:b, s:o, s:o, s:o}", "name", hosts[i].name, "pref",
				      (int)hosts[i].pref, "ip_literal", hosts[i].ip_literal,
				      "cname", cname ? json_string(cname) : json_null(), "a",
				      mx_answer_json(a4), "aaaa", mx_answer_json(a6));
		json_array_append_new(arr, h);
		if (hosts[i].ip_literal) {
			t->literal++;
			continue;
		}
		if (cname)
			t->cname++;
		if ((a4 && a4->n_rr) || (a6 && a6->n_rr))
			t->with_address++;
		else if ((a4 && !dns_status_is_answer(a4->status)) ||
			 (a6 && !dns_status_is_answer(a6->status)))
			t->failed++;
	}
	return arr;
}

static void mx_evaluate(const struct evidence *ev, struct result *res)
{
	const struct dns_answer *mx = evidence_dns_find(ev, ev->domain, DNS_TYPE_MX);
	if (mx == NULL) {
		result_set(res, CHECK_MX, NULL, VERDICT_NOT_TESTABLE, "MX lookup not performed");
		return;
	}
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind);
	struct mx_tally t = {0};
	json_t *d = json_pack("{s:s, s:s, s:b, s:b, s:o}", "lookup", dns_status_name(mx->status),
			      "dnssec", dnssec_status_name(dns_answer_dnssec(mx)), "implicit",
			      kind == MX_KIND_IMPLICIT, "null_mx", kind == MX_KIND_NULL, "hosts",
			      mx_hosts_json(ev, hosts, nh, &t));
	if (mx->why)
		json_object_set_new(d, "why", json_string(mx->why));
	if (kind == MX_KIND_EXPLICIT && mx->n_rr > MX_HOSTS_MAX)
		json_object_set_new(d, "hosts_ignored", json_integer((json_int_t)(mx->n_rr - nh)));

	switch (kind) {
	case MX_KIND_UNKNOWN:
		result_set(res, CHECK_MX, d, VERDICT_DNS_ERROR, "MX lookup failed: %s%s%s",
			   dns_status_name(mx->status), mx->why ? " " : "", mx->why ? mx->why : "");
		return;
	case MX_KIND_NONE:
		result_set(res, CHECK_MX, d, VERDICT_ABSENT, "domain does not exist (NXDOMAIN)");
		return;
	case MX_KIND_NULL:
		result_set(res, CHECK_MX, d, VERDICT_ABSENT,
			   "null MX: the domain accepts no mail (RFC 7505)");
		return;
	case MX_KIND_IMPLICIT:
		if (t.with_address)
			result_set(res, CHECK_MX, d, VERDICT_PASS,
				   "no MX records; implicit MX: the domain's own address (RFC 5321 §5.1)");
		else if (t.failed)
			result_set(res, CHECK_MX, d, VERDICT_DNS_ERROR,
				   "no MX records and the address lookup of the domain failed");
		else
			result_set(res, CHECK_MX, d, VERDICT_ABSENT,
				   "no MX records and no address: the domain receives no mail");
		return;
	case MX_KIND_EXPLICIT:
		break;
	}
	if (t.with_address) {
		if (t.cname || t.literal)
			result_set(res, CHECK_MX, d, VERDICT_PASS,
				   "%zu of %zu MX hosts resolve; %zu alias (CNAME) and %zu IP-literal "
				   "targets violate RFC 2181/5321",
				   t.with_address, nh, t.cname, t.literal);
		else
			result_set(res, CHECK_MX, d, VERDICT_PASS, "%zu of %zu MX hosts resolve",
				   t.with_address, nh);
	} else if (t.failed) {
		result_set(res, CHECK_MX, d, VERDICT_DNS_ERROR,
			   "no MX host has an address; %zu host lookups failed", t.failed);
	} else if (nh && t.literal == nh) {
		result_set(res, CHECK_MX, d, VERDICT_FAIL,
			   "MX targets are IP literals, not host names (RFC 5321 §5.1)");
	} else {
		result_set(res, CHECK_MX, d, VERDICT_FAIL, "no MX host resolves to an address");
	}
}

const struct check check_mx = {
	.id = CHECK_MX,
	.name = "mx",
	.title = "Mail exchangers (MX)",
	.plan = mx_plan,
	.plan_self_contained = 1,
	.evaluate = mx_evaluate,
};
