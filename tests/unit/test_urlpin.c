/* test_urlpin.c — the host of an http(s) URL (names, address literals, ports, malformed URLs) and
 * the CURLOPT_RESOLVE pin built from recorded answers (waiting, pinned, nothing to pin, cut). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "checks/urlpin.h"
#include "testpki.h"

static const struct host_case {
	const char *url;
	enum url_host_kind want;
	const char *host;
	unsigned port;
} host_cases[] = {
	{"http://crl.example.test/a.crl", URL_HOST_NAME, "crl.example.test", 80},
	{"HTTPS://Sts.Example.Test/.well-known/mta-sts.txt", URL_HOST_NAME, "Sts.Example.Test", 443},
	{"http://ocsp.example.test:8080/", URL_HOST_NAME, "ocsp.example.test", 8080},
	{"http://ocsp.example.test:8080", URL_HOST_NAME, "ocsp.example.test", 8080},
	{"http://ocsp.example.test?x=1", URL_HOST_NAME, "ocsp.example.test", 80},
	{"http://192.0.2.1/x.crl", URL_HOST_IP, "192.0.2.1", 80},
	{"http://[2001:db8::1]:81/x.crl", URL_HOST_IP, "2001:db8::1", 81},
	{"http://[2001:db8::1]/x.crl", URL_HOST_IP, "2001:db8::1", 80},
	{"http://[not-an-address]/x", URL_HOST_NONE, NULL, 0},
	{"http://[2001:db8::1/x", URL_HOST_NONE, NULL, 0},
	{"http://crl.example.test:99999/x.crl", URL_HOST_NONE, NULL, 0},
	{"http://crl.example.test:0/x.crl", URL_HOST_NONE, NULL, 0},
	{"http://crl.example.test:80x/x.crl", URL_HOST_NONE, NULL, 0},
	{"http://user@crl.example.test/x.crl", URL_HOST_NONE, NULL, 0},
	{"http:///x.crl", URL_HOST_NONE, NULL, 0},
	{"ldap://ldap.example.test/cn=x", URL_HOST_NONE, NULL, 0},
	{"crl.example.test/x.crl", URL_HOST_NONE, NULL, 0},
	{"", URL_HOST_NONE, NULL, 0},
};

static void test_url_host(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof host_cases / sizeof *host_cases; i++) {
		const struct host_case *c = &host_cases[i];
		char host[256] = "";
		unsigned port = 0;
		enum url_host_kind k = url_host(c->url, host, sizeof host, &port);
		if (k != c->want)
			fail_msg("%s: kind %d, want %d", c->url, k, c->want);
		if (c->host) {
			assert_string_equal(host, c->host);
			assert_int_equal(port, c->port);
		}
	}
	char small[8];
	unsigned port;
	assert_int_equal(url_host("http://a-long-host.example/", small, sizeof small, &port),
			 URL_HOST_NONE);
}

static void test_url_pin(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.test");
	char out[200];
	const char *url = "http://crl.test/x.crl";
	assert_int_equal(url_pin(ev, url, out, sizeof out), -1); /* answers not in yet */
	const char *a[] = {"192.0.2.80", "192.0.2.81", NULL}, *a6[] = {"2001:db8::80", NULL};
	tp_answer(ev, "crl.test", DNS_TYPE_A, DNS_STATUS_OK, DNSSEC_INSECURE, a);
	assert_int_equal(url_pin(ev, url, out, sizeof out), -1); /* AAAA still missing */
	tp_answer(ev, "crl.test", DNS_TYPE_AAAA, DNS_STATUS_OK, DNSSEC_INSECURE, a6);
	assert_int_equal(url_pin(ev, url, out, sizeof out), 1);
	assert_string_equal(out, "crl.test:80:192.0.2.80,192.0.2.81,[2001:db8::80]");
	assert_int_equal(url_pin(ev, "https://crl.test:8443/x.crl", out, sizeof out), 1);
	assert_string_equal(out, "crl.test:8443:192.0.2.80,192.0.2.81,[2001:db8::80]");
	assert_int_equal(url_pin(ev, "http://192.0.2.1/x.crl", out, sizeof out), 0);
	assert_int_equal(url_pin(ev, "http://[2001:db8::1]/x.crl", out, sizeof out), 0);
	assert_int_equal(url_pin(ev, "http://crl.test:99999/x.crl", out, sizeof out), 0);
	assert_int_equal(url_pin(ev, url, out, 20), 0); /* no address fits */
	assert_int_equal(url_pin(ev, url, out, 32), 1); /* the first fits, the rest is cut */
	assert_string_equal(out, "crl.test:80:192.0.2.80");
	tp_answer(ev, "none.test", DNS_TYPE_A, DNS_STATUS_NXDOMAIN, DNSSEC_INSECURE, NULL);
	tp_answer(ev, "none.test", DNS_TYPE_AAAA, DNS_STATUS_NXDOMAIN, DNSSEC_INSECURE, NULL);
	assert_int_equal(url_pin(ev, "http://none.test/", out, sizeof out), 0);
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_host),
		cmocka_unit_test(test_url_pin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
