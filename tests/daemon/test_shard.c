/* test_shard.c — the --shard i/N partition: parsing the spec, the FNV-1a-64 hash against the
 * published test vectors, that every key lands in exactly one shard, and that the shards are
 * balanced on a realistic list of names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "daemon/shard.h"

struct parse_case {
	const char *spec;   /* input */
	int ok;		    /* 1: accepted */
	uint32_t index;	    /* when accepted */
	uint32_t count;	    /* when accepted */
	const char *reason; /* when refused: a substring of the message */
};

static const struct parse_case parse_cases[] = {
	{"0/1", 1, 0, 1, NULL},
	{"0/4", 1, 0, 4, NULL},
	{"3/4", 1, 3, 4, NULL},
	{"999999/1000000", 1, 999999, 1000000, NULL},
	{"4/4", 0, 0, 0, "numbered 0..3"},
	{"0/0", 0, 0, 0, "N must be"},
	{"0/1000001", 0, 0, 0, "N must be"},
	{"1", 0, 0, 0, "wants i/N"},
	{"", 0, 0, 0, "wants i/N"},
	{"/4", 0, 0, 0, "wants i/N"},
	{"1/", 0, 0, 0, "wants i/N"},
	{"-1/4", 0, 0, 0, "wants i/N"},
	{"+1/4", 0, 0, 0, "wants i/N"},
	{" 1/4", 0, 0, 0, "wants i/N"},
	{"1/4 ", 0, 0, 0, "wants i/N"},
	{"1/ 4", 0, 0, 0, "wants i/N"},
	{"1/4/2", 0, 0, 0, "wants i/N"},
	{"a/4", 0, 0, 0, "wants i/N"},
	{"99999999999999999999/4", 0, 0, 0, "wants i/N"},
	{NULL, 0, 0, 0, "wants i/N"},
};

static void test_parse(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof parse_cases / sizeof *parse_cases; i++) {
		const struct parse_case *c = &parse_cases[i];
		struct shard s = {77, 77};
		char err[128] = "";
		int rc = shard_parse(c->spec, &s, err, sizeof err);
		if (c->ok) {
			if (rc != 0)
				fail_msg("'%s' refused: %s", c->spec, err);
			assert_int_equal(s.index, c->index);
			assert_int_equal(s.count, c->count);
		} else {
			if (rc != -1)
				fail_msg("'%s' accepted", c->spec ? c->spec : "(null)");
			if (strstr(err, c->reason) == NULL)
				fail_msg("'%s': message '%s' lacks '%s'", c->spec, err, c->reason);
			assert_int_equal(s.index, 77); /* untouched on error */
		}
	}
}

struct hash_case {
	const char *key; /* input */
	uint64_t hash;	 /* FNV-1a 64 */
	uint32_t of4;	 /* shard among 4 */
};

/* "", "a", "foobar": the FNV reference vectors; the rest computed independently (Python). */
static const struct hash_case hash_cases[] = {
	{"", 0xcbf29ce484222325ULL, 1},
	{"a", 0xaf63dc4c8601ec8cULL, 0},
	{"foobar", 0x85944171f73967e8ULL, 0},
	{"example.org", 0xee7160631269bf51ULL, 1},
	{"b\xc3\xbc" "cher.example", 0x5263ab40646afb2aULL, 2},
};

static void test_hash(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof hash_cases / sizeof *hash_cases; i++) {
		const struct hash_case *c = &hash_cases[i];
		if (shard_hash(c->key) != c->hash)
			fail_msg("hash('%s') = %016llx, want %016llx", c->key,
				 (unsigned long long)shard_hash(c->key),
				 (unsigned long long)c->hash);
		assert_int_equal(shard_of(c->key, 4), c->of4);
		assert_int_equal(shard_of(c->key, 0), 0);
		assert_int_equal(shard_of(c->key, 1), 0);
		struct shard none = {0, 0};
		assert_true(shard_mine(&none, c->key));
	}
}

/* Each of 20000 names belongs to exactly one of N shards, and no shard is far from 1/N. */
static void test_partition(void **state)
{
	(void)state;
	static const uint32_t counts[] = {2, 3, 4, 7, 16};
	enum { NAMES = 20000 };
	for (size_t k = 0; k < sizeof counts / sizeof *counts; k++) {
		uint32_t n = counts[k];
		unsigned per[16] = {0};
		for (int i = 0; i < NAMES; i++) {
			char name[64];
			snprintf(name, sizeof name, "%s%d.%s", i % 3 ? "mail" : "d", i,
				 i % 2 ? "example.org" : "example");
			unsigned owners = 0;
			for (uint32_t s = 0; s < n; s++) {
				struct shard sh = {s, n};
				if (shard_mine(&sh, name)) {
					owners++;
					per[s]++;
				}
			}
			if (owners != 1)
				fail_msg("'%s' owned by %u of %u shards", name, owners, n);
		}
		double want = (double)NAMES / n;
		for (uint32_t s = 0; s < n; s++)
			if (per[s] < want * 0.9 || per[s] > want * 1.1)
				fail_msg("%u shards: shard %u has %u names, expected about %.0f", n,
					 s, per[s], want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_partition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
