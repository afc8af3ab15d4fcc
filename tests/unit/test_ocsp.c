/* test_ocsp.c — OCSP for the x509 check over responses built at run time: the GET request URL
 * (form, encoding, determinism, which chains get one), and the judgement of recorded responses
 * (good, revoked, unknown; signed by the issuer, by a delegated responder with and without
 * id-kp-OCSPSigning, by a stranger; stale, not yet valid; error statuses; garbage; unreachable;
 * about another certificate), then how OCSP and CRLs combine in the x509 verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <openssl/ocsp.h>

#include "checks/evidence_json.h"
#include "checks/ocsp.h"
#include "checks/x509.h"
#include "testpki.h"

#define RESPONDER "http://ocsp.test/"
#define CRL_INTER "http://crl.test/intermediate.crl"

static EVP_PKEY *k_root, *k_inter, *k_leaf, *k_resp, *k_other;
static X509 *root, *inter, *leaf, *leaf_nocdp, *leaf_noaia, *leaf_path, *delegated,
    *delegated_noeku, *other_root;
static X509_STORE *store;

/* cert with an OCSP responder in its Authority Information Access, signed again by ikey. */
static X509 *with_aia(X509 *x, const char *responder, X509 *issuer, EVP_PKEY *ikey)
{
	char v[300];
	snprintf(v, sizeof v, "OCSP;URI:%s", responder);
	tp_ext(x, issuer, NID_info_access, v);
	X509_sign(x, ikey, EVP_sha256());
	return x;
}

/* A responder certificate issued by inter, with id-kp-OCSPSigning unless noeku. */
static X509 *responder_cert(int noeku)
{
	X509 *x = tp_cert("OCSP responder", NULL, inter, k_inter, k_resp, 0, -1, 30, NULL,
			  noeku ? 901 : 900);
	X509_EXTENSION_free(X509_delete_ext(x, X509_get_ext_by_NID(x, NID_ext_key_usage, -1)));
	if (!noeku)
		tp_ext(x, inter, NID_ext_key_usage, "OCSPSigning");
	X509_sign(x, k_inter, EVP_sha256());
	return x;
}

static int setup(void **state)
{
	(void)state;
	k_root = tp_key();
	k_inter = tp_key();
	k_leaf = tp_key();
	k_resp = tp_key();
	k_other = tp_key();
	root = tp_cert("Test Root", NULL, NULL, NULL, k_root, 1, -10, 3650, NULL, 1);
	inter = tp_cert("Test Intermediate", NULL, root, k_root, k_inter, 1, -10, 3000, NULL, 2);
	leaf = with_aia(tp_cert("mx.example.test", "DNS:mx.example.test", inter, k_inter, k_leaf, 0,
				-1, 365, CRL_INTER, 100),
			RESPONDER, inter, k_inter);
	leaf_nocdp = with_aia(tp_cert("mx.example.test", "DNS:mx.example.test", inter, k_inter,
				      k_leaf, 0, -1, 365, NULL, 101),
			      RESPONDER, inter, k_inter);
	leaf_noaia = tp_cert("mx.example.test", "DNS:mx.example.test", inter, k_inter, k_leaf, 0,
			     -1, 365, NULL, 102);
	leaf_path = with_aia(tp_cert("mx.example.test", "DNS:mx.example.test", inter, k_inter,
				     k_leaf, 0, -1, 365, NULL, 103),
			     "http://ocsp.test:8080/path", inter, k_inter);
	delegated = responder_cert(0);
	delegated_noeku = responder_cert(1);
	other_root = tp_cert("Other Root", NULL, NULL, NULL, k_other, 1, -10, 3650, NULL, 7);
	store = X509_STORE_new();
	X509_STORE_add_cert(store, root);
	x509_set_trust(store);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	x509_set_trust(NULL);
	X509_STORE_free(store);
	X509 *all[] = {root,	  inter,	   leaf,      leaf_nocdp, leaf_noaia, leaf_path,
		       delegated, delegated_noeku, other_root};
	for (size_t i = 0; i < sizeof all / sizeof *all; i++)
		X509_free(all[i]);
	EVP_PKEY *keys[] = {k_root, k_inter, k_leaf, k_resp, k_other};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		EVP_PKEY_free(keys[i]);
	return 0;
}

/* ---- request URLs ---- */

static void test_request_url_form(void **state)
{
	(void)state;
	char *a = ocsp_request_url(leaf, inter), *b = ocsp_request_url(leaf, inter);
	assert_non_null(a);
	assert_string_equal(a, b); /* no nonce: the same request every time, so it caches */
	assert_int_equal(strncmp(a, RESPONDER, strlen(RESPONDER)), 0);
	const char *req = a + strlen(RESPONDER);
	assert_null(strchr(req, '/'));
	assert_null(strchr(req, '+'));
	assert_null(strchr(req, '='));
	/* The path decodes back to a request about this certificate. */
	char b64[1024];
	size_t n = 0;
	for (const char *p = req; *p && n < sizeof b64 - 1; p++) {
		if (*p == '%') {
			unsigned v;
			assert_int_equal(sscanf(p + 1, "%2x", &v), 1);
			b64[n++] = (char)v;
			p += 2;
		} else {
			b64[n++] = *p;
		}
	}
	b64[n] = '\0';
	unsigned char der[1024];
	int len = EVP_DecodeBlock(der, (unsigned char *)b64, (int)n);
	assert_true(len > 0);
	while (len > 0 && b64[n - 1] == '=' && n--)
		len--; /* EVP_DecodeBlock counts padding as zero bytes */
	const unsigned char *p = der;
	OCSP_REQUEST *r = d2i_OCSP_REQUEST(NULL, &p, len);
	assert_non_null(r);
	assert_int_equal(OCSP_request_onereq_count(r), 1);
	OCSP_CERTID *want = OCSP_cert_to_id(EVP_sha1(), leaf, inter);
	assert_int_equal(OCSP_id_cmp(OCSP_onereq_get0_id(OCSP_request_onereq_get0(r, 0)), want), 0);
	OCSP_CERTID_free(want);
	OCSP_REQUEST_free(r);
	free(a);
	free(b);

	/* A responder URL with a path gets a separator; different issuers, different requests. */
	a = ocsp_request_url(leaf_path, inter);
	assert_non_null(a);
	assert_int_equal(strncmp(a, "http://ocsp.test:8080/path/", 27), 0);
	free(a);
	assert_null(ocsp_request_url(leaf_noaia, inter));
	assert_null(ocsp_request_url(leaf, NULL));
}

static void test_request_urls_from_evidence(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.test");
	X509 *sent[] = {leaf, inter};
	tp_probe_tls(ev, "mx.example.test", "192.0.2.1", "TLSv1.3", sent, 2);
	tp_probe_tls(ev, "mx.example.test", "192.0.2.2", "TLSv1.3", sent, 2); /* same: once */
	X509 *alone[] = {leaf_nocdp};
	tp_probe_tls(ev, "mx.example.test", "192.0.2.3", "TLSv1.3", alone, 1); /* no issuer */
	X509 *noaia[] = {leaf_noaia, inter};
	tp_probe_tls(ev, "mx.example.test", "192.0.2.4", "TLSv1.3", noaia, 2);
	X509 *wrong[] = {leaf_path, root};
	tp_probe_tls(ev, "mx.example.test", "192.0.2.5", "TLSv1.3", wrong, 2); /* not its issuer */
	char *urls[OCSP_URLS_MAX];
	size_t n = ocsp_request_urls(ev, urls, OCSP_URLS_MAX);
	assert_int_equal(n, 1);
	char *want = ocsp_request_url(leaf, inter);
	assert_string_equal(urls[0], want);
	free(want);
	free(urls[0]);
	evidence_free(ev);
}

/* ---- judging responses ---- */

enum signer_kind { BY_ISSUER, BY_DELEGATE, BY_DELEGATE_NOEKU, BY_STRANGER };

struct response_case {
	const char *name;
	int fetched;	 /* 0: never asked; -1: fetch failed */
	int resp_status; /* OCSP_RESPONSE_STATUS_* */
	int cert_status; /* V_OCSP_CERTSTATUS_* */
	enum signer_kind signer;
	long this_s, next_s; /* thisUpdate / nextUpdate from now, seconds (next 0: none) */
	int about_other;     /* 1: the single response is about another certificate; 2: there is
				none */
	int garbage;	     /* the body is not a response */
	enum x509_revocation want;
	const char *why; /* a substring of the reason ("" for good) */
};

static const struct response_case cases[] = {
    {"good", 1, 0, V_OCSP_CERTSTATUS_GOOD, BY_ISSUER, -3600, 86400, 0, 0, X509_REV_GOOD, ""},
    {"good, no nextUpdate", 1, 0, V_OCSP_CERTSTATUS_GOOD, BY_ISSUER, -3600, 0, 0, 0, X509_REV_GOOD,
     ""},
    {"revoked", 1, 0, V_OCSP_CERTSTATUS_REVOKED, BY_ISSUER, -3600, 86400, 0, 0, X509_REV_REVOKED,
     "keyCompromise"},
    {"unknown", 1, 0, V_OCSP_CERTSTATUS_UNKNOWN, BY_ISSUER, -3600, 86400, 0, 0, X509_REV_UNKNOWN,
     "does not know"},
    {"delegated responder", 1, 0, V_OCSP_CERTSTATUS_REVOKED, BY_DELEGATE, -3600, 86400, 0, 0,
     X509_REV_REVOKED, "revoked"},
    {"delegate without OCSPSigning", 1, 0, V_OCSP_CERTSTATUS_REVOKED, BY_DELEGATE_NOEKU, -3600,
     86400, 0, 0, X509_REV_UNKNOWN, "OCSPSigning"},
    {"signed by a stranger", 1, 0, V_OCSP_CERTSTATUS_REVOKED, BY_STRANGER, -3600, 86400, 0, 0,
     X509_REV_UNKNOWN, "did not delegate"},
    {"stale", 1, 0, V_OCSP_CERTSTATUS_GOOD, BY_ISSUER, -86400 * 3, -86400, 0, 0, X509_REV_UNKNOWN,
     "stale"},
    {"from the future", 1, 0, V_OCSP_CERTSTATUS_GOOD, BY_ISSUER, 86400, 2 * 86400, 0, 0,
     X509_REV_UNKNOWN, "not yet valid"},
    {"about another certificate", 1, 0, V_OCSP_CERTSTATUS_GOOD, BY_ISSUER, -3600, 86400, 1, 0,
     X509_REV_UNKNOWN, "is about another certificate (serial "},
    {"unauthorized", 1, OCSP_RESPONSE_STATUS_UNAUTHORIZED, 0, BY_ISSUER, 0, 0, 0, 0,
     X509_REV_UNKNOWN, "unauthorized"},
    {"tryLater", 1, OCSP_RESPONSE_STATUS_TRYLATER, 0, BY_ISSUER, 0, 0, 0, 0, X509_REV_UNKNOWN,
     "trylater"},
    {"garbage", 1, 0, 0, BY_ISSUER, 0, 0, 0, 1, X509_REV_UNKNOWN, "not an OCSP response"},
    {"unreachable", -1, 0, 0, BY_ISSUER, 0, 0, 0, 0, X509_REV_UNKNOWN, "not reached"},
    {"never asked", 0, 0, 0, BY_ISSUER, 0, 0, 0, 0, X509_REV_UNKNOWN, "not asked"},
    /* Appended: the tests below pick cases by index. */
    {"no single response", 1, 0, V_OCSP_CERTSTATUS_GOOD, BY_ISSUER, -3600, 86400, 2, 0,
     X509_REV_UNKNOWN, "says nothing about this certificate"},
};

/* The DER of the response c describes, about cert issued by inter. */
static unsigned char *build_response(const struct response_case *c, X509 *cert, int *len)
{
	OCSP_BASICRESP *bs = NULL;
	if (c->resp_status == OCSP_RESPONSE_STATUS_SUCCESSFUL) {
		bs = OCSP_BASICRESP_new();
		OCSP_CERTID *id =
		    OCSP_cert_to_id(EVP_sha1(), c->about_other ? leaf_noaia : cert, inter);
		ASN1_TIME *thisupd = X509_gmtime_adj(NULL, c->this_s);
		ASN1_TIME *nextupd = c->next_s ? X509_gmtime_adj(NULL, c->next_s) : NULL;
		ASN1_TIME *revt = X509_gmtime_adj(NULL, -7200);
		if (c->about_other != 2)
			OCSP_basic_add1_status(bs, id, c->cert_status,
					       c->cert_status == V_OCSP_CERTSTATUS_REVOKED
						   ? OCSP_REVOKED_STATUS_KEYCOMPROMISE
						   : -1,
					       c->cert_status == V_OCSP_CERTSTATUS_REVOKED ? revt
											   : NULL,
					       thisupd, nextupd);
		X509 *signer = c->signer == BY_ISSUER		? inter
			       : c->signer == BY_DELEGATE	? delegated
			       : c->signer == BY_DELEGATE_NOEKU ? delegated_noeku
								: other_root;
		EVP_PKEY *key = c->signer == BY_ISSUER	   ? k_inter
				: c->signer == BY_STRANGER ? k_other
							   : k_resp;
		assert_int_equal(OCSP_basic_sign(bs, signer, key, EVP_sha256(), NULL, 0), 1);
		OCSP_CERTID_free(id);
		ASN1_TIME_free(thisupd);
		ASN1_TIME_free(nextupd);
		ASN1_TIME_free(revt);
	}
	OCSP_RESPONSE *resp = OCSP_response_create(c->resp_status, bs);
	unsigned char *der = NULL;
	*len = i2d_OCSP_RESPONSE(resp, &der);
	OCSP_RESPONSE_free(resp);
	OCSP_BASICRESP_free(bs);
	return der;
}

static void record_response(struct evidence *ev, const struct response_case *c, X509 *cert)
{
	if (c->fetched == 0)
		return;
	struct der_fetch *f = evidence_der_add(&ev->ocsp);
	f->url = ocsp_request_url(cert, inter);
	f->fetched_ms = tp_now_ms();
	if (c->fetched < 0) {
		f->error = xstrdup("Failed to connect to ocsp.test port 80: Connection refused");
		return;
	}
	f->ok = 1;
	f->http_status = 200;
	if (c->garbage) {
		f->der = (unsigned char *)xstrdup("<html>not here</html>");
		f->len = strlen((char *)f->der);
		return;
	}
	int len;
	unsigned char *der = build_response(c, cert, &len);
	f->der = xmemdup(der, (size_t)len);
	f->len = (size_t)len;
	OPENSSL_free(der);
}

static void test_responses(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct response_case *c = &cases[i];
		struct evidence *ev = evidence_new("example.test");
		record_response(ev, c, leaf_nocdp);
		STACK_OF(X509) *extra = sk_X509_new_null();
		sk_X509_push(extra, inter);
		if (c->signer != BY_ISSUER)
			sk_X509_push(extra, c->signer == BY_DELEGATE	     ? delegated
					    : c->signer == BY_DELEGATE_NOEKU ? delegated_noeku
									     : other_root);
		char why[X509_WHY_MAX] = "";
		json_t *d = NULL;
		enum x509_revocation r =
		    ocsp_status(ev, leaf_nocdp, inter, extra, time(NULL), why, sizeof why, &d);
		print_message("%-32s %d %s\n", c->name, r, why);
		assert_int_equal(r, c->want);
		assert_non_null(strstr(why, c->why));
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "responder")), RESPONDER);
		assert_string_equal(json_string_value(json_object_get(d, "status")),
				    r == X509_REV_GOOD	    ? "good"
				    : r == X509_REV_REVOKED ? "revoked"
							    : "unknown");
		json_decref(d);
		sk_X509_free(extra);
		evidence_free(ev);
	}
}

static void test_no_responder(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.test");
	char why[X509_WHY_MAX];
	json_t *d = (json_t *)1;
	assert_int_equal(ocsp_status(ev, leaf_noaia, inter, NULL, time(NULL), why, sizeof why, &d),
			 X509_REV_UNKNOWN);
	assert_null(d);
	assert_string_equal(why, "no OCSP responder");
	/* Issuer unknown: nothing could be asked, said as such. */
	assert_int_equal(ocsp_status(ev, leaf, NULL, NULL, time(NULL), why, sizeof why, &d),
			 X509_REV_UNKNOWN);
	assert_non_null(strstr(why, "issuer"));
	json_decref(d);
	evidence_free(ev);
}

/* ---- OCSP and CRLs together in the x509 verdict ---- */

static void judge_leaf(X509 *cert, X509_CRL *crl, int ocsp_case, struct x509_judgement *j)
{
	struct evidence *ev = evidence_new("example.test");
	X509 *chain[] = {cert, inter};
	struct smtp_probe *p =
	    tp_probe_tls(ev, "mx.example.test", "192.0.2.1", "TLSv1.3", chain, 2);
	if (crl)
		tp_crl_fetch(ev, CRL_INTER, crl, 1, NULL);
	if (ocsp_case >= 0)
		record_response(ev, &cases[ocsp_case], cert);
	x509_judge(ev, p, time(NULL), j);
	evidence_free(ev);
}

static void test_combined_with_crls(void **state)
{
	(void)state;
	long serial = 100;
	X509_CRL *clean = tp_crl(inter, k_inter, NULL, 0, -1, 7);
	X509_CRL *listing = tp_crl(inter, k_inter, &serial, 1, -1, 7);
	struct x509_judgement j;

	/* No CDP, OCSP good: OCSP alone vouches. */
	judge_leaf(leaf_nocdp, NULL, 0, &j);
	assert_int_equal(j.revocation, X509_REV_GOOD);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j.detail, "ocsp"), "status")),
	    "good");
	json_decref(j.detail);

	/* No CDP, OCSP revoked: revoked, and the certificate is not valid. */
	judge_leaf(leaf_nocdp, NULL, 2, &j);
	assert_int_equal(j.revocation, X509_REV_REVOKED);
	assert_non_null(strstr(j.why, "revoked"));
	json_decref(j.detail);

	/* CRL clean but OCSP revoked: revoked wins. */
	judge_leaf(leaf, clean, 2, &j);
	assert_int_equal(j.revocation, X509_REV_REVOKED);
	json_decref(j.detail);

	/* CRL lists it, OCSP says good: revoked wins. */
	judge_leaf(leaf, listing, 0, &j);
	assert_int_equal(j.revocation, X509_REV_REVOKED);
	json_decref(j.detail);

	/* CRL not fetched, OCSP unreachable: unknown, with both reasons. */
	judge_leaf(leaf, NULL, 13, &j);
	assert_int_equal(j.revocation, X509_REV_UNKNOWN);
	assert_non_null(strstr(j.revocation_why, "CRL"));
	assert_non_null(strstr(j.revocation_why, "OCSP: responder not reached"));
	json_decref(j.detail);

	/* CRL clean, OCSP unreachable: good (one source vouches). */
	judge_leaf(leaf, clean, 13, &j);
	assert_int_equal(j.revocation, X509_REV_GOOD);
	json_decref(j.detail);

	/* No AIA: as before OCSP, no "ocsp" member. */
	judge_leaf(leaf_noaia, NULL, -1, &j);
	assert_null(json_object_get(j.detail, "ocsp"));
	json_decref(j.detail);

	X509_CRL_free(clean);
	X509_CRL_free(listing);
}

/* The responses survive the evidence's JSON form, so a stored campaign re-judges the same way. */
static void test_evidence_round_trip(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.test");
	record_response(ev, &cases[2], leaf_nocdp);
	record_response(ev, &cases[13], leaf);
	json_t *j = evidence_to_json(ev);
	char err[200];
	struct evidence *back = evidence_from_json(j, err, sizeof err);
	assert_non_null(back);
	assert_int_equal(back->ocsp.n, 2);
	assert_int_equal(back->ocsp.v[0].len, ev->ocsp.v[0].len);
	assert_memory_equal(back->ocsp.v[0].der, ev->ocsp.v[0].der, ev->ocsp.v[0].len);
	assert_string_equal(back->ocsp.v[1].error, ev->ocsp.v[1].error);
	char why[X509_WHY_MAX];
	json_t *d;
	assert_int_equal(
	    ocsp_status(back, leaf_nocdp, inter, NULL, time(NULL), why, sizeof why, &d),
	    X509_REV_REVOKED);
	json_decref(d);
	json_decref(j);
	evidence_free(ev);
	evidence_free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_request_url_form),
	    cmocka_unit_test(test_request_urls_from_evidence),
	    cmocka_unit_test(test_responses),
	    cmocka_unit_test(test_no_responder),
	    cmocka_unit_test(test_combined_with_crls),
	    cmocka_unit_test(test_evidence_round_trip),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
