/* dns_cache.c — a hash table of answer copies with an LRU list and per-entry expiry. */
#include "daemon/dns_cache.h"

#include <stdlib.h>
#include <string.h>

#include "common/dname.h"
#include "common/hash.h"
#include "common/xalloc.h"

struct dns_cache_entry {
	uint16_t type;			     /* the question's type */
	size_t bytes;			     /* counted in dns_cache.bytes */
	int64_t expires_ms;		     /* wall clock after which it is stale */
	struct dns_answer answer;	     /* owned copy */
	struct dns_cache_entry *hnext;	     /* in its bucket */
	struct dns_cache_entry *prev, *next; /* LRU: head most recent */
	char name[];			     /* canonical: lower case, no trailing dot */
};

struct dns_cache {
	struct dns_cache_limits lim;
	size_t n_buckets;		    /* a power of two */
	struct dns_cache_entry **buckets;   /* owned array; entries owned through it */
	struct dns_cache_entry *head, *tail; /* LRU list */
	size_t entries;
	size_t bytes; /* entries and what their answers hold */
	uint64_t hits, misses;
};

static uint64_t dns_cache_hash(const char *name, uint16_t type)
{
	return hash_fnv1a64_str(HASH_FNV1A64_BASIS ^ type, name);
}

struct dns_cache *dns_cache_new(const struct dns_cache_limits *lim)
{
	struct dns_cache *c = xcalloc(1, sizeof *c);
	c->lim = *lim;
	if (c->lim.max_entries == 0)
		c->lim.max_entries = 1;
	if (c->lim.max_bytes == 0)
		c->lim.max_bytes = DNS_CACHE_MAX_BYTES;
	if (c->lim.negative_ttl_s > c->lim.max_ttl_s)
		c->lim.negative_ttl_s = c->lim.max_ttl_s;
	c->n_buckets = 64;
	while (c->n_buckets < c->lim.max_entries && c->n_buckets < ((size_t)1 << 24))
		c->n_buckets <<= 1;
	c->buckets = xcalloc(c->n_buckets, sizeof *c->buckets);
	return c;
}

static void dns_cache_lru_unlink(struct dns_cache *c, struct dns_cache_entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		c->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		c->tail = e->prev;
	e->prev = e->next = NULL;
}

static void dns_cache_lru_front(struct dns_cache *c, struct dns_cache_entry *e)
{
	e->next = c->head;
	if (c->head)
		c->head->prev = e;
	c->head = e;
	if (c->tail == NULL)
		c->tail = e;
}

static struct dns_cache_entry **dns_cache_slot(struct dns_cache *c, const char *name,
					       uint16_t type)
{
	struct dns_cache_entry **pp = &c->buckets[dns_cache_hash(name, type) & (c->n_buckets - 1)];
	while (*pp && ((*pp)->type != type || strcmp((*pp)->name, name) != 0))
		pp = &(*pp)->hnext;
	return pp;
}

static void dns_cache_drop(struct dns_cache *c, struct dns_cache_entry **pp)
{
	struct dns_cache_entry *e = *pp;
	*pp = e->hnext;
	dns_cache_lru_unlink(c, e);
	dns_answer_clear(&e->answer);
	c->bytes -= e->bytes;
	free(e);
	c->entries--;
}

void dns_cache_free(struct dns_cache *c)
{
	if (c == NULL)
		return;
	while (c->head) {
		struct dns_cache_entry *e = c->head;
		dns_cache_drop(c, dns_cache_slot(c, e->name, e->type));
	}
	free(c->buckets);
	free(c);
}

const struct dns_answer *dns_cache_get(struct dns_cache *c, const char *name, uint16_t type,
				       int64_t now_ms)
{
	char canon[DNAME_MAX];
	dname_canonical(name, canon, sizeof canon);
	struct dns_cache_entry **pp = dns_cache_slot(c, canon, type);
	if (*pp == NULL || (*pp)->expires_ms <= now_ms) {
		if (*pp)
			dns_cache_drop(c, pp);
		c->misses++;
		return NULL;
	}
	struct dns_cache_entry *e = *pp;
	dns_cache_lru_unlink(c, e);
	dns_cache_lru_front(c, e);
	c->hits++;
	return &e->answer;
}

/* How long a may be kept, in seconds (0: not at all). */
static unsigned dns_cache_lifetime(const struct dns_cache *c, const struct dns_answer *a)
{
	if (a->status == DNS_STATUS_NODATA || a->status == DNS_STATUS_NXDOMAIN)
		return c->lim.negative_ttl_s;
	if (a->status != DNS_STATUS_OK || a->n_rr == 0)
		return 0;
	unsigned ttl = c->lim.max_ttl_s;
	for (size_t i = 0; i < a->n_rr; i++)
		if (a->rr[i].ttl < ttl)
			ttl = a->rr[i].ttl;
	return ttl;
}

void dns_cache_put(struct dns_cache *c, const struct dns_answer *a, int64_t now_ms)
{
	unsigned ttl = dns_cache_lifetime(c, a);
	if (ttl == 0 || a->qname == NULL)
		return;
	char canon[DNAME_MAX];
	dname_canonical(a->qname, canon, sizeof canon);
	struct dns_cache_entry **pp = dns_cache_slot(c, canon, a->qtype);
	if (*pp)
		dns_cache_drop(c, pp);
	size_t name_size = strlen(canon) + 1;
	size_t bytes = sizeof(struct dns_cache_entry) + name_size + dns_answer_footprint(a);
	if (bytes > c->lim.max_bytes)
		return; /* would push out everything else */
	while ((c->entries >= c->lim.max_entries || c->bytes + bytes > c->lim.max_bytes) &&
	       c->tail)
		dns_cache_drop(c, dns_cache_slot(c, c->tail->name, c->tail->type));
	struct dns_cache_entry *e = xcalloc(1, sizeof *e + name_size);
	memcpy(e->name, canon, name_size);
	e->type = a->qtype;
	e->bytes = bytes;
	e->expires_ms = now_ms + (int64_t)ttl * 1000;
	dns_answer_copy(&e->answer, a);
	pp = dns_cache_slot(c, canon, a->qtype); /* the eviction may have moved the chain */
	e->hnext = *pp;
	*pp = e;
	dns_cache_lru_front(c, e);
	c->entries++;
	c->bytes += bytes;
}

void dns_cache_stats(const struct dns_cache *c, struct dns_cache_stats *out)
{
	out->hits = c->hits;
	out->misses = c->misses;
	out->entries = c->entries;
	out->bytes = c->bytes;
}
