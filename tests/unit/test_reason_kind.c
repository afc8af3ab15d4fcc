/* test_reason_kind.c — verdict reasons folded into error kinds: the same error at two hosts is
 * one kind; what tells errors apart (SMTP codes, enhanced codes, TLS versions, the words) stays;
 * truncation and empty reasons are safe. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/reason_kind.h"

struct kind_case {
	const char *in;	  /* a verdict reason */
	const char *kind; /* its kind */
};

static const struct kind_case cases[] = {
	{"1 of 1 certificates: mx.x509-expired.mxs [127.0.2.4]: certificate expired",
	 "certificate expired"},
	{"3 of 4 certificates: mail.example.org [2001:db8::25]: certificate expired",
	 "certificate expired"},
	{"1 of 1 certificates: mx.a.mxs [127.0.2.6]: untrusted chain: self-signed certificate",
	 "untrusted chain: self-signed certificate"},
	{"1 of 1 certificates: mail.mx-cname.mxs [127.0.2.1]: certificate not valid for "
	 "mail.mx-cname.mxs",
	 "certificate not valid for <name>"},
	{"1 of 2 tested addresses: mx2.smtp-mixed.mxs [127.0.3.1]: STARTTLS not offered",
	 "STARTTLS not offered"},
	{"1 of 1 tested addresses: mx.a.mxs [127.0.3.4]: STARTTLS refused with 454",
	 "STARTTLS refused with 454"},
	{"1 of 1 tested addresses: mx.a.mxs [127.0.3.15]: only TLSv1 negotiated",
	 "only TLSv1 negotiated"},
	{"1 of 1 tested addresses: mx.a.mxs [127.0.3.16]: STARTTLS injection: 45 bytes of "
	 "plaintext after the 220",
	 "STARTTLS injection: N bytes of plaintext after the 220"},
	{"more than 2 void lookups (the last: v3.spf-void.mxs)",
	 "more than N void lookups (the last: <name>)"},
	{"more than 10 DNS lookups", "more than N DNS lookups"},
	{"2 SPF records at spf-two.mxs", "N SPF records at <name>"}, /* no ": ": no prefix */
	{"record of spf-syntax.mxs: syntax error at 'ip4:127.0.2.0/33': invalid CIDR length",
	 "record of <name>: syntax error at '...': invalid CIDR length"},
	{"1 of 1 certificates: mx.r.mxs [127.0.2.9]: certificate revoked (listed in CRL "
	 "http://crl.pki.mxs/intermediate.crl)",
	 "certificate revoked (listed in CRL <url>)"},
	{"greeting 421: 4.3.2 mx.a.mxs Service not available",
	 "greeting 421: 4.3.2 <name> Service not available"},
	{"not an SMTP reply line: \"garbage ?( not smtp\"", "not an SMTP reply line: \"...\""},
	{"1 addresses do not match: mx.d.mxs [127.0.2.1]: no matching DANE TLSA records",
	 "no matching DANE TLSA records"},
	{"greeting 554:\x1f\tno\rservice", "greeting 554:  no service"},
	{"", "(no reason)"},
	{NULL, "(no reason)"},
};

static void test_kinds(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char out[256];
		const char *got = reason_kind(cases[i].in, out, sizeof out);
		if (strcmp(got, cases[i].kind) != 0)
			fail_msg("reason_kind(\"%s\") = \"%s\", want \"%s\"",
				 cases[i].in ? cases[i].in : "(null)", got, cases[i].kind);
	}
}

static void test_same_kind_for_different_hosts(void **state)
{
	(void)state;
	char a[128], b[128];
	reason_kind("1 of 1 certificates: mx.one.example [192.0.2.1]: certificate not valid for "
		    "mx.one.example", a, sizeof a);
	reason_kind("2 of 2 certificates: smtp.two.example.net [198.51.100.7]: certificate not "
		    "valid for smtp.two.example.net", b, sizeof b);
	assert_string_equal(a, b);
}

static void test_truncation(void **state)
{
	(void)state;
	char out[8];
	memset(out, 'x', sizeof out);
	reason_kind("certificate expired", out, sizeof out);
	assert_string_equal(out, "certifi");
	char one[1];
	reason_kind("anything", one, sizeof one);
	assert_int_equal(one[0], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_same_kind_for_different_hosts),
		cmocka_unit_test(test_truncation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
