/* dname.h — domain names as mxsurvey handles them: normalised, lower-case A-labels without the
 * trailing dot. */
#ifndef MXS_DNAME_H
#define MXS_DNAME_H
#include <stddef.h>

#define DNAME_MAX 254 /* 253 characters of presentation form plus NUL */

/* Normalise user input (whitespace trimmed, case folded, one trailing dot dropped, IDN converted
 * to A-labels with libidn2, host-name syntax checked). Returns 0 and fills out, or -1 and writes
 * why into err. */
int dname_normalize(const char *input, char *out, size_t outlen, char *err, size_t errlen);

/* Syntax of a name already in A-label form (as found in DNS data): 0 when it is a valid host name
 * (LDH labels, 1-63 octets, at most 253 in all, TLD not all-numeric), else -1 with a reason. */
int dname_check_hostname(const char *name, char *err, size_t errlen);

/* Copy of name without one trailing dot, lower-cased, into out. */
void dname_canonical(const char *name, char *out, size_t outlen);

/* Room for any name of the wire in presentation form: 255 octets, each escaped as \DDD at worst. */
#define DNAME_TEXT_MAX (4 * 255 + 1)

/* Presentation form of the uncompressed wire name w (wlen octets of buffer), lower-cased and
 * without the trailing dot ("" for the root), escaped as ldns and getdns print names: "\."
 * "\;" "\(" "\)" "\\" and \DDD for octets that are not printable ASCII. Returns its length,
 * or -1 when w is not a well-formed uncompressed name or out is too small. */
int dname_from_wire(const unsigned char *w, size_t wlen, char *out, size_t outlen);

/* 1 when a and b name the same node (case-insensitive, trailing dot ignored). */
int dname_equal(const char *a, const char *b);

/* Pointer to the parent name inside name ("a.b.c" -> "b.c"), or NULL at a TLD/root. */
const char *dname_parent(const char *name);

/* 1 when name is an IPv4 or IPv6 literal. */
int dname_is_ip_literal(const char *name);

#endif
