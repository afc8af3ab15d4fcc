/* requiretls.h — the REQUIRETLS check (RFC 8689): is the EHLO keyword offered inside TLS, where a
 * sender can use it? Recorded before and after STARTTLS; mecsa-st looks only before. */
#ifndef MXS_REQUIRETLS_H
#define MXS_REQUIRETLS_H

#include "checks/check.h"

extern const struct check check_requiretls;

#endif
