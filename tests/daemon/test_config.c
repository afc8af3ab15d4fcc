/* test_config.c — the YAML configuration loader: every error kind with its exact file:line:col,
 * good files against an independent map of keys to struct members, the shipped
 * config/mxsurvey.yaml, command-line overrides, upstream parsing, copy/clear/equal. */
/* cmocka.h needs these first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "daemon/config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SHIPPED "config/mxsurvey.yaml"

/* ---- the test's own map of YAML keys to struct members (not the loader's table) ---- */

enum field_kind { F_UINT, F_BOOL, F_STR, F_ENUM, F_LIST };

struct field {
	const char *key;	  /* "section.key" */
	enum field_kind kind;	  /* member type */
	size_t off;		  /* offsetof in struct config */
	const char *const *names; /* F_ENUM: value names by index */
	const char *other;	  /* a valid non-default value, as YAML flow text */
	const char *other_render; /* how that value renders once loaded */
};

static const char *const level_names[] = {"error", "warn", "info", "debug"};
static const char *const mode_names[] = {"recursive", "stub"};
static const char *const validate_names[] = {"getdns", "upstream"};

/* clang-format off */
#define F(k, kind, m, names, other, render) {k, kind, offsetof(struct config, m), names, other, render}
static const struct field fields[] = {
	F("log.level", F_ENUM, log_level, level_names, "debug", "debug"),
	F("log.syslog", F_BOOL, log_syslog, NULL, "yes", "true"),
	F("scan.max_in_flight", F_UINT, max_in_flight, NULL, "7", "7"),
	F("scan.deadline", F_UINT, deadline_s, NULL, "3600", "3600"),
	F("scan.ipv6", F_BOOL, ipv6, NULL, "off", "false"),
	F("scan.ehlo_name", F_STR, ehlo_name, NULL, "probe.example.net", "probe.example.net"),
	F("scan.smtp_port", F_UINT, smtp_port, NULL, "2525", "2525"),
	F("scan.connect_timeout", F_UINT, connect_timeout_s, NULL, "3", "3"),
	F("scan.reply_timeout", F_UINT, reply_timeout_s, NULL, "600", "600"),
	F("scan.probe_cache_ttl", F_UINT, probe_cache_ttl_s, NULL, "60", "60"),
	F("scan.probe_cache_mb", F_UINT, probe_cache_mb, NULL, "16", "16"),
	F("scan.dkim_selectors", F_LIST, dkim_selectors, NULL, "[selector1, s._x-y]",
	  "selector1,s._x-y"),
	F("scan.dkim_probe_selectors", F_BOOL, dkim_probe_selectors, NULL, "no", "false"),
	F("scan.doc_address", F_STR, doc_address, NULL, "'2001:db8::25'", "2001:db8::25"),
	F("dns.mode", F_ENUM, dns_mode, mode_names, "stub", "stub"),
	F("dns.validate", F_ENUM, dns_validate, validate_names, "upstream", "upstream"),
	F("dns.upstreams", F_LIST, dns_upstreams, NULL, "[127.0.0.1@5353, '::1', 192.0.2.53]",
	  "127.0.0.1@5353,::1,192.0.2.53"),
	F("dns.root_hints", F_STR, dns_root_hints, NULL, "/etc/hints", "/etc/hints"),
	F("dns.trust_anchor", F_STR, dns_trust_anchor, NULL, "/etc/ta.key", "/etc/ta.key"),
	F("dns.timeout", F_UINT, dns_timeout_ms, NULL, "100", "100"),
	F("dns.cache_ttl", F_UINT, dns_cache_ttl_s, NULL, "0", "0"),
	F("dns.cache_entries", F_UINT, dns_cache_entries, NULL, "7", "7"),
	F("dns.cache_mb", F_UINT, dns_cache_mb, NULL, "3", "3"),
	F("store.path", F_STR, store_path, NULL, "/var/lib/mxsurvey/db", "/var/lib/mxsurvey/db"),
	F("store.batch_size", F_UINT, batch_size, NULL, "100000", "100000"),
	F("store.batch_ms", F_UINT, batch_ms, NULL, "1", "1"),
	F("tls.ca_file", F_STR, ca_file, NULL, "''", ""),
	F("http.timeout", F_UINT, http_timeout_s, NULL, "300", "300"),
	F("http.max_bytes", F_UINT, http_max_bytes, NULL, "1024", "1024"),
	F("http.cache_mb", F_UINT, http_cache_mb, NULL, "5", "5"),
	F("limits.smtp_max_sessions", F_UINT, smtp_max_sessions, NULL, "1", "1"),
	F("limits.smtp_per_address", F_UINT, smtp_per_address, NULL, "100", "100"),
	F("limits.smtp_rate_per_address", F_UINT, smtp_rate_per_address, NULL, "100000", "100000"),
	F("limits.connect_rate", F_UINT, connect_rate, NULL, "1000000", "1000000"),
	F("limits.smtp_attempts", F_UINT, smtp_attempts, NULL, "10", "10"),
	F("limits.smtp_retry", F_UINT, smtp_retry_s, NULL, "3600", "3600"),
	F("limits.exclude", F_LIST, exclude, NULL, "[10.0.0.0/8, Example.COM., mil, '::1']",
	  "10.0.0.0/8,example.com,mil,::1"),
	F("scoring.file", F_STR, scoring_file, NULL, "config/scoring.yaml", "config/scoring.yaml"),
};
/* clang-format on */
#define NFIELDS (sizeof fields / sizeof fields[0])

/* The documented defaults, written out independently of config_init_defaults. */
static const char *const default_render[NFIELDS] = {
    "warn", "false",
    "1000", "120",
    "true", "",
    "25", "10",
    "30", "86400",
    "64", "", "true",
    "192.0.2.1", "recursive",
    "getdns", "",
    "", "",
    "5000", "300",
    "100000", "32", "",
    "500", "1000",
    "/etc/ssl/certs/ca-certificates.crt", "10",
    "65536", "32", "500",
    "2", "30",
    "200", "3",
    "15", "",
    "",
};

static void render(const struct config *cfg, const struct field *f, char *out, size_t outlen)
{
	const void *p = (const char *)cfg + f->off;
	switch (f->kind) {
	case F_UINT:
		snprintf(out, outlen, "%u", *(const unsigned *)p);
		break;
	case F_BOOL:
		snprintf(out, outlen, "%s", *(const bool *)p ? "true" : "false");
		break;
	case F_STR:
		snprintf(out, outlen, "%s", *(char *const *)p ? *(char *const *)p : "(null)");
		break;
	case F_ENUM:
		snprintf(out, outlen, "%s", f->names[*(const int *)p]);
		break;
	case F_LIST: {
		const struct config_strlist *l = p;
		size_t used = 0;
		out[0] = '\0';
		for (size_t i = 0; i < l->n && used < outlen; i++)
			used += (size_t)snprintf(out + used, outlen - used, "%s%s", i ? "," : "",
						 l->items[i]);
		break;
	}
	}
}

static const struct field *field_find(const char *key)
{
	for (size_t i = 0; i < NFIELDS; i++)
		if (strcmp(fields[i].key, key) == 0)
			return &fields[i];
	fail_msg("no field %s in the test table", key);
	return NULL;
}

/* expect: "key=value" entries separated by '|'; every other field must hold its default. */
static void assert_config(const struct config *cfg, const char *expect, const char *what)
{
	const char *want[NFIELDS];
	char buf[1024], got[512];
	for (size_t i = 0; i < NFIELDS; i++)
		want[i] = default_render[i];
	snprintf(buf, sizeof buf, "%s", expect ? expect : "");
	for (char *save = NULL, *tok = strtok_r(buf, "|", &save); tok;
	     tok = strtok_r(NULL, "|", &save)) {
		char *eq = strchr(tok, '=');
		assert_non_null(eq);
		*eq = '\0';
		want[field_find(tok) - fields] = eq + 1;
	}
	for (size_t i = 0; i < NFIELDS; i++) {
		render(cfg, &fields[i], got, sizeof got);
		if (strcmp(got, want[i]) != 0)
			fail_msg("%s: %s is '%s', expected '%s'", what, fields[i].key, got,
				 want[i]);
	}
}

/* ---- temp files ---- */

static char *write_temp(const char *text, size_t len)
{
	char *path = strdup("/tmp/test_config_XXXXXX");
	assert_non_null(path);
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	close(fd);
	return path;
}

static int load_text(struct config *cfg, const char *text, char *err, size_t errlen, char **path)
{
	*path = write_temp(text, strlen(text));
	int rc = config_load(cfg, *path, err, errlen);
	unlink(*path); /* now, so that a failing assertion leaves no file behind */
	return rc;
}

/* ---- errors: exact position, message, and defaults left behind ---- */

struct bad_case {
	const char *yaml; /* file content */
	const char *pos;  /* "line:col" expected after "path:" */
	const char *msg;  /* substring expected in the message */
};

static const struct bad_case bad_cases[] = {
    /* unknown key / section */
    {"scan:\n  bogus: 1\n", "2:3", "unknown key 'bogus' in section 'scan'"},
    {"log:\n  level: info\nnope:\n  x: 1\n", "3:1", "unknown section 'nope'"},
    {"dns:\n  deadline: 5\n", "2:3", "unknown key 'deadline' in section 'dns'"},
    {"scan:\n  Deadline: 5\n", "2:3", "unknown key 'Deadline'"},
    /* wrong types */
    {"scan:\n  deadline: abc\n", "2:13", "scan.deadline: expected integer (1..3600), got 'abc'"},
    {"scan:\n  deadline: \"120\"\n", "2:13", "expected integer (1..3600), got a quoted string"},
    {"scan:\n  deadline:\n", "2:12", "expected integer (1..3600), got nothing"},
    {"scan:\n  deadline: [1]\n", "2:13", "scan.deadline: expected integer, got a list"},
    {"scan:\n  deadline: {a: 1}\n", "2:13", "expected integer, got a mapping"},
    {"scan:\n  ipv6: maybe\n", "2:9", "scan.ipv6: expected boolean (true/false/yes/no/on/off)"},
    {"scan:\n  ipv6: 'true'\n", "2:9", "expected boolean (true/false/yes/no/on/off), got a quoted"},
    {"scan:\n  ipv6: 1\n", "2:9", "expected boolean"},
    {"store:\n  path: {a: 1}\n", "2:9", "store.path: expected string, got a mapping"},
    {"store:\n  path: [a]\n", "2:9", "store.path: expected string, got a list"},
    {"scan:\n  dkim_selectors: s1\n", "2:19", "scan.dkim_selectors: expected list, got a scalar"},
    {"dns:\n  upstreams: {a: 1}\n", "2:14", "dns.upstreams: expected list, got a mapping"},
    {"scan:\n  dkim_selectors: [[a]]\n", "2:20", "list entries must be strings, got a list"},
    {"scan:\n  dkim_selectors:\n    - a\n    -\n", "4:6",
     "list entries must be strings, got nothing"},
    {"scan:\n  dkim_selectors: ['']\n", "2:20", "scan.dkim_selectors: empty list entry"},
    /* integers: decimal only, range, overflow */
    {"scan:\n  deadline: 0\n", "2:13", "scan.deadline: 0 is out of range (1..3600)"},
    {"scan:\n  deadline: 3601\n", "2:13", "3601 is out of range (1..3600)"},
    {"scan:\n  deadline: -1\n", "2:13", "-1 is out of range (1..3600)"},
    {"scan:\n  smtp_port: 65536\n", "2:14", "65536 is out of range (1..65535)"},
    {"http:\n  max_bytes: 1023\n", "2:14", "1023 is out of range (1024..10485760)"},
    {"limits:\n  smtp_attempts: 0\n", "2:18", "limits.smtp_attempts: 0 is out of range (1..10)"},
    {"limits:\n  smtp_retry: 3601\n", "2:15", "3601 is out of range (1..3600)"},
    {"dns:\n  timeout: 99\n", "2:12", "99 is out of range (100..60000)"},
    {"scan:\n  max_in_flight: 4294967297\n", "2:18", "4294967297 is out of range (1..100000)"},
    {"scan:\n  max_in_flight: 18446744073709551617\n", "2:18", "is out of range (1..100000)"},
    {"scan:\n  max_in_flight: 99999999999999999999999999\n", "2:18", "is out of range"},
    {"scan:\n  deadline: 12abc\n", "2:13", "got '12abc'"},
    {"scan:\n  deadline: 0x10\n", "2:13", "got '0x10'"},
    {"scan:\n  deadline: 1_000\n", "2:13", "got '1_000'"},
    {"scan:\n  deadline: 010\n", "2:13", "got '010'"},
    {"scan:\n  deadline: 1e3\n", "2:13", "got '1e3'"},
    {"scan:\n  deadline: +5\n", "2:13", "got '+5'"},
    {"scan:\n  deadline: 5.0\n", "2:13", "got '5.0'"},
    /* enums */
    {"dns:\n  mode: foo\n", "2:9", "dns.mode: bad value 'foo' (expected one of: recursive, stub)"},
    {"dns:\n  validate: dnssec\n", "2:13", "(expected one of: getdns, upstream)"},
    {"log:\n  level: verbose\n", "2:10", "(expected one of: error, warn, info, debug)"},
    {"log:\n  level:\n", "2:9", "log.level: bad value ''"},
    /* duplicates */
    {"scan:\n  deadline: 1\n  deadline: 2\n", "3:3",
     "duplicate key 'scan.deadline' (first at line 2)"},
    {"scan: {}\nlog: {}\nscan: {}\n", "3:1", "duplicate section 'scan' (first at line 1)"},
    /* YAML syntax (libyaml's problem text at its mark) */
    {"scan:\n  deadline: [1, 2\n", "3:1", "YAML syntax error: did not find expected ',' or ']'"},
    {"scan:\n\tdeadline: 1\n", "2:1", "found character that cannot start any token"},
    {"scan:\n  deadline: 1\n bad\n", "3:2",
     "YAML syntax error: did not find expected key "
     "(while parsing a block mapping at line 1, column 1)"},
    {"a: b: c\n", "1:5", "mapping values are not allowed in this context"},
    {"scan:\n  ehlo_name: \"abc\n", "3:1", "found unexpected end of stream"},
    {"scan:\n  ehlo_name: *nope\n", "2:14", "found undefined alias"},
    {"scan:\n  ehlo_name: a\xff\n", "2:15",
     "invalid input: invalid leading UTF-8 octet (byte 0xFF)"},
    /* structure */
    {"- scan\n", "1:1", "the top level must be a mapping of sections"},
    {"just text\n", "1:1", "the top level must be a mapping of sections"},
    {"scan: 5\n", "1:7", "section 'scan' must be a mapping, got a scalar"},
    {"scan: [a]\n", "1:7", "section 'scan' must be a mapping, got a list"},
    {"? [a]\n: b\n", "1:3", "keys must be strings, got a list"},
    {"scan:\n  ? {x: 1}\n  : 2\n", "2:5", "keys must be strings, got a mapping"},
    {"scan:\n  deadline: !!int 5\n", "2:13", "YAML tag 'tag:yaml.org,2002:int' is not supported"},
    {"scan: !custom\n  deadline: 5\n", "1:7", "YAML tag '!custom' is not supported"},
    {"scan: {}\n---\nlog: {}\n", "2:1", "more than one YAML document"},
    {"scan:\n  ehlo_name: \"a\\0b\"\n", "2:14", "scan.ehlo_name: value contains a NUL byte"},
    {"scan:\n  dkim_selectors: [\"a\\0b\"]\n", "2:20", "value contains a NUL byte"},
    /* validated strings and list entries */
    {"scan:\n  doc_address: 192.0.2.256\n", "2:16", "'192.0.2.256' is not an IPv4 or IPv6"},
    {"scan:\n  doc_address: ''\n", "2:16", "'' is not an IPv4 or IPv6 address"},
    {"scan:\n  ehlo_name: 'bad name'\n", "2:14",
     "'bad name' is not a host name or address literal"},
    {"scan:\n  ehlo_name: '192.0.2.1'\n", "2:14", "is not a host name or address literal"},
    {"scan:\n  dkim_selectors: [ok, 'a b']\n", "2:24", "'a b' is not a DKIM selector"},
    {"scan:\n  dkim_selectors: [a..b]\n", "2:20", "'a..b' is not a DKIM selector"},
    {"dns:\n  mode: stub\n  upstreams: [1.2.3.4@99999]\n", "3:15",
     "dns.upstreams: '1.2.3.4@99999': port '99999' is not in 1..65535"},
    {"dns:\n  mode: stub\n  upstreams: [1.2.3.4@]\n", "3:15", "port '' is not in 1..65535"},
    {"dns:\n  mode: stub\n  upstreams:\n    - 127.0.0.1\n    - localhost\n", "5:7",
     "'localhost': 'localhost' is not an IPv4 or IPv6 address"},
    {"dns:\n  mode: stub\n  upstreams: ['[::1]:53']\n", "3:15", "is not an IPv4 or IPv6 address"},
    {"limits:\n  exclude: [10.0.0.0/33]\n", "2:13",
     "'10.0.0.0/33': prefix length '33' is not in 0..32"},
    {"limits:\n  exclude: ['::/129']\n", "2:13", "prefix length '129' is not in 0..128"},
    {"limits:\n  exclude: [10.0.0.0/8x]\n", "2:13", "prefix length '8x' is not in 0..32"},
    {"limits:\n  exclude: [10.0.0.0/]\n", "2:13", "prefix length '' is not in 0..32"},
    {"limits:\n  exclude: [300.1.1.1/8]\n", "2:13", "'300.1.1.1' is not an IPv4 or IPv6 address"},
    {"limits:\n  exclude: [/8]\n", "2:13", "'/8' is not a CIDR"},
    {"limits:\n  exclude: [ok.example, bad_name!.com]\n", "2:25",
     "'bad_name!.com' is neither a CIDR nor a domain name"},
    {"limits:\n  exclude: [1.2.3]\n", "2:13", "is neither a CIDR nor a domain name"},
    /* cross-field rules, at the value that broke them */
    {"dns:\n  validate: upstream\n", "2:13", "dns.validate: upstream requires dns.mode: stub"},
    {"dns:\n  upstreams: [127.0.0.1]\n  validate: upstream\n", "3:13", "requires dns.mode: stub"},
    {"dns:\n  mode: stub\n", "2:9", "dns.mode: stub requires at least one entry in dns.upstreams"},
    {"dns:\n  mode: stub\n  validate: upstream\n  upstreams: []\n", "2:9",
     "stub requires at least one entry"},
    {"dns:\n  mode: recursive\n  validate: upstream\n", "3:13", "requires dns.mode: stub"},
};

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
		const struct bad_case *c = &bad_cases[i];
		struct config cfg;
		char err[512], prefix[256], *path = NULL;
		memset(&cfg, 0xa5, sizeof cfg); /* config_load must not read what cfg held */
		int rc = load_text(&cfg, c->yaml, err, sizeof err, &path);
		snprintf(prefix, sizeof prefix, "%s:%s: ", path, c->pos);
		if (rc != -1)
			fail_msg("case %zu (%s): loaded", i, c->yaml);
		if (strncmp(err, prefix, strlen(prefix)) != 0 || strstr(err, c->msg) == NULL)
			fail_msg("case %zu:\n  got      '%s'\n  expected '%s...%s'", i, err, prefix,
				 c->msg);
		assert_config(&cfg, NULL, "defaults after an error");
		config_clear(&cfg);
		free(path);
	}
}

/* head, then n '[' and n ']', then "\n": a document nested n lists deep below head. */
static char *nested_text(const char *head, size_t n)
{
	size_t hl = strlen(head);
	char *t = malloc(hl + 2 * n + 2);
	assert_non_null(t);
	memcpy(t, head, hl);
	memset(t + hl, '[', n);
	memset(t + hl + n, ']', n);
	memcpy(t + hl + 2 * n, "\n", 2);
	return t;
}

/* Nesting costs libyaml time with the square of the depth: documents nested deeper than
 * YAMLFILE_DEPTH_MAX are refused, at the first level too deep, before they are loaded. */
static void test_nesting_depth(void **state)
{
	(void)state;
	static const struct {
		size_t lists; /* depth below the two mappings scan: dkim_selectors: */
		const char *pos, *msg;
	} cases[] = {
	    {62, "2:20", "list entries must be strings, got a list"}, /* 64 levels: loaded */
	    {63, "2:81", "nested more than 64 levels deep"},
	    {100000, "2:81", "nested more than 64 levels deep"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *text = nested_text("scan:\n  dkim_selectors: ", cases[i].lists);
		struct config cfg;
		char err[512], prefix[256], *path = NULL;
		int rc = load_text(&cfg, text, err, sizeof err, &path);
		snprintf(prefix, sizeof prefix, "%s:%s: ", path, cases[i].pos);
		if (rc != -1 || strncmp(err, prefix, strlen(prefix)) != 0 ||
		    strstr(err, cases[i].msg) == NULL)
			fail_msg("%zu lists: rc %d, got '%s', expected '%s...%s'", cases[i].lists, rc,
				 err, prefix, cases[i].msg);
		config_clear(&cfg);
		free(path);
		free(text);
	}
	/* Block style, and in a second document. */
	char block[300] = "scan: {}\n---\n";
	for (int i = 0; i < 65; i++)
		strcat(block, "- ");
	strcat(block, "x\n");
	struct config cfg;
	char err[512], *path = NULL;
	assert_int_equal(load_text(&cfg, block, err, sizeof err, &path), -1);
	char want[300];
	snprintf(want, sizeof want, "%s:3:129: nested more than 64 levels deep", path);
	assert_string_equal(err, want);
	config_clear(&cfg);
	free(path);
}

static void test_missing_file(void **state)
{
	(void)state;
	static const struct {
		const char *path;   /* what is loaded */
		const char *suffix; /* expected after "path: " */
	} cases[] = {
	    {"/nonexistent/mxsurvey.yaml", "cannot open: No such file or directory"},
	    {"/tmp", "cannot read: Is a directory"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char err[256], want[256];
		assert_int_equal(config_load(&cfg, cases[i].path, err, sizeof err), -1);
		snprintf(want, sizeof want, "%s: %s", cases[i].path, cases[i].suffix);
		assert_string_equal(err, want);
		assert_config(&cfg, NULL, cases[i].path);
		config_clear(&cfg);
	}
}

/* A tiny or absent error buffer truncates, never overflows. */
static void test_small_err_buffer(void **state)
{
	(void)state;
	static const size_t sizes[] = {0, 1, 5, 20};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		struct config cfg;
		char err[32], *path = NULL;
		memset(err, 'x', sizeof err);
		assert_int_equal(load_text(&cfg, "scan:\n  deadline: 0\n", sizes[i] ? err : NULL,
					   sizes[i], &path),
				 -1);
		if (sizes[i]) {
			assert_int_equal(strlen(err), sizes[i] - 1);
			assert_int_equal(err[sizes[i]], 'x');
		}
		config_clear(&cfg);
		free(path);
	}
	struct config cfg;
	char err[4];
	assert_int_equal(config_load(&cfg, "/nonexistent/x.yaml", err, sizeof err), -1);
	assert_string_equal(err, "/no");
	config_clear(&cfg);
}

/* ---- good files ---- */

struct good_case {
	const char *yaml;   /* file content */
	const char *expect; /* "key=value|..." differing from the defaults */
};

static const struct good_case good_cases[] = {
    {"", NULL},
    {"# only a comment\n\n", NULL},
    {"---\n...\n", NULL},
    {"~\n", NULL},
    {"scan:\nlog:\n", NULL},
    {"scan: {}\ndns: {}\n", NULL},
    {"log:\n  level: debug\n  syslog: yes\n", "log.level=debug|log.syslog=true"},
    {"log: {level: ERROR, syslog: On}\n", "log.level=error|log.syslog=true"},
    {"log:\n  level: 'info'\n  syslog: FALSE\n", "log.level=info"},
    {"scan:\n  ipv6: no\n", "scan.ipv6=false"},
    {"scan:\n  ipv6: off\n", "scan.ipv6=false"},
    {"scan:\n  ipv6: True\n", NULL},
    {"scan:\n  deadline: 1\n  max_in_flight: 100000\n",
     "scan.deadline=1|scan.max_in_flight=100000"},
    {"scan:\n  smtp_port: 65535\n", "scan.smtp_port=65535"},
    {"http:\n  max_bytes: 10485760\n", "http.max_bytes=10485760"},
    {"scan:\n  ehlo_name: mx-probe.Example.org\n", "scan.ehlo_name=mx-probe.Example.org"},
    {"scan:\n  ehlo_name: '[192.0.2.7]'\n", "scan.ehlo_name=[192.0.2.7]"},
    {"scan:\n  ehlo_name: '[IPv6:2001:db8::7]'\n", "scan.ehlo_name=[IPv6:2001:db8::7]"},
    {"scan:\n  ehlo_name:\n", NULL},
    {"scan:\n  doc_address: 2001:db8::1\n", "scan.doc_address=2001:db8::1"},
    {"store:\n  path: ~\n  batch_ms: 60000\n", "store.batch_ms=60000"},
    {"store:\n  path: \"/var/lib/mx survey/db\"\n", "store.path=/var/lib/mx survey/db"},
    {"store:\n  path: |\n    x\n", "store.path=x\n"},
    {"tls:\n  ca_file: /tmp/ca.pem # a comment\n", "tls.ca_file=/tmp/ca.pem"},
    {"scoring:\n  file: 'null'\n", "scoring.file=null"},
    {"scan:\n  dkim_selectors:\n    - selector1\n    - \"google\"\n    - s2048._x\n",
     "scan.dkim_selectors=selector1,google,s2048._x"},
    {"scan:\n  dkim_selectors:\n", NULL},
    {"scan:\n  dkim_selectors: []\n", NULL},
    {"dns:\n  mode: stub\n  upstreams: [127.0.0.1]\n", "dns.mode=stub|dns.upstreams=127.0.0.1"},
    {"dns:\n  mode: Stub\n  validate: upstream\n  upstreams:\n    - 127.0.0.1@5353\n"
     "    - \"::1\"\n    - 2001:db8::53@53\n",
     "dns.mode=stub|dns.validate=upstream|dns.upstreams=127.0.0.1@5353,::1,2001:db8::53@53"},
    {"dns:\n  upstreams: [192.0.2.53]\n", "dns.upstreams=192.0.2.53"},
    {"dns:\n  root_hints: /usr/share/dns/root.hints\n  trust_anchor: /usr/share/dns/root.key\n"
     "  timeout: 60000\n",
     "dns.root_hints=/usr/share/dns/root.hints|dns.trust_anchor=/usr/share/dns/root.key|"
     "dns.timeout=60000"},
    {"limits:\n  exclude:\n    - 10.0.0.0/8\n    - 192.0.2.1\n    - 192.0.2.0/32\n    - 0.0.0.0/0\n"
     "    - 2001:db8::/32\n    - ::/0\n    - fe80::1/128\n",
     "limits.exclude=10.0.0.0/8,192.0.2.1,192.0.2.0/32,0.0.0.0/0,2001:db8::/32,::/0,fe80::1/128"},
    {"limits:\n  exclude: [Example.COM., mil, gov., bücher.example, xn--bcher-kva.test]\n",
     "limits.exclude=example.com,mil,gov,xn--bcher-kva.example,xn--bcher-kva.test"},
    {"limits: {smtp_max_sessions: 1, smtp_per_address: 100, smtp_rate_per_address: 1,"
     " connect_rate: 1000000}\n",
     "limits.smtp_max_sessions=1|limits.smtp_per_address=100|limits.smtp_rate_per_address=1|"
     "limits.connect_rate=1000000"},
    /* anchors and aliases resolve to the same node */
    {"scan:\n  dkim_selectors: &sel [a, b]\nlimits:\n  exclude: [x.example]\n",
     "scan.dkim_selectors=a,b|limits.exclude=x.example"},
    {"scan:\n  deadline: &t 30\n  connect_timeout: *t\n",
     "scan.deadline=30|scan.connect_timeout=30"},
};

static void test_good_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof good_cases / sizeof good_cases[0]; i++) {
		const struct good_case *c = &good_cases[i];
		struct config cfg;
		char err[512] = "", what[64], *path = NULL;
		if (load_text(&cfg, c->yaml, err, sizeof err, &path) != 0)
			fail_msg("good case %zu: %s", i, err);
		snprintf(what, sizeof what, "good case %zu", i);
		assert_config(&cfg, c->expect, what);
		config_clear(&cfg);
		free(path);
	}
}

/* Every key at once, each set to a non-default value: checks the loader's key -> member map
 * against the test's, for all members. Then copies, compares and frees it. */
static char *every_key_yaml(void)
{
	static char buf[4096];
	size_t used = 0;
	const char *section = "";
	for (size_t i = 0; i < NFIELDS; i++) {
		const char *dot = strchr(fields[i].key, '.');
		size_t slen = (size_t)(dot - fields[i].key);
		if (strncmp(section, fields[i].key, slen) != 0 || section[slen] != '.') {
			used += (size_t)snprintf(buf + used, sizeof buf - used, "%.*s:\n",
						 (int)slen, fields[i].key);
			section = fields[i].key;
		}
		used += (size_t)snprintf(buf + used, sizeof buf - used, "  %s: %s\n", dot + 1,
					 fields[i].other);
		assert_true(used < sizeof buf);
	}
	return buf;
}

static void expect_every_other(const struct config *cfg, const char *what)
{
	char expect[2048];
	size_t used = 0;
	for (size_t i = 0; i < NFIELDS; i++)
		used += (size_t)snprintf(expect + used, sizeof expect - used, "%s%s=%s",
					 i ? "|" : "", fields[i].key, fields[i].other_render);
	assert_true(used < sizeof expect);
	assert_config(cfg, expect, what);
}

static void test_every_key_copy_clear(void **state)
{
	(void)state;
	struct config cfg, defaults, copy = {0}, copy2;
	char err[512] = "", *path = NULL;
	if (load_text(&cfg, every_key_yaml(), err, sizeof err, &path) != 0)
		fail_msg("%s", err);
	expect_every_other(&cfg, "every key");
	config_init_defaults(&defaults);
	for (size_t i = 0; i < NFIELDS; i++)
		assert_string_not_equal(default_render[i], fields[i].other_render);
	assert_false(config_equal(&cfg, &defaults));

	config_copy(&copy, &cfg); /* into a zeroed struct */
	expect_every_other(&copy, "copy");
	assert_true(config_equal(&copy, &cfg));
	assert_ptr_not_equal(copy.ehlo_name, cfg.ehlo_name);
	assert_ptr_not_equal(copy.exclude.items, cfg.exclude.items);
	assert_ptr_not_equal(copy.exclude.items[0], cfg.exclude.items[0]);

	config_init_defaults(&copy2);
	config_copy(&copy2, &cfg); /* over a configuration that owns memory */
	config_copy(&copy2, &copy2);
	expect_every_other(&copy2, "copy over defaults");
	config_copy(&copy2, &defaults); /* and back: lists shrink to empty */
	assert_true(config_equal(&copy2, &defaults));
	assert_config(&copy2, NULL, "copy of defaults");

	config_clear(&cfg);
	config_clear(&cfg); /* cleared twice: a zeroed struct */
	config_clear(NULL);
	expect_every_other(&copy, "copy survives the original");
	config_clear(&copy);
	config_clear(&copy2);
	config_clear(&defaults);
	free(path);
}

static void test_set_str_equal(void **state)
{
	(void)state;
	struct config a, b;
	config_init_defaults(&a);
	config_init_defaults(&b);
	assert_true(config_equal(&a, &b));
	assert_config(&a, NULL, "config_init_defaults");
	static const struct {
		const char *value; /* passed to config_set_str */
		const char *want;  /* stored */
	} cases[] = {{"mx.example", "mx.example"}, {NULL, ""}, {"", ""}};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		config_set_str(&a.ehlo_name, cases[i].value);
		assert_string_equal(a.ehlo_name, cases[i].want);
		assert_int_equal(config_equal(&a, &b), strcmp(cases[i].want, b.ehlo_name) == 0);
	}
	a.deadline_s++;
	assert_false(config_equal(&a, &b));
	config_clear(&a);
	config_clear(&b);
}

/* The shipped file loads, yields exactly the defaults, and spells out every option. */
static void test_shipped_file(void **state)
{
	(void)state;
	struct config cfg, defaults;
	char err[512] = "";
	if (config_load(&cfg, SHIPPED, err, sizeof err) != 0)
		fail_msg("%s", err);
	config_init_defaults(&defaults);
	assert_true(config_equal(&cfg, &defaults));
	assert_config(&cfg, NULL, SHIPPED);
	config_clear(&cfg);
	config_clear(&defaults);

	FILE *f = fopen(SHIPPED, "r");
	assert_non_null(f);
	char line[512], section[64] = "";
	bool seen[NFIELDS] = {false};
	while (fgets(line, sizeof line, f)) {
		char key[64];
		if (line[0] != ' ' && line[0] != '#' && sscanf(line, "%63[a-z0-9_]:", section) == 1)
			continue;
		if (sscanf(line, "  %63[a-z0-9_]:", key) == 1) {
			char dotted[160];
			snprintf(dotted, sizeof dotted, "%s.%s", section, key);
			seen[field_find(dotted) - fields] = true;
		}
	}
	fclose(f);
	for (size_t i = 0; i < NFIELDS; i++)
		if (!seen[i])
			fail_msg("%s does not list %s", SHIPPED, fields[i].key);
}

/* ---- command-line overrides ---- */

struct override_case {
	const char *key;    /* dotted key */
	const char *value;  /* command-line text */
	int rc;		    /* expected return */
	const char *expect; /* rc 0: rendering of the field; rc -1: the whole message */
};

static const struct override_case override_cases[] = {
    {"dns.mode", "stub", 0, "stub"},
    {"dns.mode", "STUB", 0, "stub"},
    {"dns.mode", "", -1, "dns.mode: bad value '' (expected one of: recursive, stub)"},
    {"dns.mode", "forward", -1, "dns.mode: bad value 'forward' (expected one of: recursive, stub)"},
    {"log.level", "info", 0, "info"},
    {"log.syslog", "on", 0, "true"},
    {"log.syslog", "2", -1, "log.syslog: expected boolean (true/false/yes/no/on/off), got '2'"},
    {"scan.deadline", "60", 0, "60"},
    {"scan.deadline", "0", -1, "scan.deadline: 0 is out of range (1..3600)"},
    {"scan.deadline", "", -1, "scan.deadline: expected integer (1..3600), got ''"},
    {"scan.deadline", " 60", -1, "scan.deadline: expected integer (1..3600), got ' 60'"},
    {"scan.deadline", "60s", -1, "scan.deadline: expected integer (1..3600), got '60s'"},
    {"scan.ehlo_name", "probe.example", 0, "probe.example"},
    {"scan.ehlo_name", "", 0, ""},
    {"scan.ehlo_name", "~", -1,
     "scan.ehlo_name: '~' is not a host name or address literal: "
     "character not allowed in a host name"},
    {"store.path", "null", 0, "null"},
    {"store.path", "", 0, ""},
    {"scan.doc_address", "::1", 0, "::1"},
    {"scan.doc_address", "nope", -1, "scan.doc_address: 'nope' is not an IPv4 or IPv6 address"},
    {"dns.upstreams", "127.0.0.1@5353, ::1 ,192.0.2.1", 0, "127.0.0.1@5353,::1,192.0.2.1"},
    {"dns.upstreams", "127.0.0.1", 0, "127.0.0.1"},
    {"dns.upstreams", "", 0, ""},
    {"dns.upstreams", "  ", 0, ""},
    {"dns.upstreams", "127.0.0.1,", -1, "dns.upstreams: empty list entry"},
    {"dns.upstreams", "127.0.0.1,,::1", -1, "dns.upstreams: empty list entry"},
    {"dns.upstreams", ",", -1, "dns.upstreams: empty list entry"},
    {"dns.upstreams", "127.0.0.1@0", -1,
     "dns.upstreams: '127.0.0.1@0': port '0' is not in 1..65535"},
    {"limits.exclude", "10.0.0.0/8,Example.org", 0, "10.0.0.0/8,example.org"},
    {"limits.exclude", "10.0.0.0/8,10.0.0.0/40", -1,
     "limits.exclude: '10.0.0.0/40': prefix length '40' is not in 0..32"},
    {"scan.dkim_selectors", "s1,s2", 0, "s1,s2"},
    {"dns", "stub", -1, "unknown option 'dns'"},
    {"dns.nope", "1", -1, "unknown option 'dns.nope'"},
    {"nope.mode", "1", -1, "unknown option 'nope.mode'"},
    {".mode", "1", -1, "unknown option '.mode'"},
    {"averyveryveryveryverylongsectionname.mode", "1", -1,
     "unknown option 'averyveryveryveryverylongsectionname.mode'"},
    {"dns.mode", NULL, -1, "dns.mode: missing value"},
};

static void test_overrides(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof override_cases / sizeof override_cases[0]; i++) {
		const struct override_case *c = &override_cases[i];
		struct config cfg, before;
		char err[512] = "", got[512], what[64];
		config_init_defaults(&cfg);
		/* start from non-empty lists so that a failed override visibly keeps them */
		assert_int_equal(
		    config_apply_override(&cfg, "dns.upstreams", "192.0.2.9", err, sizeof err), 0);
		config_init_defaults(&before);
		config_copy(&before, &cfg);
		int rc = config_apply_override(&cfg, c->key, c->value, err, sizeof err);
		if (rc != c->rc)
			fail_msg("override %zu (%s=%s): rc %d, err '%s'", i, c->key,
				 c->value ? c->value : "NULL", rc, err);
		snprintf(what, sizeof what, "override %zu", i);
		if (rc == 0) {
			render(&cfg, field_find(c->key), got, sizeof got);
			if (strcmp(got, c->expect) != 0)
				fail_msg("%s: %s is '%s', expected '%s'", what, c->key, got,
					 c->expect);
		} else {
			assert_string_equal(err, c->expect);
			assert_true(config_equal(&cfg, &before));
		}
		config_clear(&cfg);
		config_clear(&before);
	}
}

/* Cross-field rules after overrides, through config_validate. */
static void test_validate(void **state)
{
	(void)state;
	static const struct {
		const char *overrides; /* "key=value|..." applied to the defaults */
		const char *err;       /* expected message, or NULL when valid */
	} cases[] = {
	    {"", NULL},
	    {"dns.mode=stub", "dns.mode: stub requires at least one entry in dns.upstreams"},
	    {"dns.mode=stub|dns.upstreams=::1", NULL},
	    {"dns.mode=stub|dns.upstreams=::1|dns.validate=upstream", NULL},
	    {"dns.validate=upstream", "dns.validate: upstream requires dns.mode: stub"},
	    {"dns.validate=upstream|dns.upstreams=::1",
	     "dns.validate: upstream requires dns.mode: stub"},
	    {"dns.upstreams=::1", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct config cfg;
		char buf[256], err[256] = "";
		config_init_defaults(&cfg);
		snprintf(buf, sizeof buf, "%s", cases[i].overrides);
		for (char *save = NULL, *tok = strtok_r(buf, "|", &save); tok;
		     tok = strtok_r(NULL, "|", &save)) {
			char *eq = strchr(tok, '=');
			*eq = '\0';
			assert_int_equal(config_apply_override(&cfg, tok, eq + 1, err, sizeof err),
					 0);
		}
		int rc = config_validate(&cfg, err, sizeof err);
		if (cases[i].err == NULL) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err, cases[i].err);
		}
		config_clear(&cfg);
	}
}

static void test_parse_upstream(void **state)
{
	(void)state;
	static const struct {
		const char *in;	  /* entry */
		int rc;		  /* expected return */
		const char *addr; /* expected address text */
		unsigned port;	  /* expected port */
	} cases[] = {
	    {"127.0.0.1", 0, "127.0.0.1", 53},
	    {"127.0.0.1@5353", 0, "127.0.0.1", 5353},
	    {"::1", 0, "::1", 53},
	    {"2001:db8::53@853", 0, "2001:db8::53", 853},
	    {"::ffff:192.0.2.1@1", 0, "::ffff:192.0.2.1", 1},
	    {"192.0.2.1@65535", 0, "192.0.2.1", 65535},
	    {"192.0.2.1@65536", -1, NULL, 0},
	    {"192.0.2.1@0", -1, NULL, 0},
	    {"192.0.2.1@", -1, NULL, 0},
	    {"192.0.2.1@53x", -1, NULL, 0},
	    {"192.0.2.1@-53", -1, NULL, 0},
	    {"192.0.2.1@053", -1, NULL, 0},
	    {"192.0.2.1@53@53", -1, NULL, 0},
	    {"192.0.2.1:53", -1, NULL, 0},
	    {"[::1]:53", -1, NULL, 0},
	    {"@53", -1, NULL, 0},
	    {"", -1, NULL, 0},
	    {"localhost", -1, NULL, 0},
	    {"1.2.3", -1, NULL, 0},
	    {"fe80::1%eth0", -1, NULL, 0},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 0,
	     "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 53},
	    {"ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.2555", -1, NULL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char addr[INET6_ADDRSTRLEN] = "";
		unsigned port = 0;
		int rc = config_parse_upstream(cases[i].in, addr, sizeof addr, &port);
		if (rc != cases[i].rc)
			fail_msg("upstream '%s': rc %d", cases[i].in, rc);
		if (rc == 0) {
			assert_string_equal(addr, cases[i].addr);
			assert_int_equal(port, cases[i].port);
		}
		assert_int_equal(config_parse_upstream(cases[i].in, NULL, 0, NULL), cases[i].rc);
	}
	char small[4];
	unsigned port = 0;
	assert_int_equal(config_parse_upstream("::1", small, sizeof small, &port), 0);
	assert_string_equal(small, "::1");
	assert_int_equal(config_parse_upstream("127.0.0.1", small, sizeof small, &port), -1);
}

/* Reload pattern: a failed reload leaves the live configuration alone. */
static void test_reload(void **state)
{
	(void)state;
	struct config live, next;
	char err[512], *p1 = NULL, *p2 = NULL, *p3 = NULL;
	assert_int_equal(load_text(&live, "scan:\n  deadline: 7\n", err, sizeof err, &p1), 0);
	assert_int_equal(load_text(&next, "scan:\n  deadline: 0\n", err, sizeof err, &p2), -1);
	assert_config(&live, "scan.deadline=7", "live after a failed reload");
	config_clear(&next);
	assert_int_equal(load_text(&next, "scan:\n  deadline: 9\n", err, sizeof err, &p3), 0);
	config_copy(&live, &next);
	assert_config(&live, "scan.deadline=9", "live after a good reload");
	config_clear(&next);
	config_clear(&live);
	free(p1);
	free(p2);
	free(p3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_nesting_depth),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_small_err_buffer),
	    cmocka_unit_test(test_good_files),
	    cmocka_unit_test(test_every_key_copy_clear),
	    cmocka_unit_test(test_set_str_equal),
	    cmocka_unit_test(test_shipped_file),
	    cmocka_unit_test(test_overrides),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_parse_upstream),
	    cmocka_unit_test(test_reload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
