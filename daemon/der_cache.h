/* der_cache.h — how a revocation fetch for the x509 check (a CRL, or an OCSP response asked for
 * with GET) is recorded (struct der_fetch), for the engine's per-URL cache (url_cache.h). Failures
 * are results too: an unreachable CRL or responder makes revocation "unknown", never "revoked". */
#ifndef MXS_DER_CACHE_H
#define MXS_DER_CACHE_H

#include "daemon/url_cache.h"

extern const struct url_cache_ops der_cache_ops;

#endif
