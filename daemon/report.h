/* report.h — `mxsurvey report`'s content: the survey of a campaign (and its trends over earlier
 * ones) computed by SQL over the documented v_* views, written as index.html, figures/NAME.svg
 * and .pdf (gnuplot) and tables/NAME.csv. Memory does not grow with the campaign: every figure is
 * an aggregate computed by SQLite; the report holds tables of a few dozen rows. */
#ifndef MXS_REPORT_H
#define MXS_REPORT_H
#include <stddef.h>
#include <stdint.h>

struct sqlite3;

struct report_campaign {
	int64_t id;		   /* campaigns row */
	char *name;		   /* owned */
	char *state;		   /* owned: active, paused, cancelled, done */
	int64_t started_at;	   /* ms since the epoch, 0 when unknown */
	int64_t finished_at;	   /* ms, 0 while not finished */
	char *config;		   /* owned: configuration snapshot (JSON), may be NULL */
	long long submitted;	   /* queue rows (v_campaign_progress) */
	long long pending, running; /* not scanned yet */
	long long results;	   /* results rows (v_campaign_results) */
	long long scanned, invalid, failed; /* results per state */
	long long not_measured;	   /* scanned, a category score withheld */
	long long undetermined;	   /* scanned, a verdict dns_error or not_testable */
};

/* Read campaign name's figures from v_campaign_progress and v_campaign_results. 1 found, 0 no
 * such campaign, -1 error (err). Free with report_campaign_clear. */
int report_campaign_load(struct sqlite3 *db, const char *name, struct report_campaign *c,
			 char *err, size_t errlen);
void report_campaign_clear(struct report_campaign *c);

struct report_options {
	const char *dir;	 /* borrowed: output directory (exists, with figures/ and tables/) */
	double threshold;	 /* stars for "protected" (3.5) */
	int categories;		 /* temp.report_category is loaded */
	const char *categories_path; /* borrowed: its file, for the text */
	long long categories_bad; /* bad lines of it (reported already) */
};

/* Write the report of c (compared with the earlier campaigns older[0..n_older), oldest first).
 * 0, or -1 with err. */
int report_write(struct sqlite3 *db, const struct report_campaign *c,
		 const struct report_campaign *older, size_t n_older,
		 const struct report_options *o, char *err, size_t errlen);

#endif
