/* cmd_campaign.c — the campaign commands: submit, status, pause, resume, cancel, export, diff;
 * and what the daemon's commands share (--set overrides, the configuration snapshot, logging).
 * Each command opens the store, does one thing in short transactions and closes it, so they all
 * run next to a working daemon (WAL; SQLite's busy timeout absorbs the daemon's commits). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "checks/check.h"
#include "common/dname.h"
#include "common/log.h"
#include "common/text.h"
#include "common/xalloc.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/output.h"
#include "daemon/shard.h"
#include "daemon/store.h"
#include "daemon/version.h"

#define CAMPAIGN_CHUNK 10000	     /* submitted rows per transaction: short write locks */
#define CAMPAIGN_RATE_WINDOW_MS 300000 /* status: the rate is measured over the last 5 minutes */
#define SUBMIT_CACHE_MB 256	     /* submit: SQLite page cache, at most (grows with the list) */

/* ---- shared with the other commands (cmd.h) ---- */

int cmd_overrides_add(struct cmd_overrides *ov, const char *arg)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg) {
		fprintf(stderr, "mxsurvey: --set wants KEY=VALUE, got '%s'\n", arg);
		return -1;
	}
	ov->key = xrealloc(ov->key, (ov->n + 1) * sizeof *ov->key);
	ov->value = xrealloc(ov->value, (ov->n + 1) * sizeof *ov->value);
	ov->key[ov->n] = xstrndup(arg, (size_t)(eq - arg));
	ov->value[ov->n] = xstrdup(eq + 1);
	ov->n++;
	return 0;
}

void cmd_overrides_clear(struct cmd_overrides *ov)
{
	for (size_t i = 0; i < ov->n; i++) {
		free(ov->key[i]);
		free(ov->value[i]);
	}
	free(ov->key);
	free(ov->value);
	memset(ov, 0, sizeof *ov);
}

int cmd_config_build(struct config *cfg, const char *path, const struct cmd_overrides *ov,
		     char *err, size_t errlen)
{
	config_init_defaults(cfg);
	if (path) {
		/* config_load overwrites without freeing: start it from a zeroed struct. */
		config_clear(cfg);
		if (config_load(cfg, path, err, errlen) < 0)
			return -1;
	}
	for (size_t i = 0; ov && i < ov->n; i++)
		if (config_apply_override(cfg, ov->key[i], ov->value[i], err, errlen) < 0)
			return -1;
	return config_validate(cfg, err, errlen);
}

static json_t *cmd_strlist_json(const struct config_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; i < l->n; i++)
		json_array_append_new(a, json_string(l->items[i]));
	return a;
}

static json_t *cmd_str_json(const char *s)
{
	return json_string(s ? s : "");
}

char *cmd_config_json(const struct config *c)
{
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	const char *level = c->log_level >= 0 && c->log_level < 4 ? levels[c->log_level] : "?";
	json_t *j = json_pack(
		"{s:{s:s, s:b}, s:{s:i, s:i, s:b, s:o, s:i, s:i, s:i, s:i, s:i, s:o, s:b, s:o, s:i, "
		"s:i},"
		" s:{s:s, s:s, s:o, s:o, s:o, s:i}, s:{s:o, s:i, s:i}, s:{s:o}, s:{s:i, s:i},"
		" s:{s:i, s:i, s:i, s:i, s:o}, s:{s:o}}",
		"log", "level", level, "syslog", c->log_syslog,
		"scan", "max_in_flight", (int)c->max_in_flight, "deadline", (int)c->deadline_s,
		"ipv6", c->ipv6, "ehlo_name", cmd_str_json(c->ehlo_name), "smtp_port",
		(int)c->smtp_port, "connect_timeout", (int)c->connect_timeout_s, "reply_timeout",
		(int)c->reply_timeout_s, "probe_cache_ttl", (int)c->probe_cache_ttl_s,
		"probe_cache_mb", (int)c->probe_cache_mb, "dkim_selectors",
		cmd_strlist_json(&c->dkim_selectors), "dkim_probe_selectors", c->dkim_probe_selectors,
		"doc_address", cmd_str_json(c->doc_address), "retry_attempts", (int)c->retry_attempts,
		"retry_after", (int)c->retry_after_s,
		"dns", "mode", c->dns_mode == CONFIG_DNS_STUB ? "stub" : "recursive", "validate",
		c->dns_validate == CONFIG_VALIDATE_UPSTREAM ? "upstream" : "getdns", "upstreams",
		cmd_strlist_json(&c->dns_upstreams), "root_hints", cmd_str_json(c->dns_root_hints),
		"trust_anchor", cmd_str_json(c->dns_trust_anchor), "timeout",
		(int)c->dns_timeout_ms,
		"store", "path", cmd_str_json(c->store_path), "batch_size", (int)c->batch_size,
		"batch_ms", (int)c->batch_ms,
		"tls", "ca_file", cmd_str_json(c->ca_file),
		"http", "timeout", (int)c->http_timeout_s, "max_bytes", (int)c->http_max_bytes,
		"limits", "smtp_max_sessions", (int)c->smtp_max_sessions, "smtp_per_address",
		(int)c->smtp_per_address, "smtp_rate_per_address", (int)c->smtp_rate_per_address,
		"connect_rate", (int)c->connect_rate, "exclude", cmd_strlist_json(&c->exclude),
		"scoring", "file", cmd_str_json(c->scoring_file));
	/* The survey's methods need what measured: this build and its libraries' versions. */
	if (j)
		json_object_set_new(j, "mxsurvey", version_json());
	char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(j);
	return text ? text : xstrdup("{}");
}

struct store *cmd_store_open_existing(const struct config *cfg, const char *db, int *rc)
{
	const char *path = db ? db : cfg->store_path;
	char err[512];
	*rc = EXIT_USAGE;
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr, "mxsurvey: no database: give --db PATH, or -c CONFIG with store.path\n");
		return NULL;
	}
	*rc = EXIT_RUNTIME;
	if (access(path, F_OK) < 0) {
		fprintf(stderr, "mxsurvey: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	struct store *st = store_open(path, err, sizeof err);
	if (st == NULL)
		fprintf(stderr, "mxsurvey: cannot open the store: %s\n", err);
	return st;
}

void cmd_log_setup(const struct config *cfg, int verbosity, int force_syslog)
{
	int level = verbosity < 0 ? LOG_LEVEL_ERROR : cfg->log_level + verbosity;
	if (level > LOG_LEVEL_DEBUG)
		level = LOG_LEVEL_DEBUG;
	log_init((enum log_level)level, force_syslog || cfg->log_syslog);
}

/* ---- argument parsing, one table for all campaign commands ---- */

enum campaign_opt {
	CO_DB = 1u << 0,
	CO_CONFIG = 1u << 1,
	CO_CAMPAIGN = 1u << 2,
	CO_FORMAT = 1u << 3,
	CO_FROM = 1u << 4,
	CO_TO = 1u << 5,
	CO_SHARD = 1u << 6,
	CO_SET = 1u << 7,
	CO_OUTPUT = 1u << 8,
};

enum { OPT_DB = 256, OPT_CAMPAIGN, OPT_FORMAT, OPT_FROM, OPT_TO, OPT_SHARD, OPT_SET };

static const struct option campaign_options[] = {
	{"db", required_argument, NULL, OPT_DB},
	{"config", required_argument, NULL, 'c'},
	{"campaign", required_argument, NULL, OPT_CAMPAIGN},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"set", required_argument, NULL, OPT_SET},
	{"output", required_argument, NULL, 'o'},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct campaign_args {
	const char *db;		  /* borrowed (argv): --db */
	const char *config;	  /* borrowed (argv): -c */
	const char *campaign; /* borrowed (argv): --campaign, or pause/resume/cancel's operand */
	const char *format;	  /* borrowed (argv): --format */
	const char *from, *to;	  /* borrowed (argv): diff's campaigns */
	const char *output;	  /* borrowed (argv): -o */
	struct shard shard;	  /* --shard, {0, 0} without */
	struct cmd_overrides ov;  /* --set */
	int verbosity;		  /* -v count, -1 for -q */
	int argi;		  /* first operand in argv */
};

/* 0 parsed, 1 help printed, -1 usage error (printed). */
static int campaign_parse(int argc, char **argv, unsigned allowed, const char *usage,
			  struct campaign_args *a)
{
	static const struct {
		int opt;      /* getopt value */
		unsigned bit; /* enum campaign_opt */
	} need[] = {
		{OPT_DB, CO_DB},	 {'c', CO_CONFIG},     {OPT_CAMPAIGN, CO_CAMPAIGN},
		{OPT_FORMAT, CO_FORMAT}, {OPT_FROM, CO_FROM},  {OPT_TO, CO_TO},
		{OPT_SHARD, CO_SHARD},	 {OPT_SET, CO_SET},    {'o', CO_OUTPUT},
	};
	int c, idx;
	char err[160];
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:o:vqh", campaign_options, &idx)) != -1) {
		for (size_t i = 0; i < sizeof need / sizeof *need; i++)
			if (need[i].opt == c && !(allowed & need[i].bit)) {
				if (c == 'c' || c == 'o')
					fprintf(stderr, "mxsurvey %s: option -%c does not apply here\n%s",
						argv[0], c, usage);
				else
					fprintf(stderr, "mxsurvey %s: option --%s does not apply here\n%s",
						argv[0], campaign_options[idx].name, usage);
				return -1;
			}
		switch (c) {
		case OPT_DB: a->db = optarg; break;
		case 'c': a->config = optarg; break;
		case OPT_CAMPAIGN: a->campaign = optarg; break;
		case OPT_FORMAT: a->format = optarg; break;
		case OPT_FROM: a->from = optarg; break;
		case OPT_TO: a->to = optarg; break;
		case 'o': a->output = optarg; break;
		case OPT_SHARD:
			if (shard_parse(optarg, &a->shard, err, sizeof err) < 0) {
				fprintf(stderr, "mxsurvey: %s\n", err);
				return -1;
			}
			break;
		case OPT_SET:
			if (cmd_overrides_add(&a->ov, optarg) < 0)
				return -1;
			break;
		case 'v': a->verbosity = a->verbosity < 0 ? 0 : a->verbosity + 1; break;
		case 'q': a->verbosity = -1; break;
		case 'h': fputs(usage, stdout); return 1;
		default: fputs(usage, stderr); return -1;
		}
	}
	a->argi = optind;
	return 0;
}

/* Configuration and store for a command. must_exist: reading commands do not create a database
 * from a mistyped path. NULL with *rc set on failure (message printed). */
static struct store *campaign_open(const struct campaign_args *a, struct config *cfg,
				   int must_exist, int *rc)
{
	char err[512];
	if (cmd_config_build(cfg, a->config, &a->ov, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		*rc = EXIT_USAGE;
		return NULL;
	}
	cmd_log_setup(cfg, a->verbosity, 0);
	const char *path = a->db ? a->db : cfg->store_path;
	if (path == NULL || path[0] == '\0') {
		fprintf(stderr,
			"mxsurvey: no database: give --db PATH, or -c CONFIG with store.path\n");
		*rc = EXIT_USAGE;
		return NULL;
	}
	if (must_exist && access(path, F_OK) < 0) {
		fprintf(stderr, "mxsurvey: %s: %s\n", path, strerror(errno));
		*rc = EXIT_RUNTIME;
		return NULL;
	}
	struct store *st = store_open(path, err, sizeof err);
	if (st == NULL) {
		fprintf(stderr, "mxsurvey: cannot open the store: %s\n", err);
		*rc = EXIT_RUNTIME;
	}
	return st;
}

static int64_t campaign_lookup(struct store *st, const char *name, int *rc)
{
	int64_t id = store_campaign_find(st, name);
	if (id < 0) {
		fputs("mxsurvey: no campaign named '", stderr);
		text_fputs(name, stderr);
		fputs("'\n", stderr);
		*rc = EXIT_USAGE;
	}
	return id;
}

static int64_t campaign_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* "2025-01-31T12:00:00Z", or "-" for 0. */
static const char *campaign_time(int64_t ms, char *buf, size_t len)
{
	if (ms <= 0)
		return "-";
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return buf;
}

/* ---- submit ---- */

static const char submit_usage[] =
	"usage: mxsurvey submit --campaign NAME [--db PATH | -c CONFIG] [OPTIONS] FILE\n"
	"\n"
	"Adds the domains of FILE (one per line, '#' comments, '-' = stdin; the format of scan\n"
	"-f) to campaign NAME, creating it with a snapshot of the configuration when it is new.\n"
	"A domain the campaign already has is skipped, so submitting twice is harmless. The\n"
	"daemon picks the new domains up without a restart.\n"
	"\n"
	"options:\n"
	"      --campaign NAME    the campaign (required); a new name is up to 128 bytes of\n"
	"                         printable UTF-8\n"
	"      --db PATH          the store (default: store.path of the configuration)\n"
	"  -c, --config FILE      configuration file: store.path and the campaign's snapshot\n"
	"      --set KEY=VALUE    override a configuration option (recorded in the snapshot)\n"
	"      --shard i/N        keep only the lines of shard i of N (0 <= i < N): FNV-1a-64 of\n"
	"                         the normalised name, mod N; positions stay those of the full list\n"
	"  -v, --verbose / -q, --quiet\n"
	"\n"
	"exit status: 0 submitted (invalid lines are queued too and get an 'invalid' result);\n"
	"             2 usage error or cancelled campaign; 3 store or file error.\n";

/* One trimmed input line without its comment; NULL when nothing is left. */
static char *campaign_clean_line(char *line, ssize_t len)
{
	for (ssize_t i = 0; i < len; i++)
		if (line[i] == '\0')
			line[i] = '?'; /* a NUL would silently cut the line: keep it visible */
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(line);
	while (n && strchr("\r\n \t", line[n - 1]))
		line[--n] = '\0';
	return n ? line : NULL;
}

struct submit_counts {
	int64_t lines;	    /* non-empty input lines */
	int64_t queued;	    /* new queue rows */
	int64_t invalid;    /* of which not valid names */
	int64_t duplicates; /* already in the campaign */
	int64_t elsewhere;  /* other shards' lines */
};

static int submit_lines(struct store *st, int64_t cid, int64_t base, FILE *f,
			const struct shard *shard, struct submit_counts *n)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	int64_t in_tx = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		char *input = campaign_clean_line(line, len);
		if (input == NULL)
			continue;
		int64_t seq = base + n->lines++;
		char canon[DNAME_MAX], why[200];
		int ok = dname_normalize(input, canon, sizeof canon, why, sizeof why) == 0;
		if (!shard_mine(shard, ok ? canon : input)) {
			n->elsewhere++;
			continue;
		}
		int r = store_enqueue_unique(st, cid, seq, input, ok ? canon : NULL);
		if (r < 0) {
			rc = -1;
			break;
		}
		n->queued += r;
		n->invalid += r && !ok;
		n->duplicates += !r;
		if (++in_tx == CAMPAIGN_CHUNK) {
			in_tx = 0;
			if (store_commit(st) < 0 || store_begin(st) < 0)
				rc = -1;
		}
	}
	free(line);
	return rc;
}

int cmd_submit(int argc, char **argv)
{
	struct campaign_args a = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	FILE *f = NULL;
	char *snapshot = NULL;
	int rc = EXIT_USAGE;
	int p = campaign_parse(argc, argv, CO_DB | CO_CONFIG | CO_CAMPAIGN | CO_SHARD | CO_SET,
			       submit_usage, &a);
	if (p != 0) {
		rc = p > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (a.campaign == NULL || a.campaign[0] == '\0' || a.argi != argc - 1) {
		fputs(a.campaign ? "mxsurvey submit: give exactly one FILE\n"
				 : "mxsurvey submit: --campaign NAME is required\n",
		      stderr);
		fputs(submit_usage, stderr);
		goto out;
	}
	const char *path = argv[a.argi];
	char why[128];
	if (store_campaign_name_check(a.campaign, why, sizeof why) < 0) {
		fputs("mxsurvey: invalid campaign name '", stderr);
		text_fputs(a.campaign, stderr);
		fprintf(stderr, "': %s\n", why);
		goto out;
	}
	if ((st = campaign_open(&a, &cfg, 0, &rc)) == NULL)
		goto out;
	f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "mxsurvey: %s: %s\n", path, strerror(errno));
		rc = EXIT_RUNTIME;
		goto out;
	}
	snapshot = cmd_config_json(&cfg);
	rc = EXIT_RUNTIME;
	/* A million lines make indexes of some 100 MB, written in random order: kept in memory
	 * they are not read back page by page (pages are only allocated as they are used). */
	if (store_set_cache_mb(st, SUBMIT_CACHE_MB) < 0)
		goto out;
	if (store_begin(st) < 0)
		goto out;
	/* Creating the campaign and its first rows in one transaction: the daemon never sees it
	 * empty (and so never marks it done before its domains arrive). */
	int64_t cid = store_campaign_find(st, a.campaign);
	int created = cid < 0;
	if (created && (cid = store_campaign_create(st, a.campaign, snapshot)) < 0)
		goto out;
	struct store_campaign c;
	if (store_campaign_get(st, cid, &c) != 1)
		goto out;
	enum store_campaign_state state = c.state;
	store_campaign_clear(&c);
	if (state == STORE_CAMPAIGN_CANCELLED) {
		fprintf(stderr, "mxsurvey: campaign '%s' was cancelled: submit to a new campaign\n",
			a.campaign);
		rc = EXIT_USAGE;
		goto out;
	}
	if (state == STORE_CAMPAIGN_DONE &&
	    store_campaign_transition(st, cid, STORE_CAMPAIGN_BIT(STORE_CAMPAIGN_DONE),
				      STORE_CAMPAIGN_ACTIVE) < 0)
		goto out;
	int64_t base = store_campaign_next_seq(st, cid);
	struct submit_counts n = {0};
	if (base < 0 || submit_lines(st, cid, base, f, &a.shard, &n) < 0)
		goto out;
	if (ferror(f)) {
		fprintf(stderr, "mxsurvey: %s: read error\n", path);
		goto out;
	}
	if (store_commit(st) < 0)
		goto out;
	printf("campaign %s%s: %lld queued (%lld not valid names), %lld already there", a.campaign,
	       created ? " (new)" : "", (long long)n.queued, (long long)n.invalid,
	       (long long)n.duplicates);
	if (a.shard.count > 1)
		printf(", %lld in other shards (shard %u/%u)", (long long)n.elsewhere,
		       a.shard.index, a.shard.count);
	printf("%s\n", state == STORE_CAMPAIGN_PAUSED ? "; the campaign is paused" : "");
	rc = EXIT_OK;
out:
	if (rc == EXIT_RUNTIME && st)
		fprintf(stderr, "mxsurvey: submit failed: %s (rows already committed stay; running "
				"the same submit again adds only the rest)\n",
			store_errmsg(st));
	if (f && f != stdin)
		fclose(f);
	free(snapshot);
	store_close(st); /* an open transaction is rolled back */
	config_clear(&cfg);
	cmd_overrides_clear(&a.ov);
	return rc;
}

/* ---- status ---- */

static const char status_usage[] =
	"usage: mxsurvey status [--campaign NAME] [--db PATH | -c CONFIG] [--format text|json]\n"
	"\n"
	"Per campaign: state, rows per state (pending, running, done, failed), how many of the\n"
	"pending wait for a retry (RETRY: their last scan held only transient failures), the scan rate\n"
	"over the last five minutes (or the whole run once it is over), the time left at that\n"
	"rate, and when it started and finished.\n";

struct status_ctx {
	struct store *st;	 /* borrowed */
	int64_t only;		 /* one campaign, or 0 */
	int json;		 /* --format json */
	json_t *rows;		 /* owned: json output */
	int failed;		 /* a store error */
	int shown;		 /* campaigns printed */
	int name_width;		 /* text column width */
	int werr;		 /* errno of the first failed write, 0 */
};

static void status_eta(double seconds, char *buf, size_t len)
{
	long long s = (long long)(seconds + 0.5);
	if (s >= 86400)
		snprintf(buf, len, "%lldd%02lldh", s / 86400, s % 86400 / 3600);
	else if (s >= 3600)
		snprintf(buf, len, "%lldh%02lldm", s / 3600, s % 3600 / 60);
	else if (s >= 60)
		snprintf(buf, len, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(buf, len, "%llds", s);
}

static int status_one(const struct store_campaign *c, void *arg)
{
	struct status_ctx *x = arg;
	if (x->only && c->id != x->only)
		return 0;
	struct store_counts n;
	int64_t now = campaign_now_ms(), since = now - CAMPAIGN_RATE_WINDOW_MS;
	int64_t recent = 0, oldest = 0;
	if (store_counts(x->st, c->id, &n) < 0 ||
	    store_recent_results(x->st, c->id, since, &recent, &oldest) < 0) {
		x->failed = 1;
		return 1;
	}
	int64_t total = n.pending + n.running + n.done + n.failed, ended = n.done + n.failed;
	double rate = 0;
	int over = c->state == STORE_CAMPAIGN_DONE || c->state == STORE_CAMPAIGN_CANCELLED;
	if (!over && recent >= 2 && now - oldest >= 1000) {
		rate = (double)recent * 1000.0 / (double)(now - oldest);
	} else if (ended > 0 && c->started_at > 0) {
		/* Over (or just begun): the average of the whole run. */
		int64_t until = c->finished_at > 0 ? c->finished_at : now;
		if (until > c->started_at)
			rate = (double)ended * 1000.0 / (double)(until - c->started_at);
	}
	int64_t left = n.pending + n.running;
	double eta = c->state == STORE_CAMPAIGN_ACTIVE && left > 0 && rate > 0 ? left / rate : -1;
	char t1[32], t2[32], t3[32], etabuf[32];
	/* The name as stored may predate the checks on names (or come from a merged shard). */
	char *name = text_escape(c->name);
	if (x->json) {
		json_t *o =
		    json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:o, s:s, s:s, s:s}",
			      "campaign", name, "state", store_campaign_state_name(c->state),
			      "total", (json_int_t)total, "pending", (json_int_t)n.pending,
			      "retry_waiting", (json_int_t)n.retry,
			      "running", (json_int_t)n.running, "done", (json_int_t)n.done,
			      "failed", (json_int_t)n.failed, "rate", rate, "eta_s",
			      eta < 0 ? json_null() : json_integer((json_int_t)(eta + 0.5)),
			      "created", campaign_time(c->created_at, t1, sizeof t1), "started",
			      campaign_time(c->started_at, t2, sizeof t2), "finished",
			      campaign_time(c->finished_at, t3, sizeof t3));
		json_array_append_new(x->rows, o);
	} else {
		if (eta >= 0)
			status_eta(eta, etabuf, sizeof etabuf);
		else
			snprintf(etabuf, sizeof etabuf, "%s",
				 c->state == STORE_CAMPAIGN_PAUSED && left ? "paused" : "-");
		printf("%-*s %-9s %9lld %9lld %7lld %9lld %7lld %7lld %8.1f %8s  %-20s  %s\n",
		       x->name_width, name, store_campaign_state_name(c->state),
		       (long long)total, (long long)n.pending, (long long)n.running,
		       (long long)n.done, (long long)n.failed, (long long)n.retry, rate, etabuf,
		       campaign_time(c->started_at, t1, sizeof t1),
		       campaign_time(c->finished_at, t2, sizeof t2));
		if (ferror(stdout) && x->werr == 0)
			x->werr = errno;
	}
	free(name);
	x->shown++;
	return 0;
}

static int status_width(const struct store_campaign *c, void *arg)
{
	struct status_ctx *x = arg;
	char *name = text_escape(c->name);
	int w = (int)strlen(name);
	free(name);
	if ((!x->only || c->id == x->only) && w > x->name_width)
		x->name_width = w;
	return 0;
}

int cmd_status(int argc, char **argv)
{
	struct campaign_args a = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	int rc = EXIT_USAGE;
	int p = campaign_parse(argc, argv, CO_DB | CO_CONFIG | CO_CAMPAIGN | CO_FORMAT | CO_SET,
			       status_usage, &a);
	if (p != 0 || a.argi != argc) {
		if (p == 0)
			fputs(status_usage, stderr);
		rc = p > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	int json = 0;
	if (a.format && !(json = strcmp(a.format, "json") == 0) && strcmp(a.format, "text") != 0) {
		fprintf(stderr, "mxsurvey: unknown format '%s' (text, json)\n", a.format);
		goto out;
	}
	if ((st = campaign_open(&a, &cfg, 1, &rc)) == NULL)
		goto out;
	struct status_ctx x = {.st = st, .json = json, .name_width = 8};
	if (a.campaign && (x.only = campaign_lookup(st, a.campaign, &rc)) < 0)
		goto out;
	if (json)
		x.rows = json_array();
	else
		store_foreach_campaign(st, status_width, &x);
	if (!json)
		printf("%-*s %-9s %9s %9s %7s %9s %7s %7s %8s %8s  %-20s  %s\n", x.name_width,
		       "CAMPAIGN", "STATE", "TOTAL", "PENDING", "RUNNING", "DONE", "FAILED", "RETRY",
		       "RATE/S", "ETA", "STARTED", "FINISHED");
	if (store_foreach_campaign(st, status_one, &x) < 0 || x.failed) {
		json_decref(x.rows);
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (json) {
		json_dumpf(x.rows, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(x.rows);
	}
	if (x.werr)
		errno = x.werr;
	rc = output_finish(stdout, NULL) < 0 ? EXIT_RUNTIME : EXIT_OK;
out:
	store_close(st);
	config_clear(&cfg);
	cmd_overrides_clear(&a.ov);
	return rc;
}

/* ---- pause, resume, cancel ---- */

struct campaign_move {
	const char *cmd;		 /* static: the command's name */
	unsigned from;			 /* states it moves from */
	enum store_campaign_state to;	 /* where to */
	const char *done;		 /* static: past tense for the message */
};

static const char move_usage_fmt[] =
	"usage: mxsurvey %s [--db PATH | -c CONFIG] --campaign NAME   (or: %s NAME)\n"
	"\n"
	"pause: stop scanning the campaign's pending domains (running ones finish); resume:\n"
	"scan them again; cancel: never scan them (the results so far are kept).\n";

static int campaign_move(int argc, char **argv, const struct campaign_move *m)
{
	struct campaign_args a = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	int rc = EXIT_USAGE;
	char usage[512];
	snprintf(usage, sizeof usage, move_usage_fmt, m->cmd, m->cmd);
	int p = campaign_parse(argc, argv, CO_DB | CO_CONFIG | CO_CAMPAIGN | CO_SET, usage, &a);
	if (p != 0) {
		rc = p > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	if (a.campaign == NULL && a.argi == argc - 1)
		a.campaign = argv[a.argi++];
	if (a.campaign == NULL || a.argi != argc) {
		fputs(usage, stderr);
		goto out;
	}
	if ((st = campaign_open(&a, &cfg, 1, &rc)) == NULL)
		goto out;
	int64_t cid = campaign_lookup(st, a.campaign, &rc);
	if (cid < 0)
		goto out;
	int moved = store_campaign_transition(st, cid, m->from, m->to);
	struct store_campaign c;
	if (moved < 0 || store_campaign_get(st, cid, &c) != 1) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	char *name = text_escape(a.campaign);
	if (moved) {
		printf("campaign %s %s\n", name, m->done);
		rc = EXIT_OK;
	} else if (c.state == m->to) {
		printf("campaign %s was already %s\n", name, store_campaign_state_name(m->to));
		rc = EXIT_OK;
	} else {
		fprintf(stderr, "mxsurvey: campaign %s is %s: cannot %s it\n", name,
			store_campaign_state_name(c.state), m->cmd);
		rc = EXIT_USAGE;
	}
	free(name);
	store_campaign_clear(&c);
out:
	store_close(st);
	config_clear(&cfg);
	cmd_overrides_clear(&a.ov);
	return rc;
}

int cmd_pause(int argc, char **argv)
{
	static const struct campaign_move m = {"pause", STORE_CAMPAIGN_BIT(STORE_CAMPAIGN_ACTIVE),
					       STORE_CAMPAIGN_PAUSED, "paused"};
	return campaign_move(argc, argv, &m);
}

int cmd_resume(int argc, char **argv)
{
	static const struct campaign_move m = {"resume", STORE_CAMPAIGN_BIT(STORE_CAMPAIGN_PAUSED),
					       STORE_CAMPAIGN_ACTIVE, "resumed"};
	return campaign_move(argc, argv, &m);
}

int cmd_cancel(int argc, char **argv)
{
	static const struct campaign_move m = {"cancel",
					       STORE_CAMPAIGN_BIT(STORE_CAMPAIGN_ACTIVE) |
						   STORE_CAMPAIGN_BIT(STORE_CAMPAIGN_PAUSED),
					       STORE_CAMPAIGN_CANCELLED, "cancelled"};
	return campaign_move(argc, argv, &m);
}

/* ---- export ---- */

static const char export_usage[] =
	"usage: mxsurvey export --campaign NAME [--db PATH | -c CONFIG] [--format jsonl|json|csv]\n"
	"                       [-o FILE]\n"
	"\n"
	"Writes the campaign's results in input order: jsonl (default; one result object per\n"
	"line), json (an array) or csv (one row per domain: input, domain, state, reason, scan\n"
	"time, duration, one verdict column per check, the three MECSA scores). CSV cells that\n"
	"a spreadsheet would take for a formula (starting with = + - @) are prefixed with '.\n";

/* RFC 4180 quoting; a leading formula character is defused (the text comes from the network),
 * and control characters are escaped (\xHH) as in the text report. */
static void export_csv_cell(FILE *out, const char *raw, int last)
{
	char *held = raw && !text_is_safe(raw) ? text_escape(raw) : NULL;
	const char *s = held ? held : raw ? raw : "";
	int defuse = strchr("=+-@\t\r", s[0]) != NULL && s[0] != '\0';
	int quote = defuse || strpbrk(s, ",\"\r\n") != NULL || s[0] == ' ';
	if (quote)
		fputc('"', out);
	if (defuse)
		fputc('\'', out);
	for (const char *p = s; *p; p++) {
		if (*p == '"')
			fputc('"', out);
		fputc(*p, out);
	}
	if (quote)
		fputc('"', out);
	fputs(last ? "\r\n" : ",", out);
	free(held);
}

static int export_csv(struct store *st, int64_t cid, FILE *out)
{
	static const char *const cats[] = {"confidentiality", "spoofing", "integrity"};
	fputs("input,domain,state,reason,scanned_at,duration_ms", out);
	for (size_t i = 0; i < check_registry_len; i++)
		fprintf(out, ",%s", check_registry[i]->name);
	for (size_t i = 0; i < 3; i++)
		fprintf(out, ",score_%s", cats[i]);
	fputs("\r\n", out);
	struct store_cursor *c = store_cursor_open(st, cid, STORE_ORDER_INPUT);
	if (c == NULL)
		return -1;
	struct store_row row;
	int r, werr = 0;
	while ((r = store_cursor_next(c, &row)) > 0) {
		char when[32], num[32];
		json_t *res = row.result;
		export_csv_cell(out, row.input, 0);
		export_csv_cell(out, json_string_value(json_object_get(res, "domain")), 0);
		export_csv_cell(out, json_string_value(json_object_get(res, "state")), 0);
		export_csv_cell(out, json_string_value(json_object_get(res, "reason")), 0);
		export_csv_cell(out, campaign_time(row.scanned_at, when, sizeof when), 0);
		snprintf(num, sizeof num, "%lld", (long long)row.duration_ms);
		export_csv_cell(out, num, 0);
		json_t *checks = json_object_get(res, "checks");
		for (size_t i = 0; i < check_registry_len; i++) {
			json_t *v = json_object_get(checks, check_registry[i]->name);
			export_csv_cell(out, json_string_value(json_object_get(v, "status")), 0);
		}
		json_t *scores = json_object_get(res, "scores");
		for (size_t i = 0; i < 3; i++) {
			json_t *s = json_object_get(json_object_get(scores, cats[i]), "score");
			num[0] = '\0';
			if (json_is_integer(s))
				snprintf(num, sizeof num, "%lld", (long long)json_integer_value(s));
			export_csv_cell(out, num, i == 2);
		}
		if (ferror(out)) {
			werr = errno;
			r = -1;
			break;
		}
	}
	store_cursor_free(c);
	if (werr)
		errno = werr; /* for output_finish */
	return r;
}

int cmd_export(int argc, char **argv)
{
	struct campaign_args a = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	FILE *out = stdout;
	int rc = EXIT_USAGE;
	int p = campaign_parse(argc, argv,
			       CO_DB | CO_CONFIG | CO_CAMPAIGN | CO_FORMAT | CO_OUTPUT | CO_SET,
			       export_usage, &a);
	if (p != 0 || a.argi != argc || a.campaign == NULL) {
		if (p == 0)
			fputs(a.campaign ? export_usage
					 : "mxsurvey export: --campaign NAME is required\n",
			      stderr);
		rc = p > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	const char *fmt = a.format ? a.format : "jsonl";
	int csv = strcmp(fmt, "csv") == 0;
	int of = csv ? 0 : output_format_parse(fmt);
	if (!csv && (of != OUTPUT_JSON && of != OUTPUT_JSONL)) {
		fprintf(stderr, "mxsurvey: unknown export format '%s' (jsonl, json, csv)\n", fmt);
		goto out;
	}
	if ((st = campaign_open(&a, &cfg, 1, &rc)) == NULL)
		goto out;
	int64_t cid = campaign_lookup(st, a.campaign, &rc);
	if (cid < 0)
		goto out;
	if (a.output && (out = fopen(a.output, "w")) == NULL) {
		fprintf(stderr, "mxsurvey: %s: %s\n", a.output, strerror(errno));
		out = stdout;
		rc = EXIT_RUNTIME;
		goto out;
	}
	int r = csv ? export_csv(st, cid, out) : output_campaign(st, cid, of, out);
	if (r < 0 && !ferror(out))
		fprintf(stderr, "mxsurvey: export failed: cannot read the results: %s\n",
			store_errmsg(st));
	if (output_finish(out, a.output) < 0)
		r = -1;
	rc = r < 0 ? EXIT_RUNTIME : EXIT_OK;
out:
	if (out != stdout && fclose(out) != 0 && rc == EXIT_OK) {
		fprintf(stderr, "mxsurvey: cannot write to %s: %s\n", a.output, strerror(errno));
		rc = EXIT_RUNTIME;
	}
	store_close(st);
	config_clear(&cfg);
	cmd_overrides_clear(&a.ov);
	return rc;
}

/* ---- diff ---- */

static const char diff_usage[] =
	"usage: mxsurvey diff --from A --to B [--db PATH | -c CONFIG] [--format text|jsonl]\n"
	"\n"
	"Lists the domains whose state, verdicts or scores differ between campaigns A and B,\n"
	"with what changed (\"spf: fail -> pass\", \"spoofing: 3 -> 7\"), and the domains only\n"
	"one of them has. A summary goes to stderr.\n";

struct diff_counts {
	int64_t changed, same, only_from, only_to; /* domains */
};

static const char *diff_str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "-";
}

static json_t *diff_score(json_t *res, const char *cat)
{
	json_t *s = json_object_get(json_object_get(json_object_get(res, "scores"), cat), "score");
	return json_is_integer(s) ? s : json_null();
}

/* The changes from a to b as {what: [old, new]}; empty when they agree. */
static json_t *diff_changes(json_t *a, json_t *b)
{
	json_t *ch = json_object();
	if (strcmp(diff_str(a, "state"), diff_str(b, "state")) != 0)
		json_object_set_new(
		    ch, "state", json_pack("[s, s]", diff_str(a, "state"), diff_str(b, "state")));
	json_t *ca = json_object_get(a, "checks"), *cb = json_object_get(b, "checks");
	for (size_t i = 0; i < check_registry_len; i++) {
		const char *name = check_registry[i]->name;
		const char *sa = diff_str(json_object_get(ca, name), "status");
		const char *sb = diff_str(json_object_get(cb, name), "status");
		if (strcmp(sa, sb) != 0)
			json_object_set_new(ch, name, json_pack("[s, s]", sa, sb));
	}
	static const char *const cats[] = {"confidentiality", "spoofing", "integrity"};
	for (size_t i = 0; i < 3; i++) {
		json_t *x = diff_score(a, cats[i]), *y = diff_score(b, cats[i]);
		if (!json_equal(x, y))
			json_object_set_new(ch, cats[i], json_pack("[O, O]", x, y));
	}
	return ch;
}

static void diff_print_value(FILE *out, json_t *v)
{
	if (json_is_string(v))
		text_fputs(json_string_value(v), out);
	else if (json_is_integer(v))
		fprintf(out, "%lld", (long long)json_integer_value(v));
	else
		fputs("-", out);
}

/* domain: as stored, which need not be UTF-8 in a database of an older version: shown escaped. */
static void diff_emit(FILE *out, int jsonl, const char *domain, const char *what, json_t *ch)
{
	char *shown = text_escape(domain);
	if (jsonl) {
		json_t *o = json_pack("{s:s, s:s}", "domain", shown, "change", what);
		if (ch)
			json_object_set(o, "changes", ch);
		json_dumpf(o, out, JSON_COMPACT | JSON_ENSURE_ASCII);
		fputc('\n', out);
		json_decref(o);
		free(shown);
		return;
	}
	fprintf(out, "%s: %s", shown, what);
	free(shown);
	const char *key;
	json_t *v;
	int first = 1;
	json_object_foreach(ch, key, v)
	{
		fputs(first ? " " : ", ", out);
		text_fputs(key, out);
		fputc(' ', out);
		diff_print_value(out, json_array_get(v, 0));
		fputs(" -> ", out);
		diff_print_value(out, json_array_get(v, 1));
		first = 0;
	}
	fputc('\n', out);
}

/* Walk both campaigns in domain order, side by side. */
static int diff_walk(struct store *st, int64_t from, int64_t to, int jsonl,
		     struct diff_counts *n)
{
	struct store_cursor *ca = store_cursor_open(st, from, STORE_ORDER_DOMAIN);
	struct store_cursor *cb = store_cursor_open(st, to, STORE_ORDER_DOMAIN);
	int ret = -1, werr = 0;
	if (ca == NULL || cb == NULL)
		goto out;
	struct store_row ra, rb;
	int ha = store_cursor_next(ca, &ra), hb = store_cursor_next(cb, &rb);
	while (ha > 0 || hb > 0) {
		int cmp = ha <= 0 ? 1 : hb <= 0 ? -1 : strcmp(ra.domain, rb.domain);
		if (cmp < 0) {
			diff_emit(stdout, jsonl, ra.domain, "removed", NULL);
			n->only_from++;
			ha = store_cursor_next(ca, &ra);
		} else if (cmp > 0) {
			diff_emit(stdout, jsonl, rb.domain, "added", NULL);
			n->only_to++;
			hb = store_cursor_next(cb, &rb);
		} else {
			json_t *ch = diff_changes(ra.result, rb.result);
			if (json_object_size(ch)) {
				diff_emit(stdout, jsonl, ra.domain, "changed", ch);
				n->changed++;
			} else {
				n->same++;
			}
			json_decref(ch);
			ha = store_cursor_next(ca, &ra);
			hb = store_cursor_next(cb, &rb);
		}
		if (ferror(stdout)) {
			werr = errno;
			goto out;
		}
		if (ha < 0 || hb < 0)
			goto out;
	}
	ret = ha < 0 || hb < 0 ? -1 : 0;
out:
	store_cursor_free(ca);
	store_cursor_free(cb);
	if (werr)
		errno = werr; /* for output_finish */
	return ret;
}

int cmd_diff(int argc, char **argv)
{
	struct campaign_args a = {0};
	struct config cfg = {0};
	struct store *st = NULL;
	int rc = EXIT_USAGE;
	int p = campaign_parse(argc, argv,
			       CO_DB | CO_CONFIG | CO_FROM | CO_TO | CO_FORMAT | CO_SET, diff_usage,
			       &a);
	if (p != 0 || a.argi != argc || a.from == NULL || a.to == NULL) {
		if (p == 0)
			fputs(diff_usage, stderr);
		rc = p > 0 ? EXIT_OK : EXIT_USAGE;
		goto out;
	}
	int jsonl = 0;
	if (a.format && !(jsonl = strcmp(a.format, "jsonl") == 0) &&
	    strcmp(a.format, "text") != 0) {
		fprintf(stderr, "mxsurvey: unknown format '%s' (text, jsonl)\n", a.format);
		goto out;
	}
	if ((st = campaign_open(&a, &cfg, 1, &rc)) == NULL)
		goto out;
	int64_t from = campaign_lookup(st, a.from, &rc);
	int64_t to = from < 0 ? -1 : campaign_lookup(st, a.to, &rc);
	if (from < 0 || to < 0)
		goto out;
	struct diff_counts n = {0};
	if (diff_walk(st, from, to, jsonl, &n) < 0) {
		if (ferror(stdout))
			output_finish(stdout, NULL);
		else
			fprintf(stderr, "mxsurvey: diff failed: %s\n", store_errmsg(st));
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (output_finish(stdout, NULL) < 0) {
		rc = EXIT_RUNTIME;
		goto out;
	}
	if (a.verbosity >= 0) {
		char *shown_from = text_escape(a.from), *shown_to = text_escape(a.to);
		fprintf(stderr,
			"%s -> %s: %lld changed, %lld unchanged, %lld removed, %lld added\n",
			shown_from, shown_to, (long long)n.changed, (long long)n.same,
			(long long)n.only_from, (long long)n.only_to);
		free(shown_from);
		free(shown_to);
	}
	rc = EXIT_OK;
out:
	store_close(st);
	config_clear(&cfg);
	cmd_overrides_clear(&a.ov);
	return rc;
}
