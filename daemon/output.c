/* output.c — renders stored result objects as JSON, JSON lines or a text report. JSON lines are
 * the stored text itself (the bulk format: no parsing and dumping again); the others are printed
 * from the parsed object. */
#include "daemon/output.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <string.h>

#include "common/text.h"
#include "daemon/store.h"

struct output_ctx {
	enum output_format fmt; /* what to print */
	FILE *out;		/* borrowed */
	size_t n;		/* results printed so far */
	int werr;		/* errno of the first failed write, 0 */
};

/* 1 when a write to ctx's stream failed; its errno is kept while it is fresh. */
static int output_failed(struct output_ctx *ctx)
{
	if (!ferror(ctx->out))
		return 0;
	if (ctx->werr == 0)
		ctx->werr = errno;
	return 1;
}

int output_format_parse(const char *name)
{
	if (strcmp(name, "text") == 0)
		return OUTPUT_TEXT;
	if (strcmp(name, "json") == 0)
		return OUTPUT_JSON;
	if (strcmp(name, "jsonl") == 0)
		return OUTPUT_JSONL;
	return -1;
}

static const char *output_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* Text from the store in the report: what a list or a peer put there (names, reasons quoting
 * records and replies) is shown with its control characters escaped, never run by a terminal. */
static void output_put(FILE *out, const char *s)
{
	text_fputs(s, out);
}

static const char *output_mark(const char *status)
{
	if (strcmp(status, "pass") == 0)
		return "PASS";
	if (strcmp(status, "fail") == 0)
		return "FAIL";
	if (strcmp(status, "absent") == 0)
		return "ABSENT";
	if (strcmp(status, "dns_error") == 0)
		return "DNS ERROR";
	return "NOT TESTABLE";
}

static void output_stars(FILE *out, json_t *cat)
{
	json_t *score = json_object_get(cat, "score");
	if (!json_is_integer(score)) {
		/* Withheld: something it depends on could not be measured (the reason follows). */
		fputs("-    -/10", out);
		return;
	}
	int s = (int)json_integer_value(score);
	for (int i = 0; i < 5; i++)
		fputs(s >= 2 * (i + 1) ? "*" : (s == 2 * i + 1 ? "+" : "."), out);
	fprintf(out, "  %d/10", s);
}

static void output_mx_hosts(FILE *out, json_t *mx)
{
	size_t i;
	json_t *h;
	json_array_foreach(json_object_get(json_object_get(mx, "detail"), "hosts"), i, h)
	{
		fprintf(out, "      %3lld ", (long long)json_integer_value(json_object_get(h, "pref")));
		output_put(out, output_str(h, "name"));
		static const char *const fam[2] = {"a", "aaaa"};
		for (int f = 0; f < 2; f++) {
			json_t *ans = json_object_get(h, fam[f]);
			size_t k;
			json_t *addr;
			json_array_foreach(json_object_get(ans, "addresses"), k, addr)
			{
				fputc(' ', out);
				output_put(out, json_string_value(addr));
			}
			if (strcmp(output_str(ans, "status"), "ok") != 0 &&
			    strcmp(output_str(ans, "status"), "nodata") != 0) {
				fprintf(out, " [%s ", f ? "AAAA" : "A");
				output_put(out, output_str(ans, "status"));
				fputc(']', out);
			}
		}
		fputs(" (DNSSEC ", out);
		output_put(out, output_str(json_object_get(h, "a"), "dnssec"));
		fputs(")\n", out);
	}
}

/* What to fix first: MECSA protocols in order of what they protect, with the advice a mail
 * administrator acts on. */
static const struct {
	const char *proto;  /* MECSA protocol name */
	const char *check;  /* check whose reason explains it */
	const char *advice; /* what to do */
} output_fixes[] = {
	{"starttls", "starttls", "offer STARTTLS with TLS 1.2 or later on every MX"},
	{"x509", "x509", "use certificates that chain to a public CA, name the MX host and are in date"},
	{"spf", "spf", "publish one valid SPF record"},
	{"dmarc", "dmarc", "publish a DMARC record at _dmarc"},
	{"spf_policy", "spf", "end the SPF record with -all or ~all"},
	{"dmarc_policy", "dmarc", "set DMARC p=quarantine or p=reject with rua= reporting"},
	{"dkim", "dkim", "sign outgoing mail with DKIM and publish the keys"},
	{"mta-sts", "mta_sts", "publish an MTA-STS policy that names every MX"},
	{"dnssec", "dnssec", "sign the zone (DNSSEC) and its MX hosts' zones"},
	{"dane", "dane", "publish DNSSEC-signed TLSA records for the MX hosts"},
};

static int output_missing(json_t *r, const char *proto)
{
	const char *name;
	json_t *cat;
	json_object_foreach(json_object_get(r, "scores"), name, cat)
	{
		size_t i;
		json_t *m;
		json_array_foreach(json_object_get(cat, "missing"), i, m)
			if (strcmp(json_string_value(m), proto) == 0)
				return 1;
	}
	return 0;
}

/* What could not be measured, once per check, with its verdict's reason: said instead of
 * advice, which only comes from what was measured ("missing"). */
static void output_not_measured(FILE *out, json_t *r)
{
	json_t *checks = json_object_get(r, "checks");
	int n = 0;
	for (size_t i = 0; i < sizeof output_fixes / sizeof *output_fixes; i++) {
		const char *name;
		json_t *cat;
		int hit = 0;
		json_object_foreach(json_object_get(r, "scores"), name, cat)
		{
			size_t k;
			json_t *m;
			json_array_foreach(json_object_get(cat, "not_measured"), k, m)
				hit |= strcmp(json_string_value(m), output_fixes[i].proto) == 0;
		}
		/* spf_policy and dmarc_policy share their check with spf and dmarc. */
		int seen = 0;
		for (size_t j = 0; j < i; j++)
			seen |= strcmp(output_fixes[j].check, output_fixes[i].check) == 0;
		if (!hit || seen)
			continue;
		if (n++ == 0)
			fputs("\n   Not measured (no score from it, no advice):\n", out);
		json_t *c = json_object_get(checks, output_fixes[i].check);
		fprintf(out, "   - %s: %s\n", output_fixes[i].check,
			c ? output_str(c, "reason") : "not evaluated");
	}
}

static void output_fix_first(FILE *out, json_t *r)
{
	json_t *checks = json_object_get(r, "checks");
	int n = 0;
	for (size_t i = 0; i < sizeof output_fixes / sizeof *output_fixes && n < 3; i++) {
		if (!output_missing(r, output_fixes[i].proto))
			continue;
		if (n++ == 0)
			fputs("\n   What to fix first:\n", out);
		json_t *c = json_object_get(checks, output_fixes[i].check);
		fprintf(out, "   %d. %s", n, output_fixes[i].advice);
		if (c && strcmp(output_str(c, "status"), "pass") != 0 && output_str(c, "reason")[0]) {
			fputs(" (now: ", out);
			output_put(out, output_str(c, "reason"));
			fputc(')', out);
		}
		fputc('\n', out);
	}
}

static void output_text(FILE *out, json_t *r)
{
	fputs("== ", out);
	output_put(out, output_str(r, "domain"));
	fputc('\n', out);
	if (strcmp(output_str(r, "state"), "scanned") != 0) {
		fputs("   ", out);
		output_put(out, output_str(r, "state"));
		fputs(": ", out);
		output_put(out, output_str(r, "reason"));
		fputs("\n\n", out);
		return;
	}
	const char *name;
	json_t *c;
	json_object_foreach(json_object_get(r, "checks"), name, c)
	{
		fputs("   ", out);
		if (text_is_safe(name))
			fprintf(out, "%-12s", name);
		else
			output_put(out, name);
		fprintf(out, " %-12s ", output_mark(output_str(c, "status")));
		output_put(out, output_str(c, "reason"));
		fputc('\n', out);
		if (strcmp(name, "mx") == 0)
			output_mx_hosts(out, c);
	}
	fputc('\n', out);
	json_t *scores = json_object_get(r, "scores");
	json_object_foreach(scores, name, c)
	{
		fputs("   ", out);
		if (text_is_safe(name)) {
			fprintf(out, "%-16s ", name);
		} else {
			output_put(out, name);
			fputc(' ', out);
		}
		output_stars(out, c);
		json_t *nm = json_object_get(c, "not_measured");
		if (json_array_size(nm)) {
			fputs("  not measured:", out);
			size_t i;
			json_t *m;
			json_array_foreach(nm, i, m)
				fprintf(out, " %s", json_string_value(m));
		}
		json_t *missing = json_object_get(c, "missing");
		if (json_array_size(missing)) {
			fputs("  missing:", out);
			size_t i;
			json_t *m;
			json_array_foreach(missing, i, m)
			{
				fputc(' ', out);
				output_put(out, json_string_value(m));
			}
		}
		fputc('\n', out);
	}
	output_fix_first(out, r);
	output_not_measured(out, r);
	fputc('\n', out);
}

static int output_one(json_t *r, void *arg)
{
	struct output_ctx *ctx = arg;
	switch (ctx->fmt) {
	case OUTPUT_JSONL: /* never parsed: output_one_stored */
		break;
	case OUTPUT_JSON:
		fputs(ctx->n ? ",\n" : "", ctx->out);
		json_dumpf(r, ctx->out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		break;
	case OUTPUT_TEXT:
		output_text(ctx->out, r);
		break;
	}
	ctx->n++;
	return output_failed(ctx);
}

static int output_hex4(const char *s, unsigned *cp)
{
	*cp = 0;
	for (int i = 0; i < 4; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (v < 0)
			return -1;
		*cp = *cp << 4 | (unsigned)v;
	}
	return 0;
}

static void output_put_utf8(FILE *out, uint32_t cp)
{
	if (cp < 0x800) {
		fputc(0xc0 | (int)(cp >> 6), out);
	} else if (cp < 0x10000) {
		fputc(0xe0 | (int)(cp >> 12), out);
		fputc(0x80 | (int)(cp >> 6 & 0x3f), out);
	} else {
		fputc(0xf0 | (int)(cp >> 18), out);
		fputc(0x80 | (int)(cp >> 12 & 0x3f), out);
		fputc(0x80 | (int)(cp >> 6 & 0x3f), out);
	}
	fputc(0x80 | (int)(cp & 0x3f), out);
}

/* Print stored compact JSON as json_dumpf prints it without JSON_ENSURE_ASCII: the store keeps
 * non-ASCII characters as \uXXXX escapes (a surrogate pair beyond the BMP), output is UTF-8,
 * except the C1 controls (U+0080..U+009F), kept escaped as jansson keeps C0 ones. Every other
 * byte and escape is printed as stored. Backslashes occur only inside strings, and
 * each starts one escape, so a left-to-right walk cannot mistake escaped text for an escape. */
static void output_utf8(FILE *out, const char *s, size_t len)
{
	size_t done = 0, i = 0;
	while (i + 1 < len) {
		if (s[i] != '\\') {
			i++;
			continue;
		}
		unsigned cp, lo;
		/* C1 controls (U+0080..U+009F) stay escaped, as C0 ones are: a terminal acts on them. */
		if (s[i + 1] != 'u' || i + 6 > len || output_hex4(s + i + 2, &cp) < 0 || cp < 0xa0) {
			i += 2;
			continue;
		}
		size_t n = 6;
		uint32_t code = cp;
		if (cp >= 0xdc00 && cp <= 0xdfff) {
			i += 6; /* a lone low surrogate: as stored */
			continue;
		}
		if (cp >= 0xd800 && cp <= 0xdbff) {
			if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u' ||
			    output_hex4(s + i + 8, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff) {
				i += 6; /* a lone high surrogate: as stored */
				continue;
			}
			code = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
			n = 12;
		}
		fwrite(s + done, 1, i - done, out);
		output_put_utf8(out, code);
		i += n;
		done = i;
	}
	fwrite(s + done, 1, len - done, out);
}

static int output_one_stored(const char *json, size_t len, void *arg)
{
	struct output_ctx *ctx = arg;
	output_utf8(ctx->out, json, len);
	fputc('\n', ctx->out);
	ctx->n++;
	return output_failed(ctx);
}

int output_campaign(struct store *st, int64_t campaign_id, enum output_format fmt, FILE *out)
{
	struct output_ctx ctx = {fmt, out, 0, 0};
	struct store_counts counts;
	if (fmt == OUTPUT_JSONL) {
		int rc = store_foreach_result_text(st, campaign_id, output_one_stored, &ctx);
		fflush(out);
		if (output_failed(&ctx))
			errno = ctx.werr; /* for output_finish */
		return rc < 0 || ferror(out) ? -1 : 0;
	}
	if (store_counts(st, campaign_id, &counts) < 0)
		return -1;
	int many = counts.done + counts.failed + counts.pending + counts.running != 1;
	if (fmt == OUTPUT_JSON && many)
		fputs("[\n", out);
	int rc = store_foreach_result(st, campaign_id, output_one, &ctx);
	if (fmt == OUTPUT_JSON)
		fputs(many ? "\n]\n" : "\n", out);
	fflush(out);
	if (output_failed(&ctx))
		errno = ctx.werr; /* for output_finish */
	return rc < 0 || ferror(out) ? -1 : 0;
}

int output_finish(FILE *out, const char *name)
{
	/* errno is still that of the write that failed, when the caller checked right after
	 * it (or output_campaign put it back); else the flush's own. */
	int e = ferror(out) ? errno : 0;
	if (fflush(out) != 0 && e == 0)
		e = errno;
	if (!ferror(out))
		return 0;
	fprintf(stderr, "mxsurvey: cannot write to %s: %s\n", name ? name : "standard output",
		e ? strerror(e) : "write error");
	return -1;
}
