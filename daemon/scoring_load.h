/* scoring_load.h — reading a MECSA scoring table (config/scoring.yaml) with libyaml. Loading is
 * all-or-nothing: an unknown key or protocol, a protocol its category does not list, a score
 * outside 0..10, a threshold outside (0, 100] or a repeated key is an error naming
 * file:line:column, and the caller keeps its previous table. */
#ifndef MXS_SCORING_LOAD_H
#define MXS_SCORING_LOAD_H
#include <stddef.h>

#include "checks/score.h"

/* Load path into a new table. Returns 0 and sets *out (owned: free with score_table_free), or
 * -1 with "path:line:col: message" (or "path: reason" when the file cannot be read) in err and
 * *out untouched. */
int scoring_load(const char *path, struct score_table **out, char *err, size_t errlen);

/* The same from len bytes of YAML in buf; name stands for the file in messages. */
int scoring_load_buffer(const char *name, const char *buf, size_t len, struct score_table **out,
			char *err, size_t errlen);

#endif
