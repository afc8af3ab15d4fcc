/* report_html.c — writes the report's single HTML page (report_html.h). Everything is escaped;
 * the SVGs gnuplot drew are copied in from their first <svg element on. */
#include "daemon/report_html.h"

#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"
#include "daemon/report_table.h"

void report_html_escape(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

static const char report_css[] =
	"body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;color:#1d2127;background:#f4f5f7;"
	"margin:0;line-height:1.5}\n"
	"header{background:#17324d;color:#fff;padding:28px 48px 22px}\n"
	"header h1{margin:0 0 4px;font-size:28px;font-weight:600}\n"
	"header p{margin:0;color:#c9d6e3}\n"
	".banner{background:#fff3cd;color:#6b4e00;border-bottom:1px solid #e8d18a;padding:10px 48px;"
	"font-weight:600;position:sticky;top:0}\n"
	"nav{padding:10px 48px;background:#fff;border-bottom:1px solid #dde1e6;font-size:14px}\n"
	"nav a{margin-right:18px;color:#17324d;text-decoration:none}\n"
	"main{max-width:1000px;margin:0 auto;padding:8px 24px 48px}\n"
	"section{background:#fff;border:1px solid #dde1e6;border-radius:6px;margin:24px 0;"
	"padding:8px 28px 20px}\n"
	"h2{font-size:21px;color:#17324d;border-bottom:2px solid #e3e8ee;padding-bottom:6px}\n"
	"h3{font-size:16px;color:#17324d;margin-top:22px}\n"
	"p.how{background:#f3f6f9;border-left:4px solid #8aa4bf;padding:8px 14px;font-size:14px;"
	"color:#3b4652}\n"
	".kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(190px,1fr));gap:14px;"
	"margin:14px 0}\n"
	".kpi{border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;"
	"background:#fafbfc}\n"
	".kpi b{display:block;font-size:28px;color:#17324d}\n"
	".kpi span{font-size:13px;color:#4a5561}\n"
	"figure{margin:16px 0}\n"
	"figure svg{max-width:100%;height:auto;display:block}\n"
	"figcaption{font-size:13px;color:#4a5561}\n"
	"div.tw{overflow-x:auto;margin:12px 0}\n"
	"table{border-collapse:collapse;font-size:13.5px;width:100%}\n"
	"caption{text-align:left;font-size:13px;color:#4a5561;padding-bottom:4px}\n"
	"th,td{border-bottom:1px solid #e3e8ee;padding:4px 8px;text-align:left;vertical-align:top}\n"
	"th{background:#f0f3f6;font-weight:600}\n"
	"td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}\n"
	"pre{background:#f3f6f9;padding:10px;overflow-x:auto;font-size:12px}\n"
	"dt{font-weight:600;margin-top:8px}\n";

void report_html_begin(FILE *f, const char *title, const char *subtitle, const char *banner)
{
	fputs("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
	      f);
	report_html_escape(f, title);
	fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<header><h1>", report_css);
	report_html_escape(f, title);
	fputs("</h1><p>", f);
	report_html_escape(f, subtitle);
	fputs("</p></header>\n", f);
	if (banner) {
		fputs("<div class=\"banner\" id=\"partial\">", f);
		report_html_escape(f, banner);
		fputs("</div>\n", f);
	}
	fputs("<nav><a href=\"#overview\">Overview</a><a href=\"#support\">Support</a>"
	      "<a href=\"#errors\">Errors</a><a href=\"#distributions\">Distributions</a>"
	      "<a href=\"#providers\">Providers</a><a href=\"#categories\">Categories</a>"
	      "<a href=\"#trends\">Trends</a><a href=\"#method\">Method</a></nav>\n<main>\n",
	      f);
}

void report_html_end(FILE *f)
{
	fputs("</main>\n</body>\n</html>\n", f);
}

void report_html_section(FILE *f, const char *id, const char *title, const char *how)
{
	fprintf(f, "<section id=\"%s\">\n<h2>", id);
	report_html_escape(f, title);
	fputs("</h2>\n", f);
	if (how) {
		fputs("<p class=\"how\"><b>How it is computed.</b> ", f);
		report_html_escape(f, how);
		fputs("</p>\n", f);
	}
}

void report_html_section_end(FILE *f)
{
	fputs("</section>\n", f);
}

static int report_is_number(const char *s)
{
	if (s == NULL || *s == '\0')
		return 0;
	char *end;
	strtod(s, &end);
	return *end == '\0';
}

void report_html_table(FILE *f, const struct report_table *t, const char *caption,
		       size_t max_rows)
{
	fprintf(f, "<div class=\"tw\"><table data-table=\"%s\">\n<caption>", t->name);
	report_html_escape(f, caption);
	fprintf(f, " (<a href=\"tables/%s.csv\">tables/%s.csv</a>", t->name, t->name);
	if (max_rows && t->nrows > max_rows)
		fprintf(f, "; the first %zu of %zu rows", max_rows, t->nrows);
	fputs(")</caption>\n<tr>", f);
	for (size_t c = 0; c < t->ncols; c++) {
		fputs("<th>", f);
		report_html_escape(f, t->cols[c]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t r = 0; r < t->nrows && (max_rows == 0 || r < max_rows); r++) {
		fputs("<tr>", f);
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = report_table_get(t, r, c);
			fputs(report_is_number(v) ? "<td class=\"n\">" : "<td>", f);
			report_html_escape(f, v ? v : "");
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n", f);
}

int report_html_figure(FILE *f, const char *dir, const char *name, const char *caption)
{
	char *path = xasprintf("%s/figures/%s.svg", dir, name);
	FILE *in = fopen(path, "r");
	free(path);
	if (in == NULL)
		return -1;
	fprintf(f, "<figure id=\"fig-%s\">\n", name);
	char buf[8192];
	int started = 0;
	while (fgets(buf, sizeof buf, in)) {
		char *p = buf;
		if (!started) {
			p = strstr(buf, "<svg");
			if (p == NULL)
				continue; /* the XML declaration and DOCTYPE stay out of HTML */
			started = 1;
		}
		fputs(p, f);
	}
	fclose(in);
	fputs("<figcaption>", f);
	report_html_escape(f, caption);
	fprintf(f, " — <a href=\"figures/%s.svg\">SVG</a>, <a href=\"figures/%s.pdf\">PDF</a>"
		   "</figcaption>\n</figure>\n",
		name, name);
	return started ? 0 : -1;
}
