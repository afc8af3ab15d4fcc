/* dmarc.h — the DMARC check: a strict RFC 7489 record parser and check_dmarc, which discovers the
 * policy of a domain twice — by RFC 7489 §6.6.3 (the domain, then its PSL organizational domain)
 * and by the DMARCbis DNS tree walk (RFC 9989 §4.10) — and checks external report destinations
 * (RFC 7489 §7.1). Pure: no I/O; the PSL is libpsl's built-in list.
 *
 * Parser rules (RFC 7489 §6.3/§6.4, plus the np tag of RFC 9091 and psd/t of RFC 9989):
 *  - the first tag must be v=DMARC1; the value is case-sensitive (%x44.4d.41.52.43.31);
 *  - p is REQUIRED in a policy record and must directly follow v ("the v and p tags MUST be present
 *    and MUST appear in that order", and the ABNF puts dmarc-request right after dmarc-version);
 *    mecsa-st accepts records without p, and RFC 9989 treats them as p=none when rua is valid;
 *  - tag names are case-sensitive (DKIM tag-value syntax, RFC 6376 §3.2, which §6.3 adopts);
 *    keyword values (none, r, y, d, k...) are case-insensitive, as quoted ABNF strings are;
 *  - *WSP is allowed around '=', ';', ',' and ':'; also before the first and after the last tag;
 *  - one trailing ';' is allowed, an empty tag between two ';' is an error;
 *  - p/sp/np none|quarantine|reject; adkim/aspf r|s; pct 0-100 (1-3 digits); ri a uint32;
 *    fo 0|1|d|s separated by ':'; rf RFC 5321 Keywords separated by ':'; psd y|n|u; t y|n;
 *    rua/ruf comma-separated RFC 3986 URIs (',' and '!' must be encoded) each with an optional
 *    "!" 1*DIGIT [k|m|g|t] size; mailto: URIs must hold local@host with a valid host name;
 *  - any other tag is unknown: recorded in unknown[] and otherwise ignored;
 *  - a repeated tag, bytes outside printable ASCII and TAB, an empty record and one longer than
 *    DMARC_TXT_MAX are errors. */
#ifndef MXS_DMARC_H
#define MXS_DMARC_H
#include <stddef.h>
#include <stdint.h>

#include "checks/check.h"

#define DMARC_TXT_MAX 4096  /* longest record parsed; far above any real one, bounds the work */
#define DMARC_WALK_MAX 8    /* DMARCbis: at most eight _dmarc queries per tree walk */

enum dmarc_policy {
	DMARC_POLICY_UNSET = 0, /* tag absent (or its value invalid) */
	DMARC_POLICY_NONE,
	DMARC_POLICY_QUARANTINE,
	DMARC_POLICY_REJECT,
};

enum dmarc_align {
	DMARC_ALIGN_UNSET = 0, /* tag absent: relaxed applies */
	DMARC_ALIGN_RELAXED,
	DMARC_ALIGN_STRICT,
};

enum dmarc_psd {
	DMARC_PSD_UNSET = 0, /* tag absent: "u" applies */
	DMARC_PSD_Y,
	DMARC_PSD_N,
	DMARC_PSD_U,
};

/* The known tags; bit (1u << tag) in dmarc_record.seen / .bad. */
enum dmarc_tag {
	DMARC_TAG_V = 0,
	DMARC_TAG_P,
	DMARC_TAG_SP,
	DMARC_TAG_NP,
	DMARC_TAG_ADKIM,
	DMARC_TAG_ASPF,
	DMARC_TAG_PCT,
	DMARC_TAG_FO,
	DMARC_TAG_RF,
	DMARC_TAG_RI,
	DMARC_TAG_RUA,
	DMARC_TAG_RUF,
	DMARC_TAG_PSD,
	DMARC_TAG_T,
	DMARC_TAG_MAX
};

#define DMARC_FO_0 0x01 /* fo=0 */
#define DMARC_FO_1 0x02 /* fo=1 */
#define DMARC_FO_D 0x04 /* fo=d */
#define DMARC_FO_S 0x08 /* fo=s */

/* One report destination of rua/ruf. */
struct dmarc_uri {
	char *text;	  /* owned: the URI as published, size suffix included */
	char *uri;	  /* owned: the URI without its "!size" suffix */
	uint64_t max_size; /* the size limit in bytes, 0 when absent */
	char *host;	  /* owned: lower-case host of a mailto: URI, NULL for other schemes */
};

/* A parsed record. The parser goes on after an error in a tag (so that RFC 9989, which discards
 * bad tags instead of the record, can use the rest): bad says which known tags were invalid. */
struct dmarc_record {
	int fatal;		  /* 1: no record at all (empty, binary, too long, no v=DMARC1) */
	int n_errors;		  /* syntax errors found (0 for a valid RFC 7489 record) */
	char err_tag[16];	  /* tag of the first error ("" when the error is not in one tag) */
	unsigned seen;		  /* known tags present: bit (1u << enum dmarc_tag) */
	unsigned bad;		  /* known tags whose value is invalid or repeated */
	enum dmarc_policy p;	  /* p= */
	enum dmarc_policy sp;	  /* sp= */
	enum dmarc_policy np;	  /* np= (RFC 9091) */
	enum dmarc_align adkim;	  /* adkim= */
	enum dmarc_align aspf;	  /* aspf= */
	int pct;		  /* pct=, 100 when absent */
	unsigned fo;		  /* fo= options, DMARC_FO_* bits; 0 when absent (means "0") */
	char *rf;		  /* owned: rf= as published, NULL when absent (means "afrf") */
	uint32_t ri;		  /* ri=, 86400 when absent */
	enum dmarc_psd psd;	  /* psd= (RFC 9989) */
	int t;			  /* t=y (RFC 9989 test mode): 1, else 0 */
	size_t n_rua;		  /* valid URIs in rua */
	struct dmarc_uri *rua;	  /* owned: aggregate report destinations */
	size_t n_ruf;		  /* valid URIs in ruf */
	struct dmarc_uri *ruf;	  /* owned: failure report destinations */
	size_t n_unknown;	  /* unknown tags */
	char **unknown;		  /* owned: their names, in record order */
};

/* Parse the len bytes of txt (TXT character-strings already concatenated; need not be
 * NUL-terminated). out is overwritten and must be cleared with dmarc_record_clear() afterwards,
 * whatever the result. Returns 0 for a record valid under RFC 7489, else -1 with the first error
 * written to err ("<tag>: <why>"). */
int dmarc_parse(const char *txt, size_t len, struct dmarc_record *out, char *err, size_t errlen);
/* Free what the record owns and zero it. NULL is a no-op. */
void dmarc_record_clear(struct dmarc_record *r);

/* 1 when the TXT data starts with the version tag "v=DMARC1" (exact case; *WSP around '='),
 * followed by ';', WSP or the end: RFC 7489 §6.6.3 step 2 discards every other TXT record. */
int dmarc_txt_is_record(const unsigned char *data, size_t len);
/* 1 when it starts so case-insensitively (mecsa-st's candidate rule): v=dmarc1 look-alikes are
 * reported as broken records instead of being silently ignored. */
int dmarc_txt_is_candidate(const unsigned char *data, size_t len);

/* "none", "quarantine", "reject", or NULL for DMARC_POLICY_UNSET. */
const char *dmarc_policy_name(enum dmarc_policy p);

/* The organizational domain of name by the public suffix list (libpsl built-in, private section
 * included), written to out; returns out, or NULL when name is itself a public suffix. */
const char *dmarc_org_domain(const char *name, char *out, size_t outlen);

/* The names whose _dmarc a full DMARCbis tree walk from domain queries, in order: the domain, then
 * (when it has more than eight labels) its last seven labels, then each parent down to the TLD.
 * Returns how many were written (at most max, at most DMARC_WALK_MAX). */
size_t dmarc_walk_names(const char *domain, char names[][DNAME_MAX], size_t max);

extern const struct check check_dmarc;

#endif
