/* evlog.h — libevent's own diagnostics, routed into the log. A warning or error from libevent (an
 * event added on a closed descriptor, an epoll_ctl that failed) is a bug of ours: it is logged
 * as an error ("libevent: ..."), counted, and, with MXS_LIBEVENT_STRICT=1 in the environment
 * (the test suites set it), fatal at once: the process prints a backtrace and aborts, so that
 * no such warning goes unnoticed and the call that caused it is named. */
#ifndef MXS_EVLOG_H
#define MXS_EVLOG_H

/* Install the callback (process-wide; calling it again is harmless). */
void evlog_init(void);
/* libevent warnings and errors since the start of the process. */
unsigned long evlog_warnings(void);

#endif
