/* store_input.h — databases that come from elsewhere (the shards `merge` reads): opened read-only
 * with SQLite's defensive settings, checked whole, and accepted only when every schema object is
 * one this program's migrations create, with the same definition. A shard's own trigger or view
 * (which would run inside the merge), a table defined differently, a corrupt page or a schema
 * version this program does not know is refused with the reason. */
#ifndef MXS_STORE_INPUT_H
#define MXS_STORE_INPUT_H
#include <stddef.h>

#include <sqlite3.h>

/* Apply the settings for reading a database that is not trusted to connection db: defensive
 * mode (no writable_schema, no shadow-table writes), functions in the schema limited to
 * innocuous ones (trusted_schema=OFF), no extension loading; with own_objects_off, triggers and
 * views are disabled too (for a connection that only reads the untrusted database). */
void store_input_harden(sqlite3 *db, int own_objects_off);

/* Check the database at path, opened read-only and hardened. Returns its schema version
 * (1..store_migrations_len) when it passes quick_check and its schema is exactly that of
 * migrations 1..version; else -1 with the reason in err (no path prefix). */
int store_input_check(const char *path, char *err, size_t errlen);

/* Compare the schema `schema` ("main", or an attached name) of db with migrations 1..version.
 * 0 when equal; else -1 with the first difference in err. */
int store_input_schema_equal(sqlite3 *db, const char *schema, int version, char *err,
			     size_t errlen);

/* Copy the database at path into a new database at to (which must not exist), through a
 * read-only hardened connection: an older shard is upgraded in such a copy, never in place.
 * 0, or -1 with the reason in err. */
int store_input_copy(const char *path, const char *to, char *err, size_t errlen);

/* "file:PATH?mode=ro" as an SQLite URI (owned by the caller): how the checked file is attached. */
char *store_input_uri_ro(const char *path);

#endif
