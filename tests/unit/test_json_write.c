/* test_json_write.c — json_write prints what json_dumps(JSON_COMPACT [| JSON_ENSURE_ASCII])
 * prints, byte for byte: a table of edge cases, then seeded random trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/json_write.h"

/* Both writers on j, in both modes; they must agree, including on refusing it. */
static void same_as_jansson(const char *what, const json_t *j)
{
	for (int ascii = 0; ascii <= 1; ascii++) {
		size_t flags = JSON_COMPACT | (ascii ? JSON_ENSURE_ASCII : 0);
		char *want = json_dumps(j, flags);
		size_t len = 0;
		char *got = json_write(j, ascii, &len);
		if ((want == NULL) != (got == NULL) || (want && strcmp(want, got) != 0))
			fail_msg("%s (ascii %d):\n jansson %s\n ours    %s", what, ascii,
				 want ? want : "(refused)", got ? got : "(refused)");
		if (got)
			assert_int_equal(len, strlen(got));
		free(want);
		free(got);
	}
}

static const char *texts[] = {
	"{}",
	"[]",
	"[[],{},[[]],{\"a\":{}}]",
	"{\"b\":1,\"a\":2,\"c\":{\"z\":null,\"y\":true,\"x\":false}}", /* insertion order */
	"[0,-1,1,9223372036854775807,-9223372036854775808,42]",
	"[0.0,-0.0,1.5,0.1,100.0,33.333333333333336,1e300,1e-300,-2.5e-7,123456789012.5]",
	"[1e20,1e21,1e22,5e-324,1.7976931348623157e308,1e-5,0.0001]",
	"[\"\",\"plain\",\"quote\\\" back\\\\ slash/\",\"\\b\\f\\n\\r\\t\"]",
	"[\"\\u0000\\u0001\\u001f\\u007f\",\"x\\u0000y\"]",
	"[\"caf\\u00e9\",\"\\u20ac\",\"\\ud83d\\ude00 smile\",\"\\uffff\",\"\\u0800\"]",
	"{\"\\u00e9\":\"key not ASCII\",\"a\\u007fb\":\"key with DEL\"}",
	"{\"domain\":\"d0000005.mxb\",\"checks\":{\"mx\":{\"status\":\"pass\",\"pct\":87.5}}}",
};

static void test_texts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
		json_error_t err;
		json_t *j = json_loads(texts[i], JSON_ALLOW_NUL, &err);
		if (j == NULL)
			fail_msg("case %zu does not parse: %s", i, err.text);
		same_as_jansson(texts[i], j);
		json_decref(j);
	}
}

/* Values json_string would refuse, put in without its check: both writers must refuse them. */
static void test_refused(void **state)
{
	(void)state;
	static const char *bad[] = {
		"\xc0\xaf",	    /* overlong '/' */
		"\xed\xa0\x80",	    /* a surrogate half */
		"\xf4\x90\x80\x80", /* beyond U+10FFFF */
		"\xe2\x82",	    /* cut short */
		"\x80",		    /* a lone continuation byte */
		"ok\xff",
	};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *a = json_pack("[o]", json_string_nocheck(bad[i]));
		same_as_jansson("invalid UTF-8", a);
		assert_null(json_write(a, 0, NULL));
		json_decref(a);
	}
	json_t *scalar = json_integer(1);
	assert_null(json_write(scalar, 1, NULL)); /* only objects and arrays, as json_dumps */
	json_decref(scalar);
	/* Too deep: refused rather than recursing without end. */
	json_t *deep = json_array(), *cur = deep;
	for (int i = 0; i < JSON_WRITE_DEPTH_MAX + 5; i++) {
		json_t *next = json_array();
		json_array_append_new(cur, next);
		cur = next;
	}
	assert_null(json_write(deep, 1, NULL));
	json_decref(deep);
}

/* Seeded random trees of every kind of value, compared whole. */
static uint64_t rnd_state = 0x9e3779b97f4a7c15ULL;
static uint32_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return (uint32_t)(rnd_state >> 11);
}

static json_t *random_string(void)
{
	static const char *pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01",
				       "\x7f", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
				       "mx.example", "127.0.0.1"};
	char buf[256] = "";
	size_t n = rnd() % 12;
	for (size_t i = 0; i < n; i++)
		strcat(buf, pieces[rnd() % (sizeof pieces / sizeof *pieces)]);
	return json_string(buf);
}

static json_t *random_value(int depth)
{
	switch (rnd() % (depth > 5 ? 6 : 8)) {
	case 0:
		return json_null();
	case 1:
		return json_boolean(rnd() % 2);
	case 2:
		return json_integer((json_int_t)rnd() - (json_int_t)(rnd() % 3) * 2000000000LL);
	case 3: {
		double d = (double)(int32_t)rnd() / (double)(1 + rnd() % 1000);
		if (rnd() % 4 == 0)
			d *= 1e30;
		if (rnd() % 4 == 0)
			d /= 1e30;
		return json_real(d);
	}
	case 4:
	case 5:
		return random_string();
	case 6: {
		json_t *a = json_array();
		for (size_t i = rnd() % 5; i > 0; i--)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (size_t i = rnd() % 5; i > 0; i--) {
			json_t *k = random_string();
			json_object_set_new(o, json_string_value(k), random_value(depth + 1));
			json_decref(k);
		}
		return o;
	}
	}
}

static void test_random_trees(void **state)
{
	(void)state;
	for (int i = 0; i < 3000; i++) {
		json_t *root = rnd() % 2 ? json_object() : json_array();
		for (size_t k = 1 + rnd() % 6; k > 0; k--) {
			json_t *v = random_value(1);
			if (json_is_object(root))
				json_object_set_new(root, k % 2 ? "k" : "key", v);
			else
				json_array_append_new(root, v);
		}
		char what[32];
		snprintf(what, sizeof what, "random tree %d", i);
		same_as_jansson(what, root);
		json_decref(root);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_texts),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_random_trees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
