/* mta_sts.c — MTA-STS (RFC 8461): the _mta-sts TXT record (§3.1), the policy file parser (§3.2),
 * MX pattern matching (§4.1) and the check over the policy fetch the daemon recorded (§3.3).
 * Pure; owns the strings of a parsed policy. Where mecsa-st differs (spec §3.9, §6 #8) the RFC
 * is followed; the differences are noted. */
#include "checks/mta_sts.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "checks/mx.h"
#include "checks/starttls.h"
#include "checks/txtrec.h"
#include "checks/urlpin.h"
#include "checks/x509.h"
#include "common/xalloc.h"

static int mta_sts_is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* ---- TXT record (§3.1) ---- */

int mta_sts_record_parse(const char *txt, size_t len, struct mta_sts_record *out, char *err,
			 size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct txtrec_iter it;
	struct txtrec_field f;
	int rc, seen_id = 0;
	if (txtrec_begin(&it, txt, len, MTA_STS_VERSION, err, errlen) < 0)
		return -1;
	while ((rc = txtrec_next(&it, &f, err, errlen)) > 0) {
		if (txtrec_eq(f.name, f.name_len, "id")) {
			int ok = f.value_len >= 1 && f.value_len <= MTA_STS_ID_MAX;
			for (size_t i = 0; ok && i < f.value_len; i++)
				ok = isalnum((unsigned char)f.value[i]) != 0;
			if (!ok) {
				/* mecsa-st checks only the length; dashes and dots are common and
				 * invalid (sts-id = 1*32(ALPHA / DIGIT)). */
				snprintf(err, errlen,
					 "id \"%.*s\" is not 1 to 32 letters and digits "
					 "(RFC 8461 §3.1)",
					 (int)(f.value_len > 40 ? 40 : f.value_len), f.value);
				goto fail;
			}
			if (seen_id) {
				/* The ABNF does not forbid it, but a sender could not tell which id
				 * names the policy: treated as invalid. */
				snprintf(err, errlen, "id= appears more than once");
				goto fail;
			}
			seen_id = 1;
			memcpy(out->id, f.value, f.value_len);
			out->id[f.value_len] = '\0';
			continue;
		}
		if (f.name_len == 2 && strncasecmp(f.name, "id", 2) == 0) {
			snprintf(err, errlen, "field name \"%.2s\" must be lower-case \"id\"",
				 f.name);
			goto fail;
		}
		if (!txtrec_ext_value_ok(f.value, f.value_len)) {
			snprintf(err, errlen, "extension \"%.*s\" has a bad value", (int)f.name_len,
				 f.name);
			goto fail;
		}
		out->n_ext++; /* unknown fields are ignored (RFC 8461 §3.1) */
	}
	if (rc < 0)
		goto fail;
	if (!seen_id) {
		/* mecsa-st does not require id; RFC 8461 §3.1 does ("plaintext, required"). */
		snprintf(err, errlen, "no id= field (required, RFC 8461 §3.1)");
		goto fail;
	}
	return 0;
fail:
	memset(out, 0, sizeof *out);
	return -1;
}

/* ---- policy file (§3.2) ---- */

const char *mta_sts_mode_name(enum mta_sts_mode m)
{
	switch (m) {
	case MTA_STS_MODE_ENFORCE: return "enforce";
	case MTA_STS_MODE_TESTING: return "testing";
	case MTA_STS_MODE_NONE: return "none";
	default: return NULL;
	}
}

void mta_sts_policy_clear(struct mta_sts_policy *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n_mx; i++)
		free(p->mx[i]);
	free(p->mx);
	for (size_t i = 0; i < p->n_ext; i++) {
		free(p->ext[i].name);
		free(p->ext[i].value);
	}
	free(p->ext);
	memset(p, 0, sizeof *p);
	p->max_age = -1;
}

/* Domain of RFC 5321: dot-separated labels, each a letter or digit, then letters, digits and
 * hyphens, not ending with a hyphen; 1-63 octets per label, 253 in all. No trailing dot. */
static int mta_sts_domain_ok(const char *p, size_t n)
{
	if (n == 0 || n > 253)
		return 0;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '.') {
			if (label == 0 || p[i - 1] == '-')
				return 0;
			label = 0;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0 && p[n - 1] != '-';
}

/* sts-policy-ext-value = sts-policy-vchar [*(%x20 / sts-policy-vchar) sts-policy-vchar], with
 * sts-policy-vchar = %x21-7E / UTF8-2 / UTF8-3 / UTF8-4. Trailing WSP is already cut. */
static int mta_sts_ext_value_ok(const char *v, size_t n)
{
	const unsigned char *p = (const unsigned char *)v;
	if (n == 0 || p[0] == ' ')
		return 0;
	for (size_t i = 0; i < n;) {
		if (p[i] >= 0x20 && p[i] <= 0x7e) {
			i++;
		} else {
			size_t l = txtrec_utf8_len(p + i, n - i);
			if (l == 0)
				return 0;
			i += l;
		}
	}
	return 1;
}

/* A printable copy of at most 32 bytes of untrusted text, for error messages. */
static const char *mta_sts_show(const char *p, size_t n, char *buf, size_t buflen)
{
	size_t o = 0;
	for (size_t i = 0; i < n && i < 32 && o + 1 < buflen; i++) {
		unsigned char c = (unsigned char)p[i];
		buf[o++] = (c >= 0x20 && c <= 0x7e) ? (char)c : '?';
	}
	buf[o] = '\0';
	return buf;
}

/* Handle one "key: value" line (line has no terminator). Returns 0, or -1 with err set. */
static int mta_sts_policy_line(struct mta_sts_policy *p, const char *line, size_t n,
			       unsigned lineno, char *err, size_t errlen)
{
	char show[40];
	if (mta_sts_is_wsp((unsigned char)line[0])) {
		snprintf(err, errlen, "line %u starts with whitespace", lineno);
		return -1;
	}
	const char *colon = memchr(line, ':', n);
	if (colon == NULL) {
		snprintf(err, errlen, "line %u is not \"key: value\" (no ':'): \"%s\"", lineno,
			 mta_sts_show(line, n, show, sizeof show));
		return -1;
	}
	size_t kn = (size_t)(colon - line);
	if (kn && mta_sts_is_wsp((unsigned char)line[kn - 1])) {
		/* mecsa-st silently ignores such a line; the ABNF has no space before ':'. */
		snprintf(err, errlen, "line %u: space before ':'", lineno);
		return -1;
	}
	if (!txtrec_ext_name_ok(line, kn)) {
		snprintf(err, errlen, "line %u: bad field name \"%s\"", lineno,
			 mta_sts_show(line, kn, show, sizeof show));
		return -1;
	}
	const char *v = colon + 1;
	size_t vn = n - kn - 1;
	while (vn && mta_sts_is_wsp((unsigned char)v[0])) {
		v++;
		vn--;
	}
	while (vn && mta_sts_is_wsp((unsigned char)v[vn - 1]))
		vn--;

	if (txtrec_eq(line, kn, "version")) {
		if (p->has_version) {
			snprintf(err, errlen, "line %u: version given twice", lineno);
			return -1;
		}
		if (!txtrec_eq(v, vn, "STSv1")) {
			snprintf(err, errlen, "line %u: version \"%s\" is not STSv1", lineno,
				 mta_sts_show(v, vn, show, sizeof show));
			return -1;
		}
		p->has_version = true;
		return 0;
	}
	if (txtrec_eq(line, kn, "mode")) {
		if (p->mode != MTA_STS_MODE_UNSET) {
			snprintf(err, errlen, "line %u: mode given twice", lineno);
			return -1;
		}
		if (txtrec_eq(v, vn, "enforce")) {
			p->mode = MTA_STS_MODE_ENFORCE;
		} else if (txtrec_eq(v, vn, "testing")) {
			p->mode = MTA_STS_MODE_TESTING;
		} else if (txtrec_eq(v, vn, "none")) {
			p->mode = MTA_STS_MODE_NONE;
		} else {
			snprintf(err, errlen,
				 "line %u: mode \"%s\" is not enforce, testing or none "
				 "(case-sensitive)",
				 lineno, mta_sts_show(v, vn, show, sizeof show));
			return -1;
		}
		return 0;
	}
	if (txtrec_eq(line, kn, "max_age")) {
		if (p->max_age >= 0) {
			snprintf(err, errlen, "line %u: max_age given twice", lineno);
			return -1;
		}
		/* sts-policy-max-age-value = 1*10(DIGIT), at most 31557600 (§3.2). */
		unsigned long long age = 0; /* 10 digits overflow a 32-bit long */
		int ok = vn >= 1 && vn <= 10;
		for (size_t i = 0; ok && i < vn; i++) {
			ok = isdigit((unsigned char)v[i]) != 0;
			age = age * 10 + (unsigned)(v[i] - '0');
		}
		if (!ok) {
			snprintf(err, errlen, "line %u: max_age \"%s\" is not 1 to 10 digits",
				 lineno, mta_sts_show(v, vn, show, sizeof show));
			return -1;
		}
		if (age > (unsigned long long)MTA_STS_MAX_AGE_MAX) {
			snprintf(err, errlen, "line %u: max_age %llu exceeds %ld (RFC 8461 §3.2)",
				 lineno, age, MTA_STS_MAX_AGE_MAX);
			return -1;
		}
		p->max_age = (long)age;
		return 0;
	}
	if (txtrec_eq(line, kn, "mx")) {
		/* sts-policy-mx-value = ["*."] Domain */
		const char *d = v;
		size_t dn = vn;
		if (dn >= 2 && d[0] == '*' && d[1] == '.') {
			d += 2;
			dn -= 2;
		}
		if (!mta_sts_domain_ok(d, dn)) {
			snprintf(err, errlen, "line %u: mx \"%s\" is not a host name or *.domain",
				 lineno, mta_sts_show(v, vn, show, sizeof show));
			return -1;
		}
		p->mx = xrealloc(p->mx, (p->n_mx + 1) * sizeof *p->mx);
		p->mx[p->n_mx++] = xstrndup(v, vn);
		return 0;
	}
	static const char *const known[] = {"version", "mode", "max_age", "mx"};
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		if (strlen(known[i]) == kn && strncasecmp(line, known[i], kn) == 0) {
			/* Field names are case-sensitive (%s"mode"): "Mode" would be an unknown
			 * field and silently ignored; say why the policy then lacks it. */
			snprintf(err, errlen,
				 "line %u: field name \"%s\" must be lower-case \"%s\"", lineno,
				 mta_sts_show(line, kn, show, sizeof show), known[i]);
			return -1;
		}
	if (!mta_sts_ext_value_ok(v, vn)) {
		snprintf(err, errlen, "line %u: field \"%s\" has an empty or bad value", lineno,
			 mta_sts_show(line, kn, show, sizeof show));
		return -1;
	}
	p->ext = xrealloc(p->ext, (p->n_ext + 1) * sizeof *p->ext);
	p->ext[p->n_ext].name = xstrndup(line, kn);
	p->ext[p->n_ext].value = xstrndup(v, vn);
	p->n_ext++;
	return 0;
}

int mta_sts_policy_parse(const char *body, size_t len, struct mta_sts_policy *out, char *err,
			 size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->max_age = -1;
	if (len > MTA_STS_POLICY_MAX) {
		snprintf(err, errlen, "policy of %zu bytes exceeds the %d-byte limit", len,
			 MTA_STS_POLICY_MAX);
		return -1;
	}
	unsigned lineno = 0;
	size_t pos = 0;
	while (pos < len) {
		lineno++;
		const char *line = body + pos;
		const char *lf = memchr(line, '\n', len - pos);
		size_t n = lf ? (size_t)(lf - line) : len - pos;
		pos += n + (lf ? 1 : 0);
		/* sts-policy-term = LF / CRLF (RFC 8461 §3.2; erratum 6253 on the prose). */
		if (lf && n && line[n - 1] == '\r') {
			n--;
			out->crlf = true;
		} else if (lf) {
			out->lf = true;
		}
		if (memchr(line, '\r', n)) {
			snprintf(err, errlen, "line %u: bare CR (lines end in LF or CRLF)", lineno);
			return -1;
		}
		if (n == 0) {
			/* The ABNF has no empty line, and mecsa-st rejects the policy for one
			 * (spec §6 #8 counts that as a defect). Senders in the field skip them:
			 * tolerated here and counted, which keeps the strict reading available. */
			out->blank_lines++;
			continue;
		}
		if (mta_sts_policy_line(out, line, n, lineno, err, errlen) < 0)
			return -1;
	}
	if (!out->has_version) {
		snprintf(err, errlen, "no version field (required)");
		return -1;
	}
	if (out->mode == MTA_STS_MODE_UNSET) {
		snprintf(err, errlen, "no mode field (required)");
		return -1;
	}
	if (out->max_age < 0) {
		snprintf(err, errlen, "no max_age field (required)");
		return -1;
	}
	if (out->n_mx == 0 && out->mode != MTA_STS_MODE_NONE) {
		snprintf(err, errlen, "no mx field (required unless mode is none)");
		return -1;
	}
	return 0;
}

json_t *mta_sts_policy_to_json(const struct mta_sts_policy *p)
{
	json_t *mx = json_array();
	for (size_t i = 0; i < p->n_mx; i++)
		json_array_append_new(mx, txtrec_json_bytes(p->mx[i], strlen(p->mx[i])));
	json_t *ext = json_object();
	for (size_t i = 0; i < p->n_ext; i++)
		if (json_object_get(ext, p->ext[i].name) == NULL) /* the first one wins */
			json_object_set_new(ext, p->ext[i].name,
					    txtrec_json_bytes(p->ext[i].value,
							      strlen(p->ext[i].value)));
	const char *mode = mta_sts_mode_name(p->mode);
	const char *endings = p->lf && p->crlf ? "mixed" : p->crlf ? "crlf" : p->lf ? "lf" : "none";
	return json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:s}", "version",
			 p->has_version ? json_string("STSv1") : json_null(), "mode",
			 mode ? json_string(mode) : json_null(), "max_age",
			 p->max_age >= 0 ? json_integer(p->max_age) : json_null(), "mx", mx,
			 "extensions", ext, "blank_lines", (json_int_t)p->blank_lines,
			 "line_endings", endings);
}

/* ---- MX matching (§4.1) ---- */

static size_t mta_sts_len_nodot(const char *s)
{
	size_t n = strlen(s);
	return n && s[n - 1] == '.' ? n - 1 : n;
}

int mta_sts_mx_match(const char *pattern, const char *mx_host)
{
	if (pattern == NULL || mx_host == NULL)
		return 0;
	size_t pn = mta_sts_len_nodot(pattern), hn = mta_sts_len_nodot(mx_host);
	if (pn == 0 || hn == 0)
		return 0;
	if (pn >= 2 && pattern[0] == '*' && pattern[1] == '.') {
		/* "*.example.com" stands for exactly one leftmost label: mx.example.com matches,
		 * a.b.example.com and example.com do not. (mecsa-st lets it match any depth.) */
		const char *suffix = pattern + 2;
		size_t sn = pn - 2;
		if (sn == 0 || hn < sn + 2 || mx_host[hn - sn - 1] != '.')
			return 0;
		if (strncasecmp(mx_host + hn - sn, suffix, sn) != 0)
			return 0;
		return memchr(mx_host, '.', hn - sn - 1) == NULL;
	}
	return pn == hn && strncasecmp(pattern, mx_host, pn) == 0;
}

int mta_sts_policy_match(const struct mta_sts_policy *p, const char *mx_host)
{
	for (size_t i = 0; i < p->n_mx; i++)
		if (mta_sts_mx_match(p->mx[i], mx_host))
			return 1;
	return 0;
}

/* ---- the check ---- */

/* The one valid MTA-STS TXT record of ev->domain: 1 with rec filled, else 0. The same rule as the
 * verdict below (exactly one v=STSv1 record, well-formed). */
static int mta_sts_txt_valid(const struct evidence *ev, struct mta_sts_record *rec)
{
	char name[DNAME_MAX + 16], err[VERDICT_REASON_MAX];
	snprintf(name, sizeof name, "_mta-sts.%s", ev->domain);
	const struct dns_answer *a = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (a == NULL || a->status != DNS_STATUS_OK)
		return 0;
	struct txtrec_pick pick;
	txtrec_pick(a, MTA_STS_VERSION, &pick);
	const struct dns_rdata *rd = pick.strict ? pick.strict : pick.loose;
	if (pick.n_strict > 1 || rd == NULL)
		return 0;
	return mta_sts_record_parse((const char *)rd->data, rd->len, rec, err, sizeof err) == 0;
}

/* "mta-sts.<domain>" and its policy URL (RFC 8461 §3.3). */
static void mta_sts_names(const struct evidence *ev, char *host, size_t hlen, char *url,
			  size_t ulen)
{
	snprintf(host, hlen, "mta-sts.%s", ev->domain);
	snprintf(url, ulen, "https://%s/.well-known/mta-sts.txt", host);
}

int mta_sts_policy_fetch_target(const struct evidence *ev, char *url, size_t urllen, char *resolve,
				size_t rlen)
{
	char host[DNAME_MAX + 8];
	struct mta_sts_record rec;
	if (!mta_sts_txt_valid(ev, &rec))
		return 0;
	mta_sts_names(ev, host, sizeof host, url, urllen);
	/* The pin comes from the A/AAAA answers the plan asked for. 0 (no address) leaves the
	 * check to say why. */
	int r = url_pin(ev, url, resolve, rlen);
	return r < 0 ? -1 : r;
}

static size_t mta_sts_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	char name[DNAME_MAX + 16];
	size_t n = 0;
	snprintf(name, sizeof name, "_mta-sts.%s", ev->domain);
	check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TXT, 0);
	struct mta_sts_record rec;
	if (mta_sts_txt_valid(ev, &rec)) {
		/* The policy host's addresses, so that the daemon fetches through the
		 * scanner's resolver (and DNSSEC status), never the system's. */
		snprintf(name, sizeof name, "mta-sts.%s", ev->domain);
		check_plan_ask(ev, q, max, &n, name, DNS_TYPE_A, 0);
		check_plan_ask(ev, q, max, &n, name, DNS_TYPE_AAAA, 0);
	}
	return n;
}

/* RFC 8461 §3.3: the media type must be text/plain (parameters such as charset allowed). */
static int mta_sts_ctype_ok(const char *ct)
{
	if (ct == NULL)
		return 0;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strlen("text/plain");
	if (strncasecmp(ct, "text/plain", n) != 0)
		return 0;
	ct += n;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return *ct == '\0' || *ct == ';';
}

/* The x509 check's row of (host, address), or NULL. */
static const json_t *mta_sts_x509_row(const struct result *res, const char *host,
				      const char *address)
{
	size_t i;
	json_t *row;
	json_array_foreach(json_object_get(res->checks[CHECK_X509].detail, "addresses"), i, row)
	{
		const char *h = json_string_value(json_object_get(row, "host"));
		const char *a = json_string_value(json_object_get(row, "address"));
		if (h && a && strcmp(a, address) == 0 && dname_equal(h, host))
			return row;
	}
	return NULL;
}

/* What the policy means for the MX hosts: detail.mx_matched, all_mx_matched, deliverable, and
 * MECSA's percentage. Returns 1 when every MX host matched (and there is one). unmatched gets
 * the first unmatched names for the reason. */
static int mta_sts_judge_mx(const struct evidence *ev, struct result *res,
			    const struct mta_sts_policy *pol, json_t *d, char *unmatched,
			    size_t ulen, size_t *n_unmatched)
{
	struct mx_host hosts[MX_HOSTS_MAX];
	enum mx_kind kind;
	size_t nh = mx_hosts(ev, hosts, MX_HOSTS_MAX, &kind), nmatched = 0, used = 0;
	json_t *list = json_array();
	*n_unmatched = 0;
	unmatched[0] = '\0';
	for (size_t i = 0; i < nh; i++) {
		int m = mta_sts_policy_match(pol, hosts[i].name);
		json_array_append_new(list,
				      json_pack("{s:s, s:b}", "host", hosts[i].name, "matched", m));
		if (m) {
			nmatched++;
			continue;
		}
		(*n_unmatched)++;
		if (used < ulen) {
			int k = snprintf(unmatched + used, ulen - used, "%s%.80s", used ? ", " : "",
					 hosts[i].name);
			used = k < 0 ? ulen : used + (size_t)k;
		}
	}
	int all = nh > 0 && nmatched == nh;
	json_object_set_new(d, "mx_matched", list);
	json_object_set_new(d, "all_mx_matched", json_boolean(all));

	/* Per reachable address: MECSA's percentage (spec §3.9, §4.1) and deliverability. */
	struct smtp_target t[STARTTLS_TARGETS_MAX];
	size_t nt = starttls_targets(ev, 1, t, STARTTLS_TARGETS_MAX), reached = 0, in_policy = 0;
	size_t judged = 0, valid = 0;
	const char *why = NULL;
	for (size_t i = 0; i < nt; i++) {
		if (!starttls_counted(starttls_outcome(starttls_probe(ev, &t[i]))))
			continue;
		reached++;
		if (!mta_sts_policy_match(pol, t[i].host))
			continue;
		in_policy++;
		/* RFC 8461 §4.2: a sender in enforce mode delivers only over TLS to an MX whose
		 * certificate is PKIX-valid for its name. */
		const json_t *row = mta_sts_x509_row(res, t[i].host, t[i].address);
		judged++;
		if (row && json_is_true(json_object_get(row, "valid")))
			valid++;
		else if (why == NULL)
			why = row ? "an MX certificate in the policy is not valid for its name"
				  : "an MX in the policy offers no TLS certificate";
	}
	/* mecsa-st counts mode testing like enforce and does not require a valid MX certificate;
	 * the percentage does the same, deliverable (and detail.mode) tell the difference. */
	res->percent[MECSA_MTA_STS] = reached ? 100.0 * (double)in_policy / (double)reached : 0.0;
	res->supported[MECSA_MTA_STS] = reached && res->percent[MECSA_MTA_STS] >= 80.0;
	json_object_set_new(d, "mx_reachable", json_integer((json_int_t)reached));
	json_object_set_new(d, "mx_reachable_in_policy", json_integer((json_int_t)in_policy));
	if (judged == 0) {
		json_object_set_new(d, "deliverable", json_null());
		json_object_set_new(d, "deliverable_reason",
				    json_string("no MX address in the policy could be tested"));
	} else {
		json_object_set_new(d, "deliverable", json_boolean(valid == judged));
		if (why)
			json_object_set_new(d, "deliverable_reason", json_string(why));
	}
	return all;
}

/* The policy half of the verdict, once the TXT record is valid. */
static void mta_sts_evaluate_policy(const struct evidence *ev, struct result *res, json_t *d)
{
	char host[DNAME_MAX + 8], url[DNAME_MAX + 48];
	mta_sts_names(ev, host, sizeof host, url, sizeof url);
	json_object_set_new(d, "policy_host", json_string(host));
	const struct dns_answer *a4 = evidence_dns_find(ev, host, DNS_TYPE_A);
	const struct dns_answer *a6 = evidence_dns_find(ev, host, DNS_TYPE_AAAA);
	const struct https_fetch *f = evidence_https_find(ev, url);
	if (f == NULL) {
		json_object_set_new(d, "policy_fetch", json_null());
		if (a4 == NULL || a6 == NULL || a4->status == DNS_STATUS_NOT_QUERIED ||
		    a6->status == DNS_STATUS_NOT_QUERIED) {
			result_set(res, CHECK_MTASTS, d, VERDICT_NOT_TESTABLE,
				   "the policy host %s was not resolved", host);
		} else if ((a4->status == DNS_STATUS_OK && a4->n_rr) ||
			   (a6->status == DNS_STATUS_OK && a6->n_rr)) {
			result_set(res, CHECK_MTASTS, d, VERDICT_NOT_TESTABLE,
				   "the policy %s was not fetched", url);
		} else if (!dns_status_is_answer(a4->status) || !dns_status_is_answer(a6->status)) {
			const struct dns_answer *bad = dns_status_is_answer(a4->status) ? a6 : a4;
			result_set(res, CHECK_MTASTS, d, VERDICT_DNS_ERROR,
				   "policy host %s %s: %s%s%s", host, bad == a4 ? "A" : "AAAA",
				   dns_status_name(bad->status), bad->why ? ": " : "",
				   bad->why ? bad->why : "");
		} else {
			result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
				   "the policy host %s has no address (A %s, AAAA %s)", host,
				   dns_status_name(a4->status), dns_status_name(a6->status));
		}
		return;
	}
	json_object_set_new(d, "policy_fetch",
			    json_pack("{s:s, s:I, s:o, s:o, s:o, s:b, s:b}", "url", url, "status",
				      (json_int_t)f->status, "content_type",
				      f->content_type ? json_string(f->content_type) : json_null(),
				      "redirect",
				      f->redirect ? json_string(f->redirect) : json_null(), "error",
				      f->error ? json_string(f->error) : json_null(), "tls_failure",
				      f->tls_failure, "timed_out", f->timed_out));

	/* Parse whatever a 200 brought, also when it is refused below, for the report. */
	struct mta_sts_policy pol;
	char err[VERDICT_REASON_MAX] = "";
	int parsed = -1;
	memset(&pol, 0, sizeof pol);
	pol.max_age = -1;
	if (f->ok && f->status == 200 && f->body && !f->truncated) {
		parsed = mta_sts_policy_parse((const char *)f->body, f->len, &pol, err, sizeof err);
		json_object_set_new(d, "policy", mta_sts_policy_to_json(&pol));
		json_object_set_new(d, "policy_valid", json_boolean(parsed == 0));
		const char *mode = mta_sts_mode_name(pol.mode);
		json_object_set_new(d, "mode", mode ? json_string(mode) : json_null());
		json_object_set_new(d, "max_age",
				    pol.max_age >= 0 ? json_integer(pol.max_age) : json_null());
		json_t *pats = json_array();
		for (size_t i = 0; i < pol.n_mx; i++)
			json_array_append_new(pats,
					      txtrec_json_bytes(pol.mx[i], strlen(pol.mx[i])));
		json_object_set_new(d, "mx_patterns", pats);
		if (parsed == 0)
			json_object_set_new(d, "policy_error", json_null());
		else
			json_object_set_new(d, "policy_error", json_string(err));
	}

	/* The policy as RFC 8461 §3.3 accepts it: what fixed-mode scoring counts (checks/score.c). */
	json_object_set_new(d, "policy_accepted",
			    json_boolean(f->ok && f->status == 200 &&
					 mta_sts_ctype_ok(f->content_type) && !f->truncated &&
					 f->body && parsed == 0 && pol.mode != MTA_STS_MODE_NONE));
	/* MX matching counts for MECSA whenever a valid policy is in force (mecsa-st only logs the
	 * content type); the verdict below is the RFC's. */
	char unmatched[200];
	size_t n_unmatched = 0;
	int all = 0;
	if (parsed == 0 && pol.mode != MTA_STS_MODE_NONE)
		all = mta_sts_judge_mx(ev, res, &pol, d, unmatched, sizeof unmatched, &n_unmatched);

	if (!f->ok) {
		if (f->excluded)
			result_set(res, CHECK_MTASTS, d, VERDICT_NOT_TESTABLE, "policy %s %.160s",
				   url, f->error ? f->error : "not fetched: excluded");
		else if (f->timed_out)
			result_set(res, CHECK_MTASTS, d, VERDICT_NOT_TESTABLE,
				   "policy fetch %s timed out: %.160s", url,
				   f->error ? f->error : "");
		else if (f->tls_failure)
			result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
				   "TLS or certificate failure at %s (RFC 8461 §3.3): %.160s", host,
				   f->error ? f->error : "");
		else
			result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
				   "policy fetch %s failed: %.160s", url,
				   f->error ? f->error : "no response");
	} else if (f->status >= 300 && f->status < 400) {
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
			   "policy URL redirects (HTTP %ld to %.100s); redirects are not followed "
			   "(RFC 8461 §3.3)",
			   f->status, f->redirect ? f->redirect : "nowhere");
	} else if (f->status != 200) {
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL, "policy fetch %s: HTTP status %ld",
			   url, f->status);
	} else if (!mta_sts_ctype_ok(f->content_type)) {
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
			   "policy served as %.80s, not text/plain (RFC 8461 §3.3)",
			   f->content_type ? f->content_type : "no Content-Type");
	} else if (f->truncated || f->body == NULL) {
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
			   f->body ? "policy body larger than %d bytes" : "policy body missing",
			   EVIDENCE_HTTPS_BODY_MAX);
	} else if (parsed != 0) {
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL, "invalid policy: %s", err);
	} else if (pol.mode == MTA_STS_MODE_NONE) {
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL, "policy mode none");
	} else if (!all) {
		const struct verdict *mx = &res->checks[CHECK_MX].verdict;
		if (n_unmatched)
			result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
				   "%zu MX host(s) not in the policy: %s", n_unmatched, unmatched);
		else if (mx->status == VERDICT_DNS_ERROR)
			/* Not the policy's fault: the MX hosts are unknown. */
			result_set(res, CHECK_MTASTS, d, VERDICT_DNS_ERROR,
				   "valid policy, but no MX host to match: %.200s", mx->reason);
		else
			result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
				   "no MX host to match the policy against");
	} else {
		json_t *dl = json_object_get(d, "deliverable");
		result_set(res, CHECK_MTASTS, d, VERDICT_PASS,
			   "policy mode %s, every MX host matched%s", mta_sts_mode_name(pol.mode),
			   json_is_false(dl) ? "; but an MX certificate is not PKIX-valid" : "");
	}
	mta_sts_policy_clear(&pol);
}

static void mta_sts_evaluate(const struct evidence *ev, struct result *res)
{
	char name[DNAME_MAX + 16];
	snprintf(name, sizeof name, "_mta-sts.%s", ev->domain);
	res->percent[MECSA_MTA_STS] = 0.0;
	res->supported[MECSA_MTA_STS] = false;
	const struct dns_answer *a = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (a == NULL || a->status == DNS_STATUS_NOT_QUERIED) {
		result_set(res, CHECK_MTASTS, NULL, VERDICT_NOT_TESTABLE, "TXT %s was not queried",
			   name);
		return;
	}
	struct txtrec_pick pick;
	txtrec_pick(a, MTA_STS_VERSION, &pick);
	/* A near miss ("v=stsv1") counts as found so that it is reported as a bad record. */
	size_t found = pick.n_strict ? pick.n_strict : pick.n_loose;
	json_t *d = json_pack("{s:s, s:s, s:n, s:I, s:b, s:n, s:n, s:n, s:n, s:b, s:n, s:n, s:[], "
			      "s:[], s:b, s:n}",
			      "qname", name, "lookup", dns_status_name(a->status), "record",
			      "records_found", (json_int_t)found, "syntax_valid", 0, "id", "policy",
			      "reason", "policy_fetch", "policy_valid", 0, "mode", "max_age",
			      "mx_patterns", "mx_matched", "all_mx_matched", 0, "deliverable");

	if (a->status == DNS_STATUS_OK && pick.n_txt == 1 && found == 0) {
		/* RFC 8461 §3.1 discards records that do not begin with v=STSv1 only "if multiple
		 * TXT records for _mta-sts are returned": a single one is the domain's record, and
		 * an invalid one (deployed with errors), not an absent one. */
		const struct dns_rdata *only = NULL;
		for (size_t i = 0; i < a->n_rr && only == NULL; i++)
			if (a->rr[i].type == DNS_TYPE_TXT)
				only = &a->rr[i];
		json_object_set_new(d, "record", txtrec_json_bytes(only->data, only->len));
		json_object_set_new(d, "records_found", json_integer(1));
		json_object_set_new(d, "reason", json_string("record does not begin with v=STSv1"));
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL,
			   "invalid MTA-STS record: the only TXT record at %s does not begin with "
			   "v=STSv1 (RFC 8461 §3.1)",
			   name);
		return;
	}
	const struct dns_rdata *rd = txtrec_one(a, &pick, MTA_STS_VERSION, "MTA-STS", "RFC 8461 §3.1",
						 name, CHECK_MTASTS, d, res);
	if (rd == NULL)
		return;
	json_object_set_new(d, "record", txtrec_json_bytes(rd->data, rd->len));
	struct mta_sts_record rec;
	char err[VERDICT_REASON_MAX];
	if (mta_sts_record_parse((const char *)rd->data, rd->len, &rec, err, sizeof err) != 0) {
		json_object_set_new(d, "reason", json_string(err));
		result_set(res, CHECK_MTASTS, d, VERDICT_FAIL, "invalid MTA-STS record: %s", err);
		return;
	}
	json_object_set_new(d, "syntax_valid", json_true());
	json_object_set_new(d, "id", json_string(rec.id));
	mta_sts_evaluate_policy(ev, res, d);
}

const struct check check_mta_sts = {
	.id = CHECK_MTASTS,
	.name = "mta_sts",
	.title = "MTA-STS",
	.plan = mta_sts_plan,
	.plan_self_contained = 1,
	.evaluate = mta_sts_evaluate,
};
