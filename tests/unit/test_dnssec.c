/* test_dnssec.c — the DNSSEC verdict from recorded per-RRset statuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "checks/dnssec.h"

struct dnssec_rrset {
	const char *name;	   /* qname */
	uint16_t type;		   /* qtype */
	enum dns_status status;	   /* lookup outcome */
	enum dnssec_status dnssec; /* validation */
	const char *rdata;	   /* MX target, address or TXT text */
};

struct dnssec_case {
	const char *what;		   /* description */
	struct dnssec_rrset rr[8];	   /* evidence */
	enum verdict_status expect;	   /* verdict */
	int supported;			   /* MECSA dnssec */
	int n_rrsets;			   /* RRsets in scope */
};

#define MXQ(st, sec) {"d.example", DNS_TYPE_MX, DNS_STATUS_OK, sec, "mx.d.example"}
#define A(sec) {"mx.d.example", DNS_TYPE_A, DNS_STATUS_OK, sec, "192.0.2.1"}
#define AAAA(sec) {"mx.d.example", DNS_TYPE_AAAA, DNS_STATUS_NODATA, sec, NULL}

static const struct dnssec_case dnssec_cases[] = {
	{"all secure", {MXQ(0, DNSSEC_SECURE), A(DNSSEC_SECURE), AAAA(DNSSEC_SECURE),
			{"d.example", DNS_TYPE_TXT, DNS_STATUS_OK, DNSSEC_SECURE, "v=spf1 -all"},
			{"_dmarc.d.example", DNS_TYPE_TXT, DNS_STATUS_OK, DNSSEC_SECURE, "v=DMARC1; p=reject"}},
	 VERDICT_PASS, 1, 5},
	{"TXT without SPF is out of scope", {MXQ(0, DNSSEC_SECURE), A(DNSSEC_SECURE), AAAA(DNSSEC_SECURE),
			{"d.example", DNS_TYPE_TXT, DNS_STATUS_OK, DNSSEC_INSECURE, "hello"}},
	 VERDICT_PASS, 1, 3},
	{"unsigned zone", {MXQ(0, DNSSEC_INSECURE), A(DNSSEC_INSECURE), AAAA(DNSSEC_INSECURE)},
	 VERDICT_ABSENT, 0, 3},
	{"signed domain, unsigned MX host", {MXQ(0, DNSSEC_SECURE), A(DNSSEC_INSECURE), AAAA(DNSSEC_INSECURE)},
	 VERDICT_FAIL, 0, 3},
	{"bogus MX", {{"d.example", DNS_TYPE_MX, DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, NULL}},
	 VERDICT_FAIL, 0, 1},
	{"MX lookup timed out", {{"d.example", DNS_TYPE_MX, DNS_STATUS_TIMEOUT, DNSSEC_INDETERMINATE, NULL}},
	 VERDICT_NOT_TESTABLE, 0, 1},
	{"nothing gathered", {{NULL, 0, 0, 0, NULL}}, VERDICT_NOT_TESTABLE, 0, 0},
	{"secure NXDOMAIN (authenticated denial)", {{"d.example", DNS_TYPE_MX, DNS_STATUS_NXDOMAIN, DNSSEC_SECURE, NULL}},
	 VERDICT_PASS, 1, 1},
};

static struct evidence *dnssec_build(const struct dnssec_rrset *rr)
{
	struct evidence *ev = evidence_new("d.example");
	for (; rr->name; rr++) {
		struct dns_answer *a = evidence_dns_slot(ev, rr->name, rr->type);
		a->status = rr->status;
		a->dnssec = rr->dnssec;
		if (rr->status == DNS_STATUS_OK && rr->rdata) {
			struct dns_rdata *d;
			if (rr->type == DNS_TYPE_TXT)
				d = dns_answer_add(a, rr->type, NULL, rr->rdata, strlen(rr->rdata));
			else
				d = dns_answer_add(a, rr->type, rr->rdata, NULL, 0);
			d->pref = 10;
		}
	}
	return ev;
}

static void test_dnssec_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof dnssec_cases / sizeof *dnssec_cases; i++) {
		const struct dnssec_case *c = &dnssec_cases[i];
		struct evidence *ev = dnssec_build(c->rr);
		struct result *res = result_new(ev->domain);
		check_dnssec.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_DNSSEC];
		if (cr->verdict.status != c->expect)
			fail_msg("%s: %s (%s)", c->what, verdict_status_name(cr->verdict.status),
				 cr->verdict.reason);
		assert_int_equal(res->supported[MECSA_DNSSEC], c->supported);
		assert_int_equal(json_array_size(json_object_get(cr->detail, "rrsets")),
				 (size_t)c->n_rrsets);
		result_free(res);
		evidence_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnssec_verdicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
