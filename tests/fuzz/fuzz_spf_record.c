/* fuzz_spf_record.c — SPF record selection and the full syntax check (RFC 7208 §4.5-§7) over a
 * TXT record's bytes: (ptr, len) APIs, exact-size buffer. */
#include "checks/spf.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *rec = fuzz_dup(data, size);
	char err[SPF_REASON_MAX];
	(void)spf_is_record(rec, size);
	(void)spf_record_syntax(rec, size, err, sizeof err);
	free(rec);
	return 0;
}
