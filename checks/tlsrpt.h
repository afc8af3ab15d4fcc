/* tlsrpt.h — SMTP TLS Reporting (RFC 8460 §3): the TXT record at _smtp._tls.<domain> that says
 * where senders deliver their daily TLS failure reports. Reported, not scored by MECSA. */
#ifndef MXS_TLSRPT_H
#define MXS_TLSRPT_H
#include <stddef.h>

#include "checks/check.h"

#define TLSRPT_VERSION "v=TLSRPTv1"

struct tlsrpt_record {
	size_t n_rua; /* number of report URIs */
	char **rua;   /* owned: the rua= URIs (mailto: or https:), in record order */
	size_t n_ext; /* extension fields seen (ignored, RFC 8460 §3) */
};

/* Parse one record (len bytes, need not be NUL-terminated) per the RFC 8460 §3 ABNF, rua
 * required. Returns 0 when valid; else -1 with a reason in err. *out is always initialised; call
 * tlsrpt_record_clear() on it either way. */
int tlsrpt_record_parse(const char *txt, size_t len, struct tlsrpt_record *out, char *err,
			size_t errlen);
void tlsrpt_record_clear(struct tlsrpt_record *rec);

/* Syntax of one report URI: an RFC 3986 URI of scheme mailto (with an addr-spec) or https (with
 * a host), in which ',', '!' and ';' are percent-encoded. 0 when valid, else -1 and err. */
int tlsrpt_uri_check(const char *uri, size_t len, char *err, size_t errlen);

extern const struct check check_tlsrpt;

#endif
