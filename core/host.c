/* The host table: the core's services as plugins see them, through struct nlevd_host. */
#include <errno.h>
#include <stdarg.h>
#include <string.h>

#include "child.h"
#include "emit.h"
#include "event.h"
#include "filter.h"
#include "host.h"
#include "instance.h"
#include "instcfg.h"
#include "log.h"
#include "once.h"
#include "state.h"
#include "status.h"
#include "timer.h"

static void h_vlog(struct nlevd_instance *inst, int level, const char *fmt, va_list ap)
{
	log_vmsg(level, inst ? instance_of(inst)->name : NULL, fmt, ap);
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

/* The source is the caller's instance, whatever the plugin claims. */
static int h_emit(struct nlevd_instance *inst, const char *event,
		  const struct nlevd_field *fields, size_t nfields)
{
	if (!inst)
		return -EINVAL;
	struct instance *i = instance_of(inst);
	int rc = emit_event(i->name, event, fields, nfields);
	/* The admin's to fix (a loop in the config, a flood): said once at
	 * warning level per instance, then at debug level. */
	if (rc == -ELOOP || rc == -ENOBUFS) {
		bool *warned = rc == -ELOOP ? &i->emit_loop_warned : &i->emit_full_warned;
		h_log(inst, *warned ? NLEVD_LOG_DEBUG : NLEVD_LOG_WARNING,
		      rc == -ELOOP ? "%s not emitted: it answers a chain of %d plugin events "
				     "(instances answering each other's events?)"
				   : "%s not emitted: %d plugin events are waiting",
		      event, rc == -ELOOP ? NLEVD_EMIT_DEPTH_MAX : NLEVD_EMIT_QUEUE_MAX);
		*warned = true;
	}
	return rc;
}

static struct nlevd_child *h_child_spawn(struct nlevd_instance *inst,
					 const struct nlevd_child_spec *spec)
{
	struct instance *i = instance_of(inst);
	/* Not from create(), which runs for -t and for reloads that may be
	 * refused; not once the instance is going, when the core would kill
	 * the child at once and never report it. */
	if (i->state == INST_NEW || i->timers.closed) {
		errno = i->state == INST_NEW ? EAGAIN : ECANCELED;
		return NULL;
	}
	/* A 1.0 plugin's spec ends before exec_fd: never read past it. */
	if (spec && i->p->abi_minor < 1) {
		struct nlevd_child_spec s = {0};
		memcpy(&s, spec, offsetof(struct nlevd_child_spec, exec_fd));
		return child_spawn(i, i->name, &s);
	}
	return child_spawn(i, i->name, spec);
}

static int h_timer_start(struct nlevd_instance *inst, struct nlevd_timer **t, uint64_t after_ms,
			 uint64_t repeat_ms, nlevd_timer_cb cb, void *arg)
{
	if (!inst)
		return -EINVAL;
	/* The loop never runs for -t: a timer armed in create() would only
	 * mislead stop(NLEVD_STOP_CHECK). */
	if (instance_of(inst)->state == INST_NEW)
		return -EAGAIN;
	return timers_start(&instance_of(inst)->timers, t, after_ms, repeat_ms, cb, arg);
}

static void h_timer_stop(struct nlevd_instance *inst, struct nlevd_timer **t)
{
	if (inst)
		timers_stop(&instance_of(inst)->timers, t);
}

struct nlevd_host host_table = {
	.abi_major = NLEVD_ABI_MAJOR,
	.abi_minor = NLEVD_ABI_MINOR,
	.size = sizeof(struct nlevd_host),
	.loop = NULL, /* set by instances_create() */
	.log = h_log,
	.vlog = h_vlog,
	.instance_name = h_instance_name,
	.cfg_string = instcfg_string,
	.cfg_bool = instcfg_bool,
	.cfg_uint = instcfg_uint,
	.cfg_duration_ms = instcfg_duration,
	.cfg_size = instcfg_size,
	.cfg_enum = instcfg_enum,
	.cfg_error = instcfg_key_error,
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
	.once_done = once_done,
	.emit = h_emit,
	.timer_start = h_timer_start,
	.timer_stop = h_timer_stop,
	.timer_active = timers_active,
	.status_object = status_object,
	.status_list = status_list,
	.status_end = status_end,
	.status_string = status_string,
	.status_uint = status_uint,
	.status_bool = status_bool,
	/* 1.1 config helpers (instcfg.c) */
	.cfg_string_required = instcfg_string_required,
	.cfg_duration_range = instcfg_duration_range,
	.cfg_words = instcfg_words,
	.cfg_command = instcfg_command,
	.families = instcfg_families,
};
