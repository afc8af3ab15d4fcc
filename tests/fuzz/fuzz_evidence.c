/* fuzz_evidence.c — what `rescore` does with stored evidence, which may come from elsewhere
 * (a merged shard, an edited database): the JSON text (json_loadb over an exact-size buffer)
 * read back with evidence_from_json, every check evaluated over it, the result scored with the
 * built-in table and written as JSON. Evidence that reads back must also write out and read
 * back again (the store keeps what evidence_json_text writes). */
#include <stdio.h>

#include "checks/check.h"
#include "checks/evidence_json.h"
#include "checks/result.h"
#include "checks/result_json.h"
#include "checks/score.h"
#include "tests/fuzz/fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 256 * 1024)
		return 0;
	char *text = fuzz_dup(data, size);
	json_error_t jerr;
	json_t *j = json_loadb(text, size, 0, &jerr);
	free(text);
	if (j == NULL)
		return 0;
	char err[256];
	struct evidence *ev = evidence_from_json(j, err, sizeof err);
	json_decref(j);
	if (ev == NULL)
		return 0;
	struct result *res = result_new(ev->domain);
	check_evaluate_all(ev, res);
	score_apply(score_table_builtin(), res);
	json_t *rj = result_to_json(res);
	free(json_dumps(rj, JSON_COMPACT));
	json_decref(rj);
	result_free(res);

	size_t len = 0;
	char *again = evidence_json_text(ev, 0, &len);
	if (again) {
		json_t *j2 = json_loadb(again, len, 0, &jerr);
		if (j2 == NULL)
			abort(); /* the writer wrote what the reader cannot parse */
		struct evidence *ev2 = evidence_from_json(j2, err, sizeof err);
		if (ev2 == NULL) {
			fprintf(stderr, "evidence written cannot be read back: %s\n", err);
			abort();
		}
		evidence_free(ev2);
		json_decref(j2);
		free(again);
	}
	evidence_free(ev);
	return 0;
}
