/* dnssec_why.h — why an answer failed DNSSEC validation, from the evidence: the resolver's
 * Extended DNS Error (RFC 8914) when it sent one; otherwise, for a SERVFAIL from a trusted
 * validating resolver, the CD=1 re-query (dns_answer.h): data back means bogus, SERVFAIL again a
 * server failure; the RRSIGs it brought tell expired or not yet valid signatures, and the signer's
 * DNSKEY and DS answers (asked by the dnssec check's plan) a missing DNSKEY or a DS that matches
 * none. Pure. */
#ifndef MXS_DNSSEC_WHY_H
#define MXS_DNSSEC_WHY_H
#include <stddef.h>
#include <time.h>

#include "checks/check.h"

enum dnssec_why {
	DNSSEC_WHY_NONE = 0,	       /* not bogus */
	DNSSEC_WHY_UNKNOWN,	       /* bogus, the cause not determined */
	DNSSEC_WHY_SIG_EXPIRED,	       /* every signature expired */
	DNSSEC_WHY_SIG_NOT_YET_VALID,  /* no signature valid yet */
	DNSSEC_WHY_SIG_MISSING,	       /* no RRSIG with the data */
	DNSSEC_WHY_DNSKEY_MISSING,     /* the signer's zone serves no DNSKEY RRset */
	DNSSEC_WHY_DS_MISMATCH,	       /* the parent's DS matches no DNSKEY of the zone */
	DNSSEC_WHY_BAD_SIGNATURE,      /* keys and dates fine: the signature does not verify */
	DNSSEC_WHY_ALGORITHM,	       /* unsupported DNSKEY algorithm or DS digest (EDE 1, 2) */
	DNSSEC_WHY_MAX
};

struct dnssec_diagnosis {
	enum dnssec_status status; /* dns_answer_dnssec() */
	enum dnssec_why why;	   /* for bogus; NONE otherwise */
	const char *source;	   /* static: "ede", "cd" (the re-query and what it led to), or
				      NULL when nothing says why */
	int ede;		   /* the EDE info code, -1 without one */
	int server_failure;	   /* SERVFAIL without EDE, and SERVFAIL again with CD=1 */
	char signer[256];	   /* the zone whose signatures were judged (RRSIG signer), or "" */
};

/* Diagnose a at time now (seconds since the epoch; the scan's start for stored evidence). */
void dnssec_diagnose(const struct evidence *ev, const struct dns_answer *a, time_t now,
		     struct dnssec_diagnosis *out);

/* "signature_expired", ...; "" for NONE. */
const char *dnssec_why_name(enum dnssec_why w);

/* For plan functions: the DNSKEY and DS of the signers of bogus answers whose signatures are in
 * date (what tells a missing DNSKEY or a DS mismatch from a bad signature), appended to q. */
void dnssec_why_plan(const struct evidence *ev, struct dns_question *q, size_t max, size_t *n);

/* RFC 4034 Appendix B key tag of a DNSKEY's wire RDATA; -1 when too short. */
int dnssec_keytag(const unsigned char *rdata, size_t len);

#endif
