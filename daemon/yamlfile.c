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
