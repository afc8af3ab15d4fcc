/* log.h — levelled logging to stderr or syslog. Remote failures are verdicts, not log lines:
 * log what the operator must act on. */
#ifndef MXS_LOG_H
#define MXS_LOG_H

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };

void log_init(enum log_level level, int use_syslog);
void log_set_level(enum log_level level);
enum log_level log_get_level(void);
/* Parse "error|warn|info|debug"; -1 when unknown. */
int log_level_parse(const char *name);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

#endif
