/* provider.c — MX host name -> provider (provider.h), on libpsl's built-in public suffix list. */
#include "common/provider.h"

#include <ctype.h>
#include <libpsl.h>
#include <stdio.h>
#include <string.h>

static int provider_is_address(const char *s)
{
	if (s[0] == '[' || strchr(s, ':'))
		return 1;
	for (const char *p = s; *p; p++)
		if (!isdigit((unsigned char)*p) && *p != '.')
			return 0;
	return 1;
}

char *provider_of(const char *host, char *out, size_t outlen)
{
	if (outlen == 0)
		return out;
	out[0] = '\0';
	if (host == NULL || host[0] == '\0')
		return out;
	char name[256];
	size_t n = 0;
	for (const char *p = host; *p && n + 1 < sizeof name; p++)
		name[n++] = (char)tolower((unsigned char)*p);
	name[n] = '\0';
	while (n > 1 && name[n - 1] == '.')
		name[--n] = '\0';
	if (provider_is_address(name)) {
		snprintf(out, outlen, "%s", name);
		return out;
	}
	const psl_ctx_t *psl = psl_builtin();
	const char *reg = psl ? psl_registrable_domain(psl, name) : NULL;
	snprintf(out, outlen, "%s", reg ? reg : name);
	return out;
}
