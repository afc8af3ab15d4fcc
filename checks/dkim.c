/* dkim.c — the DKIM check: the mecsa-st presence heuristic (_domainkey.<domain> asked of the
 * authoritative servers), read with RFC 8020 so that a failed lookup is not "present", plus
 * probing of common selectors whose key records are parsed and sized with OpenSSL. Pure apart
 * from the process-wide selector list it owns (set once at start by the daemon). */
#include "checks/dkim.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "checks/txtrec.h"
#include "common/xalloc.h"

/* ---- the selector list ---- */

static const char *const dkim_default_selectors[] = {
	"default", "selector1", "selector2", "google", "k1", "s1", "s2", "dkim", "mail", "mx",
};

static char **dkim_sel_owned;	/* owned: the configured list, NULL while the default is used */
static size_t dkim_sel_n_owned; /* its length */
static int dkim_sel_configured; /* 1 when dkim_set_selectors() installed a list */

int dkim_selector_valid(const char *sel)
{
	/* RFC 6376 §3.1: selector = sub-domain *("." sub-domain). Underscores are outside that
	 * grammar but are published and resolve, so they are allowed. */
	size_t n = sel ? strlen(sel) : 0, label = 0;
	if (n == 0 || n > DKIM_SELECTOR_LEN_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)sel[i];
		if (c == '.') {
			if (label == 0)
				return 0;
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return 0;
		} else {
			return 0;
		}
	}
	return label > 0;
}

void dkim_set_selectors(const char *const *list, size_t n)
{
	for (size_t i = 0; i < dkim_sel_n_owned; i++)
		free(dkim_sel_owned[i]);
	free(dkim_sel_owned);
	dkim_sel_owned = NULL;
	dkim_sel_n_owned = 0;
	dkim_sel_configured = list != NULL;
	if (list == NULL)
		return;
	dkim_sel_owned = xcalloc(n ? n : 1, sizeof *dkim_sel_owned);
	for (size_t i = 0; i < n && dkim_sel_n_owned < DKIM_SELECTORS_MAX; i++)
		if (dkim_selector_valid(list[i]))
			dkim_sel_owned[dkim_sel_n_owned++] = xstrdup(list[i]);
}

size_t dkim_selector_count(void)
{
	if (dkim_sel_configured)
		return dkim_sel_n_owned;
	return sizeof dkim_default_selectors / sizeof *dkim_default_selectors;
}

const char *dkim_selector(size_t i)
{
	if (i >= dkim_selector_count())
		return NULL;
	return dkim_sel_configured ? dkim_sel_owned[i] : dkim_default_selectors[i];
}

/* ---- key records (RFC 6376 §3.2 tag lists, §3.6.1 key tags) ---- */

const char *dkim_key_type_name(enum dkim_key_type t)
{
	switch (t) {
	case DKIM_KEY_RSA: return "rsa";
	case DKIM_KEY_ED25519: return "ed25519";
	default: return "unknown";
	}
}

#define DKIM_TAGS_MAX 32

struct dkim_tag {
	const char *name;  /* borrowed: into the record */
	size_t name_len;   /* its length */
	const char *value; /* borrowed: into the record, surrounding FWS excluded */
	size_t value_len;  /* its length (0 for an empty value) */
};

static int dkim_is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Split txt into tags: tag-spec *(";" tag-spec) [";"], tag-spec = [FWS] tag-name [FWS] "="
 * [FWS] tag-value [FWS]. Returns the number of tags, or -1 with err. */
static int dkim_tag_list(const char *txt, size_t len, struct dkim_tag *tags, char *err,
			 size_t errlen)
{
	int nt = 0;
	size_t pos = 0;
	while (pos < len) {
		size_t end = pos;
		while (end < len && txt[end] != ';')
			end++;
		size_t a = pos, b = end;
		pos = end < len ? end + 1 : end;
		while (a < b && dkim_is_fws((unsigned char)txt[a]))
			a++;
		while (b > a && dkim_is_fws((unsigned char)txt[b - 1]))
			b--;
		if (a == b)
			continue; /* ";;" is outside the ABNF, but verifiers skip it; so do we */
		size_t i = a;
		if (!isalpha((unsigned char)txt[i])) {
			snprintf(err, errlen, "bad tag name at offset %zu", a);
			return -1;
		}
		while (i < b && (isalnum((unsigned char)txt[i]) || txt[i] == '_'))
			i++;
		size_t name_end = i;
		while (i < b && dkim_is_fws((unsigned char)txt[i]))
			i++;
		if (i == b || txt[i] != '=') {
			snprintf(err, errlen, "tag \"%.*s\" has no '='",
				 (int)(name_end - a > 16 ? 16 : name_end - a), txt + a);
			return -1;
		}
		i++;
		while (i < b && dkim_is_fws((unsigned char)txt[i]))
			i++;
		for (size_t j = i; j < b; j++) {
			unsigned char c = (unsigned char)txt[j];
			if (!dkim_is_fws(c) && (c < 0x21 || c > 0x7e)) {
				snprintf(err, errlen,
					 "tag \"%.*s\": byte 0x%02X is not allowed in a value",
					 (int)(name_end - a > 16 ? 16 : name_end - a), txt + a, c);
				return -1;
			}
		}
		for (int k = 0; k < nt; k++)
			if (tags[k].name_len == name_end - a &&
			    memcmp(tags[k].name, txt + a, name_end - a) == 0) {
				/* §3.2: a duplicated tag makes the entire tag-list invalid. */
				snprintf(err, errlen, "tag \"%.*s\" appears twice",
					 (int)(name_end - a > 16 ? 16 : name_end - a), txt + a);
				return -1;
			}
		if (nt == DKIM_TAGS_MAX) {
			snprintf(err, errlen, "more than %d tags", DKIM_TAGS_MAX);
			return -1;
		}
		tags[nt].name = txt + a;
		tags[nt].name_len = name_end - a;
		tags[nt].value = txt + i;
		tags[nt].value_len = b - i;
		nt++;
	}
	return nt;
}

static const struct dkim_tag *dkim_tag_find(const struct dkim_tag *tags, int nt, const char *name)
{
	for (int i = 0; i < nt; i++)
		if (txtrec_eq(tags[i].name, tags[i].name_len, name))
			return &tags[i];
	return NULL;
}

/* 1 when the ':'-separated list v (FWS allowed around items) holds item, case-insensitively:
 * key tag keywords are compared as the widely deployed verifiers do. */
static int dkim_list_has(const char *v, size_t n, const char *item)
{
	size_t il = strlen(item), pos = 0;
	while (pos <= n) {
		size_t end = pos;
		while (end < n && v[end] != ':')
			end++;
		size_t a = pos, b = end;
		while (a < b && dkim_is_fws((unsigned char)v[a]))
			a++;
		while (b > a && dkim_is_fws((unsigned char)v[b - 1]))
			b--;
		if (b - a == il && strncasecmp(v + a, item, il) == 0)
			return 1;
		pos = end + 1;
	}
	return 0;
}

static int dkim_b64_val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 with FWS anywhere (RFC 6376 base64string). Padding may be left out, as some
 * publishers do; anything else malformed is an error. Returns the length or -1; out is xmalloc'd
 * (freed by the caller) when the result is >= 0. */
static long dkim_b64_decode(const char *v, size_t n, unsigned char **out)
{
	unsigned char *buf = xmalloc(n / 4 * 3 + 3);
	size_t o = 0, pad = 0, chars = 0;
	unsigned acc = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (dkim_is_fws(c))
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		int d = dkim_b64_val(c);
		if (d < 0 || pad) { /* a bad character, or data after padding */
			free(buf);
			return -1;
		}
		acc = (acc << 6) | (unsigned)d;
		if (++chars % 4 == 0) {
			buf[o++] = (unsigned char)(acc >> 16);
			buf[o++] = (unsigned char)(acc >> 8);
			buf[o++] = (unsigned char)acc;
			acc = 0;
		}
	}
	size_t rest = chars % 4;
	if (rest == 1 || pad > 2 || (pad && (rest + pad) % 4 != 0)) {
		free(buf);
		return -1;
	}
	if (rest == 2) {
		buf[o++] = (unsigned char)(acc >> 4);
	} else if (rest == 3) {
		buf[o++] = (unsigned char)(acc >> 10);
		buf[o++] = (unsigned char)(acc >> 2);
	}
	*out = buf;
	return (long)o;
}

/* A SubjectPublicKeyInfo is a SEQUENCE that opens with a SEQUENCE (the AlgorithmIdentifier); a
 * PKCS#1 RSAPublicKey opens with an INTEGER (the modulus). */
static int dkim_der_is_spki(const unsigned char *der, size_t n)
{
	if (n < 2 || der[0] != 0x30)
		return 0;
	size_t hdr = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7f);
	return hdr < n && der[hdr] == 0x30;
}

/* d2i_PUBKEY, without its cost: for every key, OpenSSL 3 builds a decoder context (a search of
 * every provider's decoders), nine tenths of the time a 2048-bit key takes. One context, made on
 * first use, decodes every key. It would take a PKCS#1 key too, so only what has the shape of a
 * SubjectPublicKeyInfo is given to it. NULL unless der is one SubjectPublicKeyInfo and nothing
 * more. */
static EVP_PKEY *dkim_spki_decode(const unsigned char *der, size_t n)
{
	static OSSL_DECODER_CTX *dctx;
	static EVP_PKEY *decoded; /* where dctx puts a key; taken at once */
	if (!dkim_der_is_spki(der, n))
		return NULL;
	if (dctx == NULL)
		dctx = OSSL_DECODER_CTX_new_for_pkey(&decoded, "DER", "SubjectPublicKeyInfo", NULL,
						     EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	const unsigned char *q = der;
	size_t left = n;
	EVP_PKEY *pk = NULL;
	if (dctx == NULL) {
		pk = d2i_PUBKEY(NULL, &q, (long)n);
		left = pk ? n - (size_t)(q - der) : n;
	} else {
		decoded = NULL;
		if (!OSSL_DECODER_from_data(dctx, &q, &left))
			left = n;
		pk = decoded;
		decoded = NULL;
	}
	if (pk && left != 0) {
		EVP_PKEY_free(pk);
		pk = NULL;
	}
	return pk;
}

/* Decode the DER/raw key of p= and size it. 0, or -1 with err. */
static int dkim_key_decode(struct dkim_key *k, const unsigned char *der, size_t n, char *err,
			   size_t errlen)
{
	if (k->type == DKIM_KEY_ED25519) {
		/* RFC 8463 §4.2: p= is the raw 32-byte public key, not SubjectPublicKeyInfo. */
		if (n != 32) {
			snprintf(err, errlen, "ed25519 key of %zu bytes (must be the raw 32 bytes)",
				 n);
			return -1;
		}
		EVP_PKEY *pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, der, n);
		if (pk == NULL) {
			ERR_clear_error();
			snprintf(err, errlen, "ed25519 key not accepted by OpenSSL");
			return -1;
		}
		EVP_PKEY_free(pk);
		k->bits = 256;
		return 0;
	}
	/* RSA: SubjectPublicKeyInfo as everyone publishes; a bare PKCS#1 RSAPublicKey (what a
	 * literal reading of RFC 6376 §3.6.1 asks for) is accepted too and flagged. */
	const unsigned char *q;
	EVP_PKEY *pk = dkim_spki_decode(der, n);
	if (pk == NULL) {
		q = der;
		pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &q, (long)n);
		if (pk && q != der + n) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		if (pk)
			k->pkcs1 = true;
	}
	ERR_clear_error(); /* failed attempts leave entries on the thread's queue */
	if (pk == NULL) {
		snprintf(err, errlen, "p= is not a DER public key");
		return -1;
	}
	int id = EVP_PKEY_get_base_id(pk);
	if (id != EVP_PKEY_RSA) {
		const char *kind = id == EVP_PKEY_ED25519 ? "ed25519"
				   : id == EVP_PKEY_EC	  ? "EC"
							  : "other";
		snprintf(err, errlen, "p= holds a key of type %s, not the RSA key k= announces",
			 kind);
		EVP_PKEY_free(pk);
		return -1;
	}
	k->bits = EVP_PKEY_get_bits(pk);
	EVP_PKEY_free(pk);
	return 0;
}

int dkim_key_parse(const char *txt, size_t len, struct dkim_key *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof *out);
	out->type = DKIM_KEY_RSA;
	out->email = true;
	out->sha256 = true;
	struct dkim_tag tags[DKIM_TAGS_MAX];
	int nt = dkim_tag_list(txt, len, tags, err, errlen);
	if (nt < 0)
		return -1;
	if (nt == 0) {
		snprintf(err, errlen, "empty record");
		return -1;
	}
	const struct dkim_tag *t = dkim_tag_find(tags, nt, "v");
	if (t) {
		/* §3.6.1: v= MUST be first; records with another value MUST be discarded. */
		if (t != &tags[0]) {
			snprintf(err, errlen, "v= is not the first tag");
			return -1;
		}
		if (!txtrec_eq(t->value, t->value_len, "DKIM1")) {
			snprintf(err, errlen, "v=%.*s is not DKIM1",
				 (int)(t->value_len > 16 ? 16 : t->value_len), t->value);
			return -1;
		}
	}
	if ((t = dkim_tag_find(tags, nt, "k")) != NULL) {
		if (t->value_len == 3 && strncasecmp(t->value, "rsa", 3) == 0) {
			out->type = DKIM_KEY_RSA;
		} else if (t->value_len == 7 && strncasecmp(t->value, "ed25519", 7) == 0) {
			out->type = DKIM_KEY_ED25519;
		} else {
			out->type = DKIM_KEY_UNKNOWN;
			snprintf(err, errlen, "unknown key type k=%.*s",
				 (int)(t->value_len > 16 ? 16 : t->value_len), t->value);
			return -1;
		}
	}
	if ((t = dkim_tag_find(tags, nt, "h")) != NULL)
		out->sha256 = dkim_list_has(t->value, t->value_len, "sha256");
	if ((t = dkim_tag_find(tags, nt, "s")) != NULL)
		out->email = dkim_list_has(t->value, t->value_len, "*") ||
			     dkim_list_has(t->value, t->value_len, "email");
	if ((t = dkim_tag_find(tags, nt, "t")) != NULL) {
		out->testing = dkim_list_has(t->value, t->value_len, "y");
		out->strict = dkim_list_has(t->value, t->value_len, "s");
	}
	if ((t = dkim_tag_find(tags, nt, "p")) == NULL) {
		snprintf(err, errlen, "no p= tag (required)");
		return -1;
	}
	unsigned char *der = NULL;
	long dn = dkim_b64_decode(t->value, t->value_len, &der);
	if (dn < 0) {
		snprintf(err, errlen, "p= is not valid base64");
		return -1;
	}
	if (dn == 0) {
		out->revoked = true; /* §3.6.1: an empty p= means the key has been revoked */
		free(der);
		return 0;
	}
	int rc = dkim_key_decode(out, der, (size_t)dn, err, errlen);
	free(der);
	return rc;
}

int dkim_key_usable(const struct dkim_key *k, char *why, size_t whylen)
{
	if (k->revoked)
		snprintf(why, whylen, "key revoked (empty p=)");
	else if (!k->email)
		snprintf(why, whylen, "s= excludes email");
	else if (!k->sha256)
		snprintf(why, whylen, "h= excludes sha256 (sha1 is not allowed, RFC 8301)");
	else if (k->type == DKIM_KEY_RSA && k->bits < DKIM_RSA_MIN_BITS)
		snprintf(why, whylen, "RSA key of %d bits, below %d (RFC 8301)", k->bits,
			 DKIM_RSA_MIN_BITS);
	else
		return 1;
	return 0;
}

/* ---- the check ---- */

static size_t dkim_plan(const struct evidence *ev, struct dns_question *q, size_t max)
{
	char name[DKIM_SELECTOR_LEN_MAX + DNAME_MAX + 16];
	size_t n = 0;
	snprintf(name, sizeof name, "_domainkey.%s", ev->domain);
	check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TXT, DNS_Q_AUTHORITATIVE);
	/* RFC 8020: nothing exists below an NXDOMAIN _domainkey, so the selectors are asked only
	 * in the round after its answer, and only when it is not NXDOMAIN. The round trip this
	 * waits is cheap next to ten questions for every domain without DKIM (about half the
	 * resolver's work in bulk). The price: a server that wrongly answers NXDOMAIN for the
	 * empty non-terminal (spec §3.4's false negative) is not second-guessed. Names too long
	 * are left out. */
	const struct dns_answer *h = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	if (h == NULL || h->status == DNS_STATUS_NXDOMAIN)
		return n;
	for (size_t i = 0; i < dkim_selector_count(); i++) {
		snprintf(name, sizeof name, "%s._domainkey.%s", dkim_selector(i), ev->domain);
		check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TXT, 0);
	}
	/* NOERROR may be a wildcard's answer (DKIM_WILDCARD_PROBE says how it is told apart). */
	if (h->status == DNS_STATUS_OK || h->status == DNS_STATUS_NODATA) {
		snprintf(name, sizeof name, "%s._domainkey.%s", DKIM_WILDCARD_PROBE, ev->domain);
		check_plan_ask(ev, q, max, &n, name, DNS_TYPE_TXT, 0);
	}
	return n;
}

/* The key found under one selector: the first usable record, else the first well-formed one,
 * else the first record (several records are legal, RFC 6376 §3.6.2.2). */
static json_t *dkim_selector_json(const char *sel, const struct dns_answer *a, int *usable,
				  struct dkim_key *best)
{
	int best_rank = -1;
	size_t n_txt = 0;
	char best_err[VERDICT_REASON_MAX] = "";
	for (size_t i = 0; i < a->n_rr; i++) {
		if (a->rr[i].type != DNS_TYPE_TXT)
			continue;
		n_txt++;
		struct dkim_key k;
		char err[VERDICT_REASON_MAX];
		const char *txt = a->rr[i].data ? (const char *)a->rr[i].data : "";
		int rank = 0;
		if (dkim_key_parse(txt, a->rr[i].len, &k, err, sizeof err) == 0)
			rank = dkim_key_usable(&k, err, sizeof err) ? 2 : 1;
		if (rank > best_rank) {
			best_rank = rank;
			*best = k;
			snprintf(best_err, sizeof best_err, "%s", rank == 2 ? "" : err);
		}
	}
	*usable = best_rank == 2;
	if (best_rank < 0)
		return NULL;
	return json_pack("{s:s, s:I, s:s, s:i, s:b, s:b, s:b, s:b, s:o}", "selector", sel,
			 "records", (json_int_t)n_txt, "key_type", dkim_key_type_name(best->type),
			 "bits", best->bits, "revoked", best->revoked, "testing", best->testing,
			 "valid", best_rank >= 1, "usable", best_rank == 2, "error",
			 best_rank == 2 ? json_null() : json_string(best_err));
}

static void dkim_evaluate(const struct evidence *ev, struct result *res)
{
	char name[DKIM_SELECTOR_LEN_MAX + DNAME_MAX + 16];
	snprintf(name, sizeof name, "_domainkey.%s", ev->domain);
	const struct dns_answer *h = evidence_dns_find(ev, name, DNS_TYPE_TXT);
	enum dns_status hs = h ? h->status : DNS_STATUS_NOT_QUERIED;
	/* RFC 8020: NXDOMAIN means nothing exists below the name, so no key under any selector.
	 * NOERROR, with or without data, means the name exists (usually an empty non-terminal
	 * above the selectors). Any failure says nothing: mecsa-st calls it "present" (§3.4). */
	const char *heur = hs == DNS_STATUS_OK || hs == DNS_STATUS_NODATA ? "present"
			   : hs == DNS_STATUS_NXDOMAIN			? "absent"
									: "error";
	/* A wildcard answering for _domainkey: a name below it that nobody publishes exists too.
	 * Had _domainkey existed (the empty non-terminal above the selectors), the name below it
	 * would be NXDOMAIN, as no *._domainkey answers for it. */
	char probe[DKIM_SELECTOR_LEN_MAX + DNAME_MAX + 16];
	snprintf(probe, sizeof probe, "%s._domainkey.%s", DKIM_WILDCARD_PROBE, ev->domain);
	const struct dns_answer *w = evidence_dns_find(ev, probe, DNS_TYPE_TXT);
	int wildcard = -1; /* unknown: not asked, or the probe failed */
	if (w && (w->status == DNS_STATUS_OK || w->status == DNS_STATUS_NODATA))
		wildcard = 1;
	else if (w && w->status == DNS_STATUS_NXDOMAIN)
		wildcard = 0;
	if (wildcard == 1 && strcmp(heur, "present") == 0)
		heur = "wildcard";
	json_t *sels = json_array();
	size_t probed = 0, failed = 0, n_usable = 0;
	char first[DKIM_SELECTOR_LEN_MAX + 1] = "";
	struct dkim_key first_key = {0};
	for (size_t i = 0; i < dkim_selector_count(); i++) {
		char qn[DKIM_SELECTOR_LEN_MAX + DNAME_MAX + 16];
		snprintf(qn, sizeof qn, "%s._domainkey.%s", dkim_selector(i), ev->domain);
		const struct dns_answer *a = evidence_dns_find(ev, qn, DNS_TYPE_TXT);
		if (a == NULL || a->status == DNS_STATUS_NOT_QUERIED)
			continue;
		probed++;
		if (!dns_status_is_answer(a->status)) {
			failed++;
			continue;
		}
		int usable;
		struct dkim_key k;
		json_t *sj = dkim_selector_json(dkim_selector(i), a, &usable, &k);
		if (sj == NULL)
			continue;
		json_array_append_new(sels, sj);
		if (usable && n_usable++ == 0) {
			snprintf(first, sizeof first, "%s", dkim_selector(i));
			first_key = k;
		}
	}
	json_t *d = json_pack("{s:s, s:s, s:s, s:o, s:I, s:I}", "qname", name, "heuristic", heur,
			      "heuristic_status", dns_status_name(hs), "selectors", sels,
			      "selectors_probed", (json_int_t)probed, "selectors_failed",
			      (json_int_t)failed);
	json_object_set_new(d, "wildcard", wildcard < 0 ? json_null() : json_boolean(wildcard));
	json_object_set_new(d, "wildcard_probe",
			    w ? json_pack("{s:s, s:s}", "qname", probe, "lookup",
					  dns_status_name(w->status))
			      : json_null());
	char keyinfo[VERDICT_REASON_MAX] = "";
	if (n_usable)
		snprintf(keyinfo, sizeof keyinfo, "key at selector %s (%s, %d bits)", first,
			 dkim_key_type_name(first_key.type), first_key.bits);

	/* MECSA counts DKIM as supported when the heuristic says present; a usable key found
	 * under a selector is stronger evidence and counts too (mxsurvey's addition). */
	int supported = strcmp(heur, "present") == 0 || n_usable > 0;
	/* mecsa-st cannot see a wildcard and counts it as present; fixed scoring does not. */
	int mecsa_st = supported || strcmp(heur, "wildcard") == 0;
	res->supported[MECSA_DKIM] = mecsa_st;
	res->percent[MECSA_DKIM] = mecsa_st ? 100.0 : 0.0;
	res->percent_fixed[MECSA_DKIM] = supported ? 100.0 : 0.0;

	if (strcmp(heur, "wildcard") == 0 && n_usable == 0) {
		result_set(res, CHECK_DKIM, d, VERDICT_ABSENT,
			   "%s answered %s only because a wildcard answers for it (%s is %s too): "
			   "no evidence of DKIM, and no key under %zu selectors",
			   name, dns_status_name(hs), probe, dns_status_name(w->status), probed);
	} else if (strcmp(heur, "wildcard") == 0) {
		result_set(res, CHECK_DKIM, d, VERDICT_PASS,
			   "%s; %s exists only through a wildcard", keyinfo, name);
	} else if (strcmp(heur, "present") == 0) {
		result_set(res, CHECK_DKIM, d, VERDICT_PASS, "%s exists (%s)%s%s", name,
			   dns_status_name(hs), n_usable ? "; " : "", keyinfo);
	} else if (n_usable) {
		result_set(res, CHECK_DKIM, d, VERDICT_PASS, "%s%s", keyinfo,
			   hs == DNS_STATUS_NXDOMAIN
				   ? "; yet _domainkey answered NXDOMAIN (RFC 8020 violation)"
				   : "");
	} else if (hs == DNS_STATUS_NXDOMAIN) {
		result_set(res, CHECK_DKIM, d, VERDICT_ABSENT,
			   "%s does not exist (NXDOMAIN): no DKIM keys under the domain", name);
	} else if (hs == DNS_STATUS_NOT_QUERIED) {
		result_set(res, CHECK_DKIM, d, VERDICT_NOT_TESTABLE, "TXT %s was not queried",
			   name);
	} else {
		result_set(res, CHECK_DKIM, d, VERDICT_DNS_ERROR,
			   "TXT %s: %s%s%s; no key found under %zu selectors", name,
			   dns_status_name(hs), h && h->why ? ": " : "", h && h->why ? h->why : "",
			   probed);
	}
}

const struct check check_dkim = {
	.id = CHECK_DKIM,
	.name = "dkim",
	.title = "DKIM",
	.plan = dkim_plan,
	.plan_self_contained = 1,
	.evaluate = dkim_evaluate,
};
