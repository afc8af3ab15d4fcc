/* dns_answer.c — names, copying and freeing of recorded DNS answers. */
#include "checks/dns_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

static const char *const dns_status_names[] = {
	[DNS_STATUS_NOT_QUERIED] = "not_queried", [DNS_STATUS_OK] = "ok",
	[DNS_STATUS_NODATA] = "nodata",		  [DNS_STATUS_NXDOMAIN] = "nxdomain",
	[DNS_STATUS_SERVFAIL] = "servfail",	  [DNS_STATUS_REFUSED] = "refused",
	[DNS_STATUS_TIMEOUT] = "timeout",	  [DNS_STATUS_ERROR] = "error",
};

static const char *const dnssec_status_names[] = {
	[DNSSEC_INDETERMINATE] = "indeterminate",
	[DNSSEC_SECURE] = "secure",
	[DNSSEC_INSECURE] = "insecure",
	[DNSSEC_BOGUS] = "bogus",
};

const char *dns_status_name(enum dns_status s)
{
	if ((size_t)s < sizeof dns_status_names / sizeof *dns_status_names)
		return dns_status_names[s];
	return "error";
}

const char *dnssec_status_name(enum dnssec_status s)
{
	if ((size_t)s < sizeof dnssec_status_names / sizeof *dnssec_status_names)
		return dnssec_status_names[s];
	return "indeterminate";
}

int dns_status_parse(const char *name)
{
	for (size_t i = 0; i < sizeof dns_status_names / sizeof *dns_status_names; i++)
		if (strcmp(name, dns_status_names[i]) == 0)
			return (int)i;
	return -1;
}

int dnssec_status_parse(const char *name)
{
	for (size_t i = 0; i < sizeof dnssec_status_names / sizeof *dnssec_status_names; i++)
		if (strcmp(name, dnssec_status_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *dns_type_name(uint16_t type)
{
	switch (type) {
	case DNS_TYPE_A: return "A";
	case DNS_TYPE_NS: return "NS";
	case DNS_TYPE_CNAME: return "CNAME";
	case DNS_TYPE_SOA: return "SOA";
	case DNS_TYPE_PTR: return "PTR";
	case DNS_TYPE_MX: return "MX";
	case DNS_TYPE_TXT: return "TXT";
	case DNS_TYPE_AAAA: return "AAAA";
	case DNS_TYPE_DS: return "DS";
	case DNS_TYPE_RRSIG: return "RRSIG";
	case DNS_TYPE_DNSKEY: return "DNSKEY";
	case DNS_TYPE_TLSA: return "TLSA";
	case DNS_TYPE_SPF: return "SPF";
	default: return "TYPE?";
	}
}

int dns_status_is_answer(enum dns_status s)
{
	return s == DNS_STATUS_OK || s == DNS_STATUS_NODATA || s == DNS_STATUS_NXDOMAIN;
}

enum dnssec_status dns_answer_dnssec(const struct dns_answer *a)
{
	if (a->dnssec == DNSSEC_BOGUS)
		return DNSSEC_BOGUS;
	if (a->status == DNS_STATUS_SERVFAIL && a->cd && dns_status_is_answer(a->cd->status))
		return DNSSEC_BOGUS;
	if (!dns_status_is_answer(a->status))
		return DNSSEC_INDETERMINATE;
	return a->dnssec;
}

struct dns_rdata *dns_answer_add(struct dns_answer *a, uint16_t type, const char *text,
				 const void *data, size_t len)
{
	a->rr = xrealloc(a->rr, (a->n_rr + 1) * sizeof *a->rr);
	struct dns_rdata *rd = &a->rr[a->n_rr++];
	memset(rd, 0, sizeof *rd);
	rd->type = type;
	rd->text = text ? xstrdup(text) : NULL;
	if (data) {
		rd->data = xmalloc(len + 1);
		memcpy(rd->data, data, len);
		rd->data[len] = '\0'; /* convenience for text use; len is authoritative */
		rd->len = len;
	}
	return rd;
}

void dns_answer_copy(struct dns_answer *dst, const struct dns_answer *src)
{
	*dst = *src;
	dst->qname = src->qname ? xstrdup(src->qname) : NULL;
	dst->canonical = src->canonical ? xstrdup(src->canonical) : NULL;
	dst->why = src->why ? xstrdup(src->why) : NULL;
	dst->rr = NULL;
	dst->n_rr = 0;
	dst->cd = NULL;
	if (src->cd) {
		dst->cd = xcalloc(1, sizeof *dst->cd);
		dns_answer_copy(dst->cd, src->cd);
	}
	for (size_t i = 0; i < src->n_rr; i++) {
		const struct dns_rdata *s = &src->rr[i];
		struct dns_rdata *d = dns_answer_add(dst, s->type, s->text, s->data, s->len);
		d->pref = s->pref;
		d->usage = s->usage;
		d->selector = s->selector;
		d->mtype = s->mtype;
		d->ttl = s->ttl;
	}
}

size_t dns_answer_footprint(const struct dns_answer *a)
{
	size_t n = xstrsize(a->qname) + xstrsize(a->canonical) + xstrsize(a->why) +
		   a->n_rr * sizeof *a->rr;
	for (size_t i = 0; i < a->n_rr; i++)
		n += xstrsize(a->rr[i].text) + (a->rr[i].data ? a->rr[i].len + 1 : 0);
	if (a->cd)
		n += sizeof *a->cd + dns_answer_footprint(a->cd);
	return n;
}

void dns_answer_clear(struct dns_answer *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n_rr; i++) {
		free(a->rr[i].text);
		free(a->rr[i].data);
	}
	free(a->rr);
	free(a->qname);
	free(a->canonical);
	free(a->why);
	if (a->cd) {
		dns_answer_clear(a->cd);
		free(a->cd);
	}
	memset(a, 0, sizeof *a);
}
