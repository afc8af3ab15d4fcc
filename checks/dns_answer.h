/* dns_answer.h — one DNS question and what came back, as recorded evidence. Filled by the daemon's
 * DNS probe (getdns) or by a fake resolver in tests; read by the pure evaluators in checks/.
 * "No record" and "the lookup failed" are different statuses, never folded together. */
#ifndef MXS_DNS_ANSWER_H
#define MXS_DNS_ANSWER_H
#include <stddef.h>
#include <stdint.h>

enum dns_status {
	DNS_STATUS_NOT_QUERIED = 0, /* nobody asked (yet) */
	DNS_STATUS_OK,		    /* NOERROR with at least one RR of the type asked for */
	DNS_STATUS_NODATA,	    /* NOERROR, name exists, no RR of that type (RFC 2308) */
	DNS_STATUS_NXDOMAIN,	    /* the name does not exist */
	DNS_STATUS_SERVFAIL,	    /* SERVFAIL (for a validating resolver: often DNSSEC bogus) */
	DNS_STATUS_REFUSED,	    /* REFUSED or another error rcode */
	DNS_STATUS_TIMEOUT,	    /* no answer within the deadline */
	DNS_STATUS_ERROR,	    /* local or protocol error: malformed answer, CNAME loop, ... */
};

enum dnssec_status {
	DNSSEC_INDETERMINATE = 0, /* no trust anchor reached, or status not known */
	DNSSEC_SECURE,
	DNSSEC_INSECURE,
	DNSSEC_BOGUS,
};

/* DNS RR types mxsurvey asks for. */
enum {
	DNS_TYPE_A = 1,
	DNS_TYPE_NS = 2,
	DNS_TYPE_CNAME = 5,
	DNS_TYPE_SOA = 6,
	DNS_TYPE_PTR = 12,
	DNS_TYPE_MX = 15,
	DNS_TYPE_TXT = 16,
	DNS_TYPE_AAAA = 28,
	DNS_TYPE_DS = 43,
	DNS_TYPE_RRSIG = 46,
	DNS_TYPE_DNSKEY = 48,
	DNS_TYPE_TLSA = 52,
	DNS_TYPE_SPF = 99,
};

/* One RR of the answer, of the type asked for, in a form evaluators use directly. */
struct dns_rdata {
	uint16_t type;	   /* RR type (the qtype, or CNAME for alias records kept for evidence) */
	uint16_t pref;	   /* MX: preference */
	uint8_t usage;	   /* TLSA: certificate usage */
	uint8_t selector;  /* TLSA: selector */
	uint8_t mtype;	   /* TLSA: matching type */
	char *text;	   /* owned: MX/NS/CNAME target (no trailing dot), A/AAAA address text */
	unsigned char *data; /* owned: TXT character-strings concatenated; TLSA association data;
				DS, DNSKEY and RRSIG: the RDATA as on the wire */
	size_t len;	   /* length of data */
	uint32_t ttl;	   /* TTL as received */
};

struct dns_answer {
	char *qname;		   /* owned: the name asked, no trailing dot */
	uint16_t qtype;		   /* the type asked */
	enum dns_status status;	   /* what came back */
	int rcode;		   /* DNS rcode, -1 when there was no response */
	enum dnssec_status dnssec; /* validation status of the answer (or of the denial) */
	char *canonical;	   /* owned: target after CNAMEs, NULL when the name was not an alias */
	char *why;		   /* owned: extra detail (EDE text, error string), or NULL */
	size_t n_rr;		   /* number of RRs in rr */
	struct dns_rdata *rr;	   /* owned: the RRset of qtype */
	/* owned, or NULL: the same question asked again with CD=1 (checking disabled) and DO,
	 * after a SERVFAIL without an Extended DNS Error from a trusted validating resolver
	 * (stub + validate: upstream). Raw: status, rcode, the RRs of qtype and, only here,
	 * every RRSIG of the reply (type DNS_TYPE_RRSIG) in rr. Data back means the resolver
	 * refused the answer for DNSSEC (bogus); SERVFAIL again, a server failure. Judged in
	 * checks/dnssec_why.c; its own cd is always NULL. */
	struct dns_answer *cd;
};

const char *dns_status_name(enum dns_status s);
const char *dnssec_status_name(enum dnssec_status s);
const char *dns_type_name(uint16_t type);
int dns_status_parse(const char *name);	  /* -1 when unknown */
int dnssec_status_parse(const char *name); /* -1 when unknown */

/* 1 for statuses that are a definite answer (OK, NODATA, NXDOMAIN), 0 for failures. */
int dns_status_is_answer(enum dns_status s);

/* The DNSSEC status of an answer as judged from all its evidence: the resolver's (a->dnssec),
 * and for a SERVFAIL without an Extended DNS Error, its CD=1 re-query: a definite answer with
 * checking disabled means the resolver refused it for DNSSEC, so bogus. A failed lookup
 * otherwise has no status (indeterminate). */
enum dnssec_status dns_answer_dnssec(const struct dns_answer *a);

/* Deep copy into dst, which must hold nothing (it is overwritten, not freed: clear it first). */
void dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src);
/* Bytes the answer's members hold (not the struct itself), for caches' byte budgets. */
size_t dns_answer_footprint(const struct dns_answer *a);
/* Free what the answer owns and zero it; the struct itself is the caller's. */
void dns_answer_clear(struct dns_answer *a);
/* Append one RR; takes copies of text and data. */
struct dns_rdata *dns_answer_add(struct dns_answer *a, uint16_t type, const char *text,
				 const void *data, size_t len);

#endif
