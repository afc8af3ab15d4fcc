/* evlog.h — libevent's own diagnostics, routed into the log. A warning or error from libevent (an
 * event added on a closed descriptor, an epoll_ctl that failed) is a bug of ours: it is logged
 * as an error ("libevent: ..."), counted, and, with MXS_LIBEVENT_STRICT=1 in the environment
 * (the test suites set it), fatal at once: the process prints a backtrace and aborts, so that
 * no such warning goes unnoticed and the call that caused it is named. */
#ifndef MXS_EVLOG_H
#define MXS_EVLOG_H

/* Install the callback (process-wide; calling it again is harmless). */
void evlog_init(void);
/* libevent warnings and errors since the start of the process (and evlog_bug reports). */
unsigned long evlog_warnings(void);
/* The same treatment for a misuse of the event loop found by our own code (logged, counted,
 * fatal with MXS_LIBEVENT_STRICT=1). */
void evlog_bug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
