/* test_text.c — escaping outside text for display (what a terminal must not run, bytes that are
 * not UTF-8) and the check of campaign-style names. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/text.h"

static void test_escape_table(void **state)
{
	(void)state;
	static const struct {
		const char *in;	  /* raw text */
		const char *want; /* as shown */
	} cases[] = {
	    {"", ""},
	    {"example.org", "example.org"},
	    {"back\\slash stays", "back\\slash stays"},
	    {"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x93\xa7"},
	    {"\x1b[31mred", "\\x1b[31mred"},		      /* ESC: a terminal sequence */
	    {"bell\a", "bell\\x07"},			      /* BEL */
	    {"tab\tnl\ncr\r", "tab\\x09nl\\x0acr\\x0d"},	      /* line structure */
	    {"del\x7f", "del\\x7f"},
	    {"c1 \xc2\x9b" "2J", "c1 \\xc2\\x9b2J"},	      /* U+009B: the 8-bit CSI */
	    {"\xc2\xa0nbsp", "\xc2\xa0nbsp"},		      /* U+00A0 is printable */
	    {"rlo \xe2\x80\xae" "txt", "rlo \\xe2\\x80\\xaetxt"}, /* U+202E reorders the line */
	    {"ls \xe2\x80\xa8", "ls \\xe2\\x80\\xa8"},	      /* U+2028 line separator */
	    {"bad\xff\xfe", "bad\\xff\\xfe"},		      /* not UTF-8 */
	    {"cut \xe2\x82", "cut \\xe2\\x82"},		      /* truncated sequence */
	    {"overlong \xc0\xaf", "overlong \\xc0\\xaf"},
	    {"surrogate \xed\xa0\x80", "surrogate \\xed\\xa0\\x80"},
	    {"big \xf4\x90\x80\x80", "big \\xf4\\x90\\x80\\x80"}, /* beyond U+10FFFF */
	    {"\xc3\xa9\xff\xc3\xa9", "\xc3\xa9\\xff\xc3\xa9"},    /* resynchronises */
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *got = text_escape(cases[i].in);
		if (strcmp(got, cases[i].want) != 0)
			fail_msg("case %zu: '%s', want '%s'", i, got, cases[i].want);
		assert_int_equal(text_is_safe(cases[i].in), strcmp(cases[i].in, cases[i].want) == 0);
		char *buf = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&buf, &len);
		text_fputs(cases[i].in, f);
		fclose(f);
		assert_string_equal(buf, cases[i].want);
		free(buf);
		free(got);
	}
	assert_null(text_escape(NULL));
}

static void test_check_name(void **state)
{
	(void)state;
	static const struct {
		const char *name; /* candidate */
		int ok;		  /* accepted with a limit of 16 bytes */
		const char *why;  /* part of the reason when refused */
	} cases[] = {
	    {"se-2025-01", 1, NULL},
	    {"campa\xc3\xb1" "a 2026", 1, NULL},
	    {"exactly16bytes..", 1, NULL},
	    {"seventeen bytes..", 0, "too long (17 bytes, at most 16)"},
	    {"", 0, "empty"},
	    {"a\x1b[2Jb", 0, "not printable"},
	    {"new\nline", 0, "not printable"},
	    {"a\xff", 0, "not printable"},
	    {" lead", 0, "space"},
	    {"trail ", 0, "space"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char why[128] = "";
		int rc = text_check_name(cases[i].name, 16, why, sizeof why);
		if ((rc == 0) != cases[i].ok)
			fail_msg("case %zu: rc %d (%s)", i, rc, why);
		if (!cases[i].ok && strstr(why, cases[i].why) == NULL)
			fail_msg("case %zu: reason '%s', want '%s'", i, why, cases[i].why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_escape_table),
	    cmocka_unit_test(test_check_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
