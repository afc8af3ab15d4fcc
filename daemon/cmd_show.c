/* cmd_show.c — `mxsurvey show DOMAIN --campaign NAME`: one domain's result, readable: verdicts
 * with reasons, scores and what they miss, then the raw evidence behind them (DNS answers with
 * their DNSSEC status, each SMTP dialogue, the certificate chains decoded, DANE and MTA-STS
 * matching, fetched policies, CRL and OCSP fetches). --format json prints the stored objects. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "checks/check.h"
#include "common/dname.h"
#include "common/xalloc.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/store.h"

static const char show_usage[] =
	"usage: mxsurvey show DOMAIN --campaign NAME [--db PATH | -c CONFIG] [--format text|json]\n"
	"\n"
	"The drill-down behind a report's figures: DOMAIN's verdicts with their reasons, its\n"
	"scores and what each misses, and the raw evidence they were judged from - DNS answers\n"
	"with their DNSSEC status, the SMTP dialogue of each probe, the certificate chains\n"
	"(subject, issuer, names, dates, key), DANE and MTA-STS matching, fetched policies, CRL\n"
	"and OCSP fetches. --format json prints {domain, campaign, result, evidence} as stored.\n"
	"\n"
	"exit status: 0 shown; 2 usage error, unknown campaign or no result for DOMAIN in it;\n"
	"             3 the store could not be read.\n";

enum { SO_DB = 256, SO_CAMPAIGN, SO_FORMAT, SO_SET };

static const struct option show_options[] = {
	{"db", required_argument, NULL, SO_DB},
	{"config", required_argument, NULL, 'c'},
	{"campaign", required_argument, NULL, SO_CAMPAIGN},
	{"format", required_argument, NULL, SO_FORMAT},
	{"set", required_argument, NULL, SO_SET},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

static const char *show_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* ---- DNS answers ---- */

static const char *show_rrtype(int t)
{
	switch (t) {
	case 1: return "A";
	case 2: return "NS";
	case 5: return "CNAME";
	case 6: return "SOA";
	case 15: return "MX";
	case 16: return "TXT";
	case 28: return "AAAA";
	case 43: return "DS";
	case 48: return "DNSKEY";
	case 52: return "TLSA";
	default: return NULL;
	}
}

/* One stored record: "text" (names, addresses), MX "pref" + "text", TXT "data" (the string's
 * bytes in hex), TLSA fields + "data", anything else as stored. */
static void show_rr(FILE *f, json_t *x)
{
	int type = (int)json_integer_value(json_object_get(x, "type"));
	const char *text = json_string_value(json_object_get(x, "text"));
	const char *data = json_string_value(json_object_get(x, "data"));
	if (type == 15 && text) {
		fprintf(f, "%lld %s", (long long)json_integer_value(json_object_get(x, "pref")), text);
	} else if (type == 52 && data) {
		fprintf(f, "%lld %lld %lld %s", (long long)json_integer_value(json_object_get(x, "usage")),
			(long long)json_integer_value(json_object_get(x, "selector")),
			(long long)json_integer_value(json_object_get(x, "mtype")), data);
	} else if (type == 16 && data) {
		fputc('"', f);
		for (const char *h = data; h[0] && h[1]; h += 2) {
			unsigned v;
			if (sscanf(h, "%2x", &v) != 1)
				break;
			if (v == '"' || v == '\\')
				fprintf(f, "\\%c", (int)v);
			else if (v >= 32 && v < 127)
				fputc((int)v, f);
			else
				fprintf(f, "\\%03u", v);
		}
		fputc('"', f);
	} else if (text) {
		fputs(text, f);
	} else {
		char *all = json_dumps(x, JSON_COMPACT);
		fputs(all ? all : "?", f);
		free(all);
	}
}

static void show_dns(FILE *f, json_t *ev)
{
	json_t *dns = json_object_get(ev, "dns"), *a;
	size_t i;
	fprintf(f, "\nDNS answers (%zu)\n", json_array_size(dns));
	json_array_foreach(dns, i, a)
	{
		int type = (int)json_integer_value(json_object_get(a, "type"));
		const char *tn = show_rrtype(type);
		char tbuf[16];
		if (tn == NULL)
			snprintf(tbuf, sizeof tbuf, "TYPE%d", type);
		fprintf(f, "  %-6s %s  %s, dnssec %s\n", tn ? tn : tbuf, show_str(a, "name"),
			show_str(a, "status"), show_str(a, "dnssec"));
		json_t *rr = json_object_get(a, "rr"), *x;
		size_t j;
		json_array_foreach(rr, j, x)
		{
			int rt = (int)json_integer_value(json_object_get(x, "type"));
			fprintf(f, "           ttl %-6lld %-5s ",
				(long long)json_integer_value(json_object_get(x, "ttl")),
				show_rrtype(rt) ? show_rrtype(rt) : "?");
			show_rr(f, x);
			fputc('\n', f);
		}
	}
}

/* ---- certificates ---- */

static void show_cert(FILE *f, const char *b64, int depth)
{
	BIO *mem = BIO_new_mem_buf(b64, -1), *dec = BIO_new(BIO_f_base64());
	BIO_set_flags(dec, BIO_FLAGS_BASE64_NO_NL);
	BIO_push(dec, mem);
	unsigned char der[65536];
	int n = BIO_read(dec, der, sizeof der);
	BIO_free_all(dec);
	const unsigned char *p = der;
	X509 *x = n > 0 ? d2i_X509(NULL, &p, n) : NULL;
	if (x == NULL) {
		fprintf(f, "        [%d] (not a readable certificate)\n", depth);
		return;
	}
	char sub[256], iss[256];
	X509_NAME_oneline(X509_get_subject_name(x), sub, sizeof sub);
	X509_NAME_oneline(X509_get_issuer_name(x), iss, sizeof iss);
	fprintf(f, "        [%d] subject %s\n            issuer  %s\n", depth, sub, iss);
	BIO *out = BIO_new(BIO_s_mem());
	BIO_puts(out, "            valid   ");
	ASN1_TIME_print(out, X509_get0_notBefore(x));
	BIO_puts(out, " to ");
	ASN1_TIME_print(out, X509_get0_notAfter(x));
	BIO_puts(out, "\n");
	EVP_PKEY *k = X509_get0_pubkey(x);
	if (k)
		BIO_printf(out, "            key     %s %d bits\n",
			   OBJ_nid2sn(EVP_PKEY_get_base_id(k)), EVP_PKEY_get_bits(k));
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	if (san) {
		BIO_puts(out, "            names  ");
		int shown = 0;
		for (int i = 0; i < sk_GENERAL_NAME_num(san); i++) {
			GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
			if (g->type != GEN_DNS)
				continue;
			if (shown++ == 12) {
				BIO_printf(out, " ... (%d in all)", sk_GENERAL_NAME_num(san));
				break;
			}
			BIO_printf(out, " %.*s", ASN1_STRING_length(g->d.dNSName),
				   (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		}
		BIO_puts(out, "\n");
		GENERAL_NAMES_free(san);
	}
	char *text;
	long len = BIO_get_mem_data(out, &text);
	fwrite(text, 1, (size_t)len, f);
	BIO_free(out);
	X509_free(x);
}

/* ---- SMTP ---- */

static void show_lines(FILE *f, const char *who, const char *text)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? (int)(nl - p) : (int)strlen(p);
		fprintf(f, "      %s %.*s\n", who, len, p);
		p = nl ? nl + 1 : NULL;
	}
}

static void show_smtp(FILE *f, json_t *ev)
{
	json_t *smtp = json_object_get(ev, "smtp"), *s;
	size_t i;
	fprintf(f, "\nSMTP probes (%zu)\n", json_array_size(smtp));
	json_array_foreach(smtp, i, s)
	{
		fprintf(f, "  %s [%s]:%lld  stage %s, error %s, %lld attempt(s), %lld ms\n",
			show_str(s, "host"), show_str(s, "address"),
			(long long)json_integer_value(json_object_get(s, "port")),
			show_str(s, "stage"), show_str(s, "error"),
			(long long)json_integer_value(json_object_get(s, "attempts")),
			(long long)json_integer_value(json_object_get(s, "duration_ms")));
		if (json_string_value(json_object_get(s, "reason")))
			fprintf(f, "    reason: %s\n", show_str(s, "reason"));
		show_lines(f, "S:", json_string_value(json_object_get(s, "banner")));
		if (json_object_get(s, "ehlo")) {
			fprintf(f, "      C: EHLO\n");
			show_lines(f, "S:", json_string_value(json_object_get(s, "ehlo")));
		}
		if (json_object_get(s, "starttls_reply")) {
			fprintf(f, "      C: STARTTLS\n");
			show_lines(f, "S:", json_string_value(json_object_get(s, "starttls_reply")));
		}
		if (json_is_true(json_object_get(s, "tls"))) {
			fprintf(f, "      -- TLS %s, %s, %s; chain of %lld certificate(s):\n",
				show_str(s, "tls_version"), show_str(s, "tls_cipher"),
				show_str(s, "tls_group"),
				(long long)json_integer_value(json_object_get(s, "chain_sent")));
			json_t *c;
			size_t j;
			json_array_foreach(json_object_get(s, "chain"), j, c)
				show_cert(f, json_string_value(c) ? json_string_value(c) : "", (int)j);
		}
		if (json_object_get(s, "ehlo_tls")) {
			fprintf(f, "      C: EHLO (inside TLS)\n");
			show_lines(f, "S:", json_string_value(json_object_get(s, "ehlo_tls")));
		}
		if (json_object_get(s, "quit_code"))
			fprintf(f, "      C: QUIT\n      S: %lld\n",
				(long long)json_integer_value(json_object_get(s, "quit_code")));
	}
}

static void show_fetches(FILE *f, json_t *ev)
{
	json_t *h, *c;
	size_t i;
	json_array_foreach(json_object_get(ev, "https"), i, h)
	{
		if (i == 0)
			fprintf(f, "\nHTTPS fetches\n");
		fprintf(f, "  %s (pinned %s): %s, status %lld, %s\n", show_str(h, "url"),
			show_str(h, "resolve"), json_is_true(json_object_get(h, "ok")) ? "ok" : "failed",
			(long long)json_integer_value(json_object_get(h, "status")),
			json_string_value(json_object_get(h, "error")) ? show_str(h, "error")
								       : show_str(h, "content_type"));
		if (json_string_value(json_object_get(h, "body")))
			show_lines(f, "|", show_str(h, "body"));
	}
	json_array_foreach(json_object_get(ev, "crl"), i, c)
	{
		if (i == 0)
			fprintf(f, "\nCRL fetches\n");
		fprintf(f, "  %s: %s, HTTP %lld\n", show_str(c, "url"),
			json_is_true(json_object_get(c, "ok")) ? "ok" : "failed",
			(long long)json_integer_value(json_object_get(c, "http_status")));
	}
	json_array_foreach(json_object_get(ev, "ocsp"), i, c)
	{
		if (i == 0)
			fprintf(f, "\nOCSP fetches\n");
		fprintf(f, "  %s: %s\n", show_str(c, "url"),
			json_is_true(json_object_get(c, "ok")) ? "ok" : "failed");
	}
}

/* ---- verdicts and scores ---- */

static void show_result(FILE *f, const char *campaign, json_t *res, long long scanned_at,
			long long duration_ms)
{
	char when[40] = "-";
	time_t t = (time_t)(scanned_at / 1000);
	struct tm tm;
	if (scanned_at > 0 && gmtime_r(&t, &tm))
		strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	fprintf(f, "%s  (campaign %s, %s at %s, %lld ms)\n", show_str(res, "domain"), campaign,
		show_str(res, "state"), when, duration_ms);
	if (json_string_value(json_object_get(res, "reason")))
		fprintf(f, "reason: %s\n", show_str(res, "reason"));
	json_t *scores = json_object_get(res, "scores");
	static const char *const cats[][2] = {{"confidentiality", "confidentiality"},
					      {"spoofing", "anti-spoofing"},
					      {"integrity", "integrity"}};
	if (scores)
		fprintf(f, "\nScores\n");
	for (size_t i = 0; scores && i < 3; i++) {
		json_t *s = json_object_get(scores, cats[i][0]);
		json_t *sc = json_object_get(s, "score");
		if (json_is_integer(sc))
			fprintf(f, "  %-16s %2lld/10 (%.1f stars)", cats[i][1],
				(long long)json_integer_value(sc), json_integer_value(sc) / 2.0);
		else
			fprintf(f, "  %-16s not measured%s%s", cats[i][1],
				json_string_value(json_object_get(s, "reason")) ? ": " : "",
				show_str(s, "reason"));
		json_t *m = json_object_get(s, "missing"), *x;
		size_t j;
		if (json_array_size(m)) {
			fputs("  missing:", f);
			json_array_foreach(m, j, x) fprintf(f, " %s", json_string_value(x));
		}
		fputc('\n', f);
	}
	json_t *checks = json_object_get(res, "checks");
	if (checks)
		fprintf(f, "\nVerdicts\n");
	for (size_t i = 0; checks && i < check_registry_len; i++) {
		json_t *v = json_object_get(checks, check_registry[i]->name);
		if (v == NULL)
			continue;
		fprintf(f, "  %-11s %-12s %s\n", check_registry[i]->name, show_str(v, "status"),
			show_str(v, "reason"));
	}
	/* DANE and MTA-STS matching, as judged. */
	json_t *dane = json_object_get(json_object_get(checks, "dane"), "detail"), *a;
	size_t k;
	json_array_foreach(json_object_get(dane, "addresses"), k, a)
	{
		if (k == 0)
			fprintf(f, "\nDANE matching\n");
		fprintf(f, "  %s [%s]: %s\n", show_str(a, "host"), show_str(a, "address"),
			json_is_true(json_object_get(a, "match")) ? "matches a TLSA record"
								  : "no TLSA record matches");
	}
	json_t *sts = json_object_get(json_object_get(checks, "mta_sts"), "detail");
	if (json_object_get(sts, "record") && json_string_value(json_object_get(sts, "record"))) {
		fprintf(f, "\nMTA-STS\n  record: %s\n  mode: %s, policy valid: %s\n",
			show_str(sts, "record"), show_str(sts, "mode"),
			json_is_true(json_object_get(sts, "policy_valid")) ? "yes" : "no");
		json_array_foreach(json_object_get(sts, "mx_matched"), k, a)
			fprintf(f, "  %s: %s\n", show_str(a, "host"),
				json_is_true(json_object_get(a, "matched")) ? "matches the policy"
									    : "not in the policy");
	}
}

int cmd_show(int argc, char **argv)
{
	const char *db = NULL, *config = NULL, *campaign = NULL, *format = "text";
	struct cmd_overrides ov = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	sqlite3_stmt *s = NULL;
	int c, rc = EXIT_USAGE;
	char err[512];
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:h", show_options, NULL)) != -1) {
		switch (c) {
		case SO_DB: db = optarg; break;
		case 'c': config = optarg; break;
		case SO_CAMPAIGN: campaign = optarg; break;
		case SO_FORMAT: format = optarg; break;
		case SO_SET:
			if (cmd_overrides_add(&ov, optarg) < 0)
				goto out;
			break;
		case 'h': fputs(show_usage, stdout); rc = EXIT_OK; goto out;
		default: fputs(show_usage, stderr); goto out;
		}
	}
	int json = strcmp(format, "json") == 0;
	if (!json && strcmp(format, "text") != 0) {
		fprintf(stderr, "mxsurvey show: unknown format '%s' (text, json)\n", format);
		goto out;
	}
	if (optind != argc - 1 || campaign == NULL) {
		fputs(campaign ? "mxsurvey show: give one DOMAIN\n"
			       : "mxsurvey show: --campaign NAME is required\n",
		      stderr);
		fputs(show_usage, stderr);
		goto out;
	}
	char canon[DNAME_MAX], why[200];
	const char *domain = argv[optind];
	if (dname_normalize(domain, canon, sizeof canon, why, sizeof why) == 0)
		domain = canon; /* otherwise: an invalid input line, stored as given */
	if (cmd_config_build(&cfg, config, &ov, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		goto out;
	}
	cmd_log_setup(&cfg, -1, 0);
	if ((st = cmd_store_open_existing(&cfg, db, &rc)) == NULL)
		goto out;
	rc = EXIT_RUNTIME;
	if (store_campaign_find(st, campaign) < 0) {
		fprintf(stderr, "mxsurvey: no campaign named '%s'\n", campaign);
		rc = EXIT_USAGE;
		goto out;
	}
	sqlite3 *sq = store_db(st);
	if (sqlite3_prepare_v2(sq,
			       "SELECT r.result_json, e.evidence_json, r.scanned_at, r.duration_ms "
			       "FROM results r JOIN campaigns c ON c.id = r.campaign_id "
			       "LEFT JOIN evidence e ON e.result_id = r.id "
			       "WHERE c.name = ?1 AND r.domain = ?2 ORDER BY r.id LIMIT 1",
			       -1, &s, NULL) != SQLITE_OK) {
		fprintf(stderr, "mxsurvey: %s\n", sqlite3_errmsg(sq));
		goto out;
	}
	sqlite3_bind_text(s, 1, campaign, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, domain, -1, SQLITE_STATIC);
	int step = sqlite3_step(s);
	if (step != SQLITE_ROW) {
		if (step == SQLITE_DONE) {
			fprintf(stderr, "mxsurvey: campaign '%s' has no result for %s\n", campaign,
				domain);
			rc = EXIT_USAGE;
		} else {
			fprintf(stderr, "mxsurvey: %s\n", sqlite3_errmsg(sq));
		}
		goto out;
	}
	json_error_t je;
	json_t *res = json_loads((const char *)sqlite3_column_text(s, 0), 0, &je);
	const char *evtext = (const char *)sqlite3_column_text(s, 1);
	json_t *ev = evtext ? json_loads(evtext, 0, &je) : NULL;
	if (res == NULL) {
		fprintf(stderr, "mxsurvey: the stored result of %s is unreadable: %s\n", domain,
			je.text);
		goto out;
	}
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:O, s:o}", "domain", domain, "campaign",
				      campaign, "result", res, "evidence", ev ? ev : json_null());
		ev = NULL;
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
	} else {
		show_result(stdout, campaign, res, sqlite3_column_int64(s, 2),
			    sqlite3_column_int64(s, 3));
		if (ev) {
			show_dns(stdout, ev);
			show_smtp(stdout, ev);
			show_fetches(stdout, ev);
		} else {
			printf("\n(no evidence stored)\n");
		}
	}
	json_decref(res);
	json_decref(ev);
	rc = fflush(stdout) == 0 ? EXIT_OK : EXIT_RUNTIME;
out:
	sqlite3_finalize(s);
	store_close(st);
	config_clear(&cfg);
	cmd_overrides_clear(&ov);
	return rc;
}
