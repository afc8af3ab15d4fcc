/* test_dns_cache.c — the scanner's DNS answer cache: what is kept (RRsets for their smallest TTL,
 * capped; NODATA/NXDOMAIN for the negative cap; never failures), names compared case-insensitively,
 * expiry, replacement, and LRU eviction at the count and byte bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "common/xalloc.h"
#include "daemon/dns_cache.h"

static struct dns_answer *answer(const char *name, uint16_t type, enum dns_status st,
				 const uint32_t *ttls, size_t n)
{
	struct dns_answer *a = xcalloc(1, sizeof *a);
	a->qname = xstrdup(name);
	a->qtype = type;
	a->status = st;
	a->dnssec = DNSSEC_SECURE;
	for (size_t i = 0; i < n; i++)
		dns_answer_add(a, type, "192.0.2.1", NULL, 0)->ttl = ttls[i];
	return a;
}

static void answer_free(struct dns_answer *a)
{
	dns_answer_clear(a);
	free(a);
}

struct keep_case {
	const char *what;
	enum dns_status status;
	uint32_t ttls[3];
	size_t n_rr;
	int64_t kept_ms; /* expected lifetime; 0: not cached */
};

static const struct keep_case keep_cases[] = {
	{"RRset: its smallest TTL", DNS_STATUS_OK, {120, 60, 90}, 3, 60000},
	{"RRset: capped", DNS_STATUS_OK, {86400}, 1, 300000},
	{"RRset with TTL 0", DNS_STATUS_OK, {0}, 1, 0},
	{"empty OK answer", DNS_STATUS_OK, {0}, 0, 0},
	{"NODATA", DNS_STATUS_NODATA, {0}, 0, 30000},
	{"NXDOMAIN", DNS_STATUS_NXDOMAIN, {0}, 0, 30000},
	{"SERVFAIL", DNS_STATUS_SERVFAIL, {0}, 0, 0},
	{"timeout", DNS_STATUS_TIMEOUT, {0}, 0, 0},
	{"error", DNS_STATUS_ERROR, {0}, 0, 0},
};

static void test_what_is_kept(void **state)
{
	(void)state;
	struct dns_cache_limits lim = {.max_entries = 100, .max_ttl_s = 300, .negative_ttl_s = 30};
	for (size_t i = 0; i < sizeof keep_cases / sizeof *keep_cases; i++) {
		const struct keep_case *k = &keep_cases[i];
		struct dns_cache *c = dns_cache_new(&lim);
		struct dns_answer *a = answer("mx.example.test", DNS_TYPE_A, k->status, k->ttls,
					      k->n_rr);
		dns_cache_put(c, a, 1000);
		const struct dns_answer *got = dns_cache_get(c, "mx.example.test", DNS_TYPE_A, 1000);
		if ((got != NULL) != (k->kept_ms > 0))
			fail_msg("%s: cached %d", k->what, got != NULL);
		if (k->kept_ms) {
			assert_int_equal(got->status, k->status);
			assert_int_equal(got->n_rr, k->n_rr);
			assert_int_equal(got->dnssec, DNSSEC_SECURE);
			assert_non_null(dns_cache_get(c, "mx.example.test", DNS_TYPE_A,
						      1000 + k->kept_ms - 1));
			assert_null(dns_cache_get(c, "mx.example.test", DNS_TYPE_A,
						  1000 + k->kept_ms));
		}
		answer_free(a);
		dns_cache_free(c);
	}
}

static void test_keys(void **state)
{
	(void)state;
	struct dns_cache_limits lim = {.max_entries = 100, .max_ttl_s = 300, .negative_ttl_s = 30};
	struct dns_cache *c = dns_cache_new(&lim);
	uint32_t ttl = 60;
	struct dns_answer *a = answer("MX.Example.Test.", DNS_TYPE_A, DNS_STATUS_OK, &ttl, 1);
	dns_cache_put(c, a, 0);
	assert_non_null(dns_cache_get(c, "mx.example.test", DNS_TYPE_A, 1));
	assert_non_null(dns_cache_get(c, "MX.EXAMPLE.TEST.", DNS_TYPE_A, 1));
	assert_null(dns_cache_get(c, "mx.example.test", DNS_TYPE_AAAA, 1));
	assert_null(dns_cache_get(c, "mx2.example.test", DNS_TYPE_A, 1));
	/* A newer answer replaces the older one. */
	uint32_t ttls[2] = {60, 60};
	struct dns_answer *b = answer("mx.example.test", DNS_TYPE_A, DNS_STATUS_OK, ttls, 2);
	dns_cache_put(c, b, 10);
	assert_int_equal(dns_cache_get(c, "mx.example.test", DNS_TYPE_A, 11)->n_rr, 2);
	struct dns_cache_stats st;
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 1);
	assert_int_equal(st.hits, 3);
	assert_int_equal(st.misses, 2);
	answer_free(a);
	answer_free(b);
	dns_cache_free(c);
}

static void test_lru_bound(void **state)
{
	(void)state;
	struct dns_cache_limits lim = {.max_entries = 3, .max_ttl_s = 300, .negative_ttl_s = 30};
	struct dns_cache *c = dns_cache_new(&lim);
	uint32_t ttl = 300;
	const char *names[] = {"a.test", "b.test", "c.test", "d.test"};
	struct dns_answer *as[4];
	for (int i = 0; i < 4; i++)
		as[i] = answer(names[i], DNS_TYPE_A, DNS_STATUS_OK, &ttl, 1);
	for (int i = 0; i < 3; i++)
		dns_cache_put(c, as[i], 0);
	assert_non_null(dns_cache_get(c, "a.test", DNS_TYPE_A, 1)); /* a is now the most recent */
	dns_cache_put(c, as[3], 2);				     /* b, the least recent, goes */
	assert_null(dns_cache_get(c, "b.test", DNS_TYPE_A, 3));
	assert_non_null(dns_cache_get(c, "a.test", DNS_TYPE_A, 3));
	assert_non_null(dns_cache_get(c, "c.test", DNS_TYPE_A, 3));
	assert_non_null(dns_cache_get(c, "d.test", DNS_TYPE_A, 3));
	struct dns_cache_stats st;
	dns_cache_stats(c, &st);
	assert_int_equal(st.entries, 3);
	for (int i = 0; i < 4; i++)
		answer_free(as[i]);
	dns_cache_free(c);
}

/* A TXT answer of n bytes (the size a peer chooses). */
static struct dns_answer *txt_answer(const char *name, size_t n)
{
	struct dns_answer *a = answer(name, DNS_TYPE_TXT, DNS_STATUS_OK, NULL, 0);
	unsigned char *data = xcalloc(1, n);
	dns_answer_add(a, DNS_TYPE_TXT, NULL, data, n)->ttl = 300;
	free(data);
	return a;
}

struct byte_case {
	const char *what;
	size_t max_bytes;
	size_t sizes[4]; /* TXT answers put in this order, names t0..t3 */
	int kept[4];	 /* which are kept after the last put */
};

static const struct byte_case byte_cases[] = {
	{"room for all", 1 << 20, {1000, 1000, 1000, 1000}, {1, 1, 1, 1}},
	{"the oldest go to make room", 10000, {4000, 4000, 4000, 1000}, {0, 1, 1, 1}},
	{"one big answer pushes out two", 10000, {3000, 3000, 3000, 6000}, {0, 0, 1, 1}},
	{"one over the whole budget is not kept", 10000, {1000, 1000, 20000, 1000}, {1, 1, 0, 1}},
};

static void test_byte_bound(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof byte_cases / sizeof *byte_cases; i++) {
		const struct byte_case *k = &byte_cases[i];
		struct dns_cache_limits lim = {.max_entries = 100, .max_bytes = k->max_bytes,
					       .max_ttl_s = 300, .negative_ttl_s = 30};
		struct dns_cache *c = dns_cache_new(&lim);
		char name[4][24]; /* room for any int: -O1 cannot bound n */
		for (int n = 0; n < 4; n++) {
			snprintf(name[n], sizeof name[n], "t%d.test", n);
			struct dns_answer *a = txt_answer(name[n], k->sizes[n]);
			dns_cache_put(c, a, 0);
			answer_free(a);
		}
		size_t payload = 0;
		for (int n = 0; n < 4; n++) {
			const struct dns_answer *got = dns_cache_get(c, name[n], DNS_TYPE_TXT, 1);
			if ((got != NULL) != k->kept[n])
				fail_msg("%s: %s kept %d", k->what, name[n], got != NULL);
			if (got)
				payload += got->rr[0].len;
		}
		struct dns_cache_stats st;
		dns_cache_stats(c, &st);
		if (st.bytes > k->max_bytes || st.bytes < payload)
			fail_msg("%s: %zu bytes counted for %zu of payload (cap %zu)", k->what,
				 st.bytes, payload, k->max_bytes);
		dns_cache_free(c);
	}
}

static void test_disabled(void **state)
{
	(void)state;
	struct dns_cache_limits lim = {.max_entries = 100, .max_ttl_s = 0, .negative_ttl_s = 30};
	struct dns_cache *c = dns_cache_new(&lim);
	uint32_t ttl = 60;
	struct dns_answer *a = answer("a.test", DNS_TYPE_A, DNS_STATUS_OK, &ttl, 1);
	struct dns_answer *n = answer("n.test", DNS_TYPE_A, DNS_STATUS_NXDOMAIN, NULL, 0);
	dns_cache_put(c, a, 0);
	dns_cache_put(c, n, 0);
	assert_null(dns_cache_get(c, "a.test", DNS_TYPE_A, 0));
	assert_null(dns_cache_get(c, "n.test", DNS_TYPE_A, 0));
	answer_free(a);
	answer_free(n);
	dns_cache_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_what_is_kept),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_lru_bound),
		cmocka_unit_test(test_byte_bound),
		cmocka_unit_test(test_disabled),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
