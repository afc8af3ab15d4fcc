/* fuzz_spf_eval.c — check_host() over a fake zone the input describes, so that every lookup
 * the evaluation makes (include, redirect, a, mx, ptr, exists, exp) is answered from fuzz bytes.
 * The input is text lines:
 *   line 1:        "<domain> <sender> <ip>" (C strings for spf_eval_new, NUL-terminated here)
 *   further lines: "<name> <TYPE> <value>", TYPE one of A AAAA MX TXT PTR; a TXT value is the
 *                  rest of the line (handed over as an exact-size buffer: it may hold any byte),
 *                  MX "<pref> <host>"; "!<status>" (timeout, servfail, nxdomain...) fails that
 *                  lookup, "!missing" answers NULL (not gathered).
 * A name on no line does not exist; a name without a line of the type asked has no data. */
#include <stdio.h>

#include "checks/spf.h"
#include "common/xalloc.h"
#include "tests/fuzz/fuzz.h"

#define ZONE_LINES 256

struct zone_line {
	const char *name; /* borrowed: into the input copy */
	size_t name_len;
	uint16_t type;
	const char *value; /* borrowed */
	size_t value_len;
};

static uint16_t zone_type(const char *t, size_t n)
{
	static const struct {
		const char *name;
		uint16_t type;
	} types[] = {{"A", DNS_TYPE_A},	  {"AAAA", DNS_TYPE_AAAA},  {"MX", DNS_TYPE_MX},
		     {"TXT", DNS_TYPE_TXT}, {"PTR", SPF_TYPE_PTR}, {"SPF", DNS_TYPE_SPF}};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strlen(types[i].name) == n && memcmp(types[i].name, t, n) == 0)
			return types[i].type;
	return 0;
}

static int zone_name_is(const struct zone_line *z, const char *qname)
{
	char name[DNAME_MAX];
	if (z->name_len >= sizeof name)
		return 0;
	memcpy(name, z->name, z->name_len);
	name[z->name_len] = '\0';
	return dname_equal(name, qname);
}

/* Fill a from the zone; 0, or -1 for "!missing". */
static int zone_answer(const struct zone_line *zone, size_t n, const struct dns_question *q,
		       struct dns_answer *a)
{
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		const struct zone_line *z = &zone[i];
		if (!zone_name_is(z, q->name))
			continue;
		seen = 1;
		if (z->type != q->type)
			continue;
		if (z->value_len && z->value[0] == '!') {
			char st[32];
			snprintf(st, sizeof st, "%.*s", (int)z->value_len - 1, z->value + 1);
			if (strcmp(st, "missing") == 0)
				return -1;
			int s = dns_status_parse(st);
			a->status = s < 0 ? DNS_STATUS_ERROR : (enum dns_status)s;
			return 0;
		}
		char *text = fuzz_str((const uint8_t *)z->value, z->value_len);
		if (q->type == DNS_TYPE_TXT || q->type == DNS_TYPE_SPF) {
			/* dns_answer_add copies exactly value_len bytes (and terminates its copy,
			 * as the daemon's does). */
			dns_answer_add(a, q->type, NULL, z->value, z->value_len);
		} else if (q->type == DNS_TYPE_MX) {
			char *end;
			long pref = strtol(text, &end, 10);
			dns_answer_add(a, q->type, *end ? end + 1 : end, NULL, 0)->pref =
				(uint16_t)pref;
		} else {
			dns_answer_add(a, q->type, text, NULL, 0);
		}
		free(text);
	}
	if (a->status == DNS_STATUS_NOT_QUERIED)
		a->status = a->n_rr ? DNS_STATUS_OK : seen ? DNS_STATUS_NODATA : DNS_STATUS_NXDOMAIN;
	a->rcode = a->status == DNS_STATUS_NXDOMAIN ? 3 : 0;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	char *buf = fuzz_dup(data, size);
	struct zone_line zone[ZONE_LINES];
	size_t nz = 0;
	char *head = NULL;
	size_t off = 0;
	while (off < size) {
		const char *line = buf + off;
		const char *nl = memchr(line, '\n', size - off);
		size_t len = nl ? (size_t)(nl - line) : size - off;
		off += len + (nl != NULL);
		if (head == NULL) {
			head = fuzz_str((const uint8_t *)line, len);
			continue;
		}
		const char *sp1 = memchr(line, ' ', len);
		const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', len - (size_t)(sp1 + 1 - line)) : NULL;
		if (sp2 == NULL || nz == ZONE_LINES)
			continue;
		struct zone_line *z = &zone[nz];
		z->name = line;
		z->name_len = (size_t)(sp1 - line);
		z->type = zone_type(sp1 + 1, (size_t)(sp2 - sp1 - 1));
		z->value = sp2 + 1;
		z->value_len = len - (size_t)(sp2 + 1 - line);
		if (z->type)
			nz++;
	}
	if (head == NULL)
		head = fuzz_str(NULL, 0);
	/* "<domain> <sender> <ip>": missing fields are NULL (the evaluator's defaults). */
	char *sender = strchr(head, ' ');
	char *ip = NULL;
	if (sender) {
		*sender++ = '\0';
		ip = strchr(sender, ' ');
		if (ip)
			*ip++ = '\0';
	}
	struct spf_eval *e = spf_eval_new(head, sender, ip ? ip : SPF_CHECK_IP, NULL);
	spf_eval_set_receiver(e, "receiver.example", 1700000000);
	struct dns_question q;
	int steps = 0;
	while (spf_eval_step(e, &q) == SPF_STEP_NEED_DNS) {
		if (++steps > 1000)
			abort(); /* the limits of §4.6.4 bound the lookups far below this */
		struct dns_answer a = {0};
		a.qname = xstrdup(q.name);
		a.qtype = q.type;
		if (zone_answer(zone, nz, &q, &a) < 0)
			spf_eval_answer(e, NULL);
		else
			spf_eval_answer(e, &a);
		dns_answer_clear(&a);
	}
	const struct spf_outcome *o = spf_eval_outcome(e);
	(void)spf_result_name(o->result);
	spf_eval_free(e);
	free(head);
	free(buf);
	return 0;
}
