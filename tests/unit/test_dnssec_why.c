/* test_dnssec_why.c — why an answer is bogus, and bogus told from a server failure: Extended DNS
 * Error codes; the CD=1 re-query of a SERVFAIL (data back: bogus; SERVFAIL again: server
 * failure) with its RRSIG dates, and the signer's DNSKEY and DS; what the dnssec check plans and
 * reports (bogus_reason, server_failure, denials); the re-query kept through the evidence JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "checks/dnssec.h"
#include "checks/dnssec_why.h"
#include "checks/evidence_json.h"

#define NOW 1700000000LL /* the scan's start, seconds */
#define DAY 86400

/* RRSIG RDATA (RFC 4034 §3.1) over MX by alg 13, signer d.example. */
static size_t rrsig(unsigned char *out, long long inception, long long expiration, unsigned tag)
{
	static const unsigned char signer[] = "\x01" "d" "\x07" "example";
	unsigned char *p = out;
	*p++ = 0, *p++ = DNS_TYPE_MX, *p++ = 13, *p++ = 2;
	*p++ = 0, *p++ = 0, *p++ = 0x0e, *p++ = 0x10;
	uint32_t e = (uint32_t)expiration, i = (uint32_t)inception;
	*p++ = e >> 24, *p++ = e >> 16, *p++ = e >> 8, *p++ = e;
	*p++ = i >> 24, *p++ = i >> 16, *p++ = i >> 8, *p++ = i;
	*p++ = tag >> 8, *p++ = tag & 0xff;
	memcpy(p, signer, sizeof signer); /* with the root label */
	p += sizeof signer;
	memset(p, 0xab, 64); /* the signature */
	p += 64;
	return (size_t)(p - out);
}

/* DNSKEY RDATA: flags 257, protocol 3, alg 13, a 64-byte key filled with seed. */
static size_t dnskey(unsigned char *out, unsigned char seed)
{
	out[0] = 1, out[1] = 1, out[2] = 3, out[3] = 13;
	memset(out + 4, seed, 64);
	return 68;
}

static size_t ds(unsigned char *out, unsigned tag)
{
	out[0] = tag >> 8, out[1] = tag & 0xff, out[2] = 13, out[3] = 2;
	memset(out + 4, 0x5a, 32);
	return 36;
}

enum sig_kind { SIG_NONE = 0, SIG_VALID, SIG_EXPIRED, SIG_EARLY };
enum keys_kind { KEYS_UNKNOWN = 0, KEYS_NODATA, KEYS_DS_MATCH, KEYS_DS_OTHER };

struct why_case {
	const char *what;
	enum dns_status status;	    /* the MX lookup */
	enum dnssec_status dnssec;  /* as the resolver said */
	const char *why;	    /* a->why (the EDE text), or NULL */
	int cd;			    /* 0: no re-query; else its status */
	enum dns_status cd_status;  /* the re-query's */
	enum sig_kind sig;	    /* the RRSIG it brought */
	enum keys_kind keys;	    /* the signer's DNSKEY (through its own re-query) and DS */
	enum dnssec_status want;    /* dnssec_diagnose().status */
	const char *reason;	    /* dnssec_why_name() */
	const char *source;	    /* or NULL */
	int server_failure;	    /* expected */
	enum verdict_status verdict; /* the dnssec check's */
};

static const struct why_case why_cases[] = {
	{"secure answer", DNS_STATUS_OK, DNSSEC_SECURE, NULL, 0, 0, SIG_NONE, KEYS_UNKNOWN,
	 DNSSEC_SECURE, "", NULL, 0, VERDICT_PASS},
	{"EDE 7: expired", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, "EDE 7: signature expired", 0, 0,
	 SIG_NONE, KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_expired", "ede", 0, VERDICT_FAIL},
	{"EDE 8: not yet valid", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, "EDE 8", 0, 0, SIG_NONE,
	 KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_not_yet_valid", "ede", 0, VERDICT_FAIL},
	{"EDE 9: DNSKEY missing", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, "EDE 9: no DNSKEY", 0, 0,
	 SIG_NONE, KEYS_UNKNOWN, DNSSEC_BOGUS, "dnskey_missing", "ede", 0, VERDICT_FAIL},
	{"EDE 10: RRSIGs missing", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, "EDE 10", 0, 0, SIG_NONE,
	 KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_missing", "ede", 0, VERDICT_FAIL},
	{"EDE 1: algorithm", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, "EDE 1", 0, 0, SIG_NONE,
	 KEYS_UNKNOWN, DNSSEC_BOGUS, "unsupported_algorithm", "ede", 0, VERDICT_FAIL},
	{"EDE 6 says only bogus", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, "EDE 6: DNSSEC Bogus", 0, 0,
	 SIG_NONE, KEYS_UNKNOWN, DNSSEC_BOGUS, "unknown", "ede", 0, VERDICT_FAIL},
	{"bogus from getdns' own validation (nothing says why)", DNS_STATUS_SERVFAIL, DNSSEC_BOGUS,
	 NULL, 0, 0, SIG_NONE, KEYS_UNKNOWN, DNSSEC_BOGUS, "unknown", NULL, 0, VERDICT_FAIL},
	{"SERVFAIL without EDE, not re-asked (an old store)", DNS_STATUS_SERVFAIL,
	 DNSSEC_INDETERMINATE, NULL, 0, 0, SIG_NONE, KEYS_UNKNOWN, DNSSEC_INDETERMINATE, "", NULL,
	 0, VERDICT_NOT_TESTABLE},
	{"SERVFAIL again with CD=1: server failure", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE,
	 NULL, 1, DNS_STATUS_SERVFAIL, SIG_NONE, KEYS_UNKNOWN, DNSSEC_INDETERMINATE, "", "cd", 1,
	 VERDICT_NOT_TESTABLE},
	{"timeout with CD=1: server failure", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, NULL, 1,
	 DNS_STATUS_TIMEOUT, SIG_NONE, KEYS_UNKNOWN, DNSSEC_INDETERMINATE, "", "cd", 1,
	 VERDICT_NOT_TESTABLE},
	{"data with CD=1, signatures expired", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, NULL, 1,
	 DNS_STATUS_OK, SIG_EXPIRED, KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_expired", "cd", 0,
	 VERDICT_FAIL},
	{"data with CD=1, signatures not yet valid", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE,
	 NULL, 1, DNS_STATUS_OK, SIG_EARLY, KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_not_yet_valid",
	 "cd", 0, VERDICT_FAIL},
	{"NODATA with CD=1 is an answer too", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, NULL, 1,
	 DNS_STATUS_NODATA, SIG_EXPIRED, KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_expired", "cd", 0,
	 VERDICT_FAIL},
	{"data with CD=1, no RRSIG, keys unknown", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, NULL,
	 1, DNS_STATUS_OK, SIG_NONE, KEYS_UNKNOWN, DNSSEC_BOGUS, "signature_missing", "cd", 0,
	 VERDICT_FAIL},
	{"no RRSIG, the domain serves no DNSKEY", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, NULL,
	 1, DNS_STATUS_OK, SIG_NONE, KEYS_NODATA, DNSSEC_BOGUS, "dnskey_missing", "cd", 0,
	 VERDICT_FAIL},
	{"signature in date, the signer serves no DNSKEY", DNS_STATUS_SERVFAIL,
	 DNSSEC_INDETERMINATE, NULL, 1, DNS_STATUS_OK, SIG_VALID, KEYS_NODATA, DNSSEC_BOGUS,
	 "dnskey_missing", "cd", 0, VERDICT_FAIL},
	{"signature in date, the DS names another key", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE,
	 NULL, 1, DNS_STATUS_OK, SIG_VALID, KEYS_DS_OTHER, DNSSEC_BOGUS, "ds_matches_no_dnskey",
	 "cd", 0, VERDICT_FAIL},
	{"signature in date, keys and DS agree: the signature is bad", DNS_STATUS_SERVFAIL,
	 DNSSEC_INDETERMINATE, NULL, 1, DNS_STATUS_OK, SIG_VALID, KEYS_DS_MATCH, DNSSEC_BOGUS,
	 "bad_signature", "cd", 0, VERDICT_FAIL},
	{"signature in date, keys not gathered", DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, NULL, 1,
	 DNS_STATUS_OK, SIG_VALID, KEYS_UNKNOWN, DNSSEC_BOGUS, "unknown", "cd", 0, VERDICT_FAIL},
};

static struct evidence *why_build(const struct why_case *c, unsigned *keytag)
{
	struct evidence *ev = evidence_new("d.example");
	ev->started_ms = NOW * 1000;
	struct dns_answer *a = evidence_dns_slot(ev, "d.example", DNS_TYPE_MX);
	a->status = c->status;
	a->rcode = c->status == DNS_STATUS_SERVFAIL ? 2 : 0;
	a->dnssec = c->dnssec;
	a->why = c->why ? strdup(c->why) : NULL;
	if (c->status == DNS_STATUS_OK)
		dns_answer_add(a, DNS_TYPE_MX, "mx.d.example", NULL, 0);
	unsigned char key[80], buf[160];
	size_t klen = dnskey(key, 0x11);
	*keytag = (unsigned)dnssec_keytag(key, klen);
	if (c->cd) {
		a->cd = calloc(1, sizeof *a->cd);
		a->cd->qname = strdup("d.example");
		a->cd->qtype = DNS_TYPE_MX;
		a->cd->status = c->cd_status;
		if (c->cd_status == DNS_STATUS_OK)
			dns_answer_add(a->cd, DNS_TYPE_MX, "mx.d.example", NULL, 0);
		long long inc = c->sig == SIG_EARLY ? NOW + DAY : NOW - 30 * DAY;
		long long exp = c->sig == SIG_EXPIRED ? NOW - DAY : NOW + 30 * DAY;
		if (c->sig != SIG_NONE)
			dns_answer_add(a->cd, DNS_TYPE_RRSIG, NULL, buf, rrsig(buf, inc, exp, *keytag));
	}
	if (c->keys != KEYS_UNKNOWN) {
		/* The signer's DNSKEY: SERVFAIL (its zone is bogus), the re-query tells. */
		struct dns_answer *k = evidence_dns_slot(ev, "d.example", DNS_TYPE_DNSKEY);
		k->status = DNS_STATUS_SERVFAIL;
		k->cd = calloc(1, sizeof *k->cd);
		k->cd->qname = strdup("d.example");
		k->cd->qtype = DNS_TYPE_DNSKEY;
		k->cd->status = c->keys == KEYS_NODATA ? DNS_STATUS_NODATA : DNS_STATUS_OK;
		if (c->keys != KEYS_NODATA)
			dns_answer_add(k->cd, DNS_TYPE_DNSKEY, NULL, key, klen);
		struct dns_answer *d = evidence_dns_slot(ev, "d.example", DNS_TYPE_DS);
		d->status = DNS_STATUS_OK;
		d->dnssec = DNSSEC_SECURE;
		unsigned tag = c->keys == KEYS_DS_OTHER ? (*keytag + 1) & 0xffff : *keytag;
		dns_answer_add(d, DNS_TYPE_DS, NULL, buf, ds(buf, tag));
	}
	return ev;
}

static void test_dnssec_why_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof why_cases / sizeof *why_cases; i++) {
		const struct why_case *c = &why_cases[i];
		unsigned tag;
		struct evidence *ev = why_build(c, &tag);
		const struct dns_answer *a = evidence_dns_find(ev, "d.example", DNS_TYPE_MX);
		struct dnssec_diagnosis dg;
		dnssec_diagnose(ev, a, (time_t)NOW, &dg);
		if (dg.status != c->want || strcmp(dnssec_why_name(dg.why), c->reason) != 0 ||
		    dg.server_failure != c->server_failure ||
		    (c->source == NULL) != (dg.source == NULL) ||
		    (c->source && strcmp(c->source, dg.source) != 0))
			fail_msg("%s: %s %s (%s) server_failure %d", c->what,
				 dnssec_status_name(dg.status), dnssec_why_name(dg.why),
				 dg.source ? dg.source : "-", dg.server_failure);
		assert_int_equal(dns_answer_dnssec(a), c->want);

		/* The check reports it as structured fields. */
		struct result *res = result_new(ev->domain);
		check_dnssec.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_DNSSEC];
		if (cr->verdict.status != c->verdict)
			fail_msg("%s: verdict %s (%s)", c->what, verdict_status_name(cr->verdict.status),
				 cr->verdict.reason);
		json_t *row = json_array_get(json_object_get(cr->detail, "rrsets"), 0);
		assert_string_equal(json_string_value(json_object_get(row, "dnssec")),
				    dnssec_status_name(c->want));
		json_t *br = json_object_get(cr->detail, "bogus_reason");
		if (c->want == DNSSEC_BOGUS) {
			assert_string_equal(json_string_value(br), c->reason);
			assert_string_equal(json_string_value(json_object_get(row, "bogus_reason")),
					    c->reason);
			assert_non_null(strstr(cr->verdict.reason, c->reason));
		} else {
			assert_true(json_is_null(br));
		}
		assert_int_equal(json_is_true(json_object_get(row, "server_failure")),
				 c->server_failure);
		assert_int_equal(json_integer_value(json_object_get(cr->detail, "server_failures")),
				 c->server_failure);
		if (c->server_failure)
			assert_non_null(strstr(cr->verdict.reason, "server failure"));
		result_free(res);

		/* Stored and read back (rescore), the judgement is the same. */
		json_t *j = evidence_to_json(ev);
		char err[160];
		struct evidence *back = evidence_from_json(j, err, sizeof err);
		if (back == NULL)
			fail_msg("%s: %s", c->what, err);
		struct dnssec_diagnosis dg2;
		dnssec_diagnose(back, evidence_dns_find(back, "d.example", DNS_TYPE_MX), (time_t)NOW,
				&dg2);
		assert_int_equal(dg2.status, dg.status);
		assert_int_equal(dg2.why, dg.why);
		assert_int_equal(dg2.server_failure, dg.server_failure);
		json_decref(j);
		evidence_free(back);
		evidence_free(ev);
	}
}

/* The plan asks for the signer's DNSKEY and DS only where they can tell something: a bogus
 * answer whose signatures are in date (or bear none: the domain's own zone). */
static void test_dnssec_why_plan(void **state)
{
	(void)state;
	struct dns_question q[8];
	unsigned tag;
	const struct why_case *valid = &why_cases[0];
	for (size_t i = 0; i < sizeof why_cases / sizeof *why_cases; i++)
		if (strcmp(why_cases[i].what, "signature in date, keys not gathered") == 0)
			valid = &why_cases[i];
	struct evidence *ev = why_build(valid, &tag);
	size_t n = check_dnssec.plan(ev, q, 8);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].name, "d.example");
	assert_int_equal(q[0].type, DNS_TYPE_DNSKEY);
	assert_int_equal(q[1].type, DNS_TYPE_DS);
	assert_int_equal(check_dnssec.plan(ev, q, 1), 1);
	evidence_dns_slot(ev, "d.example", DNS_TYPE_DNSKEY)->status = DNS_STATUS_NODATA;
	evidence_dns_slot(ev, "d.example", DNS_TYPE_DS)->status = DNS_STATUS_NODATA;
	assert_int_equal(check_dnssec.plan(ev, q, 8), 0); /* answered: asked once */
	evidence_free(ev);

	for (size_t i = 0; i < sizeof why_cases / sizeof *why_cases; i++) {
		const struct why_case *c = &why_cases[i];
		ev = why_build(c, &tag);
		n = check_dnssec.plan(ev, q, 8);
		int wants = c->cd && dns_status_is_answer(c->cd_status) &&
			    (c->sig == SIG_VALID || c->sig == SIG_NONE) && c->keys == KEYS_UNKNOWN;
		if ((n == 2) != wants || (n != 0 && n != 2))
			fail_msg("%s: plan asked %zu", c->what, n);
		evidence_free(ev);
	}
}

/* Absent RRsets: the DNSSEC status of their denial, beside the RRsets that exist. */
static void test_dnssec_denials(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("d.example");
	struct dns_answer *a = evidence_dns_slot(ev, "d.example", DNS_TYPE_MX);
	a->status = DNS_STATUS_OK;
	a->dnssec = DNSSEC_SECURE;
	dns_answer_add(a, DNS_TYPE_MX, "mx.d.example", NULL, 0);
	a = evidence_dns_slot(ev, "mx.d.example", DNS_TYPE_A);
	a->status = DNS_STATUS_OK;
	a->dnssec = DNSSEC_SECURE;
	dns_answer_add(a, DNS_TYPE_A, "192.0.2.1", NULL, 0);
	a = evidence_dns_slot(ev, "_dmarc.d.example", DNS_TYPE_TXT);
	a->status = DNS_STATUS_NXDOMAIN;
	a->dnssec = DNSSEC_SECURE;
	a = evidence_dns_slot(ev, "_25._tcp.mx.d.example", DNS_TYPE_TLSA);
	a->status = DNS_STATUS_NXDOMAIN;
	a->dnssec = DNSSEC_INSECURE;
	a = evidence_dns_slot(ev, "d.example", DNS_TYPE_TXT);
	a->status = DNS_STATUS_NODATA;
	a->dnssec = DNSSEC_SECURE;
	a = evidence_dns_slot(ev, "_mta-sts.d.example", DNS_TYPE_TXT);
	a->status = DNS_STATUS_SERVFAIL; /* a failure is not a denial */
	struct result *res = result_new(ev->domain);
	check_dnssec.evaluate(ev, res);
	json_t *d = res->checks[CHECK_DNSSEC].detail;
	json_t *den = json_object_get(d, "denials");
	assert_int_equal(json_array_size(den), 3);
	static const struct {
		const char *role, *lookup, *dnssec;
	} want[] = {{"txt", "nodata", "secure"}, {"dmarc", "nxdomain", "secure"},
		    {"tlsa", "nxdomain", "insecure"}};
	for (size_t i = 0; i < 3; i++) {
		json_t *o = json_array_get(den, i);
		assert_string_equal(json_string_value(json_object_get(o, "role")), want[i].role);
		assert_string_equal(json_string_value(json_object_get(o, "lookup")), want[i].lookup);
		assert_string_equal(json_string_value(json_object_get(o, "dnssec")), want[i].dnssec);
	}
	assert_int_equal(json_integer_value(json_object_get(d, "denials_secure")), 2);
	assert_int_equal(json_integer_value(json_object_get(d, "denials_insecure")), 1);
	/* Denials are reported, not counted: MX and A are secure, the verdict passes. */
	assert_int_equal(res->checks[CHECK_DNSSEC].verdict.status, VERDICT_PASS);
	result_free(res);
	evidence_free(ev);
}

/* RFC 4034 Appendix B, checked against a key tag computed by hand for a short RDATA. */
static void test_dnssec_keytag(void **state)
{
	(void)state;
	static const unsigned char rd[] = {0x01, 0x01, 0x03, 0x0d, 0x10, 0x20};
	/* 0x0101 + 0x030d + 0x1020 = 0x142e */
	assert_int_equal(dnssec_keytag(rd, sizeof rd), 0x142e);
	assert_int_equal(dnssec_keytag(rd, 3), -1);
	assert_int_equal(dnssec_keytag(NULL, 0), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dnssec_why_cases),
		cmocka_unit_test(test_dnssec_why_plan),
		cmocka_unit_test(test_dnssec_denials),
		cmocka_unit_test(test_dnssec_keytag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
