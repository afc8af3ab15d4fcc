/* ocsp.c — OCSP requests and the judgement of recorded responses (RFC 6960), for the x509 check.
 * Only the leaf is asked about: intermediates are covered by their CRLs, and a responder for an
 * intermediate needs the root, which servers do not send. */
#include "checks/ocsp.h"

#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/smtp_evidence.h"
#include "common/xalloc.h"

/* The first http(s) responder of cert's Authority Information Access, or NULL. */
static char *ocsp_responder(X509 *cert)
{
	STACK_OF(OPENSSL_STRING) *aia = X509_get1_ocsp(cert);
	char *url = NULL;
	for (int i = 0; aia && i < sk_OPENSSL_STRING_num(aia) && url == NULL; i++) {
		const char *s = sk_OPENSSL_STRING_value(aia, i);
		size_t n = strlen(s);
		/* Other schemes are not fetched; absurd lengths and odd bytes are noise. */
		if (n < 8 || n > 1024 ||
		    (strncasecmp(s, "http://", 7) != 0 && strncasecmp(s, "https://", 8) != 0))
			continue;
		int clean = 1;
		for (size_t k = 0; k < n; k++)
			clean &= (unsigned char)s[k] > 0x20 && (unsigned char)s[k] < 0x7f;
		if (clean)
			url = xstrdup(s);
	}
	X509_email_free(aia);
	return url;
}

/* The DER of an OCSP request about cert (SHA-1 CertID, no nonce), or NULL. */
static unsigned char *ocsp_request_der(X509 *cert, X509 *issuer, int *len)
{
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	OCSP_REQUEST *req = OCSP_REQUEST_new();
	unsigned char *der = NULL;
	*len = 0;
	if (id && req && OCSP_request_add0_id(req, id)) {
		id = NULL; /* the request owns it now */
		*len = i2d_OCSP_REQUEST(req, &der);
	}
	OCSP_CERTID_free(id);
	OCSP_REQUEST_free(req);
	return *len > 0 ? der : NULL;
}

char *ocsp_request_url(X509 *cert, X509 *issuer)
{
	if (cert == NULL || issuer == NULL)
		return NULL;
	char *responder = ocsp_responder(cert);
	if (responder == NULL)
		return NULL;
	int len;
	unsigned char *der = ocsp_request_der(cert, issuer, &len);
	char *url = NULL;
	if (der) {
		unsigned char b64[4 * ((OCSP_URL_MAX + 2) / 3) + 1];
		if ((size_t)len <= OCSP_URL_MAX / 2) {
			int n = EVP_EncodeBlock(b64, der, len);
			/* base64's '+', '/' and '=' are percent-encoded in a path segment. */
			size_t rl = strlen(responder), cap = rl + 2 + 3 * (size_t)n + 1, used;
			url = xmalloc(cap);
			used = (size_t)snprintf(url, cap, "%s%s", responder,
						responder[rl - 1] == '/' ? "" : "/");
			for (int i = 0; i < n; i++) {
				unsigned char c = b64[i];
				if (c == '+' || c == '/' || c == '=')
					used +=
					    (size_t)snprintf(url + used, cap - used, "%%%02X", c);
				else
					url[used++] = (char)c;
			}
			url[used] = '\0';
			if (used >= OCSP_URL_MAX) {
				free(url);
				url = NULL;
			}
		}
		OPENSSL_free(der);
	}
	free(responder);
	return url;
}

size_t ocsp_request_urls(const struct evidence *ev, char **out, size_t max)
{
	size_t n = 0;
	for (size_t i = 0; i < ev->n_smtp && n < max; i++) {
		const struct smtp_probe *p = &ev->smtp[i];
		if (!p->tls || p->chain_len < 2)
			continue;
		X509 *leaf = x509_cert_decode(&p->chain[0]), *issuer = NULL;
		/* Most leaves name no responder (Let's Encrypt dropped OCSP in 2025): only then
		 * is the issuer looked for. */
		STACK_OF(OPENSSL_STRING) *aia = leaf ? X509_get1_ocsp(leaf) : NULL;
		int asks = aia != NULL;
		X509_email_free(aia);
		for (size_t k = 1; asks && k < p->chain_len && k < 8 && issuer == NULL; k++) {
			X509 *x = x509_cert_decode(&p->chain[k]);
			if (x && X509_check_issued(x, leaf) == X509_V_OK)
				issuer = x;
			else
				X509_free(x);
		}
		char *url = ocsp_request_url(leaf, issuer);
		for (size_t k = 0; url && k < n; k++)
			if (strcmp(out[k], url) == 0) {
				free(url);
				url = NULL;
			}
		if (url)
			out[n++] = url;
		X509_free(issuer);
		X509_free(leaf);
	}
	return n;
}

/* ---- judging a response ---- */

static X509 *ocsp_refuse(char *why, size_t len, const char *what)
{
	snprintf(why, len, "%s", what);
	return NULL;
}

/* The responder that signed bs, when it may speak for issuer's certificates (RFC 6960
 * 4.2.2.2): the issuer itself, or a certificate the issuer signed for id-kp-OCSPSigning and
 * valid at t. NULL with why otherwise. */
static X509 *ocsp_authorised_signer(OCSP_BASICRESP *bs, X509 *issuer, STACK_OF(X509) * extra,
				    time_t t, char *why, size_t len)
{
	X509 *signer = NULL;
	if (OCSP_resp_get0_signer(bs, &signer, extra) != 1 || signer == NULL)
		return ocsp_refuse(why, len, "the responder's certificate is not known");
	/* NOVERIFY: only the signature here; who the signer is, is judged below at time t. */
	if (OCSP_basic_verify(bs, extra, NULL, OCSP_NOVERIFY) != 1)
		return ocsp_refuse(why, len, "the response's signature does not verify");
	if (X509_cmp(signer, issuer) == 0)
		return signer;
	if (X509_check_issued(issuer, signer) != X509_V_OK ||
	    X509_verify(signer, X509_get0_pubkey(issuer)) != 1)
		return ocsp_refuse(why, len,
				   "signed by a responder the issuer did not delegate to");
	if (!(X509_get_extension_flags(signer) & EXFLAG_XKUSAGE) ||
	    !(X509_get_extended_key_usage(signer) & XKU_OCSP_SIGN))
		return ocsp_refuse(why, len, "the responder's certificate lacks id-kp-OCSPSigning");
	if (X509_cmp_time(X509_get0_notBefore(signer), &t) > 0 ||
	    X509_cmp_time(X509_get0_notAfter(signer), &t) < 0)
		return ocsp_refuse(why, len,
				   "the responder's certificate is expired or not yet valid");
	return signer;
}

/* Why bs has no word on the certificate asked about: a responder that answers with what it has
 * for another certificate (a cached or misrouted response) is told apart from an empty one. */
static void ocsp_not_about(OCSP_BASICRESP *bs, char *why, size_t len)
{
	OCSP_SINGLERESP *one = OCSP_resp_count(bs) > 0 ? OCSP_resp_get0(bs, 0) : NULL;
	ASN1_INTEGER *serial = NULL;
	if (one == NULL ||
	    !OCSP_id_get0_info(NULL, NULL, NULL, &serial,
			       (OCSP_CERTID *)OCSP_SINGLERESP_get0_id(one)) ||
	    serial == NULL) {
		snprintf(why, len, "the response says nothing about this certificate");
		return;
	}
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	snprintf(why, len, "the response is about another certificate (serial %.64s)",
		 hex ? hex : "?");
	OPENSSL_free(hex);
	BN_free(bn);
}

/* The single response about id in bs, judged at t. */
static enum x509_revocation ocsp_single(OCSP_BASICRESP *bs, OCSP_CERTID *id, time_t t, json_t *d,
					char *why, size_t len)
{
	int status, reason = -1;
	ASN1_GENERALIZEDTIME *revtime = NULL, *thisupd = NULL, *nextupd = NULL;
	if (OCSP_resp_find_status(bs, id, &status, &reason, &revtime, &thisupd, &nextupd) != 1) {
		ocsp_not_about(bs, why, len);
		return X509_REV_UNKNOWN;
	}
	json_object_set_new(d, "cert_status", json_string(OCSP_cert_status_str(status)));
	json_object_set_new(d, "this_update", x509_time_json(thisupd));
	json_object_set_new(d, "next_update", x509_time_json(nextupd));
	time_t early = t + OCSP_SKEW_S, late = t - OCSP_SKEW_S;
	if (thisupd == NULL || X509_cmp_time(thisupd, &early) > 0) {
		snprintf(why, len, "the response is not yet valid (thisUpdate in the future)");
		return X509_REV_UNKNOWN;
	}
	if (nextupd && X509_cmp_time(nextupd, &late) < 0) {
		snprintf(why, len, "the response is stale (past nextUpdate)");
		return X509_REV_UNKNOWN;
	}
	if (status == V_OCSP_CERTSTATUS_GOOD)
		return X509_REV_GOOD;
	if (status == V_OCSP_CERTSTATUS_REVOKED) {
		json_object_set_new(d, "revoked_at", x509_time_json(revtime));
		if (reason >= 0)
			json_object_set_new(d, "revocation_reason",
					    json_string(OCSP_crl_reason_str(reason)));
		snprintf(why, len, "revoked according to OCSP (%s)",
			 reason >= 0 ? OCSP_crl_reason_str(reason) : "no reason given");
		return X509_REV_REVOKED;
	}
	snprintf(why, len, "the responder does not know the certificate");
	return X509_REV_UNKNOWN;
}

static enum x509_revocation ocsp_judge(const struct der_fetch *f, X509 *cert, X509 *issuer,
				       STACK_OF(X509) * extra, time_t t, json_t *d, char *why,
				       size_t len)
{
	if (!f->ok || f->der == NULL) {
		snprintf(why, len, "responder not reached: %.120s",
			 f->error ? f->error : "no body");
		return X509_REV_UNKNOWN;
	}
	const unsigned char *p = f->der;
	OCSP_RESPONSE *resp =
	    f->len <= 1024 * 1024 ? d2i_OCSP_RESPONSE(NULL, &p, (long)f->len) : NULL;
	if (resp == NULL) {
		snprintf(why, len, "the responder's answer is not an OCSP response");
		return X509_REV_UNKNOWN;
	}
	enum x509_revocation r = X509_REV_UNKNOWN;
	int rs = OCSP_response_status(resp);
	json_object_set_new(d, "response_status", json_string(OCSP_response_status_str(rs)));
	OCSP_BASICRESP *bs =
	    rs == OCSP_RESPONSE_STATUS_SUCCESSFUL ? OCSP_response_get1_basic(resp) : NULL;
	OCSP_CERTID *id = OCSP_cert_to_id(EVP_sha1(), cert, issuer);
	if (rs != OCSP_RESPONSE_STATUS_SUCCESSFUL)
		snprintf(why, len, "the responder answered \"%s\"", OCSP_response_status_str(rs));
	else if (bs == NULL)
		snprintf(why, len, "the response has no basic response");
	else if (ocsp_authorised_signer(bs, issuer, extra, t, why, len) != NULL && id)
		r = ocsp_single(bs, id, t, d, why, len);
	OCSP_CERTID_free(id);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	return r;
}

enum x509_revocation ocsp_status(const struct evidence *ev, X509 *cert, X509 *issuer,
				 STACK_OF(X509) * extra, time_t t, char *why, size_t len,
				 json_t **detail)
{
	*detail = NULL;
	char *responder = cert ? ocsp_responder(cert) : NULL;
	if (responder == NULL) {
		snprintf(why, len, "no OCSP responder");
		return X509_REV_UNKNOWN;
	}
	json_t *d = json_pack("{s:s}", "responder", responder);
	free(responder);
	*detail = d;
	char *url = ocsp_request_url(cert, issuer);
	const struct der_fetch *f = url ? evidence_der_find(&ev->ocsp, url) : NULL;
	free(url);
	enum x509_revocation r = X509_REV_UNKNOWN;
	if (issuer == NULL)
		snprintf(why, len, "OCSP not asked: the issuer's certificate was not sent");
	else if (f == NULL)
		snprintf(why, len, "OCSP not asked");
	else
		r = ocsp_judge(f, cert, issuer, extra, t, d, why, len);
	json_object_set_new(d, "status",
			    json_string(r == X509_REV_REVOKED ? "revoked"
					: r == X509_REV_GOOD  ? "good"
							      : "unknown"));
	if (r != X509_REV_GOOD)
		json_object_set_new(d, "reason", json_string(why));
	return r;
}
