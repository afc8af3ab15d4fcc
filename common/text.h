/* text.h — text that came from outside (input lines, campaign names, what peers sent) made safe
 * to show: bytes that are not UTF-8, and characters a terminal acts on or that reorder a line
 * (C0 and C1 controls, DEL, line/paragraph separators, bidirectional overrides), are written as
 * \xHH, one escape per byte. Everything else is kept as it is, backslashes included: the escaped
 * form is for reading, the store keeps the original where it has to. */
#ifndef MXS_TEXT_H
#define MXS_TEXT_H
#include <stddef.h>
#include <stdio.h>

/* 1 when s (NUL-terminated) needs no escaping. */
int text_is_safe(const char *s);
/* s with every unsafe byte as \xHH; owned by the caller. s NULL gives NULL. */
char *text_escape(const char *s);
/* Write s escaped to out (NULL writes nothing). */
void text_fputs(const char *s, FILE *out);

/* A name a person picks and reads back (a campaign's): 1 to max bytes of UTF-8 without
 * anything text_escape would escape and without leading or trailing white space. 0, or -1 with
 * the reason in why. */
int text_check_name(const char *s, size_t max, char *why, size_t whylen);

#endif
