/* main.c — mxsurvey's entry point: dispatches to the subcommands. */
#include <stdio.h>
#include <string.h>

#include "daemon/cli.h"

static const char usage[] =
	"usage: mxsurvey COMMAND [OPTIONS]\n"
	"\n"
	"commands:\n"
	"  scan DOMAIN...       scan domains now and print their results\n"
	"  scan -f FILE         scan one domain per line of FILE ('-' for stdin)\n"
	"\n"
	"  mxsurvey COMMAND --help   options of a command\n"
	"  mxsurvey --version\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("mxsurvey %s\n", MXSURVEY_VERSION);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "scan") == 0)
		return cmd_scan(argc - 1, argv + 1);
	fprintf(stderr, "mxsurvey: unknown command '%s'\n\n%s", cmd, usage);
	return EXIT_USAGE;
}
