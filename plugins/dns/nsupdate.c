/* nsupdate: publish the host's addresses through BIND's nsupdate.  The
 * engine decides what to send and backend.c finds zones and reads records;
 * this file turns one zone's changes into an nsupdate run (one per zone, so
 * a failing `send` never stops another zone) and its exit status and
 * messages into a result.  The key
 * is passed with -k FILE, or, when key_name picks one key of a file with
 * several, as the script's first line ("key alg:name secret") on stdin:
 * a secret never appears in argv, the environment or the log.  With
 * auth = gss-tsig (-g) or ms-gss-tsig (-o), creds.c first makes sure the
 * instance's private cache holds the tickets (nlevd-kinit, off the loop),
 * and nsupdate gets only that cache (KRB5CCNAME), never the keytab. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nlevd/plugin.h>

#include "backend.h"
#include "creds.h"
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
	struct dns_creds *creds; /* gss-tsig, ms-gss-tsig */
};

/* One zone's nsupdate run. */
struct nsz {
	struct nsu *n;
	struct dns_zone *z;
	struct nlevd_child *child;
	bool cancelled;
	/* gss: the run waits for the tickets (dns_creds_get) */
	bool waiting;
	char *script;
	size_t script_len, script_cap, sends;
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

static const char *zone_primary(struct dns_zone *z);

static void nsu_done(void *arg, const struct nlevd_child_result *res)
{
	struct nsz *c = arg;
	char detail[256], d[768];
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
	/* A ticket that nsupdate could not use (expired, the cache gone):
	 * the next run gets new ones, whatever creds.c believes. */
	if (r != DNS_OK && c->n->creds && nsu_gss_failure(c->out))
		dns_creds_forget(c->n->creds);
	if (r != DNS_OK && c->n->creds) {
		/* A zone's policy refuses principals: say which, and to whom. */
		const struct dns_server *sv = dns_zone_server(c->z);
		const char *server = sv ? sv->host : zone_primary(c->z);
		snprintf(d, sizeof(d), "%s (signed as %s, server %s)", detail,
			 dns_creds_principal(c->n->creds)[0] ? dns_creds_principal(c->n->creds) : "?",
			 server[0] ? server : "the zone's primary");
		dns_sent(c->z, r, d);
		return;
	}
	dns_sent(c->z, r, detail);
}

static void script_free(struct nsz *c)
{
	if (c->script)
		explicit_bzero(c->script, c->script_cap);
	free(c->script);
	c->script = NULL;
	c->script_len = c->script_cap = 0;
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

/* Start nsupdate on the zone's script (c->script, freed here). */
static int run_nsupdate(struct nsz *c)
{
	struct nsu *n = c->n;
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
	if (n->cfg.auth == DNS_AUTH_GSS)
		argv[a++] = "-g";
	else if (n->cfg.auth == DNS_AUTH_MSGSS)
		argv[a++] = "-o";
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
	/* GSS: the instance's cache and the daemon's krb5.conf, nothing else
	 * of Kerberos (no keytab, no caller's cache). */
	char ccname[4200], krbconf[4200];
	const char *env[4] = {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL, NULL, NULL};
	size_t ne = 1;
	if (n->creds) {
		snprintf(ccname, sizeof(ccname), "KRB5CCNAME=%s", dns_creds_ccache(n->creds));
		env[ne++] = ccname;
		const char *kc = getenv("KRB5_CONFIG");
		if (kc && strlen(kc) < sizeof(krbconf) - 16) {
			snprintf(krbconf, sizeof(krbconf), "KRB5_CONFIG=%s", kc);
			env[ne++] = krbconf;
		}
	}
	struct nlevd_child_spec spec = {
		.argv = argv,
		.envp = env,
		.input = c->script,
		.input_len = c->script_len,
		/* nsupdate's own -t bounds each message; this bounds the run
		 * (finding the primary, then each send). */
		.timeout_ms = n->cfg.timeout_ms * (c->sends + 1) + 2000,
		.line = nsu_line,
		.done = nsu_done,
		.arg = c,
	};
	c->outlen = 0;
	c->out[0] = 0;
	c->child = n->host->child_spawn(n->inst, &spec);
	int e = errno;
	for (char *line = c->script, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		if (strncmp(line, "key ", 4))
			n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate script: %s", line);
		else
			n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate script: key %s:%s (secret "
				     "not logged)", n->cfg.key.algorithm, n->cfg.key.name);
	}
	script_free(c);
	return c->child ? 0 : -e;
}

/* The zone's primary: as the engine knows it, else as the last read
 * found it (the engine forgets it after a failure, to look again). */
static const char *zone_primary(struct dns_zone *z)
{
	const char *m = dns_zone_mname(z);
	struct bslot *s = *dns_zone_tctx(z);
	if (!m[0] && s)
		m = s->ds.mname;
	return m;
}

/* The tickets are there (or not): run nsupdate, or report why not. */
static void creds_ready(void *arg, enum dns_result r, const char *detail)
{
	struct nsz *c = arg;
	char d[768];
	c->waiting = false;
	const struct dns_server *sv = dns_zone_server(c->z);
	const char *server = sv ? sv->host : zone_primary(c->z);
	if (r != DNS_OK) {
		script_free(c);
		if (server[0])
			snprintf(d, sizeof(d), "Kerberos (server %s): %s", server, detail);
		else
			snprintf(d, sizeof(d), "Kerberos (zone %s): %s", dns_zone_name(c->z), detail);
		dns_sent(c->z, r, d);
		return;
	}
	if (run_nsupdate(c) < 0) {
		int e = errno;
		snprintf(d, sizeof(d), "cannot run %s: %s", c->n->prog, strerror(e));
		dns_sent(c->z, DNS_TRANSIENT, d);
	}
}

/* The service principal nsupdate will ask for: DNS/ and the zone's
 * primary (its SOA MNAME, as nsupdate finds it), fetched by the helper
 * with the TGT, so that nsupdate itself needs no KDC; NULL when the
 * primary is not known (nsupdate then asks the KDC itself). */
static const char *service_of(struct dns_zone *z, char *buf, size_t len)
{
	const char *m = zone_primary(z);
	size_t l = strlen(m);
	if (l && m[l - 1] == '.')
		l--;
	if (!l || (size_t)snprintf(buf, len, "DNS/%.*s", (int)l, m) >= len)
		return NULL;
	return buf;
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
	script_free(c);
	c->script = s.buf;
	c->script_len = s.len;
	c->script_cap = s.cap;
	c->sends = sends;
	if (!n->creds)
		return run_nsupdate(c);
	char svc[DNS_NAME_MAX + 8];
	int rc = dns_creds_get(n->creds, service_of(z, svc, sizeof(svc)), creds_ready, c);
	if (rc < 0) {
		script_free(c);
		return rc;
	}
	c->waiting = true;
	return 0;
}

static void nsz_cancel(struct nsz *c)
{
	if (c && c->waiting) {
		dns_creds_cancel(c->n->creds, c);
		c->waiting = false;
		script_free(c);
	}
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
	nsz_cancel(p);
	if (p)
		script_free(p);
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
	if (rc == 0 && n->cfg.auth >= DNS_AUTH_GSS &&
	    !(n->creds = dns_creds_new(host, inst, n->cfg.keytab, n->cfg.principal,
				       n->cfg.timeout_ms)))
		rc = -ENOMEM;
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
		dns_creds_free(n->creds);
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
	struct nsu *n = priv;
	(void)inst;
	dns_engine_report(n->e, st);
	if (n->creds)
		dns_creds_report(n->creds, st);
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
	/* a keytab replaced in place: new tickets for the next run */
	if (n->creds)
		dns_creds_forget(n->creds);
	dns_engine_kick(n->e);
}

/* The cache is the section's: a reload's new instance goes on using it,
 * so only a shutdown removes it. */
static void nsu_stop(struct nlevd_instance *inst, void *priv, enum nlevd_stop_reason why)
{
	struct nsu *n = priv;
	(void)inst;
	if (n->creds && why == NLEVD_STOP_SHUTDOWN)
		dns_creds_shutdown(n->creds);
}

static void nsu_destroy(struct nlevd_instance *inst, void *priv)
{
	struct nsu *n = priv;
	(void)inst;
	dns_engine_free(n->e);
	dns_creds_free(n->creds);
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
	.stop = nsu_stop,
	.destroy = nsu_destroy,
};
