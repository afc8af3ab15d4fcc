/* json_write.h — compact JSON text of a jansson value, byte for byte what
 * json_dumps(j, JSON_COMPACT [| JSON_ENSURE_ASCII]) prints.
 *
 * Why not json_dumps: the store writes two documents per domain (result and evidence, 5-15 KB),
 * and jansson's dumper spends about 100 instructions per byte on them: a loop-detection hash
 * entry keyed by a printf'd pointer for every object and array, and a callback per token. This
 * writer walks the same tree into one growing buffer, copies runs of plain characters at once and
 * bounds the depth instead of tracking parents. */
#ifndef MXS_JSON_WRITE_H
#define MXS_JSON_WRITE_H
#include <jansson.h>
#include <stddef.h>

#define JSON_WRITE_DEPTH_MAX 512 /* deeper trees (or cycles) are refused */

/* The text of j (an object or an array), NUL-terminated, owned by the caller; *len (when not
 * NULL) gets its length. ascii: escape everything beyond U+007F as \uXXXX (JSON_ENSURE_ASCII).
 * NULL when json_dumps would fail too: not a container, a string that is not UTF-8, a non-finite
 * real; and when the tree is deeper than JSON_WRITE_DEPTH_MAX. */
char *json_write(const json_t *j, int ascii, size_t *len);

#endif
