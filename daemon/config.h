/* config.h — mxsurvey's configuration: defaults, the YAML file (libyaml), command-line overrides.
 * Every option is documented with its default in config/mxsurvey.yaml. Loading is all-or-nothing:
 * an unknown key, a wrong type or an out-of-range value is an error naming file:line:column, and
 * the previous configuration (or the defaults) stays in force. */
#ifndef MXS_CONFIG_H
#define MXS_CONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum config_dns_mode { CONFIG_DNS_RECURSIVE = 0, CONFIG_DNS_STUB };
enum config_dns_validate { CONFIG_VALIDATE_GETDNS = 0, CONFIG_VALIDATE_UPSTREAM };

struct config_strlist {
	size_t n;     /* entries */
	char **items; /* owned: each entry owned */
};

struct config {
	/* log: */
	int log_level;	 /* enum log_level; "warn" */
	bool log_syslog; /* false: stderr */

	/* scan: */
	unsigned max_in_flight;	  /* domains scanned at once; 1000 (1..100000) */
	unsigned deadline_s;	  /* per-domain deadline in seconds; 120 (1..3600) */
	unsigned retry_attempts;  /* scans again of a domain whose result held only transient
				     failures; 2 (0..10; `scan` one-shot: 0 unless --retries) */
	unsigned retry_after_s;	  /* wait before the first such retry, doubled for each next;
				     600 (1..86400) */
	bool ipv6;		  /* probe AAAA addresses of MX hosts; true */
	char *ehlo_name;	  /* owned: name sent in EHLO; "" = this host's FQDN */
	unsigned smtp_port;	  /* SMTP port; 25 (1..65535) */
	unsigned connect_timeout_s; /* SMTP connect timeout; 10 (1..300) */
	unsigned reply_timeout_s;   /* per SMTP reply / TLS handshake; 30 (1..600) */
	unsigned probe_cache_ttl_s; /* SMTP probe cache lifetime within a campaign; 86400 */
	unsigned probe_cache_mb;    /* finished SMTP probes kept at most, in MB; 64 */
	struct config_strlist dkim_selectors; /* selectors probed beyond MECSA's heuristic */
	bool dkim_probe_selectors;	      /* probe them at all; true */
	char *doc_address;	  /* owned: client IP for the SPF evaluation; "192.0.2.1" */

	/* dns: */
	enum config_dns_mode dns_mode;		/* recursive (default) | stub */
	enum config_dns_validate dns_validate;	/* getdns (default) | upstream (stub only) */
	struct config_strlist dns_upstreams;	/* stub: resolver addresses, "IP" or "IP@port" */
	char *dns_root_hints;			/* owned: recursive: root hints file; "" = built-in */
	char *dns_trust_anchor;			/* owned: trust anchor file (zone-file DS/DNSKEY); "" = built-in */
	unsigned dns_timeout_ms;		/* per query; 5000 (100..60000) */
	unsigned dns_cache_ttl_s;		/* answers kept at most; 300 (0 = no cache..86400) */
	unsigned dns_cache_entries;		/* answers kept; 100000 (1..10000000) */
	unsigned dns_cache_mb;			/* and the bytes they hold, in MB; 32 (1..65536) */

	/* store: */
	char *store_path;	/* owned: SQLite file; "" = in-memory (one-shot scans) */
	unsigned batch_size;	/* results per transaction; 500 (1..100000) */
	unsigned batch_ms;	/* longest a result waits for its commit; 1000 (1..60000) */
	unsigned give_up_s;	/* the store refusing every write this long ends the run; 120 (1..86400) */

	/* tls: */
	char *ca_file;		/* owned: CA bundle; "/etc/ssl/certs/ca-certificates.crt" */

	/* http: */
	unsigned http_timeout_s; /* MTA-STS and CRL fetches; 10 (1..300) */
	unsigned http_max_bytes; /* body cap; 65536 (1024..10485760) */
	unsigned http_cache_mb;	 /* each fetch cache (CRL/OCSP, MTA-STS) holds at most; 32 (1..65536) */

	/* limits: */
	unsigned smtp_max_sessions;	/* concurrent SMTP sessions overall; 500 (1..100000) */
	unsigned smtp_per_address;	/* concurrent sessions per destination address; 2 (1..100) */
	unsigned smtp_rate_per_address; /* new connections per address per minute; 30 (1..100000) */
	unsigned connect_rate;		/* new SMTP connections per second overall; 200 (1..1000000) */
	unsigned smtp_attempts;		/* sessions per probe when a server rate-limits; 3 (1..10) */
	unsigned smtp_retry_s;		/* wait before the first retry, doubled each time; 15 (1..3600) */
	struct config_strlist exclude;	/* CIDRs and domains never contacted */

	/* scoring: */
	char *scoring_file;	/* owned: path of scoring.yaml; "" = built-in table */
};

/* Defaults, as documented in config/mxsurvey.yaml. */
void config_init_defaults(struct config *cfg);
/* Load path over the defaults into cfg. On error returns -1, writes "file:line:col: message" into
 * err and leaves cfg as defaults (caller frees with config_clear either way).
 * Like config_init_defaults, cfg is output only: whatever it held is overwritten, not freed, so
 * reload into a fresh struct and config_copy it over the live one on success.
 * A missing or unreadable file gives "path: cannot open: <strerror>" (no line:col). */
int config_load(struct config *cfg, const char *path, char *err, size_t errlen);
/* Free what cfg owns and zero it (a zeroed struct may be cleared or copied into again).
 * NULL is a no-op. */
void config_clear(struct config *cfg);
/* Replace *dst with a copy of src (for SIGHUP reloads). dst must hold a configuration or be
 * zeroed; dst == src is a no-op. */
void config_copy(struct config *dst, const struct config *src);
/* A dns.upstreams entry, "IPv4", "IPv6" or "IP@port" (no "[IPv6]:port" form): address text into
 * addr, port into *port (53 when absent). addrlen >= INET6_ADDRSTRLEN is always enough; addr and
 * port may be NULL to only validate. Returns 0, or -1 (bad address, port outside 1..65535). */
int config_parse_upstream(const char *s, char *addr, size_t addrlen, unsigned *port);
/* Apply one "section.key" = value override (command-line flags) through the same validation as
 * the file; lists take comma-separated values (replacing the list; "" empties it), integers and
 * booleans are spelt as in YAML. -1 with "section.key: message" in err and cfg unchanged.
 * Cross-field rules are not checked here (one flag at a time could not satisfy them): call
 * config_validate once all overrides are in. */
int config_apply_override(struct config *cfg, const char *dotted_key, const char *value,
			  char *err, size_t errlen);
/* Set a string option (frees the old value); NULL sets "". */
void config_set_str(char **slot, const char *value);
/* True when every option of a and b is equal (e.g. to tell whether a SIGHUP changed anything). */
bool config_equal(const struct config *a, const struct config *b);
/* The cross-field rules: dns.validate: upstream needs dns.mode: stub, and stub needs at least one
 * dns.upstreams entry. config_load applies them itself. Returns 0, or -1 with a message. */
int config_validate(const struct config *cfg, char *err, size_t errlen);
/* Every option of the table, one line each, in the order of config/mxsurvey.yaml:
 * "section.key<TAB>type<TAB>default<TAB>range". type is integer, boolean, string, enum or list;
 * default as written in YAML (a list's entries comma-separated, "" for none; strings quoted);
 * range "MIN..MAX" for integers, "a|b" for enums, "-" otherwise. The man page mxsurvey.yaml(5)
 * and the shell completion are checked against / built from it. */
void config_describe(FILE *f);

#endif
