/* test_spf.c — the SPF evaluator and check: record selection, the parser, macro expansion (the
 * RFC 7208 §7.4 examples and more), the processing limits, the check's verdict, detail and MECSA
 * flags over evidence gathered through its own plan, and bad input (binary bytes, 64 KiB records,
 * hundreds of records, include cycles). DNS comes from small zones written as text lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/evidence.h"
#include "checks/result.h"
#include "checks/spf.h"
#include "checks/spf_macro.h"
#include "common/xalloc.h"

/* ---- a zone as lines "name TYPE value" ----
 * TXT value: the rest of the line; MX value: "pref host"; A, AAAA, PTR: the text.
 * "name TYPE !timeout" (or !servfail, !refused) makes that lookup fail. A name that appears on
 * no line does not exist; a name without a line of the type asked has no data of that type. */

#define ZONE_END NULL

static uint16_t zone_type(const char *t, size_t n)
{
	static const struct {
		const char *name; /* as written in the zone */
		uint16_t type;	  /* the RR type */
	} types[] = {{"A", DNS_TYPE_A},
		     {"AAAA", DNS_TYPE_AAAA},
		     {"MX", DNS_TYPE_MX},
		     {"TXT", DNS_TYPE_TXT},
		     {"PTR", SPF_TYPE_PTR}};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strlen(types[i].name) == n && memcmp(types[i].name, t, n) == 0)
			return types[i].type;
	fail_msg("bad type in zone line");
	return 0;
}

static void zone_answer(const char *const *zone, const char *qname, uint16_t qtype,
			struct dns_answer *a)
{
	bool seen = false;
	for (size_t i = 0; zone[i]; i++) {
		const char *line = zone[i];
		const char *sp1 = strchr(line, ' ');
		const char *sp2 = sp1 ? strchr(sp1 + 1, ' ') : NULL;
		assert_non_null(sp2);
		char name[DNAME_MAX];
		snprintf(name, sizeof name, "%.*s", (int)(sp1 - line), line);
		if (!dname_equal(name, qname))
			continue;
		seen = true;
		if (zone_type(sp1 + 1, (size_t)(sp2 - sp1 - 1)) != qtype)
			continue;
		const char *v = sp2 + 1;
		if (v[0] == '!') {
			a->status = (enum dns_status)dns_status_parse(v + 1);
			return;
		}
		if (qtype == DNS_TYPE_TXT) {
			dns_answer_add(a, qtype, NULL, v, strlen(v));
		} else if (qtype == DNS_TYPE_MX) {
			char *end;
			long pref = strtol(v, &end, 10);
			dns_answer_add(a, qtype, end + 1, NULL, 0)->pref = (uint16_t)pref;
		} else {
			dns_answer_add(a, qtype, v, NULL, 0);
		}
	}
	a->status = a->n_rr ? DNS_STATUS_OK : seen ? DNS_STATUS_NODATA : DNS_STATUS_NXDOMAIN;
	a->rcode = a->status == DNS_STATUS_NXDOMAIN ? 3 : 0;
}

/* Run check_host() against a zone; the caller frees the evaluation. */
static struct spf_eval *run_zone(const char *const *zone, const char *domain, const char *sender,
				 const char *ip)
{
	struct spf_eval *e = spf_eval_new(domain, sender, ip, NULL);
	struct dns_question q;
	int steps = 0;
	while (spf_eval_step(e, &q) == SPF_STEP_NEED_DNS) {
		assert_true(++steps < 500);
		struct dns_answer a = {0};
		a.qname = xstrdup(q.name);
		a.qtype = q.type;
		zone_answer(zone, q.name, q.type, &a);
		spf_eval_answer(e, &a);
		dns_answer_clear(&a);
	}
	return e;
}

/* Gather evidence for domain the way the daemon does: ask what plan wants, answer from the zone
 * into the evidence, until plan wants nothing more. */
static struct evidence *gather(const char *const *zone, const char *domain, int *rounds)
{
	struct evidence *ev = evidence_new(domain);
	int r = 0;
	for (;; r++) {
		assert_true(r < 300);
		struct dns_question q[4];
		size_t n = check_spf.plan(ev, q, 4);
		if (n == 0)
			break;
		for (size_t i = 0; i < n; i++) {
			assert_null(
			    evidence_dns_find(ev, q[i].name, q[i].type)); /* never re-asked */
			struct dns_answer *a = evidence_dns_slot(ev, q[i].name, q[i].type);
			zone_answer(zone, q[i].name, q[i].type, a);
		}
	}
	if (rounds)
		*rounds = r;
	return ev;
}

/* ---- record selection (§4.5) ---- */

struct selection_case {
	const char *name;	/* what the case shows */
	const char *zone[6];	/* the domain's TXT lines */
	enum spf_result result; /* expected check_host() result for 192.0.2.1 */
	int record_count;	/* v=spf1 records found */
};

static void test_selection(void **state)
{
	(void)state;
	static const struct selection_case cases[] = {
	    {"one record", {"d.example TXT v=spf1 -all"}, SPF_FAIL, 1},
	    {"others ignored",
	     {"d.example TXT google-site-verification=x", "d.example TXT v=spf1 ~all",
	      "d.example TXT v=DMARC1; p=none"},
	     SPF_SOFTFAIL,
	     1},
	    {"version case-insensitive", {"d.example TXT V=SpF1 ?all"}, SPF_NEUTRAL, 1},
	    {"empty record", {"d.example TXT v=spf1"}, SPF_NEUTRAL, 1},
	    {"v=spf10 is not v=spf1", {"d.example TXT v=spf10 -all"}, SPF_NONE, 0},
	    {"tab after version", {"d.example TXT v=spf1\t-all"}, SPF_NONE, 0},
	    {"leading space", {"d.example TXT  v=spf1 -all"}, SPF_NONE, 0},
	    {"two records",
	     {"d.example TXT v=spf1 -all", "d.example TXT v=spf1 +all"},
	     SPF_PERMERROR,
	     2},
	    {"identical records",
	     {"d.example TXT v=spf1 -all", "d.example TXT v=spf1 -all"},
	     SPF_PERMERROR,
	     2},
	    {"no TXT", {"d.example A 192.0.2.9"}, SPF_NONE, 0},
	    {"nxdomain", {"other.example TXT v=spf1 -all"}, SPF_NONE, 0},
	    {"TXT timeout", {"d.example TXT !timeout"}, SPF_TEMPERROR, 0},
	    {"TXT servfail", {"d.example TXT !servfail"}, SPF_TEMPERROR, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct selection_case *c = &cases[i];
		const char *zone[8] = {0};
		memcpy(zone, c->zone, sizeof c->zone);
		struct spf_eval *e = run_zone(zone, "d.example", NULL, SPF_CHECK_IP);
		const struct spf_outcome *o = spf_eval_outcome(e);
		if (o->result != c->result || o->record_count != c->record_count)
			fail_msg("%s: got %s with %d records (%s)", c->name,
				 spf_result_name(o->result), o->record_count, o->reason);
		spf_eval_free(e);
	}
	assert_true(spf_is_record("v=spf1", 6));
	assert_true(spf_is_record("v=spf1 a", 8));
	assert_false(spf_is_record("v=spf1a", 7));
	assert_false(spf_is_record("v=spf", 5));
	assert_false(spf_is_record(NULL, 0));
}

/* ---- the parser (§4.6, §5, §6, §7.1) ---- */

struct syntax_case {
	const char *record; /* the record */
	const char *error;  /* NULL: valid; else a substring of the reason */
};

static void test_syntax(void **state)
{
	(void)state;
	static const struct syntax_case cases[] = {
	    {"v=spf1", NULL},
	    {"v=spf1 -all", NULL},
	    {"V=SPF1 +ALL", NULL},
	    {"v=spf1   a   mx  -all  ", NULL},
	    {"v=spf1 a a:example.com a/24 a//64 a/24//64 a:example.com/24//64", NULL},
	    {"v=spf1 mx mx:mail.example.com mx/0 mx:example.com//128", NULL},
	    {"v=spf1 ptr ptr:example.com ~ptr:example.org.", NULL},
	    {"v=spf1 ip4:192.0.2.0/24 ip4:192.0.2.1 ip4:0.0.0.0/0 ?ip6:2001:db8::/32", NULL},
	    {"v=spf1 ip6:::ffff:192.0.2.1 ip6:::1.1.1.1/0 ip6:Cafe:Babe:8000::/33", NULL},
	    {"v=spf1 include:_spf.example.com exists:%{i}.%{l1r-}.%{d}.bl.example", NULL},
	    {"v=spf1 -all exp=explain.%{d} redirect=%{d2}", NULL},
	    {"v=spf1 foo=bar moo.cow-far_out=man:dog/cat x=%{c}%{r}%{t}", NULL},
	    {"v=spf1 a:foo:bar/baz.example.com a:xn--zckzah.example.xn--zckzah", NULL},
	    {"v=spf1 exists:%{ir}.%{v}.%{p}.%{h}.%{o}.%{s}.%{d}", NULL},
	    {"v=spf1 a:%%%_%-.example.com a:%{d5r+-.,/_=}", NULL},
	    {"v=spf1 moo", "unknown mechanism"},
	    {"v=spf1 -all moo", "unknown mechanism"},
	    {"v=spf1 redirect:example.com", "unknown mechanism"},
	    {"v=spf1 all.", "unknown mechanism"},
	    {"v=spf1 all:foo", "takes no argument"},
	    {"v=spf1 all/8", "takes no argument"},
	    {"v=spf1 include", "needs"},
	    {"v=spf1 include:", "empty domain-spec"},
	    {"v=spf1 include:example.com/24", "top-level label"},
	    {"v=spf1 exists", "needs"},
	    {"v=spf1 ptr/24", "needs"},
	    {"v=spf1 ptr:", "empty domain-spec"},
	    {"v=spf1 a:", "empty domain-spec"},
	    {"v=spf1 a:museum", "no top-level label"},
	    {"v=spf1 a:museum.", "no top-level label"},
	    {"v=spf1 a:111.222.33.44", "top-level label"},
	    {"v=spf1 a:example.-com", "top-level label"},
	    {"v=spf1 a:example.com:8080", "top-level label"},
	    {"v=spf1 a/33", "CIDR"},
	    {"v=spf1 a//129", "CIDR"},
	    {"v=spf1 a/24/64", "CIDR"},
	    {"v=spf1 a/024", "CIDR"},
	    {"v=spf1 mx//33/24", "CIDR"},
	    {"v=spf1 ip4", "needs"},
	    {"v=spf1 ip4:", "IPv4"},
	    {"v=spf1 ip4:192.0.2", "IPv4"},
	    {"v=spf1 ip4:192.0.2.256", "IPv4"},
	    {"v=spf1 ip4:192.0.2.01", "IPv4"},
	    {"v=spf1 ip4:192.0.2.1:25", "IPv4"},
	    {"v=spf1 ip4:192.0.2.1/33", "CIDR"},
	    {"v=spf1 ip4:192.0.2.1/032", "CIDR"},
	    {"v=spf1 ip4:192.0.2.1//32", "CIDR"},
	    {"v=spf1 ip6::CAFE::BABE", "IPv6"},
	    {"v=spf1 ip6:2001:db8::/129", "CIDR"},
	    {"v=spf1 ip6:2001:db8:://33", "CIDR"},
	    {"v=spf1 ip6:192.0.2.1", "IPv6"},
	    {"v=spf1 1up=foo", "modifier name"},
	    {"v=spf1 =all", "modifier name"},
	    {"v=spf1 -redirect=example.com", "modifier name"},
	    {"v=spf1 foo=%abc", "followed by 'a'"},
	    {"v=spf1 exp=", "empty domain-spec"},
	    {"v=spf1 exp=-all", "no top-level label"},
	    {"v=spf1 exp=%{r}.example.com", "letter 'r'"},
	    {"v=spf1 redirect=", "empty domain-spec"},
	    {"v=spf1 exp=a.example exp=b.example", "twice"},
	    {"v=spf1 redirect=a.example -all REDIRECT=b.example", "twice"},
	    {"v=spf1 a:%{a}.example.com", "letter 'a'"},
	    {"v=spf1 a:%{d0}.example.com", "transformer 0"},
	    {"v=spf1 a:%{d2x}.example.com", "transformer"},
	    {"v=spf1 a:%{d.example.com", "transformer"},
	    {"v=spf1 exists:%(ir).sbl.example.com", "followed by '('"},
	    {"v=spf1 exists:foo%", "at the end"},
	    {"v=spf1 a:foo.example.com\t-all", "0x09"},
	    {"v=spf1 a:foo.example.com\r-all", "0x0D"},
	    {"v=spf1 \x80"
	     "a -all",
	     "0x80"},
	    {"spf1 -all", "v=spf1"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct syntax_case *c = &cases[i];
		char err[256] = "";
		int rc = spf_record_syntax(c->record, strlen(c->record), err, sizeof err);
		if (c->error == NULL && rc != 0)
			fail_msg("'%s' should be valid: %s", c->record, err);
		if (c->error && (rc == 0 || strstr(err, c->error) == NULL))
			fail_msg("'%s': expected an error with \"%s\", got rc %d \"%s\"", c->record,
				 c->error, rc, err);
	}
	/* A NUL inside the record (the length is authoritative). */
	char err[256];
	assert_int_equal(spf_record_syntax("v=spf1 a\0 -all", 14, err, sizeof err), -1);
	assert_non_null(strstr(err, "0x00"));
}

/* ---- macros (§7.3, §7.4) ---- */

struct macro_case {
	const char *in;	 /* macro-string */
	unsigned flags;	 /* SPF_MACRO_* */
	const char *out; /* expected expansion, NULL: expansion must fail */
};

static void test_macro_examples(void **state)
{
	(void)state;
	/* RFC 7208 §7.4: sender strong-bad@email.example.com, IPv4 192.0.2.3. */
	const struct spf_macro_vars v = {
	    .s = "strong-bad@email.example.com",
	    .l = "strong-bad",
	    .o = "email.example.com",
	    .d = "email.example.com",
	    .i = "192.0.2.3",
	    .p = "mx.example.org",
	    .v = "in-addr",
	    .h = "mx.example.org",
	    .c = "192.0.2.3",
	    .r = "checker.example.net",
	    .t = "1234",
	};
	static const struct macro_case cases[] = {
	    {"%{s}", 0, "strong-bad@email.example.com"},
	    {"%{o}", 0, "email.example.com"},
	    {"%{d}", 0, "email.example.com"},
	    {"%{d4}", 0, "email.example.com"},
	    {"%{d3}", 0, "email.example.com"},
	    {"%{d2}", 0, "example.com"},
	    {"%{d1}", 0, "com"},
	    {"%{dr}", 0, "com.example.email"},
	    {"%{d2r}", 0, "example.email"},
	    {"%{l}", 0, "strong-bad"},
	    {"%{l-}", 0, "strong.bad"},
	    {"%{lr}", 0, "strong-bad"},
	    {"%{lr-}", 0, "bad.strong"},
	    {"%{l1r-}", 0, "strong"},
	    {"%{ir}.%{v}._spf.%{d2}", 0, "3.2.0.192.in-addr._spf.example.com"},
	    {"%{lr-}.lp._spf.%{d2}", 0, "bad.strong.lp._spf.example.com"},
	    {"%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", 0,
	     "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"},
	    {"%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", 0, "3.2.0.192.in-addr.strong.lp._spf.example.com"},
	    {"%{d2}.trusted-domains.example.net", 0, "example.com.trusted-domains.example.net"},
	    /* beyond the examples */
	    {"%{D}", 0, "email.example.com"},
	    {"%{S}", 0, "strong-bad%40email.example.com"},
	    {"%{d999}", 0, "email.example.com"},
	    {"%{d2r.-}", 0, "example.email"},
	    {"%{p}.%{h}", 0, "mx.example.org.mx.example.org"},
	    {"%%%_%-", 0, "% %20"},
	    {"%{c} %{r} %{t}", SPF_MACRO_EXPLAIN, "192.0.2.3 checker.example.net 1234"},
	    {"%{c}", 0, NULL},	/* c only in explanations */
	    {"%{d0}", 0, NULL}, /* transformer must be nonzero */
	    {"%{x}", 0, NULL},	/* unknown letter */
	    {"%x", 0, NULL},	/* % followed by something else */
	    {"foo%", 0, NULL},	/* trailing % */
	    {"%{d", 0, NULL},	/* unterminated */
	    {"a b", 0, NULL},	/* SP only in explanations */
	    {"a b", SPF_MACRO_EXPLAIN, "a b"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct macro_case *c = &cases[i];
		char out[512];
		int chk = spf_macro_check(c->in, strlen(c->in), c->flags, NULL, NULL, 0);
		int rc = spf_macro_expand(c->in, strlen(c->in), c->flags, &v, out, sizeof out);
		if (c->out == NULL && chk == 0)
			fail_msg("'%s' passed the syntax check", c->in);
		if (c->out && (chk != 0 || rc != 0 || strcmp(out, c->out) != 0))
			fail_msg("'%s': expected '%s', got rc %d/%d '%s'", c->in, c->out, chk, rc,
				 out);
	}
	/* URL escaping of an upper-case macro: everything outside "unreserved" (§7.3). */
	struct spf_macro_vars w = v;
	w.l = "~jack&jill=up-a_b3.c";
	char out[128];
	assert_int_equal(spf_macro_expand("%{L}", 4, 0, &w, out, sizeof out), 0);
	assert_string_equal(out, "~jack%26jill%3Dup-a_b3.c");
	/* %{p} before it is resolved is a caller error, not a crash. */
	w.p = NULL;
	assert_int_equal(spf_macro_expand("%{p}", 4, 0, &w, out, sizeof out), -1);
}

static void test_macro_domain(void **state)
{
	(void)state;
	struct spf_macro_vars v = {.s = "a@b.example",
				   .l = "a",
				   .o = "b.example",
				   .d = "b.example",
				   .i = "192.0.2.1",
				   .p = "unknown",
				   .v = "in-addr",
				   .h = "h"};
	char out[DNAME_MAX];
	/* trailing dot dropped */
	assert_int_equal(spf_macro_expand_domain("%{d}.", 5, &v, out), 0);
	assert_string_equal(out, "b.example");
	/* §7.3 truncation: whole labels removed from the left until <= 253 */
	char o29[] = "somewhat.long.exp.example.com";
	v.o = o29;
	const char *spec = "foobar.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.%{o}.example.com";
	assert_int_equal(spf_macro_expand_domain(spec, strlen(spec), &v, out), 0);
	assert_int_equal(strlen(out), 251);
	assert_int_equal(strncmp(out, "somewhat.long.", 14), 0);
	/* A 64 KiB expansion is bounded and gives the right tail. */
	size_t n = 16384;
	char *big = xmalloc(4 * n + 16);
	for (size_t i = 0; i < n; i++)
		memcpy(big + 4 * i, "%{o}", 4);
	strcpy(big + 4 * n, ".example.com");
	v.o = "ab.cd";
	assert_int_equal(spf_macro_expand_domain(big, strlen(big), &v, out), 0);
	assert_true(strlen(out) <= 253);
	size_t l = strlen(out);
	assert_string_equal(out + l - 12, ".example.com");
	assert_true(out[0] != '.');
	/* One label longer than 253 characters cannot be truncated into a name. */
	v.o = "x";
	for (size_t i = 0; i < 300; i++)
		memcpy(big + 4 * i, "%{o}", 4);
	big[1200] = '\0';
	assert_int_equal(spf_macro_expand_domain(big, 1200, &v, out), -1);
	free(big);
	/* domain-spec endings */
	struct {
		const char *spec; /* a domain-spec */
		int ok;		  /* expected spf_macro_check_domain() return */
	} ends[] = {{"example.com", 0}, {"example.com.", 0},
		    {"%{d}", 0},	{"x.%{d}", 0},
		    {"x%%", 0},		{"x.xn--zckzah", 0},
		    {"a.1-1", 0},	{"museum", -1},
		    {"a.123", -1},	{"a.-com", -1},
		    {"a.com-", -1},	{"%{d}.", -1},
		    {"a.com..", -1},	{"", -1}};
	for (size_t i = 0; i < sizeof ends / sizeof *ends; i++)
		if (spf_macro_check_domain(ends[i].spec, strlen(ends[i].spec), 0, NULL, NULL, 0) !=
		    ends[i].ok)
			fail_msg("domain-spec '%s': expected %d", ends[i].spec, ends[i].ok);
}

/* The names the evaluator asks for are the expansions, IPv6 %{i} included (§7.4). */
static void test_macro_queries(void **state)
{
	(void)state;
	struct {
		const char *record; /* TXT of email.example.com */
		const char *ip;	    /* client */
		const char *query;  /* the second question asked */
	} cases[] = {
	    {"v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all", "2001:db8::cb01",
	     "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example."
	     "com"},
	    {"v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all", "192.0.2.3",
	     "3.2.0.192.in-addr._spf.example.com"},
	    {"v=spf1 exists:%{ir}.%{v}._spf.%{d2} -all", "::ffff:192.0.2.3",
	     "3.2.0.192.in-addr._spf.example.com"},
	    {"v=spf1 exists:%{l1r-}.%{o} -all", "192.0.2.3", "strong.email.example.com"},
	    {"v=spf1 ptr -all", "192.0.2.3", "3.2.0.192.in-addr.arpa"},
	    {"v=spf1 ptr -all", "2001:db8::cb01",
	     "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa"},
	    {"v=spf1 a:%{h}.example.org -all", "192.0.2.3", "email.example.com.example.org"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct spf_eval *e = spf_eval_new(
		    "email.example.com", "strong-bad@email.example.com", cases[i].ip, NULL);
		struct dns_question q;
		assert_int_equal(spf_eval_step(e, &q), SPF_STEP_NEED_DNS);
		assert_string_equal(q.name, "email.example.com");
		assert_int_equal(q.type, DNS_TYPE_TXT);
		struct dns_answer a = {0};
		a.qname = xstrdup(q.name);
		a.qtype = q.type;
		a.status = DNS_STATUS_OK;
		dns_answer_add(&a, DNS_TYPE_TXT, NULL, cases[i].record, strlen(cases[i].record));
		spf_eval_answer(e, &a);
		dns_answer_clear(&a);
		assert_int_equal(spf_eval_step(e, &q), SPF_STEP_NEED_DNS);
		if (strcmp(q.name, cases[i].query) != 0)
			fail_msg("'%s' for %s asked %s, expected %s", cases[i].record, cases[i].ip,
				 q.name, cases[i].query);
		/* asking again without answering repeats the question */
		struct dns_question q2;
		assert_int_equal(spf_eval_step(e, &q2), SPF_STEP_NEED_DNS);
		assert_string_equal(q2.name, q.name);
		spf_eval_free(e);
	}
}

/* ---- evaluation and limits over zones ---- */

struct eval_case {
	const char *name;	 /* what the case shows */
	const char *zone[24];	 /* the zone */
	const char *ip;		 /* client (NULL: 192.0.2.1) */
	enum spf_result result;	 /* expected result */
	const char *reason;	 /* substring of the reason, or NULL */
	int lookups;		 /* expected DNS-lookup count, -1: do not check */
	const char *explanation; /* expected explanation, or NULL */
};

static void test_evaluation(void **state)
{
	(void)state;
	static const struct eval_case cases[] = {
	    {"ip4 match",
	     {"d.example TXT v=spf1 ip4:192.0.2.0/24 -all"},
	     NULL,
	     SPF_PASS,
	     "ip4:192.0.2.0/24",
	     0,
	     NULL},
	    {"ip6 does not match IPv4",
	     {"d.example TXT v=spf1 ip6:::/0 ~all"},
	     NULL,
	     SPF_SOFTFAIL,
	     NULL,
	     0,
	     NULL},
	    {"a with cidr",
	     {"d.example TXT v=spf1 a/24 -all", "d.example A 192.0.2.200"},
	     NULL,
	     SPF_PASS,
	     NULL,
	     1,
	     NULL},
	    {"mx",
	     {"d.example TXT v=spf1 mx -all", "d.example MX 10 m.d.example",
	      "m.d.example A 192.0.2.1"},
	     NULL,
	     SPF_PASS,
	     "'mx'",
	     1,
	     NULL},
	    {"include pass matches",
	     {"d.example TXT v=spf1 include:i.example -all", "i.example TXT v=spf1 +all"},
	     NULL,
	     SPF_PASS,
	     NULL,
	     1,
	     NULL},
	    {"include fail does not match",
	     {"d.example TXT v=spf1 include:i.example ?all", "i.example TXT v=spf1 -all"},
	     NULL,
	     SPF_NEUTRAL,
	     NULL,
	     1,
	     NULL},
	    {"include of no record",
	     {"d.example TXT v=spf1 include:i.example -all"},
	     NULL,
	     SPF_PERMERROR,
	     "include:i.example",
	     1,
	     NULL},
	    {"include temperror",
	     {"d.example TXT v=spf1 include:i.example -all", "i.example TXT !timeout"},
	     NULL,
	     SPF_TEMPERROR,
	     "TXT lookup of i.example: timeout",
	     1,
	     NULL},
	    {"a temperror",
	     {"d.example TXT v=spf1 a:x.example -all", "x.example A !servfail"},
	     NULL,
	     SPF_TEMPERROR,
	     "A lookup of x.example: servfail",
	     1,
	     NULL},
	    {"redirect",
	     {"d.example TXT v=spf1 redirect=r.example", "r.example TXT v=spf1 ~all"},
	     NULL,
	     SPF_SOFTFAIL,
	     NULL,
	     1,
	     NULL},
	    {"redirect to nothing",
	     {"d.example TXT v=spf1 redirect=r.example", "r.example A 192.0.2.1"},
	     NULL,
	     SPF_PERMERROR,
	     "redirect=r.example",
	     1,
	     NULL},
	    {"exp",
	     {"d.example TXT v=spf1 -all exp=e.d.example",
	      "e.d.example TXT %{i} is not one of %{d}'s servers"},
	     NULL,
	     SPF_FAIL,
	     NULL,
	     0,
	     "192.0.2.1 is not one of d.example's servers"},
	    {"exp not for softfail",
	     {"d.example TXT v=spf1 ~all exp=e.d.example", "e.d.example TXT nope"},
	     NULL,
	     SPF_SOFTFAIL,
	     NULL,
	     0,
	     ""},
	    {"ptr validated",
	     {"d.example TXT v=spf1 ptr -all", "1.2.0.192.in-addr.arpa PTR host.d.example",
	      "host.d.example A 192.0.2.1"},
	     NULL,
	     SPF_PASS,
	     NULL,
	     1,
	     NULL},
	    {"ptr not validated",
	     {"d.example TXT v=spf1 ptr -all", "1.2.0.192.in-addr.arpa PTR host.d.example",
	      "host.d.example A 192.0.2.2"},
	     NULL,
	     SPF_FAIL,
	     NULL,
	     1,
	     NULL},
	    {"ptr lookup error is no match",
	     {"d.example TXT v=spf1 ptr ?all", "1.2.0.192.in-addr.arpa PTR !timeout"},
	     NULL,
	     SPF_NEUTRAL,
	     NULL,
	     1,
	     NULL},
	    {"exists any A even for IPv6",
	     {"d.example TXT v=spf1 exists:x.d.example -all", "x.d.example A 127.0.0.2"},
	     "2001:db8::1",
	     SPF_PASS,
	     NULL,
	     1,
	     NULL},
	    /* limits (§4.6.4) */
	    {"10 lookups",
	     {"d.example TXT v=spf1 a a a a a a a a a a ip4:192.0.2.1 -all",
	      "d.example A 192.0.2.9"},
	     NULL,
	     SPF_PASS,
	     NULL,
	     10,
	     NULL},
	    {"11 lookups",
	     {"d.example TXT v=spf1 a a a a a a a a a a a ip4:192.0.2.1 -all",
	      "d.example A 192.0.2.9"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 10 DNS lookups",
	     11,
	     NULL},
	    {"lookups count across includes",
	     {"d.example TXT v=spf1 include:i.example a a a a a ?all",
	      "i.example TXT v=spf1 a a a a a", "i.example A 192.0.2.9", "d.example A 192.0.2.9"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 10",
	     11,
	     NULL},
	    {"2 void lookups",
	     {"d.example TXT v=spf1 a:n1.example a:n2.example ?all"},
	     NULL,
	     SPF_NEUTRAL,
	     NULL,
	     2,
	     NULL},
	    {"3 void lookups",
	     {"d.example TXT v=spf1 a:n1.example a:n2.example a:n3.example ?all"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 2 void lookups",
	     3,
	     NULL},
	    {"10 MX names",
	     {"d.example TXT v=spf1 mx -all", "d.example MX 1 m1.example",
	      "d.example MX 2 m2.example", "d.example MX 3 m3.example", "d.example MX 4 m4.example",
	      "d.example MX 5 m5.example", "d.example MX 6 m6.example", "d.example MX 7 m7.example",
	      "d.example MX 8 m8.example", "d.example MX 9 m9.example",
	      "d.example MX 10 m10.example", "m10.example A 192.0.2.1"},
	     NULL,
	     SPF_PASS,
	     NULL,
	     1,
	     NULL},
	    {"11 MX names",
	     {"d.example TXT v=spf1 mx -all", "d.example MX 1 m1.example",
	      "d.example MX 2 m2.example", "d.example MX 3 m3.example", "d.example MX 4 m4.example",
	      "d.example MX 5 m5.example", "d.example MX 6 m6.example", "d.example MX 7 m7.example",
	      "d.example MX 8 m8.example", "d.example MX 9 m9.example",
	      "d.example MX 10 m10.example", "d.example MX 11 m11.example",
	      "m1.example A 192.0.2.1"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 10 MX names",
	     1,
	     NULL},
	    {"11th PTR name ignored",
	     {"d.example TXT v=spf1 ptr -all", "1.2.0.192.in-addr.arpa PTR p1.example",
	      "1.2.0.192.in-addr.arpa PTR p2.example", "1.2.0.192.in-addr.arpa PTR p3.example",
	      "1.2.0.192.in-addr.arpa PTR p4.example", "1.2.0.192.in-addr.arpa PTR p5.example",
	      "1.2.0.192.in-addr.arpa PTR p6.example", "1.2.0.192.in-addr.arpa PTR p7.example",
	      "1.2.0.192.in-addr.arpa PTR p8.example", "1.2.0.192.in-addr.arpa PTR p9.example",
	      "1.2.0.192.in-addr.arpa PTR p10.example", "1.2.0.192.in-addr.arpa PTR x.d.example",
	      "x.d.example A 192.0.2.1"},
	     NULL,
	     SPF_FAIL,
	     NULL,
	     1,
	     NULL},
	    {"include cycle",
	     {"d.example TXT v=spf1 include:c.example -all",
	      "c.example TXT v=spf1 include:d.example -all"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 10 DNS lookups",
	     11,
	     NULL},
	    {"self include",
	     {"d.example TXT v=spf1 include:d.example -all"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 10 DNS lookups",
	     11,
	     NULL},
	    {"redirect loop",
	     {"d.example TXT v=spf1 redirect=d.example"},
	     NULL,
	     SPF_PERMERROR,
	     "more than 10 DNS lookups",
	     11,
	     NULL},
	    {"syntax error in an include",
	     {"d.example TXT v=spf1 include:i.example -all", "i.example TXT v=spf1 bogus"},
	     NULL,
	     SPF_PERMERROR,
	     "record of i.example",
	     1,
	     NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct eval_case *c = &cases[i];
		const char *zone[25] = {0};
		memcpy(zone, c->zone, sizeof c->zone);
		struct spf_eval *e =
		    run_zone(zone, "d.example", NULL, c->ip ? c->ip : SPF_CHECK_IP);
		const struct spf_outcome *o = spf_eval_outcome(e);
		if (o->result != c->result)
			fail_msg("%s: expected %s got %s (%s)", c->name, spf_result_name(c->result),
				 spf_result_name(o->result), o->reason);
		if (c->reason && strstr(o->reason, c->reason) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, o->reason, c->reason);
		if (c->lookups >= 0 && o->dns_lookups != c->lookups)
			fail_msg("%s: %d lookups, expected %d", c->name, o->dns_lookups,
				 c->lookups);
		if (c->explanation && strcmp(o->explanation, c->explanation) != 0)
			fail_msg("%s: explanation \"%s\"", c->name, o->explanation);
		spf_eval_free(e);
	}
}

/* ---- the check: verdict, detail, MECSA flags ---- */

struct check_case {
	const char *name;	     /* what the case shows */
	const char *zone[8];	     /* the zone (gathered through plan) */
	enum verdict_status verdict; /* expected verdict */
	const char *reason;	     /* substring of the verdict reason, or NULL */
	const char *result;	     /* detail.result */
	const char *all;	     /* detail.all, NULL for null */
	const char *redirect;	     /* detail.redirect, NULL for null */
	int records_found;	     /* detail.records_found */
	bool syntax_valid;	     /* detail.syntax_valid */
	bool spf;		     /* supported[MECSA_SPF] */
	bool policy;		     /* supported[MECSA_SPF_POLICY] */
};

static void test_check(void **state)
{
	(void)state;
	static const struct check_case cases[] = {
	    {"hard fail policy",
	     {"d.example TXT v=spf1 mx -all", "d.example MX 10 m.d.example",
	      "m.d.example A 198.51.100.1"},
	     VERDICT_PASS,
	     NULL,
	     "fail",
	     "-all",
	     NULL,
	     1,
	     true,
	     true,
	     true},
	    {"soft fail policy",
	     {"d.example TXT v=spf1 ip4:198.51.100.0/24 ~all"},
	     VERDICT_PASS,
	     NULL,
	     "softfail",
	     "~all",
	     NULL,
	     1,
	     true,
	     true,
	     true},
	    {"neutral: no policy",
	     {"d.example TXT v=spf1 ip4:198.51.100.0/24 ?all"},
	     VERDICT_PASS,
	     NULL,
	     "neutral",
	     "?all",
	     NULL,
	     1,
	     true,
	     true,
	     false},
	    {"+all: no policy",
	     {"d.example TXT v=spf1 +all"},
	     VERDICT_PASS,
	     NULL,
	     "pass",
	     "+all",
	     NULL,
	     1,
	     true,
	     true,
	     false},
	    {"no all",
	     {"d.example TXT v=spf1 ip4:198.51.100.1"},
	     VERDICT_PASS,
	     NULL,
	     "neutral",
	     NULL,
	     NULL,
	     1,
	     true,
	     true,
	     false},
	    {"spf-all substring is no policy",
	     {"d.example TXT v=spf1 include:spf-all.example ?all",
	      "spf-all.example TXT v=spf1 -all"},
	     VERDICT_PASS,
	     NULL,
	     "neutral",
	     "?all",
	     NULL,
	     1,
	     true,
	     true,
	     false},
	    {"redirect target's all",
	     {"d.example TXT v=spf1 redirect=_spf.d.example",
	      "_spf.d.example TXT v=spf1 ip4:198.51.100.1 -all"},
	     VERDICT_PASS,
	     NULL,
	     "fail",
	     "-all",
	     "_spf.d.example",
	     1,
	     true,
	     true,
	     true},
	    {"redirect chain",
	     {"d.example TXT v=spf1 redirect=r1.example",
	      "r1.example TXT v=spf1 redirect=r2.example", "r2.example TXT v=spf1 ~all"},
	     VERDICT_PASS,
	     NULL,
	     "softfail",
	     "~all",
	     "r1.example",
	     1,
	     true,
	     true,
	     true},
	    {"own all beats redirect",
	     {"d.example TXT v=spf1 ?all redirect=r.example", "r.example TXT v=spf1 -all"},
	     VERDICT_PASS,
	     NULL,
	     "neutral",
	     "?all",
	     "r.example",
	     1,
	     true,
	     true,
	     false},
	    {"no record",
	     {"d.example TXT some other text"},
	     VERDICT_ABSENT,
	     "no SPF record",
	     "none",
	     NULL,
	     NULL,
	     0,
	     false,
	     false,
	     false},
	    {"nxdomain",
	     {"x.example TXT v=spf1 -all"},
	     VERDICT_ABSENT,
	     NULL,
	     "none",
	     NULL,
	     NULL,
	     0,
	     false,
	     false,
	     false},
	    {"TXT timeout",
	     {"d.example TXT !timeout"},
	     VERDICT_DNS_ERROR,
	     "TXT lookup of d.example: timeout",
	     "temperror",
	     NULL,
	     NULL,
	     0,
	     false,
	     false,
	     false},
	    {"two records",
	     {"d.example TXT v=spf1 -all", "d.example TXT v=spf1 ~all"},
	     VERDICT_FAIL,
	     "2 SPF records",
	     "permerror",
	     NULL,
	     NULL,
	     2,
	     false,
	     false,
	     false},
	    {"syntax error",
	     {"d.example TXT v=spf1 ip4:198.51.100.300 -all"},
	     VERDICT_FAIL,
	     "invalid IPv4",
	     "permerror",
	     NULL,
	     NULL,
	     1,
	     false,
	     false,
	     false},
	    {"include of nothing",
	     {"d.example TXT v=spf1 include:gone.example -all"},
	     VERDICT_FAIL,
	     "include:gone.example",
	     "permerror",
	     "-all",
	     NULL,
	     1,
	     true,
	     false,
	     false},
	    {"void limit",
	     {"d.example TXT v=spf1 a:n1.d.example a:n2.d.example "
	      "a:n3.d.example -all"},
	     VERDICT_FAIL,
	     "void",
	     "permerror",
	     "-all",
	     NULL,
	     1,
	     true,
	     false,
	     false},
	    {"include timeout",
	     {"d.example TXT v=spf1 include:t.example -all", "t.example TXT !timeout"},
	     VERDICT_NOT_TESTABLE,
	     "TXT lookup of t.example: timeout",
	     "temperror",
	     "-all",
	     NULL,
	     1,
	     true,
	     false,
	     false},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct check_case *c = &cases[i];
		const char *zone[9] = {0};
		memcpy(zone, c->zone, sizeof c->zone);
		struct evidence *ev = gather(zone, "d.example", NULL);
		struct result *res = result_new("d.example");
		check_spf.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_SPF];
		json_t *d = cr->detail;
		assert_non_null(d);
		const char *all = json_string_value(json_object_get(d, "all"));
		const char *redir = json_string_value(json_object_get(d, "redirect"));
		if (cr->verdict.status != c->verdict)
			fail_msg("%s: verdict %s (%s)", c->name,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason);
		if (c->reason && strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", c->name, cr->verdict.reason,
				 c->reason);
		if (strcmp(json_string_value(json_object_get(d, "result")), c->result) != 0)
			fail_msg("%s: result %s", c->name,
				 json_string_value(json_object_get(d, "result")));
		if ((all == NULL) != (c->all == NULL) || (all && strcmp(all, c->all) != 0))
			fail_msg("%s: all %s", c->name, all ? all : "null");
		if ((redir == NULL) != (c->redirect == NULL) ||
		    (redir && strcmp(redir, c->redirect) != 0))
			fail_msg("%s: redirect %s", c->name, redir ? redir : "null");
		if (json_integer_value(json_object_get(d, "records_found")) != c->records_found ||
		    json_is_true(json_object_get(d, "syntax_valid")) != c->syntax_valid)
			fail_msg("%s: records_found/syntax_valid", c->name);
		if (res->supported[MECSA_SPF] != c->spf ||
		    res->supported[MECSA_SPF_POLICY] != c->policy ||
		    res->percent[MECSA_SPF] != (c->spf ? 100 : 0) ||
		    json_is_true(json_object_get(d, "mecsa_policy")) != c->policy)
			fail_msg("%s: MECSA flags spf=%d policy=%d", c->name,
				 res->supported[MECSA_SPF], res->supported[MECSA_SPF_POLICY]);
		if (c->records_found == 1 && !json_is_string(json_object_get(d, "record")))
			fail_msg("%s: record missing", c->name);
		assert_true(json_is_integer(json_object_get(d, "dns_lookups")));
		assert_true(json_is_integer(json_object_get(d, "void_lookups")));
		assert_true(json_is_string(json_object_get(d, "reason")));
		result_free(res);
		evidence_free(ev);
	}
}

/* plan asks one question at a time, exactly what evaluation needs, never one twice; evaluating
 * the gathered evidence later gives the same outcome as the live run. */
static void test_plan(void **state)
{
	(void)state;
	static const char *const zone[] = {
	    "d.example TXT v=spf1 a mx include:i.example -all exp=x.d.example",
	    "d.example A 198.51.100.1",
	    "d.example MX 10 m.d.example",
	    "m.d.example A 198.51.100.2",
	    "i.example TXT v=spf1 exists:%{i}.bl.example ?all",
	    "x.d.example TXT Not %{d}",
	    ZONE_END,
	};
	int rounds;
	struct evidence *ev = gather(zone, "d.example", &rounds);
	/* TXT, A, MX, A of m, TXT of i, A of the exists name, TXT of exp */
	assert_int_equal(rounds, 7);
	assert_int_equal(ev->n_dns, 7);
	assert_non_null(evidence_dns_find(ev, "192.0.2.1.bl.example", DNS_TYPE_A));
	/* gathered: plan asks nothing more; a missing answer is asked for again */
	struct dns_question q[4];
	assert_int_equal(check_spf.plan(ev, q, 4), 0);
	assert_int_equal(check_spf.plan(ev, q, 0), 0);

	struct result *res = result_new("d.example");
	check_spf.evaluate(ev, res);
	json_t *d = res->checks[CHECK_SPF].detail;
	assert_string_equal(json_string_value(json_object_get(d, "result")), "fail");
	assert_int_equal(json_integer_value(json_object_get(d, "dns_lookups")), 4);
	assert_int_equal(json_integer_value(json_object_get(d, "void_lookups")), 1);
	assert_string_equal(json_string_value(json_object_get(d, "explanation")), "Not d.example");
	result_free(res);

	struct spf_eval *e = run_zone(zone, "d.example", NULL, SPF_CHECK_IP);
	assert_int_equal(spf_eval_outcome(e)->result, SPF_FAIL);
	assert_string_equal(spf_eval_outcome(e)->explanation, "Not d.example");
	spf_eval_free(e);

	/* evidence without the include's answer: not testable, "not gathered" */
	struct evidence *partial = evidence_new("d.example");
	for (size_t i = 0; i < 4; i++) {
		const struct dns_answer *a = &ev->dns[i];
		struct dns_answer *slot = evidence_dns_slot(partial, a->qname, a->qtype);
		dns_answer_clear(slot); /* dns_answer_copy overwrites the slot's own qname */
		dns_answer_copy(slot, a);
	}
	assert_int_equal(check_spf.plan(partial, q, 4), 1);
	assert_string_equal(q[0].name, "i.example");
	assert_int_equal(q[0].type, DNS_TYPE_TXT);
	res = result_new("d.example");
	check_spf.evaluate(partial, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_NOT_TESTABLE);
	assert_non_null(strstr(res->checks[CHECK_SPF].verdict.reason, "not gathered"));
	assert_false(res->supported[MECSA_SPF]);
	result_free(res);
	evidence_free(partial);

	/* nothing gathered at all */
	struct evidence *empty = evidence_new("d.example");
	res = result_new("d.example");
	check_spf.evaluate(empty, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_NOT_TESTABLE);
	result_free(res);
	assert_int_equal(check_spf.plan(empty, q, 4), 1);
	assert_string_equal(q[0].name, "d.example");
	evidence_free(empty);
	evidence_free(ev);
}

/* ---- bad input ---- */

static struct evidence *txt_evidence(const char *domain, size_t n, const char *const *recs,
				     const size_t *lens)
{
	struct evidence *ev = evidence_new(domain);
	struct dns_answer *a = evidence_dns_slot(ev, domain, DNS_TYPE_TXT);
	a->status = DNS_STATUS_OK;
	for (size_t i = 0; i < n; i++)
		dns_answer_add(a, DNS_TYPE_TXT, NULL, recs[i], lens[i]);
	return ev;
}

static void test_bad_input(void **state)
{
	(void)state;
	struct result *res;
	json_t *d;

	/* binary bytes: permerror, and the record is still valid JSON */
	static const char bin[] = "v=spf1 a:\xff\xfe\x00x.example -all";
	const char *recs[1] = {bin};
	size_t lens[1] = {sizeof bin - 1};
	struct evidence *ev = txt_evidence("b.example", 1, recs, lens);
	res = result_new("b.example");
	check_spf.evaluate(ev, res);
	d = res->checks[CHECK_SPF].detail;
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_FAIL);
	assert_non_null(strstr(res->checks[CHECK_SPF].verdict.reason, "0xFF"));
	char *dump = json_dumps(d, 0);
	assert_non_null(dump);
	assert_non_null(strstr(dump, "\\\\xFF"));
	free(dump);
	result_free(res);
	evidence_free(ev);

	/* a 64 KiB record: 4000 ip4 terms, the last one matching */
	size_t cap = 70000, len = 0;
	char *big = xmalloc(cap);
	len += (size_t)snprintf(big, cap, "v=spf1");
	for (int i = 0; len < 65000; i++)
		len += (size_t)snprintf(big + len, cap - len, " ip4:198.51.%d.%d", (i / 250) % 250,
					i % 250);
	len += (size_t)snprintf(big + len, cap - len, " ip4:192.0.2.1 -all");
	recs[0] = big;
	lens[0] = len;
	ev = txt_evidence("big.example", 1, recs, lens);
	res = result_new("big.example");
	check_spf.evaluate(ev, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_PASS);
	d = res->checks[CHECK_SPF].detail;
	assert_string_equal(json_string_value(json_object_get(d, "result")), "pass");
	assert_int_equal(json_string_length(json_object_get(d, "record")), len);
	result_free(res);
	evidence_free(ev);
	/* ... and 64 KiB of one term that is a syntax error */
	memset(big, 'x', 65536);
	memcpy(big, "v=spf1 ", 7);
	lens[0] = 65536;
	ev = txt_evidence("big.example", 1, recs, lens);
	res = result_new("big.example");
	check_spf.evaluate(ev, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_FAIL);
	assert_true(strlen(res->checks[CHECK_SPF].verdict.reason) < VERDICT_REASON_MAX);
	result_free(res);
	evidence_free(ev);
	free(big);

	/* hundreds of records: 500 others and one SPF record, then 300 SPF records */
	const char *many[800];
	size_t many_len[800];
	for (int i = 0; i < 800; i++) {
		many[i] = i == 250  ? "v=spf1 -all"
			  : i < 500 ? "some-verification=abcdef"
				    : "v=spf1 ~all";
		many_len[i] = strlen(many[i]);
	}
	ev = txt_evidence("many.example", 500, many, many_len);
	res = result_new("many.example");
	check_spf.evaluate(ev, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_PASS);
	assert_true(res->supported[MECSA_SPF_POLICY]);
	result_free(res);
	evidence_free(ev);
	ev = txt_evidence("many.example", 800, many, many_len);
	res = result_new("many.example");
	check_spf.evaluate(ev, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_FAIL);
	assert_non_null(strstr(res->checks[CHECK_SPF].verdict.reason, "301 SPF records"));
	result_free(res);
	evidence_free(ev);

	/* an empty TXT RR (no character-strings) and a TXT RR without data */
	ev = evidence_new("e.example");
	struct dns_answer *a = evidence_dns_slot(ev, "e.example", DNS_TYPE_TXT);
	a->status = DNS_STATUS_OK;
	dns_answer_add(a, DNS_TYPE_TXT, NULL, "", 0);
	dns_answer_add(a, DNS_TYPE_TXT, NULL, NULL, 0);
	dns_answer_add(a, DNS_TYPE_CNAME, "alias.example", NULL, 0);
	res = result_new("e.example");
	check_spf.evaluate(ev, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_ABSENT);
	result_free(res);
	evidence_free(ev);

	/* an include cycle gathered through plan ends through the lookup limit */
	static const char *const cycle[] = {
	    "c.example TXT v=spf1 include:c2.example -all",
	    "c2.example TXT v=spf1 include:c3.example -all",
	    "c3.example TXT v=spf1 include:c.example -all",
	    ZONE_END,
	};
	ev = gather(cycle, "c.example", NULL);
	res = result_new("c.example");
	check_spf.evaluate(ev, res);
	assert_int_equal(res->checks[CHECK_SPF].verdict.status, VERDICT_FAIL);
	assert_non_null(strstr(res->checks[CHECK_SPF].verdict.reason, "more than 10 DNS lookups"));
	assert_int_equal(ev->n_dns, 3);
	result_free(res);
	evidence_free(ev);

	/* bad arguments to the evaluator */
	struct {
		const char *domain;	/* <domain> */
		const char *sender;	/* <sender> */
		const char *ip;		/* <ip> */
		enum spf_result result; /* expected result, without any DNS */
	} args[] = {
	    {"d.example", NULL, "not-an-ip", SPF_PERMERROR},
	    {"d.example", NULL, NULL, SPF_PERMERROR},
	    {NULL, NULL, "192.0.2.1", SPF_NONE},
	    {"", "", "192.0.2.1", SPF_NONE},
	    {"[192.0.2.1]", NULL, "192.0.2.1", SPF_NONE},
	    {"localhost", NULL, "192.0.2.1", SPF_NONE},
	    {"192.0.2.1", NULL, "192.0.2.1", SPF_NONE},
	    {"d..example", NULL, "192.0.2.1", SPF_NONE},
	};
	for (size_t i = 0; i < sizeof args / sizeof *args; i++) {
		struct spf_eval *e = spf_eval_new(args[i].domain, args[i].sender, args[i].ip, NULL);
		struct dns_question q;
		assert_int_equal(spf_eval_step(e, &q), SPF_STEP_DONE);
		if (spf_eval_outcome(e)->result != args[i].result)
			fail_msg("args %zu: %s (%s)", i,
				 spf_result_name(spf_eval_outcome(e)->result),
				 spf_eval_outcome(e)->reason);
		spf_eval_free(e);
	}
	spf_eval_free(NULL);
	/* answering when nothing was asked is ignored; a NULL answer is "not gathered" */
	struct spf_eval *e = spf_eval_new("d.example", "u@d.example", "192.0.2.1", "h.example");
	spf_eval_answer(e, NULL);
	struct dns_question q;
	assert_int_equal(spf_eval_step(e, &q), SPF_STEP_NEED_DNS);
	spf_eval_answer(e, NULL);
	assert_int_equal(spf_eval_step(e, &q), SPF_STEP_DONE);
	assert_int_equal(spf_eval_outcome(e)->result, SPF_TEMPERROR);
	assert_true(spf_eval_outcome(e)->not_gathered);
	assert_non_null(strstr(spf_eval_outcome(e)->reason, "not gathered"));
	spf_eval_free(e);
}

/* A sender without a local-part is postmaster (§4.3), and %{r}/%{t} can be set. */
static void test_sender(void **state)
{
	(void)state;
	static const char *const zone[] = {
	    "d.example TXT v=spf1 -all exp=x.d.example",
	    "x.d.example TXT %{l}|%{o}|%{s}|%{h}|%{r}|%{t}",
	    ZONE_END,
	};
	struct {
		const char *sender;	 /* MAIL FROM */
		const char *explanation; /* expected */
	} cases[] = {
	    {"@d.example", "postmaster|d.example|postmaster@d.example|d.example|unknown|0"},
	    {NULL, "postmaster|d.example|postmaster@d.example|d.example|unknown|0"},
	    {"a@b@d.example", "a@b|d.example|a@b@d.example|d.example|unknown|0"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct spf_eval *e = run_zone(zone, "d.example", cases[i].sender, SPF_CHECK_IP);
		assert_string_equal(spf_eval_outcome(e)->explanation, cases[i].explanation);
		spf_eval_free(e);
	}
	struct spf_eval *e = spf_eval_new("d.example", "u@d.example", SPF_CHECK_IP, "h.example");
	spf_eval_set_receiver(e, "mx.checker.example", 1700000000);
	struct dns_question q;
	while (spf_eval_step(e, &q) == SPF_STEP_NEED_DNS) {
		struct dns_answer a = {0};
		a.qname = xstrdup(q.name);
		a.qtype = q.type;
		zone_answer(zone, q.name, q.type, &a);
		spf_eval_answer(e, &a);
		dns_answer_clear(&a);
	}
	assert_string_equal(spf_eval_outcome(e)->explanation,
			    "u|d.example|u@d.example|h.example|mx.checker.example|1700000000");
	spf_eval_free(e);
	assert_string_equal(spf_result_name(SPF_SOFTFAIL), "softfail");
	assert_string_equal(spf_result_name(SPF_TEMPERROR), "temperror");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selection),	   cmocka_unit_test(test_syntax),
	    cmocka_unit_test(test_macro_examples), cmocka_unit_test(test_macro_domain),
	    cmocka_unit_test(test_macro_queries),  cmocka_unit_test(test_evaluation),
	    cmocka_unit_test(test_check),	   cmocka_unit_test(test_plan),
	    cmocka_unit_test(test_bad_input),	   cmocka_unit_test(test_sender),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
