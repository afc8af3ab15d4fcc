/* mta_sts.h — SMTP MTA Strict Transport Security (RFC 8461): the TXT record at
 * _mta-sts.<domain> (§3.1), the policy file served at
 * https://mta-sts.<domain>/.well-known/mta-sts.txt (§3.2) and MX pattern matching (§4.1).
 * The HTTPS fetch is done by the daemon, which hands the body to mta_sts_policy_parse(). */
#ifndef MXS_MTA_STS_H
#define MXS_MTA_STS_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "checks/check.h"

#define MTA_STS_VERSION "v=STSv1"
#define MTA_STS_ID_MAX 32		    /* sts-id = 1*32(ALPHA / DIGIT) */
#define MTA_STS_MAX_AGE_MAX 31557600L	    /* RFC 8461 §3.2: about one year */
#define MTA_STS_POLICY_MAX (64 * 1024)	    /* largest policy body accepted (bounds our work) */

/* The TXT record. */
struct mta_sts_record {
	char id[MTA_STS_ID_MAX + 1]; /* the policy id, NUL-terminated */
	size_t n_ext;		     /* extension fields seen (ignored) */
};

/* Parse one TXT record (len bytes) per RFC 8461 §3.1: v=STSv1 first, id required. 0 when valid,
 * else -1 with a reason in err (out is then zeroed). */
int mta_sts_record_parse(const char *txt, size_t len, struct mta_sts_record *out, char *err,
			 size_t errlen);

enum mta_sts_mode {
	MTA_STS_MODE_UNSET = 0, /* no mode: line (an invalid policy) */
	MTA_STS_MODE_ENFORCE,	/* refuse delivery to MX hosts that fail validation */
	MTA_STS_MODE_TESTING,	/* deliver anyway, report failures (TLS-RPT) */
	MTA_STS_MODE_NONE,	/* no active policy */
};

struct mta_sts_ext {
	char *name;  /* owned: the field name */
	char *value; /* owned: its value (well-formed UTF-8) */
};

/* A parsed policy file. Everything parsed before an error is kept, for the report. */
struct mta_sts_policy {
	bool has_version;	 /* a "version: STSv1" line was seen */
	enum mta_sts_mode mode;	 /* the mode, MTA_STS_MODE_UNSET until seen */
	long max_age;		 /* seconds, -1 until seen */
	size_t n_mx;		 /* number of mx patterns */
	char **mx;		 /* owned: mx patterns as published ("mx.example", "*.example") */
	size_t n_ext;		 /* number of unknown fields */
	struct mta_sts_ext *ext; /* owned: unknown fields, kept for the report, otherwise ignored */
	size_t blank_lines;	 /* empty lines skipped (outside the ABNF, tolerated) */
	bool lf;		 /* some line ended in a bare LF */
	bool crlf;		 /* some line ended in CRLF */
};

/* Parse a policy body of len bytes (not NUL-terminated, may hold any bytes) per RFC 8461 §3.2.
 * Returns 0 when valid, else -1 with a reason in err. *out is always initialised: call
 * mta_sts_policy_clear() after, whatever the result. */
int mta_sts_policy_parse(const char *body, size_t len, struct mta_sts_policy *out, char *err,
			 size_t errlen);
void mta_sts_policy_clear(struct mta_sts_policy *p);

/* {"version", "mode", "max_age", "mx": [...], "extensions": {...}, "blank_lines",
 * "line_endings"}; unset fields are null. A new reference. */
json_t *mta_sts_policy_to_json(const struct mta_sts_policy *p);

/* "enforce", "testing", "none", or NULL for MTA_STS_MODE_UNSET. */
const char *mta_sts_mode_name(enum mta_sts_mode m);

/* RFC 8461 §4.1: 1 when the MX host name matches the policy pattern: equal, or for "*.suffix"
 * exactly one leftmost label followed by suffix. Case-insensitive, one trailing dot ignored on
 * either side; an empty or NULL pattern or host matches nothing. */
int mta_sts_mx_match(const char *pattern, const char *mx_host);

/* 1 when some mx pattern of the policy matches mx_host. */
int mta_sts_policy_match(const struct mta_sts_policy *p, const char *mx_host);

/* For the daemon: the policy to fetch for ev (RFC 8461 §3.3). Returns 1 with url
 * ("https://mta-sts.<domain>/.well-known/mta-sts.txt") and resolve (the CURLOPT_RESOLVE pin from
 * the recorded A/AAAA answers of mta-sts.<domain>) filled; 0 when there is nothing to fetch (no
 * valid TXT record, or the policy host has no address: the check says why); -1 while the
 * policy host's answers (asked by the plan) are not in yet. Fetch with a CA check, no
 * redirects, at most MTA_STS_POLICY_MAX bytes, and record the outcome with evidence_https_add. */
int mta_sts_policy_fetch_target(const struct evidence *ev, char *url, size_t urllen,
				char *resolve, size_t rlen);

/* The check: the TXT record, then the recorded fetch of the policy. Detail: the TXT fields, and
 * "policy_host", "policy_fetch" {url, status, content_type, redirect, error, tls_failure,
 * timed_out}, "policy" (mta_sts_policy_to_json), "policy_valid", "policy_error", "mode",
 * "max_age", "mx_patterns", "mx_matched" [{host, matched}], "all_mx_matched", "mx_reachable",
 * "mx_reachable_in_policy", "deliverable" (every reachable MX address in the policy presented a
 * PKIX-valid certificate, per the x509 check, which runs before; null when none was tested).
 * Pass: valid record, policy fetched (200, text/plain, valid certificate, no redirect), valid,
 * mode enforce or testing, every MX host matched. MECSA's percentage: reachable addresses whose
 * MX host the policy names, over reachable addresses, when a valid policy (mode not none) was
 * fetched. */
extern const struct check check_mta_sts;

#endif
