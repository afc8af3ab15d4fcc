/* provider.h — the operator of a mail host, as surveys group them: the registrable domain of the
 * MX host name under the public suffix list (libpsl's built-in list). Pure. */
#ifndef MXS_PROVIDER_H
#define MXS_PROVIDER_H
#include <stddef.h>

/* Write the provider of host into out: the registrable domain ("mx1.mail.example.co.uk" ->
 * "example.co.uk"), the address itself for an address literal ("192.0.2.1", "[2001:db8::1]"),
 * or the name itself when it has no registrable domain (a public suffix). Case-folded, trailing
 * dot dropped. Returns out ("" for NULL or empty host). */
char *provider_of(const char *host, char *out, size_t outlen);

#endif
