/* dane.h — the DANE check (RFC 7671/7672): the TLSA RRset of each MX host (_25._tcp.<host>, or of
 * its CNAME target first), its DNSSEC status, and whether it matches the chain each address
 * presented. DANE counts as supported only when the records match and the RRset is DNSSEC-secure.
 * plan() asks for the TLSA questions once the hosts' addresses are known. */
#ifndef MXS_DANE_H
#define MXS_DANE_H
#include <stddef.h>
#include <time.h>

#include "checks/check.h"

/* Match one probe's recorded chain against TLSA records with OpenSSL's DANE verifier (usages 0-3,
 * selectors 0/1, matching types 0/1/2; DANE-EE without name or date checks, DANE-TA with both,
 * reference identifiers base and host). Returns the index of the first matching record or -1;
 * usable (may be NULL) gets 1/0 per record (0: unusable parameters or malformed data). why gets
 * the verifier's error when nothing matches. */
int dane_match(const struct smtp_probe *p, const struct dns_rdata *rr, size_t n, const char *base,
	       time_t t, int *usable, char *why, size_t whylen);

extern const struct check check_dane;

#endif
