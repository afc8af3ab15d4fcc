/* test_x509.c — the x509 check over chains built at run time: trusted chain, missing intermediate,
 * self-signed and unknown CA, host names (exact, one-label wildcard, multi-label and partial
 * wildcards, wrong and empty names), dates (expired, not yet valid), revocation through CRLs (good,
 * revoked leaf, revoked intermediate, unreachable, stale, wrongly signed, garbage), undecodable
 * certificates, a padded chain, no trust store; the MECSA percentage; CRL URL extraction. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checks/mx.h"
#include "checks/score.h"
#include "checks/starttls.h"
#include "checks/urlpin.h"
#include "checks/x509.h"
#include "testpki.h"

#define CRL_INTER "http://crl.test/intermediate.crl"
#define CRL_ROOT "http://crl.test/root.crl"
#define CRL_INTER2 "http://crl.test/intermediate2.crl"

enum cert_id {
	C_END = 0, C_ROOT, C_INTER, C_INTER2, C_GOOD, C_WILD, C_EXPIRED, C_NOTYET, C_SELF,
	C_WRONG, C_REVOKED, C_OTHER_ROOT, C_UNKNOWN_CA, C_PARTIAL, C_EMPTY, C_UNDER_INTER2,
	C_GARBAGE, C_WEAK_RSA, C_SHA1, C_MAX
};

static X509 *certs[C_MAX];
static EVP_PKEY *k_root, *k_inter, *k_inter2, *k_leaf, *k_other, *k_rsa1024;
static X509_STORE *store;
static X509_CRL *crl_inter, *crl_root, *crl_stale, *crl_badsig, *crl_inter2;

static int setup(void **state)
{
	(void)state;
	k_root = tp_key();
	k_inter = tp_key();
	k_inter2 = tp_key();
	k_leaf = tp_key();
	k_other = tp_key();
	certs[C_ROOT] = tp_cert("Test Root", NULL, NULL, NULL, k_root, 1, -10, 3650, NULL, 1);
	certs[C_INTER] = tp_cert("Test Intermediate", NULL, certs[C_ROOT], k_root, k_inter, 1, -10,
				 3000, CRL_ROOT, 2);
	certs[C_INTER2] = tp_cert("Test Intermediate 2", NULL, certs[C_ROOT], k_root, k_inter2, 1,
				  -10, 3000, CRL_ROOT, 3);
	X509 *in = certs[C_INTER];
	certs[C_GOOD] = tp_cert("mx.example.test", "DNS:mx.example.test", in, k_inter, k_leaf, 0,
				-1, 365, CRL_INTER, 100);
	certs[C_WILD] = tp_cert("*.example.test", "DNS:*.example.test", in, k_inter, k_leaf, 0, -1,
				365, CRL_INTER, 101);
	certs[C_EXPIRED] = tp_cert("mx.example.test", "DNS:mx.example.test", in, k_inter, k_leaf,
				   0, -400, -30, CRL_INTER, 102);
	certs[C_NOTYET] = tp_cert("mx.example.test", "DNS:mx.example.test", in, k_inter, k_leaf, 0,
				  30, 400, CRL_INTER, 103);
	certs[C_SELF] = tp_cert("mx.example.test", "DNS:mx.example.test", NULL, NULL, k_leaf, 0, -1,
				365, NULL, 104);
	certs[C_WRONG] = tp_cert("mx.other.test", "DNS:mx.other.test", in, k_inter, k_leaf, 0, -1,
				 365, CRL_INTER, 105);
	certs[C_REVOKED] = tp_cert("mx.example.test", "DNS:mx.example.test", in, k_inter, k_leaf,
				   0, -1, 365, CRL_INTER, 106);
	certs[C_OTHER_ROOT] = tp_cert("Other Root", NULL, NULL, NULL, k_other, 1, -10, 3650, NULL, 7);
	certs[C_UNKNOWN_CA] = tp_cert("mx.example.test", "DNS:mx.example.test", certs[C_OTHER_ROOT],
				      k_other, k_leaf, 0, -1, 365, NULL, 108);
	certs[C_PARTIAL] = tp_cert("m.example.test", "DNS:m*.example.test", in, k_inter, k_leaf, 0,
				   -1, 365, CRL_INTER, 109);
	certs[C_EMPTY] = tp_cert("", NULL, in, k_inter, k_leaf, 0, -1, 365, CRL_INTER, 110);
	certs[C_UNDER_INTER2] = tp_cert("mx.example.test", "DNS:mx.example.test", certs[C_INTER2],
					k_inter2, k_leaf, 0, -1, 365, CRL_INTER2, 111);
	/* Below security level 2: a 1024-bit RSA key; a SHA-1 signature (re-signed). */
	k_rsa1024 = EVP_RSA_gen(1024);
	certs[C_WEAK_RSA] = tp_cert("mx.example.test", "DNS:mx.example.test", in, k_inter,
				    k_rsa1024, 0, -1, 365, CRL_INTER, 112);
	certs[C_SHA1] = tp_cert("mx.example.test", "DNS:mx.example.test", in, k_inter, k_leaf, 0,
				-1, 365, CRL_INTER, 113);
	X509_sign(certs[C_SHA1], k_inter, EVP_sha1());
	long revoked_leaf = 106, revoked_inter2 = 3;
	crl_inter = tp_crl(certs[C_INTER], k_inter, &revoked_leaf, 1, -1, 7);
	crl_root = tp_crl(certs[C_ROOT], k_root, &revoked_inter2, 1, -1, 7);
	crl_stale = tp_crl(certs[C_INTER], k_inter, NULL, 0, -30, -2);
	crl_badsig = tp_crl(certs[C_INTER], k_other, &revoked_leaf, 1, -1, 7);
	crl_inter2 = tp_crl(certs[C_INTER2], k_inter2, NULL, 0, -1, 7);
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
	X509_CRL_free(crl_inter);
	X509_CRL_free(crl_root);
	X509_CRL_free(crl_stale);
	X509_CRL_free(crl_badsig);
	X509_CRL_free(crl_inter2);
	EVP_PKEY_free(k_root);
	EVP_PKEY_free(k_inter);
	EVP_PKEY_free(k_inter2);
	EVP_PKEY_free(k_leaf);
	EVP_PKEY_free(k_other);
	EVP_PKEY_free(k_rsa1024);
	return 0;
}

enum crl_mode { CRLS_NONE = 0, CRLS_GOOD, CRLS_FAIL, CRLS_STALE, CRLS_BADSIG, CRLS_GARBAGE };

struct x509_case {
	const char *what;	     /* description */
	const char *host;	     /* MX host name */
	enum cert_id chain[20];	     /* the chain sent (C_END ends it) */
	enum crl_mode crls;	     /* what the CRL fetches brought */
	const char *version;	     /* TLS version; NULL: STARTTLS not offered */
	int no_store;		     /* run without a trust store */
	enum verdict_status expect;  /* domain verdict */
	int chain_ok, name_ok, dates_ok; /* the row's booleans */
	enum x509_revocation rev;    /* the row's revocation status */
	const char *reason;	     /* substring of the verdict reason */
	double pct;		     /* MECSA percentage */
	int key_weak;		     /* key_ok 0 (fixed scoring: 25 points less) */
	int incomplete;		     /* chain_complete 0; -1: null (unknown); 0: 1 */
};

static const struct x509_case cases[] = {
	{"valid chain, CRLs say good", "mx.example.test", {C_GOOD, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_PASS, 1, 1, 1, X509_REV_GOOD, "1 valid certificates", 100, 0, 0},
	{"valid chain, CRL unreachable: unknown, not revoked", "mx.example.test", {C_GOOD, C_INTER},
	 CRLS_FAIL, "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, X509_REV_UNKNOWN, "revocation unknown", 100, 0, 0},
	{"CRLs never fetched", "mx.example.test", {C_GOOD, C_INTER}, CRLS_NONE, "TLSv1.2", 0,
	 VERDICT_PASS, 1, 1, 1, X509_REV_UNKNOWN, "not fetched", 100, 0, 0},
	{"one-label wildcard", "mx.example.test", {C_WILD, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_PASS, 1, 1, 1, X509_REV_GOOD, "valid", 100, 0, 0},
	{"wildcard does not cover two labels", "a.mx.example.test", {C_WILD, C_INTER}, CRLS_GOOD,
	 "TLSv1.3", 0, VERDICT_FAIL, 1, 0, 1, X509_REV_GOOD, "not valid for a.mx.example.test", 75, 0, 0},
	{"partial wildcard refused", "m1.example.test", {C_PARTIAL, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_FAIL, 1, 0, 1, X509_REV_GOOD, "not valid for", 75, 0, 0},
	{"empty names", "mx.example.test", {C_EMPTY, C_INTER}, CRLS_GOOD, "TLSv1.3", 0, VERDICT_FAIL,
	 1, 0, 1, X509_REV_GOOD, "not valid for", 75, 0, 0},
	{"host name case-insensitive", "MX.Example.TEST", {C_GOOD, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_PASS, 1, 1, 1, X509_REV_GOOD, "valid", 100, 0, 0},
	{"wrong name", "mx.example.test", {C_WRONG, C_INTER}, CRLS_GOOD, "TLSv1.3", 0, VERDICT_FAIL,
	 1, 0, 1, X509_REV_GOOD, "not valid for mx.example.test", 75, 0, 0},
	{"expired: a date failure, not a chain failure", "mx.example.test", {C_EXPIRED, C_INTER},
	 CRLS_GOOD, "TLSv1.3", 0, VERDICT_FAIL, 1, 1, 0, X509_REV_GOOD, "expired", 75, 0, 0},
	{"not yet valid", "mx.example.test", {C_NOTYET, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_FAIL, 1, 1, 0, X509_REV_GOOD, "not yet valid", 75, 0, 0},
	{"self-signed", "mx.example.test", {C_SELF}, CRLS_NONE, "TLSv1.3", 0, VERDICT_FAIL, 0, 1, 1,
	 X509_REV_UNKNOWN, "self-signed", 75, 0, 0},
	{"intermediate not sent", "mx.example.test", {C_GOOD}, CRLS_GOOD, "TLSv1.3", 0, VERDICT_FAIL,
	 0, 1, 1, X509_REV_UNKNOWN, "untrusted chain: unable to get local issuer", 75, 0, 1},
	{"unknown CA", "mx.example.test", {C_UNKNOWN_CA, C_OTHER_ROOT}, CRLS_NONE, "TLSv1.3", 0,
	 VERDICT_FAIL, 0, 1, 1, X509_REV_UNKNOWN, "untrusted chain", 75, 0, 0},
	{"revoked leaf", "mx.example.test", {C_REVOKED, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_FAIL, 1, 1, 1, X509_REV_REVOKED, "revoked", 75, 0, 0},
	{"revoked intermediate", "mx.example.test", {C_UNDER_INTER2, C_INTER2}, CRLS_GOOD, "TLSv1.3",
	 0, VERDICT_FAIL, 1, 1, 1, X509_REV_REVOKED, "intermediate", 75, 0, 0},
	{"stale CRL: unknown", "mx.example.test", {C_REVOKED, C_INTER}, CRLS_STALE, "TLSv1.3", 0,
	 VERDICT_PASS, 1, 1, 1, X509_REV_UNKNOWN, "stale", 100, 0, 0},
	{"CRL signed by another key: unknown", "mx.example.test", {C_REVOKED, C_INTER}, CRLS_BADSIG,
	 "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, X509_REV_UNKNOWN, "signature", 100, 0, 0},
	{"CRL URL serves garbage: unknown", "mx.example.test", {C_GOOD, C_INTER}, CRLS_GARBAGE,
	 "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, X509_REV_UNKNOWN, "not a CRL", 100, 0, 0},
	{"undecodable certificate", "mx.example.test", {C_GARBAGE}, CRLS_NONE, "TLSv1.3", 0,
	 VERDICT_FAIL, 0, 0, 0, X509_REV_UNKNOWN, "cannot be decoded", 25, 1, -1},
	{"chain padded with copies (16 recorded)", "mx.example.test",
	 {C_GOOD, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER,
	  C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER, C_INTER},
	 CRLS_GOOD, "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, X509_REV_GOOD, "valid", 100, 0, 0},
	{"TLS 1.0: judged, but not in MECSA's percentage", "mx.example.test", {C_GOOD, C_INTER},
	 CRLS_GOOD, "TLSv1", 0, VERDICT_PASS, 1, 1, 1, X509_REV_GOOD, "valid", 0, 0, 0},
	{"no trust store (intermediate's CRL cannot be checked)", "mx.example.test",
	 {C_GOOD, C_INTER}, CRLS_GOOD, "TLSv1.3", 1, VERDICT_FAIL, 0, 1, 1, X509_REV_UNKNOWN,
	 "no CA bundle", 75, 0, -1},
	/* Security level 2: valid for mecsa-st, "key too weak" for mxsurvey and fixed scoring. */
	{"RSA key of 1024 bits", "mx.example.test", {C_WEAK_RSA, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_FAIL, 1, 1, 1, X509_REV_GOOD, "key too weak: leaf 0: RSA key of 1024 bits", 100, 1,
	 0},
	{"SHA-1 signature", "mx.example.test", {C_SHA1, C_INTER}, CRLS_GOOD, "TLSv1.3", 0,
	 VERDICT_FAIL, 1, 1, 1, X509_REV_GOOD, "key too weak: leaf 0: SHA1 signature", 100, 1, 0},
	{"no STARTTLS: nothing to judge", "mx.example.test", {C_GOOD, C_INTER}, CRLS_NONE, NULL, 0,
	 VERDICT_NOT_TESTABLE, 0, 0, 0, X509_REV_UNKNOWN, "no TLS session", 0, 0, 0},
};

static void add_crls(struct evidence *ev, enum crl_mode m)
{
	static const unsigned char junk[] = "<html>not found</html>";
	switch (m) {
	case CRLS_NONE:
		break;
	case CRLS_GOOD:
		tp_crl_fetch(ev, CRL_INTER, crl_inter, 1, NULL);
		tp_crl_fetch(ev, CRL_ROOT, crl_root, 1, NULL);
		tp_crl_fetch(ev, CRL_INTER2, crl_inter2, 1, NULL);
		break;
	case CRLS_FAIL:
		tp_crl_fetch(ev, CRL_INTER, NULL, 0, "Could not resolve host: crl.test");
		tp_crl_fetch(ev, CRL_ROOT, NULL, 0, "Could not resolve host: crl.test");
		break;
	case CRLS_STALE:
		tp_crl_fetch(ev, CRL_INTER, crl_stale, 1, NULL);
		break;
	case CRLS_BADSIG:
		tp_crl_fetch(ev, CRL_INTER, crl_badsig, 1, NULL);
		break;
	case CRLS_GARBAGE: {
		struct der_fetch *c = evidence_der_add(&ev->crl);
		c->url = xstrdup(CRL_INTER);
		c->ok = 1;
		c->http_status = 200;
		c->der = xmemdup(junk, sizeof junk);
		c->len = sizeof junk;
		break;
	}
	}
}

static struct evidence *build(const struct x509_case *c)
{
	struct evidence *ev = evidence_new("example.test");
	ev->started_ms = tp_now_ms();
	char mx[300];
	snprintf(mx, sizeof mx, "10 %s", c->host);
	const char *mxs[] = {mx, NULL}, *a[] = {"192.0.2.25", NULL};
	tp_answer(ev, "example.test", DNS_TYPE_MX, DNS_STATUS_OK, DNSSEC_SECURE, mxs);
	tp_answer(ev, c->host, DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_SECURE, a);
	tp_answer(ev, c->host, DNS_TYPE_AAAA, DNS_STATUS_NODATA, DNSSEC_SECURE, NULL);
	X509 *chain[20];
	size_t n = 0;
	for (; n < 20 && c->chain[n] != C_END; n++)
		chain[n] = certs[c->chain[n]];
	if (c->chain[0] == C_GARBAGE) {
		struct smtp_probe *p = tp_probe_tls(ev, c->host, "192.0.2.25", c->version, NULL, 0);
		static const unsigned char bad[] = {0x30, 0x82, 0x01, 0x00, 0x02, 0x01};
		smtp_probe_add_cert(p, bad, sizeof bad);
	} else {
		struct smtp_probe *p =
			tp_probe_tls(ev, c->host, "192.0.2.25", c->version ? c->version : "TLSv1.3",
				     chain, n);
		if (c->version == NULL) {
			/* STARTTLS not offered: no TLS, no chain. */
			p->ext = SMTP_EXT_PIPELINING;
			p->starttls_code = 502;
			p->tls = 0;
			for (size_t i = 0; i < p->chain_len; i++)
				free(p->chain[i].der);
			free(p->chain);
			p->chain = NULL;
			p->chain_len = p->chain_sent = 0;
		}
	}
	add_crls(ev, c->crls);
	return ev;
}

static void test_x509_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct x509_case *c = &cases[i];
		struct evidence *ev = build(c);
		x509_set_trust(c->no_store ? NULL : store);
		struct result *res = result_new(ev->domain);
		check_mx.evaluate(ev, res);
		check_starttls.evaluate(ev, res);
		check_x509.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_X509];
		if (cr->verdict.status != c->expect || strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: %s \"%s\", expected %s \"%s\"", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->expect), c->reason);
		if (fabs(res->percent[MECSA_X509] - c->pct) > 0.01)
			fail_msg("%s: percent %.2f, expected %.2f", c->what, res->percent[MECSA_X509],
				 c->pct);
		double fixed = c->key_weak && c->chain_ok ? c->pct - 25 : c->pct;
		if (fabs(res->percent_fixed[MECSA_X509] - fixed) > 0.01)
			fail_msg("%s: fixed percent %.2f, expected %.2f", c->what,
				 res->percent_fixed[MECSA_X509], fixed);
		assert_int_equal(res->supported[MECSA_X509], c->pct >= 80);
		json_t *mxrow = starttls_mx_row(res, c->host, "192.0.2.25");
		assert_non_null(mxrow);
		if (c->version)
			assert_int_equal(json_is_true(json_object_get(json_object_get(mxrow, "x509"),
								      "valid")),
					 c->expect == VERDICT_PASS);
		/* The row's booleans, straight from the judgement. */
		const struct smtp_probe *p = &ev->smtp[0];
		if (p->tls) {
			struct x509_judgement j;
			x509_judge(ev, p, x509_probe_time(ev, p), &j);
			if (j.chain_ok != c->chain_ok || j.name_ok != c->name_ok ||
			    j.dates_ok != c->dates_ok || j.revocation != c->rev)
				fail_msg("%s: chain %d name %d dates %d rev %d (%s / %s)", c->what,
					 j.chain_ok, j.name_ok, j.dates_ok, j.revocation, j.why,
					 j.revocation_why);
			int complete = c->incomplete == 1 ? 0 : c->incomplete == -1 ? -1 : 1;
			if (j.key_ok != !c->key_weak || j.chain_complete != complete)
				fail_msg("%s: key_ok %d chain_complete %d (%s)", c->what, j.key_ok,
					 j.chain_complete, j.why);
			json_t *cc = json_object_get(j.detail, "chain_complete");
			if (j.parsed)
				assert_true(complete < 0 ? json_is_null(cc)
							 : json_is_boolean(cc) &&
								   json_is_true(cc) == complete);
			json_decref(j.detail);
		}
		result_free(res);
		evidence_free(ev);
	}
	x509_set_trust(store);
}

/* A weak key: fixed scoring takes the certificate as invalid (x509 missing from the
 * confidentiality set), mecsa-st scoring counts it as mecsa-st does (x509 supported). */
static void test_weak_key_scoring(void **state)
{
	(void)state;
	const struct x509_case c = {"weak", "mx.example.test", {C_WEAK_RSA, C_INTER}, CRLS_GOOD,
				    "TLSv1.3", 0, VERDICT_FAIL, 1, 1, 1, X509_REV_GOOD, "", 100,
				    1, 0};
	struct score_table st = *score_table_builtin();
	st.mode = SCORE_MODE_MECSA_ST;
	const struct score_table *tables[] = {score_table_builtin(), &st};
	const bool want[] = {false, true};
	for (size_t k = 0; k < 2; k++) {
		struct evidence *ev = build(&c);
		struct result *res = result_new(ev->domain);
		check_mx.evaluate(ev, res);
		check_starttls.evaluate(ev, res);
		check_x509.evaluate(ev, res);
		assert_int_equal(res->checks[CHECK_X509].verdict.status, VERDICT_FAIL);
		score_apply(tables[k], res);
		assert_true(res->supported[MECSA_STARTTLS]);
		if (res->supported[MECSA_X509] != want[k])
			fail_msg("%s mode: x509 supported %d", score_mode_name(tables[k]->mode),
				 res->supported[MECSA_X509]);
		result_free(res);
		evidence_free(ev);
	}
}

static void test_crl_urls(void **state)
{
	(void)state;
	const struct x509_case c = {"urls", "mx.example.test", {C_GOOD, C_INTER}, CRLS_NONE,
				    "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, 0, "", 0, 0, 0};
	struct evidence *ev = build(&c);
	tp_probe_tls(ev, "mx2.example.test", "192.0.2.26", "TLSv1.3", &certs[C_WILD], 1);
	char *urls[X509_CRL_URLS_MAX];
	size_t n = x509_crl_urls(ev, urls, X509_CRL_URLS_MAX);
	assert_int_equal(n, 2); /* de-duplicated across probes */
	assert_string_equal(urls[0], CRL_INTER);
	assert_string_equal(urls[1], CRL_ROOT);
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	assert_int_equal(x509_crl_urls(ev, urls, 1), 1);
	free(urls[0]);
	evidence_free(ev);
}

/* Path validation is memoised per chain; a verdict must not outlive the anchors it used, and
 * a chain that differs in one certificate (here: the intermediate left out) is its own entry. */
static void test_verdict_memo(void **state)
{
	(void)state;
	const struct x509_case c = {"memo", "mx.example.test", {C_GOOD, C_INTER}, CRLS_GOOD,
				    "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, X509_REV_GOOD, "", 0, 0, 0};
	const struct x509_case leaf_only = {"memo", "mx.example.test", {C_GOOD}, CRLS_GOOD,
					    "TLSv1.3", 0, VERDICT_FAIL, 0, 1, 1, 0, "", 0, 0, 0};
	struct evidence *ev = build(&c), *ev1 = build(&leaf_only);
	X509_STORE *other = X509_STORE_new();
	struct {
		X509_STORE *anchors;
		struct evidence *ev;
		int chain_ok;
	} steps[] = {
		{store, ev, 1}, {store, ev, 1},	 /* the second from the memo */
		{other, ev, 0}, {store, ev, 1},	 /* anchors changed, and back */
		{store, ev1, 0}, {store, ev, 1}, /* one certificate less: another chain */
	};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		x509_set_trust(steps[i].anchors);
		const struct smtp_probe *p = &steps[i].ev->smtp[0];
		struct x509_judgement j;
		x509_judge(steps[i].ev, p, x509_probe_time(steps[i].ev, p), &j);
		if (j.chain_ok != steps[i].chain_ok)
			fail_msg("step %zu: chain_ok %d (%s)", i, j.chain_ok, j.why);
		json_decref(j.detail);
	}
	x509_set_trust(store);
	X509_STORE_free(other);
	evidence_free(ev);
	evidence_free(ev1);
}

/* Decoded certificates are found by a tag over their length and last bytes, and confirmed by
 * their DER: a twin that differs only inside the subject lands on the same entry and must come
 * back as itself, and the SHA-256 kept with an entry must be that of the bytes asked about. */
static void test_decode_memo(void **state)
{
	(void)state;
	unsigned char *der = NULL;
	int len = i2d_X509(certs[C_GOOD], &der);
	assert_true(len > 0);
	unsigned char *twin = malloc((size_t)len);
	memcpy(twin, der, (size_t)len);
	const char *cn = "mx.example.test";
	unsigned char *at = memmem(twin, (size_t)len, cn, strlen(cn));
	assert_non_null(at);
	at[3] = 'X'; /* "mx.Xxample.test", in the subject; the signature is not checked here */
	const struct smtp_cert a = {der, (size_t)len}, b = {twin, (size_t)len};
	const struct {
		const struct smtp_cert *c;
		const char *subject;
	} steps[] = {
		{&a, "mx.example.test"}, {&b, "mx.Xxample.test"}, {&a, "mx.example.test"},
		{&a, "mx.example.test"}, {&b, "mx.Xxample.test"}, {&b, "mx.Xxample.test"},
	};
	for (size_t i = 0; i < sizeof steps / sizeof *steps; i++) {
		X509 *x = x509_cert_decode(steps[i].c);
		assert_non_null(x);
		char got[64] = "";
		X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, got, sizeof got);
		if (strcmp(got, steps[i].subject) != 0)
			fail_msg("step %zu: subject %s, expected %s", i, got, steps[i].subject);
		X509_free(x);
		unsigned char md[32], want[32];
		unsigned n = 0;
		assert_true(x509_cert_sha256(steps[i].c, md));
		assert_true(EVP_Digest(steps[i].c->der, steps[i].c->len, want, &n, EVP_sha256(), NULL));
		if (memcmp(md, want, 32) != 0)
			fail_msg("step %zu: SHA-256 of another certificate", i);
	}
	OPENSSL_free(der);
	free(twin);
}

/* plan() asks for the CRL hosts' addresses; the fetch is pinned to them. */
static void test_crl_resolve(void **state)
{
	(void)state;
	const struct x509_case c = {"resolve", "mx.example.test", {C_GOOD, C_INTER}, CRLS_NONE,
				    "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, 0, "", 0, 0, 0};
	struct evidence *ev = build(&c);
	struct dns_question q[8];
	size_t n = check_x509.plan(ev, q, 8);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].name, "crl.test");
	assert_int_equal(q[0].type, DNS_TYPE_A);
	assert_int_equal(q[1].type, DNS_TYPE_AAAA);
	char out[200];
	assert_int_equal(url_pin(ev, CRL_INTER, out, sizeof out), -1);
	const char *a[] = {"192.0.2.80", "192.0.2.81", NULL}, *a6[] = {"2001:db8::80", NULL};
	tp_answer(ev, "crl.test", DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_INSECURE, a);
	tp_answer(ev, "crl.test", DNS_TYPE_AAAA, DNS_STATUS_OK, DNSSEC_INSECURE, a6);
	assert_int_equal(check_x509.plan(ev, q, 8), 0);
	assert_int_equal(url_pin(ev, CRL_INTER, out, sizeof out), 1);
	assert_string_equal(out, "crl.test:80:192.0.2.80,192.0.2.81,[2001:db8::80]");
	/* urlpin's own cases are in test_urlpin.c. */
	evidence_free(ev);
}

/* The verdict is judged at the probe's time, so stored evidence re-evaluates the same way. */
static void test_probe_time(void **state)
{
	(void)state;
	const struct x509_case c = {"time", "mx.example.test", {C_GOOD, C_INTER}, CRLS_GOOD,
				    "TLSv1.3", 0, VERDICT_PASS, 1, 1, 1, 0, "", 0, 0, 0};
	struct evidence *ev = build(&c);
	ev->smtp[0].started_ms -= 400LL * 86400 * 1000; /* probed 400 days ago */
	struct x509_judgement j;
	x509_judge(ev, &ev->smtp[0], x509_probe_time(ev, &ev->smtp[0]), &j);
	assert_int_equal(j.dates_ok, 0);
	if (strstr(j.why, "not yet valid") == NULL)
		fail_msg("why: %s", j.why);
	json_decref(j.detail);
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x509_cases),
		cmocka_unit_test(test_weak_key_scoring),
		cmocka_unit_test(test_crl_urls),
		cmocka_unit_test(test_verdict_memo),
		cmocka_unit_test(test_decode_memo),
		cmocka_unit_test(test_probe_time),
		cmocka_unit_test(test_crl_resolve),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
