/* txtrec.h — the "v=<version>; name=value; ..." TXT record shape that TLS-RPT (RFC 8460 §3) and
 * the MTA-STS record (RFC 8461 §3.1) share: choosing the one record among a TXT RRset, walking its
 * fields per the common ABNF, and turning raw record bytes into a JSON string. */
#ifndef MXS_TXTREC_H
#define MXS_TXTREC_H
#include <jansson.h>
#include <stddef.h>

#include "checks/dns_answer.h"
#include "checks/result.h"

/* Which TXT records of an answer are candidates for a record of version tag `version`. */
struct txtrec_pick {
	size_t n_txt;			/* TXT RRs in the answer (CNAME RRs not counted) */
	size_t n_strict;		/* records starting with the exact tag + end, ';' or WSP */
	size_t n_loose;			/* records only looking like it (case, spaces around '=') */
	const struct dns_rdata *strict; /* borrowed: the first strict candidate, or NULL */
	const struct dns_rdata *loose;	/* borrowed: the first loose-only candidate, or NULL */
};

/* Sort the TXT RRs of a (may be NULL) into strict and loose candidates for version. */
void txtrec_pick(const struct dns_answer *a, const char *version, struct txtrec_pick *out);

/* 1 when rd is a strict candidate for version, as counted by txtrec_pick(). */
int txtrec_is_strict(const struct dns_rdata *rd, const char *version);

/* One name=value field of a record; pointers into the record text. */
struct txtrec_field {
	const char *name;  /* borrowed: start of the field name */
	size_t name_len;   /* its length */
	const char *value; /* borrowed: start of the value (trailing WSP excluded) */
	size_t value_len;  /* its length (may be 0) */
};

/* Walks record = version 1*(delim field) [delim], delim = *WSP ";" *WSP. */
struct txtrec_iter {
	const char *rec; /* borrowed: the record */
	size_t len;	 /* its length */
	size_t pos;	 /* next byte to read */
	size_t n_fields; /* fields returned so far */
};

/* Start walking rec (len bytes, need not be NUL-terminated: nothing here reads past len, error
 * messages included): it must be printable US-ASCII (plus HTAB) and begin with version followed
 * by end, WSP or ';'. Returns 0, or -1 with a reason in err. */
int txtrec_begin(struct txtrec_iter *it, const char *rec, size_t len, const char *version,
		 char *err, size_t errlen);
/* The next field: 1 and *f filled, 0 at the end (at least one field seen), -1 with a reason.
 * The shape "name=value" and the ext-name syntax of the name are checked here; callers validate
 * values (known fields by their own rules, the others with txtrec_ext_value_ok()). */
int txtrec_next(struct txtrec_iter *it, struct txtrec_field *f, char *err, size_t errlen);

/* ext-name = (ALPHA / DIGIT) *31(ALPHA / DIGIT / "_" / "-" / ".") — both RFCs. */
int txtrec_ext_name_ok(const char *p, size_t n);
/* ext-value = 1*(%x21-3A / %x3C / %x3E-7E) — both RFCs. */
int txtrec_ext_value_ok(const char *p, size_t n);
/* 1 when the n bytes at p equal the NUL-terminated s (case-sensitive). */
int txtrec_eq(const char *p, size_t n, const char *s);

/* Length (2-4) of the well-formed UTF-8 multi-byte sequence at p (RFC 3629: no overlong forms,
 * no surrogates, nothing above U+10FFFF), or 0 when p[0] does not start one. */
size_t txtrec_utf8_len(const unsigned char *p, size_t n);

/* A JSON string of arbitrary bytes: valid UTF-8 is kept, any other byte becomes the text \xNN,
 * so that a record with binary content can still be stored and shown. */
json_t *txtrec_json_bytes(const void *p, size_t n);

/* The verdicts every "exactly one v=... TXT record" check shares: a failed lookup (dns_error),
 * several records (fail, listed in d.records), none (absent). Returns the record to parse, or
 * NULL once res has its verdict for id. what names the record ("MTA-STS"), rule the RFC clause,
 * name the owner name; d (the check's detail, borrowed until result_set takes it) gets "reason". */
const struct dns_rdata *txtrec_one(const struct dns_answer *a, const struct txtrec_pick *pick,
				   const char *version, const char *what, const char *rule,
				   const char *name, enum check_id id, json_t *d,
				   struct result *res);

#endif
