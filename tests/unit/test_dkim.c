/* test_dkim.c — DKIM: key record parsing and key sizing (RFC 6376 §3.6.1, RFC 8463, RFC 8301)
 * on real keys made with openssl, the selector list, the plan, and the check's tri-state
 * verdict over recorded answers (RFC 8020: NXDOMAIN vs NODATA vs SERVFAIL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "checks/dkim.h"

/* Public keys generated for these tests with `openssl genpkey` + `openssl pkey -pubout
 * -outform DER | base64` (ed25519: the last 32 bytes of the DER, i.e. the raw key). */
#define KEY_RSA512                                                                                 \
	"MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAJrJ6hn37wPjjRXeTVmvQDVju3HfVcjcPFJEyxrMTfGRTXOy"         \
	"Zntl2e6y1TYSeUSBqREtPkAfmU43CFGmIa6JvqcCAwEAAQ=="
#define KEY_RSA1024                                                                                \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCY72wj8ac5rv5dVJO/T83WBSihZ05WoODoOgwNYZ7r"         \
	"DrjID8Y1oSfSkjE8tovQG0hlcX5z62upVHhsTQM7XhBcDNmk0JNOfLB2TWEPpwAtR28gvVQxO4BIBoVo"         \
	"EywmyTahF2UgDrh0GDJuBYRzfV7bG2CVViOTg4eF41iIhv5H6wIDAQAB"
#define KEY_RSA2048                                                                                \
	"MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAihWMv+0XbvdacWNuBVDGwSjWW2PkndnBwQZ7"         \
	"wTCz2ONSxlzacd05MXH5KOt6MjxkRqpWBGhTOdLG6D6lAwpGC4TsUs1amAQGQydfJAc9/dZRlMWMWs+x"         \
	"IM/sXT+H+ZivNL41zBzsXU9wqshyb3WB7H4mCVd4oHSjb/mkd3qHKmxzq7H3e6dYmoAeSqnTMOTH0i/r"         \
	"Uy6J0bOUZ7pE8ARvezV4NcMV/9HCjdo+7Rh2QpZwtVS8O/MP5tjd+zn+erQKj8GV9rfOym61L154cWvv"         \
	"CuKs+WXRxkjczGjqBcoM1YxhBkftQRmNzfXQxUZj9T1xLFVAcZim8Ryvmuwa2ty9DQIDAQAB"
#define KEY_ED25519_RAW "uXNv4U89Wt28tUjjveLNde0LqkkD8MqerlCU3ktYtG0="
#define KEY_ED25519_SPKI "MCowBQYDK2VwAyEAuXNv4U89Wt28tUjjveLNde0LqkkD8MqerlCU3ktYtG0="
#define KEY_EC_P256                                                                                \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE4h52JkdzZwEPZzpAztKJ2IVzrsc4hVLCbACZdiQAsYTO"         \
	"49yrpH1YTzTlvUKmIJBUCYnDLCN4XlZJ9I4NDXXcRg=="
/* The same 1024-bit key as a bare PKCS#1 RSAPublicKey (openssl rsa -RSAPublicKey_out). */
#define KEY_RSA1024_PKCS1                                                                          \
	"MIGJAoGBAJjvbCPxpzmu/l1Uk79PzdYFKKFnTlag4Og6DA1hnusOuMgPxjWhJ9KSMTy2i9AbSGVxfnPr"         \
	"a6lUeGxNAzteEFwM2aTQk058sHZNYQ+nAC1HbyC9VDE7gEgGhWgTLCbJNqEXZSAOuHQYMm4FhHN9Xtsb"         \
	"YJVWI5ODh4XjWIiG/kfrAgMBAAE="
/* KEY_RSA1024's DER followed by one stray byte. */
#define KEY_RSA1024_TRAILING                                                                       \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCY72wj8ac5rv5dVJO/T83WBSihZ05WoODoOgwNYZ7r"         \
	"DrjID8Y1oSfSkjE8tovQG0hlcX5z62upVHhsTQM7XhBcDNmk0JNOfLB2TWEPpwAtR28gvVQxO4BIBoVo"         \
	"EywmyTahF2UgDrh0GDJuBYRzfV7bG2CVViOTg4eF41iIhv5H6wIDAQABWA=="

struct key_case {
	const char *what;	 /* description */
	const char *rec;	 /* the TXT record */
	size_t len;		 /* 0 for strlen */
	int ok;			 /* 1 when well-formed */
	enum dkim_key_type type; /* expected type (when ok) */
	int bits;		 /* expected size (when ok) */
	int revoked;		 /* expected revoked (when ok) */
	int testing;		 /* expected t=y (when ok) */
	int usable;		 /* expected dkim_key_usable() (when ok) */
	const char *reason;	 /* substring of the parse error, or of why it is unusable */
};

static const struct key_case key_cases[] = {
	{"rsa 1024", "v=DKIM1; k=rsa; p=" KEY_RSA1024, 0, 1, DKIM_KEY_RSA, 1024, 0, 0, 1, NULL},
	{"rsa 2048, k defaults to rsa", "v=DKIM1; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 0,
	 1, NULL},
	{"no v=, t=y", "k=rsa; t=y; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 1, 1, NULL},
	{"t=y:s", "v=DKIM1; t = y : s; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 1, 1, NULL},
	{"ed25519 raw", "v=DKIM1; k=ed25519; p=" KEY_ED25519_RAW, 0, 1, DKIM_KEY_ED25519, 256, 0, 0,
	 1, NULL},
	{"keyword case", "v=DKIM1; k=RSA; p=" KEY_RSA1024, 0, 1, DKIM_KEY_RSA, 1024, 0, 0, 1, NULL},
	{"FWS around tags and in base64",
	 "v=DKIM1 ;\tk = rsa ; p = MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQCY72wj8ac5rv5dVJO/T83WBSih"
	 "Z05WoODoOgwNYZ7r DrjID8Y1oSfSkjE8tovQG0hlcX5z62upVHhsTQM7XhBcDNmk0JNOfLB2TWEPpwAtR28gvVQx"
	 "O4BIBoVo\r\n EywmyTahF2UgDrh0GDJuBYRzfV7bG2CVViOTg4eF41iIhv5H6wIDAQAB ;",
	 0, 1, DKIM_KEY_RSA, 1024, 0, 0, 1, NULL},
	{"unpadded base64",
	 "p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAJrJ6hn37wPjjRXeTVmvQDVju3HfVcjcPFJEy"
	 "xrMTfGRTXOyZntl2e6y1TYSeUSBqREtPkAfmU43CFGmIa6JvqcCAwEAAQ",
	 0, 1, DKIM_KEY_RSA, 512, 0, 0, 0, "below 1024"},
	{"empty tag-spec skipped", "v=DKIM1;; p=" KEY_RSA1024 ";", 0, 1, DKIM_KEY_RSA, 1024, 0, 0,
	 1, NULL},
	{"unknown tags ignored", "v=DKIM1; n=notes here; x_y=1; p=" KEY_RSA1024, 0, 1, DKIM_KEY_RSA,
	 1024, 0, 0, 1, NULL},
	{"pkcs1 RSAPublicKey", "p=" KEY_RSA1024_PKCS1, 0, 1, DKIM_KEY_RSA, 1024, 0, 0, 1, NULL},
	{"h=sha1:sha256", "v=DKIM1; h=sha1:sha256; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 0,
	 1, NULL},
	{"s=email:tlsrpt", "v=DKIM1; s=email:tlsrpt; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0,
	 0, 1, NULL},
	{"s=*", "v=DKIM1; s=*; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 0, 1, NULL},
	/* well-formed but unusable */
	{"revoked", "v=DKIM1; p=", 0, 1, DKIM_KEY_RSA, 0, 1, 0, 0, "revoked"},
	{"revoked with spaces", "v=DKIM1; k=ed25519; p= ;", 0, 1, DKIM_KEY_ED25519, 0, 1, 0, 0,
	 "revoked"},
	{"rsa 512", "v=DKIM1; k=rsa; p=" KEY_RSA512, 0, 1, DKIM_KEY_RSA, 512, 0, 0, 0,
	 "below 1024"},
	{"h=sha1 only", "v=DKIM1; h=sha1; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 0, 0,
	 "sha256"},
	{"s=tlsrpt only", "v=DKIM1; s=tlsrpt; p=" KEY_RSA2048, 0, 1, DKIM_KEY_RSA, 2048, 0, 0, 0,
	 "email"},
	/* invalid */
	{"garbage base64", "v=DKIM1; p=!!!!", 0, 0, 0, 0, 0, 0, 0, "base64"},
	{"base64 data after padding", "v=DKIM1; p=QQ==QQ==", 0, 0, 0, 0, 0, 0, 0, "base64"},
	{"base64 one char too many", "v=DKIM1; p=QUJDR", 0, 0, 0, 0, 0, 0, 0, "base64"},
	{"base64 needless padding", "v=DKIM1; p=QUJD=", 0, 0, 0, 0, 0, 0, 0, "base64"},
	{"base64 three pads", "v=DKIM1; p=QUJDRA===", 0, 0, 0, 0, 0, 0, 0, "base64"},
	{"base64 of text", "v=DKIM1; p=aGVsbG8gd29ybGQ=", 0, 0, 0, 0, 0, 0, 0, "DER"},
	{"DER with trailing byte", "v=DKIM1; p=" KEY_RSA1024_TRAILING, 0, 0, 0, 0, 0, 0, 0, "DER"},
	{"ed25519 as SPKI", "v=DKIM1; k=ed25519; p=" KEY_ED25519_SPKI, 0, 0, 0, 0, 0, 0, 0,
	 "raw 32 bytes"},
	{"rsa claimed, ed25519 given", "v=DKIM1; k=rsa; p=" KEY_ED25519_SPKI, 0, 0, 0, 0, 0, 0, 0,
	 "ed25519"},
	{"rsa claimed, EC given", "v=DKIM1; p=" KEY_EC_P256, 0, 0, 0, 0, 0, 0, 0, "EC"},
	{"ed25519 claimed, RSA given", "v=DKIM1; k=ed25519; p=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0,
	 "raw 32 bytes"},
	{"unknown k=", "v=DKIM1; k=dsa; p=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0, "unknown key type"},
	{"v= not first", "k=rsa; v=DKIM1; p=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0, "first"},
	{"v=DKIM2", "v=DKIM2; p=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0, "not DKIM1"},
	{"v=dkim1", "v=dkim1; p=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0, "not DKIM1"},
	{"no p=", "v=DKIM1; k=rsa", 0, 0, 0, 0, 0, 0, 0, "no p="},
	{"P= is not p=", "v=DKIM1; P=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0, "no p="},
	{"p= twice", "v=DKIM1; p=; p=" KEY_RSA1024, 0, 0, 0, 0, 0, 0, 0, "twice"},
	{"SPF record by wildcard", "v=spf1 include:_spf.example.com ~all", 0, 0, 0, 0, 0, 0, 0,
	 "not DKIM1"},
	{"no '='", "v=DKIM1; p", 0, 0, 0, 0, 0, 0, 0, "no '='"},
	{"bad tag name", "v=DKIM1; 1k=rsa; p=", 0, 0, 0, 0, 0, 0, 0, "bad tag name"},
	{"control byte", "v=DKIM1; p=\x01", 0, 0, 0, 0, 0, 0, 0, "not allowed"},
	{"NUL byte", "v=DKIM1; n=a\0b; p=", 18, 0, 0, 0, 0, 0, 0, "not allowed"},
	{"UTF-8 in a value", "v=DKIM1; n=caf\xc3\xa9; p=", 0, 0, 0, 0, 0, 0, 0, "not allowed"},
	{"empty", "", 0, 0, 0, 0, 0, 0, 0, "empty"},
	{"only separators", " ; ;", 0, 0, 0, 0, 0, 0, 0, "empty"},
};

static void test_dkim_key_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof key_cases / sizeof *key_cases; i++) {
		const struct key_case *c = &key_cases[i];
		struct dkim_key k;
		char err[256] = "", why[256] = "";
		int rc = dkim_key_parse(c->rec, c->len ? c->len : strlen(c->rec), &k, err,
					sizeof err);
		if (!c->ok) {
			if (rc == 0)
				fail_msg("%s: accepted", c->what);
			if (strstr(err, c->reason) == NULL)
				fail_msg("%s: reason '%s' lacks '%s'", c->what, err, c->reason);
			continue;
		}
		if (rc != 0)
			fail_msg("%s: rejected (%s)", c->what, err);
		if (k.type != c->type || k.bits != c->bits || k.revoked != c->revoked ||
		    k.testing != c->testing)
			fail_msg("%s: type %s bits %d revoked %d testing %d", c->what,
				 dkim_key_type_name(k.type), k.bits, k.revoked, k.testing);
		int usable = dkim_key_usable(&k, why, sizeof why);
		if (usable != c->usable)
			fail_msg("%s: usable %d (%s)", c->what, usable, why);
		if (!usable && strstr(why, c->reason) == NULL)
			fail_msg("%s: why '%s' lacks '%s'", c->what, why, c->reason);
	}
	struct dkim_key k;
	char err[256];
	assert_int_equal(dkim_key_parse("p=" KEY_RSA1024_PKCS1, strlen("p=" KEY_RSA1024_PKCS1), &k,
					err, sizeof err),
			 0);
	assert_true(k.pkcs1);
	assert_int_equal(dkim_key_parse("p=" KEY_RSA1024, strlen("p=" KEY_RSA1024), &k, err,
					sizeof err),
			 0);
	assert_false(k.pkcs1);
	assert_string_equal(dkim_key_type_name(DKIM_KEY_ED25519), "ed25519");
	assert_string_equal(dkim_key_type_name(DKIM_KEY_UNKNOWN), "unknown");
}

/* ---- selectors ---- */

struct selector_case {
	const char *sel; /* candidate */
	int valid;	 /* expected */
};

static const struct selector_case selector_cases[] = {
	{"default", 1},	     {"selector1", 1},	 {"s1024-2013", 1}, {"k1.sub", 1},
	{"google_2020", 1},  {"", 0},		 {".s1", 0},	    {"s1.", 0},
	{"s1..s2", 0},	     {"s 1", 0},	 {"s1;x", 0},	    {"s\xc3\xa9", 0},
	{"s/1", 0},	     {NULL, 0},
	{"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 0}, /* 65 */
};

static void test_dkim_selectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof selector_cases / sizeof *selector_cases; i++)
		if (dkim_selector_valid(selector_cases[i].sel) != selector_cases[i].valid)
			fail_msg("selector '%s': expected %d",
				 selector_cases[i].sel ? selector_cases[i].sel : "(null)",
				 selector_cases[i].valid);

	assert_int_equal(dkim_selector_count(), 10); /* the built-in default */
	assert_string_equal(dkim_selector(0), "default");
	assert_string_equal(dkim_selector(9), "mx");
	assert_null(dkim_selector(10));

	const char *const mine[] = {"s1", "bad selector", "corp._x", "s2"};
	dkim_set_selectors(mine, 4);
	assert_int_equal(dkim_selector_count(), 3); /* the invalid one is skipped */
	assert_string_equal(dkim_selector(1), "corp._x");
	assert_string_equal(dkim_selector(2), "s2");

	const char *const none[] = {NULL};
	dkim_set_selectors(none, 0); /* probing off */
	assert_int_equal(dkim_selector_count(), 0);
	assert_null(dkim_selector(0));

	const char *many[DKIM_SELECTORS_MAX + 5];
	for (size_t i = 0; i < DKIM_SELECTORS_MAX + 5; i++)
		many[i] = "s";
	dkim_set_selectors(many, DKIM_SELECTORS_MAX + 5);
	assert_int_equal(dkim_selector_count(), DKIM_SELECTORS_MAX);

	dkim_set_selectors(NULL, 0); /* back to the default */
	assert_int_equal(dkim_selector_count(), 10);
	assert_string_equal(dkim_selector(1), "selector1");
}

static void test_dkim_plan(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.org");
	struct dns_question q[32];
	size_t n = check_dkim.plan(ev, q, 32);
	/* The selectors wait for the _domainkey answer: none exists below an NXDOMAIN. */
	assert_int_equal(n, 1);
	assert_string_equal(q[0].name, "_domainkey.example.org");
	assert_int_equal(q[0].type, DNS_TYPE_TXT);
	assert_int_equal(q[0].flags, DNS_Q_AUTHORITATIVE);
	evidence_dns_slot(ev, "_domainkey.example.org", DNS_TYPE_TXT)->status =
		DNS_STATUS_NXDOMAIN;
	assert_int_equal(check_dkim.plan(ev, q, 32), 0);
	evidence_dns_slot(ev, "_domainkey.example.org", DNS_TYPE_TXT)->status =
		DNS_STATUS_NODATA;
	n = check_dkim.plan(ev, q, 32);
	assert_int_equal(n, 11);
	assert_string_equal(q[0].name, "default._domainkey.example.org");
	assert_int_equal(q[0].flags, 0);
	assert_string_equal(q[9].name, "mx._domainkey.example.org");
	/* NOERROR at _domainkey: is it a wildcard's? A name below it that nobody publishes. */
	assert_string_equal(q[10].name, DKIM_WILDCARD_PROBE "._domainkey.example.org");
	assert_int_equal(check_dkim.plan(ev, q, 3), 3); /* the caller's limit holds */

	evidence_dns_slot(ev, "_domainkey.example.org", DNS_TYPE_TXT)->status =
		DNS_STATUS_NODATA;
	evidence_dns_slot(ev, "s1._domainkey.example.org", DNS_TYPE_TXT)->status =
		DNS_STATUS_NXDOMAIN;
	n = check_dkim.plan(ev, q, 32);
	assert_int_equal(n, 10);
	for (size_t i = 0; i < n; i++)
		assert_string_not_equal(q[i].name, "s1._domainkey.example.org");

	const char *const one[] = {"k2"};
	dkim_set_selectors(one, 1);
	n = check_dkim.plan(ev, q, 32);
	assert_int_equal(n, 2);
	assert_string_equal(q[0].name, "k2._domainkey.example.org");
	dkim_set_selectors(NULL, 0);
	evidence_free(ev);
	assert_string_equal(check_dkim.name, "dkim");
	assert_int_equal(check_dkim.id, CHECK_DKIM);
}

/* ---- the check ---- */

struct sel_answer {
	const char *sel;	/* selector, NULL ends */
	enum dns_status status; /* of its TXT lookup */
	const char *txt[3];	/* records, NULL ends */
};

struct verdict_case {
	const char *what;	    /* description */
	enum dns_status heuristic;  /* _domainkey lookup; NOT_QUERIED: not in evidence */
	struct sel_answer sels[4];  /* selector answers */
	enum verdict_status want;   /* expected verdict */
	const char *heur;	    /* expected "heuristic" */
	int supported;		    /* expected MECSA support */
	const char *reason;	    /* substring of the verdict reason */
	size_t n_sel;		    /* expected entries in "selectors" */
	size_t failed;		    /* expected selectors_failed */
};

static const struct verdict_case verdict_cases[] = {
	{"nxdomain", DNS_STATUS_NXDOMAIN, {{NULL, 0, {NULL}}}, VERDICT_ABSENT, "absent", 0,
	 "NXDOMAIN", 0, 0},
	{"nodata (empty non-terminal)", DNS_STATUS_NODATA, {{NULL, 0, {NULL}}}, VERDICT_PASS,
	 "present", 1, "exists (nodata)", 0, 0},
	{"data at _domainkey", DNS_STATUS_OK, {{NULL, 0, {NULL}}}, VERDICT_PASS, "present", 1,
	 "exists (ok)", 0, 0},
	/* mecsa-st reports these three as "DKIM present" */
	{"servfail", DNS_STATUS_SERVFAIL, {{NULL, 0, {NULL}}}, VERDICT_DNS_ERROR, "error", 0,
	 "servfail", 0, 0},
	{"timeout", DNS_STATUS_TIMEOUT, {{NULL, 0, {NULL}}}, VERDICT_DNS_ERROR, "error", 0,
	 "timeout", 0, 0},
	{"refused", DNS_STATUS_REFUSED, {{NULL, 0, {NULL}}}, VERDICT_DNS_ERROR, "error", 0,
	 "refused", 0, 0},
	{"not asked", DNS_STATUS_NOT_QUERIED, {{NULL, 0, {NULL}}}, VERDICT_NOT_TESTABLE, "error", 0,
	 "not queried", 0, 0},
	{"servfail, key under selector1", DNS_STATUS_SERVFAIL,
	 {{"selector1", DNS_STATUS_OK, {"v=DKIM1; k=rsa; p=" KEY_RSA2048, NULL}},
	  {"s1", DNS_STATUS_NXDOMAIN, {NULL}},
	  {NULL, 0, {NULL}}},
	 VERDICT_PASS, "error", 1, "selector1 (rsa, 2048 bits)", 1, 0},
	{"nxdomain yet a key (RFC 8020 violation)", DNS_STATUS_NXDOMAIN,
	 {{"google", DNS_STATUS_OK, {"v=DKIM1; k=ed25519; p=" KEY_ED25519_RAW, NULL}},
	  {NULL, 0, {NULL}}},
	 VERDICT_PASS, "absent", 1, "RFC 8020", 1, 0},
	{"servfail, only a revoked key", DNS_STATUS_SERVFAIL,
	 {{"s2", DNS_STATUS_OK, {"v=DKIM1; p=", NULL}}, {NULL, 0, {NULL}}}, VERDICT_DNS_ERROR,
	 "error", 0, "servfail", 1, 0},
	{"nodata, weak key", DNS_STATUS_NODATA,
	 {{"default", DNS_STATUS_OK, {"v=DKIM1; p=" KEY_RSA512, NULL}}, {NULL, 0, {NULL}}},
	 VERDICT_PASS, "present", 1, "exists (nodata)", 1, 0},
	{"nodata and a key", DNS_STATUS_NODATA,
	 {{"k1", DNS_STATUS_OK, {"v=DKIM1; p=" KEY_RSA1024, NULL}}, {NULL, 0, {NULL}}},
	 VERDICT_PASS, "present", 1, "key at selector k1 (rsa, 1024 bits)", 1, 0},
	{"nxdomain, selectors nxdomain", DNS_STATUS_NXDOMAIN,
	 {{"default", DNS_STATUS_NXDOMAIN, {NULL}},
	  {"selector1", DNS_STATUS_NXDOMAIN, {NULL}},
	  {"mx", DNS_STATUS_NXDOMAIN, {NULL}},
	  {NULL, 0, {NULL}}},
	 VERDICT_ABSENT, "absent", 0, "NXDOMAIN", 0, 0},
	{"servfail everywhere", DNS_STATUS_SERVFAIL,
	 {{"default", DNS_STATUS_SERVFAIL, {NULL}},
	  {"selector1", DNS_STATUS_TIMEOUT, {NULL}},
	  {NULL, 0, {NULL}}},
	 VERDICT_DNS_ERROR, "error", 0, "no key found under 2 selectors", 0, 2},
	{"garbage then a key at one selector", DNS_STATUS_TIMEOUT,
	 {{"mail", DNS_STATUS_OK, {"hello world", "v=DKIM1; p=" KEY_RSA2048, NULL}},
	  {NULL, 0, {NULL}}},
	 VERDICT_PASS, "error", 1, "selector mail", 1, 0},
	/* RFC 8020's false positive: *.example.org synthesizes _domainkey.example.org. A name
	 * below _domainkey that nobody publishes answers NOERROR too: the wildcard is seen. */
	{"wildcard answers for _domainkey (NODATA)", DNS_STATUS_NODATA,
	 {{DKIM_WILDCARD_PROBE, DNS_STATUS_NODATA, {NULL}}, {NULL, 0, {NULL}}}, VERDICT_ABSENT,
	 "wildcard", 1, "only because a wildcard answers for it", 0, 0},
	{"wildcard TXT answers for _domainkey", DNS_STATUS_OK,
	 {{DKIM_WILDCARD_PROBE, DNS_STATUS_OK, {"v=spf1 -all", NULL}}, {NULL, 0, {NULL}}},
	 VERDICT_ABSENT, "wildcard", 1, "_mxsurvey-wildcard-probe._domainkey.example.org is ok",
	 0, 0},
	{"wildcard, yet a key under a selector", DNS_STATUS_NODATA,
	 {{"k1", DNS_STATUS_OK, {"v=DKIM1; p=" KEY_RSA1024, NULL}},
	  {DKIM_WILDCARD_PROBE, DNS_STATUS_NODATA, {NULL}},
	  {NULL, 0, {NULL}}},
	 VERDICT_PASS, "wildcard", 1, "only through a wildcard", 1, 0},
	{"no wildcard: the probe is NXDOMAIN", DNS_STATUS_NODATA,
	 {{DKIM_WILDCARD_PROBE, DNS_STATUS_NXDOMAIN, {NULL}}, {NULL, 0, {NULL}}}, VERDICT_PASS,
	 "present", 1, "exists (nodata)", 0, 0},
	{"the probe failed: present stands", DNS_STATUS_NODATA,
	 {{DKIM_WILDCARD_PROBE, DNS_STATUS_SERVFAIL, {NULL}}, {NULL, 0, {NULL}}}, VERDICT_PASS,
	 "present", 1, "exists (nodata)", 0, 0},
	{"wildcard SPF at a selector", DNS_STATUS_SERVFAIL,
	 {{"dkim", DNS_STATUS_OK, {"v=spf1 -all", NULL}}, {NULL, 0, {NULL}}}, VERDICT_DNS_ERROR,
	 "error", 0, "servfail", 1, 0},
};

static void test_dkim_verdict_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof verdict_cases / sizeof *verdict_cases; i++) {
		const struct verdict_case *c = &verdict_cases[i];
		struct evidence *ev = evidence_new("example.org");
		if (c->heuristic != DNS_STATUS_NOT_QUERIED)
			evidence_dns_slot(ev, "_domainkey.example.org", DNS_TYPE_TXT)->status =
				c->heuristic;
		for (size_t s = 0; c->sels[s].sel; s++) {
			char qn[256];
			snprintf(qn, sizeof qn, "%s._domainkey.example.org", c->sels[s].sel);
			struct dns_answer *a = evidence_dns_slot(ev, qn, DNS_TYPE_TXT);
			a->status = c->sels[s].status;
			for (size_t t = 0; c->sels[s].txt[t]; t++)
				dns_answer_add(a, DNS_TYPE_TXT, NULL, c->sels[s].txt[t],
					       strlen(c->sels[s].txt[t]));
		}
		struct result *res = result_new("example.org");
		check_dkim.evaluate(ev, res);
		const struct check_result *cr = &res->checks[CHECK_DKIM];
		if (cr->verdict.status != c->want)
			fail_msg("%s: verdict %s (%s), expected %s", c->what,
				 verdict_status_name(cr->verdict.status), cr->verdict.reason,
				 verdict_status_name(c->want));
		if (strstr(cr->verdict.reason, c->reason) == NULL)
			fail_msg("%s: reason '%s' lacks '%s'", c->what, cr->verdict.reason,
				 c->reason);
		json_t *d = cr->detail;
		assert_non_null(d);
		assert_string_equal(json_string_value(json_object_get(d, "heuristic")), c->heur);
		assert_string_equal(json_string_value(json_object_get(d, "heuristic_status")),
				    dns_status_name(c->heuristic));
		json_t *sels = json_object_get(d, "selectors");
		if (json_array_size(sels) != c->n_sel)
			fail_msg("%s: %zu selector entries", c->what, json_array_size(sels));
		assert_int_equal(json_integer_value(json_object_get(d, "selectors_failed")),
				 c->failed);
		if (res->supported[MECSA_DKIM] != c->supported)
			fail_msg("%s: supported %d", c->what, res->supported[MECSA_DKIM]);
		assert_true(res->percent[MECSA_DKIM] == (c->supported ? 100.0 : 0.0));
		/* Fixed scoring does not count a wildcard's answer (mecsa-st, above, does). */
		int wild = strcmp(c->heur, "wildcard") == 0;
		int fixed = wild ? c->want == VERDICT_PASS : c->supported;
		if (res->percent_fixed[MECSA_DKIM] != (fixed ? 100.0 : 0.0))
			fail_msg("%s: fixed percent %.0f", c->what, res->percent_fixed[MECSA_DKIM]);
		json_t *wj = json_object_get(d, "wildcard");
		const struct sel_answer *probe = NULL;
		for (size_t s = 0; c->sels[s].sel; s++)
			if (strcmp(c->sels[s].sel, DKIM_WILDCARD_PROBE) == 0)
				probe = &c->sels[s];
		if (probe == NULL || !dns_status_is_answer(probe->status))
			assert_true(json_is_null(wj));
		else
			assert_int_equal(json_is_true(wj), probe->status != DNS_STATUS_NXDOMAIN);
		char *dump = json_dumps(d, 0);
		assert_non_null(dump);
		free(dump);
		result_free(res);
		evidence_free(ev);
	}
}

/* One selector entry in detail, field by field. */
static void test_dkim_selector_detail(void **state)
{
	(void)state;
	struct evidence *ev = evidence_new("example.org");
	evidence_dns_slot(ev, "_domainkey.example.org", DNS_TYPE_TXT)->status = DNS_STATUS_NODATA;
	struct dns_answer *a = evidence_dns_slot(ev, "s1._domainkey.example.org", DNS_TYPE_TXT);
	a->status = DNS_STATUS_OK;
	const char *rec = "v=DKIM1; t=y; p=" KEY_RSA2048;
	dns_answer_add(a, DNS_TYPE_TXT, NULL, rec, strlen(rec));
	a = evidence_dns_slot(ev, "s2._domainkey.example.org", DNS_TYPE_TXT);
	a->status = DNS_STATUS_OK;
	dns_answer_add(a, DNS_TYPE_TXT, NULL, "v=DKIM1; p=", 11);
	struct result *res = result_new("example.org");
	check_dkim.evaluate(ev, res);
	json_t *sels = json_object_get(res->checks[CHECK_DKIM].detail, "selectors");
	assert_int_equal(json_array_size(sels), 2);
	json_t *s1 = json_array_get(sels, 0), *s2 = json_array_get(sels, 1);
	assert_string_equal(json_string_value(json_object_get(s1, "selector")), "s1");
	assert_string_equal(json_string_value(json_object_get(s1, "key_type")), "rsa");
	assert_int_equal(json_integer_value(json_object_get(s1, "bits")), 2048);
	assert_true(json_is_false(json_object_get(s1, "revoked")));
	assert_true(json_is_true(json_object_get(s1, "testing")));
	assert_true(json_is_true(json_object_get(s1, "valid")));
	assert_true(json_is_true(json_object_get(s1, "usable")));
	assert_true(json_is_null(json_object_get(s1, "error")));
	assert_true(json_is_true(json_object_get(s2, "revoked")));
	assert_true(json_is_true(json_object_get(s2, "valid")));
	assert_true(json_is_false(json_object_get(s2, "usable")));
	assert_non_null(strstr(json_string_value(json_object_get(s2, "error")), "revoked"));
	assert_int_equal(json_integer_value(json_object_get(res->checks[CHECK_DKIM].detail,
							    "selectors_probed")),
			 2);
	result_free(res);
	evidence_free(ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dkim_key_table),
		cmocka_unit_test(test_dkim_selectors),
		cmocka_unit_test(test_dkim_plan),
		cmocka_unit_test(test_dkim_verdict_table),
		cmocka_unit_test(test_dkim_selector_detail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
