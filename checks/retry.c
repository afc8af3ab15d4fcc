/* retry.c — transient and permanent failures in a domain's evidence (see retry.h). */
#include "checks/retry.h"

#include <stdio.h>

enum retry_kind retry_dns_kind(const struct dns_answer *a)
{
	switch (a->status) {
	case DNS_STATUS_NOT_QUERIED:
	case DNS_STATUS_OK:
	case DNS_STATUS_NODATA:
	case DNS_STATUS_NXDOMAIN:
		return RETRY_NONE;
	case DNS_STATUS_TIMEOUT:
		return RETRY_TRANSIENT;
	case DNS_STATUS_SERVFAIL:
		/* A validating resolver's SERVFAIL for bogus data is the zone's state. */
		return a->dnssec == DNSSEC_BOGUS ? RETRY_PERMANENT : RETRY_TRANSIENT;
	case DNS_STATUS_REFUSED:
	case DNS_STATUS_ERROR:
		return RETRY_PERMANENT;
	}
	return RETRY_PERMANENT;
}

/* The reply code of the stage where the session ended. */
static int retry_smtp_code(const struct smtp_probe *p)
{
	switch (p->stage) {
	case SMTP_STAGE_BANNER: return p->banner_code;
	case SMTP_STAGE_EHLO: return p->ehlo_code;
	case SMTP_STAGE_HELO: return p->helo_code;
	case SMTP_STAGE_STARTTLS: return p->starttls_code;
	case SMTP_STAGE_EHLO_TLS: return p->ehlo_tls_code;
	default: return 0;
	}
}

enum retry_kind retry_smtp_kind(const struct smtp_probe *p)
{
	switch (p->error) {
	case SMTP_ERR_NONE:
		return RETRY_NONE;
	case SMTP_ERR_TIMEOUT:
	case SMTP_ERR_REFUSED:
	case SMTP_ERR_CLOSED:
	case SMTP_ERR_RATE_LIMITED:
	case SMTP_ERR_DEADLINE:
	case SMTP_ERR_LOCAL: /* our own (sockets, memory): nothing to do with the peer */
		return RETRY_TRANSIENT;
	case SMTP_ERR_REPLY: {
		int code = retry_smtp_code(p);
		return code >= 400 && code < 500 ? RETRY_TRANSIENT : RETRY_PERMANENT;
	}
	case SMTP_ERR_UNREACHABLE:
	case SMTP_ERR_PROTOCOL:
	case SMTP_ERR_TLS:
	case SMTP_ERR_EXCLUDED:
	case SMTP_ERR_MAX:
		return RETRY_PERMANENT;
	}
	return RETRY_PERMANENT;
}

enum retry_kind retry_https_kind(const struct https_fetch *f)
{
	/* Only a timeout: any response, a TLS failure or a refused connection is the policy
	 * host's answer, which the MTA-STS check judges. */
	return !f->ok && f->timed_out && !f->excluded ? RETRY_TRANSIENT : RETRY_NONE;
}

/* Count one failure; remember the first transient one for the reason. */
static void retry_count(enum retry_kind k, size_t *transient, size_t *permanent, char *why,
			size_t len, const char *what, const char *detail)
{
	if (k == RETRY_PERMANENT)
		(*permanent)++;
	if (k != RETRY_TRANSIENT)
		return;
	if ((*transient)++ == 0 && len)
		snprintf(why, len, "%.120s: %.120s", what, detail);
}

int retry_wanted(const struct evidence *ev, char *why, size_t len)
{
	size_t transient = 0, permanent = 0;
	char what[300];
	if (len)
		why[0] = '\0';
	for (size_t i = 0; i < ev->n_dns; i++) {
		const struct dns_answer *a = &ev->dns[i];
		snprintf(what, sizeof what, "%.200s %s", a->qname ? a->qname : "?",
			 dns_type_name(a->qtype));
		retry_count(retry_dns_kind(a), &transient, &permanent, why, len, what,
			    dns_status_name(a->status));
	}
	for (size_t i = 0; i < ev->n_smtp; i++) {
		const struct smtp_probe *p = &ev->smtp[i];
		snprintf(what, sizeof what, "SMTP %.200s [%.46s]", p->host ? p->host : "?",
			 p->address ? p->address : "?");
		retry_count(retry_smtp_kind(p), &transient, &permanent, why, len, what,
			    p->reason ? p->reason : smtp_error_name(p->error));
	}
	for (size_t i = 0; i < ev->n_https; i++) {
		const struct https_fetch *f = &ev->https[i];
		retry_count(retry_https_kind(f), &transient, &permanent, why, len,
			    f->url ? f->url : "HTTPS", f->error ? f->error : "timed out");
	}
	return transient > 0 && permanent == 0;
}
