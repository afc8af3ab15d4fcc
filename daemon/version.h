/* version.h — what this mxsurvey is and what it runs with: its version, the git commit it was
 * built from, and the versions of the libraries loaded at run time (not those it was compiled
 * against: a survey's methods section must name what measured). */
#ifndef MXS_VERSION_H
#define MXS_VERSION_H

#include <jansson.h>
#include <stdio.h>

struct version_library {
	const char *name;    /* static: "openssl", "getdns", ... */
	const char *version; /* static or library-owned: as the library reports it; NULL = unknown */
};

/* The git commit (12 hex digits, "-dirty" when the tree had changes), or "" when not built from
 * git. */
const char *version_commit(void);
/* Fills out with up to max libraries, in a fixed order; returns how many. A library whose
 * version cannot be asked (libunbound when getdns is not linked with it) has version NULL. */
size_t version_libraries(struct version_library *out, size_t max);
/* `mxsurvey --version`: "mxsurvey X.Y.Z (git C)" then one "  name version" line per library. */
void version_print(FILE *f);
/* {"version": "X.Y.Z", "commit": "..." or null, "libraries": {"openssl": "...", ...}} (owned). */
json_t *version_json(void);

#endif
