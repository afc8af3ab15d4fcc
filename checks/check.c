/* check.c — running the registry: planning helpers and evaluating every check in order. */
#include "checks/check.h"

#include <stdio.h>
#include <string.h>

int check_plan_ask(const struct evidence *ev, struct dns_question *q, size_t max, size_t *n,
		   const char *name, uint16_t type, uint8_t flags)
{
	if (evidence_dns_find(ev, name, type))
		return 0;
	for (size_t i = 0; i < *n; i++)
		if (q[i].type == type && dname_equal(q[i].name, name))
			return 0;
	if (*n >= max || strlen(name) >= DNAME_MAX)
		return 0;
	dname_canonical(name, q[*n].name, sizeof q[*n].name);
	q[*n].type = type;
	q[*n].flags = flags;
	(*n)++;
	return 1;
}

const struct check *check_by_name(const char *name)
{
	for (size_t i = 0; i < check_registry_len; i++)
		if (strcmp(check_registry[i]->name, name) == 0)
			return check_registry[i];
	return NULL;
}

const struct check *check_by_id(enum check_id id)
{
	for (size_t i = 0; i < check_registry_len; i++)
		if (check_registry[i]->id == id)
			return check_registry[i];
	return NULL;
}

void check_evaluate_all(const struct evidence *ev, struct result *res)
{
	for (size_t i = 0; i < check_registry_len; i++)
		check_registry[i]->evaluate(ev, res);
}
