/* An instance's Kerberos credentials: runs nlevd-kinit (a child, one at a
 * time) into the instance's private cache when a ticket is missing or near
 * its end, and answers the waiting requests from the loop. */
#include <errno.h>
#include <ev.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "creds.h"

#ifndef NLEVD_KINIT_PATH
#define NLEVD_KINIT_PATH "/usr/libexec/nlevd/nlevd-kinit"
#endif
#define DETAIL_MAX 512
#define LINE_MAX_LEN 1024
/* A ticket is used while it has this much left (or a tenth of its
 * lifetime, when that is shorter): nsupdate and the GSS context must not
 * start with a ticket that ends during the exchange. */
#define MARGIN_S 300

struct waiter {
	dns_creds_cb *cb;
	void *arg;
	int svc; /* index in services, -1: the TGT only */
	bool done;
	enum dns_result r;
	char detail[DETAIL_MAX];
};

struct dns_creds {
	const struct nlevd_host *h;
	struct nlevd_instance *inst;
	char *keytab, *principal_cfg, *path, *ccache, *prog;
	uint64_t timeout_ms;
	char principal[256], realm[256];
	char *services[DNS_CREDS_SERVICES_MAX];
	bool covered[DNS_CREDS_SERVICES_MAX];
	bool ever[DNS_CREDS_SERVICES_MAX]; /* a run got its ticket once */
	size_t nservices;
	bool valid;
	time_t endtime, lifetime;
	struct waiter *w;
	size_t nw, wcap;
	ev_timer kick;
	bool delivering;
	/* the run in flight */
	struct nlevd_child *child;
	size_t run_nservices;
	char result[LINE_MAX_LEN];
	bool has_result;
	/* status */
	char last_error[DETAIL_MAX];
	unsigned long runs;
	bool remove_cache;
};

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* The instance name as a file name: [A-Za-z0-9._-] kept, else %XX. */
static char *cache_path(const char *inst)
{
	const char *dir = getenv("RUNTIME_DIRECTORY");
	size_t dl;
	if (!dir || dir[0] != '/')
		dir = "/run/nlevd";
	/* systemd lists several directories with ':'; the first is ours. */
	dl = strcspn(dir, ":");
	size_t n = strlen(inst);
	char *p = malloc(dl + sizeof("/krb5cc.") + 3 * n);
	if (!p)
		return NULL;
	size_t o = (size_t)sprintf(p, "%.*s/krb5cc.", (int)dl, dir);
	for (const unsigned char *s = (const unsigned char *)inst; *s; s++) {
		if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-')
			p[o++] = (char)*s;
		else
			o += (size_t)sprintf(p + o, "%%%02X", *s);
	}
	p[o] = 0;
	return p;
}

static void kick_cb(struct ev_loop *loop, ev_timer *t, int revents);

struct dns_creds *dns_creds_new(const struct nlevd_host *h, struct nlevd_instance *inst,
				const char *keytab, const char *principal, uint64_t timeout_ms)
{
	struct dns_creds *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->h = h;
	c->inst = inst;
	c->timeout_ms = timeout_ms < DNS_CREDS_TIMEOUT_MIN_MS ? DNS_CREDS_TIMEOUT_MIN_MS : timeout_ms;
	const char *prog = getenv("NLEVD_KINIT");
	if (!prog || prog[0] != '/')
		prog = NLEVD_KINIT_PATH;
	c->prog = strdup(prog);
	c->keytab = xstrdup(keytab);
	c->principal_cfg = xstrdup(principal);
	const char *name = h->instance_name ? h->instance_name(inst) : NULL;
	c->path = cache_path(name && *name ? name : "nlevd");
	if (c->path && (c->ccache = malloc(strlen(c->path) + 6)))
		sprintf(c->ccache, "FILE:%s", c->path);
	if (!c->prog || !c->keytab || (principal && !c->principal_cfg) || !c->ccache) {
		dns_creds_free(c);
		return NULL;
	}
	if (principal) {
		snprintf(c->principal, sizeof(c->principal), "%s", principal);
		const char *at = strrchr(principal, '@');
		if (at)
			snprintf(c->realm, sizeof(c->realm), "%s", at + 1);
	}
	ev_timer_init(&c->kick, kick_cb, 0., 0.);
	c->kick.data = c;
	return c;
}

void dns_creds_free(struct dns_creds *c)
{
	if (!c)
		return;
	if (c->h && c->h->loop)
		ev_timer_stop(c->h->loop, &c->kick);
	if (c->child)
		c->h->child_kill(c->child);
	if (c->remove_cache && c->path)
		unlink(c->path);
	for (size_t i = 0; i < c->nservices; i++)
		free(c->services[i]);
	free(c->w);
	free(c->keytab);
	free(c->principal_cfg);
	free(c->path);
	free(c->ccache);
	free(c->prog);
	free(c);
}

void dns_creds_shutdown(struct dns_creds *c)
{
	if (c)
		c->remove_cache = true;
}

const char *dns_creds_ccache(const struct dns_creds *c)
{
	return c->ccache;
}

const char *dns_creds_principal(const struct dns_creds *c)
{
	return c->principal;
}

const char *dns_creds_realm(const struct dns_creds *c)
{
	return c->realm;
}

time_t dns_creds_endtime(const struct dns_creds *c)
{
	return c->valid ? c->endtime : 0;
}

unsigned long dns_creds_runs(const struct dns_creds *c)
{
	return c->runs;
}

void dns_creds_forget(struct dns_creds *c)
{
	c->valid = false;
	memset(c->covered, 0, sizeof(c->covered));
}

static void schedule(struct dns_creds *c)
{
	if (!ev_is_active(&c->kick) && !c->delivering) {
		ev_timer_set(&c->kick, 0., 0.);
		ev_timer_start(c->h->loop, &c->kick);
	}
}

static bool fresh(const struct dns_creds *c, int svc)
{
	if (!c->valid || (svc >= 0 && !c->covered[svc]))
		return false;
	time_t margin = c->lifetime / 10 < MARGIN_S ? c->lifetime / 10 : MARGIN_S;
	return time(NULL) + margin < c->endtime;
}

static void remove_waiter(struct dns_creds *c, size_t i)
{
	memmove(&c->w[i], &c->w[i + 1], (c->nw - i - 1) * sizeof(c->w[0]));
	c->nw--;
}

int dns_creds_get(struct dns_creds *c, const char *service, dns_creds_cb *cb, void *arg)
{
	if (!c || !cb)
		return -EINVAL;
	int svc = -1;
	if (service) {
		if (!*service || strchr(service, ' '))
			return -EINVAL;
		for (size_t i = 0; i < c->nservices; i++)
			if (!strcmp(c->services[i], service))
				svc = (int)i;
		if (svc < 0) {
			if (c->nservices == DNS_CREDS_SERVICES_MAX)
				return -ENOSPC;
			if (!(c->services[c->nservices] = strdup(service)))
				return -ENOMEM;
			c->covered[c->nservices] = c->ever[c->nservices] = false;
			svc = (int)c->nservices++;
		}
	}
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].arg == arg) {
			remove_waiter(c, i);
			break;
		}
	if (c->nw == DNS_CREDS_WAITERS_MAX)
		return -ENOBUFS;
	if (c->nw == c->wcap) {
		size_t cap = c->wcap ? 2 * c->wcap : 4;
		struct waiter *nw = realloc(c->w, cap * sizeof(*nw));
		if (!nw)
			return -ENOMEM;
		c->w = nw;
		c->wcap = cap;
	}
	struct waiter *w = &c->w[c->nw++];
	memset(w, 0, sizeof(*w));
	w->cb = cb;
	w->arg = arg;
	w->svc = svc;
	schedule(c);
	return 0;
}

void dns_creds_cancel(struct dns_creds *c, void *arg)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].arg == arg) {
			remove_waiter(c, i);
			return;
		}
}

static void finish(struct waiter *w, enum dns_result r, const char *detail)
{
	w->done = true;
	w->r = r;
	snprintf(w->detail, sizeof(w->detail), "%s", detail);
}

static void helper_line(void *arg, int fd, const char *line)
{
	struct dns_creds *c = arg;
	if (fd == 2) {
		c->h->log(c->inst, NLEVD_LOG_DEBUG, "nlevd-kinit: %s", line);
		return;
	}
	if (!c->has_result && (!strncmp(line, "ok ", 3) || !strncmp(line, "error ", 6))) {
		snprintf(c->result, sizeof(c->result), "%s", line);
		c->has_result = true;
	} else {
		c->h->log(c->inst, NLEVD_LOG_DEBUG, "nlevd-kinit (stdout): %s", line);
	}
}

/* The helper's result as r and detail; on success the principal, realm
 * and end time are taken. */
static enum dns_result parse_result(struct dns_creds *c, const struct nlevd_child_result *res,
				    char *detail, size_t len)
{
	if (res->spawn_error) {
		int e = res->spawn_error;
		snprintf(detail, len, "cannot run %s: %s", c->prog, strerror(e));
		return e == ENOENT || e == EACCES || e == ENOEXEC ? DNS_PERMANENT : DNS_TRANSIENT;
	}
	if (res->timed_out) {
		snprintf(detail, len, "nlevd-kinit for %s timed out after %llu s (the KDC is slow or "
			 "unreachable)", c->principal[0] ? c->principal : c->keytab,
			 (unsigned long long)(c->timeout_ms / 1000));
		return DNS_TRANSIENT;
	}
	if (c->has_result && !strncmp(c->result, "ok ", 3)) {
		char *p = c->result + 3, *sp = strchr(p, ' '), *end;
		long long t = sp ? strtoll(sp + 1, &end, 10) : 0;
		if (sp && sp > p && (size_t)(sp - p) < sizeof(c->principal) && t > 0 && !*end) {
			snprintf(c->principal, sizeof(c->principal), "%.*s", (int)(sp - p), p);
			const char *at = strrchr(c->principal, '@');
			snprintf(c->realm, sizeof(c->realm), "%s", at ? at + 1 : "");
			time_t now = time(NULL);
			c->endtime = (time_t)t;
			c->lifetime = c->endtime > now ? c->endtime - now : 0;
			snprintf(detail, len, "ok");
			return DNS_OK;
		}
		snprintf(detail, len, "nlevd-kinit: bad result line '%.100s'", c->result);
		return DNS_TRANSIENT;
	}
	if (c->has_result) {
		char *kind = c->result + 6, *msg = strchr(kind, ' ');
		size_t kl = msg ? (size_t)(msg - kind) : strlen(kind);
		msg = msg ? msg + 1 : "";
		if (kl == 4 && !strncmp(kind, "skew", 4)) {
			snprintf(detail, len, "clock skew: %s", msg);
			return DNS_TRANSIENT;
		}
		snprintf(detail, len, "%s", msg);
		return kl == 9 && !strncmp(kind, "permanent", 9) ? DNS_PERMANENT : DNS_TRANSIENT;
	}
	if (WIFSIGNALED(res->status))
		snprintf(detail, len, "nlevd-kinit killed by signal %d", WTERMSIG(res->status));
	else
		snprintf(detail, len, "nlevd-kinit exited with status %d without a result",
			 WIFEXITED(res->status) ? WEXITSTATUS(res->status) : -1);
	return DNS_TRANSIENT;
}

/* A refused run: the services it asked for that no run ever got (the
 * likely culprits, e.g. a primary without a DNS/ principal) leave the set,
 * so that they do not make every later run fail for the other zones too;
 * a zone that asks again puts its service back.  Their requests have had
 * their answer; requests made during the run keep theirs, renumbered. */
static void drop_new_services(struct dns_creds *c)
{
	int map[DNS_CREDS_SERVICES_MAX];
	size_t n = 0;
	for (size_t i = 0; i < c->nservices; i++) {
		if (i < c->run_nservices && !c->ever[i]) {
			free(c->services[i]);
			map[i] = -1;
			continue;
		}
		map[i] = (int)n;
		c->services[n] = c->services[i];
		c->covered[n] = c->covered[i];
		c->ever[n] = c->ever[i];
		n++;
	}
	for (size_t i = 0; i < c->nw; i++)
		if (c->w[i].svc >= 0)
			c->w[i].svc = map[c->w[i].svc];
	c->nservices = n;
	c->run_nservices = 0;
}

static void helper_done(void *arg, const struct nlevd_child_result *res)
{
	struct dns_creds *c = arg;
	char detail[DETAIL_MAX];
	c->child = NULL;
	enum dns_result r = parse_result(c, res, detail, sizeof(detail));
	if (r == DNS_OK) {
		c->valid = true;
		for (size_t i = 0; i < c->run_nservices; i++)
			c->covered[i] = c->ever[i] = true;
		c->last_error[0] = 0;
		char when[64] = "?";
		struct tm tm;
		if (gmtime_r(&c->endtime, &tm))
			strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		c->h->log(c->inst, NLEVD_LOG_INFO, "Kerberos: tickets for %s until %s", c->principal,
			  when);
	} else {
		snprintf(c->last_error, sizeof(c->last_error), "%s", detail);
		c->h->log(c->inst, r == DNS_PERMANENT ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING,
			  "Kerberos: %s", detail);
	}
	/* What this run covered is answered by it, whatever the clock says
	 * now (no second run for a ticket that looks short); requests for a
	 * service added meanwhile wait for the next run. */
	for (size_t i = 0; i < c->nw; i++)
		if (!c->w[i].done && (c->w[i].svc < 0 || (size_t)c->w[i].svc < c->run_nservices))
			finish(&c->w[i], r, detail);
	if (r == DNS_PERMANENT)
		drop_new_services(c);
	schedule(c);
}

static int dir_ready(const char *path, char *detail, size_t len)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	if (!slash || (size_t)(slash - path) >= sizeof(dir)) {
		snprintf(detail, len, "bad cache path %s", path);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		int e = errno;
		snprintf(detail, len, "cannot create %.200s for the Kerberos cache: %s", dir, strerror(e));
		return -e;
	}
	return 0;
}

static void start_run(struct dns_creds *c)
{
	char detail[DETAIL_MAX];
	const char *argv[8 + 2 * DNS_CREDS_SERVICES_MAX];
	size_t a = 0;
	char kc[4096], kt[4096];
	const char *envp[3];
	size_t ne = 0;
	enum dns_result r = DNS_TRANSIENT;

	if (dir_ready(c->path, detail, sizeof(detail)) < 0)
		goto fail;
	argv[a++] = c->prog;
	argv[a++] = "-k";
	argv[a++] = c->keytab;
	if (c->principal_cfg) {
		argv[a++] = "-p";
		argv[a++] = c->principal_cfg;
	}
	argv[a++] = "-c";
	argv[a++] = c->path;
	for (size_t i = 0; i < c->nservices; i++) {
		argv[a++] = "-s";
		argv[a++] = c->services[i];
	}
	argv[a] = NULL;
	/* Only what the helper needs: never a keytab or a cache name that the
	 * daemon's own environment happens to hold. */
	const char *v = getenv("KRB5_CONFIG");
	if (v && snprintf(kc, sizeof(kc), "KRB5_CONFIG=%s", v) < (int)sizeof(kc))
		envp[ne++] = kc;
	v = getenv("KRB5_TRACE");
	if (v && snprintf(kt, sizeof(kt), "KRB5_TRACE=%s", v) < (int)sizeof(kt))
		envp[ne++] = kt;
	envp[ne] = NULL;
	struct nlevd_child_spec spec = {
		.argv = argv,
		.envp = envp,
		.timeout_ms = c->timeout_ms,
		.line = helper_line,
		.done = helper_done,
		.arg = c,
	};
	c->has_result = false;
	c->result[0] = 0;
	c->run_nservices = c->nservices;
	c->child = c->h->child_spawn(c->inst, &spec);
	if (c->child) {
		c->runs++;
		return;
	}
	int e = errno;
	snprintf(detail, sizeof(detail), "cannot run %s: %s", c->prog, strerror(e));
	r = e == ENOENT || e == EACCES ? DNS_PERMANENT : DNS_TRANSIENT;
fail:
	snprintf(c->last_error, sizeof(c->last_error), "%s", detail);
	c->h->log(c->inst, NLEVD_LOG_WARNING, "Kerberos: %s", detail);
	for (size_t i = 0; i < c->nw; i++)
		if (!c->w[i].done)
			finish(&c->w[i], r, detail);
}

/* From the loop: answer what is fresh, start a run for the rest, deliver. */
static void kick_cb(struct ev_loop *loop, ev_timer *t, int revents)
{
	struct dns_creds *c = t->data;
	(void)loop;
	(void)revents;
	bool need = false;
	for (size_t i = 0; i < c->nw; i++) {
		struct waiter *w = &c->w[i];
		if (w->done)
			continue;
		if (fresh(c, w->svc))
			finish(w, DNS_OK, "ok");
		else
			need = true;
	}
	if (need && !c->child)
		start_run(c);
	/* One at a time, searched again after each: a callback may get or
	 * cancel (which changes the array). */
	c->delivering = true;
	for (;;) {
		size_t i = 0;
		while (i < c->nw && !c->w[i].done)
			i++;
		if (i == c->nw)
			break;
		struct waiter w = c->w[i];
		remove_waiter(c, i);
		w.cb(w.arg, w.r, w.detail);
	}
	c->delivering = false;
	/* Requests made by the callbacks. */
	for (size_t i = 0; i < c->nw; i++)
		if (!c->w[i].done && (!c->child || fresh(c, c->w[i].svc))) {
			schedule(c);
			break;
		}
}

void dns_creds_report(const struct dns_creds *c, struct nlevd_status *st)
{
	const struct nlevd_host *h = c->h;
	h->status_object(st, "kerberos");
	h->status_string(st, "principal", "%s", c->principal[0] ? c->principal : "(not known yet)");
	h->status_string(st, "ccache", "%s", c->ccache);
	if (c->valid) {
		char buf[64];
		struct tm tm;
		time_t e = c->endtime;
		if (gmtime_r(&e, &tm) && strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm))
			h->status_string(st, "ticket_end", "%s", buf);
		h->status_uint(st, "ticket_end_unix", (uint64_t)c->endtime);
	}
	h->status_bool(st, "helper_running", c->child != NULL);
	if (c->last_error[0])
		h->status_string(st, "error", "%s", c->last_error);
	h->status_end(st);
}
