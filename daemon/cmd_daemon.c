/* cmd_daemon.c — `mxsurvey daemon`: scans the pending domains of every active campaign in the
 * store, for as long as it runs, noticing new submissions by polling the queue. Owns the live
 * configuration (the engine borrows it), the configurations retired by reloads, the scoring table,
 * the store and the engine. Crash safety is the store's: a result and its row's move to done are
 * one transaction, and rows left running by a killed daemon are re-queued at start. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <event2/event.h>

#include "checks/score.h"
#include "common/log.h"
#include "common/xalloc.h"
#include "daemon/cli.h"
#include "daemon/cmd.h"
#include "daemon/engine.h"
#include "daemon/notify.h"
#include "daemon/scoring_load.h"
#include "daemon/store.h"

#define DAEMON_POLL_MS 1000	       /* how often an idle daemon looks for new work */
#define DAEMON_STATUS_MS 5000	       /* STATUS= line and finished-campaign check */
#define DAEMON_COUNT_MS 30000	       /* re-count pending rows (a full index range) */
#define DAEMON_LOG_MS 60000	       /* progress line in the log (info) */
#define DAEMON_GRACE_EXTRA_S 10	       /* drain: scan.deadline plus this, then re-queue */

static const char daemon_usage[] =
	"usage: mxsurvey daemon [-c CONFIG] [--db PATH] [OPTIONS]\n"
	"\n"
	"Runs in the foreground and scans the pending domains of every active campaign of the\n"
	"store (see `mxsurvey submit`), picking up new submissions as they come. Under systemd\n"
	"(Type=notify) it reports READY, STATUS progress, RELOADING and STOPPING.\n"
	"  SIGTERM, SIGINT  drain: take no new domains; the ones in flight finish within\n"
	"                   scan.deadline (+10 s), else they go back to the queue; a second signal\n"
	"                   stops at once (unfinished domains are re-queued)\n"
	"  store errors     a result the database refuses is stored as failed (logged); a store\n"
	"                   refusing every write for store.give_up seconds ends the daemon, exit 3\n"
	"  SIGHUP           reload CONFIG. scan.max_in_flight, scan.deadline, store.batch_*,\n"
	"                   scoring.file and log.level apply at once; any other change (limits,\n"
	"                   exclude list, EHLO name, dns.*, ...) once the scans in flight have\n"
	"                   finished, by restarting the scanner inside the process. A bad file is\n"
	"                   refused (logged) and the running configuration kept. store.path and\n"
	"                   log.syslog need a restart of the daemon.\n"
	"\n"
	"options:\n"
	"  -c, --config FILE   configuration file (YAML; see config/mxsurvey.yaml)\n"
	"      --db PATH       the store (default: store.path of the configuration; required)\n"
	"      --set KEY=VALUE override a configuration option (again at each reload)\n"
	"  -v, --verbose       more log output (repeatable); -q, --quiet: errors only\n"
	"      --syslog        log to syslog instead of stderr\n"
	"\n"
	"exit status: 0 drained after a signal; 2 usage or configuration error; 3 store (for\n"
	"             store.give_up seconds), DNS or loop failure, or another daemon already uses\n"
	"             the database.\n";

enum { OPT_DB = 256, OPT_SET, OPT_SYSLOG };

static const struct option daemon_options[] = {
	{"config", required_argument, NULL, 'c'},
	{"db", required_argument, NULL, OPT_DB},
	{"set", required_argument, NULL, OPT_SET},
	{"verbose", no_argument, NULL, 'v'},
	{"quiet", no_argument, NULL, 'q'},
	{"syslog", no_argument, NULL, OPT_SYSLOG},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

struct daemon {
	struct config cfg;	      /* the live configuration; the engine borrows its address */
	struct config *retired;	      /* owned: configurations replaced by reloads, kept to exit
					 because probes in flight may still point into them */
	size_t n_retired;	      /* entries in retired */
	struct config next;	      /* a reload waiting for the engine to drain (rebuild set) */
	struct score_table *next_score; /* owned: its scoring table, NULL: built-in */
	int rebuild;		      /* next holds a configuration the engine is rebuilt with */
	const char *config_path;      /* borrowed (argv): -c, or NULL */
	const char *db;		      /* borrowed: the store's path */
	struct cmd_overrides ov;      /* --set, applied again at each reload */
	int verbosity;		      /* -v/-q */
	int syslog;		      /* --syslog */
	struct store *st;	      /* owned */
	struct engine *e;	      /* owned: rebuilt by reloads that need it */
	struct score_table *score;    /* owned: the loaded table; NULL: the built-in one */
	struct event *status;	      /* owned, per engine: STATUS timer */
	struct event *hup;	      /* owned, per engine: SIGHUP */
	struct event *term, *intr;    /* owned, per engine: SIGTERM/SIGINT (the engine drains) */
	struct event *grace;	      /* owned, per engine: drain deadline */
	struct event *watchdog;	      /* owned, per engine: keep-alive timer, or NULL */
	int stopping;		      /* a stop signal arrived */
	int64_t claim_error_since;    /* ms: first failed claim of a run of failures; 0 */
	int64_t pending;	      /* pending rows of active campaigns, as last counted */
	int64_t counted_at;	      /* ms: when */
	int64_t logged_at;	      /* ms: last progress line in the log */
	uint64_t finished;	      /* domains scanned by earlier engines of this run */
	uint64_t last_finished;	      /* finished count at the last STATUS */
	int64_t last_status;	      /* ms: when */
	double rate;		      /* domains per second, smoothed */
};

static int64_t daemon_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

static void daemon_finish_campaigns(struct daemon *d)
{
	int n = store_campaigns_finish(d->st);
	if (n > 0)
		log_info("%d campaign(s) finished", n);
}

/* The engine's job source: any active campaign, oldest rows first. A busy or failing store is
 * waited out (the loop polls again) before the daemon gives up. */
static int daemon_source(void *arg, struct store_job *jobs, size_t max)
{
	struct daemon *d = arg;
	int n = store_claim(d->st, 0, jobs, max);
	int64_t now = daemon_now_ms();
	if (n >= 0) {
		if (d->claim_error_since)
			log_warn("the queue is readable again");
		d->claim_error_since = 0;
		if (n == 0)
			daemon_finish_campaigns(d);
		return n;
	}
	if (d->claim_error_since == 0) {
		d->claim_error_since = now;
		log_warn("cannot take work from the queue (%s); retrying", store_errmsg(d->st));
	}
	if (now - d->claim_error_since <= (int64_t)d->cfg.give_up_s * 1000)
		return 0;
	log_err("the queue has been unreadable for %u s (store.give_up): %s", d->cfg.give_up_s,
		store_errmsg(d->st));
	return -1;
}

static void daemon_report(struct daemon *d, int64_t now)
{
	const struct engine_stats *s = engine_stats(d->e);
	uint64_t finished = d->finished + s->finished;
	if (d->last_status && now > d->last_status) {
		double r = (double)(finished - d->last_finished) * 1000.0 /
			   (double)(now - d->last_status);
		d->rate = d->rate > 0 ? 0.7 * d->rate + 0.3 * r : r;
	}
	d->last_finished = finished;
	d->last_status = now;
	if (d->counted_at == 0 || now - d->counted_at >= DAEMON_COUNT_MS) {
		int64_t p = store_pending_active(d->st);
		if (p >= 0) {
			d->pending = p;
			d->counted_at = now;
		}
	}
	char eta[32] = "";
	if (d->rate > 0.05 && d->pending > 0)
		snprintf(eta, sizeof eta, ", ETA %llds", (long long)((double)d->pending / d->rate));
	notify_status("%s%llu done, ~%lld pending, %zu in flight, %.1f domains/s%s",
		      d->stopping ? "draining: " : d->rebuild ? "reloading: " : "",
		      (unsigned long long)finished, (long long)d->pending, s->in_flight, d->rate,
		      eta);
	if (now - d->logged_at >= DAEMON_LOG_MS) {
		d->logged_at = now;
		if (s->finished || s->in_flight)
			log_info(
			    "%llu done (%llu invalid, %llu cut by the deadline), ~%lld pending, "
			    "%zu in flight, %.1f domains/s",
			    (unsigned long long)finished, (unsigned long long)s->invalid,
			    (unsigned long long)s->deadline, (long long)d->pending, s->in_flight,
			    d->rate);
	}
}

static void daemon_on_status(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	if (!d->stopping)
		daemon_finish_campaigns(d);
	daemon_report(d, daemon_now_ms());
}

static void daemon_on_ready(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	notify_ready();
	daemon_report(d, daemon_now_ms());
	log_info("ready: %s, ~%lld pending, up to %u domains at once", d->db,
		 (long long)d->pending, d->cfg.max_in_flight);
}

static void daemon_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	notify_watchdog();
}

static void daemon_on_grace(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct daemon *d = arg;
	log_warn("drain: %zu scan(s) still running after the grace period; their domains go back "
		 "to the queue",
		 engine_stats(d->e)->in_flight);
	event_base_loopbreak(engine_base(d->e));
}

static void daemon_arm_grace(struct daemon *d)
{
	struct timeval tv = {(time_t)d->cfg.deadline_s + DAEMON_GRACE_EXTRA_S, 0};
	if (!evtimer_pending(d->grace, NULL))
		evtimer_add(d->grace, &tv);
}

/* Runs next to the engine's own handler, which stops taking work and ends the loop when the
 * scans in flight are done (or at once on a second signal). */
static void daemon_on_stop(evutil_socket_t sig, short what, void *arg)
{
	(void)what;
	struct daemon *d = arg;
	if (d->stopping)
		return;
	d->stopping = 1;
	notify_stopping();
	notify_status("draining: %zu scan(s) in flight", engine_stats(d->e)->in_flight);
	log_info("signal %d: draining", (int)sig);
	daemon_arm_grace(d);
}

#define DAEMON_SWAP(type, a, b)                                                                    \
	do {                                                                                       \
		type tmp_ = (a);                                                                   \
		(a) = (b);                                                                         \
		(b) = tmp_;                                                                        \
	} while (0)

/* Options only a restart changes: the store and the log target are opened once. fresh gets the
 * live values; returns 1 when the file asked to change them. */
static int daemon_keep_fixed(struct daemon *d, struct config *fresh)
{
	struct config asked = {0};
	config_copy(&asked, &d->cfg);
	DAEMON_SWAP(char *, fresh->store_path, asked.store_path);
	DAEMON_SWAP(bool, fresh->log_syslog, asked.log_syslog);
	/* asked: the live configuration with the file's values of exactly those options. */
	int changed = !config_equal(&asked, &d->cfg);
	config_clear(&asked);
	return changed;
}

/* 1 when fresh differs from the live configuration in more than what applies in place (limits
 * of the scheduler, deadline, batching, scoring, log level): the DNS context, SMTP probe cache
 * (limits, exclude list, EHLO name), HTTP and trust store are then built again. */
static int daemon_needs_rebuild(const struct daemon *d, const struct config *fresh)
{
	struct config t = {0};
	config_copy(&t, fresh);
	t.max_in_flight = d->cfg.max_in_flight;
	t.deadline_s = d->cfg.deadline_s;
	t.batch_size = d->cfg.batch_size;
	t.batch_ms = d->cfg.batch_ms;
	t.give_up_s = d->cfg.give_up_s;
	t.log_level = d->cfg.log_level;
	config_set_str(&t.scoring_file, d->cfg.scoring_file);
	int rebuild = !config_equal(&t, &d->cfg);
	config_clear(&t);
	return rebuild;
}

static void daemon_set_log_level(const struct daemon *d)
{
	int level = d->verbosity < 0 ? LOG_LEVEL_ERROR : d->cfg.log_level + d->verbosity;
	log_set_level(level > LOG_LEVEL_DEBUG ? LOG_LEVEL_DEBUG : (enum log_level)level);
}

/* Make fresh (taken over) and table (taken over) the live configuration. The struct's address
 * stays (the engine borrows it); its old strings retire. */
static void daemon_install(struct daemon *d, struct config *fresh, struct score_table *table)
{
	d->retired = xrealloc(d->retired, (d->n_retired + 1) * sizeof *d->retired);
	d->retired[d->n_retired++] = d->cfg;
	d->cfg = *fresh;
	memset(fresh, 0, sizeof *fresh);
	score_table_free(d->score);
	d->score = table;
	daemon_set_log_level(d);
}

static void daemon_log_config(const struct daemon *d, const char *what)
{
	log_info("%s: up to %u domains at once, deadline %u s, %zu exclude entries, scoring %s",
		 what, d->cfg.max_in_flight, d->cfg.deadline_s, d->cfg.exclude.n,
		 d->score ? d->cfg.scoring_file : "built-in");
}

/* SIGHUP: all or nothing. The new configuration and scoring table are read and checked first;
 * any error keeps everything as it was. What the running engine can take is applied at once;
 * anything else (DNS, SMTP limits, exclude list, EHLO name, ...) waits for the scans in flight to
 * finish, then the engine is built again with it (daemon_rebuild). */
static void daemon_reload(struct daemon *d)
{
	char err[512];
	struct config fresh = {0};
	struct score_table *table = NULL;
	notify_reloading();
	if (cmd_config_build(&fresh, d->config_path, &d->ov, err, sizeof err) < 0) {
		log_err("reload refused, the running configuration stays: %s", err);
		goto refused;
	}
	if (fresh.scoring_file && fresh.scoring_file[0] &&
	    scoring_load(fresh.scoring_file, &table, err, sizeof err) < 0) {
		log_err("reload refused, the running configuration stays: %s", err);
		goto refused;
	}
	if (daemon_keep_fixed(d, &fresh))
		log_warn("reload: store.path and log.syslog change at the next restart only");
	if (d->stopping) {
		log_info("reload ignored: the daemon is stopping");
		config_clear(&fresh);
		score_table_free(table);
		return;
	}
	/* A rebuild already waiting takes this newer file too, whatever it changes. */
	if (d->rebuild || daemon_needs_rebuild(d, &fresh)) {
		config_clear(&d->next);
		score_table_free(d->next_score);
		d->next = fresh;
		d->next_score = table;
		memset(&fresh, 0, sizeof fresh);
		table = NULL;
		if (!d->rebuild)
			log_info("reload: finishing the %zu scan(s) in flight, then restarting the "
				 "scanner with the new configuration",
				 engine_stats(d->e)->in_flight);
		d->rebuild = 1;
		engine_drain(d->e);
		daemon_arm_grace(d);
		return; /* READY=1 once the new engine runs */
	}
	int same = config_equal(&fresh, &d->cfg) &&
		   score_table_equal(table ? table : score_table_builtin(),
				     engine_score_table(d->e));
	if (fresh.batch_size != d->cfg.batch_size || fresh.batch_ms != d->cfg.batch_ms) {
		store_flush(d->st); /* the batch timer is replaced: commit what it guarded */
		store_set_batching(d->st, engine_base(d->e), fresh.batch_size, fresh.batch_ms);
	}
	engine_set_score_table(d->e, table ? table : score_table_builtin());
	daemon_install(d, &fresh, table);
	daemon_log_config(d,
			  same ? "configuration reloaded (unchanged)" : "configuration reloaded");
	notify_ready();
	return;
refused:
	config_clear(&fresh);
	score_table_free(table);
	notify_ready();
}

static void daemon_on_hup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	daemon_reload(arg);
}

/* An engine on the live configuration, with the daemon's events on its loop. 0, or -1 logged. */
static int daemon_engine_start(struct daemon *d)
{
	char err[512];
	if ((d->e = engine_new(&d->cfg, d->st, err, sizeof err)) == NULL) {
		log_err("%s", err);
		return -1;
	}
	if (d->score)
		engine_set_score_table(d->e, d->score);
	engine_set_source(d->e, daemon_source, d, 0, DAEMON_POLL_MS);
	struct event_base *base = engine_base(d->e);
	d->status = event_new(base, -1, EV_PERSIST, daemon_on_status, d);
	d->hup = evsignal_new(base, SIGHUP, daemon_on_hup, d);
	d->term = evsignal_new(base, SIGTERM, daemon_on_stop, d);
	d->intr = evsignal_new(base, SIGINT, daemon_on_stop, d);
	d->grace = evtimer_new(base, daemon_on_grace, d);
	struct timeval tv = {DAEMON_STATUS_MS / 1000, 0}, now = {0, 0};
	event_add(d->status, &tv);
	event_add(d->hup, NULL);
	event_add(d->term, NULL);
	event_add(d->intr, NULL);
	uint64_t wd = notify_watchdog_usec();
	if (wd) {
		d->watchdog = event_new(base, -1, EV_PERSIST, daemon_on_watchdog, d);
		struct timeval half = {(time_t)(wd / 2000000), (suseconds_t)(wd / 2 % 1000000)};
		event_add(d->watchdog, &half);
	}
	/* READY once the loop actually runs. */
	event_base_once(base, -1, EV_TIMEOUT, daemon_on_ready, d, &now);
	return 0;
}

/* The engine is done (drained, or cut short): free it, commit what its scans handed in, and put
 * back what was still running. In this order: freeing the engine may finish scans (their DNS
 * callbacks run), and their results must be committed before their rows could be claimed again. */
static int daemon_engine_stop(struct daemon *d)
{
	struct event *evs[] = {d->status, d->hup, d->term, d->intr, d->grace, d->watchdog};
	for (size_t i = 0; i < sizeof evs / sizeof *evs; i++)
		if (evs[i])
			event_free(evs[i]);
	d->status = d->hup = d->term = d->intr = d->grace = d->watchdog = NULL;
	if (d->e)
		d->finished += engine_stats(d->e)->finished;
	engine_free(d->e);
	d->e = NULL;
	if (store_flush(d->st) < 0) {
		/* Their rows stay running: the next start re-queues them, after this process (and
		 * its batch) is gone. */
		log_err("cannot commit the last results; stopping");
		return -1;
	}
	int requeued = store_requeue_running(d->st);
	if (requeued > 0)
		log_warn("%d unfinished domain(s) went back to the queue", requeued);
	return requeued < 0 ? -1 : 0;
}

/* After a reload's drain: the engine again, on the new configuration; if it cannot be built
 * (a trust anchor that does not load, an exclude entry...), on the old one. 0, or -1. */
static int daemon_rebuild(struct daemon *d)
{
	struct config old = {0};
	config_copy(&old, &d->cfg);
	struct score_table *old_score = d->score;
	d->score = NULL; /* kept for a fallback, not freed by daemon_install */
	daemon_install(d, &d->next, d->next_score);
	d->next_score = NULL;
	d->rebuild = 0;
	if (daemon_engine_start(d) == 0) {
		daemon_log_config(d, "configuration reloaded (scanner restarted)");
		config_clear(&old);
		score_table_free(old_score);
		return 0;
	}
	log_err("reload refused, the previous configuration stays");
	daemon_install(d, &old, old_score);
	if (daemon_engine_start(d) < 0)
		return -1;
	daemon_log_config(d, "scanner restarted with the previous configuration");
	return 0;
}

static int daemon_parse(int argc, char **argv, struct daemon *d)
{
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "c:vqh", daemon_options, NULL)) != -1) {
		switch (c) {
		case 'c': d->config_path = optarg; break;
		case OPT_DB: d->db = optarg; break;
		case OPT_SET:
			if (cmd_overrides_add(&d->ov, optarg) < 0)
				return -1;
			break;
		case 'v': d->verbosity = d->verbosity < 0 ? 0 : d->verbosity + 1; break;
		case 'q': d->verbosity = -1; break;
		case OPT_SYSLOG: d->syslog = 1; break;
		case 'h': fputs(daemon_usage, stdout); return 1;
		default: fputs(daemon_usage, stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "mxsurvey daemon: unexpected argument '%s'\n%s", argv[optind],
			daemon_usage);
		return -1;
	}
	return 0;
}

/* Store, scoring table, engine and events. EXIT_OK or the exit code of the failure (logged). */
static int daemon_setup(struct daemon *d)
{
	char err[512];
	if (d->cfg.scoring_file && d->cfg.scoring_file[0] &&
	    scoring_load(d->cfg.scoring_file, &d->score, err, sizeof err) < 0) {
		log_err("%s", err);
		return EXIT_USAGE;
	}
	if ((d->st = store_open(d->db, err, sizeof err)) == NULL) {
		log_err("cannot open the store: %s", err);
		return EXIT_RUNTIME;
	}
	if (store_lock_exclusive(d->st, err, sizeof err) < 0) {
		log_err("%s", err);
		return EXIT_RUNTIME;
	}
	/* Whatever a killed predecessor was scanning has no result (results and the move to done
	 * commit together): scan it again. */
	int requeued = store_requeue_running(d->st);
	if (requeued < 0)
		return EXIT_RUNTIME;
	if (requeued)
		log_warn("%d domain(s) left running by a previous run went back to the queue",
			 requeued);
	return daemon_engine_start(d) < 0 ? EXIT_RUNTIME : EXIT_OK;
}

static void daemon_teardown(struct daemon *d)
{
	if (d->e)
		daemon_engine_stop(d);
	store_close(d->st);
	score_table_free(d->score);
	score_table_free(d->next_score);
	config_clear(&d->next);
	for (size_t i = 0; i < d->n_retired; i++)
		config_clear(&d->retired[i]);
	free(d->retired);
	config_clear(&d->cfg);
	cmd_overrides_clear(&d->ov);
}

int cmd_daemon(int argc, char **argv)
{
	struct daemon d = {0};
	char err[512];
	int rc = daemon_parse(argc, argv, &d);
	if (rc != 0) {
		cmd_overrides_clear(&d.ov);
		return rc > 0 ? EXIT_OK : EXIT_USAGE;
	}
	if (cmd_config_build(&d.cfg, d.config_path, &d.ov, err, sizeof err) < 0) {
		fprintf(stderr, "mxsurvey: %s\n", err);
		daemon_teardown(&d);
		return EXIT_USAGE;
	}
	cmd_log_setup(&d.cfg, d.verbosity, d.syslog);
	if (d.db == NULL)
		d.db = d.cfg.store_path;
	if (d.db == NULL || d.db[0] == '\0') {
		fprintf(stderr, "mxsurvey: the daemon needs a database: --db PATH or store.path\n");
		daemon_teardown(&d);
		return EXIT_USAGE;
	}
	rc = daemon_setup(&d);
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGHUP);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	while (rc == EXIT_OK) {
		if (engine_run(d.e) < 0)
			rc = EXIT_RUNTIME;
		/* Between two engines no handler is installed: hold the signals for the next one. */
		sigprocmask(SIG_BLOCK, &sigs, NULL);
		if (daemon_engine_stop(&d) < 0)
			rc = EXIT_RUNTIME;
		if (rc != EXIT_OK || d.stopping || !d.rebuild)
			break;
		if (daemon_rebuild(&d) < 0)
			rc = EXIT_RUNTIME;
		sigprocmask(SIG_UNBLOCK, &sigs, NULL);
	}
	if (d.e == NULL)
		log_info("stopped: %llu domain(s) scanned in this run",
			 (unsigned long long)d.finished);
	daemon_teardown(&d);
	return rc;
}
