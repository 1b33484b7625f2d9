/* An instance's keys: typed lookups for plugins, the core's own keys, errors at FILE:LINE. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "cfg.h"
#include "filter.h"
#include "instance.h"
#include "instcfg.h"
#include "log.h"
#include "util.h"

/* host->families() hands out filter.families as it is. */
_Static_assert(NLEVD_FAMILY_IPV4 == 1 && NLEVD_FAMILY_IPV6 == 2, "filter.families bits");

/* A vector that a lookup returned, kept until the instance is freed. */
struct instcfg_mem {
	struct instcfg_mem *next;
	char **v;
};

static struct cfg_kv *inst_kv(struct instance *i, const char *key)
{
	struct cfg_kv *kv = cfg_find(i->section, key);
	if (kv)
		kv->used = true;
	return kv;
}

static void inst_verror(struct instance *i, const struct cfg_kv *kv, const char *fmt, va_list ap)
{
	char msg[768];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	const char *file = kv ? kv->file : i->section->file;
	int line = kv ? kv->line : i->section->line;
	if (i->errs)
		cfg_error(i->errs, file, line, "[%s] %s%s%s", i->name, kv ? kv->key : "",
			  kv ? ": " : "", msg);
	else
		log_err("%s:%d: [%s] %s%s%s", file, line, i->name, kv ? kv->key : "",
			kv ? ": " : "", msg);
}

void instcfg_error(struct instance *i, const struct cfg_kv *kv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	inst_verror(i, kv, fmt, ap);
	va_end(ap);
}

void instcfg_key_error(struct nlevd_instance *inst, const char *key, const char *fmt, ...)
{
	struct instance *i = instance_of(inst);
	va_list ap;
	va_start(ap, fmt);
	inst_verror(i, key ? cfg_find(i->section, key) : NULL, fmt, ap);
	va_end(ap);
}

int instcfg_string(struct nlevd_instance *inst, const char *key, const char *def, const char **out)
{
	struct cfg_kv *kv = inst_kv(instance_of(inst), key);
	*out = kv ? kv->value : def;
	return 0;
}

int instcfg_bool(struct nlevd_instance *inst, const char *key, bool def, bool *out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	*out = def;
	if (kv && parse_bool(kv->value, out)) {
		instcfg_error(i, kv, "'%s' is not yes or no", kv->value);
		return -EINVAL;
	}
	return 0;
}

int instcfg_uint(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t min,
		 uint64_t max, uint64_t *out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	*out = def;
	if (kv && (parse_uint(kv->value, max, out) || *out < min)) {
		instcfg_error(i, kv, "'%s' is not a number from %llu to %llu", kv->value,
			      (unsigned long long)min, (unsigned long long)max);
		*out = def;
		return -EINVAL;
	}
	return 0;
}

int instcfg_duration(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	*out = def;
	if (kv && parse_duration_ms(kv->value, out)) {
		instcfg_error(i, kv, "'%s' is not a duration (e.g. 500ms, 10s, 5m, 1h)", kv->value);
		*out = def;
		return -EINVAL;
	}
	return 0;
}

int instcfg_size(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	*out = def;
	if (kv && parse_size(kv->value, out)) {
		instcfg_error(i, kv, "'%s' is not a size (e.g. 512, 64K, 4M)", kv->value);
		*out = def;
		return -EINVAL;
	}
	return 0;
}

int instcfg_enum(struct nlevd_instance *inst, const char *key, const char *const *choices,
		 int def, int *out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	*out = def;
	if (!kv)
		return 0;
	char all[256] = "";
	size_t n = 0;
	for (int k = 0; choices[k]; k++) {
		if (!strcmp(kv->value, choices[k])) {
			*out = k;
			return 0;
		}
		n += (size_t)snprintf(all + n, n < sizeof(all) ? sizeof(all) - n : 0, "%s%s",
				      k ? " " : "", choices[k]);
		if (n >= sizeof(all))
			n = sizeof(all) - 1;
	}
	instcfg_error(i, kv, "'%s' is not one of: %s", kv->value, all);
	return -EINVAL;
}

/* What the plugin gets lives as long as the instance: freed with it. */
static int keep(struct instance *i, char **v)
{
	struct instcfg_mem *m = malloc(sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->v = v;
	m->next = i->mem;
	i->mem = m;
	return 0;
}

void instcfg_free(struct instance *i)
{
	while (i->mem) {
		struct instcfg_mem *m = i->mem;
		i->mem = m->next;
		free_words(m->v);
		free(m);
	}
}

/* Absent: said at the section's FILE:LINE, there being no key line. */
int instcfg_string_required(struct nlevd_instance *inst, const char *key, const char **out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	*out = kv ? kv->value : NULL;
	if (!kv) {
		instcfg_error(i, NULL, "%s: required", key);
		return -EINVAL;
	}
	if (!kv->value[0]) {
		instcfg_error(i, kv, "empty: a value is required");
		return -EINVAL;
	}
	return 0;
}

/* 90000 as "90s", 3600000 as "1h": the bounds as the admin writes them. */
static void duration_str(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		uint64_t ms;
		const char *unit;
	} units[] = {{3600000, "h"}, {60000, "m"}, {1000, "s"}};
	for (size_t k = 0; k < ARRAY_SIZE(units); k++)
		if (ms && ms % units[k].ms == 0) {
			snprintf(buf, len, "%llu%s", (unsigned long long)(ms / units[k].ms),
				 units[k].unit);
			return;
		}
	snprintf(buf, len, "%llums", (unsigned long long)ms);
}

int instcfg_duration_range(struct nlevd_instance *inst, const char *key, uint64_t def,
			   uint64_t min, uint64_t max, uint64_t *out)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	uint64_t v;
	*out = def;
	if (!kv)
		return 0;
	if (parse_duration_ms(kv->value, &v)) {
		instcfg_error(i, kv, "'%s' is not a duration (e.g. 500ms, 10s, 5m, 1h)", kv->value);
		return -EINVAL;
	}
	if (v < min || v > max) {
		char lo[32], hi[32];
		duration_str(min, lo, sizeof(lo));
		duration_str(max, hi, sizeof(hi));
		instcfg_error(i, kv, "'%s' is not a duration from %s to %s", kv->value, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int instcfg_words(struct nlevd_instance *inst, const char *key, const char *def,
		  const char *const **out, size_t *n)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	size_t cnt = 0;
	*out = NULL;
	if (n)
		*n = 0;
	char **v = split_words(kv ? kv->value : def ? def : "", &cnt);
	if (!v || keep(i, v) < 0) {
		free_words(v);
		instcfg_error(i, kv, "out of memory");
		return -ENOMEM;
	}
	*out = (const char *const *)v;
	if (n)
		*n = cnt;
	return 0;
}

/* exec's `command`: the same splitter, the same lookup, the same words. */
int instcfg_command(struct nlevd_instance *inst, const char *key, const char *const **argv,
		    size_t *argc)
{
	struct instance *i = instance_of(inst);
	struct cfg_kv *kv = inst_kv(i, key);
	const char *err;
	size_t n = 0;
	*argv = NULL;
	if (argc)
		*argc = 0;
	if (!kv)
		return 0;
	char **v = argv_split(kv->value, &n, &err);
	if (!v) {
		instcfg_error(i, kv, "%s", err);
		return strcmp(err, "out of memory") ? -EINVAL : -ENOMEM;
	}
	char *path = argv_resolve(v[0]);
	if (!path || access(path, X_OK) < 0) {
		instcfg_error(i, kv, "'%s' is not an executable program%s", v[0],
			      strchr(v[0], '/') && v[0][0] != '/' ? " (give an absolute path)" : "");
		free(path);
		free_words(v);
		return -EINVAL;
	}
	free(v[0]);
	v[0] = path;
	if (keep(i, v) < 0) {
		free_words(v);
		instcfg_error(i, kv, "out of memory");
		return -ENOMEM;
	}
	*argv = (const char *const *)v;
	if (argc)
		*argc = n;
	return 0;
}

/* Checked by instcfg_filter() before the plugin's create() runs. */
unsigned instcfg_families(const struct nlevd_instance *inst)
{
	return ((const struct instance *)(const void *)inst)->filter.families;
}

/* Every key is the core's or the plugin's: a typo is an error, not a default. */
int instcfg_check_keys(struct instance *i, struct cfg *cfg, const char *type)
{
	int bad = 0;
	for (struct cfg_kv *kv = i->section->kvs; kv; kv = kv->next) {
		bool known = !strcmp(kv->key, "plugin");
		for (const char *const *k = filter_keys; *k && !known; k++)
			known = !strcmp(*k, kv->key);
		for (const char *const *k = i->p->keys; k && *k && !known; k++)
			known = !strcmp(*k, kv->key);
		if (!known) {
			/* FILE:LINE of the key itself, like every other key error */
			cfg_error(cfg, kv->file, kv->line, "[%s] unknown key '%s' for plugin %s",
				  i->name, kv->key, type);
			bad = 1;
		}
	}
	return bad ? -EINVAL : 0;
}

static void filter_err(void *arg, const struct cfg_kv *kv, const char *msg)
{
	instcfg_error(arg, kv, "%s", msg);
}

/* The core's own per-instance keys, with the plugin's defaults. */
int instcfg_filter(struct instance *i)
{
	return filter_parse(&i->filter, i->section, i->p, filter_err, i);
}
