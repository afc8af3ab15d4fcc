/* fuzz_mta_sts_txt.c — the MTA-STS TXT record (RFC 8461 §3.1) and the shared "v=...; k=v" field
 * walker under it (checks/txtrec.c). (ptr, len): exact-size buffer. */
#include "checks/mta_sts.h"
#include "checks/txtrec.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *txt = fuzz_dup(data, size);
	char err[256];
	struct mta_sts_record r;
	(void)mta_sts_record_parse(txt, size, &r, err, sizeof err);
	json_decref(txtrec_json_bytes(txt, size));
	free(txt);
	return 0;
}
