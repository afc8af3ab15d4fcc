/* fuzz_dns_reply.c — the conversion of a getdns reply into evidence (dns_fill_from_reply in
 * daemon/dns.c), over reply dicts built from the input field by field: header bits, question,
 * answer RRs of any type with any rdata fields, canonical name, DNSSEC status, EDNS options
 * (Extended DNS Errors), so that shapes getdns' decoder would not produce (an address of 3
 * bytes, an MX without exchange, a list where a dict belongs) are judged too. The first byte:
 * bit 1, the question asked is the reply's own (else example.com/A); bit 2, trust the
 * upstream's AD bit and EDE (stub mode) instead of getdns' dnssec_status. The rest is the
 * program (fuzz_build). Bytes are borrowed by getdns' setters, which copy them.
 * Not fuzzed here: getdns' own wire decoder (getdns_wire2msg_dict over arbitrary messages reads
 * past its input in libgetdns 1.6; tests/fuzz/README.md). */
#include <getdns/getdns.h>

#include "checks/dns_answer.h"
#include "common/dname.h"
#include "common/xalloc.h"
#include "daemon/dns.h"
#include "tests/fuzz/fuzz.h"

static const char *const rdata_fields[] = {
	"ipv4_address", "ipv6_address", "exchange", "preference", "nsdname", "cname",
	"ptrdname", "txt_strings", "certificate_association_data", "certificate_usage",
	"selector", "matching_type",
};
#define N_FIELDS (sizeof rdata_fields / sizeof *rdata_fields)

static const uint16_t rr_types[] = {
	DNS_TYPE_A, DNS_TYPE_AAAA, DNS_TYPE_MX, DNS_TYPE_NS, DNS_TYPE_CNAME, DNS_TYPE_PTR,
	DNS_TYPE_TXT, DNS_TYPE_SPF, DNS_TYPE_TLSA, DNS_TYPE_SOA, 41,
};
#define N_TYPES (sizeof rr_types / sizeof *rr_types)

/* Bytes of the input (length byte, then that many), as getdns bindata borrowing the input. */
static getdns_bindata fuzz_bindata(struct fuzz_in *in)
{
	size_t n = fuzz_u8(in);
	if (n > in->n)
		n = in->n;
	getdns_bindata b = {n, (uint8_t *)(uintptr_t)in->p};
	in->p += n;
	in->n -= n;
	return b;
}

/* One value into dict[name]: bindata, an int, a list of bindata, or a dict (a wrong type). */
static void fuzz_set_value(struct fuzz_in *in, getdns_dict *d, const char *name)
{
	uint8_t kind = fuzz_u8(in);
	switch (kind % 4) {
	case 0: {
		getdns_bindata b = fuzz_bindata(in);
		getdns_dict_set_bindata(d, name, &b);
		break;
	}
	case 1:
		getdns_dict_set_int(d, name, fuzz_u32(in));
		break;
	case 2: {
		getdns_list *l = getdns_list_create();
		size_t n = fuzz_u8(in) % 8;
		for (size_t i = 0; i < n; i++) {
			getdns_bindata b = fuzz_bindata(in);
			getdns_list_set_bindata(l, i, &b);
		}
		getdns_dict_set_list(d, name, l);
		getdns_list_destroy(l);
		break;
	}
	default: {
		getdns_dict *x = getdns_dict_create();
		getdns_dict_set_int(x, "x", fuzz_u8(in));
		getdns_dict_set_dict(d, name, x);
		getdns_dict_destroy(x);
	}
	}
}

static getdns_dict *fuzz_rr(struct fuzz_in *in)
{
	getdns_dict *rr = getdns_dict_create();
	uint8_t t = fuzz_u8(in);
	getdns_dict_set_int(rr, "type", t < 0xf0 ? rr_types[t % N_TYPES] : fuzz_u16(in));
	getdns_dict_set_int(rr, "ttl", fuzz_u32(in));
	getdns_dict *rdata = getdns_dict_create();
	size_t nf = fuzz_u8(in) % 5;
	for (size_t i = 0; i < nf; i++)
		fuzz_set_value(in, rdata, rdata_fields[fuzz_u8(in) % N_FIELDS]);
	if (fuzz_u8(in) != 0xff) /* 0xff: an RR without rdata */
		getdns_dict_set_dict(rr, "rdata", rdata);
	getdns_dict_destroy(rdata);
	return rr;
}

/* An OPT RR holding EDNS options (Extended DNS Errors are option 15). */
static getdns_dict *fuzz_opt(struct fuzz_in *in)
{
	getdns_dict *rr = getdns_dict_create();
	getdns_dict_set_int(rr, "type", 41);
	getdns_list *opts = getdns_list_create();
	size_t n = fuzz_u8(in) % 4;
	for (size_t i = 0; i < n; i++) {
		getdns_dict *o = getdns_dict_create();
		uint8_t c = fuzz_u8(in);
		getdns_dict_set_int(o, "option_code", c < 0x80 ? 15 : c);
		getdns_bindata b = fuzz_bindata(in);
		getdns_dict_set_bindata(o, "option_data", &b);
		getdns_list_set_dict(opts, i, o);
		getdns_dict_destroy(o);
	}
	getdns_dict_set_list(rr, "/rdata/options", opts);
	getdns_list_destroy(opts);
	return rr;
}

static getdns_dict *fuzz_build(struct fuzz_in *in)
{
	getdns_dict *reply = getdns_dict_create();
	getdns_list *answer = getdns_list_create(), *additional = getdns_list_create();
	size_t na = 0, nadd = 0;
	int steps = 0;
	while (in->n && steps++ < 64) {
		switch (fuzz_u8(in) % 10) {
		case 0: getdns_dict_set_int(reply, "/header/rcode", fuzz_u8(in) % 24); break;
		case 1: getdns_dict_set_int(reply, "/header/ad", fuzz_u8(in) & 1); break;
		case 2: getdns_dict_set_int(reply, "/header/tc", fuzz_u8(in) & 1); break;
		case 3: getdns_dict_set_int(reply, "dnssec_status", 398 + fuzz_u8(in) % 8); break;
		case 4: fuzz_set_value(in, reply, "/question/qname"); break;
		case 5: getdns_dict_set_int(reply, "/question/qtype", fuzz_u16(in)); break;
		case 6: {
			getdns_dict *rr = fuzz_rr(in);
			getdns_list_set_dict(answer, na++, rr);
			getdns_dict_destroy(rr);
			break;
		}
		case 7: fuzz_set_value(in, reply, "canonical_name"); break;
		case 8: {
			getdns_dict *rr = fuzz_opt(in);
			getdns_list_set_dict(additional, nadd++, rr);
			getdns_dict_destroy(rr);
			break;
		}
		default: /* a section of the wrong type */
			fuzz_set_value(in, reply, fuzz_u8(in) & 1 ? "answer" : "additional");
		}
	}
	if (na)
		getdns_dict_set_list(reply, "answer", answer);
	if (nadd)
		getdns_dict_set_list(reply, "additional", additional);
	getdns_list_destroy(answer);
	getdns_list_destroy(additional);
	return reply;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > 65536)
		return 0;
	uint8_t mode = data[0];
	struct fuzz_in in = {data + 1, size - 1};
	getdns_dict *reply = fuzz_build(&in);
	struct dns_answer a = {0};
	getdns_bindata *qname = NULL;
	uint32_t qtype = DNS_TYPE_A;
	char name[DNAME_TEXT_MAX] = "example.com";
	if ((mode & 2) && getdns_dict_get_bindata(reply, "/question/qname", &qname) == 0 &&
	    qname && dname_from_wire(qname->data, qname->size, name, sizeof name) >= 0)
		getdns_dict_get_int(reply, "/question/qtype", &qtype);
	a.qname = xstrdup(name);
	a.qtype = (uint16_t)qtype;
	a.rcode = -1;
	dns_fill_from_reply(&a, reply, mode & 4);
	(void)dns_answer_footprint(&a);
	struct dns_answer copy = {0};
	dns_answer_copy(&copy, &a);
	dns_answer_clear(&copy);
	dns_answer_clear(&a);
	getdns_dict_destroy(reply);
	return 0;
}
