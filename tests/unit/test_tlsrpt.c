/* test_tlsrpt.c — TLS-RPT: the record parser (RFC 8460 §3 ABNF, report URIs), the shared TXT
 * record helpers, and the check's verdict and detail over recorded DNS answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "checks/tlsrpt.h"
#include "checks/txtrec.h"

struct parse_case {
	const char *rec;   /* the TXT record */
	size_t len;	   /* its length, 0 for strlen */
	int ok;		   /* 1 when valid */
	size_t n_rua;	   /* URIs expected when valid */
	const char *rua0;  /* the first URI when valid */
	const char *reason; /* substring of the reason when invalid */
};

static const struct parse_case parse_cases[] = {
	/* RFC 8460 §3 examples */
	{"v=TLSRPTv1; rua=mailto:reports@example.com", 0, 1, 1, "mailto:reports@example.com", NULL},
	{"v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt", 0, 1, 1,
	 "https://reporting.example.com/v1/tlsrpt", NULL},
	/* URI lists, whitespace of field-delim and of the URI list */
	{"v=TLSRPTv1;rua=mailto:a@example.com,https://r.example.net/x", 0, 1, 2,
	 "mailto:a@example.com", NULL},
	{"v=TLSRPTv1 ; rua=mailto:a@example.com ;", 0, 1, 1, "mailto:a@example.com", NULL},
	{"v=TLSRPTv1;\trua=mailto:a@example.com , \tmailto:b@example.org; ", 0, 1, 2,
	 "mailto:a@example.com", NULL},
	{"v=TLSRPTv1; rua=mailto:a@example.com; rua=https://r.example.com/", 0, 1, 2,
	 "mailto:a@example.com", NULL},
	/* extensions are ignored when well-formed */
	{"v=TLSRPTv1; rua=mailto:a@example.com; ext.x_1-a=val!ue", 0, 1, 1, "mailto:a@example.com",
	 NULL},
	{"v=TLSRPTv1; 1x=2; rua=mailto:a@example.com", 0, 1, 1, "mailto:a@example.com", NULL},
	/* URIs mecsa-st gets wrong: '=' in a query, percent-encoding, IPv6 host, scheme case */
	{"v=TLSRPTv1; rua=https://r.example.com/report?x=1&y=2", 0, 1, 1,
	 "https://r.example.com/report?x=1&y=2", NULL},
	{"v=TLSRPTv1; rua=mailto:tls%2Brpt@example.com", 0, 1, 1, "mailto:tls%2Brpt@example.com",
	 NULL},
	{"v=TLSRPTv1; rua=https://[2001:db8::1]:8443/r", 0, 1, 1, "https://[2001:db8::1]:8443/r",
	 NULL},
	{"v=TLSRPTv1; rua=MAILTO:a@example.com", 0, 1, 1, "MAILTO:a@example.com", NULL},
	{"v=TLSRPTv1; rua=https://r.example.com:443", 0, 1, 1, "https://r.example.com:443", NULL},
	{"v=TLSRPTv1; rua=https://u@r.example.com:65535/", 0, 1, 1,
	 "https://u@r.example.com:65535/", NULL},
	/* structure */
	{"v=TLSRPTv1", 0, 0, 0, NULL, "no field"},
	{"v=TLSRPTv1;", 0, 0, 0, NULL, "no field"},
	{"v=TLSRPTv1;  ", 0, 0, 0, NULL, "no field"},
	{"v=TLSRPTv1; foo=bar", 0, 0, 0, NULL, "no rua"},
	{"v=tlsrptv1; rua=mailto:a@example.com", 0, 0, 0, NULL, "exactly"},
	{"v = TLSRPTv1; rua=mailto:a@example.com", 0, 0, 0, NULL, "exactly"},
	{"v=TLSRPTv10; rua=mailto:a@example.com", 0, 0, 0, NULL, "does not begin"},
	{"rua=mailto:a@example.com; v=TLSRPTv1", 0, 0, 0, NULL, "does not begin"},
	{" v=TLSRPTv1; rua=mailto:a@example.com", 0, 0, 0, NULL, "exactly"},
	{"v=TLSRPTv1 rua=mailto:a@example.com", 0, 0, 0, NULL, "expected ';'"},
	{"v=TLSRPTv1; rua = mailto:a@example.com", 0, 0, 0, NULL, "name=value"},
	{"v=TLSRPTv1; rua=mailto:a@example.com;; x=1", 0, 0, 0, NULL, "empty field"},
	{"v=TLSRPTv1; RUA=mailto:a@example.com", 0, 0, 0, NULL, "lower-case"},
	{"v=TLSRPTv1; rua=mailto:a@example.com; _x=1", 0, 0, 0, NULL, "bad field name"},
	{"v=TLSRPTv1; rua=mailto:a@example.com; abcdefghijabcdefghijabcdefghijabc=1", 0, 0, 0, NULL,
	 "bad field name"},
	{"v=TLSRPTv1; rua=mailto:a@example.com; ext=va=lue", 0, 0, 0, NULL, "bad value"},
	{"v=TLSRPTv1; rua=mailto:a@example.com; ext=", 0, 0, 0, NULL, "bad value"},
	/* URIs */
	{"v=TLSRPTv1; rua=", 0, 0, 0, NULL, "empty URI"},
	{"v=TLSRPTv1; rua=mailto:a@example.com,", 0, 0, 0, NULL, "empty URI"},
	{"v=TLSRPTv1; rua=mailto:a@example.com,,mailto:b@example.com", 0, 0, 0, NULL, "empty URI"},
	{"v=TLSRPTv1; rua=mailto:a@exa mple.com", 0, 0, 0, NULL, "separated by ','"},
	{"v=TLSRPTv1; rua=http://r.example.com/", 0, 0, 0, NULL, "unsupported scheme"},
	{"v=TLSRPTv1; rua=ftp://r.example.com/", 0, 0, 0, NULL, "unsupported scheme"},
	{"v=TLSRPTv1; rua=httpsxyz", 0, 0, 0, NULL, "no URI scheme"},
	{"v=TLSRPTv1; rua=a@example.com", 0, 0, 0, NULL, "no URI scheme"},
	{"v=TLSRPTv1; rua=mailto:a@example.com!10m", 0, 0, 0, NULL, "percent-encoded"},
	{"v=TLSRPTv1; rua=mailto:example.com", 0, 0, 0, NULL, "no '@'"},
	{"v=TLSRPTv1; rua=mailto:@example.com", 0, 0, 0, NULL, "without local part"},
	{"v=TLSRPTv1; rua=mailto:a@b@example.com", 0, 0, 0, NULL, "more than one '@'"},
	{"v=TLSRPTv1; rua=mailto:a@", 0, 0, 0, NULL, "bad domain"},
	{"v=TLSRPTv1; rua=mailto:a@-x.example.com", 0, 0, 0, NULL, "bad domain"},
	{"v=TLSRPTv1; rua=https:///path", 0, 0, 0, NULL, "without a host"},
	{"v=TLSRPTv1; rua=https:r.example.com", 0, 0, 0, NULL, "//host"},
	{"v=TLSRPTv1; rua=https://-bad.example.com/", 0, 0, 0, NULL, "bad host name"},
	{"v=TLSRPTv1; rua=https://r.example.com:99999/", 0, 0, 0, NULL, "bad port"},
	{"v=TLSRPTv1; rua=https://r.example.com:8x/", 0, 0, 0, NULL, "bad port"},
	{"v=TLSRPTv1; rua=https://r.example.com:/", 0, 0, 0, NULL, "bad port"},
	{"v=TLSRPTv1; rua=https://[2001:db8::1]:0/", 0, 0, 0, NULL, "bad port"},
	{"v=TLSRPTv1; rua=https://[2001:db8::1]x/", 0, 0, 0, NULL, "junk after"},
	{"v=TLSRPTv1; rua=https://[]/", 0, 0, 0, NULL, "IP literal"},
	{"v=TLSRPTv1; rua=https://r.example.com/a%zz", 0, 0, 0, NULL, "percent-encoding"},
	{"v=TLSRPTv1; rua=https://r.example.com/a#b#c", 0, 0, 0, NULL, "more than one '#'"},
	{"v=TLSRPTv1; rua=https://r.example.com/<x>", 0, 0, 0, NULL, "not allowed in a URI"},
	/* bytes outside printable US-ASCII */
	{"v=TLSRPTv1; rua=mailto:a@example.com\0", 37, 0, 0, NULL, "US-ASCII"},
	{"v=TLSRPTv1; rua=mailto:\xc3\xa4@example.com", 0, 0, 0, NULL, "US-ASCII"},
	{"v=TLSRPTv1;\r\nrua=mailto:a@example.com", 0, 0, 0, NULL, "US-ASCII"},
	{"", 0, 0, 0, NULL, "does not begin"},
};

static void test_tlsrpt_parse_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *c = &parse_cases[i];
		size_t len = c->len ? c->len : strlen(c->rec);
		struct tlsrpt_record rec;
		char err[256] = "";
		int rc = tlsrpt_record_parse(c->rec, len, &rec, err, sizeof err);
		if (c->ok) {
			if (rc != 0)
				fail_msg("case %zu '%s': rejected (%s)", i, c->rec, err);
			if (rec.n_rua != c->n_rua)
				fail_msg("case %zu '%s': %zu URIs, expected %zu", i, c->rec,
					 rec.n_rua, c->n_rua);
			assert_string_equal(rec.rua[0], c->rua0);
		} else {
			if (rc == 0)
				fail_msg("case %zu '%s': accepted", i, c->rec);
			if (strstr(err, c->reason) == NULL)
				fail_msg("case %zu '%s': reason '%s' lacks '%s'", i, c->rec, err,
					 c->reason);
		}
		tlsrpt_record_clear(&rec);
	}
	tlsrpt_record_clear(NULL); /* a no-op */
}

struct bytes_case {
	const char *in;	      /* raw bytes */
	size_t len;	      /* their length */
	const char *expected; /* the JSON string's UTF-8 content */
	size_t expected_len;  /* its length */
};

static const struct bytes_case bytes_cases[] = {
	{"plain", 5, "plain", 5},
	{"caf\xc3\xa9", 5, "caf\xc3\xa9", 5},
	{"\xff\xfe", 2, "\\xFF\\xFE", 8},
	{"a\0b", 3, "a\0b", 3},
	{"\xc3", 1, "\\xC3", 4},		     /* truncated sequence */
	{"\xc0\xaf", 2, "\\xC0\\xAF", 8},	     /* overlong '/' */
	{"\xe0\x80\xaf", 3, "\\xE0\\x80\\xAF", 12}, /* overlong '/', 3 bytes */
	{"\xf0\x80\x80\xaf", 4, "\\xF0\\x80\\x80\\xAF", 16}, /* overlong '/', 4 bytes */
	{"\xed\xa0\x80", 3, "\\xED\\xA0\\x80", 12}, /* surrogate */
	{"\xf4\x90\x80\x80", 4, "\\xF4\\x90\\x80\\x80", 16}, /* above U+10FFFF */
	{"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80", 4},	     /* U+1F600 */
};

static void test_txtrec_json_bytes_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bytes_cases / sizeof *bytes_cases; i++) {
		const struct bytes_case *c = &bytes_cases[i];
		json_t *s = txtrec_json_bytes(c->in, c->len);
		assert_non_null(s);
		if (json_string_length(s) != c->expected_len ||
		    memcmp(json_string_value(s), c->expected, c->expected_len) != 0)
			fail_msg("case %zu: got '%s'", i, json_string_value(s));
		json_decref(s);
	}
}

/* ---- the check over recorded answers ---- */

struct txt {
	const char *data; /* record bytes */
	size_t len;	  /* 0 for strlen */
};

struct verdict_case {
	const char *what;	  /* description */
	enum dns_status status;	  /* of the _smtp._tls TXT lookup; NOT_QUERIED: not in evidence */
	struct txt txt[4];	  /* records, data NULL ends */
	int with_cname;		  /* add a CNAME RR before the TXT ones */
	enum verdict_status want; /* expected verdict */
	const char *reason;	  /* substring of the verdict reason */
	long long found;	  /* expected records_found */
	int syntax_valid;	  /* expected syntax_valid */
	size_t n_rua;		  /* expected length of rua */
};

static const struct verdict_case verdict_cases[] = {
	{"not asked", DNS_STATUS_NOT_QUERIED, {{NULL, 0}}, 0, VERDICT_NOT_TESTABLE, "not queried",
	 -1, 0, 0},
	{"nxdomain", DNS_STATUS_NXDOMAIN, {{NULL, 0}}, 0, VERDICT_ABSENT, "nxdomain", 0, 0, 0},
	{"nodata", DNS_STATUS_NODATA, {{NULL, 0}}, 0, VERDICT_ABSENT, "nodata", 0, 0, 0},
	{"servfail", DNS_STATUS_SERVFAIL, {{NULL, 0}}, 0, VERDICT_DNS_ERROR, "servfail", 0, 0, 0},
	{"timeout", DNS_STATUS_TIMEOUT, {{NULL, 0}}, 0, VERDICT_DNS_ERROR, "timeout", 0, 0, 0},
	{"refused", DNS_STATUS_REFUSED, {{NULL, 0}}, 0, VERDICT_DNS_ERROR, "refused", 0, 0, 0},
	{"unrelated only", DNS_STATUS_OK, {{"v=spf1 -all", 0}, {NULL, 0}}, 0, VERDICT_ABSENT,
	 "among 1 TXT", 0, 0, 0},
	{"valid", DNS_STATUS_OK, {{"v=TLSRPTv1; rua=mailto:tls@example.org", 0}, {NULL, 0}}, 0,
	 VERDICT_PASS, "1 report URI", 1, 1, 1},
	{"valid + unrelated", DNS_STATUS_OK,
	 {{"google-site-verification=x", 0},
	  {"v=TLSRPTv1; rua=mailto:a@example.org,https://r.example.org/", 0},
	  {NULL, 0}},
	 0, VERDICT_PASS, "2 report URIs", 1, 1, 2},
	{"valid via CNAME", DNS_STATUS_OK,
	 {{"v=TLSRPTv1; rua=mailto:tls@example.org", 0}, {NULL, 0}}, 1, VERDICT_PASS,
	 "1 report URI", 1, 1, 1},
	{"two records", DNS_STATUS_OK,
	 {{"v=TLSRPTv1; rua=mailto:a@example.org", 0},
	  {"v=TLSRPTv1; rua=mailto:b@example.org", 0},
	  {NULL, 0}},
	 0, VERDICT_FAIL, "2 TLS-RPT records", 2, 0, 0},
	{"one valid, one lower-case (discarded by the RFC rule)", DNS_STATUS_OK,
	 {{"v=TLSRPTv1; rua=mailto:a@example.org", 0},
	  {"v=tlsrptv1; rua=mailto:b@example.org", 0},
	  {NULL, 0}},
	 0, VERDICT_PASS, "1 report URI", 1, 1, 1},
	{"invalid", DNS_STATUS_OK, {{"v=TLSRPTv1; rua=http://r.example.org/", 0}, {NULL, 0}}, 0,
	 VERDICT_FAIL, "unsupported scheme", 1, 0, 0},
	{"lower-case version only", DNS_STATUS_OK,
	 {{"v=tlsrptv1; rua=mailto:a@example.org", 0}, {NULL, 0}}, 0, VERDICT_FAIL, "exactly", 1,
	 0, 0},
	{"binary", DNS_STATUS_OK, {{"v=TLSRPTv1; rua=mailto:\xff@example.org", 0}, {NULL, 0}}, 0,
	 VERDICT_FAIL, "US-ASCII", 1, 0, 0},
	{"nul byte", DNS_STATUS_OK, {{"v=TLSRPTv1; rua=mailto:a@example.org\0x", 38}, {NULL, 0}}, 0,
	 VERDICT_FAIL, "US-ASCII", 1, 0, 0},
};

static void test_tlsrpt_verdict_table(void **state)
{
	(void)state;
	const char *qname = "_smtp._tls.example.org";
	for (size_t i = 0; i < sizeof verdict_cases / sizeof *verdict_cases; i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct evidence *ev = evidence_new("example.org");
		if (c->status != DNS_STATUS_NOT_QUERIED) {
			struct dns_answer *a = evidence_dns_slot(ev, qname, DNS_TYPE_TXT);
			a->status = c->status;
			a->rcode = c->status == DNS_STATUS_SERVFAIL ? 2 : 0;
			if (c->with_cname)
				dns_answer_add(a, DNS_TYPE_CNAME, "tlsrpt.example.net", NULL, 0);
			for (size_t j = 0; c->txt[j].data; j++)
				dns_answer_add(a, DNS_TYPE_TXT, NULL, c->txt[j].data,
					       c->txt[j].len ? c->txt[j].len
							     : strlen(c->txt[j].data));
		}
		struct result *res = result_new("example.org");
		check_tlsrpt.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_TLSRPT];
		if (cr->verdict.status != c->want)
			fail_msg("%s: verdict %s (%s), expected %s", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->want));
		if (strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", c->what, cr->verdict.reason,
				 c->reason);
		if (c->found >= 0) {
			json_t *d = cr->detail;
			assert_non_null(d);
			assert_int_equal(json_integer_value(json_object_get(d, "records_found")),
					 c->found);
			assert_int_equal(json_is_true(json_object_get(d, "syntax_valid")),
					 c->syntax_valid);
			assert_int_equal(json_array_size(json_object_get(d, "rua")), c->n_rua);
			assert_non_null(json_object_get(d, "reason"));
			char *dump = json_dumps(d, 0); /* every detail must serialise */
			assert_non_null(dump);
			free(dump);
			if (c->want == VERDICT_PASS)
				assert_true(json_is_null(json_object_get(d, "reason")));
			if (c->want == VERDICT_FAIL || c->want == VERDICT_PASS)
				assert_true(json_is_string(json_object_get(d, "record")) ||
					    json_is_array(json_object_get(d, "records")));
		}
		assert_false(res->supported[MECSA_STARTTLS]); /* TLS-RPT is not scored */
		result_free(res);
		evidence_free(ev);
	}
}

static void test_tlsrpt_plan(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.org");
	struct dns_question q[4];
	size_t n = check_tlsrpt.plan(ev, q, 4);
	assert_int_equal(n, 1);
	assert_string_equal(q[0].name, "_smtp._tls.example.org");
	assert_int_equal(q[0].type, DNS_TYPE_TXT);
	assert_int_equal(q[0].flags, 0);
	evidence_dns_slot(ev, "_smtp._tls.example.org", DNS_TYPE_TXT)->status = DNS_STATUS_NXDOMAIN;
	assert_int_equal(check_tlsrpt.plan(ev, q, 4), 0); /* answered: nothing more */
	assert_int_equal(check_tlsrpt.plan(ev, q, 0), 0);
	evidence_free(ev);
	assert_string_equal(check_tlsrpt.name, "tlsrpt");
	assert_int_equal(check_tlsrpt.id, CHECK_TLSRPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tlsrpt_parse_table),
		cmocka_unit_test(test_txtrec_json_bytes_table),
		cmocka_unit_test(test_tlsrpt_verdict_table),
		cmocka_unit_test(test_tlsrpt_plan),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
