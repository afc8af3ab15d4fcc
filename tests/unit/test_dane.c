/* test_dane.c — the DANE check: every usage (0-3), selector (0/1) and matching type (0/1/2)
 * against chains built at run time, DANE-EE ignoring names and dates, DANE-TA checking them,
 * PKIX usages needing a trusted chain, mismatches, unusable and malformed records, the DNSSEC
 * requirement (insecure, bogus), failed and empty lookups, the CNAME-expanded TLSA base, no TLS
 * at a DANE host, partial deployment, unreachable hosts, rollover safety, MECSA's percentage and
 * the TLSA questions plan() asks. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checks/dane.h"
#include "checks/mx.h"
#include "checks/starttls.h"
#include "checks/x509.h"
#include "testpki.h"

enum cert_id { C_END = 0, C_ROOT, C_INTER, C_LEAF, C_OTHER, C_EXPIRED_WRONG, C_SELF, C_MAX };

static X509 *certs[C_MAX];
static EVP_PKEY *k_root, *k_inter, *k_leaf, *k_other;
static X509_STORE *store;

static int setup(void **state)
{
	(void)state;
	k_root = tp_key();
	k_inter = tp_key();
	k_leaf = tp_key();
	k_other = tp_key();
	certs[C_ROOT] = tp_cert("Root", NULL, NULL, NULL, k_root, 1, -10, 3650, NULL, 1);
	certs[C_INTER] = tp_cert("Inter", NULL, certs[C_ROOT], k_root, k_inter, 1, -10, 3000, NULL,
				 2);
	certs[C_LEAF] = tp_cert("mx.example.test", "DNS:mx.example.test,DNS:real.example.test",
				certs[C_INTER], k_inter, k_leaf, 0, -1, 365, NULL, 10);
	certs[C_OTHER] = tp_cert("mx.example.test", "DNS:mx.example.test", certs[C_INTER], k_inter,
				 k_other, 0, -1, 365, NULL, 11);
	certs[C_EXPIRED_WRONG] = tp_cert("elsewhere.test", "DNS:elsewhere.test", certs[C_INTER],
					 k_inter, k_leaf, 0, -400, -30, NULL, 12);
	certs[C_SELF] = tp_cert("mx.example.test", "DNS:mx.example.test", NULL, NULL, k_leaf, 0, -1,
				365, NULL, 13);
	store = X509_STORE_new();
	X509_STORE_add_cert(store, certs[C_ROOT]);
	x509_set_trust(store);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	x509_set_trust(NULL);
	X509_STORE_free(store);
	for (int i = 0; i < C_MAX; i++)
		X509_free(certs[i]);
	EVP_PKEY_free(k_root);
	EVP_PKEY_free(k_inter);
	EVP_PKEY_free(k_leaf);
	EVP_PKEY_free(k_other);
	return 0;
}

struct tlsa_spec {
	enum cert_id cert;  /* certificate the record is made from (C_END ends the list) */
	int usage, selector, mtype; /* parameters */
	int truncate;	    /* cut the data to this many bytes (malformed) */
};

enum host_mode {
	H_TLS = 0,   /* STARTTLS done with the chain */
	H_NO_TLS,    /* reachable, STARTTLS not offered */
	H_REFUSED,   /* connection refused */
};

struct dane_case {
	const char *what;		/* description */
	enum cert_id chain[4];		/* chain the server sends */
	struct tlsa_spec tlsa[4];	/* the TLSA RRset */
	enum dns_status st;		/* TLSA lookup status */
	enum dnssec_status sec;		/* its DNSSEC status */
	int cname;			/* mx is an alias of real.example.test, TLSA at the target */
	enum host_mode mode;		/* the probe */
	int second_host;		/* a second MX host without TLSA */
	enum verdict_status expect;	/* verdict */
	const char *reason;		/* substring of the reason */
	double pct;			/* MECSA percentage */
	int rollover;			/* host 0 rollover-safe */
};

#define OK_SEC DNS_STATUS_OK, DNSSEC_SECURE

static const struct dane_case cases[] = {
	{"3 1 1 matches the leaf", {C_LEAF, C_INTER}, {{C_LEAF, 3, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_PASS, "match at 1", 100, 0},
	{"3 0 1", {C_LEAF, C_INTER}, {{C_LEAF, 3, 0, 1, 0}}, OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"3 1 2", {C_LEAF, C_INTER}, {{C_LEAF, 3, 1, 2, 0}}, OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"3 1 0 (full key)", {C_LEAF, C_INTER}, {{C_LEAF, 3, 1, 0, 0}}, OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"3 0 0 (full certificate)", {C_LEAF}, {{C_LEAF, 3, 0, 0, 0}}, OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"2 1 1 matches the intermediate", {C_LEAF, C_INTER}, {{C_INTER, 2, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_PASS, "match", 100, 0},
	{"2 0 1 matches a root the server sends", {C_LEAF, C_INTER, C_ROOT}, {{C_ROOT, 2, 0, 1, 0}}, OK_SEC, 0,
	 H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"2 1 1 for an intermediate not sent", {C_LEAF}, {{C_INTER, 2, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_FAIL, "do not match", 0, 0},
	{"3 1 1 of another key", {C_LEAF, C_INTER}, {{C_OTHER, 3, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_FAIL, "do not match", 0, 0},
	{"DANE-EE ignores name and dates", {C_EXPIRED_WRONG}, {{C_EXPIRED_WRONG, 3, 1, 1, 0}}, OK_SEC, 0,
	 H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"DANE-TA checks the name", {C_EXPIRED_WRONG, C_INTER}, {{C_INTER, 2, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_FAIL, "do not match", 0, 0},
	{"PKIX-EE with a trusted chain", {C_LEAF, C_INTER}, {{C_LEAF, 1, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_PASS, "match", 100, 0},
	{"PKIX-TA naming the root", {C_LEAF, C_INTER}, {{C_ROOT, 0, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_PASS, "match", 100, 0},
	{"PKIX-EE with a self-signed leaf", {C_SELF}, {{C_SELF, 1, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_FAIL, "do not match", 0, 0},
	{"only an unusable usage", {C_LEAF}, {{C_LEAF, 4, 1, 1, 0}}, OK_SEC, 0, H_TLS, 0, VERDICT_FAIL,
	 "none is usable", 0, 0},
	{"malformed digest length", {C_LEAF}, {{C_LEAF, 3, 1, 1, 20}}, OK_SEC, 0, H_TLS, 0,
	 VERDICT_FAIL, "none is usable", 0, 0},
	{"unusable record next to a matching one", {C_LEAF}, {{C_LEAF, 4, 1, 1, 0}, {C_LEAF, 3, 1, 1, 0}},
	 OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 0},
	{"rollover-safe: 3 1 1 plus 2 1 1", {C_LEAF, C_INTER}, {{C_LEAF, 3, 1, 1, 0}, {C_INTER, 2, 1, 1, 0}},
	 OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 1},
	{"rollover-safe: current and next key", {C_LEAF}, {{C_OTHER, 3, 1, 1, 0}, {C_LEAF, 3, 1, 1, 0}},
	 OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "match", 100, 1},
	/* Insecure TLSA: never usable, but whether it matches the chain is said (informational). */
	{"matching but insecure", {C_LEAF}, {{C_LEAF, 3, 1, 1, 0}}, DNS_STATUS_OK, DNSSEC_INSECURE, 0,
	 H_TLS, 0, VERDICT_ABSENT, "not DNSSEC-secure, so unusable (RFC 7672 §2.2); they match the "
	 "presented chain at 1 of 1 addresses", 0, 0},
	{"insecure and not matching", {C_LEAF}, {{C_OTHER, 3, 1, 1, 0}}, DNS_STATUS_OK,
	 DNSSEC_INSECURE, 0, H_TLS, 0, VERDICT_ABSENT, "match the presented chain at 0 of 1", 0, 0},
	{"matching but indeterminate", {C_LEAF}, {{C_LEAF, 3, 1, 1, 0}}, DNS_STATUS_OK,
	 DNSSEC_INDETERMINATE, 0, H_TLS, 0, VERDICT_ABSENT, "not DNSSEC-secure", 0, 0},
	{"bogus", {C_LEAF}, {{C_LEAF, 3, 1, 1, 0}}, DNS_STATUS_OK, DNSSEC_BOGUS, 0, H_TLS, 0,
	 VERDICT_DNS_ERROR, "lookup failed", 0, 0},
	{"no TLSA (NODATA)", {C_LEAF}, {{C_END, 0, 0, 0, 0}}, DNS_STATUS_NODATA, DNSSEC_SECURE, 0, H_TLS, 0,
	 VERDICT_ABSENT, "no TLSA records", 0, 0},
	{"no TLSA (NXDOMAIN, insecure zone)", {C_LEAF}, {{C_END, 0, 0, 0, 0}}, DNS_STATUS_NXDOMAIN,
	 DNSSEC_INSECURE, 0, H_TLS, 0, VERDICT_ABSENT, "no TLSA records", 0, 0},
	{"TLSA lookup SERVFAIL", {C_LEAF}, {{C_END, 0, 0, 0, 0}}, DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, 0,
	 H_TLS, 0, VERDICT_DNS_ERROR, "lookup failed", 0, 0},
	{"TLSA base is the CNAME target", {C_LEAF, C_INTER}, {{C_LEAF, 3, 1, 1, 0}}, OK_SEC, 1, H_TLS, 0,
	 VERDICT_PASS, "match", 100, 0},
	{"DANE host without STARTTLS", {C_LEAF}, {{C_LEAF, 3, 1, 1, 0}}, OK_SEC, 0, H_NO_TLS, 0,
	 VERDICT_FAIL, "no TLS session", 0, 0},
	{"DANE host unreachable", {C_LEAF}, {{C_LEAF, 3, 1, 1, 0}}, OK_SEC, 0, H_REFUSED, 0,
	 VERDICT_NOT_TESTABLE, "no MX address could be tested", 0, 0},
	{"DANE on one of two hosts", {C_LEAF}, {{C_LEAF, 3, 1, 1, 0}}, OK_SEC, 0, H_TLS, 1,
	 VERDICT_FAIL, "DANE on 1 of 2", 50, 0},
};

static void fill_tlsa(struct dns_answer *a, const struct tlsa_spec *t)
{
	for (size_t i = 0; i < 4 && t[i].cert != C_END; i++) {
		tp_tlsa(a, certs[t[i].cert], t[i].usage, t[i].selector, t[i].mtype);
		if (t[i].truncate)
			a->rr[a->n_rr - 1].len = (size_t)t[i].truncate;
	}
}

static void add_probe(struct evidence *ev, const char *host, const char *addr,
		      const enum cert_id *chain, enum host_mode mode)
{
	X509 *x[4];
	size_t n = 0;
	for (; n < 4 && chain[n] != C_END; n++)
		x[n] = certs[chain[n]];
	struct smtp_probe *p = tp_probe_tls(ev, host, addr, "TLSv1.3", x, n);
	if (mode == H_TLS)
		return;
	p->tls = 0;
	for (size_t i = 0; i < p->chain_len; i++)
		free(p->chain[i].der);
	free(p->chain);
	p->chain = NULL;
	p->chain_len = p->chain_sent = 0;
	p->starttls_code = 0;
	p->ext = 0;
	if (mode == H_REFUSED) {
		p->banner_code = 0;
		p->ehlo_code = 0;
		smtp_probe_fail(p, SMTP_STAGE_CONNECT, SMTP_ERR_REFUSED, "connect: refused");
	}
}

static struct evidence *build(const struct dane_case *c)
{
	struct evidence *ev = evidence_new("example.test");
	ev->started_ms = tp_now_ms();
	const char *mx1[] = {"10 mx.example.test", NULL};
	const char *mx2[] = {"10 mx.example.test", "20 mx2.example.test", NULL};
	const char *a1[] = {"192.0.2.25", NULL}, *a2[] = {"192.0.2.26", NULL};
	tp_answer(ev, "example.test", DNS_TYPE_MX, OK_SEC, c->second_host ? mx2 : mx1);
	struct dns_answer *a = tp_answer(ev, "mx.example.test", DNS_TYPE_A, OK_SEC, a1);
	if (c->cname)
		a->canonical = xstrdup("real.example.test");
	tp_answer(ev, "mx.example.test", DNS_TYPE_AAAA, DNS_STATUS_NODATA, DNSSEC_SECURE, NULL);
	const char *base = c->cname ? "_25._tcp.real.example.test" : "_25._tcp.mx.example.test";
	fill_tlsa(tp_answer(ev, base, DNS_TYPE_TLSA, c->st, c->sec, NULL), c->tlsa);
	if (c->cname) /* nothing at the alias name itself */
		tp_answer(ev, "_25._tcp.mx.example.test", DNS_TYPE_TLSA, DNS_STATUS_NODATA,
			  DNSSEC_SECURE, NULL);
	add_probe(ev, "mx.example.test", "192.0.2.25", c->chain, c->mode);
	if (c->second_host) {
		tp_answer(ev, "mx2.example.test", DNS_TYPE_A, OK_SEC, a2);
		tp_answer(ev, "mx2.example.test", DNS_TYPE_AAAA, DNS_STATUS_NODATA, DNSSEC_SECURE,
			  NULL);
		tp_answer(ev, "_25._tcp.mx2.example.test", DNS_TYPE_TLSA, DNS_STATUS_NXDOMAIN,
			  DNSSEC_SECURE, NULL);
		add_probe(ev, "mx2.example.test", "192.0.2.26", c->chain, H_TLS);
	}
	return ev;
}

static void test_dane_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct dane_case *c = &cases[i];
		struct evidence *ev = build(c);
		struct result *res = result_new(ev->domain);
		check_mx.evaluate(ev, res);
		check_starttls.evaluate(ev, res);
		check_dane.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_DANE];
		if (cr->verdict.status != c->expect || strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: %s \"%s\", expected %s \"%s\"", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->expect), c->reason);
		if (fabs(res->percent[MECSA_DANE] - c->pct) > 0.01)
			fail_msg("%s: percent %.1f, expected %.1f", c->what, res->percent[MECSA_DANE],
				 c->pct);
		assert_int_equal(res->supported[MECSA_DANE], c->pct >= 80);
		json_t *h0 = json_array_get(json_object_get(cr->detail, "hosts"), 0);
		assert_int_equal(json_is_true(json_object_get(h0, "rollover_safe")), c->rollover);
		if (c->st == DNS_STATUS_OK && c->sec == DNSSEC_INSECURE && c->mode == H_TLS) {
			/* The informational match: one row, flagged, never counted as DANE. */
			int want = strstr(c->reason, "at 1 of 1") != NULL;
			json_t *row = json_array_get(json_object_get(cr->detail, "addresses"), 0);
			assert_true(json_is_true(json_object_get(row, "informational")));
			assert_int_equal(json_is_true(json_object_get(row, "match")), want);
			assert_int_equal(json_integer_value(json_object_get(cr->detail,
									    "insecure_tested")), 1);
			assert_int_equal(json_integer_value(json_object_get(cr->detail,
									    "insecure_matched")), want);
			assert_int_equal(json_integer_value(json_object_get(cr->detail, "matched")),
					 0);
		}
		assert_string_equal(json_string_value(json_object_get(h0, "tlsa_base")),
				    c->cname ? "real.example.test" : "mx.example.test");
		result_free(res);
		evidence_free(ev);
	}
}

/* dane_match reports which records are usable and which one matched. */
static void test_dane_match(void **state)
{
	(void)state;
	const struct dane_case c = {"m", {C_LEAF, C_INTER}, {{C_OTHER, 3, 1, 1, 0}, {C_LEAF, 7, 1, 1, 0},
							     {C_INTER, 2, 1, 1, 0}},
				    OK_SEC, 0, H_TLS, 0, VERDICT_PASS, "", 0, 0};
	struct evidence *ev = build(&c);
	const struct dns_answer *a = evidence_dns_find(ev, "_25._tcp.mx.example.test",
						       DNS_TYPE_TLSA);
	int usable[3];
	char why[160];
	int idx = dane_match(&ev->smtp[0], a->rr, a->n_rr, "mx.example.test", time(NULL), usable,
			     why, sizeof why);
	assert_int_equal(idx, 2);
	assert_int_equal(usable[0], 1);
	assert_int_equal(usable[1], 0);
	assert_int_equal(usable[2], 1);
	/* Without the matching record, the verifier's reason comes back. */
	idx = dane_match(&ev->smtp[0], a->rr, 1, "mx.example.test", time(NULL), NULL, why,
			 sizeof why);
	assert_int_equal(idx, -1);
	assert_true(why[0] != '\0');
	evidence_free(ev);
}

static void test_dane_plan(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.test");
	const char *mx[] = {"10 mx.example.test", "20 mx2.example.test", "30 192.0.2.9", NULL};
	const char *a1[] = {"192.0.2.25", NULL};
	struct dns_question q[8];
	tp_answer(ev, "example.test", DNS_TYPE_MX, OK_SEC, mx);
	assert_int_equal(check_dane.plan(ev, q, 8), 0); /* addresses not known yet */
	struct dns_answer *a = tp_answer(ev, "mx.example.test", DNS_TYPE_A, OK_SEC, a1);
	a->canonical = xstrdup("real.example.test");
	tp_answer(ev, "mx2.example.test", DNS_TYPE_A, DNS_STATUS_NXDOMAIN, DNSSEC_SECURE, NULL);
	size_t n = check_dane.plan(ev, q, 8);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].name, "_25._tcp.real.example.test");
	assert_string_equal(q[1].name, "_25._tcp.mx.example.test");
	assert_int_equal(q[0].type, DNS_TYPE_TLSA);
	tp_answer(ev, "_25._tcp.real.example.test", DNS_TYPE_TLSA, DNS_STATUS_NODATA,
		  DNSSEC_SECURE, NULL);
	tp_answer(ev, "_25._tcp.mx.example.test", DNS_TYPE_TLSA, DNS_STATUS_NODATA, DNSSEC_SECURE,
		  NULL);
	assert_int_equal(check_dane.plan(ev, q, 8), 0); /* answered: nothing more */
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dane_cases),
		cmocka_unit_test(test_dane_match),
		cmocka_unit_test(test_dane_plan),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
