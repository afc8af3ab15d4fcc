/* result_json.c — the output object of one domain: verdicts per check, MECSA flags, scores. */
#include "checks/result_json.h"

#include "checks/check.h"

const char *result_state_name(enum result_state s)
{
	switch (s) {
	case RESULT_SCANNED: return "scanned";
	case RESULT_INVALID: return "invalid";
	case RESULT_FAILED: return "failed";
	}
	return "failed";
}

static json_t *result_checks_json(const struct result *res)
{
	json_t *checks = json_object();
	for (size_t i = 0; i < check_registry_len; i++) {
		const struct check *c = check_registry[i];
		const struct check_result *cr = &res->checks[c->id];
		if (cr->verdict.status == VERDICT_NONE)
			continue;
		json_t *o = json_pack("{s:s, s:s, s:O}", "status",
				      verdict_status_name(cr->verdict.status), "reason",
				      cr->verdict.reason, "detail",
				      cr->detail ? cr->detail : json_null());
		json_object_set_new(checks, c->name, o);
	}
	return checks;
}

static json_t *result_mecsa_json(const struct result *res)
{
	json_t *sup = json_object(), *pct = json_object();
	for (int p = 0; p < MECSA_PROTO_MAX; p++) {
		json_object_set_new(sup, mecsa_proto_name(p), json_boolean(res->supported[p]));
		json_object_set_new(pct, mecsa_proto_name(p), json_real(res->percent[p]));
	}
	return json_pack("{s:o, s:o}", "supported", sup, "percent", pct);
}

static json_t *result_scores_json(const struct result *res)
{
	json_t *scores = json_object();
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		json_t *o = json_pack("{s:o, s:o, s:o}", "score",
				      res->score[c] < 0 ? json_null() : json_integer(res->score[c]),
				      "stars",
				      res->score[c] < 0 ? json_null() : json_real(res->score[c] / 2.0),
				      "missing",
				      res->missing[c] ? json_incref(res->missing[c]) : json_array());
		json_object_set_new(scores, mecsa_category_name(c), o);
	}
	return scores;
}

json_t *result_to_json(const struct result *res)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:o}", "version", RESULT_JSON_VERSION, "domain",
			      res->domain, "state", result_state_name(res->state), "reason",
			      res->invalid_reason ? json_string(res->invalid_reason) : json_null());
	if (res->state == RESULT_SCANNED) {
		json_object_set_new(o, "checks", result_checks_json(res));
		json_object_set_new(o, "mecsa", result_mecsa_json(res));
		json_object_set_new(o, "scores", result_scores_json(res));
	}
	return o;
}
