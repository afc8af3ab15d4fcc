/* report_plot.h — the report's charts, drawn by gnuplot through a pipe: each chart becomes
 * figures/NAME.svg (embedded in index.html) and figures/NAME.pdf (for publications). The numbers
 * come from a report_table; gnuplot only draws them. */
#ifndef MXS_REPORT_PLOT_H
#define MXS_REPORT_PLOT_H
#include <stddef.h>

struct report_table;
struct report_plot;

enum report_chart_kind {
	REPORT_CHART_STACKED,	/* one stacked bar per row, series stacked (percentages) */
	REPORT_CHART_CLUSTERED, /* one group of bars per row, a bar per series */
	REPORT_CHART_HBARS,	/* one horizontal bar per row (first series), longest first */
	REPORT_CHART_LINES,	/* a line per series over the rows (campaigns, oldest first) */
};

struct report_chart {
	const char *name;	     /* figures/NAME.svg and .pdf */
	const char *title;	     /* chart title */
	enum report_chart_kind kind; /* how */
	const char *ylabel;	     /* value axis label */
	double ymax;		     /* value axis maximum, 0 = automatic */
};

/* Start gnuplot for a report written into dir. NULL with the reason in err (gnuplot missing). */
struct report_plot *report_plot_open(const char *dir, const char *note, char *err, size_t errlen);
/* Draw data: column 0 labels the rows, every further column is a series named by its column
 * name, values numeric (an empty cell is 0). Nothing is drawn for a table without rows. */
void report_plot_chart(struct report_plot *p, const struct report_chart *c,
		       const struct report_table *data);
/* Wait for gnuplot; 0 when it drew every chart, -1 with its complaint in err. Frees p. */
int report_plot_close(struct report_plot *p, char *err, size_t errlen);

#endif
