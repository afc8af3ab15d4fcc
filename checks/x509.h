/* x509.h — the X.509 check: the certificate chain each MX address presented in its STARTTLS
 * handshake, judged for the MX host name at the time of the probe: chain to a trusted root
 * (intermediates only from what the server sent), host name (RFC 6125/7817, X509_check_host),
 * validity dates, revocation through the CRL distribution points (CRLs fetched by the daemon and
 * recorded in the evidence; unreachable is "unknown", not "revoked"). Pure, given the trust store
 * the daemon hands over once. */
#ifndef MXS_X509_H
#define MXS_X509_H
#include <stddef.h>
#include <time.h>

#include <openssl/x509_vfy.h>

#include "checks/check.h"

/* Trust anchors for chain checks (also PKIX-TA/PKIX-EE DANE usages): borrowed, kept until replaced;
 * NULL means no bundle, so no chain can be trusted. The daemon loads tls.ca_file; tests build one. */
void x509_set_trust(X509_STORE *store);
X509_STORE *x509_trust(void);

#define X509_CRL_URLS_MAX 8 /* CRL URLs fetched per domain */
#define X509_WHY_MAX 200    /* longest explanation kept */
#define X509_SECURITY_BITS 112 /* OpenSSL security level 2 (its default since 1.1.0/3.0) */

/* The http(s) CRL distribution points of every certificate in the recorded chains, de-duplicated,
 * at most max (owned strings into out; the caller frees them). What the daemon should fetch. */
size_t x509_crl_urls(const struct evidence *ev, char **out, size_t max);

enum x509_revocation {
	X509_REV_UNKNOWN = 0, /* no CDP, CRL unreachable, unparseable, unsigned by the issuer, stale */
	X509_REV_GOOD,	      /* a valid CRL of the issuer does not list the certificate */
	X509_REV_REVOKED,     /* a valid CRL of the issuer lists it */
};

/* The judgement of one recorded chain for one host name. */
struct x509_judgement {
	int parsed;		      /* the leaf could be decoded */
	int chain_ok;		      /* chains to a trust anchor (dates not considered here) */
	int name_ok;		      /* the leaf is valid for the host name */
	int dates_ok;		      /* every certificate of the chain is valid at the probe time */
	int chain_complete;	      /* 1: the server sent every intermediate needed (the path
					 reaches a trust anchor or a self-signed root); 0: it stops
					 at a certificate whose issuer was neither sent nor
					 trusted; -1: unknown (no trust store) */
	int key_ok;		      /* OpenSSL security level 2, what a current MTA enforces by
					 default: every key of the chain >= 112 bits of security
					 (RSA/DSA/DH >= 2048, EC >= 224) and no signature weaker
					 (SHA-1, MD5) but the trust anchor's own */
	enum x509_revocation revocation; /* of the leaf and intermediates (worst wins) */
	char why[200];		      /* the first problem, for a person ("" when none) */
	char revocation_why[X509_WHY_MAX]; /* why revocation is unknown or revoked */
	json_t *detail;		      /* owned: subject, issuer, names, key, dates, CRLs... */
};

/* Judge p's chain for p->host at time t (seconds since the epoch). j->detail must be released
 * with json_decref. */
void x509_judge(const struct evidence *ev, const struct smtp_probe *p, time_t t,
		struct x509_judgement *j);

/* A recorded certificate, decoded (a new reference: X509_free it), or NULL when it is not DER.
 * Decoded certificates are memoised by their DER: the same chains come back for every domain of
 * a hosting operator, and decoding is OpenSSL 3's costly step. */
X509 *x509_cert_decode(const struct smtp_cert *c);

/* The SHA-256 of a recorded certificate's bytes as sent, into out; 0 when it cannot be computed.
 * Kept with the decoded certificate, so a chain shared by many domains is hashed once. */
int x509_cert_sha256(const struct smtp_cert *c, unsigned char out[32]);

/* t as "YYYY-MM-DDTHH:MM:SSZ", or JSON null. */
json_t *x509_time_json(const ASN1_TIME *t);

/* The moment a probe is judged at: when it ran (so a stored campaign re-evaluates the same way). */
time_t x509_probe_time(const struct evidence *ev, const struct smtp_probe *p);

extern const struct check check_x509;

#endif
