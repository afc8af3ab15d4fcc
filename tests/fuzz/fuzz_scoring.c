/* fuzz_scoring.c — the MECSA scoring table loader (daemon/scoring_load.c) over a YAML file's
 * bytes: (name, ptr, len) API, exact-size buffer. A table that loads is compared with itself and
 * applied to an empty result. Inputs are capped at 64 KB (see fuzz_config.c on nesting). */
#include "checks/result.h"
#include "checks/score.h"
#include "daemon/scoring_load.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 64 * 1024)
		return 0;
	char *buf = fuzz_dup(data, size);
	char err[512];
	struct score_table *t = NULL;
	if (scoring_load_buffer("fuzz.yaml", buf, size, &t, err, sizeof err) == 0) {
		if (!score_table_equal(t, t))
			abort();
		struct result *res = result_new("example.com");
		score_apply(t, res);
		result_free(res);
		score_table_free(t);
	} else if (err[0] == '\0') {
		abort();
	}
	free(buf);
	return 0;
}
