/* nsupdate: publish the host's addresses through BIND's nsupdate.  The
 * engine decides what to send; this file turns a batch into an nsupdate
 * script on stdin and its exit status and messages into a result.  The key
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

#include "engine.h"
#include "keyfile.h"
#include "nsuclass.h"

#ifndef NSUPDATE_PATH
#define NSUPDATE_PATH "/usr/bin/nsupdate"
#endif
#define OUT_MAX 4096

struct nsu {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	struct dns_config cfg;
	const char *prog;
	struct dns_engine *e;
	const char *key_name;  /* key_name: the key goes on stdin, not -k */
	struct tsig_key key;
	struct nlevd_child *child;
	bool cancelled;
	char out[OUT_MAX];
	size_t outlen;
};

static const char *const keys[] = {"name", "zone", "server", "key_file", "key_name", "ttl",
				   "ptr", "on_empty", "timeout", "retry", "retry_max", "tcp",
				   "nsupdate", NULL};

static const char *const type_names[] = {[DNS_T_A] = "A", [DNS_T_PTR] = "PTR",
					 [DNS_T_AAAA] = "AAAA"};

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
	struct nsu *n = arg;
	n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate%s: %s", fd == 2 ? " (stderr)" : "", line);
	size_t l = strlen(line);
	if (n->outlen + l + 2 <= sizeof(n->out)) {
		memcpy(n->out + n->outlen, line, l);
		n->outlen += l;
		n->out[n->outlen++] = '\n';
		n->out[n->outlen] = 0;
	}
}

static void nsu_done(void *arg, const struct nlevd_child_result *res)
{
	struct nsu *n = arg;
	char detail[256];
	n->child = NULL;
	if (n->cancelled) {
		n->cancelled = false;
		return;
	}
	if (res->spawn_error) {
		snprintf(detail, sizeof(detail), "cannot run %s: %s", n->prog,
			 strerror(res->spawn_error));
		dns_engine_result(n->e, DNS_TRANSIENT, detail);
		return;
	}
	n->out[n->outlen] = 0;
	enum dns_result r = nsu_classify(res->status, res->timed_out, n->out, detail, sizeof(detail));
	dns_engine_result(n->e, r, detail);
}

static int nsu_send(void *ctx, const struct dns_batch *b)
{
	struct nsu *n = ctx;
	struct sb s = {0};
	if (n->key_name)
		sb_printf(&s, "key %s:%s %s\n", n->key.algorithm, n->key.name, n->key.secret_b64);
	if (b->server) {
		if (b->server->port)
			sb_printf(&s, "server %s %u\n", b->server->host, b->server->port);
		else
			sb_printf(&s, "server %s\n", b->server->host);
	}
	/* nsupdate keeps a "zone" for every later message and refuses "zone"
	 * without a name: the messages whose zone it must find go first. */
	for (size_t j = 0; j < 2 * b->nmsgs; j++) {
		const struct dns_msg *m = &b->msgs[j % b->nmsgs];
		if ((j < b->nmsgs) != !m->zone)
			continue;
		if (m->zone)
			sb_printf(&s, "zone %s\n", m->zone);
		sb_printf(&s, "ttl %u\n", b->ttl);
		for (size_t k = 0; k < m->nops; k++) {
			const struct dns_op *op = &m->ops[k];
			if (op->kind == DNS_OP_DELETE_RRSET)
				sb_printf(&s, "update delete %s %s\n", op->owner, type_names[op->type]);
			else
				sb_printf(&s, "update add %s %u %s %s\n", op->owner, b->ttl,
					  type_names[op->type], op->rdata);
		}
		sb_printf(&s, "send\n");
	}
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
	if (n->cfg.key_file && !n->key_name) {
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
		/* nsupdate's own -t bounds each message; this bounds the run. */
		.timeout_ms = n->cfg.timeout_ms * (b->nmsgs + 1) + 2000,
		.line = nsu_line,
		.done = nsu_done,
		.arg = n,
	};
	n->outlen = 0;
	n->out[0] = 0;
	n->child = n->host->child_spawn(n->inst, &spec);
	int e = errno;
	for (char *line = s.buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = 0;
		if (strncmp(line, "key ", 4))
			n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate script: %s", line);
		else
			n->host->log(n->inst, NLEVD_LOG_DEBUG, "nsupdate script: key %s:%s (secret "
				     "not logged)", n->key.algorithm, n->key.name);
	}
	explicit_bzero(s.buf, s.cap);
	free(s.buf);
	return n->child ? 0 : -e;
}

static void nsu_cancel(void *ctx)
{
	struct nsu *n = ctx;
	if (n->child) {
		n->cancelled = true;
		n->host->child_kill(n->child);
	}
}

static const struct dns_transport transport = {nsu_send, nsu_cancel};

static int nsu_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	struct nsu *n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->host = host;
	n->inst = inst;
	int rc = dns_config_read(host, inst, &n->cfg);
	host->cfg_string(inst, "nsupdate", NSUPDATE_PATH, &n->prog);
	if (n->prog[0] != '/' || access(n->prog, X_OK) < 0) {
		host->cfg_error(inst, "nsupdate",
				"'%s' is not an executable program (install bind9-dnsutils, or "
				"give its absolute path)", n->prog);
		rc = -EINVAL;
	}
	host->cfg_string(inst, "key_name", NULL, &n->key_name);
	if (n->key_name) {
		/* key_file as written: n->cfg is empty after an error in it */
		const char *key_file;
		char err[300];
		int at_name;
		host->cfg_string(inst, "key_file", NULL, &key_file);
		if (!key_file) {
			host->cfg_error(inst, "key_name", "key_name needs key_file");
			rc = -EINVAL;
		} else if (rc == 0 && keyfile_load(n->cfg.key_file, n->key_name, &n->key, err,
						   sizeof(err), &at_name) < 0) {
			host->cfg_error(inst, at_name ? "key_name" : "key_file", "%s", err);
			rc = -EINVAL;
		}
	}
	if (rc == 0 && !(n->e = dns_engine_new(host, inst, &n->cfg, &transport, n)))
		rc = -ENOMEM;
	if (rc < 0) {
		explicit_bzero(&n->key, sizeof(n->key));
		dns_config_free(&n->cfg);
		free(n);
		return rc;
	}
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

static void nsu_status(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	dns_engine_status(((struct nsu *)priv)->e);
}

/* SIGHUP with the section unchanged: nsupdate reads key_file at every run,
 * so a key replaced in place is used by the next one; with key_name the
 * key is read again here (a broken file keeps the old key).  A failed
 * update is retried at once: the operator may have fixed the key or the
 * server. */
static void nsu_reopen(struct nlevd_instance *inst, void *priv)
{
	struct nsu *n = priv;
	if (n->key_name) {
		struct tsig_key k;
		char err[300];
		int at_name;
		if (keyfile_load(n->cfg.key_file, n->key_name, &k, err, sizeof(err), &at_name) < 0) {
			n->host->log(inst, NLEVD_LOG_ERR, "%s; keeping the key read before", err);
		} else {
			n->key = k;
			explicit_bzero(&k, sizeof(k));
			n->host->log(inst, NLEVD_LOG_NOTICE, "key %s reloaded from %s", n->key.name,
				     n->cfg.key_file);
		}
	} else if (n->cfg.key_file) {
		/* nsupdate reads it: make sure it would not hang on a FIFO */
		struct stat st;
		char err[300];
		int fd = keyfile_open(n->cfg.key_file, &st, err, sizeof(err));
		if (fd < 0)
			n->host->log(inst, NLEVD_LOG_ERR, "key_file: %s", err);
		else
			close(fd);
	}
	dns_engine_kick(n->e);
}

static void nsu_destroy(struct nlevd_instance *inst, void *priv)
{
	struct nsu *n = priv;
	(void)inst;
	dns_engine_free(n->e);
	dns_config_free(&n->cfg);
	explicit_bzero(&n->key, sizeof(n->key));
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
	.status = nsu_status,
	.destroy = nsu_destroy,
};
