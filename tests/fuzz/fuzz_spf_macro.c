/* fuzz_spf_macro.c — RFC 7208 §7 macro strings: syntax of a macro-string and a domain-spec, and
 * their expansion, under the flags of the input's first byte. (ptr, len) APIs: exact-size
 * buffer. The macro values are fixed but long enough to reach the 253-octet cut. */
#include "checks/spf_macro.h"
#include "tests/fuzz/fuzz.h"

static const struct spf_macro_vars vars = {
	.s = "strong-bad@email.example.com",
	.l = "strong-bad",
	.o = "email.example.com",
	.d = "a-very-long-label-to-make-expansions-long-0123456789012345678901234.email.example.com",
	.i = "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.b.8.d.0.1.0.0.2",
	.p = "unknown",
	.v = "ip6",
	.h = "helo.example.net",
	.c = "2001:db8::1",
	.r = "receiver.example",
	.t = "1700000000",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 4096)
		return 0;
	unsigned flags = data[0] & (SPF_MACRO_EXPLAIN | SPF_MACRO_CRT);
	int unresolved_p = data[0] & 0x80; /* %{p} not resolved yet */
	size_t len = size - 1;
	char *s = fuzz_dup(data + 1, len);
	char err[256], out[512], dom[DNAME_MAX];
	struct spf_macro_info info;
	struct spf_macro_vars v = vars;
	if (unresolved_p)
		v.p = NULL;
	if (spf_macro_check(s, len, flags, &info, err, sizeof err) == 0)
		(void)spf_macro_expand(s, len, flags, &v, out, sizeof out);
	/* The expansion must refuse what the check refuses, never read out of bounds. */
	(void)spf_macro_expand(s, len, flags, &v, out, 1 + (data[0] & 0x3f));
	if (spf_macro_check_domain(s, len, flags, &info, err, sizeof err) == 0 &&
	    spf_macro_expand_domain(s, len, &v, dom) == 0 && strlen(dom) >= DNAME_MAX)
		abort();
	(void)spf_macro_toplabel_ok(s, len);
	free(s);
	return 0;
}
