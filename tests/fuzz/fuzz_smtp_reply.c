/* fuzz_smtp_reply.c — the SMTP reply parser over bytes a server sends: fed whole, then again in
 * chunks whose sizes come from the input's first byte (as a session receives them), with the
 * EHLO keyword extraction and the joined text of every reply parsed. (ptr, len) API: exact-size
 * buffer. */
#include "checks/smtp_reply.h"
#include "tests/fuzz/fuzz.h"

static void fuzz_replies(const char *buf, size_t len, size_t chunk)
{
	size_t off = 0, avail = 0;
	int replies = 0;
	while (off < len && replies < 64) {
		struct smtp_reply r;
		smtp_reply_init(&r);
		enum smtp_reply_status st = SMTP_REPLY_MORE;
		size_t used = 0;
		avail = 0;
		while (st == SMTP_REPLY_MORE) {
			avail = chunk ? avail + chunk : len - off;
			if (avail > len - off)
				avail = len - off;
			/* An exact-size copy of what has arrived, as the session's buffer would
			 * hold it. */
			char *b = fuzz_dup((const uint8_t *)buf + off, avail);
			st = smtp_reply_parse(&r, b, avail, &used);
			free(b);
			if (st == SMTP_REPLY_MORE && used) {
				off += used;
				avail -= used;
			}
			if (st == SMTP_REPLY_MORE && off + avail >= len)
				break;
		}
		if (st == SMTP_REPLY_DONE) {
			unsigned long long size = 0;
			(void)smtp_reply_extensions(&r, &size);
			free(smtp_reply_text(&r));
			off += used;
		}
		smtp_reply_clear(&r);
		if (st != SMTP_REPLY_DONE)
			break;
		replies++;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 2 * SMTP_REPLY_MAX)
		return 0;
	size_t chunk = data[0] % 17; /* 0: the whole input at once */
	fuzz_replies((const char *)data + 1, size - 1, 0);
	if (chunk)
		fuzz_replies((const char *)data + 1, size - 1, chunk);
	return 0;
}
