/* yamlfile.h — what the YAML loaders (configuration, scoring table) share: reading the file
 * whole, with a size cap, and positions for errors libyaml reports without a mark. */
#ifndef MXS_YAMLFILE_H
#define MXS_YAMLFILE_H
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <yaml.h>

#define YAMLFILE_MAX (1024 * 1024) /* larger files are refused */
/* Deepest nesting of mappings and lists accepted. The configuration needs 3 levels and the
 * scoring table 6; libyaml's cost grows with the square of the depth (100,000 levels: a minute),
 * so deeper documents are refused before they are loaded. */
#define YAMLFILE_DEPTH_MAX 64

/* The whole file into *out (owned by the caller); -1 with "path: reason" in err. */
int yamlfile_read(const char *path, char **out, size_t *outlen, char *err, size_t errlen);
/* 0 when no mapping or list in buf is nested more than YAMLFILE_DEPTH_MAX deep (or the text has
 * a syntax error before that, which loading it then reports); else -1 with the position of the
 * first one too deep in *at. Reads only up to that point, so its cost is bounded by the limit. */
int yamlfile_check_depth(const char *buf, size_t len, yaml_mark_t *at);
/* Line and column of a byte offset (reader errors such as bad UTF-8 carry no mark). */
yaml_mark_t yamlfile_offset_mark(const char *buf, size_t len, size_t offset);
/* Write "path:line:column: message" into err; returns -1 (for "return loader_fail(...)"). */
int yamlfile_verror(char *err, size_t errlen, const char *path, yaml_mark_t mark,
		    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));
/* "a mapping", "a list" or "a scalar", for type errors. */
const char *yamlfile_node_kind(const yaml_node_t *node);
/* A plain empty, ~ or null scalar. */
bool yamlfile_node_is_null(const yaml_node_t *node);
/* The node carries its default tag: an explicit one (!!int, !foo) means nothing to the loaders. */
bool yamlfile_node_tag_ok(const yaml_node_t *node);

#endif
