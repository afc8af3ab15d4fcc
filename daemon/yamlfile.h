/* yamlfile.h — what the YAML loaders (configuration, scoring table) share: reading the file
 * whole, with a size cap, and positions for errors libyaml reports without a mark. */
#ifndef MXS_YAMLFILE_H
#define MXS_YAMLFILE_H
#include <stddef.h>
#include <yaml.h>

#define YAMLFILE_MAX (1024 * 1024) /* larger files are refused */

/* The whole file into *out (owned by the caller); -1 with "path: reason" in err. */
int yamlfile_read(const char *path, char **out, size_t *outlen, char *err, size_t errlen);
/* Line and column of a byte offset (reader errors such as bad UTF-8 carry no mark). */
yaml_mark_t yamlfile_offset_mark(const char *buf, size_t len, size_t offset);

#endif
