/* report_categories.c — loads the --categories CSV into temp.report_category
 * (report_categories.h). Fields may be quoted as in RFC 4180; a line is bad when it does not
 * have exactly two fields, a field is empty, the domain is not a domain name, or the domain
 * already has a category. */
#include "daemon/report_categories.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/dname.h"

#define CAT_FIELD_MAX 256

/* Split one CSV line into at most max fields (copied into f[i], cut at CAT_FIELD_MAX). Returns
 * the number of fields, or -1 on an unterminated quote. */
static int cat_split(const char *line, char f[][CAT_FIELD_MAX], int max)
{
	int n = 0;
	const char *p = line;
	for (;;) {
		char tmp[CAT_FIELD_MAX];
		size_t len = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '"') {
			p++;
			for (;;) {
				if (*p == '\0')
					return -1;
				if (*p == '"' && p[1] == '"')
					p++;
				else if (*p == '"')
					break;
				if (len + 1 < sizeof tmp)
					tmp[len++] = *p;
				p++;
			}
			p++;
			while (*p == ' ' || *p == '\t')
				p++;
		} else {
			while (*p && *p != ',') {
				if (len + 1 < sizeof tmp)
					tmp[len++] = *p;
				p++;
			}
			while (len && (tmp[len - 1] == ' ' || tmp[len - 1] == '\t'))
				len--;
		}
		tmp[len] = '\0';
		if (n < max)
			memcpy(f[n], tmp, len + 1);
		n++;
		if (*p != ',')
			return *p == '\0' ? n : -1;
		p++;
	}
}

int report_categories_load(sqlite3 *db, const char *path, FILE *warn,
			   struct report_categories_stats *n, char *err, size_t errlen)
{
	memset(n, 0, sizeof *n);
	FILE *in = fopen(path, "r");
	if (in == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	sqlite3_stmt *ins = NULL;
	if (sqlite3_exec(db,
			 "CREATE TEMP TABLE IF NOT EXISTS report_category (domain TEXT PRIMARY "
			 "KEY, category TEXT NOT NULL) WITHOUT ROWID; DELETE FROM report_category",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO temp.report_category VALUES (?1, ?2)",
			       -1, &ins, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "categories: %s", sqlite3_errmsg(db));
		fclose(in);
		return -1;
	}
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while ((len = getline(&line, &cap, in)) >= 0) {
		n->lines++;
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		if (strlen(line) != (size_t)len) {
			fprintf(warn, "%s:%lld: a NUL byte in the line: skipped\n", path, n->lines);
			n->bad++;
			continue;
		}
		const char *s = line + strspn(line, " \t");
		if (*s == '\0' || *s == '#')
			continue;
		char f[3][CAT_FIELD_MAX];
		int nf = cat_split(s, f, 3);
		if (n->lines == 1 && nf == 2 && strcasecmp(f[0], "domain") == 0 &&
		    strcasecmp(f[1], "category") == 0)
			continue; /* the header */
		const char *why = NULL;
		char canon[DNAME_MAX], dwhy[200];
		if (nf < 0)
			why = "unterminated quoted field";
		else if (nf != 2)
			why = nf < 2 ? "expected domain,category: only one field"
				     : "expected domain,category: more than two fields";
		else if (f[0][0] == '\0' || f[1][0] == '\0')
			why = f[0][0] == '\0' ? "empty domain" : "empty category";
		else if (dname_normalize(f[0], canon, sizeof canon, dwhy, sizeof dwhy) < 0)
			why = dwhy;
		if (why) {
			fprintf(warn, "%s:%lld: %s: skipped\n", path, n->lines, why);
			n->bad++;
			continue;
		}
		sqlite3_bind_text(ins, 1, canon, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(ins, 2, f[1], -1, SQLITE_TRANSIENT);
		int st = sqlite3_step(ins);
		sqlite3_reset(ins);
		if (st != SQLITE_DONE) {
			snprintf(err, errlen, "categories: %s", sqlite3_errmsg(db));
			rc = -1;
			break;
		}
		if (sqlite3_changes(db) == 0) {
			fprintf(warn, "%s:%lld: %s already has a category: skipped\n", path,
				n->lines, canon);
			n->bad++;
			continue;
		}
		n->loaded++;
	}
	if (rc == 0 && ferror(in)) {
		snprintf(err, errlen, "%s: read error", path);
		rc = -1;
	}
	sqlite3_exec(db, rc == 0 ? "COMMIT" : "ROLLBACK", NULL, NULL, NULL);
	free(line);
	sqlite3_finalize(ins);
	fclose(in);
	return rc;
}
