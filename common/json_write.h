/* json_write.h — compact JSON text of a jansson value, byte for byte what
 * json_dumps(j, JSON_COMPACT [| JSON_ENSURE_ASCII]) prints.
 *
 * Why not json_dumps: the store writes two documents per domain (result and evidence, 5-15 KB),
 * and jansson's dumper spends about 100 instructions per byte on them: a loop-detection hash
 * entry keyed by a printf'd pointer for every object and array, and a callback per token. This
 * writer walks the same tree into one growing buffer, copies runs of plain characters at once and
 * bounds the depth instead of tracking parents. The evidence, made from C structs, skips the
 * tree altogether (json_out below); the result keeps one, since the checks build their details
 * as jansson values. */
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

/* The same text written as it goes, for documents made straight from C structs (the evidence of
 * every scan) without building a tree first. Commas are placed from the last byte written, so a
 * document is just calls in reading order: open, key, value..., close. */
struct json_out {
	char *p;	 /* owned: the text so far (not NUL-terminated until json_out_finish) */
	size_t len, cap; /* its length and allocation */
	int ascii;	 /* as json_write's ascii */
};

void json_out_init(struct json_out *o, int ascii);
void json_out_open(struct json_out *o, char bracket);  /* '{' or '[' */
void json_out_close(struct json_out *o, char bracket); /* '}' or ']' */
void json_out_key(struct json_out *o, const char *key); /* a key of the object open (ASCII) */
/* A string value. 0, or -1 with nothing written when s is not UTF-8 (jansson refuses such
 * strings, so its callers decide what stands in for them: see json_utf8_valid). */
int json_out_str(struct json_out *o, const char *s, size_t n);
void json_out_int(struct json_out *o, long long v);
void json_out_bool(struct json_out *o, int v);
void json_out_null(struct json_out *o);
/* p[0..n) as a string of lower-case hex digits. */
void json_out_hex(struct json_out *o, const unsigned char *p, size_t n);
/* Members of the object open: key and value in one call. */
void json_out_key_int(struct json_out *o, const char *key, long long v);
void json_out_key_bool(struct json_out *o, const char *key, int v);
/* key: s[0..n). 0, or -1 with nothing written (not even the key) when s is not UTF-8: the member
 * is left out, as jansson left out a member whose value it refused. */
int json_out_key_str(struct json_out *o, const char *key, const char *s, size_t n);
/* key: s, or null when s is NULL or not UTF-8 (what jansson's json_string gave such a value). */
void json_out_key_str_or_null(struct json_out *o, const char *key, const char *s);
/* The text, NUL-terminated, owned by the caller (o is emptied); *len gets its length. */
char *json_out_finish(struct json_out *o, size_t *len);

/* 1 when s[0..n) is UTF-8 as jansson accepts it (no NUL check: jansson takes NUL from
 * json_stringn). */
int json_utf8_valid(const char *s, size_t n);

#endif
