/* https_cache.h — how an HTTPS fetch for a check (the MTA-STS policy of a policy host) is
 * recorded (struct https_fetch), for the engine's per-URL cache (url_cache.h). Failures are
 * results too (timeout, TLS, refused). */
#ifndef MXS_HTTPS_CACHE_H
#define MXS_HTTPS_CACHE_H

#include "daemon/url_cache.h"

extern const struct url_cache_ops https_cache_ops;

#endif
