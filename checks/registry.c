/* registry.c — the list of checks, in evaluation order (later checks may read earlier results). */
#include "checks/check.h"
#include "checks/mx.h"

const struct check *const check_registry[] = {
	&check_mx,
};

const size_t check_registry_len = sizeof check_registry / sizeof *check_registry;
