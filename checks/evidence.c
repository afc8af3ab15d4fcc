/* evidence.c — the evidence container: owns every recorded answer of one scan. */
#include "checks/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/xalloc.h"

struct evidence *evidence_new(const char *domain)
{
	struct evidence *ev = xcalloc(1, sizeof *ev);
	ev->domain = xstrdup(domain);
	return ev;
}

void evidence_free(struct evidence *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->n_dns; i++)
		dns_answer_clear(&ev->dns[i]);
	free(ev->dns);
	free(ev->domain);
	free(ev);
}

const struct dns_answer *evidence_dns_find(const struct evidence *ev, const char *qname,
					   unsigned qtype)
{
	for (size_t i = 0; i < ev->n_dns; i++)
		if (ev->dns[i].qtype == qtype && dname_equal(ev->dns[i].qname, qname))
			return &ev->dns[i];
	return NULL;
}

struct dns_answer *evidence_dns_slot(struct evidence *ev, const char *qname, unsigned qtype)
{
	struct dns_answer *a = (struct dns_answer *)evidence_dns_find(ev, qname, qtype);
	if (a)
		return a;
	xgrow((void **)&ev->dns, &ev->cap_dns, ev->n_dns + 1, sizeof *ev->dns);
	a = &ev->dns[ev->n_dns++];
	memset(a, 0, sizeof *a);
	char canon[DNAME_MAX + 1];
	dname_canonical(qname, canon, sizeof canon);
	a->qname = xstrdup(canon);
	a->qtype = (uint16_t)qtype;
	a->rcode = -1;
	return a;
}
