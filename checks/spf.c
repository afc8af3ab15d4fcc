/* spf.c — RFC 7208 check_host(), hand-written and sans-I/O (no SPF library runs on an event loop):
 * an explicit stack of check_host() frames that asks for one DNS answer at a time, and the "spf"
 * check that runs it over recorded evidence. An evaluation owns copies of the answers it was given
 * and of the records it parsed; its memory is bounded by the RFC's lookup limits. */
#include "checks/spf.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/result.h"
#include "checks/spf_macro.h"
#include "checks/txtrec.h"
#include "common/xalloc.h"

/* One check_host() per include level, the top one included; each include counts against the
 * limit of 10 lookups, so 11 frames are enough (redirect replaces its frame). */
#define SPF_MAX_DEPTH (SPF_MAX_DNS_TERMS + 1)
/* Distinct questions one evaluation can ask: top TXT, 10 terms of at most 1 + 10 lookups each,
 * PTR + 10 validations, exp. The bound is a safety net, never reached by a conforming run. */
#define SPF_MAX_ANSWERS 160
/* How much of a term a reason quotes. */
#define SPF_QUOTE 64

enum spf_mech {
	SPF_M_ALL,
	SPF_M_INCLUDE,
	SPF_M_A,
	SPF_M_MX,
	SPF_M_PTR,
	SPF_M_IP4,
	SPF_M_IP6,
	SPF_M_EXISTS,
};

static const char *const spf_mech_names[] = {
    [SPF_M_ALL] = "all", [SPF_M_INCLUDE] = "include", [SPF_M_A] = "a",
    [SPF_M_MX] = "mx",	 [SPF_M_PTR] = "ptr",	      [SPF_M_IP4] = "ip4",
    [SPF_M_IP6] = "ip6", [SPF_M_EXISTS] = "exists",
};

/* One directive of a parsed record. */
struct spf_term {
	enum spf_mech mech;    /* the mechanism */
	char qual;	       /* '+', '-', '~' or '?' */
	const char *spec;      /* borrowed (the record's text): domain-spec, NULL when absent */
	size_t spec_len;       /* its length */
	bool uses_p;	       /* spec contains %{p} */
	int cidr4;	       /* IPv4 prefix length (32 when absent) */
	int cidr6;	       /* IPv6 prefix length (128 when absent) */
	unsigned char net[16]; /* ip4/ip6: the network address */
	const char *text;      /* borrowed (the record's text): the whole term, for reasons */
	size_t text_len;       /* its length */
};

/* A parsed v=spf1 record. */
struct spf_record {
	char *text;		/* owned: copy of the record, NUL-terminated */
	size_t len;		/* its length */
	struct spf_term *terms; /* owned: the directives in order */
	size_t n_terms;		/* how many */
	size_t cap_terms;	/* allocated */
	const char *redirect;	/* borrowed (text): redirect= domain-spec, or NULL */
	size_t redirect_len;	/* its length */
	bool redirect_p;	/* it contains %{p} */
	const char *exp;	/* borrowed (text): exp= domain-spec, or NULL */
	size_t exp_len;		/* its length */
	bool exp_p;		/* it contains %{p} */
	char all;		/* qualifier of the first "all", 0 when none */
};

enum spf_fstate {
	SPF_F_FETCH,	/* get and parse the record of the frame's domain */
	SPF_F_TERMS,	/* evaluate the directives */
	SPF_F_REDIRECT, /* no directive matched: follow redirect= */
	SPF_F_EXP,	/* top level, result fail: compute the exp= explanation */
};

/* One check_host() invocation. */
struct spf_frame {
	char domain[DNAME_MAX]; /* its <domain> */
	bool domain_ok;		/* <domain> is a well-formed multi-label name */
	enum spf_fstate state;	/* what it is doing */
	bool via_redirect;	/* entered through redirect=: "none" becomes permerror */
	struct spf_record rec;	/* the parsed record (from SPF_F_TERMS on) */
	size_t term;		/* directive being evaluated */
	int phase;		/* progress inside it: 0 not started, then per mechanism */
	char target[DNAME_MAX]; /* the expanded target name of the directive */
	bool target_ok;		/* target is a name that can be looked up */
	size_t mx_i;		/* mx: next MX RR whose addresses to look up */
};

/* Progress of the validated-name lookup shared by "ptr" and %{p} (§5.5). */
enum spf_pstate { SPF_P_IDLE = 0, SPF_P_PTR, SPF_P_VALIDATE, SPF_P_DONE };

/* What one answer means for SPF. */
enum spf_dns {
	SPF_DNS_FOUND,	 /* RRs of the type asked */
	SPF_DNS_VOID,	 /* NODATA or NXDOMAIN (or NOERROR without RRs of the type) */
	SPF_DNS_ERROR,	 /* SERVFAIL, REFUSED, timeout, other error */
	SPF_DNS_MISSING, /* the answer was not supplied */
};

struct spf_eval {
	char *sender;			/* owned: <sender>, local-part substituted if empty */
	char *local;			/* owned: its local-part */
	char *sender_domain;		/* owned: its domain */
	char *helo;			/* owned: HELO/EHLO name */
	char *receiver;			/* owned: %{r} */
	char timestamp[24];		/* %{t} */
	int family;			/* 4 or 6 */
	unsigned char ip[16];		/* <ip> (first 4 bytes for IPv4) */
	char ip_text[INET6_ADDRSTRLEN]; /* %{c} */
	char ip_macro[72];		/* %{i} */
	bool done;			/* the outcome is final */
	bool waiting;			/* need is asked and not answered yet */
	struct dns_question need;	/* the pending question */
	struct spf_frame frames[SPF_MAX_DEPTH]; /* the check_host() stack */
	size_t depth;				/* frames in use */
	bool all_known;				/* out.all is settled */
	enum spf_pstate p_state;		/* validated-name lookup progress */
	char p_rev[80];				/* the reverse (in-addr/ip6.arpa) name */
	enum spf_dns p_status;			/* what the PTR lookup gave */
	char *p_names[SPF_MAX_PTR_NAMES];	/* owned: PTR names considered */
	bool p_valid[SPF_MAX_PTR_NAMES];	/* name i resolves back to <ip> */
	size_t p_n;				/* names in p_names */
	size_t p_i;				/* next name to validate */
	struct dns_answer *answers;		/* owned: every answer given (copies), the cache */
	size_t n_answers;			/* how many */
	size_t cap_answers;			/* allocated */
	struct spf_outcome out;			/* the outcome */
};

/* ---- small helpers ---- */

const char *spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:
		return "none";
	case SPF_NEUTRAL:
		return "neutral";
	case SPF_PASS:
		return "pass";
	case SPF_FAIL:
		return "fail";
	case SPF_SOFTFAIL:
		return "softfail";
	case SPF_TEMPERROR:
		return "temperror";
	case SPF_PERMERROR:
		return "permerror";
	}
	return "?";
}

static const char *spf_type_name(uint16_t type)
{
	return type == SPF_TYPE_PTR ? "PTR" : dns_type_name(type);
}

static enum spf_result spf_qual_result(char q)
{
	switch (q) {
	case '-':
		return SPF_FAIL;
	case '~':
		return SPF_SOFTFAIL;
	case '?':
		return SPF_NEUTRAL;
	default:
		return SPF_PASS;
	}
}

static bool spf_digit(int c) { return c >= '0' && c <= '9'; }

static bool spf_alpha(int c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

bool spf_is_record(const char *txt, size_t len)
{
	return txt && len >= 6 && strncasecmp(txt, "v=spf1", 6) == 0 && (len == 6 || txt[6] == ' ');
}

/* A name that can be put in a query: 1-63 octet labels, at most 253 octets (§4.3, §4.8). */
static bool spf_name_ok(const char *name)
{
	size_t len = strlen(name), label = 0;
	if (len == 0 || len > DNAME_MAX - 1)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || name[i] == '.') {
			if (label == 0 || label > 63)
				return false;
			label = 0;
		} else {
			label++;
		}
	}
	return true;
}

/* A <domain> check_host() accepts (§4.3): a multi-label name whose last label is a toplabel. */
static bool spf_domain_ok(const char *name)
{
	if (!spf_name_ok(name))
		return false;
	const char *dot = strrchr(name, '.');
	return dot && spf_macro_toplabel_ok(dot + 1, strlen(dot + 1));
}

/* n bytes of s into buf for a reason: printable ASCII kept, the rest as '?', cut at SPF_QUOTE. */
static const char *spf_quote(const char *s, size_t n, char *buf, size_t buflen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && o + 4 < buflen; i++) {
		if (i == SPF_QUOTE) {
			memcpy(buf + o, "...", 3);
			o += 3;
			break;
		}
		unsigned char c = (unsigned char)s[i];
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	buf[o] = '\0';
	return buf;
}

/* ---- parsing (§4.6, §5, §6) ---- */

static int spf_fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int spf_fail(char *err, size_t errlen, const char *fmt, ...)
{
	if (errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* ip4-cidr-length / ip6-cidr-length digits: "0" or no leading zero, at most max. */
static int spf_cidr_value(const char *s, size_t n, int max)
{
	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!spf_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Take a dual-cidr-length off the end of s[0..*len) (a domain-spec cannot end in "/" DIGIT, its
 * toplabel or macro comes last, so reading from the right is unambiguous). */
static int spf_cidr_suffix(const char *s, size_t *len, struct spf_term *t)
{
	size_t n = *len, d = n;
	while (d > 0 && spf_digit((unsigned char)s[d - 1]))
		d--;
	if (d < n && d >= 2 && s[d - 1] == '/' && s[d - 2] == '/') {
		if ((t->cidr6 = spf_cidr_value(s + d, n - d, 128)) < 0)
			return -1;
		n = d - 2;
		d = n;
		while (d > 0 && spf_digit((unsigned char)s[d - 1]))
			d--;
	}
	if (d < n && d >= 1 && s[d - 1] == '/') {
		if ((t->cidr4 = spf_cidr_value(s + d, n - d, 32)) < 0)
			return -1;
		n = d - 1;
	}
	*len = n;
	return 0;
}

/* ip4-network: four decimal octets, no leading zeros (§5.6). */
static int spf_parse_ip4(const char *s, size_t n, unsigned char out[4])
{
	size_t i = 0;
	for (int k = 0; k < 4; k++) {
		if (k && (i >= n || s[i++] != '.'))
			return -1;
		size_t start = i;
		unsigned v = 0;
		while (i < n && spf_digit((unsigned char)s[i]) && i - start < 3)
			v = v * 10 + (unsigned)(s[i++] - '0');
		if (i == start || v > 255 || (i - start > 1 && s[start] == '0'))
			return -1;
		out[k] = (unsigned char)v;
	}
	return i == n ? 0 : -1;
}

static int spf_parse_ip6(const char *s, size_t n, unsigned char out[16])
{
	char buf[INET6_ADDRSTRLEN + 1];
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return inet_pton(AF_INET6, buf, out) == 1 ? 0 : -1;
}

static bool spf_eq(const char *p, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(p, s, n) == 0;
}

/* name = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ) */
static bool spf_modifier_name_ok(const char *s, size_t n)
{
	if (n == 0 || !spf_alpha((unsigned char)s[0]))
		return false;
	for (size_t i = 1; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!spf_alpha(c) && !spf_digit(c) && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

static int spf_parse_modifier(struct spf_record *r, const char *t, size_t n, size_t eq, char *err,
			      size_t errlen)
{
	const char *val = t + eq + 1;
	size_t vlen = n - eq - 1;
	char why[128];
	struct spf_macro_info mi;
	if (!spf_modifier_name_ok(t, eq))
		return spf_fail(err, errlen, "invalid modifier name");
	if (spf_eq(t, eq, "redirect") || spf_eq(t, eq, "exp")) {
		bool redirect = t[0] == 'r' || t[0] == 'R';
		if (redirect ? r->redirect != NULL : r->exp != NULL)
			return spf_fail(err, errlen, "%s= appears twice",
					redirect ? "redirect" : "exp");
		/* c, r and t belong to the explanation text, not to exp='s domain-spec (§7.1). */
		if (spf_macro_check_domain(val, vlen, 0, &mi, why, sizeof why) < 0)
			return spf_fail(err, errlen, "%s", why);
		if (redirect) {
			r->redirect = val;
			r->redirect_len = vlen;
			r->redirect_p = mi.uses_p;
		} else {
			r->exp = val;
			r->exp_len = vlen;
			r->exp_p = mi.uses_p;
		}
		return 0;
	}
	/* Unknown modifiers are ignored, but their macro-string must be valid (§6, A). */
	if (spf_macro_check(val, vlen, SPF_MACRO_CRT, NULL, why, sizeof why) < 0)
		return spf_fail(err, errlen, "%s", why);
	return 0;
}

static int spf_parse_directive(struct spf_record *r, const char *t, size_t n, char *err,
			       size_t errlen)
{
	struct spf_term term = {.qual = '+', .cidr4 = 32, .cidr6 = 128, .text = t, .text_len = n};
	char why[128];
	struct spf_macro_info mi = {false, false};
	if (n && strchr("+-~?", t[0])) {
		term.qual = t[0];
		t++;
		n--;
	}
	size_t k = 0;
	while (k < n && t[k] != ':' && t[k] != '/')
		k++;
	size_t m = 0;
	for (; m < sizeof spf_mech_names / sizeof *spf_mech_names; m++)
		if (spf_eq(t, k, spf_mech_names[m]))
			break;
	if (m == sizeof spf_mech_names / sizeof *spf_mech_names)
		return spf_fail(err, errlen, "unknown mechanism");
	term.mech = (enum spf_mech)m;
	const char *rest = t + k;
	size_t rlen = n - k;
	const char *arg = rlen && rest[0] == ':' ? rest + 1 : NULL;
	size_t alen = arg ? rlen - 1 : 0;

	switch (term.mech) {
	case SPF_M_ALL:
		if (rlen)
			return spf_fail(err, errlen, "\"all\" takes no argument");
		if (r->all == 0)
			r->all = term.qual;
		break;
	case SPF_M_INCLUDE:
	case SPF_M_EXISTS:
	case SPF_M_PTR:
		if (term.mech == SPF_M_PTR && rlen == 0)
			break;
		if (arg == NULL)
			return spf_fail(err, errlen, "\"%s\" needs \":\" domain-spec",
					spf_mech_names[m]);
		if (spf_macro_check_domain(arg, alen, 0, &mi, why, sizeof why) < 0)
			return spf_fail(err, errlen, "%s", why);
		term.spec = arg;
		term.spec_len = alen;
		break;
	case SPF_M_A:
	case SPF_M_MX:
		if (rlen == 0)
			break;
		if (arg == NULL) { /* only a dual-cidr-length */
			size_t l = rlen;
			if (spf_cidr_suffix(rest, &l, &term) < 0 || l != 0)
				return spf_fail(err, errlen, "invalid CIDR length");
			break;
		}
		if (spf_cidr_suffix(arg, &alen, &term) < 0)
			return spf_fail(err, errlen, "invalid CIDR length");
		if (spf_macro_check_domain(arg, alen, 0, &mi, why, sizeof why) < 0)
			return spf_fail(err, errlen, "%s", why);
		term.spec = arg;
		term.spec_len = alen;
		break;
	case SPF_M_IP4:
	case SPF_M_IP6: {
		bool v4 = term.mech == SPF_M_IP4;
		if (arg == NULL)
			return spf_fail(err, errlen, "\"%s\" needs \":\" address",
					spf_mech_names[m]);
		const char *slash = memchr(arg, '/', alen);
		size_t addr_len = slash ? (size_t)(slash - arg) : alen;
		if (slash) {
			int v = spf_cidr_value(slash + 1, alen - addr_len - 1, v4 ? 32 : 128);
			if (v < 0)
				return spf_fail(err, errlen, "invalid CIDR length");
			*(v4 ? &term.cidr4 : &term.cidr6) = v;
		}
		if ((v4 ? spf_parse_ip4(arg, addr_len, term.net)
			: spf_parse_ip6(arg, addr_len, term.net)) < 0)
			return spf_fail(err, errlen, "invalid %s address", v4 ? "IPv4" : "IPv6");
		break;
	}
	}
	term.uses_p = mi.uses_p;
	xgrow((void **)&r->terms, &r->cap_terms, r->n_terms + 1, sizeof *r->terms);
	r->terms[r->n_terms++] = term;
	return 0;
}

static void spf_record_clear(struct spf_record *r)
{
	free(r->text);
	free(r->terms);
	memset(r, 0, sizeof *r);
}

/* Parse a record (already selected by spf_is_record) into r. Every term is checked before any is
 * evaluated: §4.6 wants syntax errors found anywhere in the record. */
static int spf_record_parse(struct spf_record *r, const char *text, size_t len, char *err,
			    size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->text = xmalloc(len + 1);
	memcpy(r->text, text, len);
	r->text[len] = '\0';
	r->len = len;
	char q[SPF_QUOTE + 4];
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (c < 0x20 || c > 0x7e) /* §3.1: 7-bit ASCII; terms are separated by SP only */
			return spf_fail(err, errlen, "byte 0x%02X at offset %zu", c, i);
	}
	if (!spf_is_record(text, len))
		return spf_fail(err, errlen, "does not begin with \"v=spf1\"");
	const char *s = r->text;
	for (size_t i = 6; i < len;) {
		if (s[i] == ' ') {
			i++;
			continue;
		}
		size_t start = i;
		while (i < len && s[i] != ' ')
			i++;
		const char *t = s + start;
		size_t n = i - start;
		size_t k = 0;
		while (k < n && t[k] != '=' && t[k] != ':' && t[k] != '/')
			k++;
		char why[160];
		int rc = (k < n && t[k] == '=') ? spf_parse_modifier(r, t, n, k, why, sizeof why)
						: spf_parse_directive(r, t, n, why, sizeof why);
		if (rc < 0)
			return spf_fail(err, errlen, "syntax error at '%s': %s",
					spf_quote(t, n, q, sizeof q), why);
	}
	return 0;
}

int spf_record_syntax(const char *rec, size_t len, char *err, size_t errlen)
{
	struct spf_record r;
	int rc = spf_record_parse(&r, rec ? rec : "", rec ? len : 0, err, errlen);
	spf_record_clear(&r);
	return rc;
}

/* ---- the evaluator's DNS plumbing ---- */

static void spf_done(struct spf_eval *e, enum spf_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void spf_done(struct spf_eval *e, enum spf_result r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->out.reason, sizeof e->out.reason, fmt, ap);
	va_end(ap);
	e->out.result = r;
	e->done = true;
}

/* The answer to (name, type) if it was given, else NULL with the question made pending. */
static const struct dns_answer *spf_query(struct spf_eval *e, const char *name, uint16_t type)
{
	for (size_t i = 0; i < e->n_answers; i++)
		if (e->answers[i].qtype == type && dname_equal(e->answers[i].qname, name))
			return &e->answers[i];
	if (e->n_answers >= SPF_MAX_ANSWERS) {
		spf_done(e, SPF_TEMPERROR, "more than %d DNS questions", SPF_MAX_ANSWERS);
		return NULL;
	}
	dname_canonical(name, e->need.name, sizeof e->need.name);
	e->need.type = type;
	e->need.flags = 0;
	e->waiting = true;
	return NULL;
}

/* Classify an answer; *n gets the number of RRs of the type asked (CNAMEs kept for evidence are
 * not counted). */
static enum spf_dns spf_dns_kind(struct spf_eval *e, const struct dns_answer *a, size_t *n)
{
	*n = 0;
	switch (a->status) {
	case DNS_STATUS_OK:
		for (size_t i = 0; i < a->n_rr; i++)
			if (a->rr[i].type == a->qtype)
				(*n)++;
		return *n ? SPF_DNS_FOUND : SPF_DNS_VOID;
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		return SPF_DNS_VOID;
	case DNS_STATUS_NOT_QUERIED:
		e->out.not_gathered = true;
		return SPF_DNS_MISSING;
	default:
		return SPF_DNS_ERROR;
	}
}

static const char *spf_dns_why(const struct dns_answer *a)
{
	return a->status == DNS_STATUS_NOT_QUERIED ? "not gathered" : dns_status_name(a->status);
}

/* §5: a lookup error ends the whole evaluation with temperror. */
static void spf_dns_error(struct spf_eval *e, const struct dns_answer *a)
{
	spf_done(e, SPF_TEMPERROR, "%s lookup of %s: %s", spf_type_name(a->qtype), a->qname,
		 spf_dns_why(a));
}

/* §4.6.4: count a void lookup; false when that exceeds the limit (the evaluation is over). */
static bool spf_count_void(struct spf_eval *e, const char *name)
{
	if (++e->out.void_lookups > SPF_MAX_VOID) {
		spf_done(e, SPF_PERMERROR, "more than %d void lookups (the last: %s)", SPF_MAX_VOID,
			 name);
		return false;
	}
	return true;
}

static bool spf_prefix_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int bytes = bits / 8, rest = bits % 8;
	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	if (rest == 0)
		return true;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (a[bytes] & mask) == (b[bytes] & mask);
}

/* An address RR of the client's family, compared with <ip> under the term's prefix length. */
static bool spf_addr_match(const struct spf_eval *e, const char *text, int cidr4, int cidr6)
{
	unsigned char buf[16];
	if (text == NULL || inet_pton(e->family == 4 ? AF_INET : AF_INET6, text, buf) != 1)
		return false;
	return spf_prefix_match(buf, e->ip, e->family == 4 ? cidr4 : cidr6);
}

/* ---- the validated name of <ip> (§5.5), shared by "ptr" and %{p} ---- */

static void spf_reverse_name(struct spf_eval *e)
{
	if (e->family == 4) {
		snprintf(e->p_rev, sizeof e->p_rev, "%u.%u.%u.%u.in-addr.arpa", e->ip[3], e->ip[2],
			 e->ip[1], e->ip[0]);
		return;
	}
	static const char hex[] = "0123456789abcdef";
	char *p = e->p_rev;
	for (int i = 15; i >= 0; i--) {
		*p++ = hex[e->ip[i] & 15];
		*p++ = '.';
		*p++ = hex[e->ip[i] >> 4];
		*p++ = '.';
	}
	strcpy(p, "ip6.arpa");
}

/* Returns true when the validated names are known, false while waiting for DNS. Lookup errors
 * are not fatal here: a failed PTR lookup means no names, a failed address lookup an
 * unvalidated name (§5.5). */
static bool spf_ptr_resolve(struct spf_eval *e)
{
	size_t n;
	if (e->p_state == SPF_P_DONE)
		return true;
	if (e->p_state == SPF_P_IDLE) {
		spf_reverse_name(e);
		e->p_state = SPF_P_PTR;
	}
	if (e->p_state == SPF_P_PTR) {
		const struct dns_answer *a = spf_query(e, e->p_rev, SPF_TYPE_PTR);
		if (a == NULL)
			return false;
		e->p_status = spf_dns_kind(e, a, &n);
		size_t seen = 0;
		for (size_t i = 0; e->p_status == SPF_DNS_FOUND && i < a->n_rr; i++) {
			const struct dns_rdata *rd = &a->rr[i];
			if (rd->type != SPF_TYPE_PTR || rd->text == NULL)
				continue;
			if (seen++ == SPF_MAX_PTR_NAMES)
				break; /* §4.6.4: the others MUST be ignored */
			char canon[DNAME_MAX];
			dname_canonical(rd->text, canon, sizeof canon);
			if (strlen(rd->text) < DNAME_MAX && spf_name_ok(canon))
				e->p_names[e->p_n++] = xstrdup(canon);
		}
		e->p_state = SPF_P_VALIDATE;
	}
	uint16_t type = e->family == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA;
	for (; e->p_i < e->p_n; e->p_i++) {
		const struct dns_answer *a = spf_query(e, e->p_names[e->p_i], type);
		if (a == NULL)
			return false;
		if (spf_dns_kind(e, a, &n) != SPF_DNS_FOUND)
			continue;
		for (size_t i = 0; i < a->n_rr && !e->p_valid[e->p_i]; i++)
			if (a->rr[i].type == type && spf_addr_match(e, a->rr[i].text, 32, 128))
				e->p_valid[e->p_i] = true;
	}
	e->p_state = SPF_P_DONE;
	return true;
}

/* name equals domain or is a subdomain of it (case-insensitive). */
static bool spf_within(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);
	if (d && domain[d - 1] == '.')
		d--;
	if (n < d || strncasecmp(name + n - d, domain, d) != 0)
		return false;
	return n == d || name[n - d - 1] == '.';
}

/* %{p} (§7.3): <domain> itself if validated, else a validated subdomain of it, else any
 * validated name, else "unknown". */
static const char *spf_ptr_macro(const struct spf_eval *e, const char *domain)
{
	const char *sub = NULL, *any = NULL;
	for (size_t i = 0; i < e->p_n; i++) {
		if (!e->p_valid[i])
			continue;
		if (dname_equal(e->p_names[i], domain))
			return e->p_names[i];
		if (!sub && spf_within(e->p_names[i], domain))
			sub = e->p_names[i];
		if (!any)
			any = e->p_names[i];
	}
	return sub ? sub : any ? any : "unknown";
}

/* ---- the state machine ---- */

static void spf_vars(const struct spf_eval *e, const struct spf_frame *f, struct spf_macro_vars *v)
{
	v->s = e->sender;
	v->l = e->local;
	v->o = e->sender_domain;
	v->d = f->domain;
	v->i = e->ip_macro;
	v->p = e->p_state == SPF_P_DONE ? spf_ptr_macro(e, f->domain) : NULL;
	v->v = e->family == 4 ? "in-addr" : "ip6";
	v->h = e->helo;
	v->c = e->ip_text;
	v->r = e->receiver;
	v->t = e->timestamp;
}

/* Expand a domain-spec into f->target (§7.3). false while %{p} waits for DNS; f->target_ok says
 * whether the result can be looked up (an unusable name is treated as non-existent, §4.8). */
static bool spf_expand_target(struct spf_eval *e, struct spf_frame *f, const char *spec, size_t len,
			      bool uses_p)
{
	if (uses_p && !spf_ptr_resolve(e))
		return false;
	struct spf_macro_vars v;
	spf_vars(e, f, &v);
	f->target_ok =
	    spf_macro_expand_domain(spec, len, &v, f->target) == 0 && spf_name_ok(f->target);
	return true;
}

static void spf_frame_init(struct spf_frame *f, const char *domain, bool via_redirect)
{
	memset(f, 0, sizeof *f);
	size_t n = strlen(domain);
	if (n && domain[n - 1] == '.')
		n--;
	if (n < sizeof f->domain) {
		memcpy(f->domain, domain, n);
		f->domain[n] = '\0';
		f->domain_ok = spf_domain_ok(f->domain);
	}
	f->via_redirect = via_redirect;
	f->state = SPF_F_FETCH;
}

static void spf_next_term(struct spf_frame *f)
{
	f->term++;
	f->phase = 0;
	f->mx_i = 0;
}

static void spf_frame_result(struct spf_eval *e, enum spf_result r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A directive matched: its qualifier is the frame's result (§4.6.2). */
static void spf_match(struct spf_eval *e, struct spf_frame *f, const struct spf_term *t)
{
	char q[SPF_QUOTE + 4];
	spf_frame_result(e, spf_qual_result(t->qual), "'%s' matched in the record of %s",
			 spf_quote(t->text, t->text_len, q, sizeof q), f->domain);
}

/* The current frame ended with r. Errors end everything (the topmost check_host() returns
 * them, §5); other results go to the including frame (§5.2) or are final. */
static void spf_frame_result(struct spf_eval *e, enum spf_result r, const char *fmt, ...)
{
	struct spf_frame *f = &e->frames[e->depth - 1];
	char why[SPF_REASON_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);

	if (r == SPF_NONE && (e->depth > 1 || f->via_redirect)) {
		/* §5.2 and §6.1: a target without a record is a permerror. */
		spf_done(e, SPF_PERMERROR, "%s%s: %s",
			 f->via_redirect ? "redirect=" : "include:", f->domain, why);
		return;
	}
	if (r == SPF_TEMPERROR || r == SPF_PERMERROR || e->depth == 1) {
		if (r == SPF_FAIL && f->rec.exp) {
			/* §6.2: the explanation is computed only for a final "fail". */
			e->out.result = r;
			snprintf(e->out.reason, sizeof e->out.reason, "%s", why);
			f->state = SPF_F_EXP;
			f->phase = 0;
			return;
		}
		spf_done(e, r, "%s", why);
		return;
	}
	spf_record_clear(&f->rec);
	e->depth--;
	struct spf_frame *parent = &e->frames[e->depth - 1];
	const struct spf_term *t = &parent->rec.terms[parent->term];
	if (r == SPF_PASS)
		spf_match(e, parent, t);
	else
		spf_next_term(parent); /* fail, softfail, neutral: "include" does not match */
}

static void spf_step_fetch(struct spf_eval *e, struct spf_frame *f)
{
	bool top = e->depth == 1 && !f->via_redirect;
	size_t n;
	if (!f->domain_ok) {
		spf_frame_result(e, SPF_NONE, "malformed domain '%s'", f->domain);
		return;
	}
	const struct dns_answer *a = spf_query(e, f->domain, DNS_TYPE_TXT);
	if (a == NULL)
		return;
	if (top)
		e->out.txt_status = a->status;
	enum spf_dns k = spf_dns_kind(e, a, &n);
	if (k == SPF_DNS_ERROR || k == SPF_DNS_MISSING) {
		spf_dns_error(e, a); /* §4.4 */
		return;
	}
	const struct dns_rdata *rec = NULL;
	int count = 0;
	for (size_t i = 0; k == SPF_DNS_FOUND && i < a->n_rr; i++) {
		const struct dns_rdata *rd = &a->rr[i];
		if (rd->type == DNS_TYPE_TXT && spf_is_record((const char *)rd->data, rd->len)) {
			if (count++ == 0)
				rec = rd;
		}
	}
	if (top)
		e->out.record_count = count;
	if (count == 0) {
		spf_frame_result(e, SPF_NONE, "no SPF record at %s", f->domain);
		return;
	}
	if (count > 1) {
		spf_done(e, SPF_PERMERROR, "%d SPF records at %s", count, f->domain); /* §4.5 */
		return;
	}
	char err[SPF_REASON_MAX - 64];
	int rc = spf_record_parse(&f->rec, (const char *)rec->data, rec->len, err, sizeof err);
	if (top) {
		e->out.record = xmalloc(rec->len + 1);
		memcpy(e->out.record, rec->data, rec->len);
		e->out.record[rec->len] = '\0';
		e->out.record_len = rec->len;
		e->out.syntax_valid = rc == 0;
		if (rc == 0 && f->rec.redirect)
			e->out.redirect = xstrndup(f->rec.redirect, f->rec.redirect_len);
	}
	if (rc < 0) {
		spf_done(e, SPF_PERMERROR, "record of %s: %s", f->domain, err);
		return;
	}
	if (e->depth == 1 && !e->all_known && (f->rec.all || !f->rec.redirect)) {
		/* §6.1: redirect= is ignored when the record has "all". */
		e->out.all = f->rec.all;
		e->all_known = true;
	}
	f->state = SPF_F_TERMS;
	f->term = 0;
	f->phase = 0;
}

/* Count a DNS-querying term against the limit of 10 (§4.6.4); false when over. */
static bool spf_count_lookup(struct spf_eval *e)
{
	if (++e->out.dns_lookups > SPF_MAX_DNS_TERMS) {
		spf_done(e, SPF_PERMERROR, "more than %d DNS lookups", SPF_MAX_DNS_TERMS);
		return false;
	}
	return true;
}

/* a: the target's addresses (§5.3). */
static void spf_step_a(struct spf_eval *e, struct spf_frame *f, const struct spf_term *t)
{
	uint16_t type = e->family == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA;
	size_t n;
	const struct dns_answer *a = spf_query(e, f->target, type);
	if (a == NULL)
		return;
	switch (spf_dns_kind(e, a, &n)) {
	case SPF_DNS_ERROR:
	case SPF_DNS_MISSING:
		spf_dns_error(e, a);
		return;
	case SPF_DNS_VOID:
		if (spf_count_void(e, f->target))
			spf_next_term(f);
		return;
	case SPF_DNS_FOUND:
		break;
	}
	for (size_t i = 0; i < a->n_rr; i++)
		if (a->rr[i].type == type && spf_addr_match(e, a->rr[i].text, t->cidr4, t->cidr6)) {
			spf_match(e, f, t);
			return;
		}
	spf_next_term(f);
}

static bool spf_mx_null(const struct dns_rdata *rd)
{
	return rd->text == NULL || rd->text[0] == '\0' || strcmp(rd->text, ".") == 0;
}

/* mx: the addresses of at most 10 MX names (§5.4, §4.6.4). */
static void spf_step_mx(struct spf_eval *e, struct spf_frame *f, const struct spf_term *t)
{
	size_t n;
	const struct dns_answer *mx = spf_query(e, f->target, DNS_TYPE_MX);
	if (mx == NULL)
		return;
	if (f->phase == 2) {
		switch (spf_dns_kind(e, mx, &n)) {
		case SPF_DNS_ERROR:
		case SPF_DNS_MISSING:
			spf_dns_error(e, mx);
			return;
		case SPF_DNS_VOID:
			if (spf_count_void(e, f->target))
				spf_next_term(f);
			return;
		case SPF_DNS_FOUND:
			break;
		}
		size_t names = 0;
		for (size_t i = 0; i < mx->n_rr; i++)
			if (mx->rr[i].type == DNS_TYPE_MX && !spf_mx_null(&mx->rr[i]))
				names++;
		if (names > SPF_MAX_MX_NAMES) {
			spf_done(e, SPF_PERMERROR, "more than %d MX names for mx:%s",
				 SPF_MAX_MX_NAMES, f->target);
			return;
		}
		f->phase = 3;
		f->mx_i = 0;
	}
	uint16_t type = e->family == 4 ? DNS_TYPE_A : DNS_TYPE_AAAA;
	for (; f->mx_i < mx->n_rr; f->mx_i++) {
		const struct dns_rdata *rd = &mx->rr[f->mx_i];
		char host[DNAME_MAX];
		if (rd->type != DNS_TYPE_MX || spf_mx_null(rd) || strlen(rd->text) >= DNAME_MAX)
			continue;
		dname_canonical(rd->text, host, sizeof host);
		if (!spf_name_ok(host))
			continue;
		const struct dns_answer *a = spf_query(e, host, type);
		if (a == NULL)
			return;
		enum spf_dns k = spf_dns_kind(e, a, &n);
		if (k == SPF_DNS_ERROR || k == SPF_DNS_MISSING) {
			spf_dns_error(e, a);
			return;
		}
		for (size_t i = 0; k == SPF_DNS_FOUND && i < a->n_rr; i++)
			if (a->rr[i].type == type &&
			    spf_addr_match(e, a->rr[i].text, t->cidr4, t->cidr6)) {
				spf_match(e, f, t);
				return;
			}
	}
	spf_next_term(f);
}

/* ptr: a validated name of <ip> within the target (§5.5). */
static void spf_step_ptr(struct spf_eval *e, struct spf_frame *f, const struct spf_term *t)
{
	if (!spf_ptr_resolve(e))
		return;
	if (e->p_status == SPF_DNS_VOID && !spf_count_void(e, e->p_rev))
		return;
	for (size_t i = 0; i < e->p_n; i++)
		if (e->p_valid[i] && spf_within(e->p_names[i], f->target)) {
			spf_match(e, f, t);
			return;
		}
	spf_next_term(f); /* also when the PTR lookup failed (§5.5) */
}

/* exists: any A record, whatever the client's family (§5.7). */
static void spf_step_exists(struct spf_eval *e, struct spf_frame *f, const struct spf_term *t)
{
	size_t n;
	const struct dns_answer *a = spf_query(e, f->target, DNS_TYPE_A);
	if (a == NULL)
		return;
	switch (spf_dns_kind(e, a, &n)) {
	case SPF_DNS_ERROR:
	case SPF_DNS_MISSING:
		spf_dns_error(e, a);
		return;
	case SPF_DNS_VOID:
		if (spf_count_void(e, f->target))
			spf_next_term(f);
		return;
	case SPF_DNS_FOUND:
		spf_match(e, f, t);
		return;
	}
}

static void spf_step_include(struct spf_eval *e, struct spf_frame *f)
{
	if (e->depth >= SPF_MAX_DEPTH) { /* unreachable: the lookup limit comes first */
		spf_done(e, SPF_PERMERROR, "includes nested too deep");
		return;
	}
	if (!f->target_ok || !spf_domain_ok(f->target)) {
		/* check_host() of a malformed name is "none", which include turns into permerror.
		 */
		spf_done(e, SPF_PERMERROR, "include: target in the record of %s is malformed",
			 f->domain);
		return;
	}
	f->phase = 3; /* resumed by spf_frame_result() when the included check_host() ends */
	spf_frame_init(&e->frames[e->depth++], f->target, false);
}

static void spf_step_terms(struct spf_eval *e, struct spf_frame *f)
{
	if (f->term >= f->rec.n_terms) {
		if (f->rec.redirect) {
			f->state = SPF_F_REDIRECT;
			f->phase = 0;
			return;
		}
		spf_frame_result(e, SPF_NEUTRAL, "no mechanism matched in the record of %s",
				 f->domain); /* §4.7 */
		return;
	}
	const struct spf_term *t = &f->rec.terms[f->term];
	switch (t->mech) {
	case SPF_M_ALL:
		spf_match(e, f, t);
		return;
	case SPF_M_IP4:
	case SPF_M_IP6:
		if ((t->mech == SPF_M_IP4) == (e->family == 4) &&
		    spf_prefix_match(t->net, e->ip, e->family == 4 ? t->cidr4 : t->cidr6))
			spf_match(e, f, t);
		else
			spf_next_term(f);
		return;
	default:
		break;
	}
	if (f->phase == 0) {
		if (!spf_count_lookup(e))
			return;
		f->phase = 1;
	}
	if (f->phase == 1) {
		if (t->spec) {
			if (!spf_expand_target(e, f, t->spec, t->spec_len, t->uses_p))
				return;
		} else {
			memcpy(f->target, f->domain, sizeof f->target);
			f->target_ok = true;
		}
		f->phase = 2;
		if (!f->target_ok && t->mech != SPF_M_INCLUDE) {
			spf_next_term(f); /* a name that cannot exist does not match (§4.8) */
			return;
		}
	}
	switch (t->mech) {
	case SPF_M_A:
		spf_step_a(e, f, t);
		break;
	case SPF_M_MX:
		spf_step_mx(e, f, t);
		break;
	case SPF_M_PTR:
		spf_step_ptr(e, f, t);
		break;
	case SPF_M_EXISTS:
		spf_step_exists(e, f, t);
		break;
	case SPF_M_INCLUDE:
		spf_step_include(e, f);
		break;
	default:
		break;
	}
}

static void spf_step_redirect(struct spf_eval *e, struct spf_frame *f)
{
	if (f->phase == 0) {
		if (!spf_count_lookup(e))
			return;
		f->phase = 1;
	}
	if (!spf_expand_target(e, f, f->rec.redirect, f->rec.redirect_len, f->rec.redirect_p))
		return;
	if (!f->target_ok || !spf_domain_ok(f->target)) {
		spf_done(e, SPF_PERMERROR, "redirect= target of %s is malformed", f->domain);
		return;
	}
	if (e->depth == 1 && !f->via_redirect) {
		free(e->out.redirect);
		e->out.redirect = xstrdup(f->target);
	}
	/* §6.1: the target's result is this record's result; tail call in the same frame, which
	 * also drops this record's exp= (§6.2). */
	char target[DNAME_MAX];
	memcpy(target, f->target, sizeof target);
	spf_record_clear(&f->rec);
	spf_frame_init(f, target, true);
}

/* The top-level result is fail and the record has exp=: fetch and expand the explanation. Any
 * problem leaves the default explanation (§6.2); these lookups count against no limit. */
static void spf_step_exp(struct spf_eval *e, struct spf_frame *f)
{
	size_t n;
	if (f->phase == 0) {
		if (!spf_expand_target(e, f, f->rec.exp, f->rec.exp_len, f->rec.exp_p))
			return;
		if (!f->target_ok) {
			e->done = true;
			return;
		}
		f->phase = 1;
	}
	const struct dns_answer *a = spf_query(e, f->target, DNS_TYPE_TXT);
	if (a == NULL)
		return;
	if (a->status == DNS_STATUS_NOT_QUERIED || spf_dns_kind(e, a, &n) != SPF_DNS_FOUND ||
	    n != 1) {
		e->done = true;
		return;
	}
	const struct dns_rdata *rd = NULL;
	for (size_t i = 0; i < a->n_rr && !rd; i++)
		if (a->rr[i].type == DNS_TYPE_TXT)
			rd = &a->rr[i];
	const char *text = rd->data ? (const char *)rd->data : "";
	struct spf_macro_info mi;
	if (spf_macro_check(text, rd->len, SPF_MACRO_EXPLAIN, &mi, NULL, 0) < 0) {
		e->done = true;
		return;
	}
	if (mi.uses_p && !spf_ptr_resolve(e))
		return; /* the TXT answer stays in the cache for the next round */
	e->done = true;
	struct spf_macro_vars v;
	spf_vars(e, f, &v);
	if (spf_macro_expand(text, rd->len, SPF_MACRO_EXPLAIN, &v, e->out.explanation,
			     sizeof e->out.explanation) < 0)
		e->out.explanation[0] = '\0';
}

/* ---- the public face of the evaluator ---- */

static void spf_ip_forms(struct spf_eval *e)
{
	if (e->family == 4) {
		inet_ntop(AF_INET, e->ip, e->ip_text, sizeof e->ip_text);
		snprintf(e->ip_macro, sizeof e->ip_macro, "%s", e->ip_text);
		return;
	}
	inet_ntop(AF_INET6, e->ip, e->ip_text, sizeof e->ip_text);
	/* §7.3: IPv6 %{i} is 32 dot-separated nibbles; upper case, as in the §7.4 examples. */
	static const char hex[] = "0123456789ABCDEF";
	char *p = e->ip_macro;
	for (int i = 0; i < 16; i++) {
		*p++ = hex[e->ip[i] >> 4];
		*p++ = '.';
		*p++ = hex[e->ip[i] & 15];
		*p++ = i == 15 ? '\0' : '.';
	}
}

static bool spf_parse_client(struct spf_eval *e, const char *ip)
{
	unsigned char buf[16];
	if (ip == NULL)
		return false;
	if (inet_pton(AF_INET, ip, buf) == 1) {
		e->family = 4;
		memcpy(e->ip, buf, 4);
	} else if (inet_pton(AF_INET6, ip, buf) == 1) {
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
		if (memcmp(buf, mapped, 12) == 0) { /* §5: an IPv4-mapped address is IPv4 */
			e->family = 4;
			memcpy(e->ip, buf + 12, 4);
		} else {
			e->family = 6;
			memcpy(e->ip, buf, 16);
		}
	} else {
		return false;
	}
	spf_ip_forms(e);
	return true;
}

struct spf_eval *spf_eval_new(const char *domain, const char *sender, const char *ip,
			      const char *helo)
{
	struct spf_eval *e = xcalloc(1, sizeof *e);
	if (domain == NULL)
		domain = "";
	e->receiver = xstrdup("unknown");
	snprintf(e->timestamp, sizeof e->timestamp, "0");
	e->helo = xstrdup(helo ? helo : domain);

	/* §4.3: <sender> without a local-part gets "postmaster". */
	char *owned = NULL;
	if (sender == NULL || sender[0] == '\0')
		sender = owned = xasprintf("postmaster@%s", domain);
	const char *at = strrchr(sender, '@');
	e->local = (at == NULL || at == sender) ? xstrdup("postmaster")
						: xstrndup(sender, (size_t)(at - sender));
	e->sender_domain = xstrdup(at ? at + 1 : sender);
	e->sender = xasprintf("%s@%s", e->local, e->sender_domain);
	free(owned);

	spf_frame_init(&e->frames[0], domain, false);
	e->depth = 1;
	if (!spf_parse_client(e, ip)) {
		char q[SPF_QUOTE + 4];
		spf_done(e, SPF_PERMERROR, "invalid client address '%s'",
			 spf_quote(ip ? ip : "", ip ? strlen(ip) : 0, q, sizeof q));
		e->family = 4;
		spf_ip_forms(e);
	}
	return e;
}

void spf_eval_set_receiver(struct spf_eval *e, const char *receiver, long long now)
{
	free(e->receiver);
	e->receiver = xstrdup(receiver ? receiver : "unknown");
	snprintf(e->timestamp, sizeof e->timestamp, "%lld", now);
}

enum spf_step spf_eval_step(struct spf_eval *e, struct dns_question *need)
{
	while (!e->done && !e->waiting) {
		struct spf_frame *f = &e->frames[e->depth - 1];
		switch (f->state) {
		case SPF_F_FETCH:
			spf_step_fetch(e, f);
			break;
		case SPF_F_TERMS:
			spf_step_terms(e, f);
			break;
		case SPF_F_REDIRECT:
			spf_step_redirect(e, f);
			break;
		case SPF_F_EXP:
			spf_step_exp(e, f);
			break;
		}
	}
	if (e->done)
		return SPF_STEP_DONE;
	if (need)
		*need = e->need;
	return SPF_STEP_NEED_DNS;
}

void spf_eval_answer(struct spf_eval *e, const struct dns_answer *a)
{
	if (!e->waiting)
		return;
	xgrow((void **)&e->answers, &e->cap_answers, e->n_answers + 1, sizeof *e->answers);
	struct dns_answer *c = &e->answers[e->n_answers++];
	if (a) {
		dns_answer_copy(c, a);
		free(c->qname);
	} else {
		memset(c, 0, sizeof *c);
		c->status = DNS_STATUS_NOT_QUERIED;
		c->rcode = -1;
	}
	/* Filed under the question asked, whatever name the answer carries. */
	c->qname = xstrdup(e->need.name);
	c->qtype = e->need.type;
	e->waiting = false;
}

const struct spf_outcome *spf_eval_outcome(const struct spf_eval *e) { return &e->out; }

void spf_eval_free(struct spf_eval *e)
{
	if (e == NULL)
		return;
	for (size_t i = 0; i < SPF_MAX_DEPTH; i++)
		spf_record_clear(&e->frames[i].rec);
	for (size_t i = 0; i < e->p_n; i++)
		free(e->p_names[i]);
	for (size_t i = 0; i < e->n_answers; i++)
		dns_answer_clear(&e->answers[i]);
	free(e->answers);
	free(e->out.record);
	free(e->out.redirect);
	free(e->sender);
	free(e->local);
	free(e->sender_domain);
	free(e->helo);
	free(e->receiver);
	free(e);
}

/* ---- the check ---- */

/* Evaluate check_host(ip, <domain>, postmaster@<domain>) over the evidence. When q is not NULL
 * (planning), stop at the first answer the evidence lacks and ask for it. */
static struct spf_eval *spf_check_run(const struct evidence *ev, const char *ip,
				      struct dns_question *q, size_t max, size_t *n)
{
	struct spf_eval *e = spf_eval_new(ev->domain, NULL, ip, ev->domain);
	struct dns_question need;
	while (spf_eval_step(e, &need) == SPF_STEP_NEED_DNS) {
		const struct dns_answer *a = evidence_dns_find(ev, need.name, need.type);
		if (q && (a == NULL || a->status == DNS_STATUS_NOT_QUERIED)) {
			check_plan_ask(ev, q, max, n, need.name, need.type, need.flags);
			break;
		}
		spf_eval_answer(e, a);
	}
	return e;
}

static size_t spf_plan_ip(const struct evidence *ev, const char *ip, struct dns_question *q,
			  size_t max)
{
	size_t n = 0;
	spf_eval_free(spf_check_run(ev, ip, q, max, &n));
	return n;
}

static size_t spf_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	return spf_plan_ip(ev, SPF_CHECK_IP, q, max);
}

static json_t *spf_json_str(const char *s)
{
	return s ? txtrec_json_bytes(s, strlen(s)) : json_null();
}

static void spf_evaluate_ip(const struct evidence *ev, const char *ip, struct result *res)
{
	struct spf_eval *e = spf_check_run(ev, ip, NULL, 0, NULL);
	const struct spf_outcome *o = spf_eval_outcome(e);
	char all[8] = "";
	if (o->all)
		snprintf(all, sizeof all, "%call", o->all);

	bool supported =
	    o->record_count == 1 && (o->result == SPF_PASS || o->result == SPF_FAIL ||
				     o->result == SPF_SOFTFAIL || o->result == SPF_NEUTRAL);
	/* mecsa-st grants the policy on the substrings "-all" / " ~all" of the record, or of the
	 * record of the first redirect= target; we use the parsed qualifier of the "all" that
	 * applies (redirect= is ignored when the record has "all", and followed to the end of the
	 * chain otherwise), so "include:spf-all.example ?all" is no policy and "\t~all" cannot be
	 * written at all (a tab makes the record invalid). */
	bool policy = supported && (o->all == '-' || o->all == '~');
	res->supported[MECSA_SPF] = supported;
	res->percent[MECSA_SPF] = supported ? 100 : 0;
	res->supported[MECSA_SPF_POLICY] = policy;

	json_t *d = json_object();
	json_object_set_new(d, "record",
			    o->record ? txtrec_json_bytes(o->record, o->record_len) : json_null());
	json_object_set_new(d, "records_found", json_integer(o->record_count));
	json_object_set_new(d, "syntax_valid", json_boolean(o->syntax_valid));
	json_object_set_new(d, "result", json_string(spf_result_name(o->result)));
	json_object_set_new(d, "reason", spf_json_str(o->reason));
	json_object_set_new(d, "all", o->all ? json_string(all) : json_null());
	json_object_set_new(d, "redirect", spf_json_str(o->redirect));
	json_object_set_new(d, "dns_lookups", json_integer(o->dns_lookups));
	json_object_set_new(d, "void_lookups", json_integer(o->void_lookups));
	json_object_set_new(d, "mecsa_policy", json_boolean(policy));
	if (o->explanation[0])
		json_object_set_new(d, "explanation", spf_json_str(o->explanation));

	enum dns_status ts = o->txt_status;
	if (ts != DNS_STATUS_NOT_QUERIED && !dns_status_is_answer(ts))
		result_set(res, CHECK_SPF, d, VERDICT_DNS_ERROR, "TXT lookup of %s: %s", ev->domain,
			   dns_status_name(ts));
	else if (o->record_count == 0 && o->result == SPF_NONE)
		result_set(res, CHECK_SPF, d, VERDICT_ABSENT, "%s", o->reason);
	else if (o->result == SPF_PERMERROR || o->result == SPF_NONE)
		result_set(res, CHECK_SPF, d, VERDICT_FAIL, "%s", o->reason);
	else if (o->result == SPF_TEMPERROR)
		result_set(res, CHECK_SPF, d, VERDICT_NOT_TESTABLE, "%s", o->reason);
	else
		result_set(res, CHECK_SPF, d, VERDICT_PASS, NULL);
	spf_eval_free(e);
}

static void spf_evaluate(const struct evidence *ev, struct result *res)
{
	spf_evaluate_ip(ev, SPF_CHECK_IP, res);
}

const struct check check_spf = {
    .id = CHECK_SPF,
    .name = "spf",
    .title = "SPF",
    .plan = spf_plan,
    .plan_self_contained = 1,
    .evaluate = spf_evaluate,
};
