/* smtp_reply.h — a pure, incremental parser of SMTP server replies (RFC 5321 §4.2) and of the
 * EHLO keywords in them. The daemon's session feeds it whatever bytes arrived; the parser never
 * reads past the end of the reply, so bytes the server sent after it stay with the caller (which
 * is how STARTTLS injection is seen). */
#ifndef MXS_SMTP_REPLY_H
#define MXS_SMTP_REPLY_H
#include <stddef.h>

#define SMTP_LINE_MAX 4096    /* longest reply line accepted, without its line end (RFC: 512) */
#define SMTP_REPLY_MAX 65536  /* longest whole reply, line ends included */
#define SMTP_REPLY_LINES 512  /* most lines in one reply */

enum smtp_reply_status {
	SMTP_REPLY_MORE = 0, /* the reply is not complete: feed more bytes */
	SMTP_REPLY_DONE,     /* a complete reply has been parsed */
	SMTP_REPLY_ERROR,    /* not a valid reply (reason in error) */
};

struct smtp_reply {
	int code;	      /* the three-digit reply code, 0 before the first line */
	size_t n_lines;	      /* lines so far */
	char **lines;	      /* owned: text after "NNN-" / "NNN ", sanitised to printable ASCII */
	size_t size;	      /* bytes consumed, line ends included */
	int bare_lf;	      /* 1 when a line ended in LF without CR (tolerated, recorded) */
	int done;	      /* 1 once the final line has been parsed */
	char error[160];      /* why the parse failed */
};

void smtp_reply_init(struct smtp_reply *r);
/* Free the lines and reset to the initial state. */
void smtp_reply_clear(struct smtp_reply *r);

/* Consume complete lines from buf[0..len). *used is set to the number of bytes consumed (always
 * whole lines, never beyond the final line of the reply); the caller drops them and calls again
 * with more bytes while MORE is returned. A partial line longer than SMTP_LINE_MAX is an error
 * at once, so a peer cannot make the caller buffer without bound. Calling after DONE or ERROR
 * returns the same status and consumes nothing. */
enum smtp_reply_status smtp_reply_parse(struct smtp_reply *r, const char *buf, size_t len,
					size_t *used);

/* The reply as one string: lines joined with '\n', prefixed by the code ("250 a\n250 b"). */
char *smtp_reply_text(const struct smtp_reply *r);

/* EHLO keywords (RFC 5321 §4.1.1.1): the first word of every line after the greeting line. */
enum smtp_ext {
	SMTP_EXT_STARTTLS = 1u << 0,
	SMTP_EXT_REQUIRETLS = 1u << 1,
	SMTP_EXT_SIZE = 1u << 2,
	SMTP_EXT_PIPELINING = 1u << 3,
	SMTP_EXT_8BITMIME = 1u << 4,
	SMTP_EXT_SMTPUTF8 = 1u << 5,
	SMTP_EXT_CHUNKING = 1u << 6,
	SMTP_EXT_DSN = 1u << 7,
	SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 8,
	SMTP_EXT_AUTH = 1u << 9,
	SMTP_EXT_BINARYMIME = 1u << 10,
	SMTP_EXT_COUNT = 11,
};

/* The keywords found in an EHLO reply, as a set of SMTP_EXT_* bits; *size_limit gets the SIZE
 * argument (0 when absent or not a number). size_limit may be NULL. */
unsigned smtp_reply_extensions(const struct smtp_reply *r, unsigned long long *size_limit);
/* Keyword of one SMTP_EXT_* bit ("STARTTLS"), NULL for an unknown bit. */
const char *smtp_ext_name(unsigned bit);
/* The bit of a keyword (case-insensitive), 0 when unknown. */
unsigned smtp_ext_parse(const char *keyword);

#endif
