/* emitter: a test-only plugin that emits a plugin event (host->emit) for
 * every addr-add it gets, and records what it receives, for
 * tests/integration/emit.sh.  Keys: event (what to emit, default
 * dns-published), record (a file: each event received, as text), reemit
 * (also answer every plugin event received with one of its own: two such
 * instances make a loop), hostile (field values with quotes, newlines and
 * control bytes), big (one more field of 60000 bytes, after trying one of
 * 70000, which the core must refuse). */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <nlevd/plugin.h>

#define HOSTILE_ZONE "ev\"il\nzone\x01\x1b[31m\\end"
#define HOSTILE_ERROR "it's 'bad'\r\n$(id) `x` \x7f;"

struct em {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const char *event, *record;
	bool reemit, hostile, big;
};

static const char *const keys[] = {"event", "record", "reemit", "hostile", "big", NULL};

static int em_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	if (host->size < offsetof(struct nlevd_host, emit) + sizeof(host->emit)) {
		host->cfg_error(inst, NULL, "the daemon has no host->emit");
		return -ENOTSUP;
	}
	struct em *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	e->host = host;
	e->inst = inst;
	host->cfg_string(inst, "event", "dns-published", &e->event);
	host->cfg_string(inst, "record", NULL, &e->record);
	if (host->cfg_bool(inst, "reemit", false, &e->reemit) < 0 ||
	    host->cfg_bool(inst, "hostile", false, &e->hostile) < 0 ||
	    host->cfg_bool(inst, "big", false, &e->big) < 0) {
		free(e);
		return -EINVAL;
	}
	*priv = e;
	return 0;
}

static void record(struct em *e, const struct nlevd_event *ev)
{
	if (!e->record)
		return;
	size_t need = e->host->event_text(ev, NULL, 0) + 1;
	char *buf = malloc(need);
	FILE *f = buf ? fopen(e->record, "a") : NULL;
	if (f) {
		e->host->event_text(ev, buf, need);
		fprintf(f, "%s\n", buf);
		fclose(f);
	}
	free(buf);
}

static void emit(struct em *e, struct nlevd_field *f, size_t n)
{
	int rc = e->host->emit(e->inst, e->event, f, n);
	if (rc < 0)
		e->host->log(e->inst, NLEVD_LOG_NOTICE, "emit %s: %d", e->event, rc);
}

static void em_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct em *e = priv;
	(void)inst;
	record(e, ev);
	if (ev->type == NLEVD_EV_PLUGIN) {
		if (!e->reemit)
			return;
		/* Pass the fields on (not the source: the core sets it). */
		struct nlevd_field f[NLEVD_EMIT_FIELDS_MAX];
		size_t n = 0;
		for (size_t i = 1; i < ev->nfields && n < NLEVD_EMIT_FIELDS_MAX; i++)
			f[n++] = ev->fields[i];
		emit(e, f, n);
		return;
	}
	if (ev->type != NLEVD_EV_ADDR_ADD)
		return;
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(ev->addr.family == AF_INET ? AF_INET : AF_INET6, ev->addr.addr, ip, sizeof(ip));
	struct nlevd_field f[4] = {
		{"zone", e->hostile ? HOSTILE_ZONE : "example.test."},
		{"names", ip},
		{"error", e->hostile ? HOSTILE_ERROR : ""},
	};
	size_t n = 3;
	char *blob = NULL;
	if (e->big && (blob = malloc(70001))) {
		memset(blob, 'x', 70000);
		blob[70000] = 0;
		f[3].name = "blob";
		f[3].value = blob;
		int rc = e->host->emit(e->inst, e->event, f, 4);
		e->host->log(e->inst, NLEVD_LOG_NOTICE, "oversized emit: %d", rc);
		blob[60000] = 0;
		n = 4;
	}
	emit(e, f, n);
	free(blob);
}

static void em_destroy(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	free(priv);
}

NLEVD_PLUGIN_EXPORT const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "emitter",
	.version = "0",
	.keys = keys,
	.create = em_create,
	.event = em_event,
	.destroy = em_destroy,
};
