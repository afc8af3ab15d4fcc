/* fuzz.h — what the libFuzzer harnesses share: the entry point's prototype, exact-size copies of
 * the input (so ASan sees any read past the bytes a peer sent: libFuzzer's own buffer may be
 * followed by readable memory), C strings made explicitly, and a reader that splits one input
 * into the several fields a structured harness needs. Header-only, static. */
#ifndef MXS_FUZZ_H
#define MXS_FUZZ_H
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_UNUSED __attribute__((unused))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A heap copy of exactly n bytes, no terminator: for APIs that take (ptr, len). malloc(0) may
 * return NULL, so an empty input gets a 1-byte block the callee must not read (len 0). */
static FUZZ_UNUSED char *fuzz_dup(const uint8_t *p, size_t n)
{
	char *b = malloc(n ? n : 1);
	if (b == NULL)
		abort();
	if (n)
		memcpy(b, p, n);
	return b;
}

/* A heap C string of the n bytes, NUL-terminated explicitly, for APIs that take a C string: an
 * embedded NUL simply ends the string there, as it would for the caller. */
static FUZZ_UNUSED char *fuzz_str(const uint8_t *p, size_t n)
{
	char *b = malloc(n + 1);
	if (b == NULL)
		abort();
	if (n)
		memcpy(b, p, n);
	b[n] = '\0';
	return b;
}

/* Reads an input as a sequence of fields. */
struct fuzz_in {
	const uint8_t *p; /* borrowed: the next byte */
	size_t n;	  /* bytes left */
};

/* One byte (0 once the input is used up). */
static FUZZ_UNUSED uint8_t fuzz_u8(struct fuzz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

static FUZZ_UNUSED uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);
	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

static FUZZ_UNUSED uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t hi = fuzz_u16(in);
	return hi << 16 | fuzz_u16(in);
}

/* The next field: the bytes up to the separator "\n--\n" (or the end), so that seeds stay
 * readable text files; *len gets its length. Borrowed pointer into the input. */
static FUZZ_UNUSED const uint8_t *fuzz_field(struct fuzz_in *in, size_t *len)
{
	static const char sep[] = "\n--\n";
	const uint8_t *start = in->p;
	for (size_t i = 0; i + 4 <= in->n; i++) {
		if (memcmp(in->p + i, sep, 4) == 0) {
			*len = i;
			in->p += i + 4;
			in->n -= i + 4;
			return start;
		}
	}
	*len = in->n;
	in->p += in->n;
	in->n = 0;
	return start;
}

#endif
