/* version.c — mxsurvey's version, build commit and the run-time versions of its libraries, for
 * `--version` and the campaign snapshot. Owns nothing; the strings are the libraries'. */
#include "daemon/version.h"
#include "daemon/cli.h"

#include <curl/curl.h>
#include <dlfcn.h>
#include <event2/event.h>
#include <getdns/getdns_extra.h>
#include <idn2.h>
#include <jansson.h>
#include <libpsl.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <yaml.h>

/* Written by the Makefile (build/gen/version_git.h) with the commit of the tree it built. */
#include "gen/version_git.h"

#define VERSION_MAX_LIBS 12

const char *version_commit(void)
{
	return MXSURVEY_GIT;
}

/* getdns does not say which libunbound it runs on and Debian ships no unbound.h: ask the loaded
 * libunbound itself, when there is one in the process. */
static const char *version_unbound(void)
{
	typedef const char *ub_version_fn(void);
	ub_version_fn *fn;
	*(void **)&fn = dlsym(RTLD_DEFAULT, "ub_version");
	return fn ? fn() : NULL;
}

size_t version_libraries(struct version_library *out, size_t max)
{
	const curl_version_info_data *curl = curl_version_info(CURLVERSION_NOW);
	const struct version_library all[] = {
		{"openssl", OpenSSL_version(OPENSSL_VERSION)},
		{"getdns", getdns_get_version()},
		{"libunbound", version_unbound()},
		{"libcurl", curl ? curl->version : NULL},
		{"sqlite", sqlite3_libversion()},
		{"libevent", event_get_version()},
		{"libyaml", yaml_get_version_string()},
		{"jansson", jansson_version_str()},
		{"libidn2", idn2_check_version(NULL)},
		{"libpsl", psl_get_version()},
	};
	size_t n = sizeof all / sizeof *all;
	if (n > max)
		n = max;
	for (size_t i = 0; i < n; i++)
		out[i] = all[i];
	return n;
}

void version_print(FILE *f)
{
	struct version_library libs[VERSION_MAX_LIBS];
	size_t n = version_libraries(libs, VERSION_MAX_LIBS);
	if (version_commit()[0])
		fprintf(f, "mxsurvey %s (git %s)\n", MXSURVEY_VERSION, version_commit());
	else
		fprintf(f, "mxsurvey %s\n", MXSURVEY_VERSION);
	fputs("libraries at run time:\n", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "  %-11s %s\n", libs[i].name, libs[i].version ? libs[i].version : "unknown");
}

json_t *version_json(void)
{
	struct version_library libs[VERSION_MAX_LIBS];
	size_t n = version_libraries(libs, VERSION_MAX_LIBS);
	json_t *l = json_object();
	for (size_t i = 0; i < n; i++)
		json_object_set_new(l, libs[i].name,
				    libs[i].version ? json_string(libs[i].version) : json_null());
	return json_pack("{s:s, s:o, s:o}", "version", MXSURVEY_VERSION, "commit",
			 version_commit()[0] ? json_string(version_commit()) : json_null(),
			 "libraries", l);
}
