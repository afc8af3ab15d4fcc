/* store_input.c — reading databases that come from elsewhere: read-only hardened connections, the
 * schema compared with one built from this program's migrations in memory, quick_check, and the
 * copy an older shard is upgraded in. Owns only the connections it opens, closed before return. */
#include "daemon/store_input.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

extern const char *const store_migrations[];
extern const size_t store_migrations_len;

void store_input_harden(sqlite3 *db, int own_objects_off)
{
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	if (own_objects_off) {
		sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
		sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	}
}

/* Names from a hostile schema go into messages: printable ASCII only, bounded. */
static const char *store_input_show(const char *s, char *buf, size_t len)
{
	size_t o = 0;
	for (; s && *s && o + 4 < len; s++)
		buf[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
	if (s && *s)
		buf[o++] = '.', buf[o++] = '.', buf[o++] = '.';
	buf[o] = '\0';
	return buf;
}

/* The reason an SQLite call on an untrusted file failed, in words a user can act on. */
static void store_input_why(sqlite3 *db, const char *what, char *err, size_t errlen)
{
	int code = sqlite3_errcode(db) & 0xff;
	if (code == SQLITE_NOTADB)
		snprintf(err, errlen, "not a database (%s)", sqlite3_errmsg(db));
	else if (code == SQLITE_CORRUPT)
		snprintf(err, errlen, "corrupt database (%s)", sqlite3_errmsg(db));
	else
		snprintf(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
}

static sqlite3 *store_input_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	/* Through the URI: read-only whatever the open flags, and a path is always a path (SQLite
	 * may be built to take any "file:..." name as a URI). */
	char *uri = store_input_uri_ro(path);
	int rc = sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI,
				 NULL);
	free(uri);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "cannot open: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	store_input_harden(db, 1);
	return db;
}

/* One row of sqlite_schema. */
struct store_input_obj {
	char *type, *name, *tbl, *sql; /* owned; sql NULL for automatic indexes */
};

struct store_input_objs {
	size_t n, cap;
	struct store_input_obj *v; /* owned */
};

static void store_input_objs_clear(struct store_input_objs *o)
{
	for (size_t i = 0; i < o->n; i++) {
		free(o->v[i].type);
		free(o->v[i].name);
		free(o->v[i].tbl);
		free(o->v[i].sql);
	}
	free(o->v);
	memset(o, 0, sizeof *o);
}

static char *store_input_col(sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);
	return t ? xstrdup((const char *)t) : NULL;
}

/* Definitions compared with runs of white space as one space. */
static char *store_input_norm(const char *sql)
{
	if (sql == NULL)
		return NULL;
	char *out = xmalloc(strlen(sql) + 1), *o = out;
	int space = 0;
	for (const char *p = sql; *p; p++) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			space = 1;
			continue;
		}
		if (space && o != out)
			*o++ = ' ';
		space = 0;
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

static int store_input_objs_read(sqlite3 *db, const char *schema, struct store_input_objs *o,
				 char *err, size_t errlen)
{
	char sql[200];
	snprintf(sql, sizeof sql,
		 "SELECT type, name, tbl_name, sql FROM \"%s\".sqlite_master ORDER BY type, name",
		 schema);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		store_input_why(db, "reading the schema", err, errlen);
		return -1;
	}
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		xgrow((void **)&o->v, &o->cap, o->n + 1, sizeof *o->v);
		struct store_input_obj *ob = &o->v[o->n++];
		ob->type = store_input_col(s, 0);
		ob->name = store_input_col(s, 1);
		ob->tbl = store_input_col(s, 2);
		char *raw = store_input_col(s, 3);
		ob->sql = store_input_norm(raw);
		free(raw);
		if (ob->type == NULL || ob->name == NULL) {
			sqlite3_finalize(s);
			snprintf(err, errlen, "corrupt database (a schema row without type or name)");
			return -1;
		}
	}
	if (rc != SQLITE_DONE) {
		store_input_why(db, "reading the schema", err, errlen);
		sqlite3_finalize(s);
		return -1;
	}
	sqlite3_finalize(s);
	return 0;
}

/* The schema migrations 1..version create, read from a database built in memory. */
static int store_input_reference(int version, struct store_input_objs *o, char *err,
				 size_t errlen)
{
	sqlite3 *db;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) !=
	    SQLITE_OK) {
		snprintf(err, errlen, "building the reference schema: %s", sqlite3_errmsg(db));
		sqlite3_close(db);
		return -1;
	}
	int rc = 0;
	for (int i = 0; rc == 0 && i < version; i++) {
		char *msg = NULL;
		if (sqlite3_exec(db, store_migrations[i], NULL, NULL, &msg) != SQLITE_OK) {
			snprintf(err, errlen, "building the reference schema: migration %d: %s",
				 i + 1, msg ? msg : "?");
			rc = -1;
		}
		sqlite3_free(msg);
	}
	if (rc == 0)
		rc = store_input_objs_read(db, "main", o, err, errlen);
	sqlite3_close(db);
	return rc;
}

static int store_input_objcmp(const struct store_input_obj *a, const struct store_input_obj *b)
{
	int c = strcmp(a->type, b->type);
	return c ? c : strcmp(a->name, b->name);
}

static int store_input_streq(const char *a, const char *b)
{
	return (a == NULL && b == NULL) || (a && b && strcmp(a, b) == 0);
}

int store_input_schema_equal(sqlite3 *db, const char *schema, int version, char *err,
			     size_t errlen)
{
	struct store_input_objs have = {0}, want = {0};
	int rc = -1;
	if (store_input_reference(version, &want, err, errlen) < 0 ||
	    store_input_objs_read(db, schema, &have, err, errlen) < 0)
		goto out;
	char name[80];
	size_t i = 0, j = 0;
	/* Both lists are in (type, name) order: walk them side by side. */
	while (i < have.n || j < want.n) {
		int c = i == have.n ? 1 : j == want.n ? -1 : store_input_objcmp(&have.v[i], &want.v[j]);
		if (c < 0) {
			snprintf(err, errlen, "%s '%s' is not part of mxsurvey's schema %d",
				 store_input_show(have.v[i].type, name, 20),
				 store_input_show(have.v[i].name, name + 20, 60), version);
			goto out;
		}
		if (c > 0) {
			snprintf(err, errlen, "%s '%s' of mxsurvey's schema %d is missing",
				 want.v[j].type, want.v[j].name, version);
			goto out;
		}
		if (!store_input_streq(have.v[i].tbl, want.v[j].tbl) ||
		    !store_input_streq(have.v[i].sql, want.v[j].sql)) {
			snprintf(err, errlen, "%s '%s' is not defined as in mxsurvey's schema %d",
				 want.v[j].type, want.v[j].name, version);
			goto out;
		}
		i++, j++;
	}
	rc = 0;
out:
	store_input_objs_clear(&have);
	store_input_objs_clear(&want);
	return rc;
}

static int store_input_version(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK) {
		store_input_why(db, "reading the schema version", err, errlen);
		return -1;
	}
	if (sqlite3_step(s) != SQLITE_ROW) {
		store_input_why(db, "reading the schema version", err, errlen);
		sqlite3_finalize(s);
		return -1;
	}
	int v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (v <= 0) {
		snprintf(err, errlen, "not an mxsurvey database (schema version %d)", v);
		return -1;
	}
	if ((size_t)v > store_migrations_len) {
		snprintf(err, errlen, "schema %d is newer than this mxsurvey's (%zu)", v,
			 store_migrations_len);
		return -1;
	}
	return v;
}

static int store_input_quick_check(sqlite3 *db, char *err, size_t errlen)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &s, NULL) != SQLITE_OK) {
		store_input_why(db, "checking", err, errlen);
		return -1;
	}
	int rc = sqlite3_step(s), ok = -1;
	if (rc == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		char show[120];
		if (t && strcmp(t, "ok") == 0)
			ok = 0;
		else
			snprintf(err, errlen, "corrupt database (quick_check: %s)",
				 store_input_show(t ? t : "?", show, sizeof show));
	} else {
		store_input_why(db, "checking", err, errlen);
	}
	sqlite3_finalize(s);
	return ok;
}

int store_input_check(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = store_input_open(path, err, errlen);
	if (db == NULL)
		return -1;
	int v = store_input_version(db, err, errlen);
	if (v > 0 && (store_input_schema_equal(db, "main", v, err, errlen) < 0 ||
		      store_input_quick_check(db, err, errlen) < 0))
		v = -1;
	sqlite3_close(db);
	return v;
}

int store_input_copy(const char *path, const char *to, char *err, size_t errlen)
{
	sqlite3 *src = store_input_open(path, err, errlen), *dst = NULL;
	if (src == NULL)
		return -1;
	int rc = -1;
	if (sqlite3_open_v2(to, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", to, sqlite3_errmsg(dst));
		goto out;
	}
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	if (b == NULL) {
		snprintf(err, errlen, "copying to %s: %s", to, sqlite3_errmsg(dst));
		goto out;
	}
	int step = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE) {
		snprintf(err, errlen, "copying to %s: %s", to, sqlite3_errstr(step));
		goto out;
	}
	rc = 0;
out:
	sqlite3_close(dst);
	sqlite3_close(src);
	return rc;
}

char *store_input_uri_ro(const char *path)
{
	/* "file://" + an absolute path (empty authority) or "file:" + a relative one; every byte
	 * that is not unreserved or '/' percent-encoded, so '?', '#' and '%' stay in the name. */
	size_t n = strlen(path);
	char *uri = xmalloc(3 * n + 32), *o = uri;
	o += sprintf(o, path[0] == '/' ? "file://" : "file:");
	for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("-._~/", *p))
			*o++ = (char)*p;
		else
			o += sprintf(o, "%%%02X", *p);
	}
	strcpy(o, "?mode=ro");
	return uri;
}
