/* registry.c — the list of checks, in evaluation order (later checks may read earlier results). */
#include "checks/check.h"
#include "checks/dane.h"
#include "checks/dkim.h"
#include "checks/dmarc.h"
#include "checks/dnssec.h"
#include "checks/mta_sts.h"
#include "checks/mx.h"
#include "checks/requiretls.h"
#include "checks/spf.h"
#include "checks/starttls.h"
#include "checks/tlsrpt.h"
#include "checks/x509.h"

const struct check *const check_registry[] = {
	&check_mx,
	/* transport checks (SMTP probe), right after mx: x509, dane and requiretls read starttls'
	 * rows and MECSA flags, later checks (mta_sts) may read theirs */
	&check_starttls,
	&check_x509,
	&check_dane,
	&check_requiretls,
	&check_spf,
	&check_dkim,
	&check_tlsrpt,
	&check_dmarc,
	&check_mta_sts,
	/* DNSSEC last: its scope depends on what the others found */
	&check_dnssec,
};

const size_t check_registry_len = sizeof check_registry / sizeof *check_registry;
