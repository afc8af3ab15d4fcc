/* test_exact_size.c — every parser that takes (bytes, length) reads only those bytes. Each input,
 * and every prefix of it, is placed so that its last byte is the last byte of a page followed by
 * an inaccessible page: one byte read past the end (a "%.20s" of an unterminated record, a
 * strchr, a strtol) ends the test with SIGSEGV, with or without a sanitizer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "checks/dkim.h"
#include "checks/dmarc.h"
#include "checks/mta_sts.h"
#include "checks/smtp_reply.h"
#include "checks/spf.h"
#include "checks/spf_macro.h"
#include "checks/tlsrpt.h"
#include "checks/txtrec.h"
#include "common/json_write.h"

/* Two pages, the second PROT_NONE; guard_put() copies n bytes to end exactly at the boundary. */
struct guard {
	unsigned char *base; /* owned: the mapping */
	size_t page;	     /* page size */
};

static void guard_init(struct guard *g)
{
	g->page = (size_t)sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, 2 * g->page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		       0);
	assert_true(p != MAP_FAILED);
	g->base = p;
	assert_int_equal(mprotect(g->base + g->page, g->page, PROT_NONE), 0);
}

static void guard_free(struct guard *g)
{
	munmap(g->base, 2 * g->page);
}

static const char *guard_put(struct guard *g, const char *s, size_t n)
{
	assert_true(n <= g->page);
	unsigned char *p = g->base + g->page - n;
	memcpy(p, s, n);
	return (const char *)p;
}

/* One parser, run on p[0..n). Results do not matter here, only what is read. */
typedef void run_fn(const char *p, size_t n);

static void run_txtrec(const char *p, size_t n)
{
	struct txtrec_iter it;
	struct txtrec_field f;
	char err[200];
	if (txtrec_begin(&it, p, n, TLSRPT_VERSION, err, sizeof err) == 0)
		while (txtrec_next(&it, &f, err, sizeof err) > 0)
			;
	if (txtrec_begin(&it, p, n, "v=STSv1", err, sizeof err) == 0)
		while (txtrec_next(&it, &f, err, sizeof err) > 0)
			;
	(void)txtrec_ext_name_ok(p, n);
	(void)txtrec_ext_value_ok(p, n);
	(void)txtrec_eq(p, n, "rua");
	if (n)
		(void)txtrec_utf8_len((const unsigned char *)p, n);
	json_decref(txtrec_json_bytes(p, n));
}

static void run_tlsrpt(const char *p, size_t n)
{
	struct tlsrpt_record rec;
	char err[200];
	(void)tlsrpt_record_parse(p, n, &rec, err, sizeof err);
	tlsrpt_record_clear(&rec);
	(void)tlsrpt_uri_check(p, n, err, sizeof err);
}

static void run_mta_sts(const char *p, size_t n)
{
	struct mta_sts_record rec;
	struct mta_sts_policy pol;
	char err[200];
	(void)mta_sts_record_parse(p, n, &rec, err, sizeof err);
	(void)mta_sts_policy_parse(p, n, &pol, err, sizeof err);
	mta_sts_policy_clear(&pol);
}

static void run_dmarc(const char *p, size_t n)
{
	struct dmarc_record rec;
	char err[200];
	(void)dmarc_parse(p, n, &rec, err, sizeof err);
	dmarc_record_clear(&rec);
	(void)dmarc_txt_is_record((const unsigned char *)p, n);
	(void)dmarc_txt_is_candidate((const unsigned char *)p, n);
}

static void run_dkim(const char *p, size_t n)
{
	struct dkim_key key;
	char err[200];
	(void)dkim_key_parse(p, n, &key, err, sizeof err);
}

static void run_spf(const char *p, size_t n)
{
	char err[200], out[DNAME_MAX];
	(void)spf_is_record(p, n);
	(void)spf_record_syntax(p, n, err, sizeof err);
	(void)spf_macro_check(p, n, SPF_MACRO_EXPLAIN, NULL, err, sizeof err);
	(void)spf_macro_check_domain(p, n, 0, NULL, err, sizeof err);
	(void)spf_macro_toplabel_ok(p, n);
	const struct spf_macro_vars v = {
		.s = "user@example.org", .l = "user", .o = "example.org", .d = "example.org",
		.i = "192.0.2.1", .p = "unknown", .v = "in-addr", .h = "mx.example.org",
		.c = "192.0.2.1", .r = "checker.example", .t = "1700000000",
	};
	char text[300];
	(void)spf_macro_expand(p, n, SPF_MACRO_EXPLAIN, &v, text, sizeof text);
	(void)spf_macro_expand_domain(p, n, &v, out);
}

static void run_smtp_reply(const char *p, size_t n)
{
	struct smtp_reply r;
	smtp_reply_init(&r);
	size_t used = 0, off = 0;
	while (smtp_reply_parse(&r, p + off, n - off, &used) == SMTP_REPLY_MORE && used > 0)
		off += used;
	smtp_reply_clear(&r);
}

static void run_json_write(const char *p, size_t n)
{
	(void)json_utf8_valid(p, n);
	struct json_out o;
	json_out_init(&o, 1);
	json_out_open(&o, '[');
	(void)json_out_str(&o, p, n);
	json_out_hex(&o, (const unsigned char *)p, n);
	json_out_close(&o, ']');
	free(json_out_finish(&o, NULL));
}

struct exact_case {
	const char *name;
	run_fn *run;
	const char *input; /* each of its prefixes is tried too */
};

static const struct exact_case cases[] = {
	/* The text after a missing ';' and after a URI not followed by ',' is quoted in the error. */
	{"txtrec", run_txtrec, "v=TLSRPTv1; rua=mailto:a@example.org x"},
	{"txtrec", run_txtrec, "v=STSv1; id=20240101 x"},
	{"txtrec", run_txtrec, "v=STSv1;id=1;;ext.name-1=v\t;"},
	{"txtrec", run_txtrec, "caf\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82"},
	{"tlsrpt", run_tlsrpt, "v=TLSRPTv1; rua=mailto:a@example.org x"},
	{"tlsrpt", run_tlsrpt, "v=TLSRPTv1;rua=mailto:a@example.org, https://r.example:443/p y"},
	{"tlsrpt", run_tlsrpt, "v=TLSRPTv1; RUA=mailto:a@example.org; e=1"},
	{"tlsrpt", run_tlsrpt, "https://[2001:db8::1]:8443/x%2C?q#f"},
	{"tlsrpt", run_tlsrpt, "mailto:a@[192.0.2.1]?subject=x"},
	{"mta_sts", run_mta_sts, "v=STSv1; id=2024; x=y z"},
	{"mta_sts", run_mta_sts, "v=STSv1; ID=2024"},
	{"mta_sts", run_mta_sts,
	 "version: STSv1\r\nmode: enforce\nmx: *.example.org\r\nmax_age: 86400\r\n\r\nMode: x\n"},
	{"dmarc", run_dmarc,
	 "v=DMARC1; p=reject; sp=none; rua=mailto:a@example.org!10m,mailto:b@example.net; "
	 "ruf=mailto:f@example.org; fo=0:1:d:s; rf=afrf; pct=50; ri=86400; adkim=s; aspf=r"},
	{"dmarc", run_dmarc, "v = dmarc1 ; p=quarantine; rua=mailto:x@y!"},
	{"dkim", run_dkim,
	 "v=DKIM1; k=rsa; h=sha1:sha256; s=email:*; t=y:s; n=note; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQ"},
	{"dkim", run_dkim, "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="},
	{"dkim", run_dkim, "v=DKIM2; k=foo; p"},
	{"spf", run_spf,
	 "v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a:%{d}.x mx/24 ptr include:_spf.%{o} "
	 "exists:%{ir}.%{v}._spf.%{d2} redirect=%{d} exp=explain.%{d} -all"},
	{"spf", run_spf, "%{s} %{l1r+-} %% %_ %- %{c}.%{r}.%{t}.example.org."},
	{"smtp_reply", run_smtp_reply,
	 "250-mx.example.org Hello\r\n250-SIZE 10240000\r\n250-STARTTLS\r\n250 8BITMIME\r\n"},
	{"smtp_reply", run_smtp_reply, "220 ready\n"},
	{"json_write", run_json_write, "caf\xc3\xa9 \"q\" \x01 \xed\xa0\x80 \xf4\x90\x80\x80"},
};

static void test_exact_size_prefixes(void **state)
{
	(void)state;
	struct guard g;
	guard_init(&g);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct exact_case *c = &cases[i];
		size_t len = strlen(c->input);
		for (size_t n = 0; n <= len; n++)
			c->run(guard_put(&g, c->input, n), n);
	}
	guard_free(&g);
}

/* The errors that quote the rest of a record are still whole when the record ends short of the
 * 20 bytes they may quote. */
static void test_exact_size_messages(void **state)
{
	(void)state;
	struct guard g;
	guard_init(&g);
	char err[200];
	static const char rec[] = "v=TLSRPTv1; rua=mailto:a@example.org x";
	struct tlsrpt_record r;
	assert_int_equal(tlsrpt_record_parse(guard_put(&g, rec, sizeof rec - 1), sizeof rec - 1, &r,
					     err, sizeof err),
			 -1);
	tlsrpt_record_clear(&r);
	assert_string_equal(err, "rua=: URIs must be separated by ',' (found \"x\")");

	static const char sts[] = "v=STSv1 x";
	struct txtrec_iter it;
	struct txtrec_field f;
	assert_int_equal(txtrec_begin(&it, guard_put(&g, sts, sizeof sts - 1), sizeof sts - 1,
				      "v=STSv1", err, sizeof err),
			 0);
	assert_int_equal(txtrec_next(&it, &f, err, sizeof err), -1);
	assert_string_equal(err, "expected ';' at offset 8, found \"x\"");
	guard_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_size_prefixes),
		cmocka_unit_test(test_exact_size_messages),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
