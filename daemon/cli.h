/* cli.h — subcommands of the mxsurvey program and what they share (exit codes, config). */
#ifndef MXS_CLI_H
#define MXS_CLI_H

#include "daemon/config.h"

/* Exit codes, documented in the README and --help. */
enum {
	EXIT_OK = 0,	     /* every input has its result */
	EXIT_INVALID = 1,    /* done, but some inputs were not valid domain names */
	EXIT_USAGE = 2,	     /* bad command line or configuration */
	EXIT_RUNTIME = 3,    /* could not run: store, DNS or loop setup, or a write failed */
};

#define MXSURVEY_VERSION "0.1.0"

int cmd_scan(int argc, char **argv);

/* Load -c FILE (or the defaults) into cfg; on error prints it and returns -1. */
int cli_load_config(struct config *cfg, const char *path);

#endif
