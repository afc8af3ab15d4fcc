/* x509.c — the X.509 check: chain, name, dates and revocation of every certificate chain recorded
 * by the SMTP probes, per (MX host, address); MECSA's x509 percentage (reference spec §3.2, §4.1)
 * and a domain verdict kept apart from STARTTLS and DANE. Pure: OpenSSL is used on recorded DER
 * only; the trust store is borrowed from the daemon (or a test). */
#include "checks/x509.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/ocsp.h"
#include "checks/smtp_evidence.h"
#include "checks/starttls.h"
#include "checks/urlpin.h"
#include "common/dname.h"
#include "common/hash.h"
#include "common/xalloc.h"

static X509_STORE *x509_store; /* borrowed: see x509_set_trust */

static void x509_verdicts_clear(void);

void x509_set_trust(X509_STORE *store)
{
	x509_store = store;
	x509_verdicts_clear(); /* a verdict holds only for the anchors it was reached with */
}

X509_STORE *x509_trust(void)
{
	return x509_store;
}

time_t x509_probe_time(const struct evidence *ev, const struct smtp_probe *p)
{
	if (p && p->started_ms > 0)
		return (time_t)(p->started_ms / 1000);
	if (ev && ev->started_ms > 0)
		return (time_t)(ev->started_ms / 1000);
	return time(NULL);
}

/* ---- small helpers ---- */

/* SHA-256, fetched from the provider once: EVP_sha256() makes OpenSSL 3 look the algorithm up
 * again on every digest, which cost more than hashing a certificate. Kept for the process. */
static const EVP_MD *x509_sha256(void)
{
	static EVP_MD *md;
	if (md == NULL)
		md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	return md ? md : EVP_sha256();
}

/* Decoding is OpenSSL 3's most expensive step here (a provider decoder per public key), and
 * the same chains come back for every domain of a hosting operator (the probe cache) and for
 * every planning round: decoded certificates are kept, found by a cheap tag and confirmed by
 * comparing the DER itself, so that a lookup costs a memcmp rather than a digest (planning,
 * DANE, OCSP and judging look each certificate up about fourteen times per domain). The cache
 * does not change any answer; it is bounded (X509_MEMO_SLOTS, direct-mapped). */
#define X509_MEMO_SLOTS 4096
#define X509_MEMO_DER_MAX (16 * 1024) /* larger ones (real ones are 1-4 KB) are not kept */
struct x509_memo {
	uint64_t tag;		/* x509_der_tag of der */
	unsigned char *der;	/* owned: the certificate as recorded */
	size_t len;		/* its length */
	X509 *x;		/* owned (one reference) */
	unsigned char sha[32];	/* SHA-256 of der, once have_sha */
	int have_sha;
};
static struct x509_memo x509_memo[X509_MEMO_SLOTS];

/* A hash of the length and the last 32 bytes: the signature value ends a certificate, so two
 * different certificates almost never share them, and a shared tag costs only a memcmp. */
static uint64_t x509_der_tag(const unsigned char *der, size_t len)
{
	size_t from = len > 32 ? len - 32 : 0;
	return hash_fnv1a64(HASH_FNV1A64_BASIS ^ (uint64_t)len, der + from, len - from);
}

static struct x509_memo *x509_memo_find(const struct smtp_cert *c, uint64_t tag)
{
	struct x509_memo *m = &x509_memo[tag % X509_MEMO_SLOTS];
	if (m->x && m->tag == tag && m->len == c->len && memcmp(m->der, c->der, c->len) == 0)
		return m;
	return NULL;
}

X509 *x509_cert_decode(const struct smtp_cert *c)
{
	const unsigned char *p = c->der;
	if (c->len == 0 || c->len > 1024 * 1024)
		return NULL;
	if (c->len > X509_MEMO_DER_MAX)
		return d2i_X509(NULL, &p, (long)c->len);
	uint64_t tag = x509_der_tag(c->der, c->len);
	struct x509_memo *m = x509_memo_find(c, tag);
	if (m) {
		X509_up_ref(m->x);
		return m->x;
	}
	X509 *x = d2i_X509(NULL, &p, (long)c->len);
	if (x == NULL)
		return NULL;
	m = &x509_memo[tag % X509_MEMO_SLOTS];
	X509_free(m->x);
	free(m->der);
	m->tag = tag;
	m->der = xmemdup(c->der, c->len);
	m->len = c->len;
	m->x = x;
	m->have_sha = 0;
	X509_up_ref(x);
	return x;
}

int x509_cert_sha256(const struct smtp_cert *c, unsigned char out[32])
{
	struct x509_memo *m = c->len && c->len <= X509_MEMO_DER_MAX
				      ? x509_memo_find(c, x509_der_tag(c->der, c->len))
				      : NULL;
	if (m && m->have_sha) {
		memcpy(out, m->sha, 32);
		return 1;
	}
	unsigned int n = 0;
	if (!EVP_Digest(c->der, c->len, out, &n, x509_sha256(), NULL) || n != 32)
		return 0;
	if (m) {
		memcpy(m->sha, out, 32);
		m->have_sha = 1;
	}
	return 1;
}

/* Path validation (X509_verify_cert) is the other costly step: one signature verification per
 * link, for the same few chains over and over. Its outcome depends only on the leaf and the
 * intermediates given to it, the trust anchors and the fixed parameters below (time is not
 * checked here, see x509_verify), so it is kept for that list of certificates together with
 * the chain as built. The list is compared by identity: the decoding memo hands out one X509
 * per distinct DER, and a slot holds references to its certificates, so an address cannot be
 * reused for another certificate while it is remembered (a certificate decoded twice is only a
 * miss). Bounded (X509_VERDICT_SLOTS, direct-mapped) and emptied whenever the anchors change. */
#define X509_VERDICT_SLOTS 1024
struct x509_verdict {
	STACK_OF(X509) *sent;  /* owned: the leaf, then the intermediates given (NULL: unused) */
	int ok;		       /* X509_verify_cert said 1 */
	int err;	       /* X509_STORE_CTX_get_error */
	STACK_OF(X509) *built; /* owned: the chain as built (may be NULL) */
};
static struct x509_verdict x509_verdicts[X509_VERDICT_SLOTS];

static void x509_verdicts_clear(void)
{
	for (size_t i = 0; i < X509_VERDICT_SLOTS; i++) {
		sk_X509_pop_free(x509_verdicts[i].sent, X509_free);
		sk_X509_pop_free(x509_verdicts[i].built, X509_free);
		memset(&x509_verdicts[i], 0, sizeof x509_verdicts[i]);
	}
}

static size_t x509_verdict_slot(X509 *leaf, STACK_OF(X509) *untrusted)
{
	uint64_t h = hash_fnv1a64(HASH_FNV1A64_BASIS, &leaf, sizeof leaf);
	for (int i = 0; i < sk_X509_num(untrusted); i++) {
		X509 *x = sk_X509_value(untrusted, i);
		h = hash_fnv1a64(h, &x, sizeof x);
	}
	return (size_t)(h % X509_VERDICT_SLOTS);
}

static int x509_verdict_same(const struct x509_verdict *v, X509 *leaf, STACK_OF(X509) *untrusted)
{
	int n = sk_X509_num(untrusted);
	if (v->sent == NULL || sk_X509_num(v->sent) != n + 1 || sk_X509_value(v->sent, 0) != leaf)
		return 0;
	for (int i = 0; i < n; i++)
		if (sk_X509_value(v->sent, i + 1) != sk_X509_value(untrusted, i))
			return 0;
	return 1;
}

static STACK_OF(X509) *x509_chain_dup(STACK_OF(X509) *sk)
{
	return sk ? X509_chain_up_ref(sk) : NULL;
}

/* Chain p's leaf to a trust anchor with only the intermediates sent; *built gets a new chain (or
 * NULL), *err OpenSSL's reason. Dates are judged separately by the caller (spec §6 #11). */
static int x509_verify(X509 *leaf, STACK_OF(X509) *untrusted, int *err, STACK_OF(X509) **built)
{
	struct x509_verdict *v = &x509_verdicts[x509_verdict_slot(leaf, untrusted)];
	if (x509_verdict_same(v, leaf, untrusted)) {
		*err = v->err;
		*built = x509_chain_dup(v->built);
		return v->ok;
	}
	X509_STORE *empty = x509_store ? NULL : X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, x509_store ? x509_store : empty, leaf, untrusted);
	X509_VERIFY_PARAM *vp = X509_STORE_CTX_get0_param(ctx);
	X509_VERIFY_PARAM_set_flags(vp, X509_V_FLAG_NO_CHECK_TIME);
	X509_VERIFY_PARAM_set_depth(vp, 16);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	int ok = X509_verify_cert(ctx) == 1;
	*err = X509_STORE_CTX_get_error(ctx);
	*built = X509_STORE_CTX_get1_chain(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(empty);
	sk_X509_pop_free(v->sent, X509_free);
	sk_X509_pop_free(v->built, X509_free);
	v->sent = x509_chain_dup(untrusted); /* then the leaf in front: the list as given */
	if (v->sent && sk_X509_unshift(v->sent, leaf) > 0) {
		X509_up_ref(leaf);
	} else {
		sk_X509_pop_free(v->sent, X509_free); /* out of memory: do not remember */
		v->sent = NULL;
	}
	v->ok = ok;
	v->err = *err;
	v->built = v->sent ? x509_chain_dup(*built) : NULL;
	return ok;
}

/* Text from a certificate is the peer's: keep printable ASCII only (JSON needs UTF-8). */
static void x509_sanitise(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

static json_t *x509_name_json(const X509_NAME *name)
{
	BIO *b = BIO_new(BIO_s_mem());
	X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB);
	char buf[512];
	int n = BIO_read(b, buf, sizeof buf - 1);
	BIO_free(b);
	buf[n > 0 ? n : 0] = '\0';
	x509_sanitise(buf);
	return json_string(buf);
}

json_t *x509_time_json(const ASN1_TIME *t)
{
	struct tm tm;
	char buf[32];
	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return json_null();
	strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_string(buf);
}

static json_t *x509_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *s = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		s[2 * i] = digits[p[i] >> 4];
		s[2 * i + 1] = digits[p[i] & 15];
	}
	s[2 * n] = '\0';
	json_t *j = json_string(s);
	free(s);
	return j;
}

static json_t *x509_serial_json(X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	json_t *j = hex ? json_string(hex) : json_null();
	OPENSSL_free(hex);
	BN_free(bn);
	return j;
}

static json_t *x509_names_json(X509 *x)
{
	json_t *arr = json_array();
	GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens) && json_array_size(arr) < 32; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
		if (g->type != GEN_DNS)
			continue;
		const ASN1_STRING *s = g->d.dNSName;
		int n = ASN1_STRING_length(s);
		char buf[256];
		if (n < 0 || n >= (int)sizeof buf)
			n = sizeof buf - 1;
		memcpy(buf, ASN1_STRING_get0_data(s), (size_t)n);
		buf[n] = '\0';
		x509_sanitise(buf);
		json_array_append_new(arr, json_string(buf));
	}
	GENERAL_NAMES_free(gens);
	return arr;
}

static json_t *x509_key_json(X509 *x)
{
	EVP_PKEY *pk = X509_get0_pubkey(x);
	if (pk == NULL)
		return json_null();
	const char *type = EVP_PKEY_get0_type_name(pk);
	json_t *o = json_pack("{s:s, s:i}", "type", type ? type : "unknown", "bits",
			      EVP_PKEY_get_bits(pk));
	char group[80];
	size_t glen;
	if (EVP_PKEY_get_utf8_string_param(pk, "group", group, sizeof group, &glen) == 1)
		json_object_set_new(o, "group", json_string(group));
	return o;
}

/* Security level 2 over the chain as built (or the leaf alone): every key at least
 * X509_SECURITY_BITS strong, every signature too except a self-signed anchor's own, whose
 * signature nobody verifies (OpenSSL's check_key_level/check_sig_level). 1 when it holds, else 0
 * with the first problem in why. The probe itself runs at SECLEVEL 0, to see such chains. */
static int x509_key_level(X509 *leaf, STACK_OF(X509) *built, char *why, size_t len)
{
	int n = built ? sk_X509_num(built) : 1;
	for (int i = 0; i < n; i++) {
		X509 *x = built ? sk_X509_value(built, i) : leaf;
		EVP_PKEY *pk = X509_get0_pubkey(x);
		const char *what = i == 0 ? "leaf" : "chain certificate";
		if (pk == NULL) {
			snprintf(why, len, "%s %d: unreadable public key", what, i);
			return 0;
		}
		if (EVP_PKEY_get_security_bits(pk) < X509_SECURITY_BITS) {
			const char *type = EVP_PKEY_get0_type_name(pk);
			snprintf(why, len, "%s %d: %s key of %d bits (%d bits of security, level 2 needs %d)",
				 what, i, type ? type : "unknown", EVP_PKEY_get_bits(pk),
				 EVP_PKEY_get_security_bits(pk), X509_SECURITY_BITS);
			return 0;
		}
		if (i == n - 1 && i > 0 && X509_self_signed(x, 0) == 1)
			continue; /* the self-signed anchor: its signature is not relied upon */
		int mdnid = NID_undef, secbits = -1;
		uint32_t flags = 0;
		if (X509_get_signature_info(x, &mdnid, NULL, &secbits, &flags) != 1 ||
		    !(flags & X509_SIG_INFO_VALID) || secbits < X509_SECURITY_BITS) {
			const char *md = mdnid != NID_undef ? OBJ_nid2sn(mdnid) : NULL;
			snprintf(why, len, "%s %d: %s signature (level 2 needs %d bits)", what, i,
				 md ? md : "unknown", X509_SECURITY_BITS);
			return 0;
		}
	}
	return 1;
}

/* OpenSSL's reasons that mean the path stopped at a certificate whose issuer it could not find
 * among what was sent and the trust anchors: a missing intermediate (or an unknown root). */
static int x509_err_incomplete(int err)
{
	return err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT ||
	       err == X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY ||
	       err == X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE;
}

static json_t *x509_sig_json(X509 *x)
{
	int nid = X509_get_signature_nid(x);
	const char *ln = nid != NID_undef ? OBJ_nid2ln(nid) : NULL;
	return ln ? json_string(ln) : json_null();
}

/* The http(s) CRL distribution points of x, appended to out (deduplicated) up to max. */
static void x509_cdp_urls(X509 *x, char **out, size_t max, size_t *n)
{
	STACK_OF(DIST_POINT) *dps = X509_get_ext_d2i(x, NID_crl_distribution_points, NULL, NULL);
	for (int i = 0; dps && i < sk_DIST_POINT_num(dps); i++) {
		DIST_POINT *dp = sk_DIST_POINT_value(dps, i);
		if (dp->distpoint == NULL || dp->distpoint->type != 0)
			continue;
		GENERAL_NAMES *names = dp->distpoint->name.fullname;
		for (int k = 0; k < sk_GENERAL_NAME_num(names); k++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(names, k);
			if (g->type != GEN_URI)
				continue;
			const ASN1_STRING *u = g->d.uniformResourceIdentifier;
			int len = ASN1_STRING_length(u);
			const char *s = (const char *)ASN1_STRING_get0_data(u);
			/* LDAP and other schemes are not fetched; absurd lengths are noise. */
			if (len < 8 || len > 1024 || memchr(s, '\0', (size_t)len) ||
			    (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0))
				continue;
			char *url = xstrndup(s, (size_t)len);
			x509_sanitise(url);
			int dup = 0;
			for (size_t j = 0; j < *n; j++)
				dup |= strcmp(out[j], url) == 0;
			if (dup || *n >= max)
				free(url);
			else
				out[(*n)++] = url;
		}
	}
	sk_DIST_POINT_pop_free(dps, DIST_POINT_free);
}

size_t x509_crl_urls(const struct evidence *ev, char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ev->n_smtp; i++) {
		const struct smtp_probe *p = &ev->smtp[i];
		if (!p->tls)
			continue;
		/* The leaf and what the server sent as intermediates (not the last, often a
		 * root; its CDP, if any, is harmless to fetch but rarely useful). */
		for (size_t k = 0; k < p->chain_len && k < 4; k++) {
			X509 *x = x509_cert_decode(&p->chain[k]);
			if (x)
				x509_cdp_urls(x, out, max, &n);
			X509_free(x);
		}
	}
	return n;
}

/* Ask for the addresses of the hosts of urls (freeing them), so that the daemon can fetch them
 * through the scanner's resolver rather than the system's. */
static void x509_plan_hosts(const struct evidence *ev, char **urls, size_t nu,
			    struct dns_question *q, size_t max, size_t *n)
{
	for (size_t i = 0; i < nu; i++) {
		char host[DNAME_MAX];
		unsigned port;
		if (url_host(urls[i], host, sizeof host, &port) == URL_HOST_NAME) {
			check_plan_ask(ev, q, max, n, host, DNS_TYPE_A, 0);
			check_plan_ask(ev, q, max, n, host, DNS_TYPE_AAAA, 0);
		}
		free(urls[i]);
	}
}

static size_t x509_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	char *urls[X509_CRL_URLS_MAX > OCSP_URLS_MAX ? X509_CRL_URLS_MAX : OCSP_URLS_MAX];
	size_t n = 0;
	x509_plan_hosts(ev, urls, x509_crl_urls(ev, urls, X509_CRL_URLS_MAX), q, max, &n);
	x509_plan_hosts(ev, urls, ocsp_request_urls(ev, urls, OCSP_URLS_MAX), q, max, &n);
	return n;
}

/* ---- revocation ---- */

static X509_CRL *x509_crl_decode(const struct der_fetch *c)
{
	const unsigned char *p = c->der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)c->len);
	if (crl)
		return crl;
	/* Some servers publish PEM at the URL. */
	BIO *b = BIO_new_mem_buf(c->der, (int)c->len);
	crl = PEM_read_bio_X509_CRL(b, NULL, NULL, NULL);
	BIO_free(b);
	return crl;
}

/* One CRL's word on cert: GOOD/REVOKED when the CRL is the issuer's, signed by it and current. */
static enum x509_revocation x509_crl_says(const struct der_fetch *c, X509 *cert, X509 *issuer,
					  time_t t, char *why, size_t len)
{
	if (!c->ok || c->der == NULL) {
		snprintf(why, len, "CRL %.100s not fetched: %.80s", c->url,
			 c->error ? c->error : "no body");
		return X509_REV_UNKNOWN;
	}
	X509_CRL *crl = x509_crl_decode(c);
	enum x509_revocation r = X509_REV_UNKNOWN;
	if (crl == NULL) {
		snprintf(why, len, "CRL %.120s is not a CRL", c->url);
	} else if (X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_issuer_name(cert)) != 0) {
		snprintf(why, len, "CRL %.120s is from another issuer", c->url);
	} else if (issuer == NULL || X509_CRL_verify(crl, X509_get0_pubkey(issuer)) != 1) {
		snprintf(why, len, "CRL %.120s: signature not verified by the issuer", c->url);
	} else if (X509_cmp_time(X509_CRL_get0_lastUpdate(crl), &t) > 0) {
		snprintf(why, len, "CRL %.120s is not yet valid", c->url);
	} else if (X509_CRL_get0_nextUpdate(crl) &&
		   X509_cmp_time(X509_CRL_get0_nextUpdate(crl), &t) < 0) {
		snprintf(why, len, "CRL %.120s is stale (past nextUpdate)", c->url);
	} else {
		X509_REVOKED *rev = NULL;
		if (X509_CRL_get0_by_cert(crl, &rev, cert) == 1) {
			snprintf(why, len, "listed in CRL %.120s", c->url);
			r = X509_REV_REVOKED;
		} else {
			r = X509_REV_GOOD;
		}
	}
	X509_CRL_free(crl);
	return r;
}

/* cert's status from every CRL of its CDPs that was fetched: revoked wins, then good. */
static enum x509_revocation x509_revocation_of(const struct evidence *ev, X509 *cert,
					       X509 *issuer, time_t t, char *why, size_t len,
					       json_t *crls)
{
	char *urls[X509_CRL_URLS_MAX];
	size_t n = 0;
	x509_cdp_urls(cert, urls, X509_CRL_URLS_MAX, &n);
	enum x509_revocation best = X509_REV_UNKNOWN;
	if (n == 0)
		snprintf(why, len, "no CRL distribution point");
	for (size_t i = 0; i < n; i++) {
		const struct der_fetch *c = evidence_der_find(&ev->crl, urls[i]);
		char one[X509_WHY_MAX];
		enum x509_revocation r;
		if (c == NULL) {
			snprintf(one, sizeof one, "CRL %.120s not fetched", urls[i]);
			r = X509_REV_UNKNOWN;
		} else {
			r = x509_crl_says(c, cert, issuer, t, one, sizeof one);
		}
		json_array_append_new(crls, json_pack("{s:s, s:s}", "url", urls[i], "status",
						      r == X509_REV_REVOKED ? "revoked"
						      : r == X509_REV_GOOD  ? "good"
									    : "unknown"));
		if (r == X509_REV_REVOKED || (r == X509_REV_GOOD && best == X509_REV_UNKNOWN) ||
		    (best == X509_REV_UNKNOWN && i == 0))
			snprintf(why, len, "%.*s", (int)(len - 1), r == X509_REV_GOOD ? "" : one);
		if (r == X509_REV_REVOKED || (r == X509_REV_GOOD && best != X509_REV_REVOKED))
			best = r;
		free(urls[i]);
	}
	return best;
}

/* The leaf's status from its CRLs (crl, why) and OCSP together: revoked if either says so,
 * good if either can vouch, unknown with both reasons otherwise. */
static enum x509_revocation x509_leaf_ocsp(const struct evidence *ev, X509 *leaf, X509 *issuer,
					   STACK_OF(X509) *sent, time_t t, enum x509_revocation crl,
					   char *why, size_t len, json_t *detail)
{
	char owhy[X509_WHY_MAX] = "";
	json_t *od = NULL;
	enum x509_revocation o = ocsp_status(ev, leaf, issuer, sent, t, owhy, sizeof owhy, &od);
	if (od == NULL)
		return crl; /* no responder named: the CRLs alone decide */
	json_object_set_new(detail, "ocsp", od);
	if (crl == X509_REV_REVOKED)
		return crl;
	if (o == X509_REV_REVOKED || (o == X509_REV_GOOD && crl == X509_REV_UNKNOWN)) {
		snprintf(why, len, "%s", o == X509_REV_GOOD ? "" : owhy);
		return o;
	}
	if (crl == X509_REV_UNKNOWN) {
		char both[2 * X509_WHY_MAX + 16];
		snprintf(both, sizeof both, "%s; OCSP: %s", why, owhy);
		snprintf(why, len, "%.*s", (int)(len - 1), both);
	}
	return crl;
}

/* ---- one chain ---- */

static int x509_dates_ok(X509 *x, time_t t)
{
	return X509_cmp_time(X509_get0_notBefore(x), &t) < 0 &&
	       X509_cmp_time(X509_get0_notAfter(x), &t) > 0;
}

static void x509_why(struct x509_judgement *j, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void x509_why(struct x509_judgement *j, const char *fmt, ...)
{
	if (j->why[0])
		return; /* the first problem is the one reported */
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j->why, sizeof j->why, fmt, ap);
	va_end(ap);
}

void x509_judge(const struct evidence *ev, const struct smtp_probe *p, time_t t,
		struct x509_judgement *j)
{
	memset(j, 0, sizeof *j);
	j->detail = json_object();
	X509 *leaf = p->chain_len ? x509_cert_decode(&p->chain[0]) : NULL;
	if (leaf == NULL) {
		x509_why(j, p->chain_len ? "the server's certificate cannot be decoded"
					 : "the server sent no certificate");
		snprintf(j->revocation_why, sizeof j->revocation_why, "no certificate");
		j->chain_complete = -1;
		return;
	}
	j->parsed = 1;
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	for (size_t i = 1; i < p->chain_len; i++) {
		X509 *x = x509_cert_decode(&p->chain[i]);
		if (x)
			sk_X509_push(untrusted, x);
	}
	unsigned char md[32];
	unsigned mdlen = x509_cert_sha256(&p->chain[0], md) ? 32 : 0;
	json_object_set_new(j->detail, "subject", x509_name_json(X509_get_subject_name(leaf)));
	json_object_set_new(j->detail, "issuer", x509_name_json(X509_get_issuer_name(leaf)));
	json_object_set_new(j->detail, "serial", x509_serial_json(leaf));
	json_object_set_new(j->detail, "sha256", x509_hex(md, mdlen));
	json_object_set_new(j->detail, "names", x509_names_json(leaf));
	json_object_set_new(j->detail, "not_before", x509_time_json(X509_get0_notBefore(leaf)));
	json_object_set_new(j->detail, "not_after", x509_time_json(X509_get0_notAfter(leaf)));
	json_object_set_new(j->detail, "key", x509_key_json(leaf));
	json_object_set_new(j->detail, "signature", x509_sig_json(leaf));
	json_object_set_new(j->detail, "chain_sent", json_integer((json_int_t)p->chain_sent));

	/* Chain: trust anchors from the bundle, intermediates only as sent. */
	int err = 0;
	STACK_OF(X509) *built = NULL;
	j->chain_ok = x509_verify(leaf, untrusted, &err, &built);
	json_object_set_new(j->detail, "chain_valid", json_boolean(j->chain_ok));
	j->chain_complete = x509_store == NULL ? -1 : !(!j->chain_ok && x509_err_incomplete(err));
	json_object_set_new(j->detail, "chain_complete",
			    j->chain_complete < 0 ? json_null() : json_boolean(j->chain_complete));
	json_object_set_new(j->detail, "self_signed",
			    json_boolean(X509_self_signed(leaf, 0) == 1));
	if (!j->chain_ok) {
		const char *e = x509_store ? X509_verify_cert_error_string(err)
					   : "no CA bundle loaded";
		json_object_set_new(j->detail, "chain_error", json_string(e));
		if (j->chain_complete == 0)
			x509_why(j, "untrusted chain: %s (intermediate not sent?)", e);
		else
			x509_why(j, "untrusted chain: %s", e);
	}

	/* Key strength, as a default OpenSSL MTA would enforce it (security level 2). */
	char key_why[X509_WHY_MAX] = "";
	j->key_ok = x509_key_level(leaf, built, key_why, sizeof key_why);
	json_object_set_new(j->detail, "key_ok", json_boolean(j->key_ok));
	if (!j->key_ok) {
		json_object_set_new(j->detail, "key_problem", json_string(key_why));
		x509_why(j, "key too weak: %s", key_why);
	}

	/* Name: RFC 6125 with OpenSSL (single-label wildcards, no partial ones, CN only when no
	 * DNS SAN). */
	j->name_ok = X509_check_host(leaf, p->host, strlen(p->host),
				     X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL) == 1;
	json_object_set_new(j->detail, "name_valid", json_boolean(j->name_ok));
	if (!j->name_ok)
		x509_why(j, "certificate not valid for %s", p->host);

	/* Dates of the leaf and of every certificate of the chain as built. */
	j->dates_ok = x509_dates_ok(leaf, t);
	if (!j->dates_ok)
		x509_why(j, "certificate %s",
			 X509_cmp_time(X509_get0_notAfter(leaf), &t) <= 0 ? "expired"
									 : "not yet valid");
	for (int i = 1; built && i < sk_X509_num(built) && j->dates_ok; i++)
		if (!x509_dates_ok(sk_X509_value(built, i), t)) {
			j->dates_ok = 0;
			x509_why(j, "chain certificate %d expired or not yet valid", i);
		}
	json_object_set_new(j->detail, "dates_valid", json_boolean(j->dates_ok));

	/* Revocation: the leaf and intermediates whose issuer is known (built chain first, else
	 * what was sent); trust anchors are not checked. */
	json_t *crls = json_array();
	int n_built = built ? sk_X509_num(built) : 1;
	int last = j->chain_ok ? n_built - 1 : n_built;
	j->revocation = X509_REV_GOOD;
	for (int i = 0; i < last && i < 4; i++) {
		X509 *cert = built ? sk_X509_value(built, i) : leaf;
		X509 *issuer = built && i + 1 < n_built ? sk_X509_value(built, i + 1) : NULL;
		char why[X509_WHY_MAX] = "";
		if (issuer == NULL)
			for (int k = 0; k < sk_X509_num(untrusted) && !issuer; k++)
				if (X509_check_issued(sk_X509_value(untrusted, k), cert) == X509_V_OK)
					issuer = sk_X509_value(untrusted, k);
		enum x509_revocation r = x509_revocation_of(ev, cert, issuer, t, why, sizeof why,
							   crls);
		if (i == 0)
			r = x509_leaf_ocsp(ev, cert, issuer, untrusted, t, r, why, sizeof why,
					   j->detail);
		if (i > 0 && r == X509_REV_UNKNOWN && strcmp(why, "no CRL distribution point") == 0)
			continue; /* intermediates without CDP are common and say nothing */
		if (r == X509_REV_REVOKED || (r == X509_REV_UNKNOWN && j->revocation == X509_REV_GOOD)) {
			j->revocation = r;
			snprintf(j->revocation_why, sizeof j->revocation_why, "%s%.180s",
				 i ? "intermediate: " : "", why);
		}
	}
	json_object_set_new(j->detail, "revocation",
			    json_string(j->revocation == X509_REV_REVOKED ? "revoked"
					: j->revocation == X509_REV_GOOD      ? "good"
									      : "unknown"));
	if (j->revocation_why[0])
		json_object_set_new(j->detail, "revocation_reason", json_string(j->revocation_why));
	json_object_set_new(j->detail, "crls", crls);
	if (j->revocation == X509_REV_REVOKED)
		x509_why(j, "certificate revoked (%s)", j->revocation_why);

	sk_X509_pop_free(built, X509_free);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
}

/* ---- the check ---- */

static void x509_evaluate(const struct evidence *ev, struct result *res)
{
	struct smtp_target t[STARTTLS_TARGETS_MAX];
	size_t nt = starttls_targets(ev, 1, t, STARTTLS_TARGETS_MAX);
	json_t *rows = json_array();
	size_t judged = 0, bad = 0, unknown = 0, mecsa_rows = 0, mecsa_sum = 0, fixed_sum = 0;
	char first_bad[256] = "", first_unknown[256] = "";
	for (size_t i = 0; i < nt; i++) {
		const struct smtp_probe *p = starttls_probe(ev, &t[i]);
		if (starttls_outcome(p) != STARTTLS_OK)
			continue;
		struct x509_judgement j;
		x509_judge(ev, p, x509_probe_time(ev, p), &j);
		json_object_set_new(j.detail, "host", json_string(t[i].host));
		json_object_set_new(j.detail, "address", json_string(t[i].address));
		/* mxsurvey's validity adds the key strength a default MTA enforces; MECSA's
		 * (mecsa-st scoring) keeps its four booleans. */
		int ok = j.chain_ok && j.key_ok && j.name_ok && j.dates_ok &&
			 j.revocation != X509_REV_REVOKED;
		json_object_set_new(j.detail, "valid", json_boolean(ok));
		json_t *mxrow = starttls_mx_row(res, t[i].host, t[i].address);
		if (mxrow)
			json_object_set_new(
				mxrow, "x509",
				json_pack("{s:b, s:b, s:O, s:b, s:b, s:b, s:O, s:O}", "valid", ok,
					  "chain_valid", j.chain_ok, "chain_complete",
					  json_object_get(j.detail, "chain_complete"), "key_ok",
					  j.key_ok, "name_valid", j.name_ok, "dates_valid",
					  j.dates_ok, "revocation",
					  json_object_get(j.detail, "revocation"), "key",
					  json_object_get(j.detail, "key")));
		json_array_append_new(rows, j.detail);
		judged++;
		if (!ok) {
			bad++;
			if (first_bad[0] == '\0')
				snprintf(first_bad, sizeof first_bad, "%.60s [%.45s]: %.140s",
					 t[i].host, t[i].address, j.why);
		} else if (j.revocation == X509_REV_UNKNOWN) {
			unknown++;
			if (first_unknown[0] == '\0')
				snprintf(first_unknown, sizeof first_unknown, "%.60s: %.160s",
					 t[i].host, j.revocation_why);
		}
		/* MECSA averages the four booleans over the addresses counted as TLS 1.2+;
		 * "not revoked" passes when revocation could not be checked (spec §4.1). */
		if (smtp_probe_tls12(p)) {
			mecsa_rows++;
			mecsa_sum += (size_t)(j.chain_ok + j.dates_ok + j.name_ok +
					      (j.revocation != X509_REV_REVOKED));
			/* Fixed scoring: a weak key fails the chain, as at security level 2. */
			fixed_sum += (size_t)((j.chain_ok && j.key_ok) + j.dates_ok + j.name_ok +
					      (j.revocation != X509_REV_REVOKED));
		}
	}
	double pct = mecsa_rows ? 100.0 * (double)mecsa_sum / (4.0 * (double)mecsa_rows) : 0.0;
	double pct_fixed =
		mecsa_rows ? 100.0 * (double)fixed_sum / (4.0 * (double)mecsa_rows) : 0.0;
	res->percent[MECSA_X509] = pct;
	res->percent_fixed[MECSA_X509] = pct_fixed;
	res->supported[MECSA_X509] = mecsa_rows && pct >= 80.0 && res->supported[MECSA_STARTTLS];
	json_t *d = json_pack("{s:o, s:i, s:i, s:f, s:f, s:b}", "addresses", rows, "judged",
			      (int)judged, "valid", (int)(judged - bad), "percent", pct,
			      "percent_fixed", pct_fixed, "trust_store", x509_store != NULL);
	if (judged == 0)
		result_set(res, CHECK_X509, d, VERDICT_NOT_TESTABLE,
			   "no TLS session, so no certificate to judge");
	else if (bad)
		result_set(res, CHECK_X509, d, VERDICT_FAIL, "%zu of %zu certificates: %s", bad,
			   judged, first_bad);
	else if (unknown)
		result_set(res, CHECK_X509, d, VERDICT_PASS,
			   "%zu valid certificates; revocation unknown for %zu (%s)", judged, unknown,
			   first_unknown);
	else
		result_set(res, CHECK_X509, d, VERDICT_PASS, "%zu valid certificates", judged);
}

const struct check check_x509 = {
	.id = CHECK_X509,
	.name = "x509",
	.title = "X.509 certificates",
	.plan = x509_plan,
	.evaluate = x509_evaluate,
};
