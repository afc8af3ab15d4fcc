/* dnssec.h — the DNSSEC check: the validation status of the RRsets mail security depends on. */
#ifndef MXS_DNSSEC_H
#define MXS_DNSSEC_H

#include "checks/check.h"

extern const struct check check_dnssec;

#endif
