/* dane.c — the DANE check: TLSA questions in plan(), per-host TLSA status (none, insecure, DNS
 * error, unusable, usable), per-address matching against the recorded chains with OpenSSL's DANE
 * verifier run on an X509_STORE_CTX (no handshake, no I/O), the rollover-safety of the published
 * set, MECSA's percentage (spec §4.1) and the domain verdict. Pure. */
#include "checks/dane.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checks/mx.h"
#include "checks/smtp_evidence.h"
#include "checks/starttls.h"
#include "checks/x509.h"
#include "common/xalloc.h"

static int dane_tlsa_name(const char *host, char *out, size_t len)
{
	int n = snprintf(out, len, "_25._tcp.%s", host);
	return n > 0 && (size_t)n < len && n <= 253 ? 0 : -1;
}

/* The CNAME target of an MX host as seen in its address answers, or NULL. */
static const char *dane_host_alias(const struct evidence *ev, const char *host)
{
	const struct dns_answer *a4 = evidence_dns_find(ev, host, DNS_TYPE_A);
	const struct dns_answer *a6 = evidence_dns_find(ev, host, DNS_TYPE_AAAA);
	if (a4 && a4->canonical && !dname_equal(a4->canonical, host))
		return a4->canonical;
	if (a6 && a6->canonical && !dname_equal(a6->canonical, host))
		return a6->canonical;
	return NULL;
}

static int dane_host_has_address(const struct evidence *ev, const char *host)
{
	const struct dns_answer *a4 = evidence_dns_find(ev, host, DNS_TYPE_A);
	const struct dns_answer *a6 = evidence_dns_find(ev, host, DNS_TYPE_AAAA);
	return (a4 && a4->n_rr) || (a6 && a6->n_rr);
}

static size_t dane_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind), n = 0;
	for (size_t i = 0; i < nh; i++) {
		char name[DNAME_MAX + 16];
		if (hosts[i].ip_literal || !dane_host_has_address(ev, hosts[i].name))
			continue;
		/* RFC 7672 §2.2.2: the CNAME-expanded name first, then the MX name itself. */
		const char *alias = dane_host_alias(ev, hosts[i].name);
		if (alias && dane_tlsa_name(alias, name, sizeof name) == 0)
			check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TLSA, 0);
		if (dane_tlsa_name(hosts[i].name, name, sizeof name) == 0)
			check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TLSA, 0);
	}
	return n;
}

/* ---- matching ---- */

/* The client context DANE verification hangs off: the same for every match, and costly to make
 * in OpenSSL 3 (it fetches every cipher and digest of the providers), so it is made once. */
static SSL_CTX *dane_ctx(void)
{
	static SSL_CTX *ctx;
	if (ctx == NULL) {
		ctx = SSL_CTX_new(TLS_client_method());
		if (ctx && SSL_CTX_dane_enable(ctx) <= 0) {
			SSL_CTX_free(ctx);
			ctx = NULL;
		}
	}
	return ctx;
}

static int dane_verify_one(SSL_CTX *sctx, X509 *leaf, STACK_OF(X509) *untrusted,
			   const struct dns_rdata *r, const char *base, const char *host, time_t t,
			   int *usable, char *why, size_t whylen)
{
	SSL *ssl = SSL_new(sctx);
	int matched = 0;
	if (ssl == NULL || SSL_dane_enable(ssl, base) <= 0) {
		snprintf(why, whylen, "DANE cannot be enabled");
		SSL_free(ssl);
		*usable = 0;
		return 0;
	}
	/* RFC 7672 §3.2.3: DANE-EE binds the key, not a name; DANE-TA chains are checked against the
	 * TLSA base domain and the MX host name. */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	if (host && strcmp(host, base) != 0)
		SSL_add1_host(ssl, host);
	int rc = SSL_dane_tlsa_add(ssl, r->usage, r->selector, r->mtype, r->data, r->len);
	*usable = rc > 0;
	if (rc <= 0) {
		snprintf(why, whylen, "%s TLSA record %u %u %u", rc == 0 ? "unusable" : "malformed",
			 r->usage, r->selector, r->mtype);
		SSL_free(ssl);
		return 0;
	}
	X509_STORE *trust = x509_trust();
	X509_STORE *empty = trust ? NULL : X509_STORE_new();
	X509_STORE_CTX *xc = X509_STORE_CTX_new();
	X509_STORE_CTX_init(xc, trust ? trust : empty, leaf, untrusted);
	X509_STORE_CTX_set_default(xc, "ssl_server");
	X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xc), SSL_get0_param(ssl));
	X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(xc), t);
	X509_STORE_CTX_set0_dane(xc, SSL_get0_dane(ssl));
	matched = X509_verify_cert(xc) == 1;
	if (!matched)
		snprintf(why, whylen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(xc)));
	X509_STORE_CTX_free(xc);
	X509_STORE_free(empty);
	SSL_free(ssl);
	return matched;
}

int dane_match(const struct smtp_probe *p, const struct dns_rdata *rr, size_t n, const char *base,
	       time_t t, int *usable, char *why, size_t whylen)
{
	snprintf(why, whylen, "no TLSA record matches");
	/* Decoded through the x509 check's memo: the same chains come back for every domain of an
	 * operator, and the x509 check has usually decoded them already. */
	X509 *leaf = p->chain_len ? x509_cert_decode(&p->chain[0]) : NULL;
	if (leaf == NULL) {
		snprintf(why, whylen, "no certificate to match");
		for (size_t i = 0; usable && i < n; i++)
			usable[i] = 0;
		return -1;
	}
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	for (size_t i = 1; i < p->chain_len; i++) {
		X509 *x = x509_cert_decode(&p->chain[i]);
		if (x)
			sk_X509_push(untrusted, x);
	}
	SSL_CTX *sctx = dane_ctx();
	int found = -1;
	char last[160] = "";
	if (sctx) {
		for (size_t i = 0; i < n; i++) {
			int u = 0;
			char one[160];
			if (rr[i].type != DNS_TYPE_TLSA) {
				if (usable)
					usable[i] = 0;
				continue;
			}
			int m = dane_verify_one(sctx, leaf, untrusted, &rr[i], base, p->host, t, &u,
						one, sizeof one);
			if (usable)
				usable[i] = u;
			if (m && found < 0)
				found = (int)i;
			else if (!m && u)
				snprintf(last, sizeof last, "%s", one);
		}
	}
	if (found < 0 && last[0])
		snprintf(why, whylen, "%s", last);
	sk_X509_pop_free(untrusted, X509_free);
	X509_free(leaf);
	return found;
}

/* ---- per host ---- */

enum dane_host_status {
	DANE_HOST_NOT_QUERIED = 0, /* no TLSA answer recorded */
	DANE_HOST_NONE,		   /* NXDOMAIN / NODATA */
	DANE_HOST_DNS_ERROR,	   /* the lookup failed, or DNSSEC says bogus */
	DANE_HOST_INSECURE,	   /* records, but not DNSSEC-secure: unusable (RFC 7672 §2.2) */
	DANE_HOST_UNUSABLE,	   /* secure records, none with usable parameters */
	DANE_HOST_USABLE,	   /* secure, usable records */
};

static const char *dane_host_status_name(enum dane_host_status s)
{
	static const char *const names[] = {"not_queried", "none",     "dns_error",
					    "insecure",	   "unusable", "usable"};
	return names[s];
}

/* The TLSA answer that applies to host, and its base domain (RFC 7672 §2.2.2). */
static const struct dns_answer *dane_host_tlsa(const struct evidence *ev, const char *host,
					       const char **base)
{
	char name[DNAME_MAX + 16];
	const char *alias = dane_host_alias(ev, host);
	if (alias && dane_tlsa_name(alias, name, sizeof name) == 0) {
		const struct dns_answer *a = evidence_dns_find(ev, name, DNS_TYPE_TLSA);
		if (a && a->status == DNS_STATUS_OK && a->n_rr) {
			*base = alias;
			return a;
		}
	}
	*base = host;
	if (dane_tlsa_name(host, name, sizeof name) < 0)
		return NULL;
	return evidence_dns_find(ev, name, DNS_TYPE_TLSA);
}

static enum dane_host_status dane_status(const struct dns_answer *a, size_t n_usable)
{
	if (a == NULL)
		return DANE_HOST_NOT_QUERIED;
	if (a->status == DNS_STATUS_NXDOMAIN || a->status == DNS_STATUS_NODATA)
		return a->dnssec == DNSSEC_BOGUS ? DANE_HOST_DNS_ERROR : DANE_HOST_NONE;
	if (a->status != DNS_STATUS_OK || a->dnssec == DNSSEC_BOGUS)
		return DANE_HOST_DNS_ERROR;
	if (a->dnssec != DNSSEC_SECURE)
		return DANE_HOST_INSECURE;
	return n_usable ? DANE_HOST_USABLE : DANE_HOST_UNUSABLE;
}

static int dane_params_usable(const struct dns_rdata *r)
{
	static const size_t len[] = {0, 32, 64};
	return r->type == DNS_TYPE_TLSA && r->usage <= 3 && r->selector <= 1 && r->mtype <= 2 &&
	       r->data && r->len > 0 && (r->mtype == 0 || r->len == len[r->mtype]);
}

/* RFC 7671 §8: a set survives a key or certificate change when it holds a second usable record:
 * a DANE-TA alongside, or a second DANE-EE (current + next key). */
static int dane_rollover_safe(const struct dns_answer *a)
{
	size_t ee = 0, ta = 0;
	for (size_t i = 0; a && i < a->n_rr; i++) {
		if (!dane_params_usable(&a->rr[i]))
			continue;
		ee += a->rr[i].usage == 3;
		ta += a->rr[i].usage == 2;
	}
	return (ee && ta) || ee >= 2 || ta >= 2;
}

static json_t *dane_records_json(const struct dns_answer *a)
{
	json_t *arr = json_array();
	for (size_t i = 0; a && i < a->n_rr; i++) {
		const struct dns_rdata *r = &a->rr[i];
		if (r->type != DNS_TYPE_TLSA)
			continue;
		char *hex = xmalloc(2 * r->len + 1);
		for (size_t k = 0; k < r->len; k++)
			sprintf(hex + 2 * k, "%02x", r->data[k]);
		hex[2 * r->len] = '\0';
		json_array_append_new(arr, json_pack("{s:i, s:i, s:i, s:s, s:b}", "usage", r->usage,
						     "selector", r->selector, "mtype", r->mtype,
						     "data", hex, "usable", dane_params_usable(r)));
		free(hex);
	}
	return arr;
}

struct dane_tally {
	size_t hosts;		   /* MX hosts with addresses */
	size_t usable_hosts;	   /* hosts with secure, usable TLSA */
	size_t insecure_hosts;	   /* hosts with TLSA in an insecure zone */
	size_t unusable_hosts;	   /* hosts with secure but unusable TLSA */
	size_t error_hosts;	   /* hosts whose TLSA lookup failed */
	size_t matched, failed;	   /* addresses matching / failing (mismatch, no TLS) */
	size_t mecsa_rows, mecsa_match; /* MECSA: counted addresses, and those matching */
	size_t insecure_tested;	   /* addresses of hosts with insecure TLSA matched for information */
	size_t insecure_matched;   /* ... and those whose chain the records match */
	char first_fail[256];	   /* the first failure, for the reason */
};

static void dane_host_rows(const struct evidence *ev, struct result *res, const struct mx_host *h,
			   const struct dns_answer *tlsa, const char *base,
			   enum dane_host_status st, json_t *rows, struct dane_tally *tl)
{
	struct smtp_target t[STARTTLS_TARGETS_MAX];
	size_t nt = starttls_targets(ev, 1, t, STARTTLS_TARGETS_MAX);
	for (size_t i = 0; i < nt; i++) {
		if (strcmp(t[i].host, h->name) != 0)
			continue;
		const struct smtp_probe *p = starttls_probe(ev, &t[i]);
		enum starttls_outcome o = starttls_outcome(p);
		if (!starttls_counted(o))
			continue;
		tl->mecsa_rows++;
		if (st == DANE_HOST_INSECURE && o == STARTTLS_OK) {
			/* Not usable (RFC 7672 §2.2), but whether the records match the chain tells
			 * a zone that only lacks signing from a broken deployment: informational,
			 * counted neither as a match nor as a failure. */
			char iwhy[160] = "";
			int k = dane_match(p, tlsa->rr, tlsa->n_rr, base, x509_probe_time(ev, p),
					   NULL, iwhy, sizeof iwhy);
			json_t *row = json_pack("{s:s, s:s, s:b, s:b}", "host", t[i].host, "address",
						t[i].address, "match", k >= 0, "informational", 1);
			if (k < 0)
				json_object_set_new(row, "error", json_string(iwhy));
			tl->insecure_tested++;
			tl->insecure_matched += k >= 0;
			json_array_append_new(rows, row);
			continue;
		}
		if (st != DANE_HOST_USABLE)
			continue;
		json_t *row = json_pack("{s:s, s:s}", "host", t[i].host, "address", t[i].address);
		char why[160] = "";
		int idx = -1;
		if (o == STARTTLS_OK) {
			idx = dane_match(p, tlsa->rr, tlsa->n_rr, base, x509_probe_time(ev, p), NULL,
					 why, sizeof why);
		} else {
			/* RFC 7672 §2.2: with usable TLSA, a sender must not fall back to
			 * plaintext; this address cannot receive from a DANE sender. */
			snprintf(why, sizeof why, "no TLS session (%s)", starttls_outcome_name(o));
		}
		json_object_set_new(row, "match", json_boolean(idx >= 0));
		json_t *mxrow = starttls_mx_row(res, t[i].host, t[i].address);
		if (mxrow)
			json_object_set_new(mxrow, "dane_match", json_boolean(idx >= 0));
		if (idx >= 0) {
			const struct dns_rdata *r = &tlsa->rr[idx];
			json_object_set_new(row, "matched", json_pack("{s:i, s:i, s:i}", "usage",
								      r->usage, "selector",
								      r->selector, "mtype", r->mtype));
			tl->matched++;
			tl->mecsa_match++;
		} else {
			json_object_set_new(row, "error", json_string(why));
			tl->failed++;
			if (tl->first_fail[0] == '\0')
				snprintf(tl->first_fail, sizeof tl->first_fail, "%.60s [%.45s]: %.140s",
					 t[i].host, t[i].address, why);
		}
		json_array_append_new(rows, row);
	}
}

static void dane_evaluate(const struct evidence *ev, struct result *res)
{
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind);
	json_t *hj = json_array(), *rows = json_array();
	struct dane_tally tl = {0};
	for (size_t i = 0; i < nh; i++) {
		if (hosts[i].ip_literal || !dane_host_has_address(ev, hosts[i].name))
			continue;
		tl.hosts++;
		const char *base;
		const struct dns_answer *a = dane_host_tlsa(ev, hosts[i].name, &base);
		size_t n_usable = 0;
		for (size_t k = 0; a && k < a->n_rr; k++)
			n_usable += dane_params_usable(&a->rr[k]);
		enum dane_host_status st = dane_status(a, n_usable);
		tl.usable_hosts += st == DANE_HOST_USABLE;
		tl.insecure_hosts += st == DANE_HOST_INSECURE;
		tl.unusable_hosts += st == DANE_HOST_UNUSABLE;
		tl.error_hosts += st == DANE_HOST_DNS_ERROR || st == DANE_HOST_NOT_QUERIED;
		json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:b}", "name", hosts[i].name,
				      "tlsa_base", base, "status", dane_host_status_name(st), "dnssec",
				      a ? dnssec_status_name(a->dnssec) : "indeterminate", "records",
				      dane_records_json(a), "rollover_safe",
				      st == DANE_HOST_USABLE && dane_rollover_safe(a));
		if (a)
			json_object_set_new(o, "lookup", json_string(dns_status_name(a->status)));
		json_array_append_new(hj, o);
		dane_host_rows(ev, res, &hosts[i], a, base, st, rows, &tl);
	}
	double pct = tl.mecsa_rows ? 100.0 * (double)tl.mecsa_match / (double)tl.mecsa_rows : 0.0;
	res->percent[MECSA_DANE] = pct;
	res->supported[MECSA_DANE] = tl.mecsa_rows && pct >= 80.0;
	json_t *d = json_pack("{s:o, s:o, s:i, s:i, s:f}", "hosts", hj, "addresses", rows,
			      "matched", (int)tl.matched, "failed", (int)tl.failed, "percent", pct);
	json_object_set_new(d, "insecure_tested", json_integer((json_int_t)tl.insecure_tested));
	json_object_set_new(d, "insecure_matched", json_integer((json_int_t)tl.insecure_matched));

	if (tl.hosts == 0) {
		result_set(res, CHECK_DANE, d, VERDICT_NOT_TESTABLE, "no MX host with an address");
	} else if (tl.usable_hosts == 0) {
		if (tl.error_hosts)
			result_set(res, CHECK_DANE, d, VERDICT_DNS_ERROR,
				   "TLSA lookup failed for %zu of %zu MX hosts", tl.error_hosts,
				   tl.hosts);
		else if (tl.unusable_hosts)
			result_set(res, CHECK_DANE, d, VERDICT_FAIL,
				   "TLSA records published, but none is usable (RFC 7672 §3.1)");
		else if (tl.insecure_hosts && tl.insecure_tested)
			result_set(res, CHECK_DANE, d, VERDICT_ABSENT,
				   "TLSA records only in zones that are not DNSSEC-secure, so "
				   "unusable (RFC 7672 §2.2); they match the presented chain at %zu "
				   "of %zu addresses",
				   tl.insecure_matched, tl.insecure_tested);
		else if (tl.insecure_hosts)
			result_set(res, CHECK_DANE, d, VERDICT_ABSENT,
				   "TLSA records only in zones that are not DNSSEC-secure, so "
				   "unusable (RFC 7672 §2.2)");
		else
			result_set(res, CHECK_DANE, d, VERDICT_ABSENT, "no TLSA records");
	} else if (tl.failed) {
		result_set(res, CHECK_DANE, d, VERDICT_FAIL, "%zu addresses do not match: %s",
			   tl.failed, tl.first_fail);
	} else if (tl.usable_hosts < tl.hosts) {
		result_set(res, CHECK_DANE, d, VERDICT_FAIL,
			   "DANE on %zu of %zu MX hosts: the others can be used to avoid it",
			   tl.usable_hosts, tl.hosts);
	} else if (tl.matched == 0) {
		result_set(res, CHECK_DANE, d, VERDICT_NOT_TESTABLE,
			   "usable TLSA records, but no MX address could be tested");
	} else {
		result_set(res, CHECK_DANE, d, VERDICT_PASS,
			   "secure TLSA records match at %zu addresses", tl.matched);
	}
}

const struct check check_dane = {
	.id = CHECK_DANE,
	.name = "dane",
	.title = "DANE (TLSA)",
	.plan = dane_plan,
	.evaluate = dane_evaluate,
};
