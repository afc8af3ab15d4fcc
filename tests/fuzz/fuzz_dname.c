/* fuzz_dname.c — domain names from lists and from the wire: dname_normalize and
 * dname_check_hostname take C strings (a domain-list line; a name from DNS data), so the input
 * is NUL-terminated explicitly; dname_from_wire takes (ptr, len) and gets an exact-size buffer.
 * The helpers the checks use on the results (equal, parent, canonical, IP literal) run on what
 * came out. */
#include "common/dname.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char out[DNAME_MAX], err[256], canon[DNAME_MAX];
	char *s = fuzz_str(data, size);
	if (dname_normalize(s, out, sizeof out, err, sizeof err) == 0) {
		if (dname_check_hostname(out, err, sizeof err) != 0)
			abort(); /* a normalised name is a valid host name */
		(void)dname_equal(out, s);
		for (const char *p = out; p; p = dname_parent(p))
			;
	}
	(void)dname_check_hostname(s, err, sizeof err);
	(void)dname_is_ip_literal(s);
	dname_canonical(s, canon, sizeof canon);
	free(s);

	char *w = fuzz_dup(data, size);
	char text[DNAME_TEXT_MAX];
	int n = dname_from_wire((const unsigned char *)w, size, text, sizeof text);
	if (n >= 0) {
		if ((size_t)n != strlen(text))
			abort();
		(void)dname_equal(text, text);
		dname_canonical(text, canon, sizeof canon);
	}
	/* Too small an output must fail cleanly, never overflow. */
	char small[8];
	(void)dname_from_wire((const unsigned char *)w, size, small, sizeof small);
	free(w);
	return 0;
}
