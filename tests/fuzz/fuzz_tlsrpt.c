/* fuzz_tlsrpt.c — the TLS-RPT record (RFC 8460 §3) and its report URIs. (ptr, len): exact-size
 * buffers. */
#include "checks/tlsrpt.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 8192)
		return 0;
	char *txt = fuzz_dup(data, size);
	char err[256];
	struct tlsrpt_record r;
	(void)tlsrpt_record_parse(txt, size, &r, err, sizeof err);
	tlsrpt_record_clear(&r);
	(void)tlsrpt_uri_check(txt, size, err, sizeof err);
	free(txt);
	return 0;
}
