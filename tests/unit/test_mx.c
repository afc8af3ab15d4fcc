/* test_mx.c — the MX check over hand-built evidence: explicit, implicit and null MX, failing
 * lookups, IP-literal and alias targets, and what the plan asks next. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "checks/check.h"
#include "checks/mx.h"

/* A compact evidence description: "name TYPE status [rdata...]" per answer. */
struct mx_answer_spec {
	const char *name;	 /* qname */
	uint16_t type;		 /* qtype */
	enum dns_status status;	 /* outcome */
	const char *rr[4];	 /* MX: "pref target"; A/AAAA: address; NULL-terminated */
	const char *canonical;	 /* alias target, or NULL */
};

struct mx_case {
	const char *what;			  /* description */
	struct mx_answer_spec answers[8];	  /* evidence (name NULL ends) */
	enum verdict_status expect;		  /* verdict */
	const char *reason;			  /* substring of the reason */
	int implicit, null_mx;			  /* detail flags */
	int n_hosts;				  /* detail.hosts length */
};

static const struct mx_case mx_cases[] = {
	{"two MX hosts with addresses",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"20 mx2.d.example", "10 mx1.d.example"}, NULL},
	  {"mx1.d.example", DNS_TYPE_A, DNS_STATUS_OK, {"192.0.2.1"}, NULL},
	  {"mx1.d.example", DNS_TYPE_AAAA, DNS_STATUS_NODATA, {NULL}, NULL},
	  {"mx2.d.example", DNS_TYPE_A, DNS_STATUS_OK, {"192.0.2.2"}, NULL},
	  {"mx2.d.example", DNS_TYPE_AAAA, DNS_STATUS_OK, {"2001:db8::2"}, NULL}},
	 VERDICT_PASS, "2 of 2", 0, 0, 2},
	{"implicit MX with an address",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_NODATA, {NULL}, NULL},
	  {"d.example", DNS_TYPE_A, DNS_STATUS_OK, {"192.0.2.9"}, NULL},
	  {"d.example", DNS_TYPE_AAAA, DNS_STATUS_NODATA, {NULL}, NULL}},
	 VERDICT_PASS, "implicit MX", 1, 0, 1},
	{"no MX and no address",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_NODATA, {NULL}, NULL},
	  {"d.example", DNS_TYPE_A, DNS_STATUS_NODATA, {NULL}, NULL},
	  {"d.example", DNS_TYPE_AAAA, DNS_STATUS_NODATA, {NULL}, NULL}},
	 VERDICT_ABSENT, "no address", 1, 0, 1},
	{"implicit MX whose address lookup fails",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_NODATA, {NULL}, NULL},
	  {"d.example", DNS_TYPE_A, DNS_STATUS_SERVFAIL, {NULL}, NULL},
	  {"d.example", DNS_TYPE_AAAA, DNS_STATUS_TIMEOUT, {NULL}, NULL}},
	 VERDICT_DNS_ERROR, "lookup of the domain failed", 1, 0, 1},
	{"null MX",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"0 ."}, NULL}},
	 VERDICT_ABSENT, "RFC 7505", 0, 1, 0},
	{"domain does not exist",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_NXDOMAIN, {NULL}, NULL}},
	 VERDICT_ABSENT, "NXDOMAIN", 0, 0, 0},
	{"MX lookup SERVFAIL is a DNS error, not absence",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_SERVFAIL, {NULL}, NULL}},
	 VERDICT_DNS_ERROR, "servfail", 0, 0, 0},
	{"MX lookup timeout",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_TIMEOUT, {NULL}, NULL}},
	 VERDICT_DNS_ERROR, "timeout", 0, 0, 0},
	{"MX target does not exist",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 gone.d.example"}, NULL},
	  {"gone.d.example", DNS_TYPE_A, DNS_STATUS_NXDOMAIN, {NULL}, NULL},
	  {"gone.d.example", DNS_TYPE_AAAA, DNS_STATUS_NXDOMAIN, {NULL}, NULL}},
	 VERDICT_FAIL, "no MX host resolves", 0, 0, 1},
	{"MX target lookups fail",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 mx.d.example"}, NULL},
	  {"mx.d.example", DNS_TYPE_A, DNS_STATUS_TIMEOUT, {NULL}, NULL},
	  {"mx.d.example", DNS_TYPE_AAAA, DNS_STATUS_TIMEOUT, {NULL}, NULL}},
	 VERDICT_DNS_ERROR, "lookups failed", 0, 0, 1},
	{"MX target is an IP literal",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 192.0.2.1"}, NULL}},
	 VERDICT_FAIL, "IP literals", 0, 0, 1},
	{"MX target is an alias",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 alias.d.example"}, NULL},
	  {"alias.d.example", DNS_TYPE_A, DNS_STATUS_OK, {"192.0.2.3"}, "real.d.example"},
	  {"alias.d.example", DNS_TYPE_AAAA, DNS_STATUS_NODATA, {NULL}, "real.d.example"}},
	 VERDICT_PASS, "alias (CNAME)", 0, 0, 1},
	{"duplicate MX targets count once",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 mx.d.example", "20 MX.d.example."}, NULL},
	  {"mx.d.example", DNS_TYPE_A, DNS_STATUS_OK, {"192.0.2.1"}, NULL},
	  {"mx.d.example", DNS_TYPE_AAAA, DNS_STATUS_NODATA, {NULL}, NULL}},
	 VERDICT_PASS, "1 of 1", 0, 0, 1},
	{"MX answered, host lookups not yet gathered",
	 {{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 mx.d.example"}, NULL}},
	 VERDICT_FAIL, "no MX host resolves", 0, 0, 1},
};

static struct evidence *mx_build(const struct mx_answer_spec *spec)
{
	struct evidence *ev = evidence_new("d.example");
	for (; spec->name; spec++) {
		struct dns_answer *a = evidence_dns_slot(ev, spec->name, spec->type);
		a->status = spec->status;
		a->rcode = 0;
		if (spec->canonical)
			a->canonical = strdup(spec->canonical);
		for (int i = 0; i < 4 && spec->rr[i]; i++) {
			if (spec->type == DNS_TYPE_MX) {
				char target[256];
				unsigned pref;
				assert_int_equal(sscanf(spec->rr[i], "%u %255s", &pref, target), 2);
				dns_answer_add(a, DNS_TYPE_MX, target, NULL, 0)->pref = (uint16_t)pref;
			} else {
				dns_answer_add(a, spec->type, spec->rr[i], NULL, 0);
			}
		}
	}
	return ev;
}

static void test_mx_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof mx_cases / sizeof *mx_cases; i++) {
		const struct mx_case *c = &mx_cases[i];
		struct evidence *ev = mx_build(c->answers);
		struct result *res = result_new(ev->domain);
		check_mx.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_MX];
		if (cr->verdict.status != c->expect)
			fail_msg("%s: verdict %s, expected %s (%s)", c->what,
				 verdict_status_name(cr->verdict.status),
				 verdict_status_name(c->expect), cr->verdict.reason);
		if (strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", c->what, cr->verdict.reason,
				 c->reason);
		assert_int_equal(json_is_true(json_object_get(cr->detail, "implicit")), c->implicit);
		assert_int_equal(json_is_true(json_object_get(cr->detail, "null_mx")), c->null_mx);
		assert_int_equal(json_array_size(json_object_get(cr->detail, "hosts")),
				 (size_t)c->n_hosts);
		result_free(res);
		evidence_free(ev);
	}
}

static void test_mx_hosts_sorted(void **state)
{
	(void)state;
	static const struct mx_answer_spec spec[] = {
		{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"30 c.example", "10 a.example", "20 b.example", "10 z.example"}, NULL},
		{NULL, 0, 0, {NULL}, NULL},
	};
	struct evidence *ev = mx_build(spec);
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t n = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind);
	assert_int_equal(kind, MX_KIND_EXPLICIT);
	assert_int_equal(n, 4);
	const char *order[] = {"a.example", "z.example", "b.example", "c.example"};
	for (size_t i = 0; i < n; i++)
		assert_string_equal(hosts[i].name, order[i]);
	evidence_free(ev);
}

static void test_mx_plan(void **state)
{
	(void)state;
	struct dns_question q[16];
	struct evidence *ev = evidence_new("d.example");
	size_t n = check_mx.plan(ev, q, 16);
	assert_int_equal(n, 1);
	assert_string_equal(q[0].name, "d.example");
	assert_int_equal(q[0].type, DNS_TYPE_MX);

	static const struct mx_answer_spec spec[] = {
		{"d.example", DNS_TYPE_MX, DNS_STATUS_OK, {"10 mx.d.example", "20 192.0.2.7"}, NULL},
		{NULL, 0, 0, {NULL}, NULL},
	};
	evidence_free(ev);
	ev = mx_build(spec);
	n = check_mx.plan(ev, q, 16);
	assert_int_equal(n, 2); /* A and AAAA of the named host; none for the literal */
	assert_string_equal(q[0].name, "mx.d.example");
	assert_int_equal(q[0].type, DNS_TYPE_A);
	assert_int_equal(q[1].type, DNS_TYPE_AAAA);
	struct dns_answer *a = evidence_dns_slot(ev, "mx.d.example", DNS_TYPE_A);
	a->status = DNS_STATUS_OK;
	n = check_mx.plan(ev, q, 16);
	assert_int_equal(n, 1);
	assert_int_equal(q[0].type, DNS_TYPE_AAAA);
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mx_verdicts),
		cmocka_unit_test(test_mx_hosts_sorted),
		cmocka_unit_test(test_mx_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
