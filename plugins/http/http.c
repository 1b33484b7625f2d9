/* http: publish the instance's desired state to a dyndns2 provider, or
 * send events or the state to a webhook; the instance's side of it (the
 * desired state, what each protocol sends, --once, push, the status). */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <nlevd/plugin.h>

#include "../dns/aset.h"
#include "hconfig.h"
#include "outbox.h"
#include "proto.h"

struct hp {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	struct http_config cfg;
	struct outbox *ob;
	struct aset want;      /* every selected usable address, delete_delay applied */
	struct aset_hold hold; /* delete_delay */
	struct aset sent;      /* body = state: the set last put in the outbox */
	struct nlevd_timer *hold_timer;
	bool started, once_waiting, put_once;
	char names[1024];      /* dyndns2: the hostnames, space-separated */
	char d4[INET6_ADDRSTRLEN], d6[INET6_ADDRSTRLEN]; /* dyndns2: desired, "" none */
	char p4[INET6_ADDRSTRLEN], p6[INET6_ADDRSTRLEN]; /* dyndns2: published */
	bool published;
};

/* ---- the desired state ---- */

struct collect {
	struct hp *p;
	struct aset *s;
	int err;
};

static int collect_cb(const struct nlevd_link *link, const struct nlevd_addr *a, void *arg)
{
	struct collect *c = arg;
	const struct http_config *cfg = &c->p->cfg;
	if ((a->family == AF_INET && !cfg->want4) || (a->family == AF_INET6 && !cfg->want6))
		return 0;
	if (!c->p->host->selected(c->p->inst, link, a))
		return 0;
	if (aset_add(c->s, a->family, a->addr) < 0)
		c->err = -ENOMEM;
	return 0;
}

static void hold_cb(struct nlevd_instance *inst, void *arg);

/* The desired set now; false when it did not change. */
static bool want_update(struct hp *p)
{
	struct aset d = {0};
	struct collect c = {p, &d, 0};
	p->host->addr_foreach(0, collect_cb, &c);
	if (c.err) {
		aset_free(&d);
		return false; /* out of memory: keep what we had */
	}
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	double now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9, next;
	int began = aset_hold_apply(&p->hold, &d, &p->want, now,
				    (double)p->cfg.delete_delay_ms / 1000., p->started, &next);
	for (int f = 0; began > 0 && f < 2; f++)
		if (began & (1 << f))
			p->host->log(p->inst, NLEVD_LOG_INFO, "no %s address left: withdrawing it "
				     "in %.1f s unless one comes back", f ? "IPv6" : "IPv4",
				     (double)p->cfg.delete_delay_ms / 1000.);
	p->host->timer_stop(p->inst, &p->hold_timer);
	if (next > 0) {
		double left = next - now > 0 ? next - now : 0;
		p->host->timer_start(p->inst, &p->hold_timer, (uint64_t)(left * 1000.) + 1, 0,
				     hold_cb, p);
	}
	bool changed = !aset_equal(&d, &p->want);
	aset_free(&p->want);
	p->want = d;
	return changed;
}

/* The first address of a family in address order, or "". */
static void first_of(const struct aset *s, int family, char *buf, size_t len)
{
	buf[0] = 0;
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].family == family) {
			inet_ntop(family, s->v[i].a, buf, (socklen_t)len);
			return;
		}
}

/* dyndns2: what to send for a family.  One the instance does not handle
 * (`family`) is "preserve", so deSEC keeps its records; one it handles
 * without an address is left out (deSEC deletes it, others keep it). */
static const char *param(bool handled, const char *addr)
{
	if (!handled)
		return "preserve";
	return *addr ? addr : NULL;
}

static void dyndns2_put(struct hp *p)
{
	const struct http_config *cfg = &p->cfg;
	first_of(&p->want, AF_INET, p->d4, sizeof(p->d4));
	first_of(&p->want, AF_INET6, p->d6, sizeof(p->d6));
	if (!*p->d4 && !*p->d6)
		return; /* nothing to publish: the status says "empty" */
	/* Sized for the worst case (every byte percent-encoded), so any list
	 * of names the configuration holds fits. */
	size_t qlen = 64 + 6 * INET6_ADDRSTRLEN;
	for (size_t i = 0; i < cfg->nhostnames; i++)
		qlen += 3 * strlen(cfg->hostnames[i]) + 1;
	char *q = malloc(qlen), meta[2 * INET6_ADDRSTRLEN + 2];
	if (!q || dyndns2_query(cfg->hostnames, cfg->nhostnames, param(cfg->want4, p->d4),
				param(cfg->want6, p->d6), q, qlen) < 0) {
		free(q);
		p->host->log(p->inst, NLEVD_LOG_ERR, "out of memory: the update is not sent");
		return;
	}
	snprintf(meta, sizeof(meta), "%s %s", *p->d4 ? p->d4 : "-", *p->d6 ? p->d6 : "-");
	if (outbox_put(p->ob, q, strlen(q), meta) < 0)
		p->host->log(p->inst, NLEVD_LOG_ERR, "out of memory");
	free(q);
}

/* s as a JSON string (an instance's name). */
static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/* body = state: {"instance","time","ipv4":[...],"ipv6":[...]}, in a
 * buffer that grows with the state (open_memstream). */
static void state_put(struct hp *p)
{
	if (p->put_once && aset_equal(&p->want, &p->sent))
		return;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f || aset_copy(&p->sent, &p->want) < 0) {
		if (f)
			fclose(f);
		free(buf);
		p->host->log(p->inst, NLEVD_LOG_ERR, "out of memory: the state is not sent");
		return;
	}
	p->put_once = true;
	struct timespec ts;
	struct tm tm;
	char t[40];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + n, sizeof(t) - n, ".%03ldZ", ts.tv_nsec / 1000000);
	fputs("{\"instance\":", f);
	json_str(f, p->host->instance_name(p->inst));
	fprintf(f, ",\"time\":\"%s\"", t);
	static const int fam[2] = {AF_INET, AF_INET6};
	for (int i = 0; i < 2; i++) {
		fprintf(f, ",\"%s\":[", i ? "ipv6" : "ipv4");
		bool first = true;
		for (size_t j = 0; j < p->want.n; j++) {
			if (p->want.v[j].family != fam[i])
				continue;
			char a[INET6_ADDRSTRLEN];
			inet_ntop(fam[i], p->want.v[j].a, a, sizeof(a));
			fprintf(f, "%s\"%s\"", first ? "" : ",", a);
			first = false;
		}
		fputc(']', f);
	}
	fputc('}', f);
	if (fclose(f) != 0 || !buf)
		p->host->log(p->inst, NLEVD_LOG_ERR, "out of memory: the state is not sent");
	else if (outbox_put(p->ob, buf, len, NULL) < 0)
		p->host->log(p->inst, NLEVD_LOG_ERR, "out of memory");
	free(buf);
}

/* The desired state may have changed: send it if it did. */
static void reconsider(struct hp *p, bool force)
{
	bool changed = want_update(p);
	if (!changed && !force)
		return;
	if (p->cfg.protocol == HTTP_DYNDNS2)
		dyndns2_put(p);
	else if (p->cfg.body == HTTP_BODY_STATE)
		state_put(p);
}

static void hold_cb(struct nlevd_instance *inst, void *arg)
{
	(void)inst;
	reconsider(arg, false); /* a delete_delay ended */
}

/* ---- results ---- */

static void once_check(struct hp *p, bool failed)
{
	if (!p->once_waiting)
		return;
	if (failed || outbox_idle(p->ob)) {
		p->once_waiting = false;
		p->host->once_done(p->inst, !failed);
	}
}

static void result_cb(void *arg, const char *meta, const struct http_res *res)
{
	struct hp *p = arg;
	const struct nlevd_host *h = p->host;
	bool ok = res->cls == HTTP_OK;
	if (p->cfg.protocol == HTTP_DYNDNS2) {
		if (ok && meta) {
			char a[INET6_ADDRSTRLEN + 1] = "", b[INET6_ADDRSTRLEN + 1] = "";
			if (sscanf(meta, "%46s %46s", a, b) == 2) {
				snprintf(p->p4, sizeof(p->p4), "%s", strcmp(a, "-") ? a : "");
				snprintf(p->p6, sizeof(p->p6), "%s", strcmp(b, "-") ? b : "");
				p->published = true;
			}
		}
		if (h->size >= offsetof(struct nlevd_host, emit) + sizeof(h->emit) && h->emit) {
			const struct nlevd_field f[] = {
				{"zone", p->cfg.host}, {"names", p->names},
				{"error", ok ? "" : res->msg}};
			h->emit(p->inst, ok ? "dns-published" : "dns-failed", f, 3);
		}
	}
	once_check(p, !ok);
}

/* ---- the plugin ---- */

static int hp_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	struct hp *p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->host = host;
	p->inst = inst;
	int r = http_config_read(host, inst, &p->cfg);
	if (r < 0) {
		http_config_free(&p->cfg);
		free(p);
		return r;
	}
	size_t at = 0;
	for (size_t i = 0; i < p->cfg.nhostnames && at < sizeof(p->names); i++)
		at += (size_t)snprintf(p->names + at, sizeof(p->names) - at, "%s%s", i ? " " : "",
				       p->cfg.hostnames[i]);
	*priv = p;
	return 0;
}

static int hp_start(struct nlevd_instance *inst, void *priv)
{
	struct hp *p = priv;
	if (http_client_global_init() < 0) {
		p->host->log(inst, NLEVD_LOG_ERR, "libcurl cannot be initialised");
		return -EIO;
	}
	const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
	if (!(v->features & CURL_VERSION_ASYNCHDNS))
		p->host->log(inst, NLEVD_LOG_WARNING, "this libcurl resolves names synchronously: "
			     "use an address in url, or a libcurl with the threaded resolver");
	char label[sizeof(p->cfg.host) + sizeof(p->names) + 2];
	snprintf(label, sizeof(label), "%s%s%s", p->cfg.host, *p->names ? ": " : "", p->names);
	for (char *c = label + strlen(p->cfg.host) + (*p->names ? 2 : 0); *c; c++)
		if (*c == ' ')
			*c = ','; /* the hostnames as the request has them */
	p->ob = outbox_new(p->host, inst, &p->cfg, label,
			   p->cfg.protocol == HTTP_DYNDNS2 || p->cfg.body == HTTP_BODY_STATE,
			   result_cb, p);
	if (!p->ob)
		return -ENOMEM;
	/* The state is complete now; the replay that follows changes nothing
	 * (and each event of it would only find the same state). */
	p->started = true;
	reconsider(p, true);
	return 0;
}

static void hp_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct hp *p = priv;
	if (!p->ob)
		return;
	if (p->cfg.protocol == HTTP_WEBHOOK && p->cfg.body == HTTP_BODY_EVENT) {
		char small[2048];
		size_t n = p->host->event_json(ev, small, sizeof(small));
		char *buf = small;
		if (n >= sizeof(small)) {
			if (!(buf = malloc(n + 1))) {
				p->host->log(inst, NLEVD_LOG_ERR, "out of memory: an event is lost");
				return;
			}
			p->host->event_json(ev, buf, n + 1);
		}
		if (outbox_put(p->ob, buf, n, NULL) < 0)
			p->host->log(inst, NLEVD_LOG_ERR, "out of memory: an event is lost");
		if (buf != small)
			free(buf);
		return;
	}
	reconsider(p, false);
}

static void hp_reopen(struct nlevd_instance *inst, void *priv)
{
	struct hp *p = priv;
	http_config_reload(p->host, inst, &p->cfg);
	if (p->ob)
		outbox_unblock(p->ob); /* SPEC: a reload ends the block */
}

static int hp_once(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	struct hp *p = priv;
	if (!p->ob)
		return -1;
	if (outbox_idle(p->ob))
		return 0;
	if (outbox_blocked(p->ob) || !strcmp(outbox_state(p->ob), "backoff"))
		return -1;
	p->once_waiting = true;
	return NLEVD_ONCE_PENDING;
}

static int hp_push(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	struct hp *p = priv;
	if (!p->ob)
		return -EAGAIN;
	want_update(p);
	bool again = true;
	if (p->cfg.protocol == HTTP_DYNDNS2) {
		dyndns2_put(p);
		/* With no address there is nothing to send, not the old one. */
		again = *p->d4 || *p->d6;
	} else if (p->cfg.body == HTTP_BODY_STATE) {
		state_put(p);
	}
	outbox_push(p->ob, again);
	return 0;
}

static void report_addrs(const struct nlevd_host *h, struct nlevd_status *st, const char *key,
			 const char *a4, const char *a6)
{
	h->status_object(st, key);
	h->status_list(st, "a");
	if (*a4)
		h->status_string(st, NULL, "%s", a4);
	h->status_end(st);
	h->status_list(st, "aaaa");
	if (*a6)
		h->status_string(st, NULL, "%s", a6);
	h->status_end(st);
	h->status_end(st);
}

static void report_set(const struct nlevd_host *h, struct nlevd_status *st, const char *key,
		       const struct aset *s)
{
	static const int fam[2] = {AF_INET, AF_INET6};
	h->status_object(st, key);
	for (int f = 0; f < 2; f++) {
		h->status_list(st, f ? "aaaa" : "a");
		for (size_t i = 0; i < s->n; i++)
			if (s->v[i].family == fam[f]) {
				char a[INET6_ADDRSTRLEN];
				inet_ntop(fam[f], s->v[i].a, a, sizeof(a));
				h->status_string(st, NULL, "%s", a);
			}
		h->status_end(st);
	}
	h->status_end(st);
}

static void hp_report(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	struct hp *p = priv;
	const struct nlevd_host *h = p->host;
	bool dd = p->cfg.protocol == HTTP_DYNDNS2;
	bool empty = dd && !*p->d4 && !*p->d6;
	const char *state = !p->ob ? "stopped" : empty && outbox_idle(p->ob) &&
							 !outbox_blocked(p->ob)
						 ? "empty"
						 : outbox_state(p->ob);
	if (dd)
		h->status_string(st, "summary", "%s: %s%s", p->names, state,
				 p->published ? " (published)" : "");
	else
		h->status_string(st, "summary", "webhook %s: %s", p->cfg.host, state);
	h->status_string(st, "protocol", "%s", dd ? "dyndns2" : "webhook");
	h->status_string(st, "url", "%s", p->cfg.url);
	if (dd) {
		h->status_string(st, "hostnames", "%s", p->names);
		report_addrs(h, st, "desired", p->d4, p->d6);
		if (p->published)
			report_addrs(h, st, "published", p->p4, p->p6);
	} else {
		h->status_string(st, "body", "%s", p->cfg.body == HTTP_BODY_STATE ? "state" : "event");
		if (p->cfg.body == HTTP_BODY_STATE)
			report_set(h, st, "desired", &p->want);
	}
	if (!p->ob)
		return;
	outbox_report(p->ob, st, state);
}

static void hp_destroy(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	struct hp *p = priv;
	outbox_free(p->ob);
	aset_free(&p->want);
	aset_free(&p->sent);
	aset_hold_free(&p->hold);
	http_config_free(&p->cfg);
	free(p);
}

NLEVD_PLUGIN_EXPORT const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "http",
	.version = PACKAGE_VERSION,
	.keys = http_keys,
	.default_settle_ms = 200,
	.default_scopes = NLEVD_SCOPE_GLOBAL,
	.default_no_temporary = true,
	.create = hp_create,
	.start = hp_start,
	.event = hp_event,
	.reopen = hp_reopen,
	.once = hp_once,
	.destroy = hp_destroy,
	.report = hp_report,
	.push = hp_push,
};
