/* An instance's keys: typed lookups for plugins, the core's own keys, errors at FILE:LINE. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nlevd.h"

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
