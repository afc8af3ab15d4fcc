/* report.c — the figures of `mxsurvey report` (report.h). Each figure is one or two queries over
 * the v_* views (schema/006_views.sql), a table written as tables/NAME.csv, a chart handed to
 * gnuplot, and a section of index.html. The page is assembled in memory (its tables are small)
 * with a marker where each chart goes, and written out once gnuplot has drawn them all. */
#include "daemon/report.h"

#include <errno.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/provider.h"
#include "common/reason_kind.h"
#include "common/xalloc.h"
#include "checks/score.h"
#include "daemon/scoring_load.h"
#include "daemon/cli.h"
#include "daemon/report_html.h"
#include "daemon/report_plot.h"
#include "daemon/report_table.h"

#define REPORT_FIG_MARK "\001FIGURE "

/* The protocols of the support figure (JRC Figure 5), in its order. */
static const struct {
	const char *check; /* verdicts.check_name */
	const char *label; /* as the report names it */
} report_protocols[] = {
	{"starttls", "StartTLS"}, {"x509", "valid certificate"}, {"spf", "SPF"},
	{"dkim", "DKIM"},	  {"dmarc", "DMARC"},		 {"dane", "DANE"},
	{"dnssec", "DNSSEC"},	  {"mta_sts", "MTA-STS"},	 {"tlsrpt", "TLS-RPT"},
	{"requiretls", "REQUIRETLS"},
};
#define REPORT_NPROTO (sizeof report_protocols / sizeof *report_protocols)

static const char *const report_categories[3] = {"confidentiality", "anti-spoofing", "integrity"};

struct report {
	sqlite3 *db;				/* borrowed */
	const struct report_campaign *c;	/* borrowed: the campaign reported on */
	const struct report_campaign *older;	/* borrowed: earlier campaigns, oldest first */
	size_t n_older;				/* how many */
	const struct report_options *o;		/* borrowed */
	double tscore;				/* the threshold as a score (stars * 2) */
	FILE *html;				/* owned: the page, in memory until the end */
	char *html_buf;				/* owned: its buffer (open_memstream) */
	size_t html_len;			/* its length */
	struct report_plot *plot;		/* owned: gnuplot */
	char *err;				/* borrowed: the caller's error buffer */
	size_t errlen;				/* its size */
	int failed;				/* a query or a file failed (err says which) */
};

/* ---- helpers ---- */

static struct report_table *rq(struct report *r, const char *name, const char *sql,
			       const char *binds, long long a, long long b, double d)
{
	if (r->failed)
		return NULL;
	struct report_table *t;
	if (binds && strcmp(binds, "iid") == 0)
		t = report_table_query(r->db, name, r->err, r->errlen, sql, binds, a, b, d);
	else if (binds && strcmp(binds, "idi") == 0)
		t = report_table_query(r->db, name, r->err, r->errlen, sql, binds, a, d, b);
	else if (binds && strcmp(binds, "ii") == 0)
		t = report_table_query(r->db, name, r->err, r->errlen, sql, binds, a, b);
	else
		t = report_table_query(r->db, name, r->err, r->errlen, sql, binds, a);
	if (t == NULL)
		r->failed = 1;
	return t;
}

/* tables/NAME.csv; a failure is the report's failure. */
static void report_csv(struct report *r, const struct report_table *t)
{
	if (t && !r->failed && report_table_write_csv(t, r->o->dir) < 0) {
		snprintf(r->err, r->errlen, "%s/tables/%s.csv: %s", r->o->dir, t->name,
			 strerror(errno));
		r->failed = 1;
	}
}

static void report_chart(struct report *r, const struct report_chart *c,
			 const struct report_table *data, const char *caption)
{
	if (r->failed || data->nrows == 0)
		return;
	report_plot_chart(r->plot, c, data);
	fprintf(r->html, REPORT_FIG_MARK "%s %s\n", c->name, caption);
}

static void report_p(struct report *r, const char *text)
{
	fputs("<p>", r->html);
	report_html_escape(r->html, text);
	fputs("</p>\n", r->html);
}

static void report_kpi(struct report *r, const char *value, const char *what)
{
	fputs("<div class=\"kpi\"><b>", r->html);
	report_html_escape(r->html, value);
	fputs("</b><span>", r->html);
	report_html_escape(r->html, what);
	fputs("</span></div>\n", r->html);
}

static const char *report_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		return "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm);
	return buf;
}

/* ---- overview: shares per score category, and the headline figures ---- */

/* One pass over v_domain_scores: per category protected / minimum / not protected / not
 * measured, and the combined figures. common: only the domains of temp.report_common. */
static const char overview_sql[] =
	"SELECT COUNT(*) AS scanned,"
	" SUM(score_confidentiality >= ?3), SUM(score_confidentiality > 0 AND score_confidentiality < ?3),"
	" SUM(score_confidentiality = 0), SUM(score_confidentiality IS NULL),"
	" SUM(score_spoofing >= ?3), SUM(score_spoofing > 0 AND score_spoofing < ?3),"
	" SUM(score_spoofing = 0), SUM(score_spoofing IS NULL),"
	" SUM(score_integrity >= ?3), SUM(score_integrity > 0 AND score_integrity < ?3),"
	" SUM(score_integrity = 0), SUM(score_integrity IS NULL),"
	" SUM(score_confidentiality IS NOT NULL AND score_spoofing IS NOT NULL AND"
	"     score_integrity IS NOT NULL) AS all_measured,"
	" SUM(score_confidentiality >= ?3 AND score_spoofing >= ?3 AND score_integrity >= ?3)"
	"     AS all_protected,"
	" SUM(score_confidentiality = 10 AND score_spoofing = 10 AND score_integrity = 10)"
	"     AS all_standards "
	"FROM v_domain_scores WHERE campaign_id = ?1 AND"
	" (?2 = 0 OR domain IN (SELECT domain FROM temp.report_common))";

struct overview {
	long long scanned;	     /* domains */
	long long cat[3][4];	     /* per category: protected, minimum, not protected, not measured */
	long long all_measured;	     /* all three scores measured */
	long long all_protected;     /* >= threshold in all three */
	long long all_standards;     /* the maximum score in all three */
};

static int overview_compute(struct report *r, int64_t cid, int common, struct overview *ov)
{
	struct report_table *t = rq(r, "overview_raw", overview_sql, "iid", (long long)cid,
				    common, r->tscore);
	if (t == NULL)
		return -1;
	memset(ov, 0, sizeof *ov);
	ov->scanned = report_table_int(t, 0, 0);
	for (int c = 0; c < 3; c++)
		for (int k = 0; k < 4; k++)
			ov->cat[c][k] = report_table_int(t, 0, (size_t)(1 + 4 * c + k));
	ov->all_measured = report_table_int(t, 0, 13);
	ov->all_protected = report_table_int(t, 0, 14);
	ov->all_standards = report_table_int(t, 0, 15);
	report_table_free(t);
	return 0;
}

/* The four headline figures of the study's executive summary as rows of t. */
static void overview_headline_rows(struct report_table *t, const char *campaign,
				   const struct overview *ov, double threshold)
{
	char p[32], what[160];
	long long spoof_measured = ov->cat[1][0] + ov->cat[1][1] + ov->cat[1][2];
	long long conf_measured = ov->cat[0][0] + ov->cat[0][1] + ov->cat[0][2];
	snprintf(what, sizeof what, "at least %.1f stars in all three categories", threshold);
	report_table_addf(t, "%s\x1f%s\x1f%s\x1f%lld\x1f%lld", campaign, what,
			  report_pct(ov->all_protected, ov->all_measured, p, sizeof p),
			  ov->all_protected, ov->all_measured);
	report_table_addf(t, "%s\x1f%s\x1f%s\x1f%lld\x1f%lld", campaign,
			  "of those, every standard (the maximum score in all three)",
			  report_pct(ov->all_standards, ov->all_protected, p, sizeof p),
			  ov->all_standards, ov->all_protected);
	report_table_addf(t, "%s\x1f%s\x1f%s\x1f%lld\x1f%lld", campaign,
			  "no anti-spoofing standard (0 stars in anti-spoofing)",
			  report_pct(ov->cat[1][2], spoof_measured, p, sizeof p), ov->cat[1][2],
			  spoof_measured);
	report_table_addf(t, "%s\x1f%s\x1f%s\x1f%lld\x1f%lld", campaign,
			  "no confidentiality (0 stars in confidentiality)",
			  report_pct(ov->cat[0][2], conf_measured, p, sizeof p), ov->cat[0][2],
			  conf_measured);
}

static void fig_overview(struct report *r)
{
	struct overview ov;
	if (overview_compute(r, r->c->id, 0, &ov) < 0)
		return;
	char how[900];
	snprintf(how, sizeof how,
		 "Over the %lld scanned domains, from v_domain_scores. A domain is protected in a "
		 "category when its MECSA score there is at least %.1f stars (score %.0f of 10), "
		 "minimum when it has more than 0 stars but fewer than %.1f, not protected with 0 "
		 "stars, and not measured when the score was withheld because its verdicts could "
		 "not be determined (DNS error, nothing testable). Shares are of the domains measured "
		 "in that category. The headline figures: the share of domains measured in all three "
		 "categories with at least %.1f stars in each; of those, the share with the maximum "
		 "score in all three (every standard adopted); the share with 0 stars in "
		 "anti-spoofing (no SPF, DKIM or DMARC that counts); the share with 0 stars in "
		 "confidentiality.",
		 ov.scanned, r->o->threshold, r->tscore, r->o->threshold, r->o->threshold);
	report_html_section(r->html, "overview", "1. Overview", how);
	struct report_table *head =
	    report_table_new("headline", "campaign,figure,percent,domains,of_domains");
	overview_headline_rows(head, r->c->name, &ov, r->o->threshold);
	fputs("<div class=\"kpis\">\n", r->html);
	for (size_t i = 0; i < head->nrows; i++) {
		char v[40];
		const char *pct = report_table_get(head, i, 2);
		snprintf(v, sizeof v, "%s%s", pct && pct[0] ? pct : "-", pct && pct[0] ? " %" : "");
		report_kpi(r, v, report_table_get(head, i, 1));
	}
	fputs("</div>\n", r->html);
	struct report_table *t = report_table_new(
	    "overview", "category,measured,protected,minimum,not_protected,not_measured,"
			"pct_protected,pct_minimum,pct_not_protected");
	struct report_table *chart =
	    report_table_new("overview_chart", "category,protected,minimum,not protected");
	for (int c = 0; c < 3; c++) {
		long long *k = ov.cat[c];
		long long m = k[0] + k[1] + k[2];
		char a[32], b[32], d[32];
		report_table_addf(t, "%s\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f%s", report_categories[c], m,
				  k[0], k[1], k[2], k[3], report_pct(k[0], m, a, sizeof a),
				  report_pct(k[1], m, b, sizeof b), report_pct(k[2], m, d, sizeof d));
		report_table_addf(chart, "%s\x1f%s\x1f%s\x1f%s", report_categories[c], a, b, d);
	}
	static const struct report_chart c = {"overview", "Domains protected per category",
					      REPORT_CHART_STACKED, "% of domains measured", 100};
	report_chart(r, &c, chart, "Figure 1: protected, minimum and not protected per category "
				   "(JRC Figure 4)");
	report_html_table(r->html, t, "Per category", 0);
	report_html_table(r->html, head, "Headline figures", 0);
	report_csv(r, t);
	report_csv(r, head);
	report_html_section_end(r->html);
	report_table_free(t);
	report_table_free(chart);
	report_table_free(head);
}

/* ---- support per protocol ---- */

static const char support_sql[] =
	"SELECT protocol, domains, supported, with_errors, absent, not_measured "
	"FROM v_protocol_support WHERE campaign_id = ?1";
static const char support_common_sql[] =
	"SELECT protocol, COUNT(*), SUM(outcome = 'supported'), SUM(outcome = 'with_errors'),"
	" SUM(outcome = 'absent'), SUM(outcome = 'not_measured') "
	"FROM v_protocol_outcome WHERE campaign_id = ?1 AND"
	" domain IN (SELECT domain FROM temp.report_common) GROUP BY protocol";

/* Counts per protocol, in report_protocols' order: [p][0..4] domains, supported, with errors,
 * absent, not measured. */
static int support_compute(struct report *r, int64_t cid, int common,
			   long long out[REPORT_NPROTO][5])
{
	struct report_table *t = rq(r, "support_raw", common ? support_common_sql : support_sql,
				    "i", (long long)cid, 0, 0);
	if (t == NULL)
		return -1;
	memset(out, 0, sizeof(long long) * REPORT_NPROTO * 5);
	for (size_t i = 0; i < t->nrows; i++)
		for (size_t p = 0; p < REPORT_NPROTO; p++)
			if (strcmp(report_table_get(t, i, 0), report_protocols[p].check) == 0)
				for (size_t k = 0; k < 5; k++)
					out[p][k] = report_table_int(t, i, k + 1);
	report_table_free(t);
	return 0;
}

static void fig_support(struct report *r, long long support[REPORT_NPROTO][5])
{
	if (support_compute(r, r->c->id, 0, support) < 0)
		return;
	report_html_section(
	    r->html, "support", "2. Support per protocol",
	    "From v_protocol_support: every scanned domain has one verdict per protocol, counted "
	    "as supported (pass), deployed with errors (a record or service is there but fails: "
	    "SPF permerror or too many lookups, DMARC syntax, DANE mismatch, an unusable MTA-STS "
	    "policy, an invalid certificate, STARTTLS offered but failing), absent (nothing "
	    "deployed; for StartTLS, no MX address offers it) or not measured (DNS error, not "
	    "testable) - never folded into absent. StartTLS is supported when at least 80 % of "
	    "the MX addresses tested negotiate TLS 1.2 or later (the study's 80 % rule); a valid "
	    "certificate likewise. Shares are of all scanned domains.");
	struct report_table *t = report_table_new(
	    "support", "protocol,domains,supported,with_errors,absent,not_measured,pct_supported,"
		       "pct_with_errors,pct_absent,pct_not_measured");
	struct report_table *chart = report_table_new(
	    "support_chart", "protocol,supported,deployed with errors,absent,not measured");
	for (size_t p = 0; p < REPORT_NPROTO; p++) {
		long long *k = support[p];
		char a[32], b[32], c[32], d[32];
		report_pct(k[1], k[0], a, sizeof a);
		report_pct(k[2], k[0], b, sizeof b);
		report_pct(k[3], k[0], c, sizeof c);
		report_pct(k[4], k[0], d, sizeof d);
		report_table_addf(t, "%s\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s",
				  report_protocols[p].label, k[0], k[1], k[2], k[3], k[4], a, b, c,
				  d);
		report_table_addf(chart, "%s\x1f%s\x1f%s\x1f%s\x1f%s", report_protocols[p].label, a, b, c, d);
	}
	static const struct report_chart ch = {"support", "Support per protocol",
					       REPORT_CHART_STACKED, "% of domains", 100};
	report_chart(r, &ch, chart, "Figure 2: support per protocol (JRC Figure 5)");
	report_html_table(r->html, t, "Domains per outcome", 0);
	report_csv(r, t);
	report_html_section_end(r->html);
	report_table_free(t);
	report_table_free(chart);
}

/* ---- most common deployment errors ---- */

static void report_sql_reason_kind(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	char out[512];
	reason_kind((const char *)sqlite3_value_text(argv[0]), out, sizeof out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void report_sql_provider(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	char out[256];
	provider_of((const char *)sqlite3_value_text(argv[0]), out, sizeof out);
	sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

static void fig_errors(struct report *r)
{
	struct report_table *raw = rq(
	    r, "errors_raw",
	    "SELECT protocol, mxs_reason_kind(reason) AS kind, SUM(domains) AS n "
	    "FROM v_deployment_errors WHERE campaign_id = ?1 GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
	    "i", (long long)r->c->id, 0, 0);
	if (raw == NULL)
		return;
	report_html_section(
	    r->html, "errors", "3. Most common deployment errors",
	    "From v_deployment_errors: the verdict reasons of the domains whose deployment has "
	    "errors (figure 2), folded into error kinds so that one error at different hosts "
	    "counts once: host and domain names become <name>, addresses <address>, URLs <url>, "
	    "quoted text from the peer \"...\", numbers N (SMTP reply codes stay), and the "
	    "\"n of m addresses: host [address]:\" prefix of the per-address checks is dropped. "
	    "Share of errors: of the protocol's domains deployed with errors; share of domains: "
	    "of all scanned domains.");
	struct report_table *t = report_table_new(
	    "errors", "protocol,error,domains,pct_of_errors,pct_of_domains");
	struct report_table *chart = report_table_new("errors_chart", "error,domains");
	for (size_t i = 0; i < raw->nrows; i++) {
		const char *proto = report_table_get(raw, i, 0);
		const char *label = strcmp(proto, "mx") == 0 ? "MX" : proto;
		long long n = report_table_int(raw, i, 2), errs = 0, all = r->c->scanned;
		for (size_t j = 0; j < raw->nrows; j++)
			if (strcmp(report_table_get(raw, j, 0), proto) == 0)
				errs += report_table_int(raw, j, 2);
		for (size_t p = 0; p < REPORT_NPROTO; p++)
			if (strcmp(proto, report_protocols[p].check) == 0)
				label = report_protocols[p].label;
		char a[32], b[32];
		const char *kind = report_table_get(raw, i, 1);
		report_table_addf(t, "%s\x1f%s\x1f%lld\x1f%s\x1f%s", label, kind, n,
				  report_pct(n, errs, a, sizeof a), report_pct(n, all, b, sizeof b));
		if (chart->nrows < 15) {
			char *l = xasprintf("%s: %.60s", label, kind);
			const char *row[2] = {l, report_table_get(raw, i, 2)};
			report_table_add(chart, row);
			free(l);
		}
	}
	static const struct report_chart ch = {"errors", "Most common deployment errors",
					       REPORT_CHART_HBARS, "domains", 0};
	if (t->nrows == 0)
		report_p(r, "No domain has a deployment with errors.");
	report_chart(r, &ch, chart, "Figure 3: the 15 most common error kinds");
	report_html_table(r->html, t, "Error kinds per protocol, most common first", 40);
	report_csv(r, t);
	report_html_section_end(r->html);
	report_table_free(raw);
	report_table_free(t);
	report_table_free(chart);
}

/* ---- distributions ---- */

static void dist_simple(struct report *r, const char *name, const char *sql, const char *label,
			const char *title, const char *caption, const char *what)
{
	struct report_table *raw = rq(r, name, sql, "i", (long long)r->c->id, 0, 0);
	if (raw == NULL)
		return;
	long long total = 0;
	for (size_t i = 0; i < raw->nrows; i++)
		total += report_table_int(raw, i, raw->ncols - 1);
	char *cols = xasprintf("%s,%s,pct", label, raw->cols[raw->ncols - 1]);
	struct report_table *t = report_table_new(name, cols);
	free(cols);
	char *ccols = xasprintf("%s,%s", label, raw->cols[raw->ncols - 1]);
	struct report_table *chart = report_table_new(name, ccols);
	free(ccols);
	for (size_t i = 0; i < raw->nrows; i++) {
		char p[32], lab[160];
		/* key types: "EC 256" from two columns */
		if (raw->ncols == 3)
			snprintf(lab, sizeof lab, "%s %s", report_table_get(raw, i, 0),
				 report_table_get(raw, i, 1) ? report_table_get(raw, i, 1) : "?");
		else
			snprintf(lab, sizeof lab, "%s", report_table_get(raw, i, 0));
		long long n = report_table_int(raw, i, raw->ncols - 1);
		report_table_addf(t, "%s\x1f%lld\x1f%s", lab, n, report_pct(n, total, p, sizeof p));
		report_table_addf(chart, "%s\x1f%lld", lab, n);
	}
	fprintf(r->html, "<h3>");
	report_html_escape(r->html, title);
	fprintf(r->html, "</h3>\n");
	if (t->nrows == 0) {
		report_p(r, what);
	} else {
		struct report_chart ch = {name, title, REPORT_CHART_HBARS,
					  raw->cols[raw->ncols - 1], 0};
		report_chart(r, &ch, chart, caption);
		report_html_table(r->html, t, title, 0);
	}
	report_csv(r, t);
	report_table_free(raw);
	report_table_free(t);
	report_table_free(chart);
}

static void fig_distributions(struct report *r)
{
	struct report_table *raw =
	    rq(r, "scores_raw",
	       "SELECT category, score, domains FROM v_score_distribution WHERE campaign_id = ?1",
	       "i", (long long)r->c->id, 0, 0);
	if (raw == NULL)
		return;
	report_html_section(
	    r->html, "distributions", "4. Score distributions and deployment details",
	    "Scores: from v_score_distribution, the number of scanned domains with each MECSA "
	    "score (0-10, two points a star) per category; not measured: the score was withheld. "
	    "DMARC policy: v_dmarc_policy, the p= tag of the domains that publish a DMARC record. "
	    "SPF: v_spf_all, the qualifier of the record's all (or of its redirect target's) of "
	    "the domains that publish an SPF record. TLS versions: v_tls_versions, per distinct "
	    "MX address, the version it negotiated. Key types: v_key_types, per distinct MX "
	    "certificate (SHA-256), its public key type and size.");
	static const char *const cats[3] = {"confidentiality", "spoofing", "integrity"};
	struct report_table *t = report_table_new(
	    "scores", "score,confidentiality,anti_spoofing,integrity");
	struct report_table *chart =
	    report_table_new("scores_chart", "score,confidentiality,anti-spoofing,integrity");
	for (int s = 0; s <= 11; s++) {
		long long n[3] = {0, 0, 0};
		for (size_t i = 0; i < raw->nrows; i++) {
			const char *sc = report_table_get(raw, i, 1);
			int match = s == 11 ? sc == NULL : sc && atoi(sc) == s;
			for (int c = 0; c < 3 && match; c++)
				if (strcmp(report_table_get(raw, i, 0), cats[c]) == 0)
					n[c] += report_table_int(raw, i, 2);
		}
		char lab[16];
		snprintf(lab, sizeof lab, s == 11 ? "not measured" : "%d", s);
		report_table_addf(t, "%s\x1f%lld\x1f%lld\x1f%lld", lab, n[0], n[1], n[2]);
		if (s < 11)
			report_table_addf(chart, "%s\x1f%lld\x1f%lld\x1f%lld", lab, n[0], n[1], n[2]);
	}
	fputs("<h3>MECSA scores</h3>\n", r->html);
	static const struct report_chart ch = {"scores", "Score distribution per category",
					       REPORT_CHART_CLUSTERED, "domains", 0};
	report_chart(r, &ch, chart, "Figure 4: domains per score (0-10) and category");
	report_html_table(r->html, t, "Domains per score", 0);
	report_csv(r, t);
	report_table_free(raw);
	report_table_free(t);
	report_table_free(chart);
	dist_simple(r, "dmarc_policy",
		    "SELECT policy, domains FROM v_dmarc_policy WHERE campaign_id = ?1 ORDER BY "
		    "CASE policy WHEN 'none' THEN 1 WHEN 'quarantine' THEN 2 WHEN 'reject' THEN 3 "
		    "ELSE 4 END, policy",
		    "policy", "DMARC policy", "Figure 5: DMARC policies (p=)",
		    "No domain publishes a DMARC record.");
	dist_simple(r, "spf_all",
		    "SELECT qualifier, domains FROM v_spf_all WHERE campaign_id = ?1 ORDER BY "
		    "domains DESC, qualifier",
		    "qualifier", "SPF all qualifier", "Figure 6: the qualifier of SPF's all",
		    "No domain publishes an SPF record.");
	dist_simple(r, "tls_versions",
		    "SELECT tls_version, addresses FROM v_tls_versions WHERE campaign_id = ?1 "
		    "ORDER BY tls_version DESC",
		    "tls_version", "TLS versions negotiated", "Figure 7: TLS versions per MX address",
		    "No TLS session was negotiated.");
	dist_simple(r, "key_types",
		    "SELECT key_type, bits, certificates FROM v_key_types WHERE campaign_id = ?1 "
		    "ORDER BY certificates DESC, key_type, bits",
		    "key", "Certificate key types", "Figure 8: public keys of the MX certificates",
		    "No certificate was seen.");
	report_html_section_end(r->html);
}

/* ---- providers ---- */

#define REPORT_TOP_PROVIDERS 20

/* The host -> provider cache (schema/006_views.sql), filled for campaign cid's hosts. */
static int report_fill_providers(struct report *r, int64_t cid)
{
	if (r->failed)
		return -1;
	sqlite3_stmt *s = NULL;
	int st = sqlite3_prepare_v2(r->db,
				    "INSERT OR IGNORE INTO mx_provider (host, provider) "
				    "SELECT DISTINCT m.host, mxs_provider(m.host) FROM mx_results m "
				    "JOIN results x ON x.id = m.result_id WHERE x.campaign_id = ?1 AND "
				    "NOT EXISTS (SELECT 1 FROM mx_provider p WHERE p.host = m.host)",
				    -1, &s, NULL);
	if (st == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, cid);
		st = sqlite3_step(s);
	}
	sqlite3_finalize(s);
	if (st != SQLITE_DONE) {
		snprintf(r->err, r->errlen, "providers: %s", sqlite3_errmsg(r->db));
		r->failed = 1;
		return -1;
	}
	return 0;
}

static void fig_providers(struct report *r)
{
	if (report_fill_providers(r, r->c->id) < 0)
		return;
	struct report_table *top =
	    rq(r, "providers_top",
	       "SELECT provider, domains FROM v_providers WHERE campaign_id = ?1 "
	       "ORDER BY domains DESC, provider LIMIT 20",
	       "i", (long long)r->c->id, 0, 0);
	struct report_table *tot = rq(r, "providers_total",
				      "SELECT COUNT(*), COALESCE(SUM(domains), 0) FROM v_providers "
				      "WHERE campaign_id = ?1",
				      "i", (long long)r->c->id, 0, 0);
	struct report_table *sup = NULL;
	if (top && tot && !r->failed) {
		sqlite3_exec(r->db, "DELETE FROM temp.report_top", NULL, NULL, NULL);
		sqlite3_stmt *ins;
		sqlite3_prepare_v2(r->db, "INSERT INTO temp.report_top VALUES (?1)", -1, &ins,
				   NULL);
		for (size_t i = 0; i < top->nrows; i++) {
			sqlite3_bind_text(ins, 1, report_table_get(top, i, 0), -1, SQLITE_STATIC);
			sqlite3_step(ins);
			sqlite3_reset(ins);
		}
		sqlite3_finalize(ins);
		sup = rq(r, "providers_support",
			 "SELECT d.provider, o.protocol, SUM(o.outcome = 'supported'), COUNT(*) "
			 "FROM v_domain_provider d JOIN v_protocol_outcome o ON o.result_id = "
			 "d.result_id WHERE d.campaign_id = ?1 AND d.provider IN (SELECT provider "
			 "FROM temp.report_top) GROUP BY 1, 2",
			 "i", (long long)r->c->id, 0, 0);
	}
	if (sup == NULL) {
		report_table_free(top);
		report_table_free(tot);
		return;
	}
	long long n_providers = report_table_int(tot, 0, 0), with_mx = report_table_int(tot, 0, 1);
	char how[700];
	snprintf(how, sizeof how,
		 "From v_providers and v_domain_provider: a domain's provider is the registrable "
		 "domain (public suffix list, libpsl) of its most preferred MX host name, or the "
		 "address for an address literal. %lld scanned domains have an MX host, with %lld "
		 "providers. Support: the share of the provider's domains whose verdict is pass "
		 "(v_protocol_outcome). Concentration: the share of those domains on the largest "
		 "1, 5, 10 and 20 providers.",
		 with_mx, n_providers);
	report_html_section(r->html, "providers", "5. Providers", how);
	char cols[512] = "rank,provider,domains,pct_of_domains";
	for (size_t p = 0; p < REPORT_NPROTO; p++) {
		strcat(cols, ",pct_");
		strcat(cols, report_protocols[p].check);
	}
	struct report_table *t = report_table_new("providers", cols);
	struct report_table *chart = report_table_new("providers_chart", "provider,domains");
	struct report_table *conc =
	    report_table_new("provider_concentration", "largest,domains,pct_of_domains");
	long long cum = 0;
	static const size_t cuts[] = {1, 5, 10, 20};
	size_t ci = 0;
	for (size_t i = 0; i < top->nrows; i++) {
		const char *prov = report_table_get(top, i, 0);
		long long n = report_table_int(top, i, 1);
		char line[1024], p[32];
		int len = snprintf(line, sizeof line, "%zu\x1f%s\x1f%lld\x1f%s", i + 1, prov, n,
				   report_pct(n, with_mx, p, sizeof p));
		for (size_t q = 0; q < REPORT_NPROTO; q++) {
			long long yes = 0, all = 0;
			for (size_t j = 0; j < sup->nrows; j++)
				if (strcmp(report_table_get(sup, j, 0), prov) == 0 &&
				    strcmp(report_table_get(sup, j, 1), report_protocols[q].check) ==
					0) {
					yes = report_table_int(sup, j, 2);
					all = report_table_int(sup, j, 3);
				}
			len += snprintf(line + len, sizeof line - (size_t)len, "\x1f%s",
					report_pct(yes, all, p, sizeof p));
		}
		report_table_addf(t, "%s", line);
		report_table_addf(chart, "%s\x1f%lld", prov, n);
		cum += n;
		while (ci < 4 && (i + 1 == cuts[ci] || (i + 1 == top->nrows && cuts[ci] > i + 1))) {
			report_table_addf(conc, "%zu\x1f%lld\x1f%s", cuts[ci], cum,
					  report_pct(cum, with_mx, p, sizeof p));
			ci++;
		}
	}
	if (conc->nrows) {
		fputs("<div class=\"kpis\">\n", r->html);
		for (size_t i = 0; i < conc->nrows; i++) {
			char v[48], w[96];
			snprintf(v, sizeof v, "%s %%", report_table_get(conc, i, 2));
			snprintf(w, sizeof w, "of the domains on the largest %s provider%s",
				 report_table_get(conc, i, 0), i ? "s" : "");
			report_kpi(r, v, w);
		}
		fputs("</div>\n", r->html);
	}
	static const struct report_chart ch = {"providers", "The 20 largest providers",
					       REPORT_CHART_HBARS, "domains", 0};
	report_chart(r, &ch, chart, "Figure 9: domains per provider, the 20 largest");
	report_html_table(r->html, t, "The largest providers and their support (% pass)", 0);
	report_html_table(r->html, conc, "Concentration", 0);
	report_csv(r, t);
	report_csv(r, conc);
	report_html_section_end(r->html);
	report_table_free(top);
	report_table_free(tot);
	report_table_free(sup);
	report_table_free(t);
	report_table_free(chart);
	report_table_free(conc);
}

/* ---- categories ---- */

static void fig_categories(struct report *r)
{
	if (!r->o->categories) {
		report_html_section(r->html, "categories", "6. Categories", NULL);
		report_p(r, "No --categories file was given: run the report with --categories "
			    "FILE.csv (lines \"domain,category\") for the results per category.");
		report_html_section_end(r->html);
		return;
	}
	struct report_table *t = rq(
	    r, "categories",
	    "SELECT k.category, COUNT(*) AS domains,"
	    " ROUND(100.0 * SUM(s.score_confidentiality >= ?2) / COUNT(s.score_confidentiality), 2)"
	    "   AS pct_protected_confidentiality,"
	    " ROUND(100.0 * SUM(s.score_spoofing >= ?2) / COUNT(s.score_spoofing), 2)"
	    "   AS pct_protected_anti_spoofing,"
	    " ROUND(100.0 * SUM(s.score_integrity >= ?2) / COUNT(s.score_integrity), 2)"
	    "   AS pct_protected_integrity,"
	    " SUM(s.score_confidentiality >= ?2) AS protected_confidentiality,"
	    " COUNT(s.score_confidentiality) AS measured_confidentiality,"
	    " SUM(s.score_spoofing >= ?2) AS protected_anti_spoofing,"
	    " COUNT(s.score_spoofing) AS measured_anti_spoofing,"
	    " SUM(s.score_integrity >= ?2) AS protected_integrity,"
	    " COUNT(s.score_integrity) AS measured_integrity "
	    "FROM v_domain_scores s JOIN temp.report_category k ON k.domain = s.domain "
	    "WHERE s.campaign_id = ?1 GROUP BY k.category HAVING COUNT(*) >= 10 "
	    "ORDER BY domains DESC, k.category",
	    "idi", (long long)r->c->id, 0, r->tscore);
	if (t == NULL)
		return;
	char how[700];
	snprintf(how, sizeof how,
		 "From v_domain_scores joined with the categories of %s (%lld bad line%s "
		 "skipped, reported on the command's standard error). Only categories with at "
		 "least 10 scanned domains are shown, as in the study. Per category and score "
		 "category, the share of the measured domains with at least %.1f stars.",
		 r->o->categories_path, r->o->categories_bad, r->o->categories_bad == 1 ? "" : "s",
		 r->o->threshold);
	report_html_section(r->html, "categories", "6. Categories", how);
	struct report_table *chart = report_table_new(
	    "categories_chart", "category,confidentiality,anti-spoofing,integrity");
	for (size_t i = 0; i < t->nrows; i++)
		report_table_addf(chart, "%s\x1f%s\x1f%s\x1f%s", report_table_get(t, i, 0),
				  report_table_get(t, i, 2) ? report_table_get(t, i, 2) : "0",
				  report_table_get(t, i, 3) ? report_table_get(t, i, 3) : "0",
				  report_table_get(t, i, 4) ? report_table_get(t, i, 4) : "0");
	if (t->nrows == 0)
		report_p(r, "No category has 10 scanned domains or more.");
	static const struct report_chart ch = {"categories", "Domains protected per category",
					       REPORT_CHART_CLUSTERED, "% protected", 100};
	report_chart(r, &ch, chart, "Figure 10: share protected per domain category (JRC "
				    "Figure 6)");
	report_html_table(r->html, t, "Domains per category (JRC Table 4.2)", 0);
	report_csv(r, t);
	report_html_section_end(r->html);
	report_table_free(t);
	report_table_free(chart);
}

/* ---- trends ---- */

static int report_exec(struct report *r, const char *sql, int64_t cid)
{
	if (r->failed)
		return -1;
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(r->db, sql, -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, cid);
		rc = sqlite3_step(s);
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		snprintf(r->err, r->errlen, "trends: %s", sqlite3_errmsg(r->db));
		r->failed = 1;
		return -1;
	}
	return 0;
}

static const struct report_campaign *trend_campaign(const struct report *r, size_t i)
{
	return i < r->n_older ? &r->older[i] : r->c;
}

static void fig_trends(struct report *r)
{
	if (r->n_older == 0) {
		report_html_section(r->html, "trends", "7. Trends", NULL);
		report_p(r, "No earlier campaign to compare with: run the report with --compare "
			    "NAME... (earlier campaigns, oldest first) for the trends.");
		report_html_section_end(r->html);
		return;
	}
	size_t n = r->n_older + 1;
	/* The domains scanned in every campaign of the series. */
	report_exec(r, "DELETE FROM temp.report_common", 0);
	report_exec(r, "INSERT INTO temp.report_common SELECT domain FROM v_domain_scores "
		       "WHERE campaign_id = ?1",
		    r->c->id);
	for (size_t i = 0; i < r->n_older; i++)
		report_exec(r, "DELETE FROM temp.report_common WHERE domain NOT IN (SELECT domain "
			       "FROM v_domain_scores WHERE campaign_id = ?1)",
			    r->older[i].id);
	struct report_table *cnt = rq(r, "common", "SELECT COUNT(*) FROM temp.report_common",
				      NULL, 0, 0, 0);
	if (cnt == NULL)
		return;
	long long common = report_table_int(cnt, 0, 0);
	report_table_free(cnt);

	/* Domains added, removed and changed between consecutive campaigns (mxsurvey diff). */
	struct report_table *cmp = report_table_new(
	    "trend_comparison", "from,to,in_both,added,removed,changed,unchanged");
	for (size_t i = 0; i + 1 < n && !r->failed; i++) {
		const struct report_campaign *a = trend_campaign(r, i), *b = trend_campaign(r, i + 1);
		struct report_table *x = rq(
		    r, "comparison",
		    "SELECT COUNT(*), COALESCE(SUM(state_from IS NOT state_to OR "
		    " confidentiality_from IS NOT confidentiality_to OR spoofing_from IS NOT "
		    " spoofing_to OR integrity_from IS NOT integrity_to OR verdicts_changed IS NOT "
		    " NULL), 0) FROM v_score_changes WHERE from_campaign_id = ?1 AND "
		    " to_campaign_id = ?2",
		    "ii", (long long)a->id, (long long)b->id, 0);
		struct report_table *y =
		    rq(r, "comparison_sets",
		       "SELECT (SELECT COUNT(*) FROM v_domain_history h WHERE h.campaign = "
		       " (SELECT name FROM campaigns WHERE id = ?2) AND NOT EXISTS (SELECT 1 FROM "
		       " v_domain_history g WHERE g.campaign = (SELECT name FROM campaigns WHERE id "
		       " = ?1) AND g.domain = h.domain)),"
		       " (SELECT COUNT(*) FROM v_domain_history h WHERE h.campaign = "
		       " (SELECT name FROM campaigns WHERE id = ?1) AND NOT EXISTS (SELECT 1 FROM "
		       " v_domain_history g WHERE g.campaign = (SELECT name FROM campaigns WHERE id "
		       " = ?2) AND g.domain = h.domain))",
		       "ii", (long long)a->id, (long long)b->id, 0);
		if (x && y) {
			long long both = report_table_int(x, 0, 0), ch = report_table_int(x, 0, 1);
			report_table_addf(cmp, "%s\x1f%s\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%lld", a->name, b->name,
					  both, report_table_int(y, 0, 0),
					  report_table_int(y, 0, 1), ch, both - ch);
		}
		report_table_free(x);
		report_table_free(y);
	}
	char how[900];
	snprintf(how, sizeof how,
		 "The figures of sections 1, 2, 3 and 5 for each campaign (oldest first), computed "
		 "over the %lld domains scanned in every one of them (v_domain_scores, "
		 "v_protocol_outcome, v_domain_provider), so that domains added or removed do not "
		 "move the lines. "
		 "Added, removed, changed: between consecutive campaigns, over all their results; "
		 "a domain changed when its state, a verdict or a score differs (the comparison of "
		 "mxsurvey diff, v_score_changes). Largest changes: the domains whose scores moved "
		 "most between the last two campaigns, the sum of the score differences of the "
		 "categories measured in both.",
		 common);
	report_html_section(r->html, "trends", "7. Trends", how);
	report_html_table(r->html, cmp, "Domains between campaigns", 0);
	report_csv(r, cmp);

	struct report_table *tov = report_table_new(
	    "trend_overview", "campaign,category,measured,protected,minimum,not_protected,"
			      "not_measured,pct_protected,pct_minimum,pct_not_protected");
	struct report_table *cov =
	    report_table_new("trend_overview_chart", "campaign,confidentiality,anti-spoofing,"
						     "integrity");
	struct report_table *thead =
	    report_table_new("trend_headline", "campaign,figure,percent,domains,of_domains");
	char scols[512] = "campaign";
	for (size_t p = 0; p < REPORT_NPROTO; p++) {
		strcat(scols, ",");
		strcat(scols, report_protocols[p].label);
	}
	struct report_table *csup = report_table_new("trend_support_chart", scols);
	struct report_table *tsup = report_table_new(
	    "trend_support", "campaign,protocol,domains,supported,with_errors,absent,"
			     "not_measured,pct_supported,pct_with_errors,pct_absent,"
			     "pct_not_measured");
	for (size_t i = 0; i < n && !r->failed; i++) {
		const struct report_campaign *c = trend_campaign(r, i);
		struct overview ov;
		long long sup[REPORT_NPROTO][5];
		if (overview_compute(r, c->id, 1, &ov) < 0 || support_compute(r, c->id, 1, sup) < 0)
			break;
		char pc[3][32];
		for (int k = 0; k < 3; k++) {
			long long *v = ov.cat[k], m = v[0] + v[1] + v[2];
			char a[32], b[32];
			report_pct(v[0], m, pc[k], sizeof pc[k]);
			report_table_addf(tov, "%s\x1f%s\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f%s", c->name,
					  report_categories[k], m, v[0], v[1], v[2], v[3], pc[k],
					  report_pct(v[1], m, a, sizeof a),
					  report_pct(v[2], m, b, sizeof b));
		}
		report_table_addf(cov, "%s\x1f%s\x1f%s\x1f%s", c->name, pc[0], pc[1], pc[2]);
		overview_headline_rows(thead, c->name, &ov, r->o->threshold);
		char line[1024];
		int len = snprintf(line, sizeof line, "%s", c->name);
		for (size_t p = 0; p < REPORT_NPROTO; p++) {
			char q[4][32];
			for (int k = 0; k < 4; k++)
				report_pct(sup[p][k + 1], sup[p][0], q[k], sizeof q[k]);
			report_table_addf(tsup, "%s\x1f%s\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%lld\x1f%s\x1f%s\x1f%s\x1f%s",
					  c->name, report_protocols[p].label, sup[p][0], sup[p][1],
					  sup[p][2], sup[p][3], sup[p][4], q[0], q[1], q[2], q[3]);
			len += snprintf(line + len, sizeof line - (size_t)len, "\x1f%s", q[0]);
		}
		report_table_addf(csup, "%s", line);
	}
	static const struct report_chart c1 = {"trend_overview",
					       "Domains protected per category, over the campaigns",
					       REPORT_CHART_LINES, "% protected", 100};
	static const struct report_chart c2 = {"trend_support",
					       "Support per protocol, over the campaigns",
					       REPORT_CHART_LINES, "% supported", 100};
	report_chart(r, &c1, cov, "Figure 11: share protected per category over the campaigns");
	report_html_table(r->html, tov, "Per category and campaign", 0);
	report_html_table(r->html, thead, "Headline figures per campaign", 0);
	report_chart(r, &c2, csup, "Figure 12: share supported per protocol over the campaigns");
	report_html_table(r->html, csup, "% supported per protocol and campaign", 0);
	report_csv(r, tov);
	report_csv(r, thead);
	report_csv(r, tsup);

	/* Error kinds and provider concentration per campaign, over the common domains. */
	struct report_table *terr =
	    report_table_new("trend_errors", "campaign,protocol,error,domains");
	struct report_table *tprov = report_table_new(
	    "trend_providers", "campaign,largest,domains,pct_of_domains");
	for (size_t i = 0; i < n && !r->failed; i++) {
		const struct report_campaign *c = trend_campaign(r, i);
		struct report_table *e = rq(
		    r, "trend_errors_raw",
		    "SELECT protocol, mxs_reason_kind(reason), COUNT(*) FROM v_protocol_outcome "
		    "WHERE campaign_id = ?1 AND outcome = 'with_errors' AND domain IN (SELECT "
		    "domain FROM temp.report_common) GROUP BY 1, 2 ORDER BY 3 DESC, 1, 2",
		    "i", (long long)c->id, 0, 0);
		for (size_t j = 0; e && j < e->nrows; j++)
			report_table_addf(terr, "%s\x1f%s\x1f%s\x1f%s", c->name, report_table_get(e, j, 0),
					  report_table_get(e, j, 1), report_table_get(e, j, 2));
		report_table_free(e);
		if (report_fill_providers(r, c->id) < 0)
			break;
		struct report_table *pv = rq(
		    r, "trend_providers_raw",
		    "SELECT COUNT(*) FROM v_domain_provider WHERE campaign_id = ?1 AND provider IS "
		    "NOT NULL AND domain IN (SELECT domain FROM temp.report_common) GROUP BY provider "
		    "ORDER BY 1 DESC",
		    "i", (long long)c->id, 0, 0);
		long long total = 0, cum = 0;
		for (size_t j = 0; pv && j < pv->nrows; j++)
			total += report_table_int(pv, j, 0);
		static const size_t cuts[] = {1, 5, 10, 20};
		for (size_t k = 0, j = 0; pv && k < 4; k++) {
			for (; j < cuts[k] && j < pv->nrows; j++)
				cum += report_table_int(pv, j, 0);
			char p[32];
			report_table_addf(tprov, "%s\x1f%zu\x1f%lld\x1f%s", c->name, cuts[k], cum,
					  report_pct(cum, total, p, sizeof p));
		}
		report_table_free(pv);
	}
	fputs("<h3>Deployment errors and providers over the campaigns</h3>\n", r->html);
	report_html_table(r->html, terr, "Error kinds per campaign (domains)", 30);
	report_html_table(r->html, tprov, "Share of the domains on the largest providers", 0);
	report_csv(r, terr);
	report_csv(r, tprov);
	report_table_free(terr);
	report_table_free(tprov);

	const struct report_campaign *prev = trend_campaign(r, n - 2);
	struct report_table *chg =
	    rq(r, "trend_changes",
	       "SELECT domain, confidentiality_from, confidentiality_to, spoofing_from, "
	       " spoofing_to, integrity_from, integrity_to, change, verdicts_changed "
	       "FROM v_score_changes WHERE from_campaign_id = ?1 AND to_campaign_id = ?2 AND "
	       " (confidentiality_from IS NOT confidentiality_to OR spoofing_from IS NOT "
	       " spoofing_to OR integrity_from IS NOT integrity_to) "
	       "ORDER BY change DESC, domain LIMIT 20",
	       "ii", (long long)prev->id, (long long)r->c->id, 0);
	if (chg) {
		char cap[300];
		snprintf(cap, sizeof cap, "Largest score changes from %s to %s", prev->name,
			 r->c->name);
		fputs("<h3>", r->html);
		report_html_escape(r->html, cap);
		fputs("</h3>\n", r->html);
		if (chg->nrows == 0)
			report_p(r, "No domain's score changed.");
		report_html_table(r->html, chg, cap, 0);
		report_csv(r, chg);
	}
	report_html_section_end(r->html);
	report_table_free(chg);
	report_table_free(cmp);
	report_table_free(tov);
	report_table_free(cov);
	report_table_free(thead);
	report_table_free(csup);
	report_table_free(tsup);
}

/* ---- method ---- */

/* The scoring table and mode of the campaign's configuration snapshot, as a sentence. */
static void report_scoring(const char *config, char *out, size_t len)
{
	json_t *j = config ? json_loads(config, 0, NULL) : NULL;
	const char *file = json_string_value(json_object_get(json_object_get(j, "scoring"), "file"));
	const char *mode = score_mode_name(score_table_builtin()->mode), *where = "built into mxsurvey";
	char err[300] = "";
	struct score_table *t = NULL;
	if (file && file[0]) {
		where = file;
		if (scoring_load(file, &t, err, sizeof err) == 0)
			mode = score_mode_name(t->mode);
		else
			mode = NULL;
	}
	snprintf(out, len,
		 "Scores are MECSA's (0-10 per category, stars = score / 2), stored with each result "
		 "by the scoring table in force when the domain was scanned (or when the campaign "
		 "was last re-scored with mxsurvey rescore). The table of the campaign's "
		 "configuration: %s; its mode: %s%s%s.",
		 where, mode ? mode : "unknown (", mode ? "" : err, mode ? "" : ")");
	score_table_free(t);
	json_decref(j);
}

static void fig_method(struct report *r)
{
	const struct report_campaign *c = r->c;
	report_html_section(r->html, "method", "8. Method", NULL);
	char t1[40], t2[40];
	struct report_table *t = report_table_new("method", "item,value");
	report_table_addf(t, "campaign\x1f%s", c->name);
	report_table_addf(t, "state\x1f%s", c->state);
	report_table_addf(t, "started\x1f%s", report_time(c->started_at, t1, sizeof t1));
	report_table_addf(t, "finished\x1f%s", report_time(c->finished_at, t2, sizeof t2));
	report_table_addf(t, "mxsurvey version\x1f%s", MXSURVEY_VERSION);
	report_table_addf(t, "threshold (stars)\x1f%.1f", r->o->threshold);
	report_table_addf(t, "domains submitted\x1f%lld", c->submitted);
	report_table_addf(t, "results\x1f%lld", c->results);
	report_table_addf(t, "scanned\x1f%lld", c->scanned);
	report_table_addf(t, "invalid (not domain names)\x1f%lld", c->invalid);
	report_table_addf(t, "failed\x1f%lld", c->failed);
	report_table_addf(t, "not measured (a score withheld)\x1f%lld", c->not_measured);
	report_table_addf(t, "with a verdict not determined (DNS error, not testable)\x1f%lld",
			  c->undetermined);
	report_table_addf(t, "not scanned yet (pending, running)\x1f%lld", c->pending + c->running);
	for (size_t i = 0; i < r->n_older; i++)
		report_table_addf(t, "compared with\x1f%s", r->older[i].name);
	report_html_table(r->html, t, "The campaign", 0);
	report_csv(r, t);
	report_table_free(t);
	fputs("<h3>Scoring</h3>\n", r->html);
	char scoring[700];
	report_scoring(c->config, scoring, sizeof scoring);
	report_p(r, scoring);
	fputs("<h3>Definitions</h3>\n<dl>\n", r->html);
	static const char *const defs[][2] = {
	    {"scanned", "a domain whose scan ended with a result (state scanned); invalid lines "
			"and failed scans are counted apart and in no figure"},
	    {"protected / minimum / not protected", "at least the threshold in stars / more "
						    "than 0 but fewer / 0 stars"},
	    {"not measured", "a withheld score (NULL), or a verdict dns_error or not_testable; "
			     "never counted as absent or 0"},
	    {"supported", "the protocol's verdict is pass"},
	    {"deployed with errors", "the verdict is fail (for StartTLS: offered by at least "
				     "one MX address but failing the 80 % rule)"},
	    {"absent", "the verdict is absent (for StartTLS: no MX address offers it)"},
	    {"provider", "the registrable domain of the most preferred MX host name"},
	    {"error kind", "a verdict reason with names, addresses, URLs, quoted text and "
			   "numbers folded"},
	};
	for (size_t i = 0; i < sizeof defs / sizeof *defs; i++) {
		fputs("<dt>", r->html);
		report_html_escape(r->html, defs[i][0]);
		fputs("</dt><dd>", r->html);
		report_html_escape(r->html, defs[i][1]);
		fputs("</dd>\n", r->html);
	}
	fputs("</dl>\n<p>The queries read the views documented in schema/VIEWS.md; dashboards "
	      "read the same views.</p>\n",
	      r->html);
	fputs("<h3>Configuration snapshot</h3>\n<details><summary>the configuration the "
	      "campaign was submitted with</summary><pre>",
	      r->html);
	report_html_escape(r->html, c->config ? c->config : "(none recorded)");
	fputs("</pre></details>\n", r->html);
	report_html_section_end(r->html);
}

/* ---- the page ---- */

static int report_finish_html(struct report *r)
{
	char *path = xasprintf("%s/index.html", r->o->dir);
	char *tmp = xasprintf("%s/.index.html.tmp", r->o->dir);
	FILE *out = fopen(tmp, "w");
	int rc = 0;
	if (out == NULL) {
		snprintf(r->err, r->errlen, "%s: %s", tmp, strerror(errno));
		free(path);
		free(tmp);
		return -1;
	}
	char *p = r->html_buf, *end = r->html_buf + r->html_len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		if (len > strlen(REPORT_FIG_MARK) &&
		    memcmp(p, REPORT_FIG_MARK, strlen(REPORT_FIG_MARK)) == 0) {
			char *line = xstrndup(p + strlen(REPORT_FIG_MARK), len - 1 -
										strlen(REPORT_FIG_MARK));
			char *sp = strchr(line, ' ');
			if (sp)
				*sp = '\0';
			if (report_html_figure(out, r->o->dir, line, sp ? sp + 1 : "") < 0) {
				snprintf(r->err, r->errlen, "%s/figures/%s.svg: cannot read",
					 r->o->dir, line);
				rc = -1;
			}
			free(line);
		} else {
			fwrite(p, 1, len, out);
		}
		p += len;
	}
	if (fclose(out) != 0 && rc == 0) {
		snprintf(r->err, r->errlen, "%s: %s", tmp, strerror(errno));
		rc = -1;
	}
	if (rc == 0 && rename(tmp, path) < 0) {
		snprintf(r->err, r->errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	if (rc < 0)
		unlink(tmp);
	free(path);
	free(tmp);
	return rc;
}

int report_write(sqlite3 *db, const struct report_campaign *c,
		 const struct report_campaign *older, size_t n_older,
		 const struct report_options *o, char *err, size_t errlen)
{
	struct report r = {.db = db, .c = c, .older = older, .n_older = n_older, .o = o,
			   .tscore = 2.0 * o->threshold, .err = err, .errlen = errlen};
	if (sqlite3_create_function(db, "mxs_reason_kind", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, report_sql_reason_kind, NULL, NULL) != SQLITE_OK ||
	    sqlite3_create_function(db, "mxs_provider", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
				    NULL, report_sql_provider, NULL, NULL) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "CREATE TEMP TABLE IF NOT EXISTS report_common (domain TEXT PRIMARY KEY) "
			 "WITHOUT ROWID; CREATE TEMP TABLE IF NOT EXISTS report_top (provider TEXT "
			 "PRIMARY KEY) WITHOUT ROWID",
			 NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "report set-up: %s", sqlite3_errmsg(db));
		return -1;
	}
	char banner[200], *note = NULL;
	int partial = c->pending + c->running > 0;
	if (partial) {
		snprintf(banner, sizeof banner,
			 "Campaign still running: %lld of %lld scanned. Every figure is of the "
			 "domains scanned so far.",
			 c->results, c->submitted);
		note = xasprintf("%lld of %lld scanned", c->results, c->submitted);
	}
	r.plot = report_plot_open(o->dir, note, err, errlen);
	free(note);
	if (r.plot == NULL)
		return -1;
	r.html = open_memstream(&r.html_buf, &r.html_len);
	char title[300], sub[400], t1[40], t2[40];
	snprintf(title, sizeof title, "Email security survey: %s", c->name);
	snprintf(sub, sizeof sub,
		 "%lld domains scanned; %s to %s; mxsurvey %s; MECSA checks and scores", c->scanned,
		 report_time(c->started_at, t1, sizeof t1),
		 c->finished_at ? report_time(c->finished_at, t2, sizeof t2) : "still running",
		 MXSURVEY_VERSION);
	report_html_begin(r.html, title, sub, partial ? banner : NULL);
	long long support[REPORT_NPROTO][5];
	memset(support, 0, sizeof support);
	fig_overview(&r);
	fig_support(&r, support);
	fig_errors(&r);
	fig_distributions(&r);
	fig_providers(&r);
	fig_categories(&r);
	fig_trends(&r);
	fig_method(&r);
	report_html_end(r.html);
	fclose(r.html);
	char perr[512];
	int prc = report_plot_close(r.plot, perr, sizeof perr);
	if (!r.failed && prc < 0) {
		snprintf(err, errlen, "%s", perr);
		r.failed = 1;
	}
	if (!r.failed && report_finish_html(&r) < 0)
		r.failed = 1;
	free(r.html_buf);
	return r.failed ? -1 : 0;
}

/* ---- campaigns ---- */

int report_campaign_load(sqlite3 *db, const char *name, struct report_campaign *c, char *err,
			 size_t errlen)
{
	memset(c, 0, sizeof *c);
	struct report_table *t = report_table_query(
	    db, "campaign", err, errlen,
	    "SELECT p.campaign_id, p.name, p.state, p.started_at, p.finished_at, c.config,"
	    " p.submitted, p.pending, p.running, r.results, r.scanned, r.invalid, r.failed,"
	    " r.not_measured, r.undetermined "
	    "FROM v_campaign_progress p JOIN v_campaign_results r ON r.campaign_id = "
	    "p.campaign_id JOIN campaigns c ON c.id = p.campaign_id WHERE p.name = ?1",
	    "s", name);
	if (t == NULL)
		return -1;
	if (t->nrows == 0) {
		report_table_free(t);
		return 0;
	}
	c->id = report_table_int(t, 0, 0);
	c->name = xstrdup(report_table_get(t, 0, 1));
	c->state = xstrdup(report_table_get(t, 0, 2));
	c->started_at = report_table_int(t, 0, 3);
	c->finished_at = report_table_int(t, 0, 4);
	c->config = report_table_get(t, 0, 5) ? xstrdup(report_table_get(t, 0, 5)) : NULL;
	c->submitted = report_table_int(t, 0, 6);
	c->pending = report_table_int(t, 0, 7);
	c->running = report_table_int(t, 0, 8);
	c->results = report_table_int(t, 0, 9);
	c->scanned = report_table_int(t, 0, 10);
	c->invalid = report_table_int(t, 0, 11);
	c->failed = report_table_int(t, 0, 12);
	c->not_measured = report_table_int(t, 0, 13);
	c->undetermined = report_table_int(t, 0, 14);
	report_table_free(t);
	return 1;
}

void report_campaign_clear(struct report_campaign *c)
{
	free(c->name);
	free(c->state);
	free(c->config);
	memset(c, 0, sizeof *c);
}
