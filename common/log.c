/* log.c — levelled logging: stderr (with a level prefix) or syslog. */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

static enum log_level log_level_current = LOG_LEVEL_WARN;
static int log_to_syslog;

static const char *const log_level_names[] = {"error", "warn", "info", "debug"};
static const int log_syslog_prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};

void log_init(enum log_level level, int use_syslog)
{
	log_level_current = level;
	log_to_syslog = use_syslog;
	if (use_syslog)
		openlog("mxsurvey", LOG_PID, LOG_DAEMON);
}

void log_set_level(enum log_level level)
{
	log_level_current = level;
}

enum log_level log_get_level(void)
{
	return log_level_current;
}

int log_level_parse(const char *name)
{
	for (size_t i = 0; i < sizeof log_level_names / sizeof *log_level_names; i++)
		if (strcasecmp(name, log_level_names[i]) == 0)
			return (int)i;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (level > log_level_current)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (log_to_syslog) {
		vsyslog(log_syslog_prio[level], fmt, ap);
	} else {
		fprintf(stderr, "mxsurvey: %s: ", log_level_names[level]);
		vfprintf(stderr, fmt, ap);
		fputc('\n', stderr);
	}
	va_end(ap);
}
