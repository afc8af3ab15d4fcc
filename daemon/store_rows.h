/* store_rows.h — the index rows of one result (a verdict per check, an MX row per host address)
 * taken out of its JSON into one compact block. A batch of results waits for its transaction in
 * this form rather than as jansson trees, which hold several times the bytes: at 500 results a
 * batch, the trees were 40 MB of a 10,000-in-flight scanner's 280. */
#ifndef MXS_STORE_ROWS_H
#define MXS_STORE_ROWS_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Text fields are offsets into store_rows.text plus one; 0 stands for NULL. */
struct store_verdict_row {
	uint32_t check, status, reason;
};

struct store_mx_row {
	uint32_t host, address, dnssec, detail; /* detail: the probe of that address, as JSON */
	int64_t pref;
	int family; /* 4, 6, or 0 for a host without addresses */
};

struct store_rows {
	struct store_verdict_row *verdicts; /* owned */
	size_t n_verdicts;
	struct store_mx_row *mx; /* owned */
	size_t n_mx;
	char *text; /* owned: every string, NUL-terminated, one after another */
	size_t text_len, text_cap;
};

/* Fill rows (zeroed by the caller, or cleared) from a result's JSON (result_to_json's form). */
void store_rows_from_json(struct store_rows *rows, const json_t *result);
/* The string a row's field names (its text offset plus one), or NULL for 0. */
const char *store_rows_str(const struct store_rows *rows, uint32_t off);
void store_rows_clear(struct store_rows *rows);

#endif
