/* module.c: plugin modules, shared by the instances of a type. */
#ifndef NLEVD_MODULE_H
#define NLEVD_MODULE_H

#include <stddef.h>
#include <stdio.h>

#include "nlevd/plugin.h"

struct cfg;

struct module;
/* Load DIR/TYPE from the first of dirs (NULL-terminated) that has it, or
 * take another reference to it; errors go to cfg at file:line (a missing
 * plugin's names every directory).  NULL if it is nowhere, cannot be
 * loaded or its descriptor is refused. */
struct module *module_get(struct cfg *cfg, const char *const *dirs, const char *type,
			  const char *file, int line);
void module_put(struct module *m); /* NULL is fine; the last reference unloads */
const struct nlevd_plugin *module_plugin(const struct module *m);
/* "NAME VERSION (ABI x.y) from FILE" */
void module_describe(const struct module *m, char *buf, size_t len);
/* "loaded plugin ..." (info) for each module not yet said: start-up, reload. */
void module_log_loaded(void);
/* -V -v: every plugin in dirs, one line each, the ones a first match hides too. */
void module_list(const char *const *dirs, FILE *out);

#endif
