/* instcfg.c: an instance's keys: typed lookups, errors at FILE:LINE. */
#ifndef NLEVD_INSTCFG_H
#define NLEVD_INSTCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

struct cfg;
struct cfg_kv;
struct instance;

/* An error about key kv (NULL: the section) of i, at its FILE:LINE: into
 * i->errs while creating, else logged. */
void instcfg_error(struct instance *i, const struct cfg_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Unknown keys (neither the core's nor i->p's), each reported: 0 or -EINVAL. */
int instcfg_check_keys(struct instance *i, struct cfg *cfg, const char *type);
/* The core's own keys into i->filter, with i->p's defaults: 0 or -EINVAL. */
int instcfg_filter(struct instance *i);
/* The host table's lookups (struct nlevd_host's cfg_*). */
int instcfg_string(struct nlevd_instance *inst, const char *key, const char *def, const char **out);
int instcfg_bool(struct nlevd_instance *inst, const char *key, bool def, bool *out);
int instcfg_uint(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t min,
		 uint64_t max, uint64_t *out);
int instcfg_duration(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out);
int instcfg_size(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out);
int instcfg_enum(struct nlevd_instance *inst, const char *key, const char *const *choices,
		 int def, int *out);
void instcfg_key_error(struct nlevd_instance *inst, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 1.1's helpers (struct nlevd_host's cfg_string_required ... families). */
int instcfg_string_required(struct nlevd_instance *inst, const char *key, const char **out);
int instcfg_duration_range(struct nlevd_instance *inst, const char *key, uint64_t def,
			   uint64_t min, uint64_t max, uint64_t *out);
int instcfg_words(struct nlevd_instance *inst, const char *key, const char *def,
		  const char *const **out, size_t *n);
int instcfg_command(struct nlevd_instance *inst, const char *key, const char *const **argv,
		    size_t *argc);
unsigned instcfg_families(const struct nlevd_instance *inst);
/* Frees what the lookups returned; after the plugin's destroy(). */
void instcfg_free(struct instance *i);

#endif
