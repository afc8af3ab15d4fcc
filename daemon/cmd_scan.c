/* cmd_scan.c — `mxsurvey scan`: enqueue the given domains as a campaign in the store (in memory
 * unless --db), scan them on the engine, and print the stored results. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/dname.h"
#include "common/log.h"
#include "common/text.h"
#include "common/xalloc.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/engine.h"
#include "daemon/output.h"
#include "daemon/shard.h"
#include "daemon/store.h"

static const char scan_usage[] =
	"usage: mxsurvey scan [OPTIONS] DOMAIN...\n"
	"       mxsurvey scan [OPTIONS] -f FILE     (one domain per line, '#' comments, '-' = stdin)\n"
	"\n"
	"options:\n"
	"  -f, --file FILE        read domains from FILE\n"
	"  -c, --config FILE      configuration file (YAML; see config/mxsurvey.yaml)\n"
	"      --format FMT       text (default), json or jsonl\n"
	"      --db PATH          SQLite store (default: in memory for this run)\n"
	"      --campaign NAME    name of the new campaign in the store (default:\n"
	"                         scan-<time>-<pid>); up to 128 bytes of printable UTF-8. A scan\n"
	"                         never adds to an existing campaign: a name --db already has is\n"
	"                         refused (exit 2); add domains to it with `mxsurvey submit`\n"
	"      --set KEY=VALUE    override any configuration option, e.g. --set dns.mode=stub\n"
	"      --dns-mode MODE    recursive or stub            (dns.mode)\n"
	"      --resolver ADDR    stub resolver, repeatable    (dns.upstreams)\n"
	"      --trust-anchor F   DNSSEC trust anchor file     (dns.trust_anchor)\n"
	"      --root-hints F     root hints for recursion     (dns.root_hints)\n"
	"      --ca-file F        CA bundle                    (tls.ca_file)\n"
	"      --in-flight N      domains scanned at once      (scan.max_in_flight)\n"
	"      --deadline S       per-domain deadline, seconds (scan.deadline)\n"
	"      --retries N        scan a domain whose result holds only transient failures (DNS\n"
	"                         timeout or SERVFAIL, SMTP timeout, refused, reset or 4xx) up to\n"
	"                         N more times within this run (scan.retry_attempts; default 0\n"
	"                         here, whatever the configuration file says)\n"
	"      --retry-after S    seconds before the first retry, doubled for each next one\n"
	"                         (scan.retry_after)\n"
	"      --shard i/N        scan only shard i of N (0 <= i < N) of the input: FNV-1a-64 of\n"
	"                         the normalised name, mod N; merge shard databases with merge\n"
	"  -v, --verbose          more log output (repeatable)\n"
	"  -q, --quiet            errors only\n"
	"      --syslog           log to syslog instead of stderr\n"
	"      --no-progress      no progress line on a terminal\n"
	"  -h, --help             this text\n"
	"\n"
	"exit status: 0 every input has a result; 1 some inputs were not valid domain names;\n"
	"             2 usage or configuration error; 3 runtime error (store, DNS setup, output).\n";

enum {
	OPT_FORMAT = 256,
	OPT_DB,
	OPT_CAMPAIGN,
	OPT_SET,
	OPT_DNS_MODE,
	OPT_RESOLVER,
	OPT_TRUST_ANCHOR,
	OPT_ROOT_HINTS,
	OPT_CA_FILE,
	OPT_IN_FLIGHT,
	OPT_DEADLINE,
	OPT_SYSLOG,
	OPT_NO_PROGRESS,
	OPT_SHARD,
	OPT_RETRIES,
	OPT_RETRY_AFTER,
};

static const struct option scan_options[] = {
	{"file", required_argument, NULL, 'f'},
	{"config", required_argument, NULL, 'c'},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"db", required_argument, NULL, OPT_DB},
	{"campaign", required_argument, NULL, OPT_CAMPAIGN},
	{"set", required_argument, NULL, OPT_SET},
	{"dns-mode", required_argument, NULL, OPT_DNS_MODE},
	{"resolver", required_argument, NULL, OPT_RESOLVER},
	{"trust-anchor", required_argument, NULL, OPT_TRUST_ANCHOR},
	{"root-hints", required_argument, NULL, OPT_ROOT_HINTS},
	{"ca-file", required_argument, NULL, OPT_CA_FILE},
	{"in-flight", required_argument, NULL, OPT_IN_FLIGHT},
	{"deadline", required_argument, NULL, OPT_DEADLINE},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"syslog", no_argument, NULL, OPT_SYSLOG},
	{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
	{"shard", required_argument, NULL, OPT_SHARD},
	{"retries", required_argument, NULL, OPT_RETRIES},
	{"retry-after", required_argument, NULL, OPT_RETRY_AFTER},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

/* Command-line overrides, applied after the file, in order. */
struct scan_override {
	char *key;   /* owned: dotted option name */
	char *value; /* owned */
};

struct scan_args {
	const char *file;		 /* -f */
	const char *config;		 /* -c */
	const char *db;			 /* --db */
	const char *campaign;		 /* --campaign */
	int format;			 /* enum output_format */
	int verbosity;			 /* -v count minus -q */
	int syslog;			 /* --syslog */
	int progress;			 /* progress line allowed */
	struct scan_override *ov;	 /* owned */
	size_t n_ov;			 /* overrides */
	char *resolvers;		 /* owned: --resolver values, comma-joined */
	struct shard shard;		 /* --shard; {0, 0}: the whole input */
};

static void scan_add_override(struct scan_args *a, const char *key, const char *value)
{
	a->ov = xrealloc(a->ov, (a->n_ov + 1) * sizeof *a->ov);
	a->ov[a->n_ov].key = xstrdup(key);
	a->ov[a->n_ov].value = xstrdup(value);
	a->n_ov++;
}

static void scan_args_clear(struct scan_args *a)
{
	for (size_t i = 0; i < a->n_ov; i++) {
		free(a->ov[i].key);
		free(a->ov[i].value);
	}
	free(a->ov);
	free(a->resolvers);
}

static int scan_parse_args(int argc, char **argv, struct scan_args *a)
{
	int c;
	a->progress = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:c:vqh", scan_options, NULL)) != -1) {
		switch (c) {
		case 'f': a->file = optarg; break;
		case 'c': a->config = optarg; break;
		case OPT_FORMAT:
			a->format = output_format_parse(optarg);
			if (a->format < 0) {
				fprintf(stderr, "mxsurvey: unknown format '%s' (text, json, jsonl)\n",
					optarg);
				return -1;
			}
			break;
		case OPT_DB: a->db = optarg; break;
		case OPT_CAMPAIGN: {
			char why[128];
			if (store_campaign_name_check(optarg, why, sizeof why) < 0) {
				fputs("mxsurvey: invalid campaign name '", stderr);
				text_fputs(optarg, stderr);
				fprintf(stderr, "': %s\n", why);
				return -1;
			}
			a->campaign = optarg;
			break;
		}
		case OPT_SET: {
			char *eq = strchr(optarg, '=');
			if (eq == NULL) {
				fprintf(stderr, "mxsurvey: --set wants KEY=VALUE, got '%s'\n", optarg);
				return -1;
			}
			*eq = '\0';
			scan_add_override(a, optarg, eq + 1);
			break;
		}
		case OPT_DNS_MODE: scan_add_override(a, "dns.mode", optarg); break;
		case OPT_RESOLVER: {
			char *joined = a->resolvers ? xasprintf("%s,%s", a->resolvers, optarg)
						    : xstrdup(optarg);
			free(a->resolvers);
			a->resolvers = joined;
			break;
		}
		case OPT_TRUST_ANCHOR: scan_add_override(a, "dns.trust_anchor", optarg); break;
		case OPT_ROOT_HINTS: scan_add_override(a, "dns.root_hints", optarg); break;
		case OPT_CA_FILE: scan_add_override(a, "tls.ca_file", optarg); break;
		case OPT_IN_FLIGHT: scan_add_override(a, "scan.max_in_flight", optarg); break;
		case OPT_DEADLINE: scan_add_override(a, "scan.deadline", optarg); break;
		case OPT_RETRIES: scan_add_override(a, "scan.retry_attempts", optarg); break;
		case OPT_RETRY_AFTER: scan_add_override(a, "scan.retry_after", optarg); break;
		case 'v': a->verbosity++; break;
		case 'q': a->verbosity = -1; break;
		case OPT_SYSLOG: a->syslog = 1; break;
		case OPT_NO_PROGRESS: a->progress = 0; break;
		case OPT_SHARD: {
			char err[160];
			if (shard_parse(optarg, &a->shard, err, sizeof err) < 0) {
				fprintf(stderr, "mxsurvey: %s\n", err);
				return -1;
			}
			break;
		}
		case 'h': fputs(scan_usage, stdout); exit(EXIT_OK);
		default: fputs(scan_usage, stderr); return -1;
		}
	}
	if (a->resolvers)
		scan_add_override(a, "dns.upstreams", a->resolvers);
	if ((a->file == NULL) == (optind >= argc)) {
		fputs(a->file ? "mxsurvey: give domains or -f FILE, not both\n"
			      : "mxsurvey: no domains given\n",
		      stderr);
		fputs(scan_usage, stderr);
		return -1;
	}
	return 0;
}

int cli_load_config(struct config *cfg, const char *path)
{
	char err[512];
	/* config_load starts from the defaults itself and overwrites cfg without freeing it. */
	if (path == NULL)
		config_init_defaults(cfg);
	else if (config_load(cfg, path, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		return -1;
	}
	return 0;
}

/* One input line: trimmed, '#' comment removed; NULL for a line with nothing on it. */
static char *scan_clean_line(char *line)
{
	char *hash = strchr(line, '#');
	if (hash)
		*hash = '\0';
	while (*line == ' ' || *line == '\t')
		line++;
	size_t n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' ' ||
		     line[n - 1] == '\t'))
		line[--n] = '\0';
	return n ? line : NULL;
}

struct scan_enqueue {
	struct store *st;      /* borrowed */
	int64_t campaign;      /* target campaign */
	int64_t seq;	       /* inputs so far (all shards: positions are the full list's) */
	int64_t invalid;       /* of which invalid */
	int in_tx;	       /* inside a batch transaction */
	struct shard shard;    /* which inputs are ours */
	int64_t queued;	       /* inputs of our shard */
};

static int scan_enqueue_one(struct scan_enqueue *q, const char *input)
{
	char canon[DNAME_MAX], why[200];
	int ok = dname_normalize(input, canon, sizeof canon, why, sizeof why) == 0;
	if (!shard_mine(&q->shard, ok ? canon : input)) {
		q->seq++;
		return 0;
	}
	q->invalid += !ok;
	q->queued++;
	if (!q->in_tx) {
		if (store_begin(q->st) < 0)
			return -1;
		q->in_tx = 1;
	}
	if (store_enqueue(q->st, q->campaign, q->seq++, input, ok ? canon : NULL) < 0)
		return -1;
	if (q->seq % 10000 == 0) {
		q->in_tx = 0;
		return store_commit(q->st);
	}
	return 0;
}

static int scan_enqueue_file(struct scan_enqueue *q, const char *path)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	if (f == NULL) {
		fprintf(stderr, "mxsurvey: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;
	while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
		/* A NUL inside a line would silently cut it: make it visible as invalid. */
		for (ssize_t i = 0; i < len; i++)
			if (line[i] == '\0')
				line[i] = '?';
		char *input = scan_clean_line(line);
		if (input)
			rc = scan_enqueue_one(q, input);
	}
	if (ferror(f)) {
		fprintf(stderr, "mxsurvey: %s: read error\n", path);
		rc = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return rc;
}

static int scan_source(void *arg, struct store_job *jobs, size_t max)
{
	struct scan_enqueue *q = arg;
	return store_claim(q->st, q->campaign, jobs, max);
}

/* When the run's next retry is due: the loop waits for it rather than ending. */
static int64_t scan_later(void *arg)
{
	struct scan_enqueue *q = arg;
	int64_t n = 0, first = 0;
	if (store_retry_waiting(q->st, q->campaign, &n, &first) < 0) {
		log_err("cannot read the retry queue: %s", store_errmsg(q->st));
		return -1;
	}
	if (n == 0)
		return -1;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	int64_t now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	return first > now ? first - now : 0;
}

static int scan_apply_overrides(struct config *cfg, const struct scan_args *a)
{
	char err[512];
	/* A one-shot scan answers now: it retries only when the command line asks. */
	cfg->retry_attempts = 0;
	for (size_t i = 0; i < a->n_ov; i++)
		if (config_apply_override(cfg, a->ov[i].key, a->ov[i].value, err, sizeof err) < 0) {
			fprintf(stderr, "mxsurvey: %s\n", err);
			return -1;
		}
	if (config_validate(cfg, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		return -1;
	}
	return 0;
}

static int scan_run(const struct scan_args *a, struct config *cfg, int argc, char **argv)
{
	char err[512];
	const char *db = a->db ? a->db : cfg->store_path;
	struct store *st = store_open(db, err, sizeof err);
	if (st == NULL) {
		fprintf(stderr, "mxsurvey: cannot open the store: %s\n", err);
		return EXIT_RUNTIME;
	}
	char *name = a->campaign ? xstrdup(a->campaign)
				 : xasprintf("scan-%lld-%d", (long long)time(NULL), (int)getpid());
	if (store_campaign_find(st, name) >= 0) {
		fprintf(stderr,
			"mxsurvey: campaign '%s' already exists in %s: a scan always starts a new "
			"campaign; choose another --campaign, or add the domains to it with `mxsurvey "
			"submit` (the daemon scans them)\n",
			name, db);
		free(name);
		store_close(st);
		return EXIT_USAGE;
	}
	/* Shards of a cluster survey are campaigns too: record the same snapshot as submit. */
	char *snapshot = cmd_config_json(cfg);
	struct scan_enqueue q = {st, store_campaign_create(st, name, snapshot), 0, 0, 0, a->shard, 0};
	free(snapshot);
	if (q.campaign < 0) {
		fprintf(stderr, "mxsurvey: cannot create the campaign: %s\n", store_errmsg(st));
		free(name);
		store_close(st);
		return EXIT_RUNTIME;
	}
	free(name);
	int rc = 0;
	if (a->file)
		rc = scan_enqueue_file(&q, a->file);
	for (int i = optind; rc == 0 && i < argc; i++)
		rc = scan_enqueue_one(&q, argv[i]);
	if (q.in_tx && store_commit(st) < 0)
		rc = -1;
	if (rc < 0) {
		store_close(st);
		return EXIT_RUNTIME;
	}
	struct engine *e = engine_new(cfg, st, err, sizeof err);
	if (e == NULL) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		store_close(st);
		return EXIT_RUNTIME;
	}
	engine_set_source(e, scan_source, &q, 1, 0);
	engine_set_later(e, scan_later);
	engine_set_expected(e, (uint64_t)q.queued);
	if (a->progress && q.queued > 1 && isatty(STDERR_FILENO) && !a->syslog)
		engine_set_progress(e, 1);
	rc = engine_run(e);
	int exit_code = q.invalid ? EXIT_INVALID : EXIT_OK;
	/* Print before tearing the resolver down: what is committed is printed whatever happens
	 * in the DNS library's own teardown. */
	if (rc < 0) {
		fprintf(stderr, "mxsurvey: the results could not be stored: %s\n", store_errmsg(st));
		exit_code = EXIT_RUNTIME;
	} else if (output_campaign(st, q.campaign, a->format, stdout) < 0 && !ferror(stdout)) {
		fprintf(stderr, "mxsurvey: cannot read the results back: %s\n", store_errmsg(st));
		exit_code = EXIT_RUNTIME;
	}
	if (output_finish(stdout, NULL) < 0)
		exit_code = EXIT_RUNTIME;
	store_campaign_set_state(st, q.campaign, "done");
	engine_free(e);
	store_close(st);
	return exit_code;
}

int cmd_scan(int argc, char **argv)
{
	struct scan_args a = {0};
	struct config cfg;
	int rc = EXIT_USAGE;
	config_init_defaults(&cfg);
	if (scan_parse_args(argc, argv, &a) < 0)
		goto out;
	config_clear(&cfg);
	if (cli_load_config(&cfg, a.config) < 0 || scan_apply_overrides(&cfg, &a) < 0)
		goto out;
	int level = cfg.log_level + a.verbosity;
	if (a.verbosity < 0)
		level = LOG_LEVEL_ERROR;
	log_init(level < 0 ? LOG_LEVEL_ERROR : level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG : level,
		 a.syslog || cfg.log_syslog);
	rc = scan_run(&a, &cfg, argc, argv);
out:
	config_clear(&cfg);
	scan_args_clear(&a);
	return rc;
}
