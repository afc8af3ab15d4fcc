/* spf_macro.h — RFC 7208 §7 macro strings: the syntax check of a macro-string / domain-spec /
 * explanation-string, and their expansion. Pure string work: the SPF evaluator (spf.c) resolves
 * %{p} beforehand and hands every macro value in a struct spf_macro_vars. */
#ifndef MXS_SPF_MACRO_H
#define MXS_SPF_MACRO_H
#include <stdbool.h>
#include <stddef.h>

#include "common/dname.h"

/* What a macro-string may contain (flags of spf_macro_check and spf_macro_expand). */
enum {
	SPF_MACRO_EXPLAIN = 0x01, /* explanation-string (§6.2): SP allowed, and letters c, r, t */
	SPF_MACRO_CRT = 0x02, /* letters c, r, t allowed (unknown modifiers: the ABNF has them) */
};

/* What the syntax check learnt about a macro-string. */
struct spf_macro_info {
	bool uses_p;	       /* contains %{p}: the validated client name must be resolved first */
	bool ends_with_expand; /* the last token is a macro-expand (a domain-spec may end so) */
};

/* Syntax of a macro-string (§7.1): 0, or -1 with a reason in err. info may be NULL. */
int spf_macro_check(const char *s, size_t len, unsigned flags, struct spf_macro_info *info,
		    char *err, size_t errlen);

/* Syntax of a domain-spec (§7.1): a non-empty macro-string that ends in a macro-expand or in
 * "." toplabel [ "." ]. 0, or -1 with a reason. */
int spf_macro_check_domain(const char *s, size_t len, unsigned flags, struct spf_macro_info *info,
			   char *err, size_t errlen);

/* toplabel (§7.1): alphanumerics and '-', not starting or ending with '-', not all-numeric. */
bool spf_macro_toplabel_ok(const char *s, size_t len);

/* The values the macro letters stand for (§7.3). All borrowed, NUL-terminated. */
struct spf_macro_vars {
	const char *s; /* <sender> */
	const char *l; /* local-part of <sender> */
	const char *o; /* domain of <sender> */
	const char *d; /* <domain> of the current check_host() */
	const char *i; /* <ip>: dotted quad, or dotted nibbles for IPv6 */
	const char *p; /* validated domain name of <ip>, or "unknown"; NULL when not resolved */
	const char *v; /* "in-addr" or "ip6" */
	const char *h; /* HELO/EHLO domain */
	const char *c; /* <ip> in readable form (explanations only) */
	const char *r; /* domain of the checking host (explanations only) */
	const char *t; /* current timestamp, decimal (explanations only) */
};

/* Expand a checked macro-string into out (NUL-terminated, cut at outlen - 1 bytes: the text of an
 * explanation). Returns 0, or -1 when s is not a valid macro-string or %{p} is not resolved. */
int spf_macro_expand(const char *s, size_t len, unsigned flags, const struct spf_macro_vars *v,
		     char *out, size_t outlen);

/* Expand a domain-spec into a name to query (§7.3): one trailing dot dropped, and a name longer
 * than 253 characters cut from the left at a label boundary. Returns 0 and out (DNAME_MAX bytes),
 * or -1 (invalid macro-string, unresolved %{p}, or a single label longer than 253). Memory use
 * is bounded whatever the expansion's length. */
int spf_macro_expand_domain(const char *s, size_t len, const struct spf_macro_vars *v,
			    char out[DNAME_MAX]);

#endif
