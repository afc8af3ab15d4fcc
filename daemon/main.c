/* main.c — mxsurvey's entry point: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/version.h"

static const char usage[] =
	"usage: mxsurvey COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  scan DOMAIN...       scan domains now and print their results\n"
	"  scan -f FILE         scan one domain per line of FILE ('-' for stdin)\n"
	"\n"
	"  daemon               scan the queued domains of every active campaign, until stopped\n"
	"  submit --campaign NAME FILE   add FILE's domains to a campaign (created when new)\n"
	"  status [--campaign NAME]      per campaign: rows per state, rate, ETA\n"
	"  pause|resume|cancel NAME      stop, restart or abandon a campaign's scanning\n"
	"  export --campaign NAME        its results as jsonl, json or csv\n"
	"  diff --from A --to B          domains whose verdicts or scores changed\n"
	"  merge OUT.db IN.db...         combine the databases of sharded runs\n"
	"  rescore [--scoring FILE]      judge and score stored evidence again, offline\n"
	"  report --campaign NAME --out DIR   the survey report (HTML, SVG/PDF figures, CSV)\n"
	"  show DOMAIN --campaign NAME   one domain's verdicts, scores and raw evidence\n"
	"  config [-c FILE]              check a configuration; --options lists every option\n"
	"\n"
	"  mxsurvey COMMAND --help   options of a command\n"
	"  mxsurvey --version\n";

struct main_command {
	const char *name;		  /* static: as typed */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

static const struct main_command main_commands[] = {
	{"scan", cmd_scan},	    {"daemon", cmd_daemon}, {"submit", cmd_submit},
	{"status", cmd_status},	    {"pause", cmd_pause},   {"resume", cmd_resume},
	{"cancel", cmd_cancel},	    {"export", cmd_export}, {"diff", cmd_diff},
	{"merge", cmd_merge},	    {"rescore", cmd_rescore},
	{"report", cmd_report},	    {"show", cmd_show},
	{"config", cmd_config},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		version_print(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof main_commands / sizeof *main_commands; i++)
		if (strcmp(cmd, main_commands[i].name) == 0)
			return main_commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "mxsurvey: unknown command '%s'\n\n%s", cmd, usage);
	return EXIT_USAGE;
}
