/* test_dns_reply.c — a getdns reply dict turned into evidence (dns_fill_from_reply), for the
 * shapes a hostile or broken server (or getdns itself) can hand over: RRs of the type asked and
 * of others, an address of the wrong size, an MX without its exchange, TXT strings joined, a
 * truncated reply, a reply to another question, RCODEs, DNSSEC status from getdns or from an
 * upstream's AD bit and Extended DNS Errors (printable text only, bogus answers dropped). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <getdns/getdns.h>

#include "common/xalloc.h"
#include "daemon/dns.h"

/* Wire form of a presentation name (no escapes), into out; returns its length. */
static size_t wire(const char *name, uint8_t *out)
{
	size_t n = 0;
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t len = dot ? (size_t)(dot - name) : strlen(name);
		out[n++] = (uint8_t)len;
		memcpy(out + n, name, len);
		n += len;
		name += len + (dot != NULL);
	}
	out[n++] = 0;
	return n;
}

static void set_name(getdns_dict *d, const char *key, const char *name)
{
	uint8_t w[256];
	getdns_bindata b = {wire(name, w), w};
	getdns_dict_set_bindata(d, key, &b);
}

static void set_bytes(getdns_dict *d, const char *key, const void *p, size_t n)
{
	getdns_bindata b = {n, (uint8_t *)(uintptr_t)p};
	getdns_dict_set_bindata(d, key, &b);
}

/* A reply to (qname, qtype) with rcode; RRs are appended with add_rr. */
static getdns_dict *reply_new(const char *qname, uint32_t qtype, uint32_t rcode)
{
	getdns_dict *r = getdns_dict_create();
	set_name(r, "/question/qname", qname);
	getdns_dict_set_int(r, "/question/qtype", qtype);
	getdns_dict_set_int(r, "/header/rcode", rcode);
	return r;
}

/* Append an RR of type whose rdata is rdata (taken: destroyed here). */
static void add_rr(getdns_dict *reply, const char *section, uint32_t type, getdns_dict *rdata)
{
	getdns_list *l = NULL;
	size_t n = 0;
	getdns_list *mine = NULL;
	if (getdns_dict_get_list(reply, section, &l) != GETDNS_RETURN_GOOD)
		l = mine = getdns_list_create();
	getdns_list_get_length(l, &n);
	getdns_dict *rr = getdns_dict_create();
	getdns_dict_set_int(rr, "type", type);
	getdns_dict_set_int(rr, "ttl", 300);
	if (rdata)
		getdns_dict_set_dict(rr, "rdata", rdata);
	getdns_list_set_dict(l, n, rr);
	if (mine) {
		getdns_dict_set_list(reply, section, mine);
		getdns_list_destroy(mine);
	}
	getdns_dict_destroy(rr);
	getdns_dict_destroy(rdata);
}

static getdns_dict *rdata_bytes(const char *key, const void *p, size_t n)
{
	getdns_dict *d = getdns_dict_create();
	set_bytes(d, key, p, n);
	return d;
}

static void fill(struct dns_answer *a, const char *qname, uint16_t qtype, getdns_dict *reply,
		 int trust_upstream)
{
	memset(a, 0, sizeof *a);
	a->qname = xstrdup(qname);
	a->qtype = qtype;
	a->rcode = -1;
	dns_fill_from_reply(a, reply, trust_upstream);
	getdns_dict_destroy(reply);
}

static void test_addresses(void **state)
{
	(void)state;
	static const uint8_t v4[4] = {192, 0, 2, 1}, short_v4[3] = {192, 0, 2};
	getdns_dict *r = reply_new("mx.example.com", GETDNS_RRTYPE_A, 0);
	add_rr(r, "answer", GETDNS_RRTYPE_A, rdata_bytes("ipv4_address", v4, 4));
	add_rr(r, "answer", GETDNS_RRTYPE_A, rdata_bytes("ipv4_address", short_v4, 3));
	add_rr(r, "answer", GETDNS_RRTYPE_A, NULL); /* no rdata */
	add_rr(r, "answer", GETDNS_RRTYPE_AAAA, rdata_bytes("ipv6_address", v4, 4));
	struct dns_answer a;
	fill(&a, "mx.example.com", DNS_TYPE_A, r, 0);
	assert_int_equal(a.status, DNS_STATUS_OK);
	assert_int_equal(a.n_rr, 1); /* the 3-byte address, the bare RR and the AAAA are ignored */
	assert_string_equal(a.rr[0].text, "192.0.2.1");
	assert_int_equal(a.rr[0].ttl, 300);
	dns_answer_clear(&a);

	r = reply_new("mx.example.com", GETDNS_RRTYPE_A, 0);
	add_rr(r, "answer", GETDNS_RRTYPE_A, rdata_bytes("ipv4_address", short_v4, 3));
	fill(&a, "mx.example.com", DNS_TYPE_A, r, 0);
	assert_int_equal(a.status, DNS_STATUS_NODATA);
	dns_answer_clear(&a);
}

static void test_mx_txt(void **state)
{
	(void)state;
	getdns_dict *r = reply_new("example.com", GETDNS_RRTYPE_MX, 0);
	getdns_dict *rd = getdns_dict_create();
	set_name(rd, "exchange", "MX.Example.COM");
	getdns_dict_set_int(rd, "preference", 10);
	add_rr(r, "answer", GETDNS_RRTYPE_MX, rd);
	rd = getdns_dict_create();
	getdns_dict_set_int(rd, "preference", 20); /* no exchange: not an RR we can use */
	add_rr(r, "answer", GETDNS_RRTYPE_MX, rd);
	struct dns_answer a;
	fill(&a, "example.com", DNS_TYPE_MX, r, 0);
	assert_int_equal(a.n_rr, 1);
	assert_string_equal(a.rr[0].text, "mx.example.com");
	assert_int_equal(a.rr[0].pref, 10);
	dns_answer_clear(&a);

	r = reply_new("example.com", GETDNS_RRTYPE_TXT, 0);
	rd = getdns_dict_create();
	getdns_list *l = getdns_list_create();
	getdns_bindata s1 = {3, (uint8_t *)"v=s"}, s2 = {5, (uint8_t *)"pf1\0x"};
	getdns_list_set_bindata(l, 0, &s1);
	getdns_list_set_bindata(l, 1, &s2);
	getdns_dict_set_list(rd, "txt_strings", l);
	getdns_list_destroy(l);
	add_rr(r, "answer", GETDNS_RRTYPE_TXT, rd);
	fill(&a, "example.com", DNS_TYPE_TXT, r, 0);
	assert_int_equal(a.n_rr, 1);
	assert_int_equal(a.rr[0].len, 8); /* joined, the NUL kept */
	assert_memory_equal(a.rr[0].data, "v=spf1\0x", 8);
	dns_answer_clear(&a);
}

static void test_status(void **state)
{
	(void)state;
	struct {
		const char *what;
		const char *reply_qname; /* the reply's question */
		uint32_t rcode, tc;
		enum dns_status status;
	} cases[] = {
		{"NOERROR without RRs", "example.com", 0, 0, DNS_STATUS_NODATA},
		{"NXDOMAIN", "example.com", 3, 0, DNS_STATUS_NXDOMAIN},
		{"SERVFAIL", "example.com", 2, 0, DNS_STATUS_SERVFAIL},
		{"REFUSED", "example.com", 5, 0, DNS_STATUS_REFUSED},
		{"truncated", "example.com", 0, 1, DNS_STATUS_ERROR},
		{"another question", "other.example", 0, 0, DNS_STATUS_ERROR},
		{"same name in another case", "EXAMPLE.com", 0, 0, DNS_STATUS_NODATA},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		getdns_dict *r = reply_new(cases[i].reply_qname, GETDNS_RRTYPE_A, cases[i].rcode);
		getdns_dict_set_int(r, "/header/tc", cases[i].tc);
		struct dns_answer a;
		fill(&a, "example.com", DNS_TYPE_A, r, 0);
		if (a.status != cases[i].status)
			fail_msg("%s: status %s", cases[i].what, dns_status_name(a.status));
		dns_answer_clear(&a);
	}
	/* No question at all. */
	getdns_dict *r = getdns_dict_create();
	struct dns_answer a;
	fill(&a, "example.com", DNS_TYPE_A, r, 0);
	assert_int_equal(a.status, DNS_STATUS_ERROR);
	assert_non_null(strstr(a.why, "no question"));
	dns_answer_clear(&a);
}

static void test_dnssec(void **state)
{
	(void)state;
	static const uint8_t v4[4] = {192, 0, 2, 1};
	/* getdns' own validation: bogus drops the RRs and reads as SERVFAIL. */
	getdns_dict *r = reply_new("example.com", GETDNS_RRTYPE_A, 0);
	add_rr(r, "answer", GETDNS_RRTYPE_A, rdata_bytes("ipv4_address", v4, 4));
	getdns_dict_set_int(r, "dnssec_status", GETDNS_DNSSEC_BOGUS);
	struct dns_answer a;
	fill(&a, "example.com", DNS_TYPE_A, r, 0);
	assert_int_equal(a.status, DNS_STATUS_SERVFAIL);
	assert_int_equal(a.dnssec, DNSSEC_BOGUS);
	assert_int_equal(a.n_rr, 0);
	dns_answer_clear(&a);

	/* A trusted upstream: AD says secure. */
	r = reply_new("example.com", GETDNS_RRTYPE_A, 0);
	getdns_dict_set_int(r, "/header/ad", 1);
	fill(&a, "example.com", DNS_TYPE_A, r, 1);
	assert_int_equal(a.dnssec, DNSSEC_SECURE);
	dns_answer_clear(&a);

	/* An Extended DNS Error 6 (DNSSEC Bogus) with control bytes in its text. */
	r = reply_new("example.com", GETDNS_RRTYPE_A, 2);
	getdns_dict *opt = getdns_dict_create();
	getdns_dict *o = getdns_dict_create();
	static const uint8_t ede[] = {0, 6, 's', 'i', 'g', '\x1b', '[', '2', 'J', 0xff};
	getdns_dict_set_int(o, "option_code", 15);
	set_bytes(o, "option_data", ede, sizeof ede);
	getdns_list *opts = getdns_list_create();
	getdns_list_set_dict(opts, 0, o);
	getdns_dict_destroy(o);
	getdns_dict_set_list(opt, "options", opts);
	getdns_list_destroy(opts);
	add_rr(r, "additional", 41, opt);
	fill(&a, "example.com", DNS_TYPE_A, r, 1);
	assert_int_equal(a.status, DNS_STATUS_SERVFAIL);
	assert_int_equal(a.dnssec, DNSSEC_BOGUS);
	assert_string_equal(a.why, "EDE 6: sig?[2J?");
	dns_answer_clear(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_mx_txt),
		cmocka_unit_test(test_status),
		cmocka_unit_test(test_dnssec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
