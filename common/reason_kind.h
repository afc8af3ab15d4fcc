/* reason_kind.h — a verdict reason folded into an error kind: the same error at different hosts
 * reads the same, so reports can count kinds ("certificate expired") rather than reasons
 * ("1 of 1 certificates: mx.a.example [192.0.2.1]: certificate expired"). Pure. */
#ifndef MXS_REASON_KIND_H
#define MXS_REASON_KIND_H
#include <stddef.h>

/* Write the kind of reason into out (NUL-terminated, cut to outlen). Folded: the "N of M
 * tested addresses: HOST [ADDR]: " prefix of the per-address checks; host and domain names
 * (<name>), addresses (<address>), URLs (<url>), quoted text from the peer ("...", '...') and
 * numbers (N; three-digit SMTP reply codes and dotted enhanced codes stay); control characters
 * become spaces. NULL or "" gives
 * "(no reason)". Returns out. */
char *reason_kind(const char *reason, char *out, size_t outlen);

#endif
