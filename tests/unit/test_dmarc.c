/* test_dmarc.c — table-driven tests of the DMARC check: the record parser, discovery by RFC 7489
 * (domain, then PSL organizational domain) and by the DMARCbis tree walk, external report
 * destinations, plan() and the MECSA flags. Evidence is built by hand, or answered from a fake
 * zone by a gathering loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/dmarc.h"
#include "checks/evidence.h"
#include "checks/result.h"

/* ---- parser ------------------------------------------------------------------------------- */

struct parse_case {
	const char *txt;	  /* the record */
	size_t len;		  /* its length; 0: strlen(txt) */
	int rc;			  /* expected dmarc_parse() result */
	const char *err;	  /* substring of the error message (rc -1) */
	const char *err_tag;	  /* expected err_tag when not NULL */
	int fatal;		  /* expected fatal flag */
	enum dmarc_policy p;	  /* expected p */
	enum dmarc_policy sp;	  /* expected sp */
	size_t n_rua;		  /* expected valid rua URIs */
	size_t n_ruf;		  /* expected valid ruf URIs */
	size_t n_unknown;	  /* expected unknown tags */
	void (*extra)(const struct dmarc_record *r); /* further checks, or NULL */
};

static void extra_all_tags(const struct dmarc_record *r)
{
	assert_int_equal(r->np, DMARC_POLICY_REJECT);
	assert_int_equal(r->adkim, DMARC_ALIGN_STRICT);
	assert_int_equal(r->aspf, DMARC_ALIGN_RELAXED);
	assert_int_equal(r->pct, 50);
	assert_int_equal(r->fo, DMARC_FO_1 | DMARC_FO_D | DMARC_FO_S);
	assert_string_equal(r->rf, "afrf");
	assert_int_equal(r->ri, 3600);
	assert_int_equal(r->psd, DMARC_PSD_N);
	assert_int_equal(r->t, 1);
	assert_string_equal(r->rua[0].host, "example.com");
	assert_int_equal(r->bad, 0);
}

static void extra_defaults(const struct dmarc_record *r)
{
	assert_int_equal(r->pct, 100);
	assert_int_equal(r->ri, 86400);
	assert_int_equal(r->fo, 0);
	assert_null(r->rf);
	assert_int_equal(r->adkim, DMARC_ALIGN_UNSET);
	assert_int_equal(r->psd, DMARC_PSD_UNSET);
	assert_int_equal(r->t, 0);
}

static void extra_sizes(const struct dmarc_record *r)
{
	assert_int_equal(r->rua[0].max_size, 10ULL << 20);
	assert_string_equal(r->rua[0].uri, "mailto:a@example.com");
	assert_string_equal(r->rua[0].text, "mailto:a@example.com!10m");
	assert_int_equal(r->rua[1].max_size, 1ULL << 40);
	assert_int_equal(r->rua[2].max_size, 500);
	assert_null(r->rua[2].host); /* https: no mailto host */
	assert_string_equal(r->ruf[0].host, "reports.example.net");
}

static void extra_pct0(const struct dmarc_record *r)
{
	assert_int_equal(r->pct, 0);
}

static void extra_unknown(const struct dmarc_record *r)
{
	assert_string_equal(r->unknown[0], "foo");
	assert_string_equal(r->unknown[1], "P");
}

static void extra_bad_rua_keeps_good(const struct dmarc_record *r)
{
	assert_true(r->bad & (1u << DMARC_TAG_RUA));
	assert_string_equal(r->rua[0].uri, "mailto:good@example.com");
}

static void extra_bad_sp_only(const struct dmarc_record *r)
{
	assert_int_equal(r->bad, 1u << DMARC_TAG_SP);
}

static void extra_psd_y(const struct dmarc_record *r)
{
	assert_int_equal(r->psd, DMARC_PSD_Y);
}

static const struct parse_case parse_cases[] = {
	/* valid */
	{.txt = "v=DMARC1; p=none", .p = DMARC_POLICY_NONE, .extra = extra_defaults},
	{.txt = "v=DMARC1;p=reject;", .p = DMARC_POLICY_REJECT},
	{.txt = "v=DMARC1; p=quarantine; sp=none", .p = DMARC_POLICY_QUARANTINE,
	 .sp = DMARC_POLICY_NONE},
	{.txt = "  v = DMARC1 ;\tp =  reject\t; sp= quarantine ;  ", .p = DMARC_POLICY_REJECT,
	 .sp = DMARC_POLICY_QUARANTINE},
	{.txt = "v=DMARC1; p=REJECT; adkim=S", .p = DMARC_POLICY_REJECT}, /* keywords: any case */
	{.txt = "v=DMARC1; p=reject; sp=none; np=reject; adkim=s; aspf=r; pct=50; fo=1:d : s; "
		"rf=afrf; ri=3600; rua=mailto:d@example.com; ruf=mailto:f@example.com; psd=n; t=y",
	 .p = DMARC_POLICY_REJECT, .sp = DMARC_POLICY_NONE, .n_rua = 1, .n_ruf = 1,
	 .extra = extra_all_tags},
	{.txt = "v=DMARC1; p=none; rua=mailto:a@example.com!10m , mailto:b@example.com!1T,"
		"https://example.com/r?x=1&y=2!500; ruf=mailto:x@Reports.Example.NET.",
	 .p = DMARC_POLICY_NONE, .n_rua = 3, .n_ruf = 1, .extra = extra_sizes},
	{.txt = "v=DMARC1; p=reject; rua=mailto:dmarc@example.com?subject=report",
	 .p = DMARC_POLICY_REJECT, .n_rua = 1},
	{.txt = "v=DMARC1; p=none; pct=0", .p = DMARC_POLICY_NONE, .extra = extra_pct0},
	{.txt = "v=DMARC1; p=none; pct=100; ri=4294967295", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; foo=bar; P=reject", .p = DMARC_POLICY_NONE, .n_unknown = 2,
	 .extra = extra_unknown},
	{.txt = "v=DMARC1; p=none; rua=mailto:a%40b@example.com", .p = DMARC_POLICY_NONE,
	 .n_rua = 1},
	{.txt = "v=DMARC1; p=none; psd=y", .p = DMARC_POLICY_NONE, .extra = extra_psd_y},

	/* the version tag */
	{.txt = "v=dmarc1; p=none", .rc = -1, .err = "exactly \"DMARC1\"", .err_tag = "v",
	 .fatal = 1},
	{.txt = "v=DMARC; p=none", .rc = -1, .err = "exactly", .fatal = 1},
	{.txt = "p=none; v=DMARC1", .rc = -1, .err = "must start with v=DMARC1", .fatal = 1},
	{.txt = "V=DMARC1; p=none", .rc = -1, .err = "must start", .fatal = 1},
	{.txt = "; v=DMARC1; p=none", .rc = -1, .err = "must start", .fatal = 1},
	{.txt = "v=DMARC1p=none", .rc = -1, .err = "not \"DMARC1p=none\"", .fatal = 1},
	{.txt = "v=DMARC1; p=none; v=DMARC1", .rc = -1, .err = "repeated", .err_tag = "v",
	 .p = DMARC_POLICY_NONE},

	/* p */
	{.txt = "v=DMARC1", .rc = -1, .err = "required tag missing", .err_tag = "p"},
	{.txt = "v=DMARC1;", .rc = -1, .err = "required tag missing", .err_tag = "p"},
	{.txt = "v=DMARC1; rua=mailto:d@example.com", .rc = -1, .err = "p: required",
	 .n_rua = 1},
	{.txt = "v=DMARC1; rua=mailto:d@example.com; p=reject", .rc = -1,
	 .err = "second tag", .err_tag = "p", .p = DMARC_POLICY_REJECT, .n_rua = 1},
	{.txt = "v=DMARC1; p=rejct", .rc = -1, .err = "p: invalid value \"rejct\"",
	 .err_tag = "p"},
	{.txt = "v=DMARC1; p=", .rc = -1, .err = "p: empty value", .err_tag = "p"},
	{.txt = "v=DMARC1; p=none; p=reject", .rc = -1, .err = "p: repeated tag",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none reject", .rc = -1, .err = "invalid value", .err_tag = "p"},

	/* each tag's bad values */
	{.txt = "v=DMARC1; p=none; sp=all", .rc = -1, .err_tag = "sp", .p = DMARC_POLICY_NONE,
	 .extra = extra_bad_sp_only},
	{.txt = "v=DMARC1; p=none; np=maybe", .rc = -1, .err_tag = "np", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; adkim=x", .rc = -1, .err = "r or s", .err_tag = "adkim",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; aspf=relaxed", .rc = -1, .err_tag = "aspf",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; pct=101", .rc = -1, .err = "0-100", .err_tag = "pct",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; pct=-1", .rc = -1, .err_tag = "pct", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; pct=0100", .rc = -1, .err_tag = "pct", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; pct=5%", .rc = -1, .err_tag = "pct", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; fo=2", .rc = -1, .err = "fo: invalid option \"2\"",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; fo=0:", .rc = -1, .err_tag = "fo", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; fo=0,1", .rc = -1, .err_tag = "fo", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rf=-afrf", .rc = -1, .err_tag = "rf", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; ri=4294967296", .rc = -1, .err_tag = "ri",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; ri=1h", .rc = -1, .err_tag = "ri", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; psd=yes", .rc = -1, .err = "y, n or u", .err_tag = "psd",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; t=u", .rc = -1, .err_tag = "t", .p = DMARC_POLICY_NONE},

	/* URIs */
	{.txt = "v=DMARC1; p=none; rua=dmarc@example.com", .rc = -1, .err = "no URI scheme",
	 .err_tag = "rua", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:", .rc = -1, .err = "nothing after the scheme",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:example.com", .rc = -1, .err = "local-part@domain",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:d@exa_mple.com", .rc = -1, .err = "not a host name",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:d@example.com!", .rc = -1, .err = "bad size",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:d@example.com!10x", .rc = -1, .err = "bad size",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:d@example.com!1!2", .rc = -1, .err = "bad size",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:d@example.com!99999999999999999999", .rc = -1,
	 .err = "bad size", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:a b@example.com", .rc = -1,
	 .err = "character ' ' not allowed", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:d@example.com%zz", .rc = -1,
	 .err = "percent-encoding", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua=mailto:good@example.com,,mailto:x@", .rc = -1,
	 .err = "empty URI", .p = DMARC_POLICY_NONE, .n_rua = 1, .extra = extra_bad_rua_keeps_good},
	{.txt = "v=DMARC1; p=none; ruf=mailto:d@example.com,<mailto:e@example.com>", .rc = -1,
	 .err_tag = "ruf", .p = DMARC_POLICY_NONE, .n_ruf = 1},

	/* structure */
	{.txt = "v=DMARC1; p=none;; sp=none", .rc = -1, .err = "empty tag between",
	 .p = DMARC_POLICY_NONE, .sp = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; rua", .rc = -1, .err = "has no '='", .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; r-a=x", .rc = -1, .err = "invalid tag name",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; =x", .rc = -1, .err = "empty tag name",
	 .p = DMARC_POLICY_NONE},
	{.txt = "v=DMARC1; p=none; foo=1; foo=2", .rc = -1, .err = "foo: repeated",
	 .p = DMARC_POLICY_NONE, .n_unknown = 1},
	{.txt = "v=DMARC1; p=none; foo=", .rc = -1, .err = "foo: empty value",
	 .p = DMARC_POLICY_NONE, .n_unknown = 1},

	/* bytes and sizes */
	{.txt = "", .rc = -1, .err = "empty record", .fatal = 1},
	{.txt = "v=DMARC1; p=none\0; sp=none", .len = 27, .rc = -1,
	 .err = "byte 0x00 at offset 16", .fatal = 1},
	{.txt = "v=DMARC1; p=\xc3\xa9", .rc = -1, .err = "byte 0xc3", .fatal = 1},
	{.txt = "v=DMARC1; p=none\r\n", .rc = -1, .err = "byte 0x0d", .fatal = 1},
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->txt);
		struct dmarc_record r;
		char err[256];
		int rc = dmarc_parse(c->txt, len, &r, err, sizeof err);
		print_message("parse[%zu] \"%s\" -> %d \"%s\"\n", i, c->txt, rc, err);
		assert_int_equal(rc, c->rc);
		if (c->rc == 0)
			assert_string_equal(err, "");
		if (c->err)
			assert_non_null(strstr(err, c->err));
		if (c->err_tag)
			assert_string_equal(r.err_tag, c->err_tag);
		assert_int_equal(r.fatal, c->fatal);
		assert_int_equal(r.p, c->p);
		assert_int_equal(r.sp, c->sp);
		assert_int_equal(r.n_rua, c->n_rua);
		assert_int_equal(r.n_ruf, c->n_ruf);
		assert_int_equal(r.n_unknown, c->n_unknown);
		if (c->extra)
			c->extra(&r);
		dmarc_record_clear(&r);
		assert_null(r.rua); /* cleared */
	}
}

static void test_parse_limits(void **state)
{
	(void)state;
	static char big[DMARC_TXT_MAX + 2];
	struct {
		size_t len; /* record length */
		int rc;	    /* expected */
	} cases[] = {{DMARC_TXT_MAX, 0}, {DMARC_TXT_MAX + 1, -1}};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		/* "v=DMARC1; p=none; rua=mailto:a@example.com,..." padded with spaces */
		memset(big, ' ', sizeof big);
		memcpy(big, "v=DMARC1; p=none", 16);
		struct dmarc_record r;
		char err[128];
		assert_int_equal(dmarc_parse(big, cases[i].len, &r, err, sizeof err), cases[i].rc);
		if (cases[i].rc)
			assert_non_null(strstr(err, "too long"));
		dmarc_record_clear(&r);
	}
	/* A NULL text, a zero err buffer, and clearing NULL are all safe. */
	struct dmarc_record r;
	assert_int_equal(dmarc_parse(NULL, 0, &r, NULL, 0), -1);
	assert_int_equal(r.fatal, 1);
	dmarc_record_clear(&r);
	dmarc_record_clear(NULL);
}

/* Bad input never crashes: every prefix of a busy record parses to 0 or -1, and -1 always comes
 * with a message (also when the caller's buffer is tiny). */
static void test_parse_prefixes(void **state)
{
	(void)state;
	static const char rec[] = "v=DMARC1; p=quarantine; sp=reject; np=none; adkim=s; aspf=r; "
				  "pct=42; fo=0:1:d:s; rf=afrf:iodef; ri=86400; psd=u; t=n; "
				  "rua=mailto:a@example.com!10m,https://r.example.net/x?a=%41; "
				  "ruf=mailto:f@example.org; zz=top";
	size_t valid = 0;
	for (size_t len = 0; len <= sizeof rec - 1; len++) {
		struct dmarc_record r;
		char err[96], tiny[8];
		int rc = dmarc_parse(rec, len, &r, err, sizeof err);
		assert_true(rc == 0 || rc == -1);
		if (rc == 0)
			valid++;
		else
			assert_true(err[0] != '\0');
		dmarc_record_clear(&r);
		assert_int_equal(dmarc_parse(rec, len, &r, tiny, sizeof tiny), rc);
		assert_true(strlen(tiny) < sizeof tiny);
		dmarc_record_clear(&r);
	}
	/* The full record and the prefixes that end at a tag boundary (or inside a value that is
	 * itself valid) parse; the rest do not. */
	assert_true(valid > 10 && valid < sizeof rec - 1);
	struct dmarc_record r;
	assert_int_equal(dmarc_parse(rec, sizeof rec - 1, &r, NULL, 0), 0);
	assert_int_equal(r.n_unknown, 1);
	dmarc_record_clear(&r);
}

static void test_txt_prefix(void **state)
{
	(void)state;
	struct {
		const char *txt; /* TXT data */
		int record;	 /* dmarc_txt_is_record */
		int candidate;	 /* dmarc_txt_is_candidate */
	} cases[] = {
		{"v=DMARC1; p=none", 1, 1},  {"v=DMARC1", 1, 1},	 {" v = DMARC1;", 1, 1},
		{"v=DMARC1\tp=none", 1, 1},  {"v=dmarc1; p=none", 0, 1}, {"V=DMARC1", 0, 1},
		{"v=DMARC10; p=none", 0, 1}, {"v=DMARC2", 0, 0},	 {"v=spf1 -all", 0, 0},
		{"", 0, 0},		     {"v=", 0, 0},		 {"xv=DMARC1", 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const unsigned char *d = (const unsigned char *)cases[i].txt;
		assert_int_equal(dmarc_txt_is_record(d, strlen(cases[i].txt)), cases[i].record);
		assert_int_equal(dmarc_txt_is_candidate(d, strlen(cases[i].txt)),
				 cases[i].candidate);
	}
	assert_int_equal(dmarc_txt_is_record(NULL, 0), 0);
}

static void test_org_and_walk_names(void **state)
{
	(void)state;
	struct {
		const char *name; /* input */
		const char *org;  /* PSL organizational domain, NULL for a public suffix */
	} orgs[] = {
		{"example.com", "example.com"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"x.user.github.io", "user.github.io"},
		{"co.uk", NULL},
		{"com", NULL},
		{"Mail.Example.COM.", "example.com"},
	};
	for (size_t i = 0; i < sizeof orgs / sizeof *orgs; i++) {
		char out[DNAME_MAX];
		const char *o = dmarc_org_domain(orgs[i].name, out, sizeof out);
		if (orgs[i].org)
			assert_string_equal(o, orgs[i].org);
		else
			assert_null(o);
	}

	struct {
		const char *domain;    /* walk start */
		const char *names[9];  /* expected names, NULL-terminated */
	} walks[] = {
		{"example.com", {"example.com", "com"}},
		{"a.mail.example.com",
		 {"a.mail.example.com", "mail.example.com", "example.com", "com"}},
		/* the draft's own example (RFC 9989 §4.10): 13 labels, eight queries */
		{"a.b.c.d.e.f.g.h.i.j.mail.example.com",
		 {"a.b.c.d.e.f.g.h.i.j.mail.example.com", "g.h.i.j.mail.example.com",
		  "h.i.j.mail.example.com", "i.j.mail.example.com", "j.mail.example.com",
		  "mail.example.com", "example.com", "com"}},
		/* exactly eight labels: the parent already has seven */
		{"b.c.d.e.f.g.example.com",
		 {"b.c.d.e.f.g.example.com", "c.d.e.f.g.example.com", "d.e.f.g.example.com",
		  "e.f.g.example.com", "f.g.example.com", "g.example.com", "example.com", "com"}},
		{"com", {"com"}},
	};
	for (size_t i = 0; i < sizeof walks / sizeof *walks; i++) {
		char names[DMARC_WALK_MAX][DNAME_MAX];
		size_t n = dmarc_walk_names(walks[i].domain, names, DMARC_WALK_MAX);
		size_t want = 0;
		while (walks[i].names[want])
			want++;
		assert_int_equal(n, want);
		for (size_t k = 0; k < n; k++)
			assert_string_equal(names[k], walks[i].names[k]);
	}
}

/* ---- evidence ----------------------------------------------------------------------------- */

struct ans {
	const char *qname;	/* TXT question */
	enum dns_status status; /* what came back */
	const char *txt[3];	/* TXT records (status OK) */
};

#define NX(n) {n, DNS_STATUS_NXDOMAIN, {NULL}}
#define ND(n) {n, DNS_STATUS_NODATA, {NULL}}
#define SF(n) {n, DNS_STATUS_SERVFAIL, {NULL}}
#define TO(n) {n, DNS_STATUS_TIMEOUT, {NULL}}
#define OK(n, ...) {n, DNS_STATUS_OK, {__VA_ARGS__}}

static struct evidence *build(const char *domain, const struct ans *ans, size_t n)
{
	struct evidence *ev = evidence_new(domain);
	for (size_t i = 0; i < n && ans[i].qname; i++) {
		struct dns_answer *a = evidence_dns_slot(ev, ans[i].qname, DNS_TYPE_TXT);
		a->status = ans[i].status;
		a->rcode = ans[i].status == DNS_STATUS_SERVFAIL ? 2 : 0;
		for (size_t k = 0; k < 3 && ans[i].txt[k]; k++)
			dns_answer_add(a, DNS_TYPE_TXT, NULL, ans[i].txt[k], strlen(ans[i].txt[k]));
	}
	return ev;
}

/* ---- evaluation ------------------------------------------------------------------------------ */

struct eval_case {
	const char *name;	    /* what is tested */
	const char *domain;	    /* scanned domain */
	struct ans ans[8];	    /* evidence */
	enum verdict_status verdict; /* expected verdict */
	const char *reason;	    /* substring of the reason, or NULL */
	int dmarc;		    /* expected supported[MECSA_DMARC] */
	int policy;		    /* expected supported[MECSA_DMARC_POLICY] */
	const char *found_at;	    /* expected detail.found_at (NULL: null) */
	int inherited;		    /* expected detail.inherited */
	const char *p;		    /* expected detail.p (NULL: null) */
	const char *bis_status;	    /* expected dmarcbis.status */
	const char *bis_found_at;   /* expected dmarcbis.found_at (NULL: null) */
	const char *bis_org;	    /* expected dmarcbis.org_domain (NULL: null) */
	const char *bis_p;	    /* expected dmarcbis.p (NULL: null) */
	size_t n_ext;		    /* expected external destinations */
	const char *ext_auth;	    /* "true", "false" or "null": the first one's authorized */
};

#define REJ_RUA "v=DMARC1; p=reject; rua=mailto:d@example.com"

#define E_EXPECT(v, why, dm, pol) .verdict = v, .reason = why, .dmarc = dm, .policy = pol
#define E_RFC(at, inh, pp) .found_at = at, .inherited = inh, .p = pp
#define E_BIS(st, at, org, pp) .bis_status = st, .bis_found_at = at, .bis_org = org, .bis_p = pp

static const struct eval_case eval_cases[] = {
	{.name = "no record anywhere", .domain = "example.com",
	 .ans = {NX("_dmarc.example.com"), NX("_dmarc.com")},
	 E_EXPECT(VERDICT_ABSENT, "no DMARC record at _dmarc.example.com", 0, 0),
	 E_BIS("absent", NULL, NULL, NULL)},
	{.name = "NODATA and an unrelated TXT count as no record", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "hello", "v=spf1 -all"), ND("_dmarc.com")},
	 E_EXPECT(VERDICT_ABSENT, NULL, 0, 0), E_BIS("absent", NULL, NULL, NULL)},
	{.name = "p=none with rua", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@example.com")},
	 E_EXPECT(VERDICT_PASS, "found at _dmarc.example.com", 1, 0),
	 E_RFC("_dmarc.example.com", 0, "none"), E_BIS("pass", "_dmarc.example.com", NULL, "none")},
	{.name = "quarantine with rua", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@example.com")},
	 E_EXPECT(VERDICT_PASS, NULL, 1, 1), E_RFC("_dmarc.example.com", 0, "quarantine"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "quarantine")},
	{.name = "reject without reporting: no policy bonus", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=reject")},
	 E_EXPECT(VERDICT_PASS, NULL, 1, 0), E_RFC("_dmarc.example.com", 0, "reject"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "reject")},
	{.name = "reject with ruf only", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=reject; ruf=mailto:f@example.com")},
	 E_EXPECT(VERDICT_PASS, NULL, 1, 1), E_RFC("_dmarc.example.com", 0, "reject"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "reject")},
	{.name = "syntax error names the tag", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=rejct; rua=mailto:d@example.com")},
	 E_EXPECT(VERDICT_FAIL, "syntax error at _dmarc.example.com: p: invalid value", 0, 0),
	 E_RFC("_dmarc.example.com", 0, NULL), E_BIS("pass", "_dmarc.example.com", NULL, "none")},
	{.name = "p missing: RFC 7489 fails, DMARCbis acts as p=none (rua valid)",
	 .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; rua=mailto:d@example.com")},
	 E_EXPECT(VERDICT_FAIL, "p: required tag missing", 0, 0),
	 E_RFC("_dmarc.example.com", 0, NULL), E_BIS("pass", "_dmarc.example.com", NULL, "none")},
	{.name = "p missing and no rua: no DMARC processing in DMARCbis either",
	 .domain = "example.com", .ans = {OK("_dmarc.example.com", "v=DMARC1; sp=reject")},
	 E_EXPECT(VERDICT_FAIL, "p: required", 0, 0), E_RFC("_dmarc.example.com", 0, NULL),
	 E_BIS("fail", "_dmarc.example.com", NULL, NULL)},
	{.name = "p not second: RFC 7489 fails, DMARCbis passes", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; rua=mailto:d@example.com; p=reject")},
	 E_EXPECT(VERDICT_FAIL, "p: must be the second tag", 0, 0),
	 E_RFC("_dmarc.example.com", 0, "reject"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "reject")},
	{.name = "two records: no policy (RFC 7489); discarded and walked on (DMARCbis)",
	 .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=none", "v=DMARC1; p=reject"),
		 NX("_dmarc.com")},
	 E_EXPECT(VERDICT_FAIL, "2 DMARC records at _dmarc.example.com", 0, 0),
	 E_RFC("_dmarc.example.com", 0, "none"), E_BIS("absent", NULL, NULL, NULL)},
	{.name = "organizational-domain fallback", .domain = "mail.example.com",
	 .ans = {NX("_dmarc.mail.example.com"), OK("_dmarc.example.com", REJ_RUA),
		 NX("_dmarc.com")},
	 E_EXPECT(VERDICT_PASS, "inherited from the organizational domain (_dmarc.example.com)", 1,
		  1),
	 E_RFC("_dmarc.example.com", 1, "reject"),
	 E_BIS("pass", "_dmarc.example.com", "example.com", "reject")},
	{.name = "SERVFAIL at _dmarc is a DNS error, not an absence", .domain = "example.com",
	 .ans = {SF("_dmarc.example.com")},
	 E_EXPECT(VERDICT_DNS_ERROR, "lookup of _dmarc.example.com failed: servfail", 0, 0),
	 E_BIS("dns_error", NULL, NULL, NULL)},
	{.name = "timeout at the organizational domain", .domain = "mail.example.com",
	 .ans = {NX("_dmarc.mail.example.com"), TO("_dmarc.example.com")},
	 E_EXPECT(VERDICT_DNS_ERROR, "_dmarc.example.com failed: timeout", 0, 0),
	 E_BIS("dns_error", NULL, NULL, NULL)},
	{.name = "SERVFAIL at the domain: no fallback even if the org has a record",
	 .domain = "mail.example.com",
	 .ans = {SF("_dmarc.mail.example.com"), OK("_dmarc.example.com", REJ_RUA)},
	 E_EXPECT(VERDICT_DNS_ERROR, NULL, 0, 0), E_BIS("dns_error", NULL, NULL, NULL)},
	{.name = "not gathered: not testable", .domain = "example.com",
	 E_EXPECT(VERDICT_NOT_TESTABLE, "lookup of _dmarc.example.com not performed", 0, 0),
	 E_BIS("not_queried", NULL, NULL, NULL)},
	{.name = "multi-label public suffix: PSL says absent, the walk finds the PSD record",
	 .domain = "mail.example.co.uk",
	 .ans = {NX("_dmarc.mail.example.co.uk"), NX("_dmarc.example.co.uk"),
		 OK("_dmarc.co.uk", "v=DMARC1; p=reject; psd=y")},
	 E_EXPECT(VERDICT_ABSENT, "nor at _dmarc.example.co.uk", 0, 0),
	 E_BIS("pass", "_dmarc.co.uk", "example.co.uk", "reject")},
	{.name = "intermediate record: the walk finds it, the PSL skips it",
	 .domain = "a.b.example.com",
	 .ans = {NX("_dmarc.a.b.example.com"), OK("_dmarc.b.example.com", "v=DMARC1; p=quarantine"),
		 NX("_dmarc.example.com"), NX("_dmarc.com")},
	 E_EXPECT(VERDICT_ABSENT, NULL, 0, 0),
	 E_BIS("pass", "_dmarc.b.example.com", "b.example.com", "quarantine")},
	{.name = "psd=n makes an intermediate name the org domain", .domain = "a.b.example.com",
	 .ans = {NX("_dmarc.a.b.example.com"),
		 OK("_dmarc.b.example.com", "v=DMARC1; p=quarantine; psd=n"),
		 OK("_dmarc.example.com", REJ_RUA)},
	 E_EXPECT(VERDICT_PASS, "inherited", 1, 1), E_RFC("_dmarc.example.com", 1, "reject"),
	 E_BIS("pass", "_dmarc.b.example.com", "b.example.com", "quarantine")},
	{.name = "highest record wins without psd (RFC 9989 4.10.2 rule 3)",
	 .domain = "a.b.example.com",
	 .ans = {NX("_dmarc.a.b.example.com"), OK("_dmarc.b.example.com", "v=DMARC1; p=none"),
		 OK("_dmarc.example.com", REJ_RUA), NX("_dmarc.com")},
	 E_EXPECT(VERDICT_PASS, NULL, 1, 1), E_RFC("_dmarc.example.com", 1, "reject"),
	 E_BIS("pass", "_dmarc.example.com", "example.com", "reject")},
	{.name = "external destination authorized", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net"),
		 OK("example.com._report._dmarc.reports.example.net", "v=DMARC1")},
	 E_EXPECT(VERDICT_PASS, "found at", 1, 1), E_RFC("_dmarc.example.com", 0, "reject"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "reject"), .n_ext = 1, .ext_auth = "true"},
	{.name = "external destination not authorized", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=reject; rua=mailto:d@reports.example.net"),
		 NX("example.com._report._dmarc.reports.example.net")},
	 E_EXPECT(VERDICT_PASS, "1 external report destination(s) did not authorize", 1, 1),
	 E_RFC("_dmarc.example.com", 0, "reject"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "reject"), .n_ext = 1, .ext_auth = "false"},
	{.name = "external destination lookup failed: unknown, not unauthorized",
	 .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=reject; ruf=mailto:d@reports.example.net"),
		 SF("example.com._report._dmarc.reports.example.net")},
	 E_EXPECT(VERDICT_PASS, "found at", 1, 1), E_RFC("_dmarc.example.com", 0, "reject"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "reject"), .n_ext = 1, .ext_auth = "null"},
	{.name = "external destination not queried (yet): unknown", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:d@reports.example.net")},
	 E_EXPECT(VERDICT_PASS, "found at", 1, 0), E_RFC("_dmarc.example.com", 0, "none"),
	 E_BIS("pass", "_dmarc.example.com", NULL, "none"), .n_ext = 1, .ext_auth = "null"},
	{.name = "same organizational domain is not external", .domain = "mail.example.com",
	 .ans = {OK("_dmarc.mail.example.com",
		    "v=DMARC1; p=none; rua=mailto:d@example.com,"
		    "mailto:e@reports.mail.example.com")},
	 E_EXPECT(VERDICT_PASS, NULL, 1, 0), E_RFC("_dmarc.mail.example.com", 0, "none"),
	 E_BIS("pass", "_dmarc.mail.example.com", NULL, "none")},
	{.name = "inherited record: the report query names the policy domain",
	 .domain = "mail.example.com",
	 .ans = {NX("_dmarc.mail.example.com"),
		 OK("_dmarc.example.com", "v=DMARC1; p=quarantine; rua=mailto:d@vendor.example"),
		 OK("example.com._report._dmarc.vendor.example", "v=DMARC1;"), NX("_dmarc.com")},
	 E_EXPECT(VERDICT_PASS, "inherited", 1, 1), E_RFC("_dmarc.example.com", 1, "quarantine"),
	 E_BIS("pass", "_dmarc.example.com", "example.com", "quarantine"), .n_ext = 1,
	 .ext_auth = "true"},
	{.name = "v=dmarc1 look-alike is reported, not ignored", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=dmarc1; p=reject"), NX("_dmarc.com")},
	 E_EXPECT(VERDICT_FAIL, "looks like DMARC but is not: v: version must be exactly", 0, 0),
	 E_RFC("_dmarc.example.com", 0, NULL), E_BIS("absent", NULL, NULL, NULL)},
	{.name = "binary bytes: an explicit error", .domain = "example.com",
	 .ans = {OK("_dmarc.example.com", "v=DMARC1; p=none\x01\xff"), NX("_dmarc.com")},
	 E_EXPECT(VERDICT_FAIL, "byte 0x01 at offset 16", 0, 0),
	 E_RFC("_dmarc.example.com", 0, NULL),
	 E_BIS("fail", "_dmarc.example.com", NULL, NULL)},
	{.name = "the domain is itself a public suffix: no fallback", .domain = "co.uk",
	 .ans = {NX("_dmarc.co.uk"), NX("_dmarc.uk")},
	 E_EXPECT(VERDICT_ABSENT, "no DMARC record at _dmarc.co.uk", 0, 0),
	 E_BIS("absent", NULL, NULL, NULL)},
};

static void check_bool(json_t *v, int want)
{
	assert_true(json_is_boolean(v));
	assert_int_equal(json_is_true(v), want);
}

static void check_str_or_null(json_t *v, const char *want)
{
	if (want == NULL) {
		assert_true(json_is_null(v));
		return;
	}
	assert_true(json_is_string(v));
	assert_string_equal(json_string_value(v), want);
}

static void test_evaluate(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof eval_cases / sizeof *eval_cases; i++) {
		const struct eval_case *c = &eval_cases[i];
		print_message("evaluate[%zu] %s\n", i, c->name);
		struct evidence *ev = build(c->domain, c->ans, 8);
		struct result *res = result_new(c->domain);
		check_dmarc.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_DMARC];
		print_message("  -> %s: %s\n", verdict_status_name(cr->verdict.status),
			      cr->verdict.reason);
		assert_int_equal(cr->verdict.status, c->verdict);
		if (c->reason)
			assert_non_null(strstr(cr->verdict.reason, c->reason));
		assert_int_equal(res->supported[MECSA_DMARC], c->dmarc);
		assert_int_equal(res->supported[MECSA_DMARC_POLICY], c->policy);
		assert_true(res->percent[MECSA_DMARC] == (c->dmarc ? 100.0 : 0.0));

		json_t *d = cr->detail;
		assert_non_null(d);
		char *dump = json_dumps(d, JSON_COMPACT); /* valid UTF-8 throughout */
		assert_non_null(dump);
		free(dump);
		check_str_or_null(json_object_get(d, "found_at"), c->found_at);
		check_bool(json_object_get(d, "inherited"), c->inherited);
		check_bool(json_object_get(d, "syntax_valid"), c->dmarc);
		check_bool(json_object_get(d, "mecsa_policy"), c->policy);
		check_str_or_null(json_object_get(d, "p"), c->p);
		assert_string_equal(json_string_value(json_object_get(d, "algorithm")), "rfc7489");

		json_t *bis = json_object_get(d, "dmarcbis");
		const char *st = json_string_value(json_object_get(bis, "status"));
		assert_string_equal(st, c->bis_status);
		check_str_or_null(json_object_get(bis, "found_at"), c->bis_found_at);
		check_str_or_null(json_object_get(bis, "org_domain"), c->bis_org);
		check_str_or_null(json_object_get(bis, "p"), c->bis_p);

		json_t *ext = json_object_get(d, "external_destinations");
		assert_int_equal(json_array_size(ext), c->n_ext);
		if (c->n_ext) {
			json_t *auth = json_object_get(json_array_get(ext, 0), "authorized");
			if (strcmp(c->ext_auth, "null") == 0)
				assert_true(json_is_null(auth));
			else
				check_bool(auth, strcmp(c->ext_auth, "true") == 0);
		}
		result_free(res);
		evidence_free(ev);
	}
}

/* A few detail fields beyond the table: the published tags and defaults as JSON. */
static void test_detail_fields(void **state)
{
	(void)state;
	struct ans ans[] = {
		OK("_dmarc.example.com", "v=DMARC1; p=reject; sp=none; pct=20; adkim=s; x=1; "
					 "rua=mailto:a@example.com!5k; fo=d:s"),
	};
	struct evidence *ev = build("example.com", ans, 1);
	struct result *res = result_new("example.com");
	check_dmarc.evaluate(ev, res);
	json_t *d = res->checks[CHECK_DMARC].detail;
	struct {
		const char *key; /* detail key */
		const char *json; /* its expected compact JSON */
	} want[] = {
		{"sp", "\"none\""},
		{"np", "null"},
		{"pct", "20"},
		{"adkim", "\"s\""},
		{"aspf", "\"r\""},
		{"rua", "[\"mailto:a@example.com!5k\"]"},
		{"ruf", "[]"},
		{"rua_present", "true"},
		{"ruf_present", "false"},
		{"unknown_tags", "[\"x\"]"},
		{"fo", "[\"d\",\"s\"]"},
		{"records_found", "1"},
		{"org_domain", "\"example.com\""},
		{"record", "\"v=DMARC1; p=reject; sp=none; pct=20; adkim=s; x=1; "
			   "rua=mailto:a@example.com!5k; fo=d:s\""},
		{"effective_policy", "\"reject\""},
	};
	for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
		json_t *v = json_object_get(d, want[i].key);
		assert_non_null(v);
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		print_message("detail.%s = %s\n", want[i].key, s);
		assert_string_equal(s, want[i].json);
		free(s);
	}
	result_free(res);
	evidence_free(ev);
}

/* ---- plan ----------------------------------------------------------------------------------- */

struct plan_case {
	const char *name;     /* what is tested */
	const char *domain;   /* scanned domain */
	struct ans ans[6];    /* evidence so far */
	const char *want[4];  /* expected questions (TXT), in order, NULL-terminated */
};

static const struct plan_case plan_cases[] = {
	{"start: the domain's own _dmarc", "mail.example.com", {{NULL, 0, {NULL}}},
	 {"_dmarc.mail.example.com"}},
	{"no record: the org domain (PSL) and the walk's parent coincide", "mail.example.com",
	 {NX("_dmarc.mail.example.com")},
	 {"_dmarc.example.com"}},
	{"RFC 7489 done, the walk goes on to the TLD", "mail.example.com",
	 {NX("_dmarc.mail.example.com"), NX("_dmarc.example.com")},
	 {"_dmarc.com"}},
	{"all answered", "mail.example.com",
	 {NX("_dmarc.mail.example.com"), NX("_dmarc.example.com"), NX("_dmarc.com")},
	 {NULL}},
	{"record at the domain: only the external destination is left", "example.com",
	 {OK("_dmarc.example.com", "v=DMARC1; p=none; rua=mailto:a@example.com,"
				   "mailto:b@reports.example.net")},
	 {"example.com._report._dmarc.reports.example.net"}},
	{"SERVFAIL stops both discoveries", "mail.example.com",
	 {SF("_dmarc.mail.example.com")},
	 {NULL}},
	{"long name: PSL org and the walk's seven-label jump",
	 "a.b.c.d.e.f.g.h.i.j.mail.example.com",
	 {NX("_dmarc.a.b.c.d.e.f.g.h.i.j.mail.example.com")},
	 {"_dmarc.example.com", "_dmarc.g.h.i.j.mail.example.com"}},
	{"psd=n stops the walk: _dmarc.com is never asked", "a.b.example.com",
	 {NX("_dmarc.a.b.example.com"), OK("_dmarc.b.example.com", "v=DMARC1; p=none; psd=n"),
	  NX("_dmarc.example.com")},
	 {NULL}},
	{"psd=y stops the walk too", "a.b.example.com",
	 {NX("_dmarc.a.b.example.com"), OK("_dmarc.b.example.com", "v=DMARC1; p=none; psd=y"),
	  NX("_dmarc.example.com")},
	 {NULL}},
	{"several records at the domain: RFC 7489 stops, the walk goes on", "example.com",
	 {OK("_dmarc.example.com", "v=DMARC1; p=none", "v=DMARC1; p=reject")},
	 {"_dmarc.com"}},
	{"a failed lookup on the walk stops it", "a.b.example.com",
	 {NX("_dmarc.a.b.example.com"), TO("_dmarc.b.example.com"), NX("_dmarc.example.com")},
	 {NULL}},
};

static void test_plan(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof plan_cases / sizeof *plan_cases; i++) {
		const struct plan_case *c = &plan_cases[i];
		print_message("plan[%zu] %s\n", i, c->name);
		struct evidence *ev = build(c->domain, c->ans, 6);
		struct dns_question q[8];
		size_t n = check_dmarc.plan(ev, q, 8);
		size_t want = 0;
		while (want < 4 && c->want[want])
			want++;
		for (size_t k = 0; k < n; k++)
			print_message("  asks %s\n", q[k].name);
		assert_int_equal(n, want);
		for (size_t k = 0; k < n; k++) {
			assert_string_equal(q[k].name, c->want[k]);
			assert_int_equal(q[k].type, DNS_TYPE_TXT);
			assert_int_equal(q[k].flags, 0);
		}
		if (want > 1) /* max is honoured */
			assert_int_equal(check_dmarc.plan(ev, q, 1), 1);
		evidence_free(ev);
	}
}

/* ---- gathering loop against a fake zone ----------------------------------------------------- */

struct zone_case {
	const char *name;	/* what is tested */
	const char *domain;	/* scanned domain */
	struct ans zone[4];	/* names that exist; everything else is NXDOMAIN */
	size_t n_queries;	/* expected questions over the whole gathering */
	const char *last;	/* the last question asked */
	enum verdict_status verdict; /* expected verdict */
	const char *bis_status; /* expected dmarcbis.status */
};

static const struct zone_case zone_cases[] = {
	{"thirteen labels, nothing published: eight queries (RFC 9989 §4.10)",
	 "a.b.c.d.e.f.g.h.i.j.mail.example.com", {{NULL, 0, {NULL}}}, 8, "_dmarc.com",
	 VERDICT_ABSENT, "absent"},
	{"record at the domain: one query", "example.com",
	 {OK("_dmarc.example.com", "v=DMARC1; p=none")}, 1, "_dmarc.example.com", VERDICT_PASS,
	 "pass"},
	{"inherited with an external destination", "www.example.org",
	 {OK("_dmarc.example.org", "v=DMARC1; p=reject; rua=mailto:r@dmarc.example.net"),
	  OK("example.org._report._dmarc.dmarc.example.net", "v=DMARC1")},
	 4, NULL, VERDICT_PASS, "pass"},
};

static void test_gather(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof zone_cases / sizeof *zone_cases; i++) {
		const struct zone_case *c = &zone_cases[i];
		print_message("gather[%zu] %s\n", i, c->name);
		struct evidence *ev = evidence_new(c->domain);
		size_t total = 0, rounds = 0;
		char last[DNAME_MAX] = "";
		for (;;) {
			struct dns_question q[8];
			size_t n = check_dmarc.plan(ev, q, 8);
			if (n == 0)
				break;
			assert_true(++rounds < 20);
			for (size_t k = 0; k < n; k++) {
				const struct ans *z = NULL;
				for (size_t j = 0; j < 4 && c->zone[j].qname; j++)
					if (strcmp(c->zone[j].qname, q[k].name) == 0)
						z = &c->zone[j];
				struct ans nx = NX(q[k].name);
				struct evidence *one = build(c->domain, z ? z : &nx, 1);
				struct dns_answer *a = evidence_dns_slot(ev, q[k].name, q[k].type);
				dns_answer_clear(a);
				dns_answer_copy(a, &one->dns[0]);
				evidence_free(one);
				memcpy(last, q[k].name, sizeof last);
				total++;
			}
		}
		assert_int_equal(total, c->n_queries);
		if (c->last)
			assert_string_equal(last, c->last);
		struct result *res = result_new(c->domain);
		check_dmarc.evaluate(ev, res);
		assert_int_equal(res->checks[CHECK_DMARC].verdict.status, c->verdict);
		json_t *bis = json_object_get(res->checks[CHECK_DMARC].detail, "dmarcbis");
		const char *st = json_string_value(json_object_get(bis, "status"));
		assert_string_equal(st, c->bis_status);
		assert_true(json_array_size(json_object_get(bis, "queries")) <= DMARC_WALK_MAX);
		result_free(res);
		evidence_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),	      cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_parse_prefixes),
		cmocka_unit_test(test_txt_prefix),    cmocka_unit_test(test_org_and_walk_names),
		cmocka_unit_test(test_evaluate),      cmocka_unit_test(test_detail_fields),
		cmocka_unit_test(test_plan),	      cmocka_unit_test(test_gather),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
