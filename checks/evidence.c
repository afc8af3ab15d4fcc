/* evidence.c — the evidence container: owns every recorded DNS answer, SMTP probe, CRL fetch and
 * HTTPS fetch of one scan. */
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

static void der_list_clear(struct der_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		der_fetch_clear(&l->v[i]);
	free(l->v);
}

void evidence_free(struct evidence *ev)
{
	if (ev == NULL)
		return;
	for (size_t i = 0; i < ev->n_dns; i++)
		dns_answer_clear(&ev->dns[i]);
	free(ev->dns);
	for (size_t i = 0; i < ev->n_smtp; i++)
		smtp_probe_clear(&ev->smtp[i]);
	free(ev->smtp);
	der_list_clear(&ev->crl);
	der_list_clear(&ev->ocsp);
	for (size_t i = 0; i < ev->n_https; i++)
		evidence_https_clear(&ev->https[i]);
	free(ev->https);
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

const struct smtp_probe *evidence_smtp_find(const struct evidence *ev, const char *host,
					    const char *address)
{
	for (size_t i = 0; i < ev->n_smtp; i++)
		if (ev->smtp[i].host && ev->smtp[i].address &&
		    strcmp(ev->smtp[i].address, address) == 0 && dname_equal(ev->smtp[i].host, host))
			return &ev->smtp[i];
	return NULL;
}

struct smtp_probe *evidence_smtp_add(struct evidence *ev)
{
	xgrow((void **)&ev->smtp, &ev->cap_smtp, ev->n_smtp + 1, sizeof *ev->smtp);
	struct smtp_probe *p = &ev->smtp[ev->n_smtp++];
	smtp_probe_init(p);
	return p;
}

const struct der_fetch *evidence_der_find(const struct der_list *l, const char *url)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].url && strcmp(l->v[i].url, url) == 0)
			return &l->v[i];
	return NULL;
}

struct der_fetch *evidence_der_add(struct der_list *l)
{
	xgrow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
	struct der_fetch *c = &l->v[l->n++];
	memset(c, 0, sizeof *c);
	return c;
}

const struct https_fetch *evidence_https_find(const struct evidence *ev, const char *url)
{
	for (size_t i = 0; i < ev->n_https; i++)
		if (ev->https[i].url && strcmp(ev->https[i].url, url) == 0)
			return &ev->https[i];
	return NULL;
}

struct https_fetch *evidence_https_add(struct evidence *ev)
{
	xgrow((void **)&ev->https, &ev->cap_https, ev->n_https + 1, sizeof *ev->https);
	struct https_fetch *f = &ev->https[ev->n_https++];
	memset(f, 0, sizeof *f);
	return f;
}

void evidence_https_clear(struct https_fetch *f)
{
	if (f == NULL)
		return;
	free(f->url);
	free(f->resolve);
	free(f->content_type);
	free(f->redirect);
	free(f->body);
	free(f->error);
	memset(f, 0, sizeof *f);
}

static char *evidence_strdup_opt(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void evidence_https_copy(struct https_fetch *dst, const struct https_fetch *src)
{
	*dst = *src;
	dst->url = evidence_strdup_opt(src->url);
	dst->resolve = evidence_strdup_opt(src->resolve);
	dst->content_type = evidence_strdup_opt(src->content_type);
	dst->redirect = evidence_strdup_opt(src->redirect);
	dst->error = evidence_strdup_opt(src->error);
	dst->body = NULL;
	if (src->body) {
		if (dst->len > EVIDENCE_HTTPS_BODY_MAX) {
			dst->len = EVIDENCE_HTTPS_BODY_MAX;
			dst->truncated = 1;
		}
		dst->body = xmalloc(dst->len + 1);
		memcpy(dst->body, src->body, dst->len);
		dst->body[dst->len] = '\0';
	}
}
