/* abi10: a test-only plugin built against the frozen ABI 1.0 header
 * (tests/abi10/nlevd/plugin.h, not include/), for
 * tests/integration/abi10.sh: it uses only what 1.0 had (events, the
 * encoders, lookups, status, reopen, children with a 1.0-sized spec, the
 * cfg_* lookups) and writes what it sees to the file `record`, so the test
 * can check that a 1.1 daemon runs it as a 1.0 daemon would.  Keys: record
 * (required), command (run for each addr-add with the address as $1), and
 * one key per cfg lookup type: limit, delay, buffer, verbose, mode. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nlevd/plugin.h>

#if NLEVD_ABI_MAJOR != 1 || NLEVD_ABI_MINOR != 0
#error "abi10.c must be built against tests/abi10/nlevd/plugin.h (ABI 1.0)"
#endif

#define MAX_CHILDREN 8

struct kid {
	struct old *o; /* NULL: slot free */
	char ip[INET6_ADDRSTRLEN];
};

struct old {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const char *record, *command;
	uint64_t limit, delay, buffer;
	bool verbose, started;
	int mode;
	unsigned events, children;
	struct kid kids[MAX_CHILDREN];
};

static const char *const keys[] = {"record", "command", "limit", "delay", "buffer",
				   "verbose", "mode", NULL};
static const char *const modes[] = {"alpha", "beta", "gamma", NULL};

static void rec(struct old *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void rec(struct old *o, const char *fmt, ...)
{
	FILE *f = fopen(o->record, "a");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static int old_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	/* What a 1.0 plugin checks: the major, and that the host table has
	 * at least the fields it knows.  A newer daemon's is bigger. */
	if (host->abi_major != NLEVD_ABI_MAJOR || host->size < sizeof(struct nlevd_host))
		return -ENOTSUP;
	struct old *o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->host = host;
	o->inst = inst;
	int bad = 0;
	bad |= host->cfg_string(inst, "record", NULL, &o->record) < 0;
	bad |= host->cfg_string(inst, "command", NULL, &o->command) < 0;
	bad |= host->cfg_uint(inst, "limit", 3, 1, 10, &o->limit) < 0;
	bad |= host->cfg_duration_ms(inst, "delay", 250, &o->delay) < 0;
	bad |= host->cfg_size(inst, "buffer", 1024, &o->buffer) < 0;
	bad |= host->cfg_bool(inst, "verbose", false, &o->verbose) < 0;
	bad |= host->cfg_enum(inst, "mode", modes, 0, &o->mode) < 0;
	if (!bad && !o->record) {
		host->cfg_error(inst, "record", "is required");
		bad = 1;
	}
	if (!bad && o->command && o->command[0] != '/') {
		host->cfg_error(inst, "command", "must be an absolute path");
		bad = 1;
	}
	if (bad) { /* destroy() is not called when create() fails */
		free(o);
		return -EINVAL;
	}
	*priv = o;
	return 0;
}

static int old_start(struct nlevd_instance *inst, void *priv)
{
	struct old *o = priv;
	rec(o, "start %s limit=%llu delay=%llu buffer=%llu verbose=%d mode=%s",
	    o->host->instance_name(inst), (unsigned long long)o->limit,
	    (unsigned long long)o->delay, (unsigned long long)o->buffer, o->verbose,
	    modes[o->mode]);
	o->started = true;
	return 0;
}

static void kid_line(void *arg, int fd, const char *line)
{
	struct kid *k = arg;
	rec(k->o, "line %d %s", fd, line);
}

static void kid_done(void *arg, const struct nlevd_child_result *res)
{
	struct kid *k = arg;
	rec(k->o, "done %s status=%d spawn_error=%d timed_out=%d", k->ip, res->status,
	    res->spawn_error, res->timed_out);
	k->o = NULL;
}

/* The spec a 1.0 plugin passes ends at `arg`.  What follows it here looks
 * like 1.1's exec_fd = 2 (stderr, not a program): a daemon that read it
 * from this plugin would fexecve stderr and the child would not run. */
struct spec10 {
	struct nlevd_child_spec spec;
	int not_exec_fd;
};

static void spawn(struct old *o, const char *ip)
{
	struct kid *k = NULL;
	for (size_t i = 0; i < MAX_CHILDREN && !k; i++)
		if (!o->kids[i].o)
			k = &o->kids[i];
	if (!k) {
		rec(o, "busy %s", ip);
		return;
	}
	k->o = o;
	snprintf(k->ip, sizeof(k->ip), "%s", ip);
	char input[64];
	int n = snprintf(input, sizeof(input), "input %s\n", ip);
	const char *argv[] = {o->command, ip, NULL};
	const char *envp[] = {"ABI10=yes", NULL};
	struct spec10 s = {
		.spec = {
			.argv = argv,
			.envp = envp,
			.input = input,
			.input_len = (size_t)n,
			.timeout_ms = 10000,
			.line = kid_line,
			.done = kid_done,
			.arg = k,
		},
		.not_exec_fd = 2,
	};
	if (o->host->child_spawn(o->inst, &s.spec)) {
		o->children++;
	} else if (k->o) { /* (unless done() already said so) */
		rec(o, "spawn %s failed: %s", ip, strerror(errno));
		k->o = NULL;
	}
}

/* A kernel event a 1.0 plugin copied: 1.0's size, then words that would
 * be a bad name pointer and field count if a 1.1 encoder read them. */
struct event10 {
	struct nlevd_event ev;
	uintptr_t not_name, not_fields, not_nfields;
};

static void old_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct old *o = priv;
	(void)inst;
	o->events++;
	char buf[1024], copy[1024];
	o->host->event_text(ev, buf, sizeof(buf));
	struct event10 *c = malloc(sizeof(*c));
	if (!c)
		return;
	memcpy(&c->ev, ev, sizeof(c->ev));
	c->not_name = c->not_fields = 1;
	c->not_nfields = 1000;
	o->host->event_text(&c->ev, copy, sizeof(copy));
	free(c);
	const struct nlevd_link *l = o->host->link_get(ev->link.ifindex);
	rec(o, "event %s", buf);
	rec(o, "copy %s", copy);
	rec(o, "link %s", l ? l->ifname : "-");
	if (ev->type == NLEVD_EV_ADDR_ADD && o->command) {
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(ev->addr.family == AF_INET ? AF_INET : AF_INET6, ev->addr.addr, ip,
			  sizeof(ip));
		spawn(o, ip);
	}
}

static void old_reopen(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	rec(priv, "reopen");
}

struct count {
	struct old *o;
	unsigned n;
};

static int count_selected(const struct nlevd_link *link, const struct nlevd_addr *addr, void *arg)
{
	struct count *c = arg;
	if (c->o->host->selected(c->o->inst, link, addr))
		c->n++;
	return 0;
}

static void old_status(struct nlevd_instance *inst, void *priv)
{
	struct old *o = priv;
	struct count c = {o, 0};
	o->host->addr_foreach(0, count_selected, &c);
	o->host->log(inst, NLEVD_LOG_NOTICE, "abi10 status: events=%u children=%u selected=%u",
		     o->events, o->children, c.n);
}

static void old_destroy(struct nlevd_instance *inst, void *priv)
{
	struct old *o = priv;
	(void)inst;
	if (o && o->started) /* (-t and a refused reload write nothing) */
		rec(o, "destroy");
	free(o);
}

/* 1.1 appended stop and report to the descriptor.  A 1.0 descriptor ends at
 * destroy (its size says so); the two words after it here look like those
 * callbacks, so a daemon that read past plugin->size would call these. */
static void trap_stop(struct nlevd_instance *inst, void *priv, int why)
{
	(void)inst;
	if (priv)
		rec(priv, "TRAP stop %d: read past the 1.0 descriptor", why);
}

static void trap_report(struct nlevd_instance *inst, void *priv, void *st)
{
	(void)inst;
	(void)st;
	if (priv)
		rec(priv, "TRAP report: read past the 1.0 descriptor");
}

struct plugin10 {
	struct nlevd_plugin p;
	void (*not_stop)(struct nlevd_instance *inst, void *priv, int why);
	void (*not_report)(struct nlevd_instance *inst, void *priv, void *st);
};

NLEVD_PLUGIN_EXPORT const struct plugin10 nlevd_plugin = {
	.p = {
		NLEVD_PLUGIN_INIT,
		.name = "abi10",
		.version = "1.0-test",
		.keys = keys,
		.create = old_create,
		.start = old_start,
		.event = old_event,
		.reopen = old_reopen,
		.status = old_status,
		.destroy = old_destroy,
	},
	.not_stop = trap_stop,
	.not_report = trap_report,
};
