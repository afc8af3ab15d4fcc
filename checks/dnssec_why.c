/* dnssec_why.c — the cause of a DNSSEC failure, judged from recorded evidence only: Extended DNS
 * Error codes, and the raw CD=1 re-query with its RRSIGs, the signer's DNSKEY RRset and the
 * parent's DS RRset (wire RDATA). Owns nothing. */
#include "checks/dnssec_why.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/dname.h"

static const char *const dnssec_why_names[DNSSEC_WHY_MAX] = {
	[DNSSEC_WHY_NONE] = "",
	[DNSSEC_WHY_UNKNOWN] = "unknown",
	[DNSSEC_WHY_SIG_EXPIRED] = "signature_expired",
	[DNSSEC_WHY_SIG_NOT_YET_VALID] = "signature_not_yet_valid",
	[DNSSEC_WHY_SIG_MISSING] = "signature_missing",
	[DNSSEC_WHY_DNSKEY_MISSING] = "dnskey_missing",
	[DNSSEC_WHY_DS_MISMATCH] = "ds_matches_no_dnskey",
	[DNSSEC_WHY_BAD_SIGNATURE] = "bad_signature",
	[DNSSEC_WHY_ALGORITHM] = "unsupported_algorithm",
};

const char *dnssec_why_name(enum dnssec_why w)
{
	return (unsigned)w < DNSSEC_WHY_MAX ? dnssec_why_names[w] : "unknown";
}

int dnssec_keytag(const unsigned char *rdata, size_t len)
{
	if (rdata == NULL || len < 4)
		return -1;
	uint32_t ac = 0;
	for (size_t i = 0; i < len; i++)
		ac += (i & 1) ? rdata[i] : (uint32_t)rdata[i] << 8;
	ac += (ac >> 16) & 0xffff;
	return (int)(ac & 0xffff);
}

/* One RRSIG's RDATA (RFC 4034 §3.1), the fields judged here. */
struct dnssec_sig {
	unsigned alg;	     /* algorithm */
	uint32_t expiration; /* seconds, serial arithmetic (RFC 4034 §3.1.5) */
	uint32_t inception;
	unsigned keytag;     /* the key that made it */
	char signer[DNAME_TEXT_MAX];
};

static int dnssec_sig_parse(const struct dns_rdata *rd, struct dnssec_sig *s)
{
	const unsigned char *p = rd->data;
	if (rd->type != DNS_TYPE_RRSIG || p == NULL || rd->len < 19)
		return -1;
	s->alg = p[2];
	s->expiration = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 8 | p[11];
	s->inception = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 | p[15];
	s->keytag = (unsigned)p[16] << 8 | p[17];
	return dname_from_wire(p + 18, rd->len - 18, s->signer, sizeof s->signer) < 0 ? -1 : 0;
}

/* -1: expired at now, 1: not yet valid, 0: in date (serial arithmetic around now). */
static int dnssec_sig_when(const struct dnssec_sig *s, time_t now)
{
	uint32_t t = (uint32_t)now;
	if ((int32_t)(s->expiration - t) < 0)
		return -1;
	if ((int32_t)(t - s->inception) < 0)
		return 1;
	return 0;
}

/* The first RRSIG of the re-query in date, or else the first one: 1, 0 when there is none.
 * *when gets the state of the one returned when nothing is in date (all expired: -1, else 1). */
static int dnssec_pick_sig(const struct dns_answer *cd, time_t now, struct dnssec_sig *out,
			   int *when)
{
	int found = 0, expired = 0, early = 0;
	struct dnssec_sig s;
	for (size_t i = 0; i < cd->n_rr; i++) {
		if (dnssec_sig_parse(&cd->rr[i], &s) < 0)
			continue;
		int w = dnssec_sig_when(&s, now);
		if (w == 0) {
			*out = s;
			*when = 0;
			return 1;
		}
		expired += w < 0;
		early += w > 0;
		if (!found)
			*out = s;
		found = 1;
	}
	*when = expired && !early ? -1 : 1;
	return found;
}

/* The DNSKEY RRset of zone as the evidence holds it (the answer, else its CD=1 re-query):
 * 1 with *keys set, 0 when the zone serves none (NODATA), -1 when not known. */
static int dnssec_zone_keys(const struct evidence *ev, const char *zone,
			    const struct dns_answer **keys)
{
	const struct dns_answer *k = evidence_dns_find(ev, zone, DNS_TYPE_DNSKEY);
	if (k && k->status == DNS_STATUS_SERVFAIL && k->cd && dns_status_is_answer(k->cd->status))
		k = k->cd;
	if (k == NULL || !dns_status_is_answer(k->status))
		return -1;
	size_t n = 0;
	for (size_t i = 0; i < k->n_rr; i++)
		n += k->rr[i].type == DNS_TYPE_DNSKEY && k->rr[i].len >= 4;
	if (n == 0)
		return 0;
	*keys = k;
	return 1;
}

static int dnssec_key_listed(const struct dns_answer *keys, unsigned tag, unsigned alg)
{
	for (size_t i = 0; i < keys->n_rr; i++) {
		const struct dns_rdata *r = &keys->rr[i];
		if (r->type == DNS_TYPE_DNSKEY && r->len >= 4 && r->data[3] == alg &&
		    dnssec_keytag(r->data, r->len) == (int)tag)
			return 1;
	}
	return 0;
}

/* 1 when some DS of zone names a DNSKEY of keys (key tag and algorithm), 0 when none does, -1
 * when the DS RRset is not known (or there is none: an insecure delegation is not bogus). */
static int dnssec_ds_matches(const struct evidence *ev, const char *zone,
			     const struct dns_answer *keys)
{
	const struct dns_answer *ds = evidence_dns_find(ev, zone, DNS_TYPE_DS);
	if (ds == NULL || ds->status != DNS_STATUS_OK)
		return -1;
	int any = 0;
	for (size_t i = 0; i < ds->n_rr; i++) {
		const struct dns_rdata *r = &ds->rr[i];
		if (r->type != DNS_TYPE_DS || r->len < 4)
			continue;
		any = 1;
		if (dnssec_key_listed(keys, (unsigned)r->data[0] << 8 | r->data[1], r->data[2]))
			return 1;
	}
	return any ? 0 : -1;
}

/* The scanned domain, when qname is at or below it (the zone to look at when no RRSIG names its
 * signer), else NULL. */
static const char *dnssec_domain_zone(const struct evidence *ev, const char *qname)
{
	size_t nd = strlen(ev->domain), nq = qname ? strlen(qname) : 0;
	if (nq < nd || strcasecmp(qname + nq - nd, ev->domain) != 0 ||
	    (nq > nd && qname[nq - nd - 1] != '.'))
		return NULL;
	return ev->domain;
}

/* RFC 8914 codes that say why validation failed. */
static enum dnssec_why dnssec_why_from_ede(int code)
{
	switch (code) {
	case 1:
	case 2: return DNSSEC_WHY_ALGORITHM;
	case 7: return DNSSEC_WHY_SIG_EXPIRED;
	case 8: return DNSSEC_WHY_SIG_NOT_YET_VALID;
	case 9: return DNSSEC_WHY_DNSKEY_MISSING;
	case 10: return DNSSEC_WHY_SIG_MISSING;
	default: return DNSSEC_WHY_UNKNOWN; /* 6 DNSSEC Bogus, 12 NSEC Missing... say no more */
	}
}

/* The EDE code daemon/dns.c recorded in why ("EDE 7: ..."), or -1. */
static int dnssec_ede_code(const struct dns_answer *a)
{
	unsigned code;
	if (a->why && sscanf(a->why, "EDE %u", &code) == 1 && code < 65536)
		return (int)code;
	return -1;
}

/* What the CD=1 re-query of a bogus answer shows. */
static enum dnssec_why dnssec_why_from_cd(const struct evidence *ev, const struct dns_answer *cd,
					  time_t now, char *signer, size_t slen)
{
	struct dnssec_sig s;
	int when;
	const struct dns_answer *keys = NULL;
	if (!dnssec_pick_sig(cd, now, &s, &when)) {
		/* No signature came back: a resolver that found no DNSKEY may keep none. The
		 * domain's own zone tells (dnssec_why_plan asked for its DNSKEY and DS). */
		const char *zone = dnssec_domain_zone(ev, cd->qname);
		int k = zone ? dnssec_zone_keys(ev, zone, &keys) : -1;
		if (zone)
			snprintf(signer, slen, "%.255s", zone);
		if (k == 0)
			return DNSSEC_WHY_DNSKEY_MISSING;
		if (k > 0 && dnssec_ds_matches(ev, zone, keys) == 0)
			return DNSSEC_WHY_DS_MISMATCH;
		return DNSSEC_WHY_SIG_MISSING;
	}
	snprintf(signer, slen, "%.255s", s.signer);
	if (when < 0)
		return DNSSEC_WHY_SIG_EXPIRED;
	if (when > 0)
		return DNSSEC_WHY_SIG_NOT_YET_VALID;
	int k = dnssec_zone_keys(ev, s.signer, &keys);
	if (k == 0)
		return DNSSEC_WHY_DNSKEY_MISSING;
	if (k < 0)
		return DNSSEC_WHY_UNKNOWN;
	if (dnssec_ds_matches(ev, s.signer, keys) == 0)
		return DNSSEC_WHY_DS_MISMATCH;
	/* Keys published, the DS names one of them, signatures in date: what is left is the
	 * signature itself (or a key that did not make it, which is as bad). */
	return DNSSEC_WHY_BAD_SIGNATURE;
}

void dnssec_diagnose(const struct evidence *ev, const struct dns_answer *a, time_t now,
		     struct dnssec_diagnosis *out)
{
	memset(out, 0, sizeof *out);
	out->ede = dnssec_ede_code(a);
	out->status = dns_answer_dnssec(a);
	if (a->status == DNS_STATUS_SERVFAIL && a->cd && !dns_status_is_answer(a->cd->status) &&
	    a->dnssec != DNSSEC_BOGUS) {
		out->server_failure = 1;
		out->source = "cd";
		return;
	}
	if (out->status != DNSSEC_BOGUS)
		return;
	if (out->ede >= 0) {
		out->why = dnssec_why_from_ede(out->ede);
		out->source = "ede";
		if (out->why != DNSSEC_WHY_UNKNOWN || a->cd == NULL)
			return;
	}
	if (a->cd && dns_status_is_answer(a->cd->status)) {
		out->why = dnssec_why_from_cd(ev, a->cd, now, out->signer, sizeof out->signer);
		out->source = "cd";
		return;
	}
	out->why = DNSSEC_WHY_UNKNOWN;
}

void dnssec_why_plan(const struct evidence *ev, struct dns_question *q, size_t max, size_t *n)
{
	for (size_t i = 0; i < ev->n_dns; i++) {
		const struct dns_answer *a = &ev->dns[i];
		if (a->status != DNS_STATUS_SERVFAIL || a->cd == NULL ||
		    !dns_status_is_answer(a->cd->status))
			continue;
		struct dnssec_sig s;
		int when;
		time_t now = ev->started_ms > 0 ? (time_t)(ev->started_ms / 1000) : time(NULL);
		const char *zone = NULL;
		if (!dnssec_pick_sig(a->cd, now, &s, &when))
			zone = dnssec_domain_zone(ev, a->qname); /* no signer named: the domain's */
		else if (when == 0 && s.signer[0])
			zone = s.signer;
		if (zone == NULL)
			continue;
		check_plan_ask(ev, q, max, n, zone, DNS_TYPE_DNSKEY, 0);
		check_plan_ask(ev, q, max, n, zone, DNS_TYPE_DS, 0);
	}
}
