/* evlog.c — libevent's log callback: its messages into ours, its warnings counted and, in the test
 * suites (MXS_LIBEVENT_STRICT=1), fatal with a backtrace. Owns nothing. */
#include "daemon/evlog.h"

#include <event2/event.h>
#include <execinfo.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"

static unsigned long evlog_count;

static void evlog_counted(const char *what, const char *msg)
{
	evlog_count++;
	log_err("%s: %s", what, msg);
	const char *strict = getenv("MXS_LIBEVENT_STRICT");
	if (strict && strcmp(strict, "1") == 0) {
		/* Not from inside the log code: the frames below name the call that caused it. */
		void *frames[64];
		int n = backtrace(frames, 64);
		static const char head[] = "event loop warning with MXS_LIBEVENT_STRICT=1; "
					   "backtrace:\n";
		if (write(STDERR_FILENO, head, sizeof head - 1) < 0)
			abort();
		backtrace_symbols_fd(frames, n, STDERR_FILENO);
		abort();
	}
}

static void evlog_on_message(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		return;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		return;
	default:
		evlog_counted("libevent", msg);
	}
}

void evlog_bug(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	evlog_counted("event loop", msg);
}

void evlog_init(void)
{
	event_set_log_callback(evlog_on_message);
}

unsigned long evlog_warnings(void)
{
	return evlog_count;
}
