/* report_table.c — tables of text cells for the report (report_table.h): filled from one query
 * over the views or row by row, written as CSV. Owns its cells. */
#include "daemon/report_table.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

struct report_table *report_table_new(const char *name, const char *cols)
{
	struct report_table *t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	const char *p = cols;
	for (;;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		t->cols = xrealloc(t->cols, (t->ncols + 1) * sizeof *t->cols);
		t->cols[t->ncols++] = xstrndup(p, n);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return t;
}

void report_table_free(struct report_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	for (size_t i = 0; i < t->ncols; i++)
		free(t->cols[i]);
	free(t->cells);
	free(t->cols);
	free(t->name);
	free(t);
}

static char **report_table_row(struct report_table *t)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->cells = xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
	}
	return &t->cells[t->nrows++ * t->ncols];
}

void report_table_add(struct report_table *t, const char *const *cells)
{
	char **row = report_table_row(t);
	for (size_t i = 0; i < t->ncols; i++)
		row[i] = cells[i] ? xstrdup(cells[i]) : NULL;
}

void report_table_addf(struct report_table *t, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *all = NULL;
	if (vasprintf(&all, fmt, ap) < 0)
		abort(); /* allocation failure ends the process, as xalloc does */
	va_end(ap);
	char **row = report_table_row(t);
	char *p = all;
	for (size_t i = 0; i < t->ncols; i++) {
		char *bar = p ? strchr(p, REPORT_TABLE_SEP) : NULL;
		if (bar)
			*bar = '\0';
		row[i] = xstrdup(p ? p : "");
		p = bar ? bar + 1 : NULL;
	}
	free(all);
}

const char *report_table_get(const struct report_table *t, size_t row, size_t col)
{
	if (row >= t->nrows || col >= t->ncols)
		return NULL;
	return t->cells[row * t->ncols + col];
}

long long report_table_int(const struct report_table *t, size_t row, size_t col)
{
	const char *s = report_table_get(t, row, col);
	return s ? strtoll(s, NULL, 10) : 0;
}

double report_table_num(const struct report_table *t, size_t row, size_t col)
{
	const char *s = report_table_get(t, row, col);
	return s ? strtod(s, NULL) : 0.0;
}

struct report_table *report_table_query(sqlite3 *db, const char *name, char *err,
					size_t errlen, const char *sql, const char *binds, ...)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", name, sqlite3_errmsg(db));
		return NULL;
	}
	va_list ap;
	va_start(ap, binds);
	for (int i = 0; binds && binds[i]; i++) {
		switch (binds[i]) {
		case 'i': sqlite3_bind_int64(s, i + 1, va_arg(ap, long long)); break;
		case 'd': sqlite3_bind_double(s, i + 1, va_arg(ap, double)); break;
		default: sqlite3_bind_text(s, i + 1, va_arg(ap, const char *), -1, SQLITE_TRANSIENT);
		}
	}
	va_end(ap);
	int n = sqlite3_column_count(s);
	struct report_table *t = xcalloc(1, sizeof *t);
	t->name = xstrdup(name);
	t->ncols = (size_t)n;
	t->cols = xcalloc((size_t)n + 1, sizeof *t->cols);
	for (int i = 0; i < n; i++)
		t->cols[i] = xstrdup(sqlite3_column_name(s, i));
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		char **row = report_table_row(t);
		for (int i = 0; i < n; i++) {
			const unsigned char *v = sqlite3_column_text(s, i);
			row[i] = v ? xstrdup((const char *)v) : NULL;
		}
	}
	if (rc != SQLITE_DONE) {
		snprintf(err, errlen, "%s: %s", name, sqlite3_errmsg(db));
		report_table_free(t);
		t = NULL;
	}
	sqlite3_finalize(s);
	return t;
}

static void report_csv_cell(FILE *f, const char *s, int last)
{
	if (s == NULL)
		s = "";
	int defuse = s[0] != '\0' && strchr("=+-@\t\r", s[0]) != NULL &&
		     !(s[0] == '-' && s[1] >= '0' && s[1] <= '9'); /* negative numbers stay */
	int quote = defuse || strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		fputc('"', f);
	if (defuse)
		fputc('\'', f);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', f);
		fputc(*p, f);
	}
	if (quote)
		fputc('"', f);
	fputs(last ? "\r\n" : ",", f);
}

int report_table_write_csv(const struct report_table *t, const char *dir)
{
	char *path = xasprintf("%s/tables/%s.csv", dir, t->name);
	FILE *f = fopen(path, "w");
	free(path);
	if (f == NULL)
		return -1;
	for (size_t c = 0; c < t->ncols; c++)
		report_csv_cell(f, t->cols[c], c + 1 == t->ncols);
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++)
			report_csv_cell(f, t->cells[r * t->ncols + c], c + 1 == t->ncols);
	int bad = ferror(f);
	if (fclose(f) != 0 || bad) {
		if (errno == 0)
			errno = EIO;
		return -1;
	}
	return 0;
}

const char *report_pct(long long num, long long den, char *buf, size_t len)
{
	if (den <= 0)
		snprintf(buf, len, "%s", "");
	else
		snprintf(buf, len, "%.2f", 100.0 * (double)num / (double)den);
	return buf;
}
