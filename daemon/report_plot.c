/* report_plot.c — gnuplot driven through a pipe (report_plot.h). One gnuplot process draws every
 * chart of a report: for each, the data as an inline datablock, then the SVG terminal and the
 * pdfcairo terminal. Owns the pipe and the file gnuplot's complaints go to. */
#include "daemon/report_plot.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "daemon/report_table.h"

struct report_plot {
	FILE *gp;	   /* owned: the pipe to gnuplot */
	char *dir;	   /* owned: the report directory */
	char *note;	   /* owned: a line under every title ("12 of 40 scanned"), or NULL */
	char *log;	   /* owned: where gnuplot's stderr goes */
	char **names;	   /* owned: the charts drawn, checked at close */
	size_t n_names;	   /* how many */
	void (*old_pipe)(int); /* SIGPIPE disposition before open */
};

/* Series colours, in the order of the series (outcomes: supported, errors, absent, not
 * measured; categories; ...), chosen to stay apart for colour-blind readers. */
static const char *const plot_colors[] = {
	"#1b7837", "#e08214", "#b2182b", "#9e9e9e", "#2166ac", "#762a83",
	"#5aae61", "#fdb863", "#d6604d", "#4393c3", "#8073ac", "#35978f",
};
#define PLOT_NCOLORS (sizeof plot_colors / sizeof *plot_colors)

/* A gnuplot single-quoted string: no escapes inside but '' for a quote. */
static void plot_squote(FILE *f, const char *s)
{
	fputc('\'', f);
	for (; s && *s; s++) {
		if (*s == '\'')
			fputc('\'', f);
		if (*s != '\n' && *s != '\r')
			fputc(*s, f);
	}
	fputc('\'', f);
}

/* A datablock label: double-quoted, without the characters that would end it. */
static void plot_label(FILE *f, const char *s)
{
	fputc('"', f);
	for (; s && *s; s++)
		fputc(*s == '"' ? '\'' : *s == '\\' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
	fputc('"', f);
}

struct report_plot *report_plot_open(const char *dir, const char *note, char *err, size_t errlen)
{
	char *log = xasprintf("%s/figures/.gnuplot.log", dir);
	FILE *probe = fopen(log, "w");
	if (probe == NULL) {
		snprintf(err, errlen, "%s: %s", log, strerror(errno));
		free(log);
		return NULL;
	}
	fclose(probe);
	/* The shell runs gnuplot with its complaints in the log; the path is quoted for it. */
	char *q = xmalloc(4 * strlen(log) + 3), *o = q;
	*o++ = '\'';
	for (const char *s = log; *s; s++) {
		if (*s == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *s;
		}
	}
	*o++ = '\'';
	*o = '\0';
	char *cmd = xasprintf("exec gnuplot 2>%s", q);
	free(q);
	struct report_plot *p = xcalloc(1, sizeof *p);
	p->old_pipe = signal(SIGPIPE, SIG_IGN); /* a gnuplot that died is reported at close */
	p->gp = popen(cmd, "w");
	free(cmd);
	if (p->gp == NULL) {
		snprintf(err, errlen, "cannot start gnuplot: %s", strerror(errno));
		signal(SIGPIPE, p->old_pipe);
		free(log);
		free(p);
		return NULL;
	}
	p->dir = xstrdup(dir);
	p->note = note ? xstrdup(note) : NULL;
	p->log = log;
	fputs("set encoding utf8\n", p->gp);
	return p;
}

static void plot_terminal(struct report_plot *p, const struct report_chart *c, int pdf,
			  size_t nrows)
{
	FILE *f = p->gp;
	int h = c->kind == REPORT_CHART_HBARS ? (int)(120 + 26 * nrows) : 440;
	if (pdf)
		fprintf(f, "set terminal pdfcairo noenhanced size 8in,%.2fin font 'DejaVu Sans,9'\n",
			h / 100.0);
	else
		fprintf(f,
			"set terminal svg noenhanced size 860,%d font 'DejaVu Sans,12' "
			"background rgb 'white'\n",
			h);
	char *out = xasprintf("%s/figures/%s.%s", p->dir, c->name, pdf ? "pdf" : "svg");
	fputs("set output ", f);
	plot_squote(f, out);
	fputc('\n', f);
	free(out);
}

static void plot_series(FILE *f, const struct report_chart *c, const struct report_table *t)
{
	fputs("plot ", f);
	size_t nser = t->ncols - 1;
	for (size_t s = 0; s < nser; s++) {
		const char *color = plot_colors[s % PLOT_NCOLORS];
		if (s)
			fputs(", \\\n     ", f);
		switch (c->kind) {
		case REPORT_CHART_LINES:
			fprintf(f, "$D using 0:%zu:xtic(1) with linespoints lw 2 pt 7 lc rgb '%s' title ",
				s + 2, color);
			break;
		case REPORT_CHART_HBARS:
			fprintf(f,
				"$D using ($%zu/2):0:($%zu/2):(0.35):yticlabels(1) with boxxyerror "
				"fs solid 0.85 noborder lc rgb '%s' title ",
				s + 2, s + 2, color);
			break;
		default:
			fprintf(f, "$D using %zu%s fs solid 0.9 lc rgb '%s' title ", s + 2,
				s == 0 ? ":xtic(1)" : "", color);
		}
		plot_squote(f, t->cols[s + 1]);
	}
	if (c->kind == REPORT_CHART_HBARS)
		fputs(", \\\n     $D using 2:0:(sprintf(' %g', $2)) with labels left "
		      "font ',10' notitle", f);
	fputc('\n', f);
}

void report_plot_chart(struct report_plot *p, const struct report_chart *c,
		       const struct report_table *t)
{
	if (t->nrows == 0 || t->ncols < 2)
		return;
	FILE *f = p->gp;
	fputs("reset\n$D << EOD\n", f);
	for (size_t r = 0; r < t->nrows; r++) {
		plot_label(f, report_table_get(t, r, 0));
		for (size_t s = 1; s < t->ncols; s++) {
			const char *v = report_table_get(t, r, s);
			fprintf(f, " %s", v && v[0] ? v : "0");
		}
		fputc('\n', f);
	}
	fputs("EOD\n", f);
	fputs("set title ", f);
	char *title = p->note ? xasprintf("%s\n(%s)", c->title, p->note) : xstrdup(c->title);
	fputc('"', f);
	for (const char *s = title; *s; s++)
		fputs(*s == '"' ? "'" : *s == '\\' ? "/" : *s == '\n' ? "\\n" : (char[2]){*s, 0}, f);
	fputs("\" font ',13'\n", f);
	free(title);
	fputs("set border 3\nset tics nomirror\nset grid ytics lc rgb '#dddddd'\n", f);
	switch (c->kind) {
	case REPORT_CHART_STACKED:
	case REPORT_CHART_CLUSTERED:
		fprintf(f, "set style data histograms\nset style histogram %s\n"
			   "set boxwidth 0.75\nset xtics rotate by -25 left\n",
			c->kind == REPORT_CHART_STACKED ? "rowstacked" : "clustered gap 1");
		fputs("set key outside bottom center horizontal\n", f);
		break;
	case REPORT_CHART_LINES:
		fputs("set offsets 0.3, 0.3, 0, 0\nset key outside right top vertical\n", f);
		break;
	case REPORT_CHART_HBARS:
		/* Row 0 (the largest) at the top: a descending range. */
		fprintf(f, "set yrange [%zu.4:-0.6]\nset grid xtics noytics\n"
			   "set border 1\nset ytics scale 0\nset key off\n"
			   "set offsets 0, graph 0.12, 0, 0\n",
			t->nrows - 1);
		break;
	}
	if (c->ylabel) {
		fprintf(f, c->kind == REPORT_CHART_HBARS ? "set xlabel " : "set ylabel ");
		plot_squote(f, c->ylabel);
		fputc('\n', f);
	}
	if (c->kind == REPORT_CHART_HBARS)
		fputs("set xrange [0:*]\n", f);
	else if (c->ymax > 0)
		fprintf(f, "set yrange [0:%g]\n", c->ymax);
	else
		fputs("set yrange [0:*]\n", f);
	for (int pdf = 0; pdf < 2; pdf++) {
		plot_terminal(p, c, pdf, t->nrows);
		plot_series(f, c, t);
		fputs("unset output\n", f);
	}
	p->names = xrealloc(p->names, (p->n_names + 1) * sizeof *p->names);
	p->names[p->n_names++] = xstrdup(c->name);
}

int report_plot_close(struct report_plot *p, char *err, size_t errlen)
{
	fputs("exit\n", p->gp);
	int st = pclose(p->gp);
	signal(SIGPIPE, p->old_pipe);
	int rc = 0;
	if (st == -1 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		char line[512] = "";
		FILE *f = fopen(p->log, "r");
		if (f) {
			char buf[512];
			while (fgets(buf, sizeof buf, f))
				if (strstr(buf, "rror") || strstr(buf, "not found"))
					snprintf(line, sizeof line, "%s", buf);
			fclose(f);
		}
		line[strcspn(line, "\n")] = '\0';
		snprintf(err, errlen, "gnuplot %s%s%s",
			 WIFEXITED(st) && WEXITSTATUS(st) == 127 ? "is not installed (apt-get install gnuplot-nox)"
								 : "failed",
			 line[0] ? ": " : "", line);
		rc = -1;
	}
	for (size_t i = 0; rc == 0 && i < p->n_names; i++)
		for (int pdf = 0; pdf < 2; pdf++) {
			char *path = xasprintf("%s/figures/%s.%s", p->dir, p->names[i],
					       pdf ? "pdf" : "svg");
			struct stat sb;
			if (stat(path, &sb) < 0 || sb.st_size == 0) {
				snprintf(err, errlen, "gnuplot did not draw %s", path);
				rc = -1;
			}
			free(path);
		}
	if (rc == 0)
		unlink(p->log);
	for (size_t i = 0; i < p->n_names; i++)
		free(p->names[i]);
	free(p->names);
	free(p->log);
	free(p->note);
	free(p->dir);
	free(p);
	return rc;
}
