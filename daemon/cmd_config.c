/* cmd_config.c — `mxsurvey config`: check a configuration and print it as it takes effect, or
 * describe every option the program knows (the table of config.c), for the manual page's
 * consistency test, the shell completion and scripts. Owns nothing beyond one call. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "daemon/cli.h"
#include "daemon/cmd.h"

static const char config_usage[] =
	"usage: mxsurvey config [-c FILE] [--set KEY=VALUE]...\n"
	"       mxsurvey config --options\n"
	"\n"
	"Checks the configuration (the defaults, then FILE, then the overrides: what every other\n"
	"command would run with) and prints it as JSON, the snapshot a new campaign records. With\n"
	"--options, lists every option instead, one per line: KEY, type, default, range\n"
	"(tab-separated).\n"
	"\n"
	"options:\n"
	"  -c, --config FILE      configuration file to check\n"
	"      --set KEY=VALUE    override a configuration option\n"
	"      --options          list the options: KEY TYPE DEFAULT RANGE\n"
	"  -h, --help\n"
	"\n"
	"exit status: 0 the configuration is valid; 2 usage or configuration error.\n";

enum { CONFIG_OPT_SET = 256, CONFIG_OPT_OPTIONS };

int cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"config", required_argument, NULL, 'c'},
		{"set", required_argument, NULL, CONFIG_OPT_SET},
		{"options", no_argument, NULL, CONFIG_OPT_OPTIONS},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *path = NULL;
	struct cmd_overrides ov = {0};
	int list = 0, c, rc = EXIT_OK;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case CONFIG_OPT_SET:
			if (cmd_overrides_add(&ov, optarg) < 0) {
				cmd_overrides_clear(&ov);
				return EXIT_USAGE;
			}
			break;
		case CONFIG_OPT_OPTIONS: list = 1; break;
		case 'h':
			fputs(config_usage, stdout);
			cmd_overrides_clear(&ov);
			return EXIT_OK;
		default:
			fputs(config_usage, stderr);
			cmd_overrides_clear(&ov);
			return EXIT_USAGE;
		}
	}
	if (optind < argc || (list && (path || ov.n))) {
		fprintf(stderr, "mxsurvey config: %s\n%s",
			optind < argc ? "no operands expected" : "--options takes no other option",
			config_usage);
		cmd_overrides_clear(&ov);
		return EXIT_USAGE;
	}
	if (list) {
		config_describe(stdout);
		return fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
	}
	struct config cfg;
	char err[512];
	if (cmd_config_build(&cfg, path, &ov, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		char *json = cmd_config_json(&cfg);
		puts(json);
		free(json);
	}
	config_clear(&cfg);
	cmd_overrides_clear(&ov);
	return rc;
}
