/* test_retry.c — which failures are transient (a later scan may get past them) and which are
 * permanent, per DNS answer, SMTP probe and HTTPS fetch, and the whole evidence's decision:
 * retry only when there is a failure and every failure is transient. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/retry.h"

static void test_dns_kind(void **state)
{
	(void)state;
	static const struct {
		enum dns_status status;	   /* the lookup's outcome */
		enum dnssec_status dnssec; /* its validation */
		enum retry_kind want;	   /* what it is */
	} cases[] = {
		{DNS_STATUS_OK, DNSSEC_SECURE, RETRY_NONE},
		{DNS_STATUS_NODATA, DNSSEC_INSECURE, RETRY_NONE},
		{DNS_STATUS_NXDOMAIN, DNSSEC_SECURE, RETRY_NONE},
		{DNS_STATUS_NOT_QUERIED, DNSSEC_INDETERMINATE, RETRY_NONE},
		{DNS_STATUS_TIMEOUT, DNSSEC_INDETERMINATE, RETRY_TRANSIENT},
		{DNS_STATUS_SERVFAIL, DNSSEC_INDETERMINATE, RETRY_TRANSIENT},
		{DNS_STATUS_SERVFAIL, DNSSEC_BOGUS, RETRY_PERMANENT}, /* the zone is broken */
		{DNS_STATUS_REFUSED, DNSSEC_INDETERMINATE, RETRY_PERMANENT},
		{DNS_STATUS_ERROR, DNSSEC_INDETERMINATE, RETRY_PERMANENT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct dns_answer a = {.status = cases[i].status, .dnssec = cases[i].dnssec};
		if (retry_dns_kind(&a) != cases[i].want)
			fail_msg("%s/%s: %d, want %d", dns_status_name(cases[i].status),
				 dnssec_status_name(cases[i].dnssec), retry_dns_kind(&a), cases[i].want);
	}
}

static void test_smtp_kind(void **state)
{
	(void)state;
	static const struct {
		const char *what;	/* the case */
		enum smtp_stage stage;	/* where it ended */
		enum smtp_error error;	/* why */
		int code;		/* the reply code of that stage */
		enum retry_kind want;	/* what it is */
	} cases[] = {
		{"a finished session", SMTP_STAGE_DONE, SMTP_ERR_NONE, 0, RETRY_NONE},
		{"connect timeout", SMTP_STAGE_CONNECT, SMTP_ERR_TIMEOUT, 0, RETRY_TRANSIENT},
		{"reply timeout", SMTP_STAGE_EHLO, SMTP_ERR_TIMEOUT, 0, RETRY_TRANSIENT},
		{"refused", SMTP_STAGE_CONNECT, SMTP_ERR_REFUSED, 0, RETRY_TRANSIENT},
		{"reset", SMTP_STAGE_BANNER, SMTP_ERR_CLOSED, 0, RETRY_TRANSIENT},
		{"421 banner", SMTP_STAGE_BANNER, SMTP_ERR_REPLY, 421, RETRY_TRANSIENT},
		{"rate-limited after retries", SMTP_STAGE_BANNER, SMTP_ERR_RATE_LIMITED, 421,
		 RETRY_TRANSIENT},
		{"454 to STARTTLS", SMTP_STAGE_STARTTLS, SMTP_ERR_REPLY, 454, RETRY_TRANSIENT},
		{"cut by the scan's deadline", SMTP_STAGE_NONE, SMTP_ERR_DEADLINE, 0, RETRY_TRANSIENT},
		{"554 banner", SMTP_STAGE_BANNER, SMTP_ERR_REPLY, 554, RETRY_PERMANENT},
		{"502 to EHLO", SMTP_STAGE_EHLO, SMTP_ERR_REPLY, 502, RETRY_PERMANENT},
		{"garbage", SMTP_STAGE_BANNER, SMTP_ERR_PROTOCOL, 0, RETRY_PERMANENT},
		{"network unreachable", SMTP_STAGE_CONNECT, SMTP_ERR_UNREACHABLE, 0, RETRY_PERMANENT},
		{"TLS handshake failed", SMTP_STAGE_TLS, SMTP_ERR_TLS, 0, RETRY_PERMANENT},
		{"excluded", SMTP_STAGE_NONE, SMTP_ERR_EXCLUDED, 0, RETRY_PERMANENT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct smtp_probe p;
		smtp_probe_init(&p);
		p.stage = cases[i].stage;
		p.error = cases[i].error;
		p.banner_code = p.ehlo_code = p.starttls_code = cases[i].code;
		if (retry_smtp_kind(&p) != cases[i].want)
			fail_msg("%s: %d, want %d", cases[i].what, retry_smtp_kind(&p), cases[i].want);
		smtp_probe_clear(&p);
	}
}

static void test_https_kind(void **state)
{
	(void)state;
	struct https_fetch f = {.ok = 1, .status = 200};
	assert_int_equal(retry_https_kind(&f), RETRY_NONE);
	f = (struct https_fetch){.ok = 0, .tls_failure = 1};
	assert_int_equal(retry_https_kind(&f), RETRY_NONE); /* an answer the check judges */
	f = (struct https_fetch){.ok = 0, .timed_out = 1};
	assert_int_equal(retry_https_kind(&f), RETRY_TRANSIENT);
	f = (struct https_fetch){.ok = 0, .timed_out = 1, .excluded = 1};
	assert_int_equal(retry_https_kind(&f), RETRY_NONE);
}

/* The evidence as a whole: DNS answers (status, bogus) and SMTP probes (error, code). */
struct wanted_case {
	const char *what;		 /* the case */
	enum dns_status dns[3];		 /* answers (NOT_QUERIED ends the list) */
	int bogus;			 /* the first answer is DNSSEC-bogus */
	enum smtp_error smtp[2];	 /* probes (NONE with code 0 ends the list) */
	int code[2];			 /* their banner codes */
	int https_timeout;		 /* an MTA-STS fetch that timed out */
	int want;			 /* retry_wanted() */
	const char *why_has;		 /* in the reason, when wanted */
};

static const struct wanted_case wanted_cases[] = {
	{"everything answered", {DNS_STATUS_OK, DNS_STATUS_NXDOMAIN}, 0, {SMTP_ERR_NONE}, {0}, 0, 0,
	 NULL},
	{"the resolver timed out", {DNS_STATUS_TIMEOUT, DNS_STATUS_TIMEOUT}, 0, {0}, {0}, 0, 1,
	 "TXT: timeout"},
	{"a SERVFAIL", {DNS_STATUS_OK, DNS_STATUS_SERVFAIL}, 0, {0}, {0}, 0, 1, "servfail"},
	{"a bogus zone is not retried", {DNS_STATUS_SERVFAIL, DNS_STATUS_SERVFAIL}, 1, {0}, {0}, 0,
	 0, NULL},
	{"an SMTP 421", {DNS_STATUS_OK}, 0, {SMTP_ERR_REPLY}, {421}, 0, 1, "SMTP mx.example.org"},
	{"one MX times out, one answers", {DNS_STATUS_OK}, 0, {SMTP_ERR_TIMEOUT, SMTP_ERR_NONE},
	 {0, 220}, 0, 1, "SMTP"},
	{"a timeout beside a permanent 554 is not retried", {DNS_STATUS_OK}, 0,
	 {SMTP_ERR_TIMEOUT, SMTP_ERR_REPLY}, {0, 554}, 0, 0, NULL},
	{"a timeout beside REFUSED is not retried", {DNS_STATUS_TIMEOUT, DNS_STATUS_REFUSED}, 0,
	 {0}, {0}, 0, 0, NULL},
	{"an MTA-STS fetch that timed out", {DNS_STATUS_OK}, 0, {0}, {0}, 1, 1, "mta-sts"},
};

static void test_wanted(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof wanted_cases / sizeof wanted_cases[0]; i++) {
		const struct wanted_case *wc = &wanted_cases[i];
		struct evidence *ev = evidence_new("example.org");
		static const char *const names[] = {"example.org", "_dmarc.example.org", "x.example"};
		for (size_t k = 0; k < 3 && wc->dns[k] != DNS_STATUS_NOT_QUERIED; k++) {
			struct dns_answer *a = evidence_dns_slot(ev, names[k], DNS_TYPE_TXT);
			a->status = wc->dns[k];
			a->dnssec = k == 0 && wc->bogus ? DNSSEC_BOGUS : DNSSEC_INDETERMINATE;
		}
		for (size_t k = 0; k < 2 && (wc->smtp[k] != SMTP_ERR_NONE || wc->code[k]); k++) {
			struct smtp_probe *p = evidence_smtp_add(ev);
			p->host = strdup("mx.example.org");
			p->address = strdup(k ? "192.0.2.2" : "192.0.2.1");
			p->banner_code = wc->code[k];
			p->stage = wc->smtp[k] == SMTP_ERR_NONE ? SMTP_STAGE_DONE : SMTP_STAGE_BANNER;
			p->error = wc->smtp[k];
		}
		if (wc->https_timeout) {
			struct https_fetch *f = evidence_https_add(ev);
			f->url = strdup("https://mta-sts.example.org/.well-known/mta-sts.txt");
			f->timed_out = 1;
		}
		char why[200];
		int got = retry_wanted(ev, why, sizeof why);
		if (got != wc->want)
			fail_msg("%s: retry_wanted %d, want %d (%s)", wc->what, got, wc->want, why);
		if (wc->why_has && strstr(why, wc->why_has) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", wc->what, why, wc->why_has);
		evidence_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns_kind),
		cmocka_unit_test(test_smtp_kind),
		cmocka_unit_test(test_https_kind),
		cmocka_unit_test(test_wanted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
