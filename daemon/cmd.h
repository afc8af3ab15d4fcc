/* cmd.h — the daemon and campaign subcommands (daemon, submit, status, pause, resume, cancel,
 * export, diff, merge, rescore) and the option handling they share. Exit codes are cli.h's. */
#ifndef MXS_CMD_H
#define MXS_CMD_H
#include <stddef.h>

#include "daemon/config.h"

struct store;

int cmd_daemon(int argc, char **argv);
int cmd_submit(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_cancel(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_rescore(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_config(int argc, char **argv);

/* --set KEY=VALUE overrides, kept so that a reload can apply them again. */
struct cmd_overrides {
	size_t n;	/* entries */
	char **key;	/* owned: dotted option names, each owned */
	char **value;	/* owned: values, each owned */
};

/* Record "KEY=VALUE" (-1 with a message on stderr when there is no '='). */
int cmd_overrides_add(struct cmd_overrides *ov, const char *arg);
void cmd_overrides_clear(struct cmd_overrides *ov);
/* Defaults, then path (NULL: none), then the overrides, then config_validate. -1 with the reason
 * in err and cfg holding something config_clear can free. */
int cmd_config_build(struct config *cfg, const char *path, const struct cmd_overrides *ov,
		     char *err, size_t errlen);
/* The effective configuration as compact JSON (owned): a campaign's snapshot. */
char *cmd_config_json(const struct config *cfg);
/* Open, for reading, a store that must exist: db, else the configuration's store.path. NULL
 * with the reason on stderr and *rc set (EXIT_USAGE: no database named; EXIT_RUNTIME: it cannot
 * be opened). Creates nothing. */
struct store *cmd_store_open_existing(const struct config *cfg, const char *db, int *rc);
/* Log to stderr at the configured level moved by verbosity (-v +1, -q: errors only). */
void cmd_log_setup(const struct config *cfg, int verbosity, int force_syslog);

#endif
