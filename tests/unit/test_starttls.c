/* test_starttls.c — the starttls and requiretls checks over recorded probes: TLS 1.3/1.2/1.0,
 * STARTTLS not offered, hidden, refused, failed handshakes, injection, HELO-only and broken EHLO,
 * rate limiting, unreachable and excluded addresses, the deadline, mixed hosts and MECSA's 80 %
 * rule, no MX; REQUIRETLS before/after TLS; which probes the daemon is asked to run. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checks/evidence_json.h"
#include "checks/mx.h"
#include "checks/requiretls.h"
#include "checks/starttls.h"
#include "testpki.h"

/* The behaviour of one address, as a probe would have recorded it. */
enum behaviour {
	B_NONE = 0,	 /* end of list */
	B_TLS13,	 /* STARTTLS, TLS 1.3 */
	B_TLS12,	 /* STARTTLS, TLS 1.2 */
	B_TLS10,	 /* STARTTLS, TLS 1.0 only */
	B_NO_STARTTLS,	 /* EHLO without STARTTLS, 502 when sent */
	B_HIDDEN,	 /* not advertised, but works */
	B_454,		 /* STARTTLS refused */
	B_HANDSHAKE,	 /* 220, then the handshake fails */
	B_INJECTION,	 /* TLS 1.3 after injected plaintext */
	B_HELO_ONLY,	 /* EHLO 502, HELO 250 */
	B_EHLO_GARBAGE,	 /* EHLO reply unparseable */
	B_EHLO_450,	 /* EHLO 450, retries exhausted: rate-limited */
	B_421,		 /* 421 greeting, retries exhausted */
	B_554,		 /* 554 greeting */
	B_REFUSED,	 /* connection refused */
	B_SILENT,	 /* greeting timeout */
	B_EXCLUDED,	 /* never contacted */
	B_DEADLINE,	 /* the scan deadline came first */
	B_EHLO_TIMEOUT,	 /* greeted, then no EHLO reply */
	B_NOT_PROBED,	 /* no probe recorded */
	B_RT_BOTH,	 /* TLS 1.3, REQUIRETLS before and after */
	B_RT_POST,	 /* TLS 1.3, REQUIRETLS after only */
	B_RT_PRE,	 /* TLS 1.3, REQUIRETLS before only */
};

static void add_probe(struct evidence *ev, const char *host, const char *addr, enum behaviour b)
{
	if (b == B_NOT_PROBED)
		return;
	struct smtp_probe *p = tp_probe_tls(ev, host, addr, "TLSv1.3", NULL, 0);
	unsigned char der[] = {0x30, 0x00};
	smtp_probe_add_cert(p, der, sizeof der);
	switch (b) {
	case B_TLS13:
	case B_NONE:
	case B_NOT_PROBED:
		break;
	case B_TLS12:
		free(p->tls_version);
		p->tls_version = xstrdup("TLSv1.2");
		break;
	case B_TLS10:
		free(p->tls_version);
		p->tls_version = xstrdup("TLSv1");
		break;
	case B_NO_STARTTLS:
	case B_HIDDEN:
		p->ext = SMTP_EXT_PIPELINING;
		if (b == B_NO_STARTTLS) {
			p->starttls_code = 502;
			p->tls = 0;
		}
		break;
	case B_454:
		p->starttls_code = 454;
		p->tls = 0;
		break;
	case B_HANDSHAKE:
		p->tls = 0;
		smtp_probe_fail(p, SMTP_STAGE_TLS, SMTP_ERR_TLS, "TLS handshake: wrong version number");
		break;
	case B_INJECTION:
		p->injection_len = 14;
		p->injection = xstrdup("250 injected  ");
		break;
	case B_HELO_ONLY:
		p->ehlo_code = 502;
		p->helo_code = 250;
		p->ext = 0;
		p->starttls_code = 0;
		p->tls = 0;
		break;
	case B_EHLO_GARBAGE:
		p->ehlo_code = 0;
		p->ext = 0;
		p->starttls_code = 0;
		p->tls = 0;
		smtp_probe_fail(p, SMTP_STAGE_EHLO, SMTP_ERR_PROTOCOL, "reply line longer than 4096 bytes");
		break;
	case B_EHLO_450:
		p->ehlo_code = 450;
		p->ext = 0;
		p->starttls_code = 0;
		p->tls = 0;
		p->attempts = 3;
		smtp_probe_fail(p, SMTP_STAGE_EHLO, SMTP_ERR_RATE_LIMITED, "EHLO refused with 450");
		break;
	case B_421:
	case B_554:
	case B_REFUSED:
	case B_SILENT:
	case B_EXCLUDED:
	case B_DEADLINE:
		p->banner_code = b == B_421 ? 421 : b == B_554 ? 554 : 0;
		p->ehlo_code = 0;
		p->ext = 0;
		p->starttls_code = 0;
		p->tls = 0;
		smtp_probe_fail(p, b == B_REFUSED ? SMTP_STAGE_CONNECT : SMTP_STAGE_BANNER,
				b == B_421	  ? SMTP_ERR_RATE_LIMITED
				: b == B_554	  ? SMTP_ERR_REPLY
				: b == B_REFUSED  ? SMTP_ERR_REFUSED
				: b == B_SILENT	  ? SMTP_ERR_TIMEOUT
				: b == B_EXCLUDED ? SMTP_ERR_EXCLUDED
						  : SMTP_ERR_DEADLINE,
				"%s", b == B_421	  ? "greeting 421: busy"
				      : b == B_EXCLUDED ? "excluded by limits.exclude (192.0.2.0/24)"
				      : b == B_DEADLINE ? "scan deadline before the probe ended"
							: "no greeting");
		break;
	case B_EHLO_TIMEOUT:
		p->ehlo_code = 0;
		p->ext = 0;
		p->starttls_code = 0;
		p->tls = 0;
		smtp_probe_fail(p, SMTP_STAGE_EHLO, SMTP_ERR_TIMEOUT, "timeout waiting for a reply");
		break;
	case B_RT_BOTH:
		p->ext |= SMTP_EXT_REQUIRETLS;
		p->ext_tls |= SMTP_EXT_REQUIRETLS;
		break;
	case B_RT_POST:
		p->ext_tls |= SMTP_EXT_REQUIRETLS;
		break;
	case B_RT_PRE:
		p->ext |= SMTP_EXT_REQUIRETLS;
		break;
	}
	if (!p->tls) {
		for (size_t i = 0; i < p->chain_len; i++)
			free(p->chain[i].der);
		free(p->chain);
		p->chain = NULL;
		p->chain_len = p->chain_sent = 0;
		free(p->tls_version);
		p->tls_version = NULL;
		p->ehlo_tls_code = 0;
	}
}

struct st_case {
	const char *what;		 /* description */
	enum behaviour mx1[4];		 /* addresses of mx1 (B_NONE ends) */
	enum behaviour mx2[4];		 /* addresses of mx2 */
	enum verdict_status expect;	 /* starttls verdict */
	const char *reason;		 /* substring of its reason */
	double pct;			 /* MECSA percentage */
	enum verdict_status rt;		 /* requiretls verdict */
	const char *row0;		 /* starttls outcome of the first row */
};

static const struct st_case cases[] = {
	{"TLS 1.3", {B_TLS13}, {0}, VERDICT_PASS, "all 1 addresses", 100, VERDICT_ABSENT, "ok"},
	{"TLS 1.2", {B_TLS12}, {0}, VERDICT_PASS, "TLS 1.2+", 100, VERDICT_ABSENT, "ok"},
	{"TLS 1.0 only", {B_TLS10}, {0}, VERDICT_FAIL, "only TLSv1 negotiated", 0, VERDICT_ABSENT, "ok"},
	{"STARTTLS not offered", {B_NO_STARTTLS}, {0}, VERDICT_FAIL, "STARTTLS not offered", 0,
	 VERDICT_ABSENT, "not_offered"},
	{"STARTTLS hidden", {B_HIDDEN}, {0}, VERDICT_FAIL, "accepted when sent anyway", 0,
	 VERDICT_ABSENT, "not_offered"},
	{"STARTTLS refused with 454", {B_454}, {0}, VERDICT_FAIL, "refused with 454", 0,
	 VERDICT_ABSENT, "refused"},
	{"handshake fails", {B_HANDSHAKE}, {0}, VERDICT_FAIL, "wrong version number", 0,
	 VERDICT_ABSENT, "handshake_failed"},
	{"STARTTLS injection: a failure, though MECSA counts it", {B_INJECTION}, {0}, VERDICT_FAIL,
	 "injection", 100, VERDICT_ABSENT, "ok"},
	{"HELO-only server", {B_HELO_ONLY}, {0}, VERDICT_FAIL, "EHLO refused (502)", 0,
	 VERDICT_ABSENT, "not_offered"},
	{"EHLO reply unparseable", {B_EHLO_GARBAGE}, {0}, VERDICT_FAIL, "unusable EHLO reply", 0,
	 VERDICT_ABSENT, "not_offered"},
	{"rate-limited at EHLO: never 'no STARTTLS'", {B_EHLO_450}, {0}, VERDICT_NOT_TESTABLE,
	 "rate-limited", 0, VERDICT_NOT_TESTABLE, "untested"},
	{"421 greeting", {B_421}, {0}, VERDICT_NOT_TESTABLE, "rate-limited: greeting 421", 0,
	 VERDICT_NOT_TESTABLE, "unreachable"},
	{"554 greeting", {B_554}, {0}, VERDICT_NOT_TESTABLE, "no MX address could be tested", 0,
	 VERDICT_NOT_TESTABLE, "unreachable"},
	{"connection refused", {B_REFUSED}, {0}, VERDICT_NOT_TESTABLE, "no greeting", 0,
	 VERDICT_NOT_TESTABLE, "unreachable"},
	{"excluded", {B_EXCLUDED}, {0}, VERDICT_NOT_TESTABLE, "excluded by limits.exclude", 0,
	 VERDICT_NOT_TESTABLE, "unreachable"},
	{"deadline", {B_DEADLINE}, {0}, VERDICT_NOT_TESTABLE, "scan deadline", 0,
	 VERDICT_NOT_TESTABLE, "unreachable"},
	{"greeted, then silence", {B_EHLO_TIMEOUT}, {0}, VERDICT_NOT_TESTABLE, "timeout", 0,
	 VERDICT_NOT_TESTABLE, "untested"},
	{"not probed", {B_NOT_PROBED}, {0}, VERDICT_NOT_TESTABLE, "no MX address was probed", 0,
	 VERDICT_NOT_TESTABLE, "not_probed"},
	{"one good, one without STARTTLS (50 %)", {B_TLS13}, {B_NO_STARTTLS}, VERDICT_FAIL,
	 "1 of 2 tested", 50, VERDICT_ABSENT, "ok"},
	{"four good, one TLS 1.0 (80 %: MECSA supported, verdict fail)",
	 {B_TLS13, B_TLS13, B_TLS12}, {B_TLS13, B_TLS10}, VERDICT_FAIL, "only TLSv1", 80,
	 VERDICT_ABSENT, "ok"},
	{"one good, one unreachable: pass, unreachable ignored", {B_TLS13}, {B_REFUSED}, VERDICT_PASS,
	 "1 of 2 addresses", 100, VERDICT_ABSENT, "ok"},
	{"REQUIRETLS before and after", {B_RT_BOTH}, {0}, VERDICT_PASS, "all 1", 100, VERDICT_PASS, "ok"},
	{"REQUIRETLS after only", {B_RT_POST}, {0}, VERDICT_PASS, "all 1", 100, VERDICT_PASS, "ok"},
	{"REQUIRETLS before only", {B_RT_PRE}, {0}, VERDICT_PASS, "all 1", 100, VERDICT_FAIL, "ok"},
	{"REQUIRETLS on one of two", {B_RT_POST}, {B_TLS13}, VERDICT_PASS, "all 2", 100, VERDICT_FAIL,
	 "ok"},
};

static const char *const addrs[2][4] = {
	{"192.0.2.1", "192.0.2.2", "2001:db8::1", "192.0.2.3"},
	{"198.51.100.1", "198.51.100.2", "2001:db8::2", "198.51.100.3"},
};

static struct evidence *build(const struct st_case *c)
{
	struct evidence *ev = evidence_new("example.test");
	const char *mx[] = {"10 mx1.example.test", "20 mx2.example.test", NULL};
	if (c->mx2[0] == B_NONE)
		mx[1] = NULL;
	tp_answer(ev, "example.test", DNS_TYPE_MX, DNS_STATUS_OK, DNSSEC_SECURE, mx);
	const enum behaviour *list[2] = {c->mx1, c->mx2};
	const char *host[2] = {"mx1.example.test", "mx2.example.test"};
	for (int h = 0; h < 2; h++) {
		const char *v4[4] = {0}, *v6[2] = {0};
		size_t n4 = 0, n6 = 0;
		for (int i = 0; i < 4 && list[h][i] != B_NONE; i++) {
			if (i == 2)
				v6[n6++] = addrs[h][i];
			else
				v4[n4++] = addrs[h][i];
			add_probe(ev, host[h], addrs[h][i], list[h][i]);
		}
		if (list[h][0] == B_NONE)
			continue;
		tp_answer(ev, host[h], DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_SECURE, v4);
		tp_answer(ev, host[h], DNS_TYPE_AAAA, n6 ? DNS_STATUS_OK : DNS_STATUS_NODATA,
			  DNSSEC_SECURE, v6);
	}
	return ev;
}

static void test_starttls_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct st_case *c = &cases[i];
		struct evidence *ev = build(c);
		struct result *res = result_new(ev->domain);
		check_mx.evaluate(ev, res);
		check_starttls.evaluate(ev, res);
		check_requiretls.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_STARTTLS];
		if (cr->verdict.status != c->expect || strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: %s \"%s\", expected %s \"%s\"", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->expect), c->reason);
		if (fabs(res->percent[MECSA_STARTTLS] - c->pct) > 0.01)
			fail_msg("%s: percent %.1f, expected %.1f", c->what,
				 res->percent[MECSA_STARTTLS], c->pct);
		assert_int_equal(res->supported[MECSA_STARTTLS], c->pct >= 80);
		json_t *row0 = json_array_get(json_object_get(cr->detail, "addresses"), 0);
		assert_string_equal(json_string_value(json_object_get(row0, "starttls")), c->row0);
		/* The same row is kept per MX address for the store. */
		json_t *mxrow = starttls_mx_row(res, "mx1.example.test", addrs[0][0]);
		assert_ptr_equal(mxrow, row0);
		const struct check_result *rt = &res->checks[CHECK_REQUIRETLS];
		if (rt->verdict.status != c->rt)
			fail_msg("%s: requiretls %s \"%s\", expected %s", c->what,
				 verdict_status_name(rt->verdict.status), rt->verdict.reason,
				 verdict_status_name(c->rt));
		result_free(res);
		evidence_free(ev);
	}
}

static void test_no_mx(void **state)
{
	(void)state;
	struct {
		enum dns_status st;	    /* MX lookup */
		const char *rr;		    /* MX RR or NULL */
		enum verdict_status expect; /* starttls verdict */
	} rows[] = {
		{DNS_STATUS_OK, "0 .", VERDICT_NOT_TESTABLE},
		{DNS_STATUS_NXDOMAIN, NULL, VERDICT_NOT_TESTABLE},
		{DNS_STATUS_SERVFAIL, NULL, VERDICT_DNS_ERROR},
		{DNS_STATUS_OK, "10 192.0.2.1", VERDICT_NOT_TESTABLE},
	};
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		struct evidence *ev = evidence_new("example.test");
		const char *mx[] = {rows[i].rr, NULL};
		tp_answer(ev, "example.test", DNS_TYPE_MX, rows[i].st, DNSSEC_SECURE, mx);
		struct result *res = result_new(ev->domain);
		check_mx.evaluate(ev, res);
		check_starttls.evaluate(ev, res);
		assert_int_equal(res->checks[CHECK_STARTTLS].verdict.status, rows[i].expect);
		assert_false(res->supported[MECSA_STARTTLS]);
		result_free(res);
		evidence_free(ev);
	}
}

/* The pairs the daemon probes: MX order, A before AAAA, duplicates and IP literals dropped. */
static void test_targets(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.test");
	const char *mx[] = {"20 b.example.test", "10 a.example.test", "30 192.0.2.99",
			    "40 a.example.test", NULL};
	const char *a4[] = {"192.0.2.1", "192.0.2.1", "192.0.2.2", NULL}, *a6[] = {"2001:db8::1", NULL};
	const char *b4[] = {"192.0.2.1", NULL};
	tp_answer(ev, "example.test", DNS_TYPE_MX, DNS_STATUS_OK, DNSSEC_SECURE, mx);
	tp_answer(ev, "a.example.test", DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_SECURE, a4);
	tp_answer(ev, "a.example.test", DNS_TYPE_AAAA, DNS_STATUS_OK, DNSSEC_SECURE, a6);
	tp_answer(ev, "b.example.test", DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_SECURE, b4);
	struct smtp_target t[8];
	size_t n = starttls_targets(ev, 1, t, 8);
	assert_int_equal(n, 4);
	const char *want[][2] = {{"a.example.test", "192.0.2.1"},
				 {"a.example.test", "192.0.2.2"},
				 {"a.example.test", "2001:db8::1"},
				 {"b.example.test", "192.0.2.1"}};
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(t[i].host, want[i][0]);
		assert_string_equal(t[i].address, want[i][1]);
	}
	assert_int_equal(t[2].ipv6, 1);
	assert_int_equal(starttls_targets(ev, 0, t, 8), 3);
	assert_int_equal(starttls_targets(ev, 1, t, 2), 2);
	evidence_free(ev);
}

/* The probe and CRL records survive the evidence JSON (base64 DER, optional fields), and
 * malformed records are refused with a reason. */
static void test_probe_json(void **state)
{
	(void)state;
	const struct st_case c = {"json", {B_RT_BOTH, B_HANDSHAKE, B_INJECTION},
				  {B_421, B_HELO_ONLY}, 0, "", 0, 0, ""};
	struct evidence *ev = build(&c);
	ev->smtp[0].bare_lf = 1;
	ev->smtp[0].unsolicited = 7;
	ev->smtp[0].size_limit = 1000;
	static const unsigned char crl[] = {0x30, 0x03, 0x02, 0x01, 0x00};
	struct der_fetch *f = evidence_der_add(&ev->crl);
	f->url = xstrdup("http://crl.test/x.crl");
	f->ok = 1;
	f->http_status = 200;
	f->der = xmemdup(crl, sizeof crl);
	f->len = sizeof crl;
	f = evidence_der_add(&ev->crl);
	f->url = xstrdup("http://crl.test/y.crl");
	f->error = xstrdup("timeout");
	json_t *j1 = evidence_to_json(ev);
	char *text = json_dumps(j1, JSON_COMPACT);
	json_t *back = json_loads(text, 0, NULL);
	char err[200];
	struct evidence *ev2 = evidence_from_json(back, err, sizeof err);
	assert_non_null(ev2);
	json_t *j2 = evidence_to_json(ev2);
	assert_true(json_equal(j1, j2));
	assert_int_equal(ev2->n_smtp, ev->n_smtp);
	assert_int_equal(ev2->smtp[0].chain_len, 1);
	assert_memory_equal(ev2->smtp[0].chain[0].der, ev->smtp[0].chain[0].der, 2);
	assert_int_equal(ev2->smtp[0].ext_tls, ev->smtp[0].ext_tls);
	assert_int_equal(ev2->crl.v[0].len, sizeof crl);
	assert_null(ev2->crl.v[1].der);
	evidence_free(ev2);
	/* Malformed: a certificate that is not base64, a probe without an address. */
	json_t *probe = json_array_get(json_object_get(back, "smtp"), 0);
	json_array_set_new(json_object_get(probe, "chain"), 0, json_string("@@@"));
	assert_null(evidence_from_json(back, err, sizeof err));
	assert_non_null(strstr(err, "SMTP probe #0"));
	json_object_del(probe, "chain");
	json_object_del(probe, "address");
	assert_null(evidence_from_json(back, err, sizeof err));
	json_decref(back);
	json_decref(j1);
	json_decref(j2);
	free(text);
	evidence_free(ev);
}

/* Base64 vectors (RFC 4648 §10) and refusals. */
static void test_base64(void **state)
{
	(void)state;
	static const char *const v[][2] = {{"", ""},	     {"f", "Zg=="},	{"fo", "Zm8="},
					   {"foo", "Zm9v"},  {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
					   {"foobar", "Zm9vYmFy"}};
	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		char *e = smtp_base64_encode((const unsigned char *)v[i][0], strlen(v[i][0]));
		assert_string_equal(e, v[i][1]);
		unsigned char *d;
		size_t n;
		assert_int_equal(smtp_base64_decode(e, &d, &n), 0);
		assert_int_equal(n, strlen(v[i][0]));
		assert_memory_equal(d, v[i][0], n);
		free(d);
		free(e);
	}
	static const char *const bad[] = {"Zg=", "Z===", "Zg==Zg==", "Zm9v!", "=Zm9"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		unsigned char *d = NULL;
		size_t n;
		assert_int_equal(smtp_base64_decode(bad[i], &d, &n), -1);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_starttls_cases),
		cmocka_unit_test(test_no_mx),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_probe_json),
		cmocka_unit_test(test_base64),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
