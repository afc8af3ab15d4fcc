/* verdict.c — verdict names and construction. */
#include "checks/verdict.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const verdict_names[] = {
	[VERDICT_NONE] = "none",	       [VERDICT_PASS] = "pass",
	[VERDICT_FAIL] = "fail",	       [VERDICT_ABSENT] = "absent",
	[VERDICT_NOT_TESTABLE] = "not_testable", [VERDICT_DNS_ERROR] = "dns_error",
};

const char *verdict_status_name(enum verdict_status s)
{
	if ((size_t)s < sizeof verdict_names / sizeof *verdict_names)
		return verdict_names[s];
	return "none";
}

int verdict_status_parse(const char *name)
{
	for (size_t i = 0; i < sizeof verdict_names / sizeof *verdict_names; i++)
		if (strcmp(name, verdict_names[i]) == 0)
			return (int)i;
	return -1;
}

void verdict_set(struct verdict *v, enum verdict_status s, const char *fmt, ...)
{
	v->status = s;
	if (fmt == NULL) {
		v->reason[0] = '\0';
		return;
	}
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->reason, sizeof v->reason, fmt, ap);
	va_end(ap);
}
