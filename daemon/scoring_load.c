/* scoring_load.c — reads config/scoring.yaml (libyaml document API) into a struct score_table,
 * checking every key, protocol name and score and reporting the first error as file:line:col.
 * Owns the table it builds until it hands it to the caller. */
#include "daemon/yamlfile.h"
#include "daemon/scoring_load.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "common/xalloc.h"

/* The table is a page of text; the cap keeps a mistaken path from being read whole. */

struct scoring_loader {
	const char *path;      /* borrowed: the file name for messages */
	yaml_document_t *doc;  /* borrowed: the parsed document */
	struct score_table *t; /* owned: being filled */
	char *err;	       /* borrowed: the caller's buffer */
	size_t errlen;	       /* its size */
};

/* One key of a mapping that may appear at most once. */
struct scoring_key {
	const char *name;	 /* the key */
	const yaml_node_t *key;	 /* borrowed: where it was written, NULL when absent */
	const yaml_node_t *value; /* borrowed: its value */
};

static int scoring_fail(struct scoring_loader *ld, yaml_mark_t mark, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int scoring_fail(struct scoring_loader *ld, yaml_mark_t mark, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	yamlfile_verror(ld->err, ld->errlen, ld->path, mark, fmt, ap);
	va_end(ap);
	return -1;
}

/* Untagged nodes carry their default tag; an explicit one (!!int, !foo) means nothing here. */
static int scoring_check_tag(struct scoring_loader *ld, const yaml_node_t *node)
{
	if (!yamlfile_node_tag_ok(node))
		return scoring_fail(ld, node->start_mark, "YAML tag '%s' is not supported here",
				    (const char *)node->tag);
	return 0;
}

/* The text of a non-empty string scalar, or NULL after failing with "what: ...". */
static const char *scoring_scalar(struct scoring_loader *ld, const yaml_node_t *node,
				  const char *what)
{
	if (scoring_check_tag(ld, node) < 0)
		return NULL;
	if (node->type != YAML_SCALAR_NODE || yamlfile_node_is_null(node)) {
		scoring_fail(ld, node->start_mark, "%s: expected a value, got %s", what,
			     node->type == YAML_SCALAR_NODE ? "nothing" : yamlfile_node_kind(node));
		return NULL;
	}
	const char *s = (const char *)node->data.scalar.value;
	if (strlen(s) != node->data.scalar.length) {
		scoring_fail(ld, node->start_mark, "%s: value contains a NUL byte", what);
		return NULL;
	}
	return s;
}

/* Sort the pairs of a mapping into keys[] (n of them, names set by the caller): unknown and
 * repeated keys are errors. where names the mapping in messages. */
static int scoring_keys(struct scoring_loader *ld, const yaml_node_t *map, const char *where,
			struct scoring_key *keys, size_t n, const char *expected)
{
	if (scoring_check_tag(ld, map) < 0)
		return -1;
	if (map->type != YAML_MAPPING_NODE)
		return scoring_fail(ld, map->start_mark, "%s: expected a mapping (%s), got %s",
				    where, expected, yamlfile_node_kind(map));
	for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		if (key == NULL || val == NULL)
			continue;
		const char *name = scoring_scalar(ld, key, where);
		if (name == NULL)
			return -1;
		size_t i = 0;
		while (i < n && strcmp(keys[i].name, name) != 0)
			i++;
		if (i == n)
			return scoring_fail(ld, key->start_mark,
					    "%s: unknown key '%s' (expected %s)", where, name,
					    expected);
		if (keys[i].key != NULL)
			return scoring_fail(ld, key->start_mark,
					    "%s: duplicate key '%s' (first at line %zu)", where,
					    name, keys[i].key->start_mark.line + 1);
		keys[i].key = key;
		keys[i].value = val;
	}
	return 0;
}

static int scoring_load_mode(struct scoring_loader *ld, const yaml_node_t *node)
{
	const char *s = scoring_scalar(ld, node, "mode");
	if (s == NULL)
		return -1;
	int m = score_mode_parse(s);
	if (m < 0)
		return scoring_fail(ld, node->start_mark,
				    "mode: expected fixed or mecsa-st, got '%s'", s);
	ld->t->mode = (enum score_mode)m;
	return 0;
}

static int scoring_load_threshold(struct scoring_loader *ld, const yaml_node_t *node)
{
	const char *s = scoring_scalar(ld, node, "threshold");
	if (s == NULL)
		return -1;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v))
		return scoring_fail(ld, node->start_mark, "threshold: '%s' is not a number", s);
	if (!(v > 0 && v <= 100))
		return scoring_fail(ld, node->start_mark,
				    "threshold: %s is out of range (a percentage, 0 < t <= 100)",
				    s);
	ld->t->threshold = v;
	return 0;
}

/* A protocol name; -1 after failing. */
static int scoring_proto(struct scoring_loader *ld, const yaml_node_t *node, const char *where)
{
	const char *s = scoring_scalar(ld, node, where);
	if (s == NULL)
		return -1;
	int p = score_proto_parse(s);
	if (p < 0)
		return scoring_fail(ld, node->start_mark,
				    "%s: unknown protocol '%s' (expected starttls, x509, spf, "
				    "spf_policy, dkim, dmarc, dmarc_policy, dane, dnssec, mta-sts)",
				    where, s);
	return p;
}

/* The items of a list (null = empty); -1 after failing when node is not a list. */
static int scoring_list(struct scoring_loader *ld, const yaml_node_t *node, const char *where,
			const char *expected, yaml_node_item_t **start, yaml_node_item_t **top)
{
	*start = *top = NULL;
	if (scoring_check_tag(ld, node) < 0)
		return -1;
	if (yamlfile_node_is_null(node))
		return 0;
	if (node->type != YAML_SEQUENCE_NODE)
		return scoring_fail(ld, node->start_mark, "%s: expected %s, got %s", where,
				    expected, yamlfile_node_kind(node));
	*start = node->data.sequence.items.start;
	*top = node->data.sequence.items.top;
	return 0;
}

static int scoring_load_protocols(struct scoring_loader *ld, enum mecsa_category c,
				  const yaml_node_t *node)
{
	/* mecsa-st only tests these after the protocol they refine. */
	static const struct {
		enum mecsa_proto proto; /* the dependent protocol */
		enum mecsa_proto needs; /* what it needs in the same category */
	} deps[] = {
		{MECSA_X509, MECSA_STARTTLS},
		{MECSA_SPF_POLICY, MECSA_SPF},
		{MECSA_DMARC_POLICY, MECSA_DMARC},
	};
	char where[64];
	struct score_category *cat = &ld->t->cat[c];
	const yaml_node_t *at[MECSA_PROTO_MAX] = {NULL};
	yaml_node_item_t *it, *top;

	snprintf(where, sizeof where, "%s.protocols", mecsa_category_name(c));
	if (scoring_list(ld, node, where, "a list of protocols", &it, &top) < 0)
		return -1;
	for (; it < top; it++) {
		yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
		if (item == NULL)
			continue;
		int p = scoring_proto(ld, item, where);
		if (p < 0)
			return -1;
		if (at[p] != NULL)
			return scoring_fail(ld, item->start_mark,
					    "%s: '%s' is listed twice (first at line %zu)", where,
					    mecsa_proto_name(p), at[p]->start_mark.line + 1);
		at[p] = item;
		cat->protocols[cat->nprotocols++] = (unsigned char)p;
	}
	if (cat->nprotocols == 0)
		return scoring_fail(ld, node->start_mark,
				    "%s: a category needs at least one protocol", where);
	for (size_t i = 0; i < sizeof deps / sizeof deps[0]; i++)
		if (at[deps[i].proto] != NULL && at[deps[i].needs] == NULL)
			return scoring_fail(ld, at[deps[i].proto]->start_mark,
					    "%s: %s requires %s in the same category", where,
					    mecsa_proto_name(deps[i].proto),
					    mecsa_proto_name(deps[i].needs));
	return 0;
}

static int scoring_load_combo(struct scoring_loader *ld, enum mecsa_category c, int score,
			      const yaml_node_t *node, const char *where)
{
	const struct score_category *cat = &ld->t->cat[c];
	unsigned char proto[MECSA_PROTO_MAX];
	size_t n = 0;
	unsigned seen = 0, allowed = 0;

	for (size_t i = 0; i < cat->nprotocols; i++)
		allowed |= SCORE_BIT(cat->protocols[i]);
	if (scoring_check_tag(ld, node) < 0)
		return -1;
	/* "- " alone is more likely a slip than a deliberate empty set: that one is "- []". */
	if (node->type != YAML_SEQUENCE_NODE)
		return scoring_fail(ld, node->start_mark,
				    "%s: a combination is a list of protocols, got %s", where,
				    yamlfile_node_is_null(node) ? "nothing"
							       : yamlfile_node_kind(node));
	for (yaml_node_item_t *it = node->data.sequence.items.start;
	     it < node->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
		if (item == NULL)
			continue;
		int p = scoring_proto(ld, item, where);
		if (p < 0)
			return -1;
		if (!(allowed & SCORE_BIT(p)))
			return scoring_fail(ld, item->start_mark,
					    "%s: '%s' is not one of %s's protocols", where,
					    mecsa_proto_name(p), mecsa_category_name(c));
		if (seen & SCORE_BIT(p))
			return scoring_fail(ld, item->start_mark,
					    "%s: '%s' appears twice in one combination", where,
					    mecsa_proto_name(p));
		seen |= SCORE_BIT(p);
		proto[n++] = (unsigned char)p;
	}
	score_table_add_combo(ld->t, c, score, proto, n);
	return 0;
}

/* A score key: a decimal integer 0..10; -1 after failing. */
static int scoring_score_key(struct scoring_loader *ld, const yaml_node_t *key, const char *where)
{
	const char *s = scoring_scalar(ld, key, where);
	if (s == NULL)
		return -1;
	size_t len = strlen(s);
	int v = 0;
	bool digits = len > 0 && len <= 2;
	for (size_t i = 0; digits && i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			digits = false;
		else
			v = v * 10 + (s[i] - '0');
	}
	if (!digits || v < SCORE_MIN || v > SCORE_MAX)
		return scoring_fail(ld, key->start_mark,
				    "%s: score '%s' is not an integer from %d to %d", where, s,
				    SCORE_MIN, SCORE_MAX);
	return v;
}

static int scoring_load_scores(struct scoring_loader *ld, enum mecsa_category c,
			       const yaml_node_t *node)
{
	char where[64];
	const yaml_node_t *seen[SCORE_MAX + 1] = {NULL};

	snprintf(where, sizeof where, "%s.scores", mecsa_category_name(c));
	if (scoring_check_tag(ld, node) < 0)
		return -1;
	if (yamlfile_node_is_null(node))
		return 0;
	if (node->type != YAML_MAPPING_NODE)
		return scoring_fail(ld, node->start_mark,
				    "%s: expected a mapping of scores (0..10) to lists of "
				    "combinations, got %s",
				    where, yamlfile_node_kind(node));
	for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
	     p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *key = yaml_document_get_node(ld->doc, p->key);
		yaml_node_t *val = yaml_document_get_node(ld->doc, p->value);
		yaml_node_item_t *it, *top;
		char swhere[80];
		if (key == NULL || val == NULL)
			continue;
		int score = scoring_score_key(ld, key, where);
		if (score < 0)
			return -1;
		if (seen[score] != NULL)
			return scoring_fail(ld, key->start_mark,
					    "%s: duplicate score %d (first at line %zu)", where,
					    score, seen[score]->start_mark.line + 1);
		seen[score] = key;
		snprintf(swhere, sizeof swhere, "%s.%d", where, score);
		if (scoring_list(ld, val, swhere, "a list of combinations", &it, &top) < 0)
			return -1;
		for (; it < top; it++) {
			yaml_node_t *item = yaml_document_get_node(ld->doc, *it);
			if (item && scoring_load_combo(ld, c, score, item, swhere) < 0)
				return -1;
		}
	}
	return 0;
}

static int scoring_load_category(struct scoring_loader *ld, enum mecsa_category c,
				 const yaml_node_t *key, const yaml_node_t *node)
{
	struct scoring_key keys[] = {{.name = "protocols"}, {.name = "scores"}};
	const char *name = mecsa_category_name(c);

	if (scoring_keys(ld, node, name, keys, 2, "protocols, scores") < 0)
		return -1;
	for (size_t i = 0; i < 2; i++)
		if (keys[i].key == NULL)
			return scoring_fail(ld, key->start_mark, "%s: missing '%s'", name,
					    keys[i].name);
	/* Protocols first, whatever the order written: combinations are checked against them. */
	if (scoring_load_protocols(ld, c, keys[0].value) < 0)
		return -1;
	return scoring_load_scores(ld, c, keys[1].value);
}

static int scoring_load_categories(struct scoring_loader *ld, const yaml_node_t *key,
				   const yaml_node_t *node)
{
	struct scoring_key keys[MECSA_CAT_MAX];
	for (int c = 0; c < MECSA_CAT_MAX; c++)
		keys[c] = (struct scoring_key){.name = mecsa_category_name(c)};
	if (scoring_keys(ld, node, "categories", keys, MECSA_CAT_MAX,
			 "confidentiality, spoofing, integrity") < 0)
		return -1;
	for (int c = 0; c < MECSA_CAT_MAX; c++) {
		if (keys[c].key == NULL)
			return scoring_fail(ld, key->start_mark, "categories: missing '%s'",
					    keys[c].name);
		if (scoring_load_category(ld, c, keys[c].key, keys[c].value) < 0)
			return -1;
	}
	return 0;
}

static int scoring_load_root(struct scoring_loader *ld, const yaml_node_t *root)
{
	enum { K_MODE, K_THRESHOLD, K_CATEGORIES, K_N };
	struct scoring_key keys[K_N] = {
		[K_MODE] = {.name = "mode"},
		[K_THRESHOLD] = {.name = "threshold"},
		[K_CATEGORIES] = {.name = "categories"},
	};
	if (scoring_keys(ld, root, "top level", keys, K_N, "mode, threshold, categories") < 0)
		return -1;
	if (keys[K_CATEGORIES].key == NULL)
		return scoring_fail(ld, root->start_mark, "missing 'categories'");
	if (keys[K_MODE].key && scoring_load_mode(ld, keys[K_MODE].value) < 0)
		return -1;
	if (keys[K_THRESHOLD].key && scoring_load_threshold(ld, keys[K_THRESHOLD].value) < 0)
		return -1;
	return scoring_load_categories(ld, keys[K_CATEGORIES].key, keys[K_CATEGORIES].value);
}

static int scoring_syntax_error(struct scoring_loader *ld, const yaml_parser_t *parser,
				const char *buf, size_t len)
{
	const char *problem = parser->problem ? parser->problem : "out of memory";
	if (parser->error == YAML_READER_ERROR)
		return scoring_fail(ld, yamlfile_offset_mark(buf, len, parser->problem_offset),
				    "invalid input: %s", problem);
	if (parser->context)
		return scoring_fail(ld, parser->problem_mark,
				    "YAML syntax error: %s (%s at line %zu, column %zu)", problem,
				    parser->context, parser->context_mark.line + 1,
				    parser->context_mark.column + 1);
	return scoring_fail(ld, parser->problem_mark, "YAML syntax error: %s", problem);
}

static int scoring_parse(struct scoring_loader *ld, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	int rc = -1;

	if (!yaml_parser_initialize(&parser))
		abort(); /* allocation only: the process ends on OOM everywhere else too */
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	yaml_mark_t deep;
	if (yamlfile_check_depth(buf, len, &deep) < 0) {
		scoring_fail(ld, deep, "nested more than %d levels deep", YAMLFILE_DEPTH_MAX);
		goto out;
	}
	if (!yaml_parser_load(&parser, &doc)) {
		scoring_syntax_error(ld, &parser, buf, len);
		goto out;
	}
	ld->doc = &doc;
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root == NULL || yamlfile_node_is_null(root)) {
		yaml_mark_t start = {0, 0, 0};
		scoring_fail(ld, start,
			     "empty scoring table (expected mode, threshold, categories)");
	} else {
		rc = scoring_load_root(ld, root);
	}
	yaml_document_delete(&doc);
	ld->doc = NULL;
	if (rc < 0)
		goto out;

	/* One document per file: a second one would otherwise be silently ignored. */
	rc = -1;
	if (!yaml_parser_load(&parser, &doc)) {
		scoring_syntax_error(ld, &parser, buf, len);
		goto out;
	}
	if (yaml_document_get_root_node(&doc) != NULL)
		scoring_fail(ld, doc.start_mark, "more than one YAML document in the file");
	else
		rc = 0;
	yaml_document_delete(&doc);
out:
	yaml_parser_delete(&parser);
	return rc;
}

int scoring_load_buffer(const char *name, const char *buf, size_t len, struct score_table **out,
			char *err, size_t errlen)
{
	struct scoring_loader ld = {
		.path = name,
		.t = score_table_new(),
		.err = err,
		.errlen = errlen,
	};
	if (errlen)
		err[0] = '\0';
	if (scoring_parse(&ld, buf, len) < 0) {
		score_table_free(ld.t);
		return -1;
	}
	*out = ld.t;
	return 0;
}

int scoring_load(const char *path, struct score_table **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	if (errlen)
		err[0] = '\0';
	if (yamlfile_read(path, &buf, &len, err, errlen) < 0)
		return -1;
	int rc = scoring_load_buffer(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}
