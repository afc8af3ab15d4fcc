/* fuzz_dmarc.c — the DMARC record parser (RFC 7489 §6.3-§6.4, np, psd, t) and record selection
 * over a TXT record's bytes ((ptr, len): exact-size buffer); the same bytes as a name (a C
 * string, NUL-terminated here) for the organizational-domain and tree-walk helpers. */
#include "checks/dmarc.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 2 * DMARC_TXT_MAX)
		return 0;
	char *txt = fuzz_dup(data, size);
	char err[256];
	struct dmarc_record r;
	(void)dmarc_parse(txt, size, &r, err, sizeof err);
	(void)dmarc_policy_name(r.p);
	dmarc_record_clear(&r);
	(void)dmarc_txt_is_record((const unsigned char *)txt, size);
	(void)dmarc_txt_is_candidate((const unsigned char *)txt, size);
	free(txt);

	if (size < DNAME_MAX) {
		char *name = fuzz_str(data, size);
		char org[DNAME_MAX];
		char walk[DMARC_WALK_MAX][DNAME_MAX];
		(void)dmarc_org_domain(name, org, sizeof org);
		(void)dmarc_walk_names(name, walk, DMARC_WALK_MAX);
		free(name);
	}
	return 0;
}
