/* Plugin instances, their config, and the host table they get. */
#include <errno.h>
#include <ev.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "nlevd.h"

void (*once_done_hook)(void);

static struct instance *I(struct nlevd_instance *p)
{
	return (struct instance *)(void *)p;
}

static struct nlevd_instance *P(struct instance *i)
{
	return (struct nlevd_instance *)(void *)i;
}

static const char *const core_keys[] = {"plugin", "events", "interfaces", "family", "scope",
					"addresses", "temporary", "startup", "settle", NULL};

/* ---- config of an instance ---- */

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

static void inst_error(struct instance *i, const struct cfg_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void inst_error(struct instance *i, const struct cfg_kv *kv, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	inst_verror(i, kv, fmt, ap);
	va_end(ap);
}

static void h_cfg_error(struct nlevd_instance *inst, const char *key, const char *fmt, ...)
{
	struct instance *i = I(inst);
	va_list ap;
	va_start(ap, fmt);
	inst_verror(i, key ? cfg_find(i->section, key) : NULL, fmt, ap);
	va_end(ap);
}

static int h_cfg_string(struct nlevd_instance *inst, const char *key, const char *def,
			const char **out)
{
	struct cfg_kv *kv = inst_kv(I(inst), key);
	*out = kv ? kv->value : def;
	return 0;
}

static int h_cfg_bool(struct nlevd_instance *inst, const char *key, bool def, bool *out)
{
	struct cfg_kv *kv = inst_kv(I(inst), key);
	*out = def;
	if (kv && parse_bool(kv->value, out)) {
		inst_error(I(inst), kv, "'%s' is not yes or no", kv->value);
		return -EINVAL;
	}
	return 0;
}

static int h_cfg_uint(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t min,
		      uint64_t max, uint64_t *out)
{
	struct cfg_kv *kv = inst_kv(I(inst), key);
	*out = def;
	if (kv && (parse_uint(kv->value, max, out) || *out < min)) {
		inst_error(I(inst), kv, "'%s' is not a number from %llu to %llu", kv->value,
			   (unsigned long long)min, (unsigned long long)max);
		*out = def;
		return -EINVAL;
	}
	return 0;
}

static int h_cfg_duration(struct nlevd_instance *inst, const char *key, uint64_t def,
			  uint64_t *out)
{
	struct cfg_kv *kv = inst_kv(I(inst), key);
	*out = def;
	if (kv && parse_duration_ms(kv->value, out)) {
		inst_error(I(inst), kv, "'%s' is not a duration (e.g. 500ms, 10s, 5m, 1h)",
			   kv->value);
		*out = def;
		return -EINVAL;
	}
	return 0;
}

static int h_cfg_size(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out)
{
	struct cfg_kv *kv = inst_kv(I(inst), key);
	*out = def;
	if (kv && parse_size(kv->value, out)) {
		inst_error(I(inst), kv, "'%s' is not a size (e.g. 512, 64K, 4M)", kv->value);
		*out = def;
		return -EINVAL;
	}
	return 0;
}

static int h_cfg_enum(struct nlevd_instance *inst, const char *key, const char *const *choices,
		      int def, int *out)
{
	struct cfg_kv *kv = inst_kv(I(inst), key);
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
	inst_error(I(inst), kv, "'%s' is not one of: %s", kv->value, all);
	return -EINVAL;
}

/* The core's own per-instance keys, with the plugin's defaults. */
static int parse_filter(struct instance *i)
{
	struct filter *f = &i->filter;
	const struct nlevd_plugin *p = i->p;
	int bad = 0;
	struct cfg_kv *kv;

	f->events = (1u << NLEVD_EV_COUNT) - 1;
	if ((kv = inst_kv(i, "events"))) {
		char **w = split_words(kv->value, NULL);
		f->events = 0;
		for (char **e = w; e && *e; e++) {
			int t = event_parse(*e);
			if (t < 0) {
				inst_error(i, kv, "unknown event '%s' (addr-add addr-del addr-change "
					   "link-add link-del link-up link-down link-rename)", *e);
				bad = 1;
			} else {
				f->events |= 1u << t;
			}
		}
		if (!w || !w[0]) {
			inst_error(i, kv, "no event given");
			bad = 1;
		}
		free_words(w);
	}
	kv = inst_kv(i, "interfaces");
	f->ifpat = split_words(kv ? kv->value : "!lo", NULL);
	if (!f->ifpat || (kv && !f->ifpat[0])) {
		inst_error(i, kv, "no pattern given");
		bad = 1;
	}
	for (char **pp = f->ifpat; pp && *pp; pp++)
		if (!strcmp(*pp, "!") || strlen(*pp) > 64) {
			inst_error(i, kv, "bad pattern '%s'", *pp);
			bad = 1;
		}

	f->families = 3;
	if ((kv = inst_kv(i, "family"))) {
		char **w = split_words(kv->value, NULL);
		f->families = 0;
		for (char **e = w; e && *e; e++) {
			if (!strcmp(*e, "ipv4"))
				f->families |= 1;
			else if (!strcmp(*e, "ipv6"))
				f->families |= 2;
			else {
				inst_error(i, kv, "'%s' is not ipv4 or ipv6", *e);
				bad = 1;
			}
		}
		free_words(w);
		if (!f->families && !bad) {
			inst_error(i, kv, "no family given");
			bad = 1;
		}
	}
	f->scopes = p->default_scopes ? p->default_scopes : 0x0f;
	if ((kv = inst_kv(i, "scope"))) {
		static const char *const sn[] = {"global", "site", "link", "host"};
		char **w = split_words(kv->value, NULL);
		f->scopes = 0;
		for (char **e = w; e && *e; e++) {
			size_t k;
			for (k = 0; k < ARRAY_SIZE(sn); k++)
				if (!strcmp(*e, sn[k]))
					break;
			if (k == ARRAY_SIZE(sn)) {
				inst_error(i, kv, "'%s' is not one of global site link host", *e);
				bad = 1;
			} else {
				f->scopes |= (uint8_t)(1u << k);
			}
		}
		free_words(w);
		if (!f->scopes && !bad) {
			inst_error(i, kv, "no scope given");
			bad = 1;
		}
	}
	if ((kv = inst_kv(i, "addresses"))) {
		size_t n = 0;
		char **w = split_words(kv->value, &n);
		f->prefixes = calloc(n ? n : 1, sizeof(*f->prefixes));
		f->prefix_neg = calloc(n ? n : 1, sizeof(*f->prefix_neg));
		/* Its own flag: an earlier bad key must not skip these checks. */
		bool nomem = !w || !f->prefixes || !f->prefix_neg, pbad = nomem || !n;
		if (pbad)
			inst_error(i, kv, nomem ? "out of memory" : "no prefix given");
		for (size_t k = 0; !nomem && k < n; k++) {
			bool neg = w[k][0] == '!';
			if (parse_prefix(w[k] + neg, &f->prefixes[k])) {
				inst_error(i, kv, "'%s' is not an address prefix (e.g. 192.0.2.0/24, "
					   "2001:db8::/32, !10.0.0.0/8)", w[k]);
				pbad = true;
			}
			f->prefix_neg[k] = neg;
		}
		f->nprefixes = pbad ? 0 : n;
		if (pbad)
			bad = 1;
		free_words(w);
	}
	/* not ||: every bad key is reported */
	if (h_cfg_bool(P(i), "temporary", !p->default_no_temporary, &f->temporary))
		bad = 1;
	if (h_cfg_bool(P(i), "startup", true, &f->startup))
		bad = 1;
	if (h_cfg_duration(P(i), "settle", p->default_settle_ms, &f->settle_ms))
		bad = 1;
	return bad ? -EINVAL : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "type\nkey=value\n..." with the keys sorted: equal means unchanged. */
static char *fingerprint(const char *type, const struct cfg_section *s)
{
	size_t n = 0, len = strlen(type) + 2;
	for (const struct cfg_kv *kv = s->kvs; kv; kv = kv->next, n++)
		len += strlen(kv->key) + strlen(kv->value) + 2;
	char **lines = calloc(n + 1, sizeof(*lines));
	char *out = malloc(len);
	bool ok = lines && out;
	n = 0;
	for (const struct cfg_kv *kv = s->kvs; ok && kv; kv = kv->next, n++) {
		size_t l = strlen(kv->key) + strlen(kv->value) + 3;
		if ((ok = (lines[n] = malloc(l)) != NULL))
			snprintf(lines[n], l, "%s=%s\n", kv->key, kv->value);
	}
	if (ok) {
		qsort(lines, n, sizeof(*lines), cmp_str);
		size_t pos = (size_t)sprintf(out, "%s\n", type);
		for (size_t k = 0; k < n; k++)
			pos += (size_t)sprintf(out + pos, "%s", lines[k]);
	}
	for (size_t k = 0; lines && k < n; k++)
		free(lines[k]);
	free(lines);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

static struct cfg_section *section_copy(const struct cfg_section *s)
{
	struct cfg_section *c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(s->name))) {
		free(c);
		return NULL;
	}
	c->file = s->file; /* kept alive by the instance's file list below */
	c->line = s->line;
	struct cfg_kv **tail = &c->kvs;
	for (const struct cfg_kv *kv = s->kvs; kv; kv = kv->next) {
		struct cfg_kv *n = calloc(1, sizeof(*n));
		if (!n)
			goto fail;
		*tail = n;
		tail = &n->next;
		n->key = strdup(kv->key);
		n->value = strdup(kv->value);
		n->file = kv->file;
		n->line = kv->line;
		if (!n->key || !n->value)
			goto fail;
	}
	return c;
fail:
	while (c->kvs) {
		struct cfg_kv *kv = c->kvs;
		c->kvs = kv->next;
		free(kv->key);
		free(kv->value);
		free(kv);
	}
	free(c->name);
	free(c);
	return NULL;
}

static void section_free(struct cfg_section *s)
{
	if (!s)
		return;
	while (s->kvs) {
		struct cfg_kv *kv = s->kvs;
		s->kvs = kv->next;
		free(kv->key);
		free(kv->value);
		free(kv);
	}
	free(s->name);
	free(s);
}

/* File names referenced by sections outlive any one cfg: interned here. */
static const char *intern_file(const char *f)
{
	static char **names;
	static size_t n;
	for (size_t k = 0; k < n; k++)
		if (!strcmp(names[k], f))
			return names[k];
	char **nn = realloc(names, (n + 1) * sizeof(*nn));
	if (!nn)
		return "?";
	names = nn;
	if (!(names[n] = strdup(f)))
		return "?";
	return names[n++];
}

static void instance_free(struct instance *i)
{
	if (!i)
		return;
	if (i->created && i->p->destroy) {
		child_disown_all(i);
		i->p->destroy(P(i), i->priv);
	}
	router_free(i->router);
	filter_free(&i->filter);
	module_put(i->mod);
	section_free(i->section);
	free(i->fingerprint);
	free(i->name);
	free(i);
}

static void deliver_cb(const struct nlevd_event *ev, void *arg)
{
	struct instance *i = arg;
	i->p->event(P(i), i->priv, ev);
}

static struct instance *find_same(const struct instances *old, const char *name,
				  const char *fp)
{
	for (struct instance *o = old ? old->head : NULL; o; o = o->next)
		if (!strcmp(o->name, name) && o->fingerprint && !strcmp(o->fingerprint, fp))
			return o;
	return NULL;
}

static struct instance *instance_create(struct cfg *cfg, struct ev_loop *loop,
					const struct instances *old, struct cfg_section *s)
{
	struct instance *i = calloc(1, sizeof(*i));
	if (!i || !(i->name = strdup(s->name)) || !(i->section = section_copy(s))) {
		cfg_error(cfg, s->file, s->line, "out of memory");
		instance_free(i);
		return NULL;
	}
	i->section->file = intern_file(s->file);
	for (struct cfg_kv *kv = i->section->kvs; kv; kv = kv->next)
		kv->file = intern_file(kv->file);
	i->errs = cfg;
	struct cfg_kv *pk = cfg_find(i->section, "plugin");
	const char *type = pk ? pk->value : s->name;
	if (!name_valid(type)) {
		inst_error(i, pk, "'%s' is not a plugin name", type);
		instance_free(i);
		return NULL;
	}
	if (!(i->fingerprint = fingerprint(type, i->section))) {
		inst_error(i, NULL, "out of memory");
		instance_free(i);
		return NULL;
	}
	struct instance *same = find_same(old, i->name, i->fingerprint);
	if (same) {
		i->reuse = same;
		i->errs = NULL;
		return i;
	}
	i->mod = module_get(cfg, cfg->plugin_dir, type, pk ? pk->file : i->section->file,
			    pk ? pk->line : i->section->line);
	if (!i->mod) {
		instance_free(i);
		return NULL;
	}
	i->p = module_plugin(i->mod);
	int bad = 0;
	for (struct cfg_kv *kv = i->section->kvs; kv; kv = kv->next) {
		bool known = false;
		for (const char *const *k = core_keys; *k && !known; k++)
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
	if (parse_filter(i))
		bad = 1;
	int before = cfg->nerrors;
	int rc = i->p->create(&host_table, P(i), &i->priv);
	if (rc < 0 || cfg->nerrors > before) {
		if (cfg->nerrors == before)
			inst_error(i, NULL, "plugin %s refused the configuration: %s", type,
				   strerror(-rc));
		if (rc >= 0) {
			i->created = true; /* so that destroy() runs */
		}
		bad = 1;
	} else {
		i->created = true;
	}
	if (bad) {
		instance_free(i);
		return NULL;
	}
	if (!(i->router = router_new(loop, &i->filter, deliver_cb, i))) {
		inst_error(i, NULL, "out of memory");
		instance_free(i);
		return NULL;
	}
	i->errs = NULL;
	return i;
}

int instances_create(struct cfg *cfg, struct ev_loop *loop, const struct instances *old,
		     struct instances *out)
{
	struct instance **tail = &out->head;
	host_table.loop = loop;
	out->head = NULL;
	for (struct cfg_section *s = cfg->sections; s; s = s->next) {
		struct instance *i = instance_create(cfg, loop, old, s);
		if (i) {
			*tail = i;
			tail = &i->next;
		}
	}
	if (cfg->nerrors) {
		instances_destroy(out);
		return -1;
	}
	return 0;
}

static void replay_cb(const struct nlevd_event *ev, void *arg)
{
	router_push(((struct instance *)arg)->router, ev);
}

int instances_start(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next) {
		if (i->reuse || i->started)
			continue;
		int rc = i->p->start ? i->p->start(P(i), i->priv) : 0;
		if (rc < 0) {
			log_err("[%s] cannot start: %s", i->name, strerror(-rc));
			return -1;
		}
		i->started = i->fresh = true;
	}
	return 0;
}

void instances_commit(struct instances *old, struct instances *neu)
{
	for (struct instance **pp = &neu->head; *pp;) {
		struct instance *i = *pp;
		if (i->reuse) {
			struct instance *o = i->reuse;
			for (struct instance **op = &old->head; *op; op = &(*op)->next)
				if (*op == o) {
					*op = o->next;
					break;
				}
			o->next = i->next;
			*pp = o;
			i->reuse = NULL;
			instance_free(i);
			if (o->p->reopen)
				o->p->reopen(P(o), o->priv);
			pp = &o->next;
			continue;
		}
		pp = &i->next;
	}
	instances_destroy(old);
	/* Only now, with the old set gone, do new instances see the state. */
	for (struct instance *i = neu->head; i; i = i->next) {
		if (i->fresh && i->filter.startup)
			state_replay(replay_cb, i);
		i->fresh = false;
	}
}

/* A refused reload is still a SIGHUP for what keeps running: log files are
 * reopened (logrotate does not check the config) and keys re-read. */
void instances_reopen(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next)
		if (i->p->reopen)
			i->p->reopen(P(i), i->priv);
}

void instances_destroy(struct instances *set)
{
	while (set->head) {
		struct instance *i = set->head;
		set->head = i->next;
		if (i->router)
			router_flush(i->router); /* what settled is still delivered */
		instance_free(i);
	}
}

void instances_dispatch(struct instances *set, const struct nlevd_event *ev)
{
	for (struct instance *i = set->head; i; i = i->next)
		if (i->started)
			router_push(i->router, ev);
}

void instances_status(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next) {
		log_notice("[%s] plugin %s, %zu events settling", i->name, i->p->name,
			   router_pending(i->router));
		if (i->p->status)
			i->p->status(P(i), i->priv);
	}
}

void instances_once(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next) {
		int st = i->p->start ? i->p->start(P(i), i->priv) : 0;
		if (st < 0) {
			log_err("[%s] cannot start: %s", i->name, strerror(-st));
			i->once_state = -1;
			continue;
		}
		i->started = true;
		state_replay(replay_cb, i);
		router_flush(i->router);
		int rc = i->p->once ? i->p->once(P(i), i->priv) : 0;
		if (rc != NLEVD_ONCE_PENDING && i->once_state == 0)
			i->once_state = rc < 0 ? -1 : 1;
	}
}

int instances_once_result(struct instances *set)
{
	int res = 1;
	for (struct instance *i = set->head; i; i = i->next) {
		if (i->once_state == 0)
			return 0;
		if (i->once_state < 0)
			res = -1;
	}
	return res;
}

/* ---- the host table ---- */

static void h_vlog(struct nlevd_instance *inst, int level, const char *fmt, va_list ap)
{
	log_vmsg(level, inst ? I(inst)->name : NULL, fmt, ap);
}

static void h_log(struct nlevd_instance *inst, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	h_vlog(inst, level, fmt, ap);
	va_end(ap);
}

static const char *h_instance_name(const struct nlevd_instance *inst)
{
	return ((const struct instance *)(const void *)inst)->name;
}

static bool h_selected(const struct nlevd_instance *inst, const struct nlevd_link *link,
		       const struct nlevd_addr *addr)
{
	const struct filter *f = &((const struct instance *)(const void *)inst)->filter;
	return filter_ifname(f, link->ifname) && (!addr || filter_addr(f, addr));
}

static struct nlevd_child *h_child_spawn(struct nlevd_instance *inst,
					 const struct nlevd_child_spec *spec)
{
	struct instance *i = I(inst);
	/* A 1.0 plugin's spec ends before exec_fd: never read past it. */
	if (spec && i->p->abi_minor < 1) {
		struct nlevd_child_spec s = {0};
		memcpy(&s, spec, offsetof(struct nlevd_child_spec, exec_fd));
		return child_spawn(i, &s);
	}
	return child_spawn(i, spec);
}

static void h_once_done(struct nlevd_instance *inst, bool ok)
{
	struct instance *i = I(inst);
	if (i->once_state == 0)
		i->once_state = ok ? 1 : -1;
	if (once_done_hook)
		once_done_hook();
}

struct nlevd_host host_table = {
	.abi_major = NLEVD_ABI_MAJOR,
	.abi_minor = NLEVD_ABI_MINOR,
	.size = sizeof(struct nlevd_host),
	.loop = NULL, /* set by instances_create() */
	.log = h_log,
	.vlog = h_vlog,
	.instance_name = h_instance_name,
	.cfg_string = h_cfg_string,
	.cfg_bool = h_cfg_bool,
	.cfg_uint = h_cfg_uint,
	.cfg_duration_ms = h_cfg_duration,
	.cfg_size = h_cfg_size,
	.cfg_enum = h_cfg_enum,
	.cfg_error = h_cfg_error,
	.link_get = state_link_get,
	.link_foreach = state_link_foreach,
	.addr_foreach = state_addr_foreach,
	.selected = h_selected,
	.event_fields = event_fields,
	.event_json = event_json,
	.event_text = event_text,
	.event_name = event_name,
	.child_spawn = h_child_spawn,
	.child_kill = child_kill,
	.once_done = h_once_done,
};
