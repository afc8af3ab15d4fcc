/* registry.c — the list of checks, in evaluation order (later checks may read earlier results). */
#include "checks/check.h"
#include "checks/dkim.h"
#include "checks/dmarc.h"
#include "checks/dnssec.h"
#include "checks/mta_sts.h"
#include "checks/mx.h"
#include "checks/spf.h"
#include "checks/tlsrpt.h"

const struct check *const check_registry[] = {
	&check_mx,
	&check_spf,
	&check_dkim,
	&check_tlsrpt,
	&check_dmarc,
	&check_mta_sts,
	/* transport checks (SMTP probe) go here */
	/* DNSSEC last: its scope depends on what the others found */
	&check_dnssec,
};

const size_t check_registry_len = sizeof check_registry / sizeof *check_registry;
