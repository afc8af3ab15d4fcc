/* fuzz_mta_sts_policy.c — the MTA-STS policy file an HTTPS server sends (RFC 8461 §3.2): parsed,
 * turned into its JSON form, and its mx patterns matched against host names (§4.1). The body is
 * (ptr, len): exact-size buffer. The host names matched are C strings: the first line of the
 * input is the host (NUL-terminated here), then each pattern is matched against it too. */
#include "checks/mta_sts.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > MTA_STS_POLICY_MAX + 1024)
		return 0;
	char *body = fuzz_dup(data, size);
	char err[256];
	struct mta_sts_policy p;
	(void)mta_sts_policy_parse(body, size, &p, err, sizeof err);
	json_t *j = mta_sts_policy_to_json(&p);
	free(json_dumps(j, JSON_COMPACT));
	json_decref(j);
	const uint8_t *nl = memchr(data, '\n', size);
	char *host = fuzz_str(data, nl ? (size_t)(nl - data) : size);
	(void)mta_sts_policy_match(&p, host);
	(void)mta_sts_policy_match(&p, "mx1.example.com");
	(void)mta_sts_mx_match(host, "mail.example.com");
	(void)mta_sts_mx_match(host, host);
	(void)mta_sts_mode_name(p.mode);
	free(host);
	mta_sts_policy_clear(&p);
	free(body);
	return 0;
}
