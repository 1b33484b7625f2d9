/* ctlstatus.c: the control socket's status result (daemon, interfaces, instances). */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "control.h"
#include "ctlstatus.h"
#include "event.h"
#include "instance.h"
#include "nlmsg.h"
#include "router.h"
#include "state.h"
#include "status.h"

/* Fields come from event_fields(), the one encoder of interfaces and
 * addresses: status says exactly what the events say.  A quoted field is
 * a string; the rest are numbers (or true/false). */
struct fields {
	json_t *obj;
	const char *const *skip;
	bool failed;
};

static bool skipped(const char *const *skip, const char *name)
{
	for (; skip && *skip; skip++)
		if (!strcmp(*skip, name))
			return true;
	return false;
}

static void field_cb(const char *name, const char *value, bool quoted, void *arg)
{
	struct fields *f = arg;
	if (skipped(f->skip, name))
		return;
	json_t *v;
	if (quoted)
		v = control_string(value);
	else if (!strcmp(value, "true") || !strcmp(value, "false"))
		v = json_boolean(value[0] == 't');
	else
		v = json_integer(strtoll(value, NULL, 10));
	if (!v || json_object_set_new(f->obj, name, v) < 0)
		f->failed = true;
}

static const char *const link_skip[] = {"event", "initial", NULL};
static const char *const addr_skip[] = {"event", "initial", "ifname", "ifindex", NULL};

struct links {
	json_t *list;
};

static int addr_cb(const struct nlevd_link *link, const struct nlevd_addr *addr, void *arg)
{
	struct fields *top = arg;
	struct nlevd_event ev = {.type = NLEVD_EV_ADDR_ADD, .link = *link, .addr = *addr};
	struct fields f = {.obj = json_object(), .skip = addr_skip};
	if (!f.obj)
		return -ENOMEM;
	event_fields(&ev, field_cb, &f);
	if (f.failed) {
		json_decref(f.obj);
		return -ENOMEM;
	}
	/* jansson's *_new take the reference even when they fail */
	return json_array_append_new(top->obj, f.obj) < 0 ? -ENOMEM : 0;
}

static int link_cb(const struct nlevd_link *link, void *arg)
{
	struct links *ls = arg;
	struct nlevd_event ev = {.type = NLEVD_EV_LINK_ADD, .link = *link};
	struct fields f = {.obj = json_object(), .skip = link_skip};
	json_t *addrs = json_array();
	if (!f.obj || !addrs)
		goto fail;
	event_fields(&ev, field_cb, &f);
	struct fields a = {.obj = addrs};
	if (f.failed || state_addr_foreach(link->ifindex, addr_cb, &a))
		goto fail;
	/* jansson's *_new take the reference even when they fail */
	if (json_object_set_new(f.obj, "addresses", addrs) < 0) {
		json_decref(f.obj);
		return -ENOMEM;
	}
	return json_array_append_new(ls->list, f.obj) < 0 ? -ENOMEM : 0;
fail:
	json_decref(addrs);
	json_decref(f.obj);
	return -ENOMEM;
}

static void line_cb(const char *line, void *arg)
{
	json_array_append_new(arg, control_string(line));
}

/* The instance's structured status tree, as status_json() writes it. */
static json_t *tree(const struct nlevd_status *st)
{
	char *s = status_json(st);
	if (!s)
		return json_null();
	json_error_t err;
	json_t *j = json_loads(s, 0, &err);
	if (!j) /* a uint beyond int64: jansson's integers are signed */
		j = json_loads(s, JSON_DECODE_INT_AS_REAL, &err);
	free(s);
	return j ? j : json_null();
}

static json_t *instance_json(struct instance *i)
{
	json_t *o = json_pack("{s:s,s:s,s:s,s:I}", "name", i->name, "plugin", i->p->name,
			      "version", i->p->version ? i->p->version : "", "settling",
			      (json_int_t)router_pending(i->router));
	json_t *lines = json_array();
	if (!o || !lines) {
		json_decref(o);
		json_decref(lines);
		return NULL;
	}
	struct nlevd_status *st = instance_report(i);
	json_object_set_new(o, "status", st ? tree(st) : json_null());
	if (st)
		status_text(st, line_cb, lines);
	status_free(st);
	json_object_set_new(o, "lines", lines);
	return o;
}

static json_t *daemon_json(const struct ctlstatus_daemon *d)
{
	const struct nl_stats *n = d->netlink;
	return json_pack("{s:s,s:I,s:I,s:s,s:{s:I,s:I,s:I,s:I,s:I,s:I}}", "version", d->version,
			 "pid", (json_int_t)d->pid, "uptime_s", (json_int_t)d->uptime_s, "config",
			 d->config, "netlink", "messages", (json_int_t)n->messages, "malformed",
			 (json_int_t)n->malformed, "ignored", (json_int_t)n->ignored, "foreign",
			 (json_int_t)n->foreign, "resyncs", (json_int_t)n->resyncs, "overruns",
			 (json_int_t)n->overruns);
}

int ctlstatus_build(const struct ctlstatus_daemon *dmn, struct instances *set,
		    const char *instance, json_t **out)
{
	*out = NULL;
	struct instance *only = NULL;
	if (instance) {
		for (only = set->head; only && strcmp(only->name, instance); only = only->next)
			;
		if (!only)
			return -ENOENT;
	}
	json_t *r = json_object(), *insts = json_array();
	struct links ls = {.list = json_array()};
	if (!r || !insts || !ls.list)
		goto fail;
	if (json_object_set_new(r, "daemon", daemon_json(dmn)) < 0)
		goto fail;
	if (state_link_foreach(link_cb, &ls))
		goto fail;
	json_object_set_new(r, "interfaces", ls.list);
	ls.list = NULL;
	for (struct instance *i = only ? only : set->head; i; i = only ? NULL : i->next)
		if (json_array_append_new(insts, instance_json(i)) < 0)
			goto fail;
	json_object_set_new(r, "instances", insts);
	*out = r;
	return 0;
fail:
	json_decref(ls.list);
	json_decref(insts);
	json_decref(r);
	return -ENOMEM;
}
