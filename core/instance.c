/* Plugin instances: created, started, kept or replaced across reloads, fed events, destroyed. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "child.h"
#include "emit.h"
#include "filter.h"
#include "host.h"
#include "instance.h"
#include "instcfg.h"
#include "log.h"
#include "module.h"
#include "once.h"
#include "router.h"
#include "section.h"
#include "state.h"
#include "status.h"
#include "timer.h"
#include "util.h"

/* Whether plugin p (of whatever minor) has a callback field f set. */
#define PLUGIN_HAS(p, f)                                                        \
	((p)->size >= offsetof(struct nlevd_plugin, f) + sizeof((p)->f) && (p)->f)

/* The way out of every instance: the plugin learns why it goes (no timer
 * fires from then on), its timers stop and its children are disowned, it
 * frees itself, then the core frees what the plugin left. */
static void instance_free(struct instance *i, enum nlevd_stop_reason why)
{
	if (!i)
		return;
	if (i->state >= INST_CREATED) {
		/* During stop() the loop does not run, so no timer fires, but
		 * timer_active() still says what was pending (a debounce to
		 * flush); none can be started. */
		i->timers.closed = true;
		if (PLUGIN_HAS(i->p, stop))
			i->p->stop(instance_handle(i), i->priv, why);
		timers_close(&i->timers);
		child_disown_all(i);
		if (i->p->destroy)
			i->p->destroy(instance_handle(i), i->priv);
	}
	timers_free(&i->timers);
	instcfg_free(i); /* after destroy(): the plugin may use the strings there */
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
	if (ev->type != NLEVD_EV_PLUGIN) {
		i->p->event(instance_handle(i), i->priv, ev);
		return;
	}
	/* What the plugin emits while it handles this one is one deeper. */
	unsigned saved = emit_enter(pevent_of(ev));
	i->p->event(instance_handle(i), i->priv, ev);
	emit_leave(saved);
}

static struct instance *find_same(const struct instances *old, const char *name,
				  const char *fp)
{
	for (struct instance *o = old ? old->head : NULL; o; o = o->next)
		if (!strcmp(o->name, name) && o->fingerprint && !strcmp(o->fingerprint, fp))
			return o;
	return NULL;
}

/* An instance that never ran goes as refused, or as checked under -t. */
static enum nlevd_stop_reason why_refused(const struct instances *set)
{
	return set->check ? NLEVD_STOP_CHECK : NLEVD_STOP_REFUSED;
}

static struct instance *instance_create(struct cfg *cfg, struct ev_loop *loop,
					const struct instances *old, const struct instances *out,
					struct cfg_section *s)
{
	struct instance *i = calloc(1, sizeof(*i));
	if (!i || !(i->name = strdup(s->name)) || !(i->section = section_copy(s))) {
		cfg_error(cfg, s->file, s->line, "out of memory");
		if (i)
			timers_init(&i->timers, loop, instance_handle(i));
		instance_free(i, why_refused(out));
		return NULL;
	}
	timers_init(&i->timers, loop, instance_handle(i));
	i->errs = cfg;
	struct cfg_kv *pk = cfg_find(i->section, "plugin");
	const char *type = pk ? pk->value : s->name;
	if (!name_valid(type)) {
		instcfg_error(i, pk, "'%s' is not a plugin name", type);
		instance_free(i, why_refused(out));
		return NULL;
	}
	if (!(i->fingerprint = section_fingerprint(type, i->section))) {
		instcfg_error(i, NULL, "out of memory");
		instance_free(i, why_refused(out));
		return NULL;
	}
	struct instance *same = find_same(old, i->name, i->fingerprint);
	if (same) {
		i->reuse = same;
		i->errs = NULL;
		return i;
	}
	i->mod = module_get(cfg, (const char *const *)cfg->plugin_path, type, pk ? pk->file : i->section->file,
			    pk ? pk->line : i->section->line);
	if (!i->mod) {
		instance_free(i, why_refused(out));
		return NULL;
	}
	i->p = module_plugin(i->mod);
	int bad = instcfg_check_keys(i, cfg, type) ? 1 : 0;
	if (instcfg_filter(i))
		bad = 1;
	int before = cfg->nerrors;
	int rc = i->p->create(&host_table, instance_handle(i), &i->priv);
	if (rc < 0 || cfg->nerrors > before) {
		if (cfg->nerrors == before)
			instcfg_error(i, NULL, "plugin %s refused the configuration: %s", type,
				      strerror(-rc));
		if (rc >= 0)
			i->state = INST_CREATED; /* so that destroy() runs */
		bad = 1;
	} else {
		i->state = INST_CREATED;
	}
	if (bad) {
		instance_free(i, why_refused(out));
		return NULL;
	}
	if (!(i->router = router_new(loop, &i->filter, deliver_cb, i))) {
		instcfg_error(i, NULL, "out of memory");
		instance_free(i, why_refused(out));
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
		struct instance *i = instance_create(cfg, loop, old, out, s);
		if (i) {
			*tail = i;
			tail = &i->next;
		}
	}
	if (cfg->nerrors) {
		instances_destroy(out, why_refused(out));
		return -1;
	}
	return 0;
}

static void replay_cb(const struct nlevd_event *ev, void *arg)
{
	router_push(((struct instance *)arg)->router, ev);
}

void instance_replay(struct instance *i)
{
	state_replay(replay_cb, i);
}

int instances_start(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next) {
		if (i->reuse || i->state != INST_CREATED)
			continue;
		int rc = i->p->start ? i->p->start(instance_handle(i), i->priv) : 0;
		if (rc < 0) {
			log_err("[%s] cannot start: %s", i->name, strerror(-rc));
			if (!set->once)
				return -1;
			i->state = INST_START_FAILED;
			continue;
		}
		i->state = INST_STARTED;
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
			instance_free(i, NLEVD_STOP_RELOAD); /* a stub: never created */
			if (o->p->reopen)
				o->p->reopen(instance_handle(o), o->priv);
			pp = &o->next;
			continue;
		}
		pp = &i->next;
	}
	instances_destroy(old, NLEVD_STOP_RELOAD);
	/* Only now, with the old set gone, do new instances see the state:
	 * RUNNING first, so that a once_done() from an event() counts. */
	for (struct instance *i = neu->head; i; i = i->next) {
		if (i->state != INST_STARTED)
			continue;
		i->state = INST_RUNNING;
		if (i->filter.startup || neu->once)
			instance_replay(i);
		if (neu->once)
			once_run(i);
	}
}

/* A refused reload is still a SIGHUP for what keeps running: log files are
 * reopened (logrotate does not check the config) and keys re-read. */
void instances_reopen(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next)
		if (i->p->reopen)
			i->p->reopen(instance_handle(i), i->priv);
}

int instances_push(struct instances *set, const char *name,
		   void (*cb)(const char *name, void *arg), void *arg)
{
	int n = 0;
	bool found = false;
	for (struct instance *i = set->head; i; i = i->next) {
		if (name && strcmp(i->name, name))
			continue;
		found = true;
		if (!instance_started(i) || !PLUGIN_HAS(i->p, push))
			continue;
		int rc = i->p->push(instance_handle(i), i->priv);
		if (rc < 0) {
			log_warn("[%s] cannot push: %s", i->name, strerror(-rc));
			continue;
		}
		n++;
		if (cb)
			cb(i->name, arg);
	}
	return name && !found ? -ENOENT : n;
}

void instances_destroy(struct instances *set, enum nlevd_stop_reason why)
{
	while (set->head) {
		struct instance *i = set->head;
		set->head = i->next;
		if (i->router)
			router_flush(i->router); /* what settled is still delivered */
		instance_free(i, why);
	}
}

void instances_dispatch(struct instances *set, const struct nlevd_event *ev)
{
	for (struct instance *i = set->head; i; i = i->next)
		if (instance_started(i))
			router_push(i->router, ev);
}

/* By name, not pointer: the source may be gone (a reload), and a
 * replacement of the same name is still the same instance to the admin. */
void instances_dispatch_plugin(struct instances *set, struct pevent *pe)
{
	for (struct instance *i = set->head; i; i = i->next)
		if (instance_started(i) && strcmp(i->name, pe->source))
			router_push_plugin(i->router, pe);
}

struct nlevd_status *instance_report(struct instance *i)
{
	if (i->state < INST_CREATED || !PLUGIN_HAS(i->p, report))
		return NULL;
	struct nlevd_status *st = status_new();
	if (st)
		i->p->report(instance_handle(i), i->priv, st);
	return st;
}

static void report_line_cb(const char *line, void *arg)
{
	log_notice("[%s] %s", (const char *)arg, line);
}

/* The structured status as log lines; false when the plugin has none. */
static bool report_log(struct instance *i)
{
	struct nlevd_status *st = instance_report(i);
	if (!st)
		return false;
	status_text(st, report_line_cb, i->name);
	status_free(st);
	return true;
}

void instances_status(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next) {
		log_notice("[%s] plugin %s, version %s, %zu events settling", i->name, i->p->name,
			   i->p->version ? i->p->version : "(no version)", router_pending(i->router));
		if (!report_log(i) && i->p->status)
			i->p->status(instance_handle(i), i->priv);
	}
}

void instances_report_log(struct instances *set)
{
	for (struct instance *i = set->head; i; i = i->next)
		report_log(i);
}

size_t instances_summary(struct instances *set, char *buf, size_t len)
{
	size_t n = 0;
	if (len)
		buf[0] = '\0';
	for (struct instance *i = set->head; i; i = i->next) {
		struct nlevd_status *st = instance_report(i);
		const char *sum = st ? status_summary(st) : NULL;
		if (sum) {
			int k = snprintf(buf + (n < len ? n : len), n < len ? len - n : 0, "%s%s: %s",
					 n ? "; " : "", i->name, sum);
			if (k > 0)
				n += (size_t)k;
		}
		status_free(st);
	}
	return n;
}
