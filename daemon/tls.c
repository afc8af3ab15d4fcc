/* tls.c — OpenSSL pieces of the SMTP probe: the permissive client context, per-session SSL
 * objects, recording what a handshake negotiated, error text, the CA bundle. Owns nothing
 * between calls: contexts and stores go to the caller. */
#include "daemon/tls.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#include "checks/smtp_evidence.h"
#include "common/dname.h"
#include "common/xalloc.h"

SSL_CTX *tls_client_ctx_new(char *err, size_t errlen)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL) {
		char why[200];
		tls_error_queue(why, sizeof why);
		snprintf(err, errlen, "cannot create the TLS client context: %s", why);
		return NULL;
	}
	/* A survey must see what a server offers, legacy included: the system configuration
	 * (Debian: TLS 1.2, SECLEVEL=2) would turn a TLS 1.0-only server into a "failure". */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, 0);
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") != 1) {
		char why[200];
		tls_error_queue(why, sizeof why);
		snprintf(err, errlen, "cannot set the probe's cipher list: %s", why);
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

SSL *tls_client_new(SSL_CTX *ctx, const char *sni)
{
	SSL *ssl = SSL_new(ctx);
	if (ssl == NULL)
		return NULL;
	if (sni && sni[0] && !dname_is_ip_literal(sni))
		SSL_set_tlsext_host_name(ssl, sni);
	SSL_set_connect_state(ssl);
	return ssl;
}

/* The key-exchange group: the negotiated group's name, else the server's temporary key. */
static char *tls_group_name(SSL *ssl)
{
	int nid = SSL_get_negotiated_group(ssl);
	if (nid > 0 && !(nid & TLSEXT_nid_unknown)) {
		const char *sn = OBJ_nid2sn(nid);
		if (sn)
			return xstrdup(sn);
	}
	if (nid > 0)
		return xasprintf("group-0x%04x", nid & 0xffff);
	EVP_PKEY *key = NULL;
	if (SSL_get_peer_tmp_key(ssl, &key) != 1 || key == NULL)
		return NULL;
	char *name;
	char group[80];
	size_t glen = 0;
	if (EVP_PKEY_get_utf8_string_param(key, "group", group, sizeof group, &glen) == 1)
		name = xstrdup(group);
	else
		name = xasprintf("%s-%d", EVP_PKEY_get0_type_name(key) ? EVP_PKEY_get0_type_name(key)
								       : "key",
				 EVP_PKEY_get_bits(key));
	EVP_PKEY_free(key);
	return name;
}

void tls_record(SSL *ssl, struct smtp_probe *p)
{
	p->tls = 1;
	free(p->tls_version);
	free(p->tls_cipher);
	free(p->tls_group);
	p->tls_version = xstrdup(SSL_get_version(ssl));
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	p->tls_cipher = c ? xstrdup(SSL_CIPHER_get_name(c)) : NULL;
	p->tls_bits = c ? SSL_CIPHER_get_bits(c, NULL) : 0;
	p->tls_group = tls_group_name(ssl);
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	for (int i = 0; chain && i < sk_X509_num(chain); i++) {
		unsigned char *der = NULL;
		int len = i2d_X509(sk_X509_value(chain, i), &der);
		if (len > 0)
			smtp_probe_add_cert(p, der, (size_t)len);
		OPENSSL_free(der);
	}
}

void tls_error_text(unsigned long code, char *buf, size_t len)
{
	/* The reason carries TLS alerts ("tlsv1 alert protocol version"); the library says where. */
	const char *reason = ERR_reason_error_string(code);
	const char *lib = ERR_lib_error_string(code);
	if (reason && lib)
		snprintf(buf, len, "%s: %s", lib, reason);
	else if (reason)
		snprintf(buf, len, "%s", reason);
	else
		ERR_error_string_n(code, buf, len);
}

void tls_error_queue(char *buf, size_t len)
{
	unsigned long code;
	size_t used = 0;
	buf[0] = '\0';
	while ((code = ERR_get_error()) != 0) {
		char one[200];
		tls_error_text(code, one, sizeof one);
		if (used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "; " : "",
						 one);
	}
}

X509_STORE *tls_trust_load(const char *path, char *err, size_t errlen)
{
	X509_STORE *st = X509_STORE_new();
	if (st == NULL || X509_STORE_load_file(st, path) != 1) {
		char why[200];
		tls_error_queue(why, sizeof why);
		snprintf(err, errlen, "%s: cannot load the CA bundle: %s", path, why);
		X509_STORE_free(st);
		return NULL;
	}
	return st;
}
