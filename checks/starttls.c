/* starttls.c — the STARTTLS check over the recorded SMTP probes: one row per (MX host, address),
 * the domain verdict (pass when every address where it could be tested negotiated TLS 1.2+ without
 * STARTTLS injection) and MECSA's percentage (reference spec §3.1, §4.1). Pure. */
#include "checks/starttls.h"

#include <stdio.h>
#include <string.h>

#include "checks/mx.h"
#include "checks/smtp_evidence.h"
#include "checks/smtp_reply.h"

static void starttls_add_target(struct smtp_target *out, size_t max, size_t *n,
				const struct mx_host *h, const char *addr, int ipv6)
{
	if (*n >= max || addr == NULL || strlen(addr) >= STARTTLS_ADDR_MAX)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(out[i].address, addr) == 0 && strcmp(out[i].host, h->name) == 0)
			return;
	struct smtp_target *t = &out[(*n)++];
	memset(t, 0, sizeof *t);
	snprintf(t->host, sizeof t->host, "%s", h->name);
	snprintf(t->address, sizeof t->address, "%s", addr);
	t->pref = h->pref;
	t->ipv6 = ipv6;
}

size_t starttls_targets(const struct evidence *ev, int ipv6, struct smtp_target *out, size_t max)
{
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind), n = 0;
	for (size_t i = 0; i < nh; i++) {
		if (hosts[i].ip_literal)
			continue; /* RFC 5321 §5.1 forbids it; the mx check reports it */
		const struct dns_answer *a = evidence_dns_find(ev, hosts[i].name, DNS_TYPE_A);
		for (size_t k = 0; a && a->status == DNS_STATUS_OK && k < a->n_rr; k++)
			if (a->rr[k].type == DNS_TYPE_A)
				starttls_add_target(out, max, &n, &hosts[i], a->rr[k].text, 0);
		if (!ipv6)
			continue;
		a = evidence_dns_find(ev, hosts[i].name, DNS_TYPE_AAAA);
		for (size_t k = 0; a && a->status == DNS_STATUS_OK && k < a->n_rr; k++)
			if (a->rr[k].type == DNS_TYPE_AAAA)
				starttls_add_target(out, max, &n, &hosts[i], a->rr[k].text, 1);
	}
	return n;
}

const struct smtp_probe *starttls_probe(const struct evidence *ev, const struct smtp_target *t)
{
	return evidence_smtp_find(ev, t->host, t->address);
}

static int starttls_gave_up(enum smtp_error e)
{
	return e == SMTP_ERR_TIMEOUT || e == SMTP_ERR_RATE_LIMITED || e == SMTP_ERR_DEADLINE ||
	       e == SMTP_ERR_LOCAL;
}

enum starttls_outcome starttls_outcome(const struct smtp_probe *p)
{
	if (p == NULL)
		return STARTTLS_NOT_PROBED;
	if (p->error == SMTP_ERR_EXCLUDED || p->banner_code != 220)
		return STARTTLS_UNREACHABLE;
	int offered = (p->ext & SMTP_EXT_STARTTLS) != 0;
	/* A STARTTLS that works but is not advertised is never used by a sender. */
	if (p->ehlo_code == 250 && !offered)
		return STARTTLS_NOT_OFFERED;
	if (p->tls)
		return STARTTLS_OK;
	/* EHLO refused (HELO-only server) or an EHLO reply no client can parse. */
	if (p->ehlo_code >= 500 ||
	    (p->ehlo_code == 0 && p->stage == SMTP_STAGE_EHLO && p->error == SMTP_ERR_PROTOCOL))
		return STARTTLS_NOT_OFFERED;
	if (p->ehlo_code != 250)
		return STARTTLS_UNTESTED; /* 4xx, reset or timeout at EHLO: rate limiting */
	if (p->starttls_code == 220)
		return p->error == SMTP_ERR_DEADLINE || p->error == SMTP_ERR_LOCAL
			       ? STARTTLS_UNTESTED
			       : STARTTLS_HANDSHAKE_FAILED;
	if (p->starttls_code)
		return STARTTLS_REFUSED;
	return starttls_gave_up(p->error) ? STARTTLS_UNTESTED : STARTTLS_REFUSED;
}

const char *starttls_outcome_name(enum starttls_outcome o)
{
	static const char *const names[] = {
		[STARTTLS_NOT_PROBED] = "not_probed",
		[STARTTLS_UNREACHABLE] = "unreachable",
		[STARTTLS_UNTESTED] = "untested",
		[STARTTLS_NOT_OFFERED] = "not_offered",
		[STARTTLS_REFUSED] = "refused",
		[STARTTLS_HANDSHAKE_FAILED] = "handshake_failed",
		[STARTTLS_OK] = "ok",
	};
	return (unsigned)o <= STARTTLS_OK ? names[o] : "?";
}

int starttls_counted(enum starttls_outcome o)
{
	return o >= STARTTLS_NOT_OFFERED;
}

static json_t *starttls_opt_str(const char *s)
{
	json_t *j = s ? json_string(s) : NULL;
	return j ? j : json_null();
}

static json_t *starttls_row(const struct smtp_target *t, const struct smtp_probe *p,
			    enum starttls_outcome o)
{
	json_t *row = json_pack("{s:s, s:s, s:i, s:b, s:s, s:b}", "host", t->host, "address",
				t->address, "pref", (int)t->pref, "ipv6", t->ipv6, "starttls",
				starttls_outcome_name(o), "counted", starttls_counted(o));
	if (p == NULL)
		return row;
	json_t *smtp = json_pack("{s:s, s:s, s:o, s:o, s:i}", "stage", smtp_stage_name(p->stage),
				 "error", smtp_error_name(p->error), "reason",
				 starttls_opt_str(p->reason), "banner",
				 starttls_opt_str(p->banner), "attempts", (int)p->attempts);
	json_object_set_new(row, "smtp", smtp);
	int offered = (p->ext & SMTP_EXT_STARTTLS) != 0;
	json_object_set_new(row, "starttls_offered", json_boolean(offered));
	if (!offered && p->tls)
		json_object_set_new(row, "hidden_starttls", json_true());
	if (p->starttls_code)
		json_object_set_new(row, "starttls_reply", starttls_opt_str(p->starttls_reply));
	json_object_set_new(row, "tls_version", starttls_opt_str(p->tls_version));
	json_object_set_new(row, "cipher", starttls_opt_str(p->tls_cipher));
	json_object_set_new(row, "group", starttls_opt_str(p->tls_group));
	json_object_set_new(row, "tls12", json_boolean(smtp_probe_tls12(p)));
	json_object_set_new(row, "injection", json_boolean(p->injection_len > 0));
	if (p->injection_len)
		json_object_set_new(row, "injected", starttls_opt_str(p->injection));
	json_object_set_new(row, "requiretls_before_tls",
			    json_boolean((p->ext & SMTP_EXT_REQUIRETLS) != 0));
	json_object_set_new(row, "requiretls_after_tls",
			    json_boolean((p->ext_tls & SMTP_EXT_REQUIRETLS) != 0));
	return row;
}

static json_t *starttls_mx_host(struct result *res, const char *host)
{
	json_t *hosts = json_object_get(res->checks[CHECK_MX].detail, "hosts");
	size_t i;
	json_t *h;
	json_array_foreach(hosts, i, h)
	{
		const char *name = json_string_value(json_object_get(h, "name"));
		if (name && dname_equal(name, host))
			return h;
	}
	return NULL;
}

json_t *starttls_mx_row(struct result *res, const char *host, const char *address)
{
	json_t *h = starttls_mx_host(res, host);
	return h ? json_object_get(json_object_get(h, "probes"), address) : NULL;
}

/* The row also goes under the MX host in the mx check's detail: the store writes one
 * mx_results row per address with it (daemon/store.c). */
static void starttls_attach(struct result *res, const struct smtp_target *t, json_t *row)
{
	json_t *h = starttls_mx_host(res, t->host);
	if (h == NULL)
		return;
	json_t *probes = json_object_get(h, "probes");
	if (probes == NULL) {
		probes = json_object();
		json_object_set_new(h, "probes", probes);
	}
	json_object_set(probes, t->address, row);
}

/* Why one address fails, for the verdict's reason. */
static void starttls_why(const struct smtp_probe *p, enum starttls_outcome o, char *buf,
			 size_t len)
{
	const char *r = p && p->reason ? p->reason : "";
	switch (o) {
	case STARTTLS_NOT_OFFERED:
		if (p->ehlo_code >= 500)
			snprintf(buf, len, "EHLO refused (%d): no ESMTP, no STARTTLS", p->ehlo_code);
		else if (p->ehlo_code != 250)
			snprintf(buf, len, "unusable EHLO reply: %s", r);
		else
			snprintf(buf, len, "STARTTLS not offered%s",
				 p->tls ? " (accepted when sent anyway)" : "");
		break;
	case STARTTLS_REFUSED:
		if (p->starttls_code)
			snprintf(buf, len, "STARTTLS refused with %d", p->starttls_code);
		else
			snprintf(buf, len, "STARTTLS unanswered: %s", r);
		break;
	case STARTTLS_HANDSHAKE_FAILED:
		if (p->injection_len)
			snprintf(buf, len, "%.140s (after %zu bytes of plaintext injected after the 220)",
				 r[0] ? r : "TLS handshake failed", p->injection_len);
		else
			snprintf(buf, len, "%s", r[0] ? r : "TLS handshake failed");
		break;
	case STARTTLS_OK:
		if (p->injection_len)
			snprintf(buf, len, "STARTTLS injection: %zu bytes of plaintext after the 220",
				 p->injection_len);
		else
			snprintf(buf, len, "only %s negotiated",
				 p->tls_version ? p->tls_version : "an old TLS version");
		break;
	case STARTTLS_NOT_PROBED:
		snprintf(buf, len, "not probed");
		break;
	default:
		/* The probe cache's reasons for rate limiting already say so. */
		snprintf(buf, len, "%s%s%s",
			 p && p->error == SMTP_ERR_RATE_LIMITED && strncmp(r, "rate-limited", 12)
				 ? "rate-limited: "
				 : "",
			 r, r[0] ? "" : starttls_outcome_name(o));
		break;
	}
}

static void starttls_evaluate(const struct evidence *ev, struct result *res)
{
	struct smtp_target t[STARTTLS_TARGETS_MAX];
	size_t nt = starttls_targets(ev, 1, t, STARTTLS_TARGETS_MAX);
	json_t *rows = json_array();
	size_t counted = 0, good = 0, tls12 = 0, bad = 0, probed = 0;
	char first_bad[256] = "", first_untested[256] = "";
	for (size_t i = 0; i < nt; i++) {
		const struct smtp_probe *p = starttls_probe(ev, &t[i]);
		enum starttls_outcome o = starttls_outcome(p);
		json_t *row = starttls_row(&t[i], p, o);
		starttls_attach(res, &t[i], row);
		json_array_append_new(rows, row);
		probed += p != NULL;
		if (!starttls_counted(o)) {
			if (first_untested[0] == '\0' && o != STARTTLS_NOT_PROBED) {
				char why[240];
				starttls_why(p, o, why, sizeof why);
				snprintf(first_untested, sizeof first_untested, "%.60s [%.45s]: %.140s",
					 t[i].host, t[i].address, why);
			}
			continue;
		}
		counted++;
		int ok = o == STARTTLS_OK && smtp_probe_tls12(p);
		tls12 += ok;
		if (ok && p->injection_len == 0) {
			good++;
			continue;
		}
		bad++;
		if (first_bad[0] == '\0') {
			char why[240];
			starttls_why(p, o, why, sizeof why);
			snprintf(first_bad, sizeof first_bad, "%.60s [%.45s]: %.140s", t[i].host, t[i].address,
				 why);
		}
	}
	double pct = counted ? 100.0 * (double)tls12 / (double)counted : 0.0;
	res->percent[MECSA_STARTTLS] = pct;
	res->supported[MECSA_STARTTLS] = counted && pct >= 80.0;
	res->mecsa_rows = (int)counted;
	res->mecsa_tls_rows = (int)tls12;
	json_t *d = json_pack("{s:o, s:i, s:i, s:i, s:f}", "addresses", rows, "tested",
			      (int)counted, "tls12", (int)tls12, "passed", (int)good, "percent",
			      pct);

	const struct check_result *mx = &res->checks[CHECK_MX];
	if (nt == 0) {
		if (mx->verdict.status == VERDICT_DNS_ERROR)
			result_set(res, CHECK_STARTTLS, d, VERDICT_DNS_ERROR,
				   "no MX address known: %s", mx->verdict.reason);
		else
			result_set(res, CHECK_STARTTLS, d, VERDICT_NOT_TESTABLE,
				   "no MX host with an address to probe");
	} else if (bad) {
		result_set(res, CHECK_STARTTLS, d, VERDICT_FAIL, "%zu of %zu tested addresses: %s",
			   bad, counted, first_bad);
	} else if (good) {
		if (good < nt)
			result_set(res, CHECK_STARTTLS, d, VERDICT_PASS,
				   "%zu of %zu addresses negotiate TLS 1.2+; %zu not tested (%s)", good,
				   nt, nt - good, first_untested[0] ? first_untested : "not probed");
		else
			result_set(res, CHECK_STARTTLS, d, VERDICT_PASS,
				   "all %zu addresses negotiate TLS 1.2+", good);
	} else if (probed == 0) {
		result_set(res, CHECK_STARTTLS, d, VERDICT_NOT_TESTABLE, "no MX address was probed");
	} else {
		result_set(res, CHECK_STARTTLS, d, VERDICT_NOT_TESTABLE,
			   "no MX address could be tested: %s", first_untested);
	}
}

const struct check check_starttls = {
	.id = CHECK_STARTTLS,
	.name = "starttls",
	.title = "STARTTLS",
	.plan = NULL,
	.evaluate = starttls_evaluate,
};
