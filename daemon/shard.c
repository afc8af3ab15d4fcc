/* shard.c — the hash partition behind --shard i/N. Pure and stateless: the same key and N give
 * the same shard on every machine, whatever its byte order or word size. */
#include "daemon/shard.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/hash.h"


/* A decimal without sign, spaces or leading '+': strtoul alone would take " -1" as a huge value. */
static int shard_number(const char *s, const char **end, unsigned long *out)
{
	if (*s < '0' || *s > '9')
		return -1;
	char *e;
	errno = 0;
	*out = strtoul(s, &e, 10);
	if (errno)
		return -1;
	*end = e;
	return 0;
}

int shard_parse(const char *spec, struct shard *out, char *err, size_t errlen)
{
	unsigned long i, n;
	const char *p;
	if (spec == NULL || shard_number(spec, &p, &i) < 0 || *p != '/' ||
	    shard_number(p + 1, &p, &n) < 0 || *p != '\0') {
		snprintf(err, errlen, "--shard wants i/N (e.g. 0/4), got '%s'", spec ? spec : "");
		return -1;
	}
	if (n == 0 || n > SHARD_COUNT_MAX) {
		snprintf(err, errlen, "--shard %s: N must be 1..%u", spec, SHARD_COUNT_MAX);
		return -1;
	}
	if (i >= n) {
		snprintf(err, errlen, "--shard %s: shards are numbered 0..%lu", spec, n - 1);
		return -1;
	}
	out->index = (uint32_t)i;
	out->count = (uint32_t)n;
	return 0;
}

uint64_t shard_hash(const char *key)
{
	return hash_fnv1a64_str(HASH_FNV1A64_BASIS, key);
}

uint32_t shard_of(const char *key, uint32_t count)
{
	if (count <= 1)
		return 0;
	return (uint32_t)(shard_hash(key) % count);
}

bool shard_mine(const struct shard *s, const char *key)
{
	return s->count <= 1 || shard_of(key, s->count) == s->index;
}
