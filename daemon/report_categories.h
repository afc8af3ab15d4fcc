/* report_categories.h — the report's --categories file (CSV "domain,category", one domain a line,
 * an optional header line) loaded into the temporary table temp.report_category(domain,
 * category) of the report's connection, so that figures join it in SQL. */
#ifndef MXS_REPORT_CATEGORIES_H
#define MXS_REPORT_CATEGORIES_H
#include <stddef.h>
#include <stdio.h>

struct sqlite3;

struct report_categories_stats {
	long long lines;   /* lines read, blank ones and the header included */
	long long loaded;  /* domains with a category */
	long long bad;	   /* lines reported as bad (each on warn) and skipped */
};

/* Load path; every bad line is reported on warn as "PATH:LINE: why" and skipped, the rest is
 * used. -1 with err set when the file cannot be read or the table cannot be written. */
int report_categories_load(struct sqlite3 *db, const char *path, FILE *warn,
			   struct report_categories_stats *n, char *err, size_t errlen);

#endif
