/* tls.h — OpenSSL for the SMTP probe: the client context (every protocol version from TLS 1.0,
 * security level 0, no verification during the handshake: judging is the evaluators' job), the
 * per-session SSL object with SNI, what a finished handshake negotiated, OpenSSL's error queue as
 * text, and loading the CA bundle the x509 and dane checks verify against. */
#ifndef MXS_TLS_H
#define MXS_TLS_H
#include <stddef.h>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

struct smtp_probe;

/* A client context for probing; NULL with a reason on failure. Free with SSL_CTX_free. */
SSL_CTX *tls_client_ctx_new(char *err, size_t errlen);
/* A client SSL for one session; sni is sent unless it is NULL or an IP literal. */
SSL *tls_client_new(SSL_CTX *ctx, const char *sni);
/* Record version, cipher, key-exchange group and the peer chain (DER) of a finished handshake. */
void tls_record(SSL *ssl, struct smtp_probe *p);
/* Describe one OpenSSL error code ("SSL routines: wrong version number") into buf. */
void tls_error_text(unsigned long code, char *buf, size_t len);
/* Drain OpenSSL's thread error queue into buf ("" when empty). */
void tls_error_queue(char *buf, size_t len);
/* The trust store for certificate checks: the CA bundle at path; NULL with a reason on failure.
 * Free with X509_STORE_free. */
X509_STORE *tls_trust_load(const char *path, char *err, size_t errlen);

#endif
