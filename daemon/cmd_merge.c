/* cmd_merge.c — `mxsurvey merge OUT.db IN.db...`: combines shard databases into one (campaigns of
 * the same name become one campaign). The work is store_merge's; this is the command line. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/store.h"

static const char merge_usage[] =
	"usage: mxsurvey merge [-q] OUT.db IN.db...\n"
	"\n"
	"Copies every campaign of each IN.db into OUT.db (created when missing). Campaigns are\n"
	"matched by name: the shards of one `--campaign NAME` run become one campaign again,\n"
	"its rows in the input order of the full list. Queue rows, results, verdicts, MX rows\n"
	"and evidence get new ids; a domain the merged campaign already has is skipped (merging\n"
	"the same shard twice adds nothing); rows a killed shard left running come in as\n"
	"pending. Each IN.db is merged in one transaction and only read: opened read-only and\n"
	"checked first (quick_check, SQLite's defensive settings), it is refused when corrupt,\n"
	"of an unknown schema version, or holding a trigger, view, table or index that is not\n"
	"this mxsurvey's; an older schema is upgraded in a temporary copy next to OUT.db.\n"
	"\n"
	"exit status: 0 all merged; 2 usage error; 3 a database could not be read or written (the\n"
	"             inputs merged before it stay merged).\n";

static const struct option merge_options[] = {
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

int cmd_merge(int argc, char **argv)
{
	int quiet = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "qh", merge_options, NULL)) != -1) {
		switch (c) {
		case 'q': quiet = 1; break;
		case 'h': fputs(merge_usage, stdout); return EXIT_OK;
		default: fputs(merge_usage, stderr); return EXIT_USAGE;
		}
	}
	if (argc - optind < 2) {
		fputs(merge_usage, stderr);
		return EXIT_USAGE;
	}
	log_init(quiet ? LOG_LEVEL_ERROR : LOG_LEVEL_WARN, 0);
	char err[512];
	const char *out = argv[optind];
	struct store *st = store_open(out, err, sizeof err);
	if (st == NULL) {
		fprintf(stderr, "mxsurvey: cannot open %s: %s\n", out, err);
		return EXIT_RUNTIME;
	}
	int rc = EXIT_OK;
	for (int i = optind + 1; i < argc; i++) {
		struct store_merge_stats n;
		if (store_merge(st, argv[i], &n, err, sizeof err) < 0) {
			fprintf(stderr, "mxsurvey: merge: %s\n", err);
			rc = EXIT_RUNTIME;
			break;
		}
		if (!quiet)
			printf("%s: %lld campaign(s) new, %lld merged; %lld rows, %lld results "
			       "copied; "
			       "%lld duplicate rows skipped\n",
			       argv[i], (long long)n.campaigns_new, (long long)n.campaigns_merged,
			       (long long)n.queued, (long long)n.results, (long long)n.duplicates);
	}
	store_close(st);
	return rc;
}
