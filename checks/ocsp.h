/* ocsp.h — OCSP (RFC 6960) for the x509 check, beyond MECSA: the request for a leaf certificate,
 * made with OpenSSL's OCSP API and sent by the daemon as an HTTP GET (RFC 6960 A.1, so that the
 * URL itself names issuer and serial and the per-URL fetch cache is the per-certificate cache),
 * and the judgement of the response recorded in the evidence. Pure: no I/O, the response is
 * judged at the probe's time so that a stored campaign re-evaluates the same way. */
#ifndef MXS_OCSP_H
#define MXS_OCSP_H
#include <stddef.h>
#include <time.h>

#include <jansson.h>
#include <openssl/x509.h>

#include "checks/evidence.h"
#include "checks/x509.h"

#define OCSP_URLS_MAX 8	     /* OCSP requests made per domain */
#define OCSP_URL_MAX 2048    /* longest GET URL made (responder URL plus the request) */
#define OCSP_SKEW_S (5 * 60) /* clock skew allowed around thisUpdate and nextUpdate */

/* The GET URL asking cert's first http(s) OCSP responder (its Authority Information Access)
 * about cert, issued by issuer: "<responder>/<url-encoded base64 of the DER request>". The
 * request carries a SHA-1 CertID and no nonce, so it is the same for every scan. NULL when
 * cert names no usable responder. The caller frees the string. */
char *ocsp_request_url(X509 *cert, X509 *issuer);

/* What the daemon should fetch: the request URL of the leaf of every recorded chain whose issuer
 * the server sent too, de-duplicated, at most max (owned strings into out). */
size_t ocsp_request_urls(const struct evidence *ev, char **out, size_t max);

/* cert's status according to the recorded response for its request URL: GOOD or REVOKED only
 * when the response is successful, signed by the issuer or by a responder the issuer delegated
 * to (id-kp-OCSPSigning), about this certificate, and current at t; otherwise UNKNOWN with why.
 * extra holds the certificates the server sent (a delegated responder's certificate may come
 * from there too). *detail gets a new JSON object describing the answer (NULL when cert names
 * no responder). */
enum x509_revocation ocsp_status(const struct evidence *ev, X509 *cert, X509 *issuer,
				 STACK_OF(X509) * extra, time_t t, char *why, size_t len,
				 json_t **detail);

#endif
