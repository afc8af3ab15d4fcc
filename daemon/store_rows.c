/* store_rows.c — a result's verdict and MX rows, out of its JSON tree into flat arrays. */
#include "daemon/store_rows.h"

#include <stdlib.h>
#include <string.h>

#include "common/json_write.h"
#include "common/xalloc.h"

/* Append s (may be NULL) to the text block; its offset plus one, or 0 for NULL. */
static uint32_t store_rows_add_text(struct store_rows *rows, const char *s)
{
	size_t n = xstrsize(s);
	if (n == 0 || rows->text_len + n >= UINT32_MAX) /* never near: results are KB */
		return 0;
	xgrow((void **)&rows->text, &rows->text_cap, rows->text_len + n, 1);
	memcpy(rows->text + rows->text_len, s, n);
	uint32_t off = (uint32_t)rows->text_len + 1;
	rows->text_len += n;
	return off;
}

static void store_rows_add_verdicts(struct store_rows *rows, const json_t *checks)
{
	size_t cap = 0;
	const char *name;
	json_t *c;
	json_object_foreach((json_t *)checks, name, c)
	{
		xgrow((void **)&rows->verdicts, &cap, rows->n_verdicts + 1, sizeof *rows->verdicts);
		struct store_verdict_row *v = &rows->verdicts[rows->n_verdicts++];
		v->check = store_rows_add_text(rows, name);
		v->status =
		    store_rows_add_text(rows, json_string_value(json_object_get(c, "status")));
		v->reason =
		    store_rows_add_text(rows, json_string_value(json_object_get(c, "reason")));
	}
}

static void store_rows_add_mx(struct store_rows *rows, size_t *cap, const json_t *host,
			      const char *address, int family, const char *dnssec)
{
	xgrow((void **)&rows->mx, cap, rows->n_mx + 1, sizeof *rows->mx);
	struct store_mx_row *m = &rows->mx[rows->n_mx++];
	m->host = store_rows_add_text(rows, json_string_value(json_object_get(host, "name")));
	m->pref = json_integer_value(json_object_get(host, "pref"));
	m->address = store_rows_add_text(rows, address);
	m->family = family;
	m->dnssec = store_rows_add_text(rows, dnssec);
	json_t *probes = json_object_get(host, "probes");
	json_t *probe = address && probes ? json_object_get(probes, address) : NULL;
	char *detail = probe ? json_write(probe, 0, NULL) : NULL;
	m->detail = store_rows_add_text(rows, detail);
	free(detail);
}

static void store_rows_add_hosts(struct store_rows *rows, const json_t *hosts)
{
	static const char *const fam_key[2] = {"a", "aaaa"};
	size_t cap = 0, i;
	json_t *h;
	json_array_foreach(hosts, i, h)
	{
		size_t before = rows->n_mx;
		for (int f = 0; f < 2; f++) {
			json_t *ans = json_object_get(h, fam_key[f]);
			const char *dnssec = json_string_value(json_object_get(ans, "dnssec"));
			size_t k;
			json_t *addr;
			json_array_foreach(json_object_get(ans, "addresses"), k, addr)
			    store_rows_add_mx(rows, &cap, h, json_string_value(addr), f ? 6 : 4,
					      dnssec);
		}
		if (rows->n_mx == before)
			store_rows_add_mx(rows, &cap, h, NULL, 0, NULL);
	}
}

void store_rows_from_json(struct store_rows *rows, const json_t *result)
{
	json_t *checks = json_object_get(result, "checks");
	store_rows_add_verdicts(rows, checks);
	json_t *mx = json_object_get(checks, "mx");
	store_rows_add_hosts(rows, json_object_get(json_object_get(mx, "detail"), "hosts"));
}

const char *store_rows_str(const struct store_rows *rows, uint32_t off)
{
	return off ? rows->text + off - 1 : NULL;
}

void store_rows_clear(struct store_rows *rows)
{
	free(rows->verdicts);
	free(rows->mx);
	free(rows->text);
	memset(rows, 0, sizeof *rows);
}
