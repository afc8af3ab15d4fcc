/* fuzz_x509.c — the X.509, CRL and OCSP judgement paths (checks/x509.c, checks/ocsp.c) over what
 * a server and the revocation endpoints send: the chain's DER, the CRL body and the OCSP
 * response. The input is fields separated by "\n--\n":
 *   0 flags (first byte): 1 no intermediate, 2 the CRL fetch failed, 4 no OCSP response,
 *     8 the root sent too, 16 the leaf sent twice
 *   1 the leaf's DER            (empty: the fixture leaf of tests/fuzz/pki)
 *   2 the intermediate's DER    (empty: the fixture intermediate)
 *   3 the CRL body              (empty: the fixture CRL)
 *   4 the OCSP response body    (empty: the fixture response for the leaf)
 *   5 the MX host name judged   (a C string, NUL-terminated here; empty: mx.example.test)
 * The bodies are recorded as the daemon records them (exact-size copies), for every CRL and OCSP
 * URL the chain names; the chain is judged against the fixture root at a fixed time inside the
 * fixtures' validity, directly and through the checks that read chains (x509, dane). The fixtures are read from
 * $MXS_FUZZ_PKI (default tests/fuzz/pki, relative to the repository root). */
#include <stdio.h>

#include <openssl/pem.h>

#include "checks/check.h"
#include "checks/dane.h"
#include "checks/mx.h"
#include "checks/ocsp.h"
#include "checks/result.h"
#include "checks/smtp_reply.h"
#include "checks/starttls.h"
#include "checks/x509.h"
#include "common/xalloc.h"
#include "tests/fuzz/fuzz.h"

struct blob {
	unsigned char *p;
	size_t n;
};

static struct blob fx_leaf, fx_inter, fx_root, fx_crl, fx_ocsp;
static time_t judge_at;

static struct blob fuzz_read(const char *dir, const char *name)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "fuzz_x509: cannot open %s (run from the repository root, or set "
				"MXS_FUZZ_PKI)\n", path);
		abort();
	}
	struct blob b = {xmalloc(1 << 16), 0};
	b.n = fread(b.p, 1, 1 << 16, f);
	fclose(f);
	return b;
}

static X509 *fuzz_d2i(const struct blob *b)
{
	const unsigned char *p = b->p;
	X509 *x = d2i_X509(NULL, &p, (long)b->n);
	if (x == NULL)
		abort();
	return x;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	const char *dir = getenv("MXS_FUZZ_PKI");
	if (dir == NULL)
		dir = "tests/fuzz/pki";
	fx_leaf = fuzz_read(dir, "leaf.der");
	fx_inter = fuzz_read(dir, "inter.der");
	fx_crl = fuzz_read(dir, "inter.crl");
	fx_ocsp = fuzz_read(dir, "leaf.ocsp");
	struct blob pem = fuzz_read(dir, "root.pem");
	BIO *bio = BIO_new_mem_buf(pem.p, (int)pem.n);
	X509 *root = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	free(pem.p);
	if (root == NULL)
		abort();
	unsigned char *der = NULL;
	int len = i2d_X509(root, &der);
	fx_root.p = xmemdup(der, (size_t)len);
	fx_root.n = (size_t)len;
	OPENSSL_free(der);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, root);
	X509_free(root);
	x509_set_trust(store); /* kept for the process */

	/* One day into the leaf's validity: inside every fixture's dates. */
	X509 *leaf = fuzz_d2i(&fx_leaf);
	struct tm tm;
	if (ASN1_TIME_to_tm(X509_get0_notBefore(leaf), &tm) != 1)
		abort();
	judge_at = timegm(&tm) + 86400;
	X509_free(leaf);
	return 0;
}

/* The field, or the fixture when it is empty. */
static struct blob pick(const uint8_t *p, size_t n, const struct blob *fixture)
{
	if (n == 0)
		return *fixture;
	return (struct blob){(unsigned char *)(uintptr_t)p, n};
}

static void add_cert(struct smtp_probe *p, const struct blob *b)
{
	/* smtp_probe_add_cert copies exactly n bytes, as the session records a certificate. */
	smtp_probe_add_cert(p, b->p, b->n);
}

static void record(struct der_list *l, char **urls, size_t n, const struct blob *body, int ok)
{
	for (size_t i = 0; i < n; i++) {
		struct der_fetch *f = evidence_der_add(l);
		f->url = urls[i];
		f->fetched_ms = (long long)judge_at * 1000;
		f->ok = ok;
		f->http_status = ok ? 200 : 503;
		if (ok) {
			f->der = (unsigned char *)fuzz_dup(body->p, body->n);
			f->len = body->n;
		} else {
			f->error = xstrdup("HTTP 503");
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	struct fuzz_in in = {data, size};
	size_t n[6];
	const uint8_t *f[6];
	for (int i = 0; i < 6; i++)
		f[i] = fuzz_field(&in, &n[i]);
	unsigned flags = n[0] ? f[0][0] : 0;
	struct blob leaf = pick(f[1], n[1], &fx_leaf), inter = pick(f[2], n[2], &fx_inter);
	struct blob crl = pick(f[3], n[3], &fx_crl), resp = pick(f[4], n[4], &fx_ocsp);
	char *host = n[5] ? fuzz_str(f[5], n[5]) : xstrdup("mx.example.test");

	struct evidence *ev = evidence_new("example.test");
	ev->started_ms = (long long)judge_at * 1000;
	struct dns_answer *a = evidence_dns_slot(ev, "example.test", DNS_TYPE_MX);
	a->status = DNS_STATUS_OK;
	dns_answer_add(a, DNS_TYPE_MX, host, NULL, 0)->pref = 10;
	a = evidence_dns_slot(ev, host, DNS_TYPE_A);
	a->status = DNS_STATUS_OK;
	dns_answer_add(a, DNS_TYPE_A, "192.0.2.25", NULL, 0);
	a = evidence_dns_slot(ev, host, DNS_TYPE_AAAA);
	a->status = DNS_STATUS_NODATA;

	struct smtp_probe *p = evidence_smtp_add(ev);
	p->host = xstrdup(host);
	p->address = xstrdup("192.0.2.25");
	p->port = 25;
	p->started_ms = (long long)judge_at * 1000;
	p->attempts = 1;
	p->stage = SMTP_STAGE_DONE;
	p->banner_code = 220;
	p->ehlo_code = 250;
	p->ext = SMTP_EXT_STARTTLS;
	p->starttls_code = 220;
	p->tls = 1;
	p->tls_version = xstrdup("TLSv1.3");
	add_cert(p, &leaf);
	if (flags & 16)
		add_cert(p, &leaf);
	if (!(flags & 1))
		add_cert(p, &inter);
	if (flags & 8)
		add_cert(p, &fx_root);

	char *urls[X509_CRL_URLS_MAX + OCSP_URLS_MAX];
	size_t nu = x509_crl_urls(ev, urls, X509_CRL_URLS_MAX);
	record(&ev->crl, urls, nu, &crl, !(flags & 2));
	if (!(flags & 4)) {
		nu = ocsp_request_urls(ev, urls, OCSP_URLS_MAX);
		record(&ev->ocsp, urls, nu, &resp, 1);
	}

	struct x509_judgement j;
	x509_judge(ev, &ev->smtp[0], judge_at, &j);
	json_decref(j.detail);

	/* The checks that read the chain, in registry order (x509 and dane read starttls' rows). */
	struct result *res = result_new(ev->domain);
	check_mx.evaluate(ev, res);
	check_starttls.evaluate(ev, res);
	check_x509.evaluate(ev, res);
	check_dane.evaluate(ev, res);
	result_free(res);
	evidence_free(ev);
	free(host);
	return 0;
}
