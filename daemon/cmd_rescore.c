/* cmd_rescore.c — `mxsurvey rescore`: judge stored evidence again, without the network. For each
 * result with evidence: evidence_from_json -> check_evaluate_all -> score_apply with the scoring
 * table (a file, or the built-in MECSA table), then the result's JSON, scores, verdict and MX rows
 * are replaced in place, a page of results per transaction. Owns the table it loads. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/x509.h"
#include "daemon/tls.h"
#include "checks/check.h"
#include "checks/evidence_json.h"
#include "checks/result_json.h"
#include "checks/score.h"
#include "common/log.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/scoring_load.h"
#include "daemon/store.h"

#define RESCORE_PAGE 500 /* results per transaction */

static const char rescore_usage[] =
	"usage: mxsurvey rescore [--db PATH | -c CONFIG] [--campaign NAME] [--scoring FILE]\n"
	"\n"
	"Re-evaluates every stored result that has its evidence (all campaigns, or NAME) with\n"
	"this program's checks and scores it with FILE (a scoring.yaml; default: scoring.file\n"
	"of the configuration, else the built-in MECSA table). Results whose judgement changes\n"
	"are rewritten in place: result JSON, scores, verdict and MX rows; scan time and\n"
	"evidence are kept. No network. Safe next to a running daemon (short transactions), and\n"
	"safe to interrupt.\n"
	"\n"
	"options:\n"
	"      --db PATH         the store (default: store.path of the configuration)\n"
	"  -c, --config FILE     configuration file\n"
	"      --set KEY=VALUE   override a configuration option\n"
	"      --campaign NAME   only this campaign\n"
	"      --scoring FILE    the scoring table\n"
	"  -q, --quiet           no summary\n";

enum { OPT_DB = 256, OPT_CAMPAIGN, OPT_SCORING, OPT_SET };

static const struct option rescore_options[] = {
	{"db", required_argument, NULL, OPT_DB},
	{"config", required_argument, NULL, 'c'},
	{"campaign", required_argument, NULL, OPT_CAMPAIGN},
	{"scoring", required_argument, NULL, OPT_SCORING},
	{"set", required_argument, NULL, OPT_SET},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct rescore_counts {
	int64_t seen;	   /* results with evidence */
	int64_t changed;   /* rewritten */
	int64_t unreadable; /* evidence that could not be read back (left as they were) */
};

/* Judge one stored evidence; 1 rewritten, 0 unchanged or unreadable, -1 store error. */
static int rescore_one(struct store *st, const struct score_table *table,
		       const struct store_evidence_row *row, struct rescore_counts *n)
{
	json_error_t jerr;
	char why[256];
	json_t *ej = json_loads(row->evidence ? row->evidence : "", 0, &jerr);
	if (ej == NULL)
		snprintf(why, sizeof why, "%s", jerr.text);
	struct evidence *ev = ej ? evidence_from_json(ej, why, sizeof why) : NULL;
	json_decref(ej);
	if (ev == NULL) {
		log_warn("result %lld: evidence unreadable (%s): left as it was",
			 (long long)row->result_id, why);
		n->unreadable++;
		return 0;
	}
	struct result *res = result_new(ev->domain);
	res->attempts = row->attempts; /* the scans it took stay part of the result */
	check_evaluate_all(ev, res);
	score_apply(table, res);
	json_t *fresh = result_to_json(res);
	json_t *old = json_loads(row->result ? row->result : "", 0, &jerr);
	int rc = 0;
	if (old == NULL || !json_equal(old, fresh)) {
		rc = store_replace_result(st, row->result_id, res) < 0 ? -1 : 1;
		n->changed += rc > 0;
	}
	json_decref(old);
	json_decref(fresh);
	result_free(res);
	evidence_free(ev);
	return rc;
}

static int rescore_run(struct store *st, int64_t cid, const struct score_table *table,
		       struct rescore_counts *n)
{
	static struct store_evidence_row rows[RESCORE_PAGE];
	int64_t after = 0;
	for (;;) {
		int got = store_evidence_page(st, cid, after, rows, RESCORE_PAGE);
		if (got <= 0)
			return got;
		int rc = store_begin(st);
		for (int i = 0; i < got; i++) {
			if (rc == 0 && rescore_one(st, table, &rows[i], n) < 0)
				rc = -1;
			after = rows[i].result_id;
			free(rows[i].evidence);
			free(rows[i].result);
			n->seen++;
		}
		if (rc < 0 || store_commit(st) < 0)
			return -1; /* closing the store rolls the page back */
	}
}

int cmd_rescore(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *campaign = NULL, *scoring = NULL;
	struct cmd_overrides ov = {0};
	struct config cfg = {0};
	X509_STORE *trust = NULL;
	struct store *st = NULL;
	struct score_table *table = NULL;
	int quiet = 0, c, rc = EXIT_USAGE;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:qh", rescore_options, NULL)) != -1) {
		switch (c) {
		case OPT_DB: db = optarg; break;
		case 'c': config = optarg; break;
		case OPT_CAMPAIGN: campaign = optarg; break;
		case OPT_SCORING: scoring = optarg; break;
		case OPT_SET:
			if (cmd_overrides_add(&ov, optarg) < 0)
				goto out;
			break;
		case 'q': quiet = 1; break;
		case 'h': fputs(rescore_usage, stdout); rc = EXIT_OK; goto out;
		default: fputs(rescore_usage, stderr); goto out;
		}
	}
	if (optind != argc) {
		fputs(rescore_usage, stderr);
		goto out;
	}
	if (cmd_config_build(&cfg, config, &ov, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		goto out;
	}
	cmd_log_setup(&cfg, quiet ? -1 : 0, 0);
	if (scoring == NULL && cfg.scoring_file && cfg.scoring_file[0])
		scoring = cfg.scoring_file;
	if (scoring && scoring_load(scoring, &table, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		goto out;
	}
	if (db == NULL)
		db = cfg.store_path;
	if (db == NULL || db[0] == '\0') {
		fprintf(stderr,
			"mxsurvey: no database: give --db PATH, or -c CONFIG with store.path\n");
		goto out;
	}
	rc = EXIT_RUNTIME;
	if ((st = store_open(db, err, sizeof err)) == NULL) {
		fprintf(stderr, "mxsurvey: cannot open the store: %s\n", err);
		goto out;
	}
	int64_t cid = 0;
	if (campaign && (cid = store_campaign_find(st, campaign)) < 0) {
		fprintf(stderr, "mxsurvey: no campaign named '%s'\n", campaign);
		rc = EXIT_USAGE;
		goto out;
	}
	/* The x509 evaluator judges stored chains against the configured CA bundle. */
	trust = tls_trust_load(cfg.ca_file, err, sizeof err);
	if (trust == NULL) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		goto out;
	}
	x509_set_trust(trust);
	struct rescore_counts n = {0};
	if (rescore_run(st, cid, table ? table : score_table_builtin(), &n) < 0) {
		fprintf(stderr, "mxsurvey: rescore failed after %lld results: %s (run it again: it "
				"resumes where results still differ)\n",
			(long long)n.seen, store_errmsg(st));
		goto out;
	}
	if (!quiet)
		printf(
		    "rescored %lld results with %s: %lld changed, %lld with unreadable evidence\n",
		    (long long)n.seen, scoring ? scoring : "the built-in MECSA table",
		    (long long)n.changed, (long long)n.unreadable);
	rc = EXIT_OK;
out:
	x509_set_trust(NULL);
	X509_STORE_free(trust);
	store_close(st);
	score_table_free(table);
	config_clear(&cfg);
	cmd_overrides_clear(&ov);
	return rc;
}
