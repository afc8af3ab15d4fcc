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

/* A check's detail field, or JSON null (borrowed reference semantics: caller increfs). */
static json_t *result_detail(const struct result *res, enum check_id id, const char *key)
{
	json_t *v = res->checks[id].detail ? json_object_get(res->checks[id].detail, key) : NULL;
	return v ? v : json_null();
}

/* MECSA's percentage of p, or null where it was not measured or does not apply: its denominator
 * is empty (no address where STARTTLS was determined; for the certificates, none with TLS 1.2+). */
static json_t *result_percent(const struct result *res, enum mecsa_proto p)
{
	int rows = p == MECSA_X509 ? res->mecsa_tls_rows : res->mecsa_rows;
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		if (res->not_measured[c] & (1u << (unsigned)p))
			return json_null(); /* not measured is not 0 % */
	if ((p == MECSA_STARTTLS || p == MECSA_X509 || p == MECSA_DANE || p == MECSA_MTA_STS) &&
	    rows == 0)
		return json_null();
	return json_real(res->percent[p]);
}

/* A category's score, null when withheld (or not scored). */
static json_t *result_score(const struct result *res, enum mecsa_category c)
{
	return res->score[c] < 0 ? json_null() : json_integer(res->score[c]);
}

/* mecsa-st's dr_has_*_record: exactly one record was published (reference spec: two records
 * are "present but broken", not "has a record"). */
static int result_one_record(const struct result *res, enum check_id id)
{
	json_t *n = json_object_get(res->checks[id].detail, "records_found");
	return json_is_integer(n) && json_integer_value(n) == 1;
}

/* mecsa-st's "scores" object (reference spec §5.4), from our verdicts: the keys and meanings
 * kept for comparison with published MECSA figures; its never-updated dr_* fields are left out.
 * What does not apply or was not measured is null, never 0. */
static json_t *result_mecsa_scores(const struct result *res)
{
	json_t *sts = res->checks[CHECK_MTASTS].detail;
	json_t *o = json_pack(
		"{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:O, s:b, s:b, s:O, s:b, "
		"s:b}",
		"dr_confidential", result_score(res, MECSA_CONFIDENTIALITY),
		"dr_spoofing", result_score(res, MECSA_SPOOFING),
		"dr_integrity", result_score(res, MECSA_INTEGRITY),
		"dr_starttls", result_percent(res, MECSA_STARTTLS),
		"dr_certificate", result_percent(res, MECSA_X509),
		"dr_dane", result_percent(res, MECSA_DANE),
		"dr_mta_sts", result_percent(res, MECSA_MTA_STS),
		"dr_spf", result_percent(res, MECSA_SPF),
		"dr_dkim", result_percent(res, MECSA_DKIM),
		"dr_dmarc", result_percent(res, MECSA_DMARC),
		"dr_dnssec", result_percent(res, MECSA_DNSSEC),
		"dr_spf_txt", result_detail(res, CHECK_SPF, "record"),
		"dr_has_spf_record", result_one_record(res, CHECK_SPF),
		"dr_valid_spf_syntax", res->supported[MECSA_SPF],
		"dr_dmarc_txt", result_detail(res, CHECK_DMARC, "record"),
		"dr_has_dmarc_record", result_one_record(res, CHECK_DMARC),
		"dr_valid_dmarc_syntax", res->supported[MECSA_DMARC]);
	json_object_set_new(o, "has_mta_sts", json_boolean(res->supported[MECSA_MTA_STS]));
	json_object_set(o, "mta_sts_dns", sts ? result_detail(res, CHECK_MTASTS, "record") : json_null());
	json_object_set(o, "mta_sts_policy", sts ? result_detail(res, CHECK_MTASTS, "policy") : json_null());
	return o;
}

static json_t *result_mecsa_json(const struct result *res)
{
	json_t *sup = json_object(), *pct = json_object();
	for (int p = 0; p < MECSA_PROTO_MAX; p++) {
		json_object_set_new(sup, mecsa_proto_name(p), json_boolean(res->supported[p]));
		json_object_set_new(pct, mecsa_proto_name(p), result_percent(res, p));
	}
	/* mecsa-st's top-level keys first, then our per-protocol flags and percentages. */
	return json_pack("{s:s, s:b, s:b, s:b, s:b, s:b, s:b, s:b, s:o, s:o, s:o}", "domain",
			 res->domain, "starttls", res->supported[MECSA_STARTTLS], "spf",
			 res->supported[MECSA_SPF], "spf_policy", res->supported[MECSA_SPF_POLICY],
			 "dkim", res->supported[MECSA_DKIM], "dmarc", res->supported[MECSA_DMARC],
			 "dane", res->supported[MECSA_DANE], "dnssec", res->supported[MECSA_DNSSEC],
			 "scores", result_mecsa_scores(res), "supported", sup, "percent", pct);
}

/* The category's protocols whose support could not be measured, in canonical order. */
static json_t *result_not_measured(const struct result *res, enum mecsa_category c)
{
	json_t *arr = json_array();
	for (int p = 0; p < MECSA_PROTO_MAX; p++)
		if (res->not_measured[c] & (1u << (unsigned)p))
			json_array_append_new(arr, json_string(mecsa_proto_name((enum mecsa_proto)p)));
	return arr;
}

static json_t *result_scores_json(const struct result *res)
{
	json_t *scores = json_object();
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		json_t *o = json_pack("{s:o, s:o, s:o}", "score", result_score(res, c), "stars",
				      res->score[c] < 0 ? json_null() : json_real(res->score[c] / 2.0),
				      "missing",
				      res->missing[c] ? json_incref(res->missing[c]) : json_array());
		/* A withheld score says why; what was not measured is listed apart from what is
		 * missing, and gives no advice. */
		json_object_set_new(o, "reason",
				    res->withheld_reason[c] ? json_string(res->withheld_reason[c])
							    : json_null());
		json_object_set_new(o, "not_measured", result_not_measured(res, c));
		json_object_set_new(scores, mecsa_category_name(c), o);
	}
	return scores;
}

json_t *result_to_json(const struct result *res)
{
	json_t *o = json_pack("{s:i, s:s, s:s, s:o}", "version", RESULT_JSON_VERSION, "domain",
			      res->domain, "state", result_state_name(res->state), "reason",
			      res->invalid_reason ? json_string(res->invalid_reason) : json_null());
	/* How many scans it took (transient failures are scanned again): the last one is kept. */
	if (res->attempts > 0)
		json_object_set_new(o, "attempts", json_integer(res->attempts));
	if (res->state == RESULT_SCANNED) {
		json_object_set_new(o, "indeterminate", json_integer(res->indeterminate));
		json_object_set_new(o, "checks", result_checks_json(res));
		json_object_set_new(o, "mecsa", result_mecsa_json(res));
		json_object_set_new(o, "scores", result_scores_json(res));
	}
	return o;
}
