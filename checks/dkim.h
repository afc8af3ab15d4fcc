/* dkim.h — DKIM presence (mecsa-st spec §3.4, made tri-state with RFC 8020) and, beyond MECSA,
 * probing of common selectors and parsing of the key records found (RFC 6376 §3.6.1, RFC 8463
 * for ed25519, RFC 8301 for the minimum strength). */
#ifndef MXS_DKIM_H
#define MXS_DKIM_H
#include <stdbool.h>
#include <stddef.h>

#include "checks/check.h"

#define DKIM_RSA_MIN_BITS 1024 /* RFC 8301 §3.2: verifiers reject smaller RSA keys */
#define DKIM_SELECTORS_MAX 64  /* selectors probed at most (each costs one query per domain) */
#define DKIM_SELECTOR_LEN_MAX 128
/* A label no one publishes, asked as <label>._domainkey.<domain> TXT once _domainkey answered
 * NOERROR: NXDOMAIN shows _domainkey exists; NOERROR shows a wildcard answers for it (RFC 4592:
 * *.<domain> also synthesizes _domainkey.<domain> when that name does not exist), the known
 * false positive of the RFC 8020 heuristic. */
#define DKIM_WILDCARD_PROBE "_mxsurvey-wildcard-probe"

enum dkim_key_type {
	DKIM_KEY_UNKNOWN = 0, /* k= names a type we do not know, or nothing parsed yet */
	DKIM_KEY_RSA,	      /* k=rsa, also the default */
	DKIM_KEY_ED25519,     /* k=ed25519 (RFC 8463) */
};

/* A parsed key record. */
struct dkim_key {
	enum dkim_key_type type; /* from k= */
	int bits;		 /* public key size in bits; 0 when revoked or not decoded */
	bool revoked;		 /* p= is empty: the key was withdrawn */
	bool testing;		 /* t=y: the domain is testing DKIM */
	bool strict;		 /* t=s: i= must not be a subdomain of d= */
	bool email;		 /* s= absent, or lists "*" or "email" */
	bool sha256;		 /* h= absent, or lists sha256 */
	bool pkcs1;		 /* p= is a bare RSAPublicKey, not SubjectPublicKeyInfo */
};

/* Parse one key record (len bytes, any content) per RFC 6376 §3.6.1 and decode its key.
 * Returns 0 for a well-formed record (possibly revoked or unusable: see dkim_key_usable()),
 * else -1 with a reason in err. *out is always initialised. */
int dkim_key_parse(const char *txt, size_t len, struct dkim_key *out, char *err, size_t errlen);

/* 1 when a verifier could use the key to verify mail signatures today (not revoked, for email,
 * sha256 allowed, RSA at least DKIM_RSA_MIN_BITS); else 0 and why. */
int dkim_key_usable(const struct dkim_key *k, char *why, size_t whylen);

const char *dkim_key_type_name(enum dkim_key_type t); /* "rsa", "ed25519", "unknown" */

/* The selectors probed as <selector>._domainkey.<domain> TXT. The daemon calls this once at
 * start with scan.dkim_selectors: the strings are copied; invalid ones are skipped (check them
 * first with dkim_selector_valid()); at most DKIM_SELECTORS_MAX are kept. list NULL restores
 * the built-in default list; a non-NULL list with n == 0 turns probing off. Not thread-safe. */
void dkim_set_selectors(const char *const *list, size_t n);
size_t dkim_selector_count(void);
const char *dkim_selector(size_t i);
/* 1 when sel is a usable selector: dot-separated labels of letters, digits, '-' and '_'. */
int dkim_selector_valid(const char *sel);

extern const struct check check_dkim;

#endif
