/* dname.c — domain-name normalisation (libidn2 for IDNA) and syntax checks. Owns nothing. */
#include "common/dname.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <idn2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int dname_fail(char *err, size_t errlen, const char *why)
{
	if (errlen)
		snprintf(err, errlen, "%s", why);
	return -1;
}

int dname_is_ip_literal(const char *name)
{
	unsigned char buf[16];
	char tmp[DNAME_MAX];
	size_t n = strlen(name);
	if (n >= sizeof tmp)
		return 0;
	memcpy(tmp, name, n + 1);
	if (n > 2 && tmp[0] == '[' && tmp[n - 1] == ']') { /* RFC 5321 address literal */
		memmove(tmp, tmp + 1, n - 2);
		tmp[n - 2] = '\0';
		if (strncasecmp(tmp, "IPv6:", 5) == 0)
			memmove(tmp, tmp + 5, strlen(tmp + 5) + 1);
	}
	return inet_pton(AF_INET, tmp, buf) == 1 || inet_pton(AF_INET6, tmp, buf) == 1;
}

int dname_check_hostname(const char *name, char *err, size_t errlen)
{
	size_t len = strlen(name);
	if (len == 0)
		return dname_fail(err, errlen, "empty name");
	if (len > 253)
		return dname_fail(err, errlen, "name longer than 253 characters");
	const char *label = name;
	const char *last_label = name;
	for (;;) {
		const char *dot = strchr(label, '.');
		size_t llen = dot ? (size_t)(dot - label) : strlen(label);
		if (llen == 0)
			return dname_fail(err, errlen, "empty label");
		if (llen > 63)
			return dname_fail(err, errlen, "label longer than 63 characters");
		if (label[0] == '-' || label[llen - 1] == '-')
			return dname_fail(err, errlen, "label starts or ends with a hyphen");
		for (size_t i = 0; i < llen; i++) {
			unsigned char c = (unsigned char)label[i];
			if (!isalnum(c) && c != '-')
				return dname_fail(err, errlen, "character not allowed in a host name");
		}
		last_label = label;
		if (!dot)
			break;
		label = dot + 1;
	}
	int all_digits = 1;
	for (const char *p = last_label; *p; p++)
		if (!isdigit((unsigned char)*p))
			all_digits = 0;
	if (all_digits)
		return dname_fail(err, errlen, "top-level label is all-numeric");
	if (last_label == name)
		return dname_fail(err, errlen, "single-label name");
	return 0;
}

int dname_normalize(const char *input, char *out, size_t outlen, char *err, size_t errlen)
{
	while (isspace((unsigned char)*input))
		input++;
	size_t len = strlen(input);
	while (len && isspace((unsigned char)input[len - 1]))
		len--;
	if (len && input[len - 1] == '.')
		len--;
	if (len == 0)
		return dname_fail(err, errlen, "empty name");
	if (len > 1024)
		return dname_fail(err, errlen, "name longer than 253 characters");
	char raw[1025];
	memcpy(raw, input, len);
	raw[len] = '\0';
	if (memchr(input, '\0', len) || strlen(raw) != len)
		return dname_fail(err, errlen, "NUL byte in name");
	if (dname_is_ip_literal(raw))
		return dname_fail(err, errlen, "an IP address, not a domain name");

	int ascii = 1;
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)raw[i] >= 0x80)
			ascii = 0;
		else
			raw[i] = (char)tolower((unsigned char)raw[i]);
	}
	char *alabel = NULL;
	if (!ascii) {
		int rc = idn2_lookup_u8((const uint8_t *)raw, (uint8_t **)&alabel,
					IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (rc != IDN2_OK) {
			if (errlen)
				snprintf(err, errlen, "IDNA conversion failed: %s", idn2_strerror(rc));
			return -1;
		}
	} else if (strstr(raw, "xn--")) {
		/* An A-label given directly must be a valid IDNA label too. */
		char *ulabel = NULL;
		int rc = idn2_to_unicode_8z8z(raw, &ulabel, 0);
		idn2_free(ulabel);
		if (rc != IDN2_OK) {
			if (errlen)
				snprintf(err, errlen, "invalid A-label: %s", idn2_strerror(rc));
			return -1;
		}
	}
	const char *name = alabel ? alabel : raw;
	int rc = dname_check_hostname(name, err, errlen);
	if (rc == 0) {
		if (strlen(name) >= outlen)
			rc = dname_fail(err, errlen, "name too long");
		else
			snprintf(out, outlen, "%s", name);
	}
	idn2_free(alabel);
	return rc;
}

void dname_canonical(const char *name, char *out, size_t outlen)
{
	size_t i = 0;
	for (; name[i] && i + 1 < outlen; i++)
		out[i] = (char)tolower((unsigned char)name[i]);
	if (i && out[i - 1] == '.')
		i--;
	out[i] = '\0';
}

/* Appends one octet of a label to out[*o] as ldns prints it (dname_char_print). */
static int dname_put_octet(unsigned char c, char *out, size_t outlen, size_t *o)
{
	int special = c == '.' || c == ';' || c == '(' || c == ')' || c == '\\';
	int decimal = c < 0x21 || c > 0x7e; /* not isgraph(): ldns prints \DDD */
	if (*o + (special ? 2 : decimal ? 4 : 1) >= outlen)
		return -1;
	if (special) {
		out[(*o)++] = '\\';
		out[(*o)++] = (char)c;
	} else if (decimal) {
		out[(*o)++] = '\\';
		out[(*o)++] = (char)('0' + c / 100);
		out[(*o)++] = (char)('0' + c / 10 % 10);
		out[(*o)++] = (char)('0' + c % 10);
	} else {
		out[(*o)++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	return 0;
}

int dname_from_wire(const unsigned char *w, size_t wlen, char *out, size_t outlen)
{
	size_t i = 0, o = 0;
	if (outlen == 0)
		return -1;
	for (;;) {
		if (i >= wlen || i > 254)
			return -1;
		unsigned lab = w[i++];
		if (lab == 0)
			break;
		if (lab > 63 || i + lab > wlen)
			return -1; /* a compression pointer, an unknown label type or a cut name */
		if (o > 0) {
			if (o + 1 >= outlen)
				return -1;
			out[o++] = '.';
		}
		for (unsigned k = 0; k < lab; k++)
			if (dname_put_octet(w[i + k], out, outlen, &o) < 0)
				return -1;
		i += lab;
	}
	if (i > 255)
		return -1;
	out[o] = '\0';
	return (int)o;
}

int dname_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la && a[la - 1] == '.')
		la--;
	if (lb && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}

const char *dname_parent(const char *name)
{
	const char *dot = strchr(name, '.');
	if (!dot || dot[1] == '\0')
		return NULL;
	return dot + 1;
}
