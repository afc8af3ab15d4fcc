/* output.h — printing stored results: json (one object, or an array for several), jsonl (one
 * object per line) and text (a report for a mail administrator). Everything printed is read back
 * from the store, never printed around it. */
#ifndef MXS_OUTPUT_H
#define MXS_OUTPUT_H
#include <stdint.h>
#include <stdio.h>

struct store;

enum output_format { OUTPUT_TEXT = 0, OUTPUT_JSON, OUTPUT_JSONL };

int output_format_parse(const char *name); /* -1 when unknown */
/* Print every result of the campaign in input order. 0, or -1 on a store/write error. */
int output_campaign(struct store *st, int64_t campaign_id, enum output_format fmt, FILE *out);
/* Flush out and tell whether everything written to it arrived: 0, or -1 after printing
 * "mxsurvey: cannot write to NAME: <error>" on stderr (a full disk, a closed pipe...). NAME is
 * the file, or NULL for "standard output". Call it right after the writes (or after
 * output_campaign): the reason is the errno of the write that failed. */
int output_finish(FILE *out, const char *name);

#endif
