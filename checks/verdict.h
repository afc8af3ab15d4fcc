/* verdict.h — the outcome of one check. Every verdict is one of five kinds and carries a reason;
 * "absent" and "DNS error" are never the same answer. */
#ifndef MXS_VERDICT_H
#define MXS_VERDICT_H

enum verdict_status {
	VERDICT_NONE = 0,	  /* not evaluated */
	VERDICT_PASS,		  /* the property holds */
	VERDICT_FAIL,		  /* present but wrong (reason says why) */
	VERDICT_ABSENT,		  /* definitely not published/offered */
	VERDICT_NOT_TESTABLE,	  /* could not be tested (reason: timeout, refused, excluded...) */
	VERDICT_DNS_ERROR,	  /* a lookup failed (reason: rcode or timeout) */
};

#define VERDICT_REASON_MAX 256

struct verdict {
	enum verdict_status status;	   /* the kind of outcome */
	char reason[VERDICT_REASON_MAX]; /* why, for a person; empty for a plain pass */
};

const char *verdict_status_name(enum verdict_status s);
int verdict_status_parse(const char *name); /* -1 when unknown */
void verdict_set(struct verdict *v, enum verdict_status s, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
