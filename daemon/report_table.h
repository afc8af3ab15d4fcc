/* report_table.h — a small table of text cells: what one query over the v_* views (or one figure
 * computed from them) gives, written as tables/NAME.csv and drawn as an HTML table or a chart.
 * Tables hold aggregates (a row per protocol, per score, per provider of the top 20...), never a
 * row per domain: their size does not grow with the campaign. */
#ifndef MXS_REPORT_TABLE_H
#define MXS_REPORT_TABLE_H
#include <stddef.h>
#include <stdio.h>

struct sqlite3;

struct report_table {
	char *name;    /* owned: file name stem (tables/NAME.csv) */
	size_t ncols;  /* columns */
	char **cols;   /* owned: column names, each owned */
	size_t nrows;  /* rows */
	size_t cap;    /* rows allocated */
	char **cells;  /* owned: nrows * ncols cells, each owned; NULL for an SQL NULL */
};

/* An empty table with these columns (comma-separated names). */
struct report_table *report_table_new(const char *name, const char *cols);
void report_table_free(struct report_table *t);
/* Append a row of ncols cells (copied; NULL allowed). */
void report_table_add(struct report_table *t, const char *const *cells);
/* Append a row from printf-like pieces: fmt is ncols conversions separated by REPORT_TABLE_SEP
 * (the ASCII unit separator, which no cell holds: error kinds drop control characters). */
#define REPORT_TABLE_SEP '\x1f'
void report_table_addf(struct report_table *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *report_table_get(const struct report_table *t, size_t row, size_t col);
long long report_table_int(const struct report_table *t, size_t row, size_t col);
double report_table_num(const struct report_table *t, size_t row, size_t col);

/* Run sql with parameters bound from a spec: each character of binds is one parameter, 'i' a
 * long long, 'd' a double, 's' a string, taken from the varargs in order. The result set's
 * columns and rows become a new table named name. NULL with the SQLite error in err. */
struct report_table *report_table_query(struct sqlite3 *db, const char *name, char *err,
					size_t errlen, const char *sql, const char *binds, ...);

/* Write DIR/tables/NAME.csv (RFC 4180; cells a spreadsheet would run as a formula are
 * prefixed with '). 0, or -1 with errno set. */
int report_table_write_csv(const struct report_table *t, const char *dir);

/* "12.34" (two decimals) for 100*num/den, or "" when den is 0. */
const char *report_pct(long long num, long long den, char *buf, size_t len);

#endif
