/* hash.h — FNV-1a, 64 bits: the one hash of the hash tables (DNS cache and queries in flight, probe
 * and URL caches, certificate memos) and of --shard's partition, whose values must stay the same
 * on every machine. Byte by byte, so every input byte reaches the low bits that pick a bucket. */
#ifndef MXS_HASH_H
#define MXS_HASH_H
#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A64_BASIS 0xcbf29ce484222325ULL /* offset basis; a seed may be XORed in */
#define HASH_FNV1A64_PRIME 0x100000001b3ULL

/* h (HASH_FNV1A64_BASIS to start, or a previous result to go on) hashed on with p[0..n). */
static inline uint64_t hash_fnv1a64(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * HASH_FNV1A64_PRIME;
	return h;
}

/* The same over the bytes of a NUL-terminated string. */
static inline uint64_t hash_fnv1a64_str(uint64_t h, const char *s)
{
	for (const unsigned char *b = (const unsigned char *)s; *b; b++)
		h = (h ^ *b) * HASH_FNV1A64_PRIME;
	return h;
}

#endif
