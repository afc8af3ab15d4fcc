/* test_views.c — the v_* views are a contract (schema/VIEWS.md): every view of a freshly migrated
 * store has exactly the columns VIEWS.md documents, every view is documented and every documented
 * view exists, and the migrations that have shipped are unchanged (a view changes only in a new
 * migration: an edited old migration never reaches existing stores). Also: the outcomes of
 * v_protocol_outcome (not measured is never absent) and NULL scores counted as not measured. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "daemon/store.h"

/* Migrations as shipped: FNV-1a 64 of each file. A new migration is added here once merged;
 * an existing one is never edited. */
static const struct {
	const char *file;  /* under schema/ */
	uint64_t fnv;	   /* of its bytes */
} shipped[] = {
	{"001_initial.sql", 0x9ebf3572f19be1e7ull},
	{"002_daemon.sql", 0xdc8bf30ef4e04896ull},
	{"003_verdict_check.sql", 0x60a727f3b1f0ce5eull},
	{"004_queue_invalid_input.sql", 0x4ee75e3f20e15104ull},
	{"005_measured.sql", 0x68839a8c2d469b09ull},
	{"006_views.sql", 0xf8c84a8047fe4654ull},
};

static char *views_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("%s: cannot open (tests run from the repository root)", path);
	char *buf = NULL;
	size_t cap = 0, n = 0, got;
	do {
		cap += 65536;
		buf = realloc(buf, cap + 1);
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got > 0);
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

struct doc_view {
	char name[64];	   /* v_... */
	char cols[1024];   /* "a, b, c" as documented */
	int seen;	   /* found in the store */
};

/* "### v_name (NNN)" followed by a line "`col, col`". */
static size_t views_parse(const char *md, struct doc_view *out, size_t max)
{
	size_t n = 0;
	for (const char *p = strstr(md, "\n### v_"); p && n < max; p = strstr(p + 1, "\n### v_")) {
		const char *name = p + 5, *sp = strchr(name, ' ');
		const char *tick = strchr(name, '`');
		assert_non_null(sp);
		assert_non_null(tick);
		const char *end = strchr(tick + 1, '`');
		assert_non_null(end);
		snprintf(out[n].name, sizeof out[n].name, "%.*s", (int)(sp - name), name);
		snprintf(out[n].cols, sizeof out[n].cols, "%.*s", (int)(end - tick - 1), tick + 1);
		out[n].seen = 0;
		n++;
	}
	return n;
}

static void test_views_match_the_contract(void **state)
{
	(void)state;
	size_t len;
	char *md = views_read("schema/VIEWS.md", &len);
	struct doc_view doc[64];
	size_t nd = views_parse(md, doc, 64);
	free(md);
	assert_true(nd >= 17);
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	assert_non_null(st);
	sqlite3 *db = store_db(st);
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db,
					    "SELECT name FROM sqlite_master WHERE type = 'view' AND "
					    "name LIKE 'v\\_%' ESCAPE '\\' ORDER BY name",
					    -1, &s, NULL),
			 SQLITE_OK);
	size_t views = 0;
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);
		struct doc_view *d = NULL;
		for (size_t i = 0; i < nd; i++)
			if (strcmp(doc[i].name, name) == 0)
				d = &doc[i];
		if (d == NULL)
			fail_msg("view %s is not documented in schema/VIEWS.md", name);
		d->seen = 1;
		char cols[1024] = "", sql[128];
		snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info('%s')", name);
		sqlite3_stmt *c;
		assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &c, NULL), SQLITE_OK);
		while (sqlite3_step(c) == SQLITE_ROW) {
			if (cols[0])
				strcat(cols, ", ");
			strncat(cols, (const char *)sqlite3_column_text(c, 0),
				sizeof cols - strlen(cols) - 1);
		}
		sqlite3_finalize(c);
		if (strcmp(cols, d->cols) != 0)
			fail_msg("view %s has columns\n  %s\nschema/VIEWS.md says\n  %s\n(change a "
				 "view only in a new migration, and document it)",
				 name, cols, d->cols);
		views++;
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < nd; i++)
		if (!doc[i].seen)
			fail_msg("schema/VIEWS.md documents %s, which the store does not have",
				 doc[i].name);
	assert_int_equal(views, nd);
	store_close(st);
}

static void test_shipped_migrations_unchanged(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof shipped / sizeof *shipped; i++) {
		char path[128];
		snprintf(path, sizeof path, "schema/%s", shipped[i].file);
		size_t len;
		char *b = views_read(path, &len);
		uint64_t h = 0xcbf29ce484222325ull;
		for (size_t j = 0; j < len; j++) {
			h ^= (unsigned char)b[j];
			h *= 0x100000001b3ull;
		}
		free(b);
		if (h != shipped[i].fnv)
			fail_msg("%s was edited (FNV-1a %#llx, shipped %#llx): stores already "
				 "migrated past it never see the change; add a new migration",
				 path, (unsigned long long)h, (unsigned long long)shipped[i].fnv);
	}
}

/* Outcomes and not-measured counting over hand-made rows. */
static void test_outcomes(void **state)
{
	(void)state;
	char err[256];
	struct store *st = store_open(NULL, err, sizeof err);
	assert_non_null(st);
	sqlite3 *db = store_db(st);
	const char *rows =
	    "INSERT INTO campaigns (id, name, created_at) VALUES (1, 'c', 0);"
	    "INSERT INTO queue (id, campaign_id, seq, input, domain, state) VALUES"
	    " (1, 1, 0, 'a.example', 'a.example', 'done'), (2, 1, 1, 'b.example', 'b.example', "
	    "'done'), (3, 1, 2, 'bad..', NULL, 'done');"
	    "INSERT INTO results (id, queue_id, campaign_id, domain, state, scanned_at,"
	    " score_confidentiality, score_spoofing, score_integrity, result_json) VALUES"
	    " (1, 1, 1, 'a.example', 'scanned', 0, 8, 0, NULL, '{}'),"
	    " (2, 2, 1, 'b.example', 'scanned', 0, 2, 10, 4, '{}'),"
	    " (3, 3, 1, 'bad..', 'invalid', 0, NULL, NULL, NULL, '{}');"
	    "INSERT INTO verdicts VALUES (1, 'spf', 'dns_error', 'servfail'),"
	    " (2, 'spf', 'fail', 'more than 10 DNS lookups'),"
	    " (1, 'starttls', 'fail', 'STARTTLS not offered'),"
	    " (2, 'starttls', 'fail', 'TLS handshake failed'),"
	    " (1, 'dane', 'not_testable', 'no MX'), (2, 'dane', 'absent', 'no TLSA');"
	    "INSERT INTO mx_results VALUES (1, 'mx.a.example', 10, '192.0.2.1', 4, 'secure',"
	    " '{\"starttls_offered\": false}'),"
	    " (2, 'mx.b.example', 10, '192.0.2.2', 4, 'secure', '{\"starttls_offered\": true}');";
	assert_int_equal(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK);
	static const struct {
		const char *sql; /* one row, one text column */
		const char *want;
	} q[] = {
		{"SELECT group_concat(protocol || ':' || supported || '/' || with_errors || '/' || "
		 "absent || '/' || not_measured, ' ') FROM (SELECT * FROM v_protocol_support WHERE "
		 "campaign_id = 1 ORDER BY protocol)",
		 "dane:0/0/1/1 spf:0/1/0/1 starttls:0/1/1/0"},
		{"SELECT results || ' ' || scanned || ' ' || invalid || ' ' || not_measured || ' ' || "
		 "undetermined FROM v_campaign_results",
		 "3 2 1 1 1"},
		{"SELECT group_concat(category || '=' || COALESCE(score, 'null') || ':' || domains, "
		 "' ') FROM (SELECT * FROM v_score_distribution WHERE category = 'integrity' ORDER "
		 "BY score)",
		 "integrity=null:1 integrity=4:1"},
		{"SELECT reason || ':' || domains FROM v_deployment_errors WHERE protocol = 'spf'",
		 "more than 10 DNS lookups:1"},
	};
	for (size_t i = 0; i < sizeof q / sizeof *q; i++) {
		sqlite3_stmt *s;
		assert_int_equal(sqlite3_prepare_v2(db, q[i].sql, -1, &s, NULL), SQLITE_OK);
		assert_int_equal(sqlite3_step(s), SQLITE_ROW);
		const char *got = (const char *)sqlite3_column_text(s, 0);
		if (got == NULL || strcmp(got, q[i].want) != 0)
			fail_msg("%s\n  got  %s\n  want %s", q[i].sql, got ? got : "NULL", q[i].want);
		sqlite3_finalize(s);
	}
	store_close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_views_match_the_contract),
		cmocka_unit_test(test_shipped_migrations_unchanged),
		cmocka_unit_test(test_outcomes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
