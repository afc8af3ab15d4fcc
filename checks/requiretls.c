/* requiretls.c — the REQUIRETLS check over the recorded EHLO replies, per (MX host, address):
 * pass when every address where STARTTLS could be tested offers REQUIRETLS inside TLS. Pure. */
#include "checks/requiretls.h"

#include <stdio.h>

#include "checks/smtp_evidence.h"
#include "checks/smtp_reply.h"
#include "checks/starttls.h"

static void requiretls_evaluate(const struct evidence *ev, struct result *res)
{
	struct smtp_target t[STARTTLS_TARGETS_MAX];
	size_t nt = starttls_targets(ev, 1, t, STARTTLS_TARGETS_MAX);
	size_t counted = 0, post = 0, pre = 0, pre_only = 0;
	const char *first_missing = NULL;
	json_t *rows = json_array();
	for (size_t i = 0; i < nt; i++) {
		const struct smtp_probe *p = starttls_probe(ev, &t[i]);
		enum starttls_outcome o = starttls_outcome(p);
		if (!starttls_counted(o))
			continue;
		int before = (p->ext & SMTP_EXT_REQUIRETLS) != 0;
		int after = p->tls && p->ehlo_tls_code == 250 && (p->ext_tls & SMTP_EXT_REQUIRETLS);
		json_array_append_new(rows, json_pack("{s:s, s:s, s:b, s:b, s:b}", "host", t[i].host,
						      "address", t[i].address, "tls", p->tls,
						      "before_tls", before, "after_tls", after));
		counted++;
		pre += before;
		post += after;
		pre_only += before && !after;
		if (!after && first_missing == NULL)
			first_missing = t[i].host;
	}
	json_t *d = json_pack("{s:o, s:i, s:i, s:i}", "addresses", rows, "tested", (int)counted,
			      "before_tls", (int)pre, "after_tls", (int)post);
	if (counted == 0)
		result_set(res, CHECK_REQUIRETLS, d, VERDICT_NOT_TESTABLE,
			   "no MX address where STARTTLS could be tested");
	else if (post == counted)
		result_set(res, CHECK_REQUIRETLS, d, VERDICT_PASS,
			   "REQUIRETLS offered inside TLS by all %zu addresses", counted);
	else if (post == 0 && pre == 0)
		result_set(res, CHECK_REQUIRETLS, d, VERDICT_ABSENT, "REQUIRETLS not offered");
	else if (post == 0)
		result_set(res, CHECK_REQUIRETLS, d, VERDICT_FAIL,
			   "REQUIRETLS offered only before STARTTLS (%zu of %zu addresses), where "
			   "it cannot be used (RFC 8689 §4)",
			   pre_only, counted);
	else
		result_set(res, CHECK_REQUIRETLS, d, VERDICT_FAIL,
			   "REQUIRETLS offered inside TLS by %zu of %zu addresses (not by %s)", post,
			   counted, first_missing);
}

const struct check check_requiretls = {
	.id = CHECK_REQUIRETLS,
	.name = "requiretls",
	.title = "REQUIRETLS",
	.plan = NULL,
	.evaluate = requiretls_evaluate,
};
