/* test_url_cache.c — the per-URL fetch cache: one fetch per URL however many scans want it, with
 * enough URLs to grow its table several times (a run wants one policy URL per domain); cached
 * answers come from the loop; an expired entry is fetched again; past the byte budget the oldest
 * are forgotten and fetched again when wanted. Fetches go to a closed port on
 * loopback, so each ends at once with a recorded failure. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/http.h"
#include "daemon/url_cache.h"

struct record {
	int started;  /* start() calls */
	int recorded; /* record() calls */
	int failed;   /* fail() calls */
};

static void rec_start(void *result, const char *url, const char *resolve)
{
	(void)url;
	(void)resolve;
	((struct record *)result)->started++;
}

static void rec_record(void *result, const struct http_response *r)
{
	(void)r;
	((struct record *)result)->recorded++;
}

static void rec_fail(void *result, const char *why)
{
	(void)why;
	((struct record *)result)->failed++;
}

static void rec_clear(void *result)
{
	(void)result;
}

static const struct url_cache_ops rec_ops = {
	.size = sizeof(struct record),
	.start = rec_start,
	.record = rec_record,
	.fail = rec_fail,
	.clear = rec_clear,
};

/* As rec_ops, each result counted as REC_BYTES, to fill a byte budget. */
#define REC_BYTES 1000
static size_t rec_footprint(const void *result)
{
	(void)result;
	return REC_BYTES;
}

static const struct url_cache_ops rec_ops_sized = {
	.size = sizeof(struct record),
	.start = rec_start,
	.record = rec_record,
	.fail = rec_fail,
	.clear = rec_clear,
	.footprint = rec_footprint,
};

#define URLS 700

struct answers {
	int n;		       /* callbacks */
	int recorded[URLS];    /* per URL: record() calls seen in its answers */
	int in_want;	       /* set while url_cache_want runs */
	int called_from_want;  /* a callback ran inside url_cache_want */
};

struct answer_arg {
	struct answers *a; /* borrowed */
	int i;		   /* URL index */
};

static void on_answer(const void *result, void *arg)
{
	struct answer_arg *x = arg;
	const struct record *r = result;
	x->a->n++;
	x->a->recorded[x->i] = r->recorded;
	x->a->called_from_want |= x->a->in_want;
	assert_int_equal(r->started, 1);
}

static void url_of(char *out, size_t len, int i)
{
	/* Port 1 on loopback: nothing listens, the connection is refused at once. */
	snprintf(out, len, "http://127.0.0.1:1/policy-%d.txt", i);
}

static void want_all(struct url_cache *uc, struct event_base *base, struct answers *a,
		     struct answer_arg *args)
{
	int before = a->n;
	for (int i = 0; i < URLS; i++) {
		char url[64];
		url_of(url, sizeof url, i);
		args[i] = (struct answer_arg){a, i};
		a->in_want = 1;
		assert_non_null(url_cache_want(uc, url, NULL, on_answer, &args[i]));
		a->in_want = 0;
	}
	while (a->n < before + URLS)
		event_base_loop(base, EVLOOP_ONCE);
}

/* Each test's event loop, HTTP client and options; the test makes its cache, the teardown
 * frees it with the rest. */
struct fixture {
	struct event_base *base;
	struct http *h;
	struct http_options opt;
	struct url_cache *uc;
};

static int fixture_setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof *fx);
	char err[128];
	if (fx == NULL || (fx->base = event_base_new()) == NULL ||
	    (fx->h = http_new(fx->base, err, sizeof err)) == NULL)
		return -1;
	fx->opt = (struct http_options){.timeout_ms = 5000, .max_bytes = 1024};
	*state = fx;
	return 0;
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;
	http_free(fx->h);
	url_cache_free(fx->uc);
	event_base_free(fx->base);
	free(fx);
	return 0;
}

static void test_url_cache_one_fetch_per_url(void **state)
{
	struct fixture *fx = *state;
	struct event_base *base = fx->base;
	struct http *h = fx->h;
	struct url_cache *uc = fx->uc = url_cache_new(base, h, &fx->opt, 3600, 0, &rec_ops);
	static struct answers a;
	static struct answer_arg args[URLS];

	want_all(uc, base, &a, args);
	assert_int_equal(url_cache_fetches(uc), URLS);
	assert_int_equal(url_cache_hits(uc), 0);
	assert_int_equal(http_fetches(h), URLS);
	for (int i = 0; i < URLS; i++)
		assert_int_equal(a.recorded[i], 1);

	/* Every URL again: all answered from the cache, from the loop, without a fetch. */
	memset(a.recorded, 0, sizeof a.recorded);
	want_all(uc, base, &a, args);
	assert_int_equal(url_cache_fetches(uc), URLS);
	assert_int_equal(url_cache_hits(uc), URLS);
	assert_int_equal(http_fetches(h), URLS);
	for (int i = 0; i < URLS; i++)
		assert_int_equal(a.recorded[i], 1);
	assert_false(a.called_from_want);

}

static void test_url_cache_expired_is_fetched_again(void **state)
{
	struct fixture *fx = *state;
	struct event_base *base = fx->base;
	struct http *h = fx->h;
	/* ttl 0: no reuse */
	struct url_cache *uc = fx->uc = url_cache_new(base, h, &fx->opt, 0, 0, &rec_ops);
	static struct answers a;
	static struct answer_arg args[URLS];

	want_all(uc, base, &a, args);
	want_all(uc, base, &a, args);
	assert_int_equal(url_cache_fetches(uc), 2 * URLS);
	assert_int_equal(url_cache_hits(uc), 0);
	assert_int_equal(http_fetches(h), 2 * URLS);

}

static void test_url_cache_byte_budget(void **state)
{
	struct fixture *fx = *state;
	struct event_base *base = fx->base;
	const size_t budget = 100 * REC_BYTES; /* under 100 of the 700 fit */
	struct url_cache *uc = fx->uc =
	    url_cache_new(base, fx->h, &fx->opt, 3600, budget, &rec_ops_sized);
	static struct answers a;
	static struct answer_arg args[URLS];

	want_all(uc, base, &a, args);
	size_t held = url_cache_bytes(uc);
	if (held > budget || held + 2 * REC_BYTES < budget)
		fail_msg("%zu bytes held for a budget of %zu", held, budget);

	/* Every URL again: the ones kept are hits, the others are fetched again. */
	want_all(uc, base, &a, args);
	uint64_t hits = url_cache_hits(uc);
	if (hits == 0 || hits >= 100)
		fail_msg("%llu hits: the budget keeps fewer than 100", (unsigned long long)hits);
	assert_int_equal(url_cache_fetches(uc), 2 * URLS - hits);
	assert_true(url_cache_bytes(uc) <= budget);

}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_url_cache_one_fetch_per_url, fixture_setup,
						fixture_teardown),
		cmocka_unit_test_setup_teardown(test_url_cache_expired_is_fetched_again,
						fixture_setup, fixture_teardown),
		cmocka_unit_test_setup_teardown(test_url_cache_byte_budget, fixture_setup,
						fixture_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
