/* spf_conformance.c — runs SPF test suites in the openspf.org YAML format (RFC 7208, RFC 4408,
 * pyspf's and go-spf's, as Debian's golang-blitiri-go-spf-dev ships them) against the SPF
 * evaluator: each document's zonedata is served by an in-process fake resolver, every test's
 * result (and explanation, where given) is compared; one line per test and a summary. A document
 * whose zonedata cannot be loaded fails every one of its tests. Tests listed in an expected-
 * differences file (-x: pyspf extensions outside the RFCs) are reported and counted as skipped;
 * a listed test that passes, or that no suite holds, is a failure (the list must stay true). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <yaml.h>

#include "checks/dns_answer.h"
#include "checks/spf.h"
#include "common/xalloc.h"

/* CNAME chains longer than this are reported as a resolver error (a loop). */
#define FAKE_CNAME_MAX 8
/* A run that takes more steps than this is a bug in the evaluator, not a slow zone. */
#define FAKE_STEP_MAX 1000

/* One zonedata entry of a name, in the order given (TIMEOUT entries included). */
struct zone_item {
	bool timeout;	     /* the TIMEOUT marker ("TIMEOUT" or "TIMEOUT: true") */
	bool servfail;	     /* "SERVFAIL: true": the server fails for this name */
	bool cnameloop;	     /* "CNAMELOOP: true": the name is an alias of itself */
	uint16_t type;	     /* RR type (DNS_TYPE_SPF for "SPF") */
	bool none;	     /* "TXT: NONE": the name has TXT data, but no record */
	char *text;	     /* owned: A/AAAA/PTR/CNAME/MX target, or NULL */
	unsigned char *data; /* owned: TXT/SPF strings concatenated, or NULL */
	size_t len;	     /* length of data */
	uint16_t pref;	     /* MX preference */
};

struct zone_name {
	char *name;		/* owned: as written in the suite */
	struct zone_item *item; /* owned: its entries */
	size_t n;		/* how many */
	bool has_txt;		/* some entry is TXT: SPF entries are then not copied to TXT */
};

struct zone {
	struct zone_name *names; /* owned */
	size_t n;		 /* how many */
};

static void zone_free(struct zone *z)
{
	for (size_t i = 0; i < z->n; i++) {
		for (size_t j = 0; j < z->names[i].n; j++) {
			free(z->names[i].item[j].text);
			free(z->names[i].item[j].data);
		}
		free(z->names[i].item);
		free(z->names[i].name);
	}
	free(z->names);
	memset(z, 0, sizeof *z);
}

static bool name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

static const struct zone_name *zone_find(const struct zone *z, const char *name)
{
	for (size_t i = 0; i < z->n; i++)
		if (name_eq(z->names[i].name, name))
			return &z->names[i];
	return NULL;
}

/* ---- YAML ---- */

static yaml_node_t *node_get(yaml_document_t *doc, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(doc, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(doc, p->value);
	}
	return NULL;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static uint16_t zone_type(const char *t)
{
	static const struct {
		const char *name; /* as written in the zone */
		uint16_t type;	  /* the RR type */
	} types[] = {
	    {"A", DNS_TYPE_A},	       {"AAAA", DNS_TYPE_AAAA}, {"MX", DNS_TYPE_MX},
	    {"TXT", DNS_TYPE_TXT},     {"SPF", DNS_TYPE_SPF},	{"PTR", SPF_TYPE_PTR},
	    {"CNAME", DNS_TYPE_CNAME},
	};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strcmp(t, types[i].name) == 0)
			return types[i].type;
	return 0;
}

/* Append a scalar's bytes (which may hold NUL, from "\0") to a TXT item. */
static void item_append(struct zone_item *it, yaml_node_t *s)
{
	size_t l = s->data.scalar.length;
	it->data = xrealloc(it->data, it->len + l + 1);
	memcpy(it->data + it->len, s->data.scalar.value, l);
	it->len += l;
	it->data[it->len] = '\0';
}

static int zone_add_item(yaml_document_t *doc, struct zone_name *zn, yaml_node_t *item)
{
	struct zone_item it = {0};
	const char *s = scalar(item);
	if (s) {
		if (strcmp(s, "TIMEOUT") != 0) {
			fprintf(stderr, "zone %s: unknown entry '%s'\n", zn->name, s);
			return -1;
		}
		it.timeout = true;
	} else if (item && item->type == YAML_MAPPING_NODE &&
		   item->data.mapping.pairs.top - item->data.mapping.pairs.start == 1) {
		yaml_node_pair_t *p = item->data.mapping.pairs.start;
		const char *t = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *v = yaml_document_get_node(doc, p->value);
		/* go-spf's copy writes the markers as mappings: "TIMEOUT: true". */
		bool *marker = t == NULL		    ? NULL
			       : strcmp(t, "TIMEOUT") == 0   ? &it.timeout
			       : strcmp(t, "SERVFAIL") == 0  ? &it.servfail
			       : strcmp(t, "CNAMELOOP") == 0 ? &it.cnameloop
							     : NULL;
		if (marker) {
			const char *b = scalar(v);
			if (b == NULL || (strcmp(b, "true") != 0 && strcmp(b, "false") != 0)) {
				fprintf(stderr, "zone %s: %s wants true or false\n", zn->name, t);
				return -1;
			}
			if (strcmp(b, "false") == 0)
				return 0;
			*marker = true;
			goto add;
		}
		it.type = t ? zone_type(t) : 0;
		if (it.type == 0) {
			fprintf(stderr, "zone %s: unknown type '%s'\n", zn->name, t ? t : "?");
			return -1;
		}
		if (it.type == DNS_TYPE_TXT)
			zn->has_txt = true;
		if (it.type == DNS_TYPE_TXT || it.type == DNS_TYPE_SPF) {
			it.data = xcalloc(1, 1);
			if (v->type == YAML_SCALAR_NODE && strcmp(scalar(v), "NONE") == 0)
				it.none = true;
			else if (v->type == YAML_SCALAR_NODE)
				item_append(&it, v);
			else if (v->type == YAML_SEQUENCE_NODE)
				for (yaml_node_item_t *q = v->data.sequence.items.start;
				     q < v->data.sequence.items.top; q++)
					item_append(&it, yaml_document_get_node(doc, *q));
		} else if (it.type == DNS_TYPE_MX) {
			if (v->type != YAML_SEQUENCE_NODE ||
			    v->data.sequence.items.top - v->data.sequence.items.start != 2) {
				fprintf(stderr, "zone %s: MX needs [pref, name]\n", zn->name);
				return -1;
			}
			it.pref = (uint16_t)atoi(
			    scalar(yaml_document_get_node(doc, v->data.sequence.items.start[0])));
			it.text = xstrdup(
			    scalar(yaml_document_get_node(doc, v->data.sequence.items.start[1])));
		} else {
			if (scalar(v) == NULL) {
				fprintf(stderr, "zone %s: %s needs a scalar\n", zn->name, t);
				return -1;
			}
			it.text = xstrdup(scalar(v));
		}
	} else {
		fprintf(stderr, "zone %s: bad entry\n", zn->name);
		return -1;
	}
add:
	zn->item = xrealloc(zn->item, (zn->n + 1) * sizeof *zn->item);
	zn->item[zn->n++] = it;
	return 0;
}

static int zone_load(yaml_document_t *doc, yaml_node_t *zd, struct zone *z)
{
	if (zd == NULL || zd->type != YAML_MAPPING_NODE)
		return 0;
	for (yaml_node_pair_t *p = zd->data.mapping.pairs.start; p < zd->data.mapping.pairs.top;
	     p++) {
		const char *name = scalar(yaml_document_get_node(doc, p->key));
		yaml_node_t *items = yaml_document_get_node(doc, p->value);
		if (name == NULL || items == NULL || items->type != YAML_SEQUENCE_NODE)
			return -1;
		z->names = xrealloc(z->names, (z->n + 1) * sizeof *z->names);
		struct zone_name *zn = &z->names[z->n++];
		memset(zn, 0, sizeof *zn);
		zn->name = xstrdup(name);
		for (yaml_node_item_t *q = items->data.sequence.items.start;
		     q < items->data.sequence.items.top; q++)
			if (zone_add_item(doc, zn, yaml_document_get_node(doc, *q)) < 0)
				return -1;
	}
	return 0;
}

/* ---- the fake resolver ---- */

/* Does the entry answer a query of qtype? SPF (type 99) entries stand in for TXT when the name
 * has no TXT entry: the suite relies on drivers copying them (its header says so); RFC 7208
 * evaluators ask for TXT only, so a name with TXT entries shows its SPF entries to nobody. */
static bool item_answers(const struct zone_name *zn, const struct zone_item *it, uint16_t qtype)
{
	if (qtype == DNS_TYPE_TXT)
		return zn->has_txt ? it->type == DNS_TYPE_TXT && !it->none
				   : it->type == DNS_TYPE_SPF;
	return it->type == qtype && !it->none;
}

static void zone_resolve(const struct zone *z, const char *qname, uint16_t qtype,
			 struct dns_answer *a, int depth)
{
	const struct zone_name *zn = zone_find(z, qname);
	if (zn == NULL) {
		a->status = DNS_STATUS_NXDOMAIN;
		a->rcode = 3;
		return;
	}
	size_t found = 0;
	const char *cname = NULL;
	for (size_t i = 0; i < zn->n; i++) {
		const struct zone_item *it = &zn->item[i];
		if (it->servfail || it->cnameloop) {
			/* A loop is what a resolver reports as SERVFAIL, as below. */
			dns_answer_clear(a);
			a->qname = xstrdup(qname);
			a->qtype = qtype;
			a->status = DNS_STATUS_SERVFAIL;
			a->rcode = 2;
			return;
		}
		if (it->timeout) {
			/* As the suite's reference driver: entries before the marker are served,
			 * a query that found none of its type times out. */
			if (found == 0) {
				dns_answer_clear(a);
				a->qname = xstrdup(qname);
				a->qtype = qtype;
				a->status = DNS_STATUS_TIMEOUT;
				a->rcode = -1;
				return;
			}
			break;
		}
		if (it->type == DNS_TYPE_CNAME)
			cname = it->text;
		if (!item_answers(zn, it, qtype))
			continue;
		struct dns_rdata *rd = dns_answer_add(a, qtype, it->text, it->data, it->len);
		rd->pref = it->pref;
		found++;
	}
	if (found) {
		a->status = DNS_STATUS_OK;
		a->rcode = 0;
		return;
	}
	if (cname && qtype != DNS_TYPE_CNAME) {
		if (depth >= FAKE_CNAME_MAX) {
			a->status = DNS_STATUS_SERVFAIL; /* what a resolver says about a loop */
			a->rcode = 2;
			return;
		}
		free(a->canonical);
		a->canonical = xstrdup(cname);
		zone_resolve(z, cname, qtype, a, depth + 1);
		return;
	}
	a->status = DNS_STATUS_NODATA;
	a->rcode = 0;
}

/* ---- running the tests ---- */

/* One line of the expected-differences file: a test this evaluator answers differently on
 * purpose, and why. */
struct expected {
	char *suite;  /* owned: the suite file's base name */
	char *test;   /* owned: the test's name */
	char *reason; /* owned: why it differs */
	bool seen;    /* some suite held the test */
};

struct tally {
	int passed;		 /* tests that gave an allowed result */
	int failed;		 /* tests that did not (or could not run) */
	int skipped;		 /* expected differences */
	bool verbose;		 /* -v: also show result and reason of passing tests */
	const char *suite;	 /* borrowed: base name of the file being run */
	struct expected *expect; /* owned: the expected differences */
	size_t n_expect;	 /* how many */
};

static struct expected *expected_find(struct tally *tally, const char *test)
{
	for (size_t i = 0; i < tally->n_expect; i++)
		if (strcmp(tally->expect[i].suite, tally->suite) == 0 &&
		    strcmp(tally->expect[i].test, test) == 0)
			return &tally->expect[i];
	return NULL;
}

/* "SUITE TEST REASON..." per line; '#' comments and blank lines ignored. 0, or -1. */
static int expected_load(struct tally *tally, const char *path)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		perror(path);
		return -1;
	}
	char line[1024];
	int rc = 0, lineno = 0;
	while (rc == 0 && fgets(line, sizeof line, f)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		char *p = line + strspn(line, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		char *suite = strtok(p, " \t"), *test = strtok(NULL, " \t"), *why = strtok(NULL, "");
		if (why)
			why += strspn(why, " \t");
		if (suite == NULL || test == NULL || why == NULL || *why == '\0') {
			fprintf(stderr, "%s:%d: want SUITE TEST REASON\n", path, lineno);
			rc = -1;
			break;
		}
		tally->expect = xrealloc(tally->expect, (tally->n_expect + 1) * sizeof *tally->expect);
		tally->expect[tally->n_expect++] = (struct expected){
		    .suite = xstrdup(suite), .test = xstrdup(test), .reason = xstrdup(why)};
	}
	fclose(f);
	return rc;
}

static bool result_allowed(yaml_document_t *doc, yaml_node_t *want, const char *got)
{
	if (scalar(want))
		return strcmp(scalar(want), got) == 0;
	if (want && want->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *q = want->data.sequence.items.start;
		     q < want->data.sequence.items.top; q++)
			if (scalar(yaml_document_get_node(doc, *q)) &&
			    strcmp(scalar(yaml_document_get_node(doc, *q)), got) == 0)
				return true;
	return false;
}

static void want_text(yaml_document_t *doc, yaml_node_t *want, char *buf, size_t len)
{
	if (scalar(want)) {
		snprintf(buf, len, "%s", scalar(want));
		return;
	}
	size_t o = 0;
	buf[0] = '\0';
	if (want && want->type == YAML_SEQUENCE_NODE)
		for (yaml_node_item_t *q = want->data.sequence.items.start;
		     q < want->data.sequence.items.top && o < len; q++)
			o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? "|" : "",
					      scalar(yaml_document_get_node(doc, *q)));
}

static void run_test(yaml_document_t *doc, const struct zone *z, const char *section,
		     const char *name, yaml_node_t *t, struct tally *tally)
{
	const char *host = scalar(node_get(doc, t, "host"));
	const char *mailfrom = scalar(node_get(doc, t, "mailfrom"));
	const char *helo = scalar(node_get(doc, t, "helo"));
	const char *exp = scalar(node_get(doc, t, "explanation"));
	yaml_node_t *want = node_get(doc, t, "result");
	struct expected *x = expected_find(tally, name);
	if (x)
		x->seen = true;
	/* go-spf's own suite leaves helo out where only MAIL FROM matters. */
	if (helo == NULL && mailfrom && mailfrom[0])
		helo = "";
	if (!host || !helo || !want) {
		printf("FAIL %s %s %s: test lacks host, helo or result\n", tally->suite, section,
		       name);
		tally->failed++;
		return;
	}
	/* RFC 7208 §2.4: with a null MAIL FROM, <sender> is postmaster@<HELO>. */
	const char *domain = helo;
	if (mailfrom && mailfrom[0]) {
		const char *at = strrchr(mailfrom, '@');
		domain = at ? at + 1 : mailfrom;
	} else {
		mailfrom = NULL;
	}
	struct spf_eval *e = spf_eval_new(domain, mailfrom, host, helo);
	struct dns_question q;
	int steps = 0;
	while (spf_eval_step(e, &q) == SPF_STEP_NEED_DNS && steps++ < FAKE_STEP_MAX) {
		struct dns_answer a = {0};
		a.qname = xstrdup(q.name);
		a.qtype = q.type;
		a.rcode = -1;
		zone_resolve(z, q.name, q.type, &a, 0);
		spf_eval_answer(e, &a);
		dns_answer_clear(&a);
	}
	const struct spf_outcome *o = spf_eval_outcome(e);
	const char *got = spf_result_name(o->result);
	const char *got_exp = o->explanation[0] ? o->explanation : "DEFAULT";
	char wanted[128], why[512] = "";
	want_text(doc, want, wanted, sizeof wanted);
	if (steps >= FAKE_STEP_MAX)
		snprintf(why, sizeof why, "no result after %d DNS answers", steps);
	else if (!result_allowed(doc, want, got))
		snprintf(why, sizeof why, "expected %s got %s (%.300s)", wanted, got, o->reason);
	else if (exp && strcmp(exp, got_exp) != 0)
		/* The suite's "DEFAULT" is the driver's default explanation: no exp= text. */
		snprintf(why, sizeof why, "expected explanation \"%.100s\" got \"%.100s\" (%.200s)", exp,
			 got_exp, o->reason);
	if (x && why[0]) {
		printf("skip %s %s %s: expected difference: %s [%s]\n", tally->suite, section, name,
		       x->reason, why);
		tally->skipped++;
	} else if (x) {
		printf("FAIL %s %s %s: listed as an expected difference (%s) but passes: remove it "
		       "from the list\n",
		       tally->suite, section, name, x->reason);
		tally->failed++;
	} else if (why[0]) {
		printf("FAIL %s %s %s: %s\n", tally->suite, section, name, why);
		tally->failed++;
	} else {
		if (tally->verbose)
			printf("ok %s %s %s: %s, %d lookups, %d void (%s)\n", tally->suite, section,
			       name, got, o->dns_lookups, o->void_lookups, o->reason);
		else
			printf("ok %s %s %s\n", tally->suite, section, name);
		tally->passed++;
	}
	spf_eval_free(e);
}

static int run_document(yaml_document_t *doc, struct tally *tally)
{
	yaml_node_t *root = yaml_document_get_root_node(doc);
	const char *section = scalar(node_get(doc, root, "description"));
	yaml_node_t *tests = node_get(doc, root, "tests");
	struct zone z = {0};
	if (section == NULL)
		section = "?";
	if (zone_load(doc, node_get(doc, root, "zonedata"), &z) < 0) {
		/* Its tests cannot run: each one is a failure, never a silent skip. */
		int n = 0;
		if (tests && tests->type == YAML_MAPPING_NODE)
			for (yaml_node_pair_t *p = tests->data.mapping.pairs.start;
			     p < tests->data.mapping.pairs.top; p++, n++)
				printf("FAIL %s %s %s: the scenario's zonedata cannot be loaded\n",
				       tally->suite, section,
				       scalar(yaml_document_get_node(doc, p->key)));
		tally->failed += n ? n : 1;
		if (n == 0)
			printf("FAIL %s %s: zonedata cannot be loaded\n", tally->suite, section);
		zone_free(&z);
		return -1;
	}
	if (tests && tests->type == YAML_MAPPING_NODE)
		for (yaml_node_pair_t *p = tests->data.mapping.pairs.start;
		     p < tests->data.mapping.pairs.top; p++)
			run_test(doc, &z, section, scalar(yaml_document_get_node(doc, p->key)),
				 yaml_document_get_node(doc, p->value), tally);
	zone_free(&z);
	return 0;
}

/* Run every document of one suite file. 0, or -1 when it could not all be read (the tests of
 * documents not reached are not counted: the failure is). */
static int run_file(const char *path, struct tally *tally)
{
	FILE *fp = fopen(path, "rb");
	if (fp == NULL) {
		perror(path);
		printf("FAIL %s: cannot open the suite\n", path);
		tally->failed++;
		return -1;
	}
	const char *slash = strrchr(path, '/');
	tally->suite = slash ? slash + 1 : path;
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, fp);
	int rc = 0;
	for (;;) {
		yaml_document_t doc;
		if (!yaml_parser_load(&parser, &doc)) {
			printf("FAIL %s: YAML error: %s (line %zu)\n", tally->suite,
			       parser.problem ? parser.problem : "?", parser.problem_mark.line + 1);
			tally->failed++;
			rc = -1;
			break;
		}
		if (yaml_document_get_root_node(&doc) == NULL) {
			yaml_document_delete(&doc);
			break;
		}
		if (run_document(&doc, tally) < 0)
			rc = -1;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	fclose(fp);
	return rc;
}

int main(int argc, char **argv)
{
	struct tally tally = {0};
	int c;
	while ((c = getopt(argc, argv, "vx:")) != -1) {
		switch (c) {
		case 'v': tally.verbose = true; break;
		case 'x':
			if (expected_load(&tally, optarg) < 0)
				return 2;
			break;
		default: argc = 0; break;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: %s [-v] [-x expected-differences] suite.yml...\n",
			argv[0]);
		return 2;
	}
	int rc = 0;
	for (int i = optind; i < argc; i++)
		if (run_file(argv[i], &tally) < 0)
			rc = 1;
	for (size_t i = 0; i < tally.n_expect; i++) {
		if (!tally.expect[i].seen) {
			printf("FAIL %s %s: listed as an expected difference, but no suite run has "
			       "it\n",
			       tally.expect[i].suite, tally.expect[i].test);
			tally.failed++;
		}
		free(tally.expect[i].suite);
		free(tally.expect[i].test);
		free(tally.expect[i].reason);
	}
	free(tally.expect);
	printf("%d passed, %d failed, %d skipped\n", tally.passed, tally.failed, tally.skipped);
	return rc || tally.failed ? 1 : 0;
}
