/* test_evidence_json.c — evidence survives the trip through JSON (binary TXT, TLSA, statuses),
 * and malformed stored evidence is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "checks/evidence_json.h"

static void test_evidence_round_trip(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.org");
	ev->started_ms = 1700000000123LL;
	ev->deadline_hit = 1;
	struct dns_answer *a = evidence_dns_slot(ev, "example.org", DNS_TYPE_TXT);
	a->status = DNS_STATUS_OK;
	a->rcode = 0;
	a->dnssec = DNSSEC_SECURE;
	static const unsigned char bin[] = {'v', '=', 0, 0xff, '\n', '"'};
	dns_answer_add(a, DNS_TYPE_TXT, NULL, bin, sizeof bin)->ttl = 300;
	a = evidence_dns_slot(ev, "_25._tcp.mx.example.org", DNS_TYPE_TLSA);
	a->status = DNS_STATUS_OK;
	a->dnssec = DNSSEC_BOGUS;
	a->why = strdup("EDE 6: DNSSEC Bogus");
	struct dns_rdata *rd = dns_answer_add(a, DNS_TYPE_TLSA, NULL, "\x01\x02\x03", 3);
	rd->usage = 3, rd->selector = 1, rd->mtype = 1;
	a = evidence_dns_slot(ev, "example.org", DNS_TYPE_MX);
	a->status = DNS_STATUS_TIMEOUT;
	a->canonical = strdup("alias.example.net");

	json_t *j = evidence_to_json(ev);
	char err[128];
	struct evidence *back = evidence_from_json(j, err, sizeof err);
	assert_non_null(back);
	json_t *j2 = evidence_to_json(back);
	assert_true(json_equal(j, j2));
	const struct dns_answer *t = evidence_dns_find(back, "EXAMPLE.org.", DNS_TYPE_TXT);
	assert_non_null(t);
	assert_int_equal(t->rr[0].len, sizeof bin);
	assert_memory_equal(t->rr[0].data, bin, sizeof bin);
	assert_int_equal(t->dnssec, DNSSEC_SECURE);
	const struct dns_answer *tl =
		evidence_dns_find(back, "_25._tcp.mx.example.org", DNS_TYPE_TLSA);
	assert_int_equal(tl->rr[0].usage, 3);
	assert_int_equal(tl->rr[0].mtype, 1);
	assert_string_equal(tl->why, "EDE 6: DNSSEC Bogus");
	assert_int_equal(back->deadline_hit, 1);
	assert_int_equal(evidence_dns_find(back, "example.org", DNS_TYPE_MX)->status,
			 DNS_STATUS_TIMEOUT);
	json_decref(j);
	json_decref(j2);
	evidence_free(back);
	evidence_free(ev);
}

static void test_evidence_malformed(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"[]",
		"{\"version\": 99, \"domain\": \"a.example\"}",
		"{\"version\": 1}",
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [{\"name\": \"x\"}]}",
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [{\"name\": \"x\", \"type\": 16, "
		"\"status\": \"weird\", \"dnssec\": \"secure\"}]}",
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [{\"name\": \"x\", \"type\": 16, "
		"\"status\": \"ok\", \"dnssec\": \"secure\", \"rr\": [{\"data\": \"zz1\"}]}]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *j = json_loads(bad[i], 0, NULL);
		assert_non_null(j);
		char err[128] = "";
		struct evidence *ev = evidence_from_json(j, err, sizeof err);
		if (ev)
			fail_msg("accepted: %s", bad[i]);
		assert_true(err[0] != '\0');
		json_decref(j);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_round_trip),
		cmocka_unit_test(test_evidence_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
