/* result_json.h — a result as the documented output object (schema/result.schema.json). */
#ifndef MXS_RESULT_JSON_H
#define MXS_RESULT_JSON_H
#include <jansson.h>

#include "checks/result.h"

#define RESULT_JSON_VERSION 1

json_t *result_to_json(const struct result *res);
const char *result_state_name(enum result_state s);

#endif
