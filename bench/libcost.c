/* libcost.c — what the scanner's libraries cost per unit on this machine, the client side alone,
 * with the options the scanner gives them, so that a run's CPU can be split into what the
 * libraries must spend and what mxsurvey adds (bench/README.md, "library floor").
 *
 *   libcost https    TARGETS CA N C   N MTA-STS policy fetches through libcurl's multi
 *                                     interface, C at a time, set up as daemon/http.c sets
 *                                     them up (CA file cached in the multi, no connection
 *                                     reuse, the address pinned);
 *   libcost starttls TARGETS N        N STARTTLS sessions (banner, EHLO, STARTTLS, handshake,
 *                                     EHLO, QUIT) one after the other, one SSL_CTX shared as
 *                                     daemon/tls.c shares it, the peer's chain kept, not judged
 *                                     (the x509 check judges it, once per chain);
 *   libcost dns QUESTIONS RESOLVER N C
 *                                     N questions (lines "name TYPE", dnsperf's format) asked
 *                                     through getdns in stub mode, C at a time, on getdns'
 *                                     own event loop (Debian's libgetdns_ex_event is empty),
 *                                     with the AD bit as daemon/dns.c asks them of a validating
 *                                     upstream, every answer record read once.
 *
 * TARGETS holds lines "address host". Prints one JSON line:
 *   {"kind": K, "ok": n, "failed": n, "seconds": s, "cpu_ms": c, "cpu_ms_per": c/ok}
 * where cpu is this process's user + sys time (getrusage). Runs inside the mxsbench namespace.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <getdns/getdns.h>
#include <getdns/getdns_extra.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/xalloc.h"

#define HOST_MAX 256
#define TIMEOUT_MS 10000L

struct target {
	char addr[64];
	char host[HOST_MAX];
};

static struct target *targets;
static size_t n_targets;

static void die(const char *what)
{
	fprintf(stderr, "libcost: %s\n", what);
	exit(2);
}

/* Feeds every line of path to take; dies when the file cannot be read or gave nothing. */
static void read_lines(const char *path, void (*take)(const char *line), const size_t *count)
{
	FILE *f = fopen(path, "r");
	if (f == NULL)
		die("cannot open an input file");
	char line[512];
	while (fgets(line, sizeof line, f))
		take(line);
	fclose(f);
	if (*count == 0)
		die("an input file holds nothing usable");
}

static void take_target(const char *line)
{
	static size_t cap;
	struct target t;
	if (sscanf(line, "%63s %255s", t.addr, t.host) != 2)
		return;
	xgrow((void **)&targets, &cap, n_targets + 1, sizeof *targets);
	targets[n_targets++] = t;
}

static double cpu_ms(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e3 +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e3;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- https: libcurl multi, as daemon/http.c ---- */

struct fetch {
	CURL *easy;
	struct curl_slist *resolve;
};

static size_t discard(char *p, size_t size, size_t n, void *arg)
{
	(void)p;
	(void)arg;
	return size * n;
}

static void fetch_start(CURLM *multi, struct fetch *f, const struct target *t, const char *ca)
{
	char url[HOST_MAX + 64], pin[HOST_MAX + 80];
	snprintf(url, sizeof url, "https://%s/.well-known/mta-sts.txt", t->host);
	snprintf(pin, sizeof pin, "%s:443:%s", t->host, t->addr);
	f->easy = curl_easy_init();
	f->resolve = curl_slist_append(NULL, pin);
	if (f->easy == NULL || f->resolve == NULL)
		die("out of memory");
	CURL *e = f->easy;
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, f);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, TIMEOUT_MS);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "mxsurvey");
	curl_easy_setopt(e, CURLOPT_FORBID_REUSE, 1L);
	curl_easy_setopt(e, CURLOPT_CAINFO, ca);
	curl_easy_setopt(e, CURLOPT_CAPATH, NULL);
	curl_easy_setopt(e, CURLOPT_CA_CACHE_TIMEOUT, 86400L);
	curl_easy_setopt(e, CURLOPT_RESOLVE, f->resolve);
	if (curl_multi_add_handle(multi, e) != CURLM_OK)
		die("curl_multi_add_handle");
}

static void cost_https(const char *ca, long n, long conc, long *ok, long *failed)
{
	CURLM *multi = curl_multi_init();
	struct fetch *slots = xcalloc((size_t)conc, sizeof *slots);
	if (multi == NULL)
		die("curl_multi_init");
	long started = 0, running = 0;
	for (long i = 0; i < conc && started < n; i++, started++, running++)
		fetch_start(multi, &slots[i], &targets[(size_t)started % n_targets], ca);
	while (running > 0) {
		int still;
		curl_multi_perform(multi, &still);
		CURLMsg *m;
		int left;
		while ((m = curl_multi_info_read(multi, &left)) != NULL) {
			if (m->msg != CURLMSG_DONE)
				continue;
			struct fetch *f;
			long code = 0;
			curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&f);
			curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &code);
			if (m->data.result == CURLE_OK && code == 200)
				(*ok)++;
			else
				(*failed)++;
			curl_multi_remove_handle(multi, f->easy);
			curl_easy_cleanup(f->easy);
			curl_slist_free_all(f->resolve);
			running--;
			if (started < n) {
				fetch_start(multi, f, &targets[(size_t)started % n_targets], ca);
				started++;
				running++;
			}
		}
		if (running > 0)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	curl_multi_cleanup(multi);
	free(slots);
}

/* ---- starttls: OpenSSL, one shared context, as daemon/tls.c ---- */

/* Reads one SMTP reply (all its lines) from the socket or the TLS session; returns its code. */
static int smtp_reply(int fd, SSL *ssl)
{
	char buf[4096];
	size_t len = 0;
	for (;;) {
		int r = ssl ? SSL_read(ssl, buf + len, (int)(sizeof buf - 1 - len))
			    : (int)read(fd, buf + len, sizeof buf - 1 - len);
		if (r <= 0)
			return -1;
		len += (size_t)r;
		buf[len] = '\0';
		/* the reply ends with a line whose fourth byte is a space */
		char *last = buf, *nl;
		while ((nl = strstr(last, "\r\n")) != NULL && nl[2] != '\0')
			last = nl + 2;
		if (nl != NULL && strlen(last) >= 4 && last[3] == ' ')
			return atoi(buf);
		if (len >= sizeof buf - 1)
			return -1;
	}
}

static int say(int fd, SSL *ssl, const char *line)
{
	int n = (int)strlen(line);
	return (ssl ? SSL_write(ssl, line, n) : (int)write(fd, line, (size_t)n)) == n ? 0 : -1;
}

static int starttls_session(SSL_CTX *ctx, const struct target *t)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(25)};
	if (inet_pton(AF_INET, t->addr, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = {.tv_sec = TIMEOUT_MS / 1000};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	SSL *ssl = NULL;
	int rc = -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || smtp_reply(fd, NULL) != 220 ||
	    say(fd, NULL, "EHLO libcost.bench.mxb\r\n") < 0 || smtp_reply(fd, NULL) != 250 ||
	    say(fd, NULL, "STARTTLS\r\n") < 0 || smtp_reply(fd, NULL) != 220)
		goto out;
	ssl = SSL_new(ctx);
	if (ssl == NULL || !SSL_set_fd(ssl, fd))
		goto out;
	SSL_set_tlsext_host_name(ssl, t->host);
	if (SSL_connect(ssl) != 1)
		goto out;
	STACK_OF(X509) *chain = SSL_get_peer_cert_chain(ssl);
	if (chain == NULL || sk_X509_num(chain) < 1)
		goto out;
	if (say(fd, ssl, "EHLO libcost.bench.mxb\r\n") < 0 || smtp_reply(fd, ssl) != 250 ||
	    say(fd, ssl, "QUIT\r\n") < 0 || smtp_reply(fd, ssl) != 221)
		goto out;
	rc = 0;
out:
	if (ssl) {
		SSL_shutdown(ssl);
		SSL_free(ssl);
	}
	ERR_clear_error();
	close(fd);
	return rc;
}

static void cost_starttls(long n, long *ok, long *failed)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (ctx == NULL)
		die("SSL_CTX_new");
	/* daemon/tls.c's probe context: legacy offered too, no tickets, no verification */
	SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
	SSL_CTX_set_max_proto_version(ctx, 0);
	SSL_CTX_set_security_level(ctx, 0);
	if (SSL_CTX_set_cipher_list(ctx, "ALL:@SECLEVEL=0") != 1)
		die("SSL_CTX_set_cipher_list");
	SSL_CTX_set_options(ctx, SSL_OP_LEGACY_SERVER_CONNECT | SSL_OP_NO_COMPRESSION |
					 SSL_OP_NO_TICKET | SSL_OP_IGNORE_UNEXPECTED_EOF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	for (long i = 0; i < n; i++) {
		if (starttls_session(ctx, &targets[(size_t)i % n_targets]) == 0)
			(*ok)++;
		else
			(*failed)++;
	}
	SSL_CTX_free(ctx);
}

/* ---- dns: getdns stub, as daemon/dns.c in validate: upstream ---- */

struct question {
	char name[HOST_MAX];
	uint16_t type;
};

static struct question *questions;
static size_t n_questions;

static const struct {
	const char *name;
	uint16_t type;
} qtypes[] = {{"A", 1}, {"NS", 2}, {"CNAME", 5}, {"SOA", 6}, {"PTR", 12}, {"MX", 15},
	      {"TXT", 16}, {"AAAA", 28}, {"DS", 43}, {"DNSKEY", 48}, {"TLSA", 52}, {"SPF", 99}};

static void take_question(const char *line)
{
	static size_t cap;
	struct question q = {0};
	char type[32];
	if (sscanf(line, "%255s %31s", q.name, type) != 2)
		return;
	for (size_t i = 0; i < sizeof qtypes / sizeof qtypes[0]; i++)
		if (strcmp(type, qtypes[i].name) == 0)
			q.type = qtypes[i].type;
	if (q.type == 0 && strncmp(type, "TYPE", 4) == 0)
		q.type = (uint16_t)atoi(type + 4);
	if (q.type == 0)
		return;
	xgrow((void **)&questions, &cap, n_questions + 1, sizeof *questions);
	questions[n_questions++] = q;
}

struct dns_run {
	getdns_context *ctx;
	getdns_dict *ext;
	long n, started, running, ok, failed;
	size_t records;
};

static void dns_ask(struct dns_run *r);

static void dns_on_answer(getdns_context *ctx, getdns_callback_type_t type, getdns_dict *resp,
			  void *arg, getdns_transaction_t id)
{
	(void)ctx;
	(void)id;
	struct dns_run *r = arg;
	getdns_list *replies = NULL, *answer = NULL;
	getdns_dict *reply = NULL;
	size_t n = 0;
	if (type == GETDNS_CALLBACK_COMPLETE &&
	    getdns_dict_get_list(resp, "replies_tree", &replies) == GETDNS_RETURN_GOOD &&
	    getdns_list_get_dict(replies, 0, &reply) == GETDNS_RETURN_GOOD) {
		uint32_t rcode = 0, ad = 0;
		getdns_dict_get_int(reply, "/header/rcode", &rcode);
		getdns_dict_get_int(reply, "/header/ad", &ad);
		if (getdns_dict_get_list(reply, "answer", &answer) == GETDNS_RETURN_GOOD)
			getdns_list_get_length(answer, &n);
		for (size_t i = 0; i < n; i++) {
			getdns_dict *rr = NULL;
			getdns_dict *rdata = NULL;
			uint32_t rrtype = 0;
			if (getdns_list_get_dict(answer, i, &rr) == GETDNS_RETURN_GOOD &&
			    getdns_dict_get_int(rr, "type", &rrtype) == GETDNS_RETURN_GOOD &&
			    getdns_dict_get_dict(rr, "rdata", &rdata) == GETDNS_RETURN_GOOD)
				r->records++;
		}
		r->ok++;
	} else {
		r->failed++;
	}
	getdns_dict_destroy(resp);
	r->running--;
	dns_ask(r);
}

static void dns_ask(struct dns_run *r)
{
	if (r->started >= r->n)
		return;
	const struct question *q = &questions[(size_t)r->started % n_questions];
	r->started++;
	r->running++;
	getdns_transaction_t id;
	if (getdns_general(r->ctx, q->name, q->type, r->ext, r, &id, dns_on_answer) !=
	    GETDNS_RETURN_GOOD) {
		r->running--;
		r->failed++;
	}
}

static void cost_dns(const char *resolver, long n, long conc, long *ok, long *failed)
{
	struct dns_run r = {.n = n};
	getdns_dict *up = getdns_dict_create();
	getdns_list *ups = getdns_list_create();
	struct in_addr a;
	if (up == NULL || ups == NULL || inet_pton(AF_INET, resolver, &a) != 1)
		die("bad resolver address");
	getdns_bindata addr = {4, (uint8_t *)&a}, ipv4 = {4, (uint8_t *)"IPv4"};
	getdns_dict_set_bindata(up, "address_type", &ipv4);
	getdns_dict_set_bindata(up, "address_data", &addr);
	getdns_list_set_dict(ups, 0, up);
	if (getdns_context_create(&r.ctx, 0) != GETDNS_RETURN_GOOD ||
	    getdns_context_set_upstream_recursive_servers(r.ctx, ups) != GETDNS_RETURN_GOOD ||
	    getdns_context_set_resolution_type(r.ctx, GETDNS_RESOLUTION_STUB) !=
		    GETDNS_RETURN_GOOD)
		die("getdns context");
	getdns_context_set_timeout(r.ctx, TIMEOUT_MS);
	getdns_context_set_limit_outstanding_queries(r.ctx, 0);
	r.ext = getdns_dict_create();
	getdns_dict_set_int(r.ext, "/header/ad", 1);
	for (long i = 0; i < conc; i++)
		dns_ask(&r);
	getdns_context_run(r.ctx);
	*ok = r.ok;
	*failed = r.failed;
	getdns_dict_destroy(r.ext);
	getdns_dict_destroy(up);
	getdns_list_destroy(ups);
	getdns_context_destroy(r.ctx);
}

int main(int argc, char **argv)
{
	int https = argc == 6 && strcmp(argv[1], "https") == 0;
	int starttls = argc == 4 && strcmp(argv[1], "starttls") == 0;
	int dns = argc == 6 && strcmp(argv[1], "dns") == 0;
	if (!https && !starttls && !dns) {
		fprintf(stderr, "usage: libcost https TARGETS CA N CONCURRENCY\n"
				"       libcost starttls TARGETS N\n"
				"       libcost dns QUESTIONS RESOLVER N CONCURRENCY\n");
		return 2;
	}
	if (dns)
		read_lines(argv[2], take_question, &n_questions);
	else
		read_lines(argv[2], take_target, &n_targets);
	long n = strtol(argv[starttls ? 3 : 4], NULL, 10), ok = 0, failed = 0;
	long conc = starttls ? 1 : strtol(argv[5], NULL, 10);
	if (n <= 0 || conc <= 0)
		die("N and CONCURRENCY must be positive");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		die("curl_global_init");
	double c0 = cpu_ms(), t0 = now_s();
	if (https)
		cost_https(argv[3], n, conc, &ok, &failed);
	else if (dns)
		cost_dns(argv[3], n, conc, &ok, &failed);
	else
		cost_starttls(n, &ok, &failed);
	double cpu = cpu_ms() - c0, secs = now_s() - t0;
	printf("{\"kind\": \"%s\", \"ok\": %ld, \"failed\": %ld, \"seconds\": %.3f, "
	       "\"cpu_ms\": %.1f, \"cpu_ms_per\": %.4f}\n",
	       argv[1], ok, failed, secs, cpu, ok ? cpu / (double)ok : 0.0);
	curl_global_cleanup();
	return ok ? 0 : 1;
}
