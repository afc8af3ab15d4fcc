/* notify.h — telling systemd how the daemon is doing (Type=notify, sd_notify(3)): READY once it
 * scans, RELOADING/READY around a SIGHUP, STOPPING on drain, STATUS progress lines and watchdog
 * keep-alives. Outside systemd (no $NOTIFY_SOCKET) every call is a cheap no-op. */
#ifndef MXS_NOTIFY_H
#define MXS_NOTIFY_H
#include <stdint.h>

void notify_ready(void);
void notify_reloading(void);
void notify_stopping(void);
void notify_status(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The keep-alive interval systemd expects (WatchdogSec=), in microseconds; 0 when none. */
uint64_t notify_watchdog_usec(void);
void notify_watchdog(void);

#endif
