/* config.c — mxsurvey's configuration: the defaults, the YAML loader (libyaml document API) and
 * command-line overrides, all driven by one schema table so that the file, the CLI and the copy /
 * compare / free code agree on every option. Owns the strings and lists inside a struct config. */
#include "daemon/yamlfile.h"
#include "daemon/config.h"
#include "daemon/dns_cache.h"
#include "daemon/probe_cache.h"
#include "daemon/url_cache.h"

#include "common/dname.h"
#include "common/log.h"
#include "common/xalloc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

/* A config file is a page of text; the cap keeps a mistaken path (a log, a disk image) from
 * being read whole into memory. */

/* Enum members are stored through an int pointer by the table below. */
_Static_assert(sizeof(enum config_dns_mode) == sizeof(int), "enum stored as int");
_Static_assert(sizeof(enum config_dns_validate) == sizeof(int), "enum stored as int");
_Static_assert(LOG_LEVEL_ERROR == 0 && LOG_LEVEL_DEBUG == 3, "log level names below");

enum config_type {
	CONFIG_T_UINT, /* unsigned, decimal, range-checked */
	CONFIG_T_BOOL, /* bool: true/false/yes/no/on/off */
	CONFIG_T_STR,  /* char *, owned, optionally validated */
	CONFIG_T_ENUM, /* int (or an int-sized enum), index into names */
	CONFIG_T_LIST, /* struct config_strlist, each entry optionally validated */
};

/* Validates one string value or list entry. Returns an owned (possibly normalised) copy, or NULL
 * with the reason in why. */
typedef char *config_check_fn(const char *in, char *why, size_t whylen);

struct config_opt {
	const char *section;	  /* YAML section ("scan") */
	const char *key;	  /* key inside the section ("deadline") */
	enum config_type type;	  /* how the value is parsed and stored */
	size_t offset;		  /* offsetof() the member in struct config */
	unsigned long long min;	  /* CONFIG_T_UINT: smallest allowed value */
	unsigned long long max;	  /* CONFIG_T_UINT: largest allowed value */
	const char *const *names; /* borrowed: CONFIG_T_ENUM: allowed values, NULL-terminated */
	config_check_fn *check;	  /* CONFIG_T_STR / CONFIG_T_LIST entries: validator or NULL */
};

/* One scalar as the loader or the command line presents it. */
struct config_scalar {
	const char *text; /* borrowed: the value, NUL-terminated */
	size_t len;	  /* bytes in text (a YAML "\0" escape makes it differ from strlen) */
	bool plain;	  /* unquoted: only plain scalars are integers or booleans */
	bool null;	  /* YAML null (empty, ~, null): "" for strings, an empty list for lists */
};

static const char *const config_level_names[] = {"error", "warn", "info", "debug", NULL};
static const char *const config_mode_names[] = {"recursive", "stub", NULL};
static const char *const config_validate_names[] = {"getdns", "upstream", NULL};

static config_check_fn config_check_ip;
static config_check_fn config_check_ehlo;
static config_check_fn config_check_selector;
static config_check_fn config_check_upstream;
static config_check_fn config_check_exclude;

/* clang-format off */
#define OFF(m) offsetof(struct config, m)
#define UINT_OPT(s, k, m, lo, hi) {s, k, CONFIG_T_UINT, OFF(m), lo, hi, NULL, NULL}
#define BOOL_OPT(s, k, m) {s, k, CONFIG_T_BOOL, OFF(m), 0, 0, NULL, NULL}
#define STR_OPT(s, k, m, chk) {s, k, CONFIG_T_STR, OFF(m), 0, 0, NULL, chk}
#define ENUM_OPT(s, k, m, names) {s, k, CONFIG_T_ENUM, OFF(m), 0, 0, names, NULL}
#define LIST_OPT(s, k, m, chk) {s, k, CONFIG_T_LIST, OFF(m), 0, 0, NULL, chk}

/* The schema: every option, in the order of config/mxsurvey.yaml. Ranges are documented there
 * and in config.h; defaults live only in config_init_defaults(). */
static const struct config_opt config_opts[] = {
	ENUM_OPT("log", "level", log_level, config_level_names),
	BOOL_OPT("log", "syslog", log_syslog),

	UINT_OPT("scan", "max_in_flight", max_in_flight, 1, 100000),
	UINT_OPT("scan", "deadline", deadline_s, 1, 3600),
	BOOL_OPT("scan", "ipv6", ipv6),
	STR_OPT("scan", "ehlo_name", ehlo_name, config_check_ehlo),
	UINT_OPT("scan", "smtp_port", smtp_port, 1, 65535),
	UINT_OPT("scan", "connect_timeout", connect_timeout_s, 1, 300),
	UINT_OPT("scan", "reply_timeout", reply_timeout_s, 1, 600),
	UINT_OPT("scan", "probe_cache_ttl", probe_cache_ttl_s, 1, 31536000),
	UINT_OPT("scan", "probe_cache_mb", probe_cache_mb, 1, 65536),
	LIST_OPT("scan", "dkim_selectors", dkim_selectors, config_check_selector),
	BOOL_OPT("scan", "dkim_probe_selectors", dkim_probe_selectors),
	STR_OPT("scan", "doc_address", doc_address, config_check_ip),

	ENUM_OPT("dns", "mode", dns_mode, config_mode_names),
	ENUM_OPT("dns", "validate", dns_validate, config_validate_names),
	LIST_OPT("dns", "upstreams", dns_upstreams, config_check_upstream),
	STR_OPT("dns", "root_hints", dns_root_hints, NULL),
	STR_OPT("dns", "trust_anchor", dns_trust_anchor, NULL),
	UINT_OPT("dns", "timeout", dns_timeout_ms, 100, 60000),
	UINT_OPT("dns", "cache_ttl", dns_cache_ttl_s, 0, 86400),
	UINT_OPT("dns", "cache_entries", dns_cache_entries, 1, 10000000),
	UINT_OPT("dns", "cache_mb", dns_cache_mb, 1, 65536),

	STR_OPT("store", "path", store_path, NULL),
	UINT_OPT("store", "batch_size", batch_size, 1, 100000),
	UINT_OPT("store", "batch_ms", batch_ms, 1, 60000),

	STR_OPT("tls", "ca_file", ca_file, NULL),

	UINT_OPT("http", "timeout", http_timeout_s, 1, 300),
	UINT_OPT("http", "max_bytes", http_max_bytes, 1024, 10485760),
	UINT_OPT("http", "cache_mb", http_cache_mb, 1, 65536),

	UINT_OPT("limits", "smtp_max_sessions", smtp_max_sessions, 1, 100000),
	UINT_OPT("limits", "smtp_per_address", smtp_per_address, 1, 100),
	UINT_OPT("limits", "smtp_rate_per_address", smtp_rate_per_address, 1, 100000),
	UINT_OPT("limits", "connect_rate", connect_rate, 1, 1000000),
	UINT_OPT("limits", "smtp_attempts", smtp_attempts, 1, 10),
	UINT_OPT("limits", "smtp_retry", smtp_retry_s, 1, 3600),
	LIST_OPT("limits", "exclude", exclude, config_check_exclude),

	STR_OPT("scoring", "file", scoring_file, NULL),
};
/* clang-format on */

#define CONFIG_NOPTS (sizeof config_opts / sizeof config_opts[0])

static const char *const config_sections[] = {"log", "scan", "dns",    "store",
					      "tls", "http", "limits", "scoring"};

#define CONFIG_NSECTIONS (sizeof config_sections / sizeof config_sections[0])

void config_init_defaults(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	cfg->log_level = LOG_LEVEL_WARN;
	cfg->log_syslog = false;

	cfg->max_in_flight = 1000;
	cfg->deadline_s = 120;
	cfg->ipv6 = true;
	cfg->ehlo_name = xstrdup("");
	cfg->smtp_port = 25;
	cfg->connect_timeout_s = 10;
	cfg->reply_timeout_s = 30;
	cfg->probe_cache_ttl_s = 86400;
	cfg->probe_cache_mb = PROBE_CACHE_MAX_DONE_BYTES >> 20;
	cfg->dkim_probe_selectors = true;
	cfg->doc_address = xstrdup("192.0.2.1");

	cfg->dns_mode = CONFIG_DNS_RECURSIVE;
	cfg->dns_validate = CONFIG_VALIDATE_GETDNS;
	cfg->dns_root_hints = xstrdup("");
	cfg->dns_trust_anchor = xstrdup("");
	cfg->dns_timeout_ms = 5000;
	cfg->dns_cache_ttl_s = 300;
	cfg->dns_cache_entries = 100000;
	cfg->dns_cache_mb = DNS_CACHE_MAX_BYTES >> 20;

	cfg->store_path = xstrdup("");
	cfg->batch_size = 500;
	cfg->batch_ms = 1000;

	cfg->ca_file = xstrdup("/etc/ssl/certs/ca-certificates.crt");

	cfg->http_timeout_s = 10;
	cfg->http_max_bytes = 65536;
	cfg->http_cache_mb = URL_CACHE_MAX_BYTES >> 20;

	cfg->smtp_max_sessions = 500;
	cfg->smtp_per_address = 2;
	cfg->smtp_rate_per_address = 30;
	cfg->connect_rate = 200;
	cfg->smtp_attempts = 3;
	cfg->smtp_retry_s = 15;

	cfg->scoring_file = xstrdup("");
}

/* ---- members through the table ---- */

static void *config_member(struct config *cfg, const struct config_opt *opt)
{
	return (char *)cfg + opt->offset;
}

static const void *config_cmember(const struct config *cfg, const struct config_opt *opt)
{
	return (const char *)cfg + opt->offset;
}

static void config_strlist_clear(struct config_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

/* Appends an owned entry. Lists are short (a few selectors, upstreams, excludes): grow by one. */
static void config_strlist_push(struct config_strlist *l, char *item)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof *l->items);
	l->items[l->n++] = item;
}

void config_clear(struct config *cfg)
{
	if (cfg == NULL)
		return;
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const struct config_opt *opt = &config_opts[i];
		if (opt->type == CONFIG_T_STR)
			free(*(char **)config_member(cfg, opt));
		else if (opt->type == CONFIG_T_LIST)
			config_strlist_clear(config_member(cfg, opt));
	}
	memset(cfg, 0, sizeof *cfg);
}

void config_copy(struct config *dst, const struct config *src)
{
	if (dst == src)
		return;
	struct config tmp = *src;
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const struct config_opt *opt = &config_opts[i];
		if (opt->type == CONFIG_T_STR) {
			char **s = config_member(&tmp, opt);
			*s = *s ? xstrdup(*s) : NULL;
		} else if (opt->type == CONFIG_T_LIST) {
			struct config_strlist *l = config_member(&tmp, opt);
			const struct config_strlist *from = config_cmember(src, opt);
			l->items = NULL;
			l->n = 0;
			for (size_t j = 0; j < from->n; j++)
				config_strlist_push(l, xstrdup(from->items[j]));
		}
	}
	config_clear(dst);
	*dst = tmp;
}

void config_set_str(char **slot, const char *value)
{
	char *copy = xstrdup(value ? value : "");
	free(*slot);
	*slot = copy;
}

static bool config_str_equal(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

bool config_equal(const struct config *a, const struct config *b)
{
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const struct config_opt *opt = &config_opts[i];
		const void *x = config_cmember(a, opt), *y = config_cmember(b, opt);
		switch (opt->type) {
		case CONFIG_T_UINT:
			if (*(const unsigned *)x != *(const unsigned *)y)
				return false;
			break;
		case CONFIG_T_BOOL:
			if (*(const bool *)x != *(const bool *)y)
				return false;
			break;
		case CONFIG_T_ENUM:
			if (*(const int *)x != *(const int *)y)
				return false;
			break;
		case CONFIG_T_STR:
			if (!config_str_equal(*(char *const *)x, *(char *const *)y))
				return false;
			break;
		case CONFIG_T_LIST: {
			const struct config_strlist *l = x, *m = y;
			if (l->n != m->n)
				return false;
			for (size_t j = 0; j < l->n; j++)
				if (strcmp(l->items[j], m->items[j]) != 0)
					return false;
			break;
		}
		}
	}
	return true;
}

/* ---- scalar parsing ---- */

static const char *config_type_name(const struct config_opt *opt)
{
	switch (opt->type) {
	case CONFIG_T_UINT:
		return "integer";
	case CONFIG_T_BOOL:
		return "boolean";
	case CONFIG_T_LIST:
		return "list";
	case CONFIG_T_STR:
	case CONFIG_T_ENUM:
		break;
	}
	return "string";
}

static void config_enum_list(const struct config_opt *opt, char *buf, size_t buflen)
{
	size_t used = 0;
	buf[0] = '\0';
	for (size_t i = 0; opt->names[i] && used < buflen; i++) {
		int n = snprintf(buf + used, buflen - used, "%s%s", i ? ", " : "", opt->names[i]);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

/* Decimal only: digits without a leading zero (YAML 1.1 reads 010 as octal, so refuse the
 * ambiguity), optionally a '-' so that negative values get the out-of-range message.
 * Returns 0, -1 for not an integer, -2 for out of the representable range (overflow, negative). */
static int config_parse_decimal(const char *s, unsigned long long *out)
{
	bool neg = false;
	if (*s == '-') {
		neg = true;
		s++;
	}
	if (*s < '0' || *s > '9')
		return -1;
	if (s[0] == '0' && s[1] != '\0')
		return -1;
	unsigned long long v = 0;
	bool overflow = false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (ULLONG_MAX - d) / 10)
			overflow = true;
		else
			v = v * 10 + d;
	}
	if (overflow || (neg && v != 0))
		return -2;
	*out = v;
	return 0;
}

static bool config_parse_bool(const char *s, bool *out)
{
	static const struct {
		const char *word; /* accepted spelling, any case */
		bool value;	  /* what it means */
	} words[] = {{"true", true},   {"yes", true}, {"on", true},
		     {"false", false}, {"no", false}, {"off", false}};
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strcasecmp(s, words[i].word) == 0) {
			*out = words[i].value;
			return true;
		}
	}
	return false;
}

/* Sets a non-list option from one scalar; cfg is untouched on error. why gets the message
 * without the "file:line:col: section.key: " prefix. */
static int config_set_scalar(struct config *cfg, const struct config_opt *opt,
			     const struct config_scalar *sc, char *why, size_t whylen)
{
	void *slot = config_member(cfg, opt);
	if (strlen(sc->text) != sc->len) {
		snprintf(why, whylen, "value contains a NUL byte");
		return -1;
	}
	switch (opt->type) {
	case CONFIG_T_UINT: {
		unsigned long long v = 0;
		int rc = -1;
		if (!sc->plain || sc->null) {
			snprintf(why, whylen, "expected integer (%llu..%llu), got %s", opt->min,
				 opt->max, sc->null ? "nothing" : "a quoted string");
			return -1;
		}
		rc = config_parse_decimal(sc->text, &v);
		if (rc == -1) {
			snprintf(why, whylen, "expected integer (%llu..%llu), got '%s'", opt->min,
				 opt->max, sc->text);
			return -1;
		}
		if (rc == -2 || v < opt->min || v > opt->max) {
			snprintf(why, whylen, "%s is out of range (%llu..%llu)", sc->text, opt->min,
				 opt->max);
			return -1;
		}
		*(unsigned *)slot = (unsigned)v;
		return 0;
	}
	case CONFIG_T_BOOL: {
		bool b = false;
		if (!sc->plain || sc->null) {
			snprintf(why, whylen, "expected boolean (true/false/yes/no/on/off), got %s",
				 sc->null ? "nothing" : "a quoted string");
			return -1;
		}
		if (!config_parse_bool(sc->text, &b)) {
			snprintf(why, whylen,
				 "expected boolean (true/false/yes/no/on/off), got '%s'", sc->text);
			return -1;
		}
		*(bool *)slot = b;
		return 0;
	}
	case CONFIG_T_ENUM: {
		char allowed[128];
		config_enum_list(opt, allowed, sizeof allowed);
		if (!sc->null) {
			for (int i = 0; opt->names[i]; i++) {
				if (strcasecmp(sc->text, opt->names[i]) == 0) {
					*(int *)slot = i;
					return 0;
				}
			}
		}
		snprintf(why, whylen, "bad value '%s' (expected one of: %s)", sc->text, allowed);
		return -1;
	}
	case CONFIG_T_STR: {
		const char *text = sc->null ? "" : sc->text;
		char *val = NULL;
		if (opt->check) {
			val = opt->check(text, why, whylen);
			if (val == NULL)
				return -1;
		} else {
			val = xstrdup(text);
		}
		free(*(char **)slot);
		*(char **)slot = val;
		return 0;
	}
	case CONFIG_T_LIST:
		break;
	}
	snprintf(why, whylen, "expected %s", config_type_name(opt));
	return -1;
}

/* Validates one list entry (already NUL-checked); returns an owned copy or NULL with why. */
static char *config_list_entry(const struct config_opt *opt, const char *text, char *why,
			       size_t whylen)
{
	if (text[0] == '\0') {
		snprintf(why, whylen, "empty list entry");
		return NULL;
	}
	if (opt->check)
		return opt->check(text, why, whylen);
	return xstrdup(text);
}

/* Replaces a list option by list, which it takes over. */
static void config_set_list(struct config *cfg, const struct config_opt *opt,
			    struct config_strlist *list)
{
	struct config_strlist *slot = config_member(cfg, opt);
	config_strlist_clear(slot);
	*slot = *list;
	list->n = 0;
	list->items = NULL;
}

/* ---- validators ---- */

static bool config_is_ip(const char *s, int *family)
{
	unsigned char buf[16];
	if (inet_pton(AF_INET, s, buf) == 1) {
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, buf) == 1) {
		*family = AF_INET6;
		return true;
	}
	return false;
}

static char *config_check_ip(const char *in, char *why, size_t whylen)
{
	int family;
	if (!config_is_ip(in, &family)) {
		snprintf(why, whylen, "'%s' is not an IPv4 or IPv6 address", in);
		return NULL;
	}
	return xstrdup(in);
}

/* RFC 5321 EHLO argument: a domain or an address literal; "" means "this host's FQDN". */
static char *config_check_ehlo(const char *in, char *why, size_t whylen)
{
	char reason[128];
	if (in[0] == '\0' || (in[0] == '[' && dname_is_ip_literal(in)))
		return xstrdup(in);
	if (dname_check_hostname(in, reason, sizeof reason) < 0) {
		snprintf(why, whylen, "'%s' is not a host name or address literal: %s", in, reason);
		return NULL;
	}
	return xstrdup(in);
}

/* A DKIM selector is one or more DNS labels put in front of "._domainkey.<domain>"; keep it
 * short enough that the whole name still fits in 253 octets for ordinary domains. */
static char *config_check_selector(const char *in, char *why, size_t whylen)
{
	size_t len = strlen(in), label = 0;
	bool bad = len > 128;
	for (size_t i = 0; i <= len && !bad; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '.' || c == '\0') {
			bad = label == 0 || label > 63;
			label = 0;
		} else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			   (c >= '0' && c <= '9') || c == '-' || c == '_') {
			label++;
		} else {
			bad = true;
		}
	}
	if (bad) {
		snprintf(why, whylen,
			 "'%s' is not a DKIM selector (dot-separated labels of letters, digits, "
			 "'-', '_'; at most 128 characters)",
			 in);
		return NULL;
	}
	return xstrdup(in);
}

/* config_parse_upstream() with a reason. */
static int config_upstream_split(const char *s, char *addr, size_t addrlen, unsigned *port,
				 char *why, size_t whylen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(s, '@');
	size_t hlen = at ? (size_t)(at - s) : strlen(s);
	unsigned long long p = 53;
	int family;
	if (hlen == 0 || hlen >= sizeof host) {
		snprintf(why, whylen, "'%s' is not IP or IP@port", s);
		return -1;
	}
	memcpy(host, s, hlen);
	host[hlen] = '\0';
	if (!config_is_ip(host, &family)) {
		snprintf(why, whylen, "'%s': '%s' is not an IPv4 or IPv6 address", s, host);
		return -1;
	}
	if (at && (config_parse_decimal(at + 1, &p) < 0 || p < 1 || p > 65535)) {
		snprintf(why, whylen, "'%s': port '%s' is not in 1..65535", s, at + 1);
		return -1;
	}
	if (addr) {
		if (hlen >= addrlen) {
			snprintf(why, whylen, "'%s': address buffer too small", s);
			return -1;
		}
		memcpy(addr, host, hlen + 1);
	}
	if (port)
		*port = (unsigned)p;
	return 0;
}

int config_parse_upstream(const char *s, char *addr, size_t addrlen, unsigned *port)
{
	char why[160];
	return config_upstream_split(s, addr, addrlen, port, why, sizeof why);
}

static char *config_check_upstream(const char *in, char *why, size_t whylen)
{
	if (config_upstream_split(in, NULL, 0, NULL, why, whylen) < 0)
		return NULL;
	return xstrdup(in);
}

/* An exclude entry: "IP", "IP/prefix", or a domain name (stored normalised, so that matching
 * later is a plain comparison of A-labels). */
static char *config_check_exclude(const char *in, char *why, size_t whylen)
{
	char ip[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(in, '/');
	int family;
	if (slash || config_is_ip(in, &family)) {
		size_t iplen = slash ? (size_t)(slash - in) : strlen(in);
		unsigned long long prefix = 0;
		if (iplen == 0 || iplen >= sizeof ip) {
			snprintf(why, whylen, "'%s' is not a CIDR (IP/prefix)", in);
			return NULL;
		}
		memcpy(ip, in, iplen);
		ip[iplen] = '\0';
		if (!config_is_ip(ip, &family)) {
			snprintf(why, whylen, "'%s': '%s' is not an IPv4 or IPv6 address", in, ip);
			return NULL;
		}
		unsigned max = family == AF_INET ? 32 : 128;
		if (slash && (config_parse_decimal(slash + 1, &prefix) < 0 || prefix > max)) {
			snprintf(why, whylen, "'%s': prefix length '%s' is not in 0..%u", in,
				 slash + 1, max);
			return NULL;
		}
		return xstrdup(in);
	}

	/* dname_normalize() refuses single-label names, but excluding a whole TLD ("mil") is a
	 * legitimate wish: normalise it under a reserved suffix and strip that again. */
	static const char suffix[] = ".invalid";
	char name[DNAME_MAX + sizeof suffix], out[DNAME_MAX + sizeof suffix], reason[128];
	size_t len = strlen(in);
	if (len && in[len - 1] == '.')
		len--;
	bool single = memchr(in, '.', len) == NULL;
	if (len + sizeof suffix > sizeof name) {
		snprintf(why, whylen, "'%.64s...' is longer than a domain name can be", in);
		return NULL;
	}
	snprintf(name, sizeof name, "%.*s%s", (int)len, in, single ? suffix : "");
	if (dname_normalize(name, out, sizeof out, reason, sizeof reason) < 0) {
		snprintf(why, whylen, "'%s' is neither a CIDR nor a domain name: %s", in, reason);
		return NULL;
	}
	if (single)
		out[strlen(out) - (sizeof suffix - 1)] = '\0';
	return xstrdup(out);
}

/* ---- cross-field rules ---- */

/* Returns NULL when cfg is consistent, else the message and (in *blame) the option to point at. */
static const char *config_cross_check(const struct config *cfg, const char **blame)
{
	if (cfg->dns_validate == CONFIG_VALIDATE_UPSTREAM && cfg->dns_mode != CONFIG_DNS_STUB) {
		*blame = "dns.validate";
		return "dns.validate: upstream requires dns.mode: stub";
	}
	if (cfg->dns_mode == CONFIG_DNS_STUB && cfg->dns_upstreams.n == 0) {
		*blame = "dns.mode";
		return "dns.mode: stub requires at least one entry in dns.upstreams";
	}
	return NULL;
}

int config_validate(const struct config *cfg, char *err, size_t errlen)
{
	const char *blame = NULL;
	const char *msg = config_cross_check(cfg, &blame);
	if (msg == NULL)
		return 0;
	if (errlen)
		snprintf(err, errlen, "%s", msg);
	return -1;
}

static const struct config_opt *config_find(const char *section, const char *key)
{
	for (size_t i = 0; i < CONFIG_NOPTS; i++)
		if (strcmp(config_opts[i].section, section) == 0 &&
		    strcmp(config_opts[i].key, key) == 0)
			return &config_opts[i];
	return NULL;
}

/* "dns.mode" -> its table entry, or NULL. */
static const struct config_opt *config_find_dotted(const char *dotted)
{
	char section[32];
	const char *dot = strchr(dotted, '.');
	if (dot == NULL || (size_t)(dot - dotted) >= sizeof section)
		return NULL;
	memcpy(section, dotted, (size_t)(dot - dotted));
	section[dot - dotted] = '\0';
	return config_find(section, dot + 1);
}

/* ---- the YAML loader ---- */

struct config_loader {
	const char *path;		    /* borrowed: for messages */
	yaml_document_t *doc;		    /* borrowed: the parsed file */
	struct config *cfg;		    /* borrowed: being filled */
	bool set[CONFIG_NOPTS];		    /* option already given in this file */
	yaml_mark_t key_at[CONFIG_NOPTS];   /* where its key is, for duplicate messages */
	yaml_mark_t value_at[CONFIG_NOPTS]; /* where its value is, for cross-field messages */
	char *err;			    /* borrowed: caller's buffer */
	size_t errlen;			    /* its size */
};

static int config_fail(struct config_loader *ld, yaml_mark_t mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int config_fail(struct config_loader *ld, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yamlfile_verror(ld->err, ld->errlen, ld->path, mark, fmt, ap);
	va_end(ap);
	return -1;
}

static int config_check_node(struct config_loader *ld, const yaml_node_t *node)
{
	if (!yamlfile_node_tag_ok(node))
		return config_fail(ld, node->start_mark, "YAML tag '%s' is not supported here",
				   (const char *)node->tag);
	return 0;
}

static struct config_scalar config_node_scalar(const yaml_node_t *node)
{
	struct config_scalar sc = {
	    .text = (const char *)node->data.scalar.value,
	    .len = node->data.scalar.length,
	    .plain = node->data.scalar.style == YAML_PLAIN_SCALAR_STYLE,
	    .null = yamlfile_node_is_null(node),
	};
	return sc;
}

static int config_load_list(struct config_loader *ld, const struct config_opt *opt,
			    const yaml_node_t *node)
{
	struct config_strlist list = {0};
	char why[512];
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
		char *val = NULL;
		if (item == NULL)
			continue;
		if (config_check_node(ld, item) < 0)
			goto fail;
		if (item->type != YAML_SCALAR_NODE || yamlfile_node_is_null(item)) {
			config_fail(
			    ld, item->start_mark, "%s.%s: list entries must be strings, got %s",
			    opt->section, opt->key,
			    item->type == YAML_SCALAR_NODE ? "nothing" : yamlfile_node_kind(item));
			goto fail;
		}
		const char *text = (const char *)item->data.scalar.value;
		if (strlen(text) != item->data.scalar.length) {
			config_fail(ld, item->start_mark, "%s.%s: value contains a NUL byte",
				    opt->section, opt->key);
			goto fail;
		}
		val = config_list_entry(opt, text, why, sizeof why);
		if (val == NULL) {
			config_fail(ld, item->start_mark, "%s.%s: %s", opt->section, opt->key, why);
			goto fail;
		}
		config_strlist_push(&list, val);
	}
	config_set_list(ld->cfg, opt, &list);
	return 0;
fail:
	config_strlist_clear(&list);
	return -1;
}

static int config_load_value(struct config_loader *ld, const struct config_opt *opt,
			     const yaml_node_t *node)
{
	char why[512];
	if (config_check_node(ld, node) < 0)
		return -1;
	if (node->type == YAML_SEQUENCE_NODE && opt->type == CONFIG_T_LIST)
		return config_load_list(ld, opt, node);
	if (node->type == YAML_SCALAR_NODE && opt->type == CONFIG_T_LIST &&
	    yamlfile_node_is_null(node)) {
		struct config_strlist empty = {0};
		config_set_list(ld->cfg, opt, &empty);
		return 0;
	}
	if (node->type != YAML_SCALAR_NODE || opt->type == CONFIG_T_LIST)
		return config_fail(ld, node->start_mark, "%s.%s: expected %s, got %s", opt->section,
				   opt->key, config_type_name(opt), yamlfile_node_kind(node));
	struct config_scalar sc = config_node_scalar(node);
	if (config_set_scalar(ld->cfg, opt, &sc, why, sizeof why) < 0)
		return config_fail(ld, node->start_mark, "%s.%s: %s", opt->section, opt->key, why);
	return 0;
}

/* A mapping key must be a plain or quoted string; returns it, or NULL after failing. */
static const char *config_key_text(struct config_loader *ld, const yaml_node_t *key)
{
	if (key->type != YAML_SCALAR_NODE || !yamlfile_node_tag_ok(key) ||
	    strlen((const char *)key->data.scalar.value) != key->data.scalar.length) {
		config_fail(ld, key->start_mark, "keys must be strings, got %s",
			    key->type == YAML_SCALAR_NODE ? "a tagged or binary scalar"
							  : yamlfile_node_kind(key));
		return NULL;
	}
	return (const char *)key->data.scalar.value;
}

static int config_load_section(struct config_loader *ld, const char *section,
			       const yaml_node_t *node)
{
	if (config_check_node(ld, node) < 0)
		return -1;
	if (yamlfile_node_is_null(node)) /* "dns:" with nothing under it */
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return config_fail(ld, node->start_mark, "section '%s' must be a mapping, got %s",
				   section, yamlfile_node_kind(node));
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		if (key == NULL || val == NULL)
			continue;
		const char *name = config_key_text(ld, key);
		if (name == NULL)
			return -1;
		const struct config_opt *opt = config_find(section, name);
		if (opt == NULL)
			return config_fail(ld, key->start_mark, "unknown key '%s' in section '%s'",
					   name, section);
		size_t i = (size_t)(opt - config_opts);
		if (ld->set[i])
			return config_fail(ld, key->start_mark,
					   "duplicate key '%s.%s' (first at line %zu)", section,
					   name, ld->key_at[i].line + 1);
		ld->set[i] = true;
		ld->key_at[i] = key->start_mark;
		ld->value_at[i] = val->start_mark;
		if (config_load_value(ld, opt, val) < 0)
			return -1;
	}
	return 0;
}

static int config_load_root(struct config_loader *ld, const yaml_node_t *root)
{
	yaml_mark_t seen_at[CONFIG_NSECTIONS];
	bool seen[CONFIG_NSECTIONS] = {false};
	if (config_check_node(ld, root) < 0)
		return -1;
	if (yamlfile_node_is_null(root)) /* a file of comments only */
		return 0;
	if (root->type != YAML_MAPPING_NODE)
		return config_fail(ld, root->start_mark,
				   "the top level must be a mapping of sections (log, scan, dns, "
				   "store, tls, http, limits, scoring), got %s",
				   yamlfile_node_kind(root));
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		if (key == NULL || val == NULL)
			continue;
		const char *name = config_key_text(ld, key);
		if (name == NULL)
			return -1;
		size_t s = 0;
		while (s < CONFIG_NSECTIONS && strcmp(config_sections[s], name) != 0)
			s++;
		if (s == CONFIG_NSECTIONS)
			return config_fail(ld, key->start_mark,
					   "unknown section '%s' (expected one of: log, scan, dns, "
					   "store, tls, http, limits, scoring)",
					   name);
		if (seen[s])
			return config_fail(ld, key->start_mark,
					   "duplicate section '%s' (first at line %zu)", name,
					   seen_at[s].line + 1);
		seen[s] = true;
		seen_at[s] = key->start_mark;
		if (config_load_section(ld, config_sections[s], val) < 0)
			return -1;
	}
	return 0;
}

/* Cross-field rules, reported at the value that broke them (or, when that one came from the
 * defaults, at the related option that the file did set). */
static int config_load_cross_check(struct config_loader *ld)
{
	const char *blame = NULL;
	const char *msg = config_cross_check(ld->cfg, &blame);
	if (msg == NULL)
		return 0;
	const char *const candidates[] = {blame, "dns.validate", "dns.mode", "dns.upstreams"};
	yaml_mark_t at = {0, 0, 0};
	for (size_t c = 0; c < sizeof candidates / sizeof candidates[0]; c++) {
		const struct config_opt *opt = config_find_dotted(candidates[c]);
		if (opt && ld->set[opt - config_opts]) {
			at = ld->value_at[opt - config_opts];
			break;
		}
	}
	return config_fail(ld, at, "%s", msg);
}

static int config_syntax_error(struct config_loader *ld, const yaml_parser_t *parser,
			       const char *buf, size_t len)
{
	const char *problem = parser->problem ? parser->problem : "out of memory";
	if (parser->error == YAML_READER_ERROR) {
		yaml_mark_t at = yamlfile_offset_mark(buf, len, parser->problem_offset);
		if (parser->problem_value != -1)
			return config_fail(ld, at, "invalid input: %s (byte 0x%02X)", problem,
					   (unsigned)parser->problem_value);
		return config_fail(ld, at, "invalid input: %s", problem);
	}
	if (parser->context)
		return config_fail(ld, parser->problem_mark,
				   "YAML syntax error: %s (%s at line %zu, column %zu)", problem,
				   parser->context, parser->context_mark.line + 1,
				   parser->context_mark.column + 1);
	return config_fail(ld, parser->problem_mark, "YAML syntax error: %s", problem);
}

static int config_parse_buffer(struct config_loader *ld, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;
	if (!yaml_parser_initialize(&parser))
		abort(); /* only fails on allocation, which ends the process everywhere else too */
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_mark_t deep;
	if (yamlfile_check_depth(buf, len, &deep) < 0) {
		config_fail(ld, deep, "nested more than %d levels deep", YAMLFILE_DEPTH_MAX);
		goto out;
	}
	if (!yaml_parser_load(&parser, &doc)) {
		config_syntax_error(ld, &parser, buf, len);
		goto out;
	}
	ld->doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	rc = root ? config_load_root(ld, root) : 0;
	yaml_document_delete(&doc);
	ld->doc = NULL;
	if (rc < 0)
		goto out;

	/* One document per file: a second one would silently be ignored otherwise. */
	rc = -1;
	if (!yaml_parser_load(&parser, &doc)) {
		config_syntax_error(ld, &parser, buf, len);
		goto out;
	}
	root = yaml_document_get_root_node(&doc);
	if (root)
		config_fail(ld, doc.start_mark, "more than one YAML document in the file");
	else
		rc = config_load_cross_check(ld);
	yaml_document_delete(&doc);
out:
	yaml_parser_delete(&parser);
	return rc;
}

int config_load(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct config_loader *ld = xcalloc(1, sizeof *ld);
	struct config tmp;
	char *buf = NULL;
	size_t len = 0;
	int rc = -1;

	if (errlen)
		err[0] = '\0';
	config_init_defaults(&tmp);
	if (yamlfile_read(path, &buf, &len, err, errlen) == 0) {
		ld->path = path;
		ld->cfg = &tmp;
		ld->err = err;
		ld->errlen = errlen;
		rc = config_parse_buffer(ld, buf, len);
	}
	free(buf);
	free(ld);
	if (rc < 0) {
		config_clear(&tmp);
		config_init_defaults(cfg);
		return -1;
	}
	*cfg = tmp;
	return 0;
}

/* ---- command-line overrides ---- */

static void config_trim(const char **s, size_t *len)
{
	while (*len && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

static int config_override_list(struct config *cfg, const struct config_opt *opt, const char *value,
				char *err, size_t errlen)
{
	struct config_strlist list = {0};
	char why[512];
	const char *p = value;
	size_t total = strlen(value);
	config_trim(&p, &total);
	while (total > 0) { /* "" (or only blanks) empties the list */
		const char *comma = memchr(p, ',', total);
		size_t n = comma ? (size_t)(comma - p) : total;
		const char *item = p;
		size_t ilen = n;
		config_trim(&item, &ilen);
		char *text = xstrndup(item, ilen);
		char *val = config_list_entry(opt, text, why, sizeof why);
		free(text);
		if (val == NULL) {
			if (errlen)
				snprintf(err, errlen, "%s.%s: %s", opt->section, opt->key, why);
			config_strlist_clear(&list);
			return -1;
		}
		config_strlist_push(&list, val);
		if (comma == NULL)
			break;
		p = comma + 1;
		total -= n + 1;
		if (total == 0) { /* trailing comma: an empty last entry */
			if (errlen)
				snprintf(err, errlen, "%s.%s: empty list entry", opt->section,
					 opt->key);
			config_strlist_clear(&list);
			return -1;
		}
	}
	config_set_list(cfg, opt, &list);
	return 0;
}

int config_apply_override(struct config *cfg, const char *dotted_key, const char *value, char *err,
			  size_t errlen)
{
	char why[512];
	const struct config_opt *opt = config_find_dotted(dotted_key);
	if (errlen)
		err[0] = '\0';
	if (opt == NULL) {
		if (errlen)
			snprintf(err, errlen, "unknown option '%s'", dotted_key);
		return -1;
	}
	if (value == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s: missing value", dotted_key);
		return -1;
	}
	if (opt->type == CONFIG_T_LIST)
		return config_override_list(cfg, opt, value, err, errlen);
	/* A command-line value is taken literally: never null, integers and booleans allowed. */
	struct config_scalar sc = {.text = value, .len = strlen(value), .plain = true};
	if (config_set_scalar(cfg, opt, &sc, why, sizeof why) < 0) {
		if (errlen)
			snprintf(err, errlen, "%s: %s", dotted_key, why);
		return -1;
	}
	return 0;
}
