/* test_evidence_json.c — evidence survives the trip through JSON (binary TXT, TLSA, statuses),
 * text from peers that is not UTF-8 is written as jansson would have it (left out, null or hex),
 * and malformed stored evidence is refused with a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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
		/* Hex is two digits a byte, nothing else (sscanf's %2x took " a", "+a", "0x"). */
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [{\"name\": \"x\", \"type\": 16, "
		"\"status\": \"ok\", \"dnssec\": \"secure\", \"rr\": [{\"data\": \" a\"}]}]}",
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [{\"name\": \"x\", \"type\": 16, "
		"\"status\": \"ok\", \"dnssec\": \"secure\", \"rr\": [{\"data\": \"+a\"}]}]}",
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

/* Stored evidence is hostile input: the same (name, type) twice is refused, whatever the case of
 * the name or a trailing dot, not merged into one answer (whose why/canonical leaked). */
static void test_evidence_duplicate_answer(void **state)
{
	(void)state;
#define DUP_ANSWER(n)                                                                            \
	"{\"name\": \"" n "\", \"type\": 16, \"status\": \"ok\", \"dnssec\": \"secure\", "           \
	"\"why\": \"w\", \"canonical\": \"c.example\", \"rr\": [{\"data\": \"763d31\"}]}"
	static const char *const docs[] = {
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [" DUP_ANSWER("a.example") ", "
		DUP_ANSWER("a.example") "]}",
		"{\"version\": 1, \"domain\": \"a.example\", \"dns\": [" DUP_ANSWER("a.example") ", "
		"{\"name\": \"a.example\", \"type\": 1, \"status\": \"ok\", \"dnssec\": \"secure\"}, "
		DUP_ANSWER("A.Example.") "]}",
	};
	static const char *const why[] = {
		"malformed DNS answer #1 in evidence: same name and type 16 as answer #0",
		"malformed DNS answer #2 in evidence: same name and type 16 as answer #0",
	};
#undef DUP_ANSWER
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		json_error_t jerr;
		json_t *j = json_loads(docs[i], 0, &jerr);
		if (j == NULL)
			fail_msg("case %zu: %s", i, jerr.text);
		char err[160] = "";
		struct evidence *ev = evidence_from_json(j, err, sizeof err);
		if (ev) {
			const struct dns_answer *a = evidence_dns_find(ev, "a.example", 16);
			fail_msg("case %zu accepted, %zu records merged into one answer", i,
				 a ? a->n_rr : 0);
		}
		assert_string_equal(err, why[i]);
		json_decref(j);
	}
}

/* Text from peers that is not UTF-8 cannot be a JSON string: each place has its stand-in, the one
 * jansson's tree gave (the store's documents did not change when the tree went). */
enum peer_field { F_WHY, F_CANONICAL, F_RR_TEXT, F_QNAME, F_BANNER, F_BODY, F_HTTP_ERROR };

struct peer_case {
	enum peer_field field;
	const char *value;
	size_t len;	      /* bytes of value (for F_BODY, which may hold NUL) */
	int ascii;	      /* written with ENSURE_ASCII */
	const char *expect;   /* substring of the text */
	const char *unexpect; /* must not be in the text (NULL: no such check) */
};

#define V(s) s, sizeof s - 1
static const struct peer_case peer_cases[] = {
	{F_WHY, V("EDE 22: no reach"), 0, "\"why\":\"EDE 22: no reach\"", NULL},
	{F_WHY, V("bad \xff byte"), 0, "\"dnssec\":\"insecure\",\"rr\":[]}", "\"why\""},
	{F_CANONICAL, V("\xed\xa0\x80.example"), 0, "\"rr\":[]}", "\"canonical\""},
	{F_RR_TEXT, V("mx\xc0\xaf.example"), 0, "{\"type\":15,\"ttl\":60}", "\"text\""},
	{F_RR_TEXT, V("caf\xc3\xa9"), 0, "\"text\":\"caf\xc3\xa9\"", NULL},
	{F_RR_TEXT, V("caf\xc3\xa9"), 1, "\"text\":\"caf\\u00E9\"", NULL},
	{F_QNAME, V("x\xff.example.org"), 0, "\"dns\":[]", NULL},
	{F_BANNER, V("220 \xe2\x82 hi"), 0, "\"banner\":null", NULL},
	{F_BANNER, V("220 \"q\"\r\n\x01"), 0, "\"banner\":\"220 \\\"q\\\"\\r\\n\\u0001\"", NULL},
	{F_BANNER, V("220 \xf0\x9f\x98\x80"), 1, "\"banner\":\"220 \\uD83D\\uDE00\"", NULL},
	{F_BODY, V("version: STSv1\n"), 0, "\"body\":\"version: STSv1\\n\",\"truncated\":false",
	 "body_hex"},
	{F_BODY, V("v\0x"), 0, "\"body_hex\":\"760078\"", "\"body\""},
	{F_BODY, V("\xc3("), 0, "\"body_hex\":\"c328\"", "\"body\""},
	{F_HTTP_ERROR, V("\x80"), 0, "\"error\":null", NULL},
};

static struct evidence *peer_evidence(const struct peer_case *c)
{
	struct evidence *ev = evidence_new("example.org");
	struct dns_answer *a = evidence_dns_slot(
		ev, c->field == F_QNAME ? c->value : "example.org", DNS_TYPE_MX);
	a->status = DNS_STATUS_OK;
	a->dnssec = DNSSEC_INSECURE;
	if (c->field == F_WHY)
		a->why = strdup(c->value);
	if (c->field == F_CANONICAL)
		a->canonical = strdup(c->value);
	if (c->field == F_RR_TEXT)
		dns_answer_add(a, DNS_TYPE_MX, c->value, NULL, 0)->ttl = 60;
	struct smtp_probe *p = evidence_smtp_add(ev);
	p->host = strdup("mx.example.org"); /* names from the wire are escaped ASCII */
	p->address = strdup("192.0.2.25");
	if (c->field == F_BANNER)
		p->banner = strdup(c->value);
	struct https_fetch *f = evidence_https_add(ev);
	f->url = strdup("https://mta-sts.example.org/.well-known/mta-sts.txt");
	if (c->field == F_HTTP_ERROR)
		f->error = strdup(c->value);
	if (c->field == F_BODY) {
		f->body = malloc(c->len + 1);
		memcpy(f->body, c->value, c->len);
		f->body[c->len] = '\0';
		f->len = c->len;
	}
	return ev;
}

static void test_evidence_peer_text(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof peer_cases / sizeof *peer_cases; i++) {
		const struct peer_case *c = &peer_cases[i];
		struct evidence *ev = peer_evidence(c);
		size_t len = 0;
		char *text = evidence_json_text(ev, c->ascii, &len);
		assert_non_null(text);
		assert_int_equal(len, strlen(text));
		if (strstr(text, c->expect) == NULL ||
		    (c->unexpect && strstr(text, c->unexpect) != NULL))
			fail_msg("case %zu: %s", i, text);
		/* What is written reads back; from then on it writes the same (a stand-in null
		 * reads back as no value, which is then left out). */
		char *again = text, *prev = NULL;
		for (int trip = 0; trip < 2; trip++) {
			json_error_t jerr;
			json_t *j = json_loads(again, 0, &jerr);
			if (j == NULL)
				fail_msg("case %zu: not JSON (%s): %s", i, jerr.text, again);
			char err[128];
			struct evidence *back = evidence_from_json(j, err, sizeof err);
			if (back == NULL)
				fail_msg("case %zu: not evidence (%s)", i, err);
			free(prev);
			prev = again;
			again = evidence_json_text(back, c->ascii, NULL);
			evidence_free(back);
			json_decref(j);
		}
		assert_string_equal(again, prev);
		free(again);
		free(prev);
		evidence_free(ev);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_evidence_round_trip),
		cmocka_unit_test(test_evidence_malformed),
		cmocka_unit_test(test_evidence_duplicate_answer),
		cmocka_unit_test(test_evidence_peer_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
