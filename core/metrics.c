/* The daemon's counters (events, control drops) and the Prometheus text
 * exposition (format 0.0.4) of them, of the netlink and state counts, and
 * of each instance's "metrics" status object.
 *
 * The output must be safe for node_exporter's textfile collector, which
 * refuses a whole file for one bad line: every family gets # HELP and
 * # TYPE exactly once, its samples together, names are checked, label
 * values escaped, and a plugin metric that would clash with a core family
 * or label is left out rather than rendered. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "instance.h"
#include "metrics.h"
#include "netlink.h"
#include "state.h"
#include "status.h"

#define PLUGIN_EVENTS_MAX 32 /* plugin_event_parse()'s ids */
#define PREFIX "nlevd_"

static uint64_t kernel_events[NLEVD_EV_COUNT];
static uint64_t plugin_events[PLUGIN_EVENTS_MAX];
static uint64_t control_drops;

void metrics_count_event(const struct nlevd_event *ev)
{
	if ((unsigned)ev->type < NLEVD_EV_COUNT) {
		kernel_events[ev->type]++;
	} else if (ev->type == NLEVD_EV_PLUGIN && ev->name) {
		int id = plugin_event_parse(ev->name);
		if (id >= 0 && id < PLUGIN_EVENTS_MAX)
			plugin_events[id]++;
	}
}

void metrics_count_control_drop(void)
{
	control_drops++;
}

/* The label value escaped as the format wants: \\, \" and \n. */
static void put_label_value(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP " PREFIX "%s %s\n# TYPE " PREFIX "%s %s\n", name, help, name, type);
}

static void sample(FILE *f, const char *name, uint64_t v)
{
	fprintf(f, PREFIX "%s %llu\n", name, (unsigned long long)v);
}

/* The core's own families: a plugin metric of one of these names is not
 * rendered (two TYPE lines would make the whole exposition invalid). */
static const char *const core_families[] = {
	"events_total", "netlink_messages_total", "netlink_overruns_total",
	"netlink_resyncs_total", "netlink_malformed_total", "netlink_foreign_total",
	"control_clients_dropped_total", "interfaces", "addresses", NULL,
};

static void core_metrics(FILE *f)
{
	family(f, "events_total", "counter",
	       "Events by type: kernel ones (the first read of the state's too), plugin ones.");
	for (int t = 0; t < NLEVD_EV_COUNT; t++) {
		fputs(PREFIX "events_total{type=\"", f);
		put_label_value(f, event_name((enum nlevd_event_type)t));
		fprintf(f, "\"} %llu\n", (unsigned long long)kernel_events[t]);
	}
	for (int id = 0; id < PLUGIN_EVENTS_MAX && plugin_event_name(id); id++) {
		fputs(PREFIX "events_total{type=\"", f);
		put_label_value(f, plugin_event_name(id));
		fprintf(f, "\"} %llu\n", (unsigned long long)plugin_events[id]);
	}
	const struct {
		const char *name, *help;
		uint64_t v;
	} nl[] = {
		{"netlink_messages_total", "Netlink messages decoded.", nl_stats.messages},
		{"netlink_overruns_total", "Netlink receive buffer overruns (ENOBUFS).",
		 nl_stats.overruns},
		{"netlink_resyncs_total", "Full reads of the kernel state after a loss.",
		 nl_stats.resyncs},
		{"netlink_malformed_total", "Netlink messages malformed or cut short.",
		 nl_stats.malformed},
		{"netlink_foreign_total", "Netlink datagrams not from the kernel, dropped.",
		 nl_stats.foreign},
	};
	for (size_t i = 0; i < sizeof(nl) / sizeof(nl[0]); i++) {
		family(f, nl[i].name, "counter", nl[i].help);
		sample(f, nl[i].name, nl[i].v);
	}
	family(f, "control_clients_dropped_total", "counter",
	       "Control clients dropped for not reading their replies.");
	sample(f, "control_clients_dropped_total", control_drops);
	family(f, "interfaces", "gauge", "Interfaces the daemon knows.");
	sample(f, "interfaces", state_count_links());
	family(f, "addresses", "gauge", "Addresses the daemon knows (tentative ones included).");
	sample(f, "addresses", state_count_addrs());
}

/* ---- the instances' metrics ---- */

struct psample {
	char *name;   /* the family, without the prefix */
	char *labels; /* rendered, braces included */
	uint64_t v;
	bool done;
};

struct collect {
	struct psample *v;
	size_t n, cap;
	const struct instance *inst;
	bool oom;
};

static bool clashes(const char *name, const char *label)
{
	for (size_t i = 0; core_families[i]; i++)
		if (!strcmp(core_families[i], name))
			return true;
	return label && (!strcmp(label, "instance") || !strcmp(label, "plugin"));
}

static void collect_cb(const char *name, const char *label, const char *lvalue, uint64_t v,
		       void *arg)
{
	struct collect *c = arg;
	if (c->oom || clashes(name, label))
		return;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;
		struct psample *nv = realloc(c->v, cap * sizeof(*nv));
		if (!nv) {
			c->oom = true;
			return;
		}
		c->v = nv;
		c->cap = cap;
	}
	char *labels = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&labels, &len);
	if (!f) {
		c->oom = true;
		return;
	}
	fputs("{instance=\"", f);
	put_label_value(f, c->inst->name);
	fputs("\",plugin=\"", f);
	put_label_value(f, c->inst->p->name ? c->inst->p->name : "");
	fputc('"', f);
	if (label) { /* keys of the status tree: [a-z][a-z0-9_]*, valid names */
		fprintf(f, ",%s=\"", label);
		put_label_value(f, lvalue);
		fputc('"', f);
	}
	fputc('}', f);
	bool bad = ferror(f) != 0;
	if (fclose(f) || bad || !(c->v[c->n].name = strdup(name))) {
		free(labels);
		c->oom = true;
		return;
	}
	c->v[c->n].labels = labels;
	c->v[c->n].v = v;
	c->v[c->n].done = false;
	c->n++;
}

static bool suffix_is(const char *s, const char *suf)
{
	size_t n = strlen(s), k = strlen(suf);
	return n >= k && !strcmp(s + n - k, suf);
}

/* Grouped by family, in the order each was first seen: the format wants a
 * family's samples together, under its one # TYPE line. */
static void instance_metrics(FILE *f, struct collect *c)
{
	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].done)
			continue;
		const char *name = c->v[i].name;
		fprintf(f, "# HELP " PREFIX "%s The metric %s of the instances' status.\n", name,
			name);
		fprintf(f, "# TYPE " PREFIX "%s %s\n", name,
			suffix_is(name, "_total") ? "counter" : "gauge");
		for (size_t k = i; k < c->n; k++)
			if (!c->v[k].done && !strcmp(c->v[k].name, name)) {
				fprintf(f, PREFIX "%s%s %llu\n", name, c->v[k].labels,
					(unsigned long long)c->v[k].v);
				c->v[k].done = true;
			}
	}
}

char *metrics_text(struct instances *set)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	core_metrics(f);
	struct collect c = {0};
	for (struct instance *i = set ? set->head : NULL; i && !c.oom; i = i->next) {
		struct nlevd_status *st = instance_report(i);
		if (!st)
			continue;
		c.inst = i;
		status_metrics(st, collect_cb, &c);
		status_free(st);
	}
	instance_metrics(f, &c);
	for (size_t i = 0; i < c.n; i++) {
		free(c.v[i].name);
		free(c.v[i].labels);
	}
	free(c.v);
	bool bad = ferror(f) != 0;
	if (fclose(f) || bad || c.oom) {
		free(text);
		return NULL;
	}
	return text;
}
