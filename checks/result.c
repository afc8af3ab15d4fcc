/* result.c — construction and teardown of a domain's result; names of the MECSA protocols. */
#include "checks/result.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/xalloc.h"

static const char *const mecsa_proto_names[MECSA_PROTO_MAX] = {
	[MECSA_STARTTLS] = "starttls", [MECSA_X509] = "x509",
	[MECSA_SPF] = "spf",	       [MECSA_SPF_POLICY] = "spf_policy",
	[MECSA_DKIM] = "dkim",	       [MECSA_DMARC] = "dmarc",
	[MECSA_DMARC_POLICY] = "dmarc_policy", [MECSA_DANE] = "dane",
	[MECSA_DNSSEC] = "dnssec",     [MECSA_MTA_STS] = "mta-sts",
};

static const char *const mecsa_category_names[MECSA_CAT_MAX] = {
	[MECSA_CONFIDENTIALITY] = "confidentiality",
	[MECSA_SPOOFING] = "spoofing",
	[MECSA_INTEGRITY] = "integrity",
};

const char *mecsa_proto_name(enum mecsa_proto p)
{
	return (unsigned)p < MECSA_PROTO_MAX ? mecsa_proto_names[p] : "?";
}

const char *mecsa_category_name(enum mecsa_category c)
{
	return (unsigned)c < MECSA_CAT_MAX ? mecsa_category_names[c] : "?";
}

struct result *result_new(const char *domain)
{
	struct result *res = xcalloc(1, sizeof *res);
	res->domain = xstrdup(domain);
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		res->score[c] = -1;
	res->mecsa_rows = -1;
	res->mecsa_tls_rows = -1;
	for (int p = 0; p < MECSA_PROTO_MAX; p++)
		res->percent_fixed[p] = -1.0;
	return res;
}

void result_free(struct result *res)
{
	if (res == NULL)
		return;
	for (int i = 0; i < CHECK_MAX; i++)
		json_decref(res->checks[i].detail);
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		json_decref(res->missing[c]);
		free(res->withheld_reason[c]);
	}
	free(res->domain);
	free(res->invalid_reason);
	free(res);
}

void result_set(struct result *res, enum check_id id, json_t *detail, enum verdict_status status,
		const char *fmt, ...)
{
	struct check_result *cr = &res->checks[id];
	json_decref(cr->detail);
	cr->detail = detail;
	cr->verdict.status = status;
	cr->verdict.reason[0] = '\0';
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(cr->verdict.reason, sizeof cr->verdict.reason, fmt, ap);
		va_end(ap);
	}
}
