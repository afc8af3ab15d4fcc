/* shard.h — deterministic partition of a domain list into N shards, as zmap's --shard/--shards:
 * every process given the same list and N agrees, without talking to the others, on which shard
 * owns each line. The key of a line is its normalised name (lower-case A-label, no trailing dot),
 * or for a line that is not a valid name the line itself (trimmed, comment removed); the shard is
 * FNV-1a-64(key) mod N. Shards are numbered 0..N-1 (a Slurm array 0-(N-1), a Kubernetes
 * JOB_COMPLETION_INDEX). */
#ifndef MXS_SHARD_H
#define MXS_SHARD_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHARD_COUNT_MAX 1000000u /* more shards than that is a typo, not a plan */

struct shard {
	uint32_t index; /* this process's shard, 0..count-1 */
	uint32_t count; /* shards in all; 0 or 1: no sharding (every line is ours) */
};

/* Parse "i/N" (decimal, 0 <= i < N <= SHARD_COUNT_MAX). 0, or -1 with a reason in err and *out
 * untouched. */
int shard_parse(const char *spec, struct shard *out, char *err, size_t errlen);

/* The 64-bit FNV-1a hash of key's bytes (offset basis 0xcbf29ce484222325, prime 0x100000001b3). */
uint64_t shard_hash(const char *key);

/* Which of count shards owns key (0 when count is 0 or 1). */
uint32_t shard_of(const char *key, uint32_t count);

/* True when key belongs to s (always, without sharding). */
bool shard_mine(const struct shard *s, const char *key);

#endif
