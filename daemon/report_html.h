/* report_html.h — the pieces of the report's index.html: one self-contained page (styles inline,
 * charts embedded as inline SVG, no script, nothing fetched). */
#ifndef MXS_REPORT_HTML_H
#define MXS_REPORT_HTML_H
#include <stdio.h>

struct report_table;

void report_html_escape(FILE *f, const char *s);
/* <!doctype html> ... the page header; banner (may be NULL) is shown at the top of the page,
 * e.g. "campaign still running: 12 of 40 scanned". */
void report_html_begin(FILE *f, const char *title, const char *subtitle, const char *banner);
void report_html_end(FILE *f);
/* A numbered section: <section id><h2>, and its "how it is computed" paragraph. */
void report_html_section(FILE *f, const char *id, const char *title, const char *how);
void report_html_section_end(FILE *f);
/* A table of t's rows (at most max_rows, 0 = all) with a caption naming the CSV file. */
void report_html_table(FILE *f, const struct report_table *t, const char *caption,
		       size_t max_rows);
/* figures/NAME.svg inline in a <figure>, with links to the SVG and PDF. 0, or -1 when the SVG
 * cannot be read. */
int report_html_figure(FILE *f, const char *dir, const char *name, const char *caption);

#endif
