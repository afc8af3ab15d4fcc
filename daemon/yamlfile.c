/* yamlfile.c — reading YAML files whole and locating byte offsets, for the loaders. */
#include "daemon/yamlfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/xalloc.h"

int yamlfile_read(const char *path, char **out, size_t *outlen, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		if (errlen)
			snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= YAMLFILE_MAX) {
				if (errlen)
					snprintf(err, errlen, "%s: larger than %d bytes", path,
						 YAMLFILE_MAX);
				goto fail;
			}
			cap *= 2;
			buf = xrealloc(buf, cap);
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0) {
			if (ferror(f)) {
				if (errlen)
					snprintf(err, errlen, "%s: cannot read: %s", path,
						 strerror(errno));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	*out = buf;
	*outlen = len;
	return 0;
fail:
	fclose(f);
	free(buf);
	return -1;
}

int yamlfile_check_depth(const char *buf, size_t len, yaml_mark_t *at)
{
	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		abort(); /* allocation only: the process ends on OOM everywhere else too */
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	int depth = 0, rc = 0;
	for (;;) {
		yaml_event_t ev;
		if (!yaml_parser_parse(&parser, &ev))
			break; /* the loader reports it, with libyaml's own message */
		yaml_event_type_t type = ev.type;
		if (type == YAML_MAPPING_START_EVENT || type == YAML_SEQUENCE_START_EVENT) {
			if (++depth > YAMLFILE_DEPTH_MAX) {
				*at = ev.start_mark;
				rc = -1;
			}
		} else if (type == YAML_MAPPING_END_EVENT || type == YAML_SEQUENCE_END_EVENT) {
			depth--;
		}
		yaml_event_delete(&ev);
		if (rc < 0 || type == YAML_STREAM_END_EVENT)
			break;
	}
	yaml_parser_delete(&parser);
	return rc;
}

yaml_mark_t yamlfile_offset_mark(const char *buf, size_t len, size_t offset)
{
	yaml_mark_t m = {offset, 0, 0};
	for (size_t i = 0; i < offset && i < len; i++) {
		if (buf[i] == '\n') {
			m.line++;
			m.column = 0;
		} else {
			m.column++;
		}
	}
	return m;
}

int yamlfile_verror(char *err, size_t errlen, const char *path, yaml_mark_t mark,
		    const char *fmt, va_list ap)
{
	if (errlen == 0)
		return -1;
	int n = snprintf(err, errlen, "%s:%zu:%zu: ", path, mark.line + 1, mark.column + 1);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return -1;
}

const char *yamlfile_node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a scalar";
	}
}

bool yamlfile_node_is_null(const yaml_node_t *node)
{
	if (node->type != YAML_SCALAR_NODE || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)node->data.scalar.value;
	return node->data.scalar.length == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

bool yamlfile_node_tag_ok(const yaml_node_t *node)
{
	const char *want = node->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
			   : node->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
							      : YAML_DEFAULT_MAPPING_TAG;
	return node->tag == NULL || strcmp((const char *)node->tag, want) == 0;
}
