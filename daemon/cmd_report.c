/* cmd_report.c — `mxsurvey report`: a campaign's survey (and its trends over earlier campaigns)
 * as a self-contained directory: index.html, figures/NAME.svg and .pdf, tables/NAME.csv. This
 * file is the command line and the checks of its input; the figures are report.c's. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/xalloc.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/report.h"
#include "daemon/report_categories.h"
#include "daemon/store.h"

static const char report_usage[] =
	"usage: mxsurvey report [-c CONFIG] [--db PATH] --campaign NAME [--compare NAME]...\n"
	"                       [--categories FILE.csv] [--threshold STARS] --out DIR\n"
	"\n"
	"Writes the survey of campaign NAME into DIR: index.html (opens offline, every chart\n"
	"embedded), figures/NAME.svg and .pdf, tables/NAME.csv (the numbers behind each chart).\n"
	"Sections: overview per category, support per protocol, most common deployment errors,\n"
	"score distributions, providers, categories, trends, method. Every number comes from SQL\n"
	"over the v_* views (schema/VIEWS.md); gnuplot draws the charts.\n"
	"\n"
	"options:\n"
	"      --campaign NAME     the campaign (required); one still running is reported as\n"
	"                          \"N of M scanned\"\n"
	"      --compare NAME      an earlier campaign for the trends; repeat, oldest first (or\n"
	"                          NAME,NAME...)\n"
	"      --categories FILE   CSV lines domain,category (JRC Table 4.2): bad lines are\n"
	"                          reported with their line numbers and skipped\n"
	"      --threshold STARS   stars for \"protected\" (default 3.5, as the study; 0 < STARS <= 5)\n"
	"      --out DIR           the report directory (created; files in it are replaced)\n"
	"      --db PATH           the store (default: store.path of the configuration)\n"
	"  -c, --config FILE       configuration file (for store.path)\n"
	"      --set KEY=VALUE     override a configuration option\n"
	"  -q, --quiet             no summary line\n"
	"\n"
	"exit status: 0 written; 2 usage error (unknown or empty campaign, bad option);\n"
	"             3 the store, an input file or DIR could not be read or written.\n";

enum { RO_DB = 256, RO_CAMPAIGN, RO_COMPARE, RO_CATEGORIES, RO_THRESHOLD, RO_OUT, RO_SET };

static const struct option report_options[] = {
	{"db", required_argument, NULL, RO_DB},
	{"config", required_argument, NULL, 'c'},
	{"campaign", required_argument, NULL, RO_CAMPAIGN},
	{"compare", required_argument, NULL, RO_COMPARE},
	{"categories", required_argument, NULL, RO_CATEGORIES},
	{"threshold", required_argument, NULL, RO_THRESHOLD},
	{"out", required_argument, NULL, RO_OUT},
	{"set", required_argument, NULL, RO_SET},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* mkdir -p: 0, or -1 with errno. */
static int report_mkdirs(const char *path)
{
	char *p = xstrdup(path);
	int rc = 0;
	for (char *s = p + 1; rc == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0777) < 0 && errno != EEXIST)
			rc = -1;
		else if (c == '\0') {
			struct stat sb;
			if (stat(p, &sb) < 0)
				rc = -1;
			else if (!S_ISDIR(sb.st_mode)) {
				errno = ENOTDIR;
				rc = -1;
			}
		}
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return rc;
}

/* DIR, DIR/figures and DIR/tables exist and DIR takes a file. 0, or -1 (printed). */
static int report_prepare_out(const char *dir)
{
	static const char *const subs[] = {"", "/figures", "/tables"};
	for (size_t i = 0; i < 3; i++) {
		char *p = xasprintf("%s%s", dir, subs[i]);
		int rc = report_mkdirs(p);
		if (rc < 0)
			fprintf(stderr, "mxsurvey: cannot write the report to %s: %s: %s\n", dir, p,
				strerror(errno));
		free(p);
		if (rc < 0)
			return -1;
	}
	char *probe = xasprintf("%s/.mxsurvey-write-test", dir);
	FILE *f = fopen(probe, "w");
	int rc = f ? 0 : -1;
	if (f == NULL)
		fprintf(stderr, "mxsurvey: cannot write the report to %s: %s\n", dir,
			strerror(errno));
	else
		fclose(f);
	unlink(probe);
	free(probe);
	return rc;
}

int cmd_report(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *campaign = NULL, *categories = NULL, *out = NULL;
	char **compare = NULL;
	size_t n_compare = 0;
	double threshold = 3.5;
	int quiet = 0, c, rc = EXIT_USAGE;
	struct cmd_overrides ov = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	struct report_campaign main_c = {0}, *older = NULL;
	size_t n_older = 0;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:qh", report_options, NULL)) != -1) {
		switch (c) {
		case RO_DB: db = optarg; break;
		case 'c': config = optarg; break;
		case RO_CAMPAIGN: campaign = optarg; break;
		case RO_CATEGORIES: categories = optarg; break;
		case RO_OUT: out = optarg; break;
		case RO_COMPARE:
			for (char *s = optarg, *e; s; s = e ? e + 1 : NULL) {
				e = strchr(s, ',');
				compare = xrealloc(compare, (n_compare + 1) * sizeof *compare);
				compare[n_compare++] = e ? xstrndup(s, (size_t)(e - s)) : xstrdup(s);
			}
			break;
		case RO_THRESHOLD: {
			char *end;
			errno = 0;
			threshold = strtod(optarg, &end);
			if (errno || end == optarg || *end || !(threshold > 0 && threshold <= 5)) {
				fprintf(stderr, "mxsurvey report: --threshold wants stars, 0 < STARS "
						"<= 5, got '%s'\n",
					optarg);
				goto out;
			}
			break;
		}
		case RO_SET:
			if (cmd_overrides_add(&ov, optarg) < 0)
				goto out;
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(report_usage, stdout); rc = EXIT_OK; goto out;
		default: fputs(report_usage, stderr); goto out;
		}
	}
	if (optind != argc || campaign == NULL || out == NULL || out[0] == '\0') {
		fprintf(stderr, "mxsurvey report: %s\n%s",
			optind != argc ? "unexpected operand"
			: campaign == NULL ? "--campaign NAME is required"
					   : "--out DIR is required",
			report_usage);
		goto out;
	}
	if (cmd_config_build(&cfg, config, &ov, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		goto out;
	}
	cmd_log_setup(&cfg, -1, 0);
	if ((st = cmd_store_open_existing(&cfg, db, &rc)) == NULL)
		goto out;
	rc = EXIT_RUNTIME;
	struct sqlite3 *sq = store_db(st);
	int found = report_campaign_load(sq, campaign, &main_c, err, sizeof err);
	if (found <= 0) {
		if (found < 0)
			fprintf(stderr, "mxsurvey: %s\n", err);
		else
			fprintf(stderr, "mxsurvey: no campaign named '%s'\n", campaign);
		rc = found < 0 ? EXIT_RUNTIME : EXIT_USAGE;
		goto out;
	}
	older = xcalloc(n_compare + 1, sizeof *older);
	for (size_t i = 0; i < n_compare; i++) {
		if (strcmp(compare[i], campaign) == 0) {
			fprintf(stderr, "mxsurvey: --compare %s is the campaign reported on\n",
				compare[i]);
			rc = EXIT_USAGE;
			goto out;
		}
		found = report_campaign_load(sq, compare[i], &older[n_older], err, sizeof err);
		if (found <= 0) {
			if (found < 0)
				fprintf(stderr, "mxsurvey: %s\n", err);
			else
				fprintf(stderr, "mxsurvey: no campaign named '%s' (--compare)\n",
					compare[i]);
			rc = found < 0 ? EXIT_RUNTIME : EXIT_USAGE;
			goto out;
		}
		n_older++;
	}
	for (size_t i = 0; i <= n_older; i++) {
		const struct report_campaign *x = i < n_older ? &older[i] : &main_c;
		if (x->scanned == 0) {
			fprintf(stderr,
				"mxsurvey: campaign '%s' has no scanned domain yet (%lld submitted, "
				"%lld results): nothing to report\n",
				x->name, x->submitted, x->results);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (report_prepare_out(out) < 0)
		goto out;
	struct report_options o = {.dir = out, .threshold = threshold};
	if (categories) {
		struct report_categories_stats cs;
		if (report_categories_load(sq, categories, stderr, &cs, err, sizeof err) < 0) {
			fprintf(stderr, "mxsurvey: --categories %s\n", err);
			goto out;
		}
		if (cs.bad)
			fprintf(stderr, "mxsurvey: %s: %lld bad line%s skipped, %lld domains used\n",
				categories, cs.bad, cs.bad == 1 ? "" : "s", cs.loaded);
		o.categories = 1;
		o.categories_path = categories;
		o.categories_bad = cs.bad;
	}
	if (report_write(sq, &main_c, older, n_older, &o, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: report: %s\n", err);
		goto out;
	}
	if (!quiet)
		printf("report of %s written to %s/index.html%s\n", main_c.name, out,
		       main_c.pending + main_c.running ? " (campaign still running)" : "");
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < n_older; i++)
		report_campaign_clear(&older[i]);
	free(older);
	report_campaign_clear(&main_c);
	for (size_t i = 0; i < n_compare; i++)
		free(compare[i]);
	free(compare);
	store_close(st);
	config_clear(&cfg);
	cmd_overrides_clear(&ov);
	return rc;
}
