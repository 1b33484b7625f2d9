/* nsupdate: publish the host's addresses through BIND's nsupdate.  The
 * engine decides what to send and backend.c finds zones and reads records;
 * this file turns one zone's changes into an nsupdate run (one per zone, so
 * a failing `send` never stops another zone) and its exit status and
 * messages into a result.  The key
 * is passed with -k FILE, or, when key_name picks one key of a file with
 * several, as the script's first line ("key alg:name secret") on stdin:
 * a secret never appears in argv, the environment or the log. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nlevd/plugin.h>

#include "backend.h"
#include "engine.h"
#include "nsuclass.h"

#ifndef NSUPDATE_PATH
#define NSUPDATE_PATH "/usr/bin/nsupdate"
#endif
#define OUT_MAX 4096

struct nsu {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	struct dns_config cfg;
	struct backend b;
	const char *prog;
	struct dns_engine *e;
};

/* One zone's nsupdate run. */
struct nsz {
	struct nsu *n;
	struct dns_zone *z;
	struct nlevd_child *child;
	bool cancelled;
	char out[OUT_MAX];
	size_t outlen;
};

static const char *const keys[] = {"name", "zone", "server", "key_file", "key_name", "ttl",
				   "ptr", "on_empty", "delete_delay", "ownership", "verify",
				   "refresh", "ipv6_suffix", "timeout", "retry", "retry_max",
				   "tcp", "auth", "keytab", "principal", "nsupdate", NULL};

static const char *type_name(uint16_t t)
{
	return t == DNS_T_A ? "A" : t == DNS_T_AAAA ? "AAAA" : t == DNS_T_PTR ? "PTR"
	       : t == DNS_T_DHCID ? "DHCID" : "?";
}

struct sb {
	char *buf;
	size_t len, cap;
	bool oom;
};

static void sb_printf(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->oom = true;
			return;
		}
		if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		}
		size_t cap = (s->cap + (size_t)n + 1) * 2;
		char *nb = realloc(s->buf, cap);
		if (!nb) {
			s->oom = true;
			return;
		}
		s->buf = nb;
		s->cap = cap;
	}
}

static void nsu_line(void *arg, int fd, const char *line)
{
	struct nsz *c = arg;
	c->n->host->log(c->n->inst, NLEVD_LOG_DEBUG, "nsupdate%s: %s", fd == 2 ? " (stderr)" : "",
			line);
	size_t l = strlen(line);
	if (c->outlen + l + 2 <= sizeof(c->out)) {
		memcpy(c->out + c->outlen, line, l);
		c->outlen += l;
		c->out[c->outlen++] = '\n';
		c->out[c->outlen] = 0;
	}
}

static void nsu_done(void *arg, const struct nlevd_child_result *res)
{
	struct nsz *c = arg;
	char detail[256];
	c->child = NULL;
	if (c->cancelled) {
		c->cancelled = false;
		return;
	}
	if (res->spawn_error) {
		snprintf(detail, sizeof(detail), "cannot run %s: %s", c->n->prog,
			 strerror(res->spawn_error));
		dns_sent(c->z, DNS_TRANSIENT, detail);
		return;
	}
	c->out[c->outlen] = 0;
	enum dns_result r = nsu_classify(res->status, res->timed_out, c->out, detail, sizeof(detail));
	dns_sent(c->z, r, detail);
}

/* One zone's script: its changes in as few `send`s as fit in 64 KiB each
 * (cut between owner names, so each name's change stays atomic). */
static void script(const struct nsu *n, struct dns_zone *z, const struct dns_op *ops,
		   size_t nops, struct sb *s, size_t *sends)
{
	const struct dns_config *cfg = &n->cfg;
	const struct dns_server *sv = dns_zone_server(z);
	if (cfg->key_name)
		sb_printf(s, "key %s:%s %s\n", cfg->key.algorithm, cfg->key.name, cfg->key.secret_b64);
	if (sv) {
		if (sv->port)
			sb_printf(s, "server %s %u\n", sv->host, sv->port);
		else
			sb_printf(s, "server %s\n", sv->host);
	}
	*sends = 0;
	size_t bytes = 0;
	for (size_t k = 0; k < nops; k++) {
		const struct dns_op *op = &ops[k];
		/* An upper bound of the RR's wire size. */
		size_t rr = strlen(op->owner) + 2 + 10 + strlen(op->rdata) + 2;
		bool new_owner = !k || strcmp(op->owner, ops[k - 1].owner);
		if (!k || (new_owner && bytes + rr > 60000)) {
			if (k)
				sb_printf(s, "send\n");
			sb_printf(s, "zone %s\nttl %u\n", dns_zone_name(z), cfg->ttl);
			(*sends)++;
			bytes = 512;
		}
		bytes += rr;
		switch (op->kind) {
		case DNS_OP_PRE_NXDOMAIN:
			sb_printf(s, "prereq nxdomain %s\n", op->owner);
			break;
		case DNS_OP_PRE_YXRR:
			sb_printf(s, "prereq yxrrset %s IN %s %s\n", op->owner, type_name(op->type),
				  op->rdata);
			break;
		case DNS_OP_DELETE_RRSET:
			sb_printf(s, "update delete %s %s\n", op->owner, type_name(op->type));
			break;
		default:
			sb_printf(s, "update add %s %u %s %s\n", op->owner, cfg->ttl,
				  type_name(op->type), op->rdata);
		}
	}
	if (nops)
		sb_printf(s, "send\n");
}

static struct nsz *zone_ctx(struct nsu *n, struct dns_zone *z)
{
	struct bslot *s = backend_zone_slot(&n->b, z);
	if (!s)
		return NULL;
	if (!s->pctx) {
		struct nsz *c = calloc(1, sizeof(*c));
		if (!c)
			return NULL;
		c->n = n;
		c->z = z;
		s->pctx = c;
	}
	return s->pctx;
}

static int nsu_send(void *ctx, struct dns_zone *z, const struct dns_op *ops, size_t nops)
{
	struct nsu *n = ctx;
	struct nsz *c = zone_ctx(n, z);
	struct sb s = {0};
	size_t sends;
	if (!c)
		return -ENOMEM;
	script(n, z, ops, nops, &s, &sends);
	if (sends > 1)
		n->host->log(n->inst, NLEVD_LOG_INFO, "zone %s: %zu changes do not fit one UPDATE: "
			     "sending them as %zu, cut between names", dns_zone_name(z), nops, sends);
	if (s.oom) {
		if (s.buf)
			explicit_bzero(s.buf, s.cap);
		free(s.buf);
		return -ENOMEM;
	}
	char t[32], u[32];
	uint64_t secs = (n->cfg.timeout_ms + 999) / 1000;
	snprintf(t, sizeof(t), "%llu", (unsigned long long)secs);
	snprintf(u, sizeof(u), "%llu", (unsigned long long)(secs / 3 ? secs / 3 : 1));
	const char *argv[12];
	size_t a = 0;
	argv[a++] = n->prog;
	if (n->cfg.key_file && !n->cfg.key_name) {
		argv[a++] = "-k";
		argv[a++] = n->cfg.key_file;
	}
	if (n->cfg.tcp)
		argv[a++] = "-v";
	argv[a++] = "-t";
	argv[a++] = t;
	argv[a++] = "-u";
	argv[a++] = u;
	/* three sends of -u seconds: an attempt lasts about `timeout` */
	argv[a++] = "-r";
	argv[a++] = "2";
	argv[a] = NULL;
	static const char *const env[] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
	struct nlevd_child_spec spec = {
		.argv = argv,
		.envp = env,
		.input = s.buf,
		.input_len = s.len,
		/* nsupdate's own -t bounds each message; this bounds the run
		 * (finding the primary, then each send). */
		.timeout_ms = n->cfg.timeout_ms * (sends + 1) + 2000,
		.line = nsu_line,
		.done = nsu_done,
		.arg = c,
	};
	c->outlen = 0;
	c->out[0] = 0;
	c->child = n->host->child_spawn(n->inst, &spec);
	int e = errno;
	for (char *line = s.buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		if (strncmp(line, "key ", 4))
			n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate script: %s", line);
		else
			n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate script: key %s:%s (secret "
				     "not logged)", n->cfg.key.algorithm, n->cfg.key.name);
	}
	explicit_bzero(s.buf, s.cap);
	free(s.buf);
	return c->child ? 0 : -e;
}

static void nsz_cancel(struct nsz *c)
{
	if (c && c->child) {
		c->cancelled = true;
		c->n->host->child_kill(c->child);
	}
}

static int nsu_find(void *ctx, struct dns_group *g, const char *owner, const char *qname)
{
	return backend_find(&((struct nsu *)ctx)->b, g, owner, qname);
}

static int nsu_read(void *ctx, struct dns_zone *z, struct dns_rrq *qs, size_t n)
{
	return backend_read(&((struct nsu *)ctx)->b, z, qs, n);
}

static void nsu_cancel_zone(void *ctx, struct dns_zone *z)
{
	struct nsu *n = ctx;
	struct bslot *s = *dns_zone_tctx(z);
	if (s)
		nsz_cancel(s->pctx);
	backend_cancel_zone(&n->b, z);
}

static void nsu_cancel_group(void *ctx, struct dns_group *g)
{
	backend_cancel_group(&((struct nsu *)ctx)->b, g);
}

static const struct dns_transport transport = {nsu_find, nsu_read, nsu_send, nsu_cancel_zone,
					       nsu_cancel_group};

static void nsz_free(void *p)
{
	/* The core reaps the instance's children; a run still going was
	 * cancelled with its zone. */
	free(p);
}

static int nsu_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	struct nsu *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->host = host;
	n->inst = inst;
	int rc = dns_config_read(host, inst, &n->cfg);
	if (rc == 0 && n->cfg.auth >= DNS_AUTH_GSS) {
		/* GSS-TSIG is being built (issue 16): refused, not half done. */
		host->cfg_error(inst, "auth", "GSS-TSIG is not supported by this plugin yet");
		dns_config_free(&n->cfg);
		rc = -EINVAL;
	}
	host->cfg_string(inst, "nsupdate", NSUPDATE_PATH, &n->prog);
	if (n->prog[0] != '/' || access(n->prog, X_OK) < 0) {
		host->cfg_error(inst, "nsupdate",
				"'%s' is not an executable program (install bind9-dnsutils, or "
				"give its absolute path)", n->prog);
		rc = -EINVAL;
	}
	if (rc == 0)
		rc = backend_init(&n->b, host, inst, &n->cfg);
	n->b.pctx_free = nsz_free;
	if (rc == 0 && !(n->e = dns_engine_new(host, inst, &n->cfg, &transport, n)))
		rc = -ENOMEM;
	if (rc < 0) {
		dns_config_free(&n->cfg);
		free(n);
		return rc;
	}
	dns_engine_set_slot_free(n->e, backend_slot_free);
	*priv = n;
	return 0;
}

static int nsu_start(struct nlevd_instance *inst, void *priv)
{
	struct nsu *n = priv;
	(void)inst;
	dns_engine_start(n->e);
	return 0;
}

static void nsu_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct nsu *n = priv;
	(void)inst;
	(void)ev;
	dns_engine_changed(n->e);
}

static int nsu_once(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	return dns_engine_once(((struct nsu *)priv)->e);
}

static int nsu_push(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	return dns_engine_push(((struct nsu *)priv)->e);
}

static void nsu_report(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	dns_engine_report(((struct nsu *)priv)->e, st);
}

/* SIGHUP with the section unchanged: nsupdate reads key_file at every run,
 * so a key replaced in place is used by the next one; the key read here
 * (for key_name, and for the signed queries) is read again (a broken file
 * keeps the old key).  A failed update is retried at once: the operator
 * may have fixed the key or the server. */
static void nsu_reopen(struct nlevd_instance *inst, void *priv)
{
	struct nsu *n = priv;
	dns_config_reload_key(n->host, inst, &n->cfg);
	dns_engine_kick(n->e);
}

static void nsu_destroy(struct nlevd_instance *inst, void *priv)
{
	struct nsu *n = priv;
	(void)inst;
	dns_engine_free(n->e);
	dns_config_free(&n->cfg);
	free(n);
}

const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "nsupdate",
	.version = PACKAGE_VERSION,
	.keys = keys,
	.default_settle_ms = 200,
	.default_scopes = NLEVD_SCOPE_GLOBAL,
	.default_no_temporary = true,
	.create = nsu_create,
	.start = nsu_start,
	.event = nsu_event,
	.once = nsu_once,
	.reopen = nsu_reopen,
	.report = nsu_report,
	.push = nsu_push,
	.destroy = nsu_destroy,
};
