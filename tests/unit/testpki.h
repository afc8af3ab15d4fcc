/* testpki.h — test fixtures for the transport checks: a small PKI built with OpenSSL at run time
 * (root, intermediate, leaves with SANs and CRL distribution points, CRLs), and helpers that put
 * MX/A/TLSA answers, SMTP probes and CRL fetches into a struct evidence. Header-only, static:
 * included by test_x509.c, test_dane.c and test_starttls.c. */
#ifndef MXS_TESTPKI_H
#define MXS_TESTPKI_H

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "checks/evidence.h"
#include "checks/smtp_evidence.h"
#include "checks/smtp_reply.h"
#include "common/xalloc.h"

#define TP_UNUSED __attribute__((unused))

static TP_UNUSED EVP_PKEY *tp_key(void)
{
	return EVP_EC_gen("P-256");
}

static TP_UNUSED void tp_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (e) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
}

/* A certificate for key, signed by issuer/ikey (self-signed when issuer is NULL). san: the
 * subjectAltName value ("DNS:a,DNS:b") or NULL; cdp: a CRL URL or NULL; validity in days from
 * now. */
static TP_UNUSED X509 *tp_cert(const char *cn, const char *san, X509 *issuer, EVP_PKEY *ikey,
			       EVP_PKEY *key, int ca, long nb_days, long na_days, const char *cdp,
			       long serial)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), nb_days * 86400);
	X509_gmtime_adj(X509_getm_notAfter(x), na_days * 86400);
	X509_set_pubkey(x, key);
	X509_NAME *n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : n);
	if (ca) {
		tp_ext(x, issuer, NID_basic_constraints, "critical,CA:TRUE");
		tp_ext(x, issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		tp_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
		tp_ext(x, issuer, NID_ext_key_usage, "serverAuth");
	}
	tp_ext(x, issuer, NID_subject_key_identifier, "hash");
	if (issuer)
		tp_ext(x, issuer, NID_authority_key_identifier, "keyid:always");
	if (san)
		tp_ext(x, issuer, NID_subject_alt_name, san);
	if (cdp) {
		char v[300];
		snprintf(v, sizeof v, "URI:%s", cdp);
		tp_ext(x, issuer, NID_crl_distribution_points, v);
	}
	X509_sign(x, ikey ? ikey : key, EVP_sha256());
	return x;
}

/* A CRL of issuer listing the given serials, valid from last_days to next_days (from now). */
static TP_UNUSED X509_CRL *tp_crl(X509 *issuer, EVP_PKEY *ikey, const long *serials, size_t n,
				  long last_days, long next_days)
{
	X509_CRL *crl = X509_CRL_new();
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer));
	ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), (int)last_days, 0);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_free(t);
	t = ASN1_TIME_adj(NULL, time(NULL), (int)next_days, 0);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	for (size_t i = 0; i < n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		ASN1_INTEGER *s = ASN1_INTEGER_new();
		ASN1_INTEGER_set(s, serials[i]);
		X509_REVOKED_set_serialNumber(r, s);
		ASN1_INTEGER_free(s);
		t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
		X509_REVOKED_set_revocationDate(r, t);
		ASN1_TIME_free(t);
		X509_CRL_add0_revoked(crl, r);
	}
	X509_CRL_sort(crl);
	X509_CRL_sign(crl, ikey, EVP_sha256());
	return crl;
}

static TP_UNUSED long long tp_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* An answer (name, type) with status, dnssec and up to 8 texts (NULL-terminated). */
static TP_UNUSED struct dns_answer *tp_answer(struct evidence *ev, const char *name, uint16_t type,
					      enum dns_status st, enum dnssec_status sec,
					      const char *const *texts)
{
	struct dns_answer *a = evidence_dns_slot(ev, name, type);
	a->status = st;
	a->dnssec = sec;
	a->rcode = st == DNS_STATUS_NXDOMAIN ? 3 : st == DNS_STATUS_SERVFAIL ? 2 : 0;
	for (size_t i = 0; texts && texts[i]; i++) {
		struct dns_rdata *r = dns_answer_add(a, type, type == DNS_TYPE_MX ? NULL : texts[i],
						     NULL, 0);
		if (type == DNS_TYPE_MX) {
			char host[256];
			unsigned pref;
			if (sscanf(texts[i], "%u %255s", &pref, host) == 2) {
				r->text = xstrdup(host);
				r->pref = (uint16_t)pref;
			}
		}
	}
	return a;
}

/* A TLSA record for cert (selector 0: whole DER, 1: SPKI; mtype 0: full, 1: SHA-256, 2: SHA-512). */
static TP_UNUSED void tp_tlsa(struct dns_answer *a, X509 *cert, int usage, int selector, int mtype)
{
	unsigned char *der = NULL, md[EVP_MAX_MD_SIZE];
	int len = selector ? i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der) : i2d_X509(cert, &der);
	unsigned mdlen = (unsigned)len;
	const unsigned char *data = der;
	if (mtype) {
		EVP_Digest(der, (size_t)len, md, &mdlen, mtype == 1 ? EVP_sha256() : EVP_sha512(),
			   NULL);
		data = md;
	}
	struct dns_rdata *r = dns_answer_add(a, DNS_TYPE_TLSA, NULL, data, mdlen);
	r->usage = (uint8_t)usage;
	r->selector = (uint8_t)selector;
	r->mtype = (uint8_t)mtype;
	OPENSSL_free(der);
}

/* A probe of (host, addr) that completed STARTTLS with version and chain[0..n). */
static TP_UNUSED struct smtp_probe *tp_probe_tls(struct evidence *ev, const char *host,
						 const char *addr, const char *version,
						 X509 *const *chain, size_t n)
{
	struct smtp_probe *p = evidence_smtp_add(ev);
	p->host = xstrdup(host);
	p->address = xstrdup(addr);
	p->port = 25;
	p->started_ms = tp_now_ms();
	p->attempts = 1;
	p->stage = SMTP_STAGE_DONE;
	p->banner_code = 220;
	p->banner = xstrdup("220 mx ESMTP");
	p->ehlo_code = 250;
	p->ext = SMTP_EXT_STARTTLS | SMTP_EXT_PIPELINING;
	p->starttls_code = 220;
	p->tls = 1;
	p->tls_version = xstrdup(version);
	p->tls_cipher = xstrdup("TLS_AES_256_GCM_SHA384");
	p->tls_group = xstrdup("X25519");
	p->ehlo_tls_code = 250;
	p->quit_code = 221;
	for (size_t i = 0; i < n; i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(chain[i], &der);
		smtp_probe_add_cert(p, der, (size_t)len);
		OPENSSL_free(der);
	}
	return p;
}

static TP_UNUSED void tp_crl_fetch(struct evidence *ev, const char *url, X509_CRL *crl, int ok,
				   const char *error)
{
	struct der_fetch *c = evidence_der_add(&ev->crl);
	c->url = xstrdup(url);
	c->fetched_ms = tp_now_ms();
	c->ok = ok;
	c->http_status = ok ? 200 : 0;
	c->error = error ? xstrdup(error) : NULL;
	if (crl) {
		unsigned char *der = NULL;
		int len = i2d_X509_CRL(crl, &der);
		c->der = xmemdup(der, (size_t)len);
		c->len = (size_t)len;
		OPENSSL_free(der);
	}
}

#endif
