/* fuzz_dkim.c — DKIM key records (RFC 6376 §3.6.1, RFC 8463, RFC 8301): the tag list, the
 * base64 key and its decoding, and the usability verdict. (ptr, len): exact-size buffer. The
 * selector syntax check takes a C string: NUL-terminated here. */
#include "checks/dkim.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	char *txt = fuzz_dup(data, size);
	char err[256];
	struct dkim_key k;
	if (dkim_key_parse(txt, size, &k, err, sizeof err) == 0) {
		(void)dkim_key_usable(&k, err, sizeof err);
		(void)dkim_key_type_name(k.type);
	}
	free(txt);
	if (size <= DKIM_SELECTOR_LEN_MAX * 2) {
		char *sel = fuzz_str(data, size);
		(void)dkim_selector_valid(sel);
		free(sel);
	}
	return 0;
}
