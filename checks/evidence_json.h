/* evidence_json.h — the evidence of a scan as JSON, and back: what the store keeps so that a
 * campaign can be re-evaluated without the network. Version 1. */
#ifndef MXS_EVIDENCE_JSON_H
#define MXS_EVIDENCE_JSON_H
#include <jansson.h>

#include "checks/evidence.h"

#define EVIDENCE_JSON_VERSION 1

/* The evidence as compact JSON text, written straight from the structs (no tree: the store writes
 * one per scanned domain); ascii as json_write's. NULL when the domain is not UTF-8. Owned by the
 * caller. */
char *evidence_json_text(const struct evidence *ev, int ascii, size_t *len);
/* The same document as a jansson tree (parsed from that text). */
json_t *evidence_to_json(const struct evidence *ev);
/* NULL with a reason in err when j is not evidence of a known version. */
struct evidence *evidence_from_json(const json_t *j, char *err, size_t errlen);

#endif
