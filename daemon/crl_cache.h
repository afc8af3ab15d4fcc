/* crl_cache.h — how a CRL fetch for the x509 check is recorded (struct crl_fetch), for the
 * engine's per-URL cache (url_cache.h). Failures are results too: an unreachable CRL makes
 * revocation "unknown", never "revoked". */
#ifndef MXS_CRL_CACHE_H
#define MXS_CRL_CACHE_H

#include "daemon/url_cache.h"

extern const struct url_cache_ops crl_cache_ops;

#endif
