/* The DNS engine of one instance: the desired state, the groups of owner
 * names whose zone is found together (a name, a reverse /24 or /64), the
 * zones they fall in, --once, the status and the events emitted. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "zone.h"

/* ---- pure helpers ---- */

enum dns_result dns_rcode_class(const char *name)
{
	static const char *const permanent[] = {"REFUSED", "NOTAUTH", "BADKEY", "BADSIG",
						"NOTZONE", "FORMERR", "NOTIMP", "BADTRUNC",
						"BADMODE", "BADNAME", "BADALG", "BADVERS"};
	static const char *const prereq[] = {"YXDOMAIN", "YXRRSET", "NXRRSET", "NXDOMAIN"};
	if (!strcmp(name, "NOERROR"))
		return DNS_OK;
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (!strcmp(name, permanent[i]))
			return DNS_PERMANENT;
	for (size_t i = 0; i < sizeof(prereq) / sizeof(prereq[0]); i++)
		if (!strcmp(name, prereq[i]))
			return DNS_PREREQ;
	return DNS_TRANSIENT; /* SERVFAIL and anything unknown */
}

double dns_rnd(struct dns_engine *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 17;
	e->rng ^= e->rng << 5;
	return (double)(e->rng % 1000000) / 1000000.0;
}

void **dns_group_tctx(struct dns_group *g)
{
	return &g->tctx;
}

/* ---- events ---- */

void dns_engine_emit(struct dns_engine *e, const char *event, const char *zone,
		     const char *names, const char *error)
{
	const struct nlevd_host *h = e->host;
	if (h->size < offsetof(struct nlevd_host, emit) + sizeof(h->emit) || !h->emit)
		return;
	const struct nlevd_field f[] = {
		{"zone", zone}, {"names", names}, {"error", error ? error : ""},
	};
	h->emit(e->inst, event, f, sizeof(f) / sizeof(f[0]));
}

void dns_zone_names(const struct dns_zone *z, char *buf, size_t len)
{
	const struct dns_engine *e = z->e;
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < e->ngroups; i++) {
		const struct dns_group *g = e->groups[i];
		if (g->zone != z)
			continue;
		if (!g->reverse) {
			const char *name = e->cfg->names[g->name];
			size_t l = strlen(name);
			if (n + l + 2 > len)
				return; /* whole names only */
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", name);
			continue;
		}
		/* A reverse zone: the PTR owners it holds for us. */
		const struct aset *s = g->in_send ? &g->sending : &g->pub;
		for (size_t k = 0; k < s->n; k++) {
			char owner[DNS_NAME_MAX];
			if (dns_ptr_owner(s->v[k].family, s->v[k].a, owner, sizeof(owner)) < 0)
				continue;
			size_t l = strlen(owner);
			if (n + l + 2 > len)
				return;
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", owner);
		}
	}
}

/* ---- groups and their zones ---- */

static struct dns_zone *zone_get(struct dns_engine *e, const char *name, const char *mname,
				 bool reverse)
{
	for (size_t i = 0; i < e->nzones; i++)
		if (!strcmp(e->zones[i]->name, name)) {
			if (mname && mname[0])
				snprintf(e->zones[i]->mname, sizeof(e->zones[i]->mname), "%s", mname);
			return e->zones[i];
		}
	struct dns_zone **nv = realloc(e->zones, (e->nzones + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	e->zones = nv;
	struct dns_zone *z = dns_zone_new(e, name, mname, reverse);
	if (!z)
		return NULL;
	e->zones[e->nzones++] = z;
	return z;
}

static void find(struct dns_group *g);

static void group_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	find(w->data);
}

static void find_failed(struct dns_group *g, enum dns_result r, const char *detail)
{
	struct dns_engine *e = g->e;
	const struct dns_config *cfg = e->cfg;
	bool perm = r == DNS_PERMANENT;
	g->fstate = G_FAILED;
	g->failures++;
	e->failed++;
	uint64_t d = dns_backoff_ms(cfg->retry_ms, cfg->retry_max_ms, g->failures, perm, dns_rnd(e));
	if (g->reverse)
		snprintf(g->last, sizeof(g->last), "the reverse zone of %s: %s", g->label,
			 detail ? detail : "?");
	else
		snprintf(g->last, sizeof(g->last), "the zone of %s: %s", g->owner,
			 detail ? detail : "?");
	/* A PTR failure is a warning naming the reverse zone: the forward
	 * records go ahead whatever becomes of it. */
	e->host->log(e->inst, g->reverse || !perm ? NLEVD_LOG_WARNING : NLEVD_LOG_ERR,
		     "cannot find %s; retrying in %.1f s", g->last, (double)d / 1000.);
	dns_engine_emit(e, "dns-failed", "", g->owner, g->last);
	ev_timer_stop(e->host->loop, &g->timer);
	ev_timer_set(&g->timer, (double)d / 1000., 0.);
	ev_timer_start(e->host->loop, &g->timer);
	dns_engine_settled(e);
}

static void find(struct dns_group *g)
{
	struct dns_engine *e = g->e;
	ev_timer_stop(e->host->loop, &g->timer);
	g->fstate = G_FINDING;
	int rc = e->t->find(e->tctx, g, g->owner, g->owner);
	if (rc < 0) {
		char d[96];
		snprintf(d, sizeof(d), "cannot query: %s", strerror(-rc));
		find_failed(g, DNS_TRANSIENT, d);
	}
}

void dns_found(struct dns_group *g, enum dns_result r, const char *zone, const char *mname,
	       const char *detail)
{
	struct dns_engine *e = g->e;
	char zn[DNS_NAME_MAX];
	if (g->fstate != G_FINDING)
		return;
	if (r == DNS_OK && dns_name_normalize(zone, zn, sizeof(zn)) < 0) {
		r = DNS_TRANSIENT;
		detail = "the SOA found has a bad owner name";
	}
	if (r != DNS_OK) {
		find_failed(g, r, detail);
		return;
	}
	struct dns_zone *z = zone_get(e, zn, mname, g->reverse);
	if (!z) {
		find_failed(g, DNS_TRANSIENT, "out of memory");
		return;
	}
	g->zone = z;
	g->fstate = G_FOUND;
	g->failures = 0;
	g->last[0] = 0;
	z->need_read = true; /* its records are read with the zone's next step */
	dns_zone_poke(z);
}

static struct dns_group *group_new(struct dns_engine *e, bool reverse)
{
	struct dns_group **nv = realloc(e->groups, (e->ngroups + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	e->groups = nv;
	struct dns_group *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->e = e;
	g->reverse = reverse;
	ev_timer_init(&g->timer, group_timer_cb, 0., 0.);
	g->timer.data = g;
	e->groups[e->ngroups++] = g;
	return g;
}

static void group_free(struct dns_engine *e, struct dns_group *g)
{
	ev_timer_stop(e->host->loop, &g->timer);
	if (g->fstate == G_FINDING && e->t->cancel_group)
		e->t->cancel_group(e->tctx, g);
	if (e->slot_free && g->tctx)
		e->slot_free(e->tctx, g->tctx);
	aset_free(&g->pub);
	aset_free(&g->sending);
	free(g);
}

static bool same_prefix(const struct addr *x, const struct addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, x->family == AF_INET ? 3 : 8);
}

/* A reverse group for each /24 or /64 of the desired addresses (with ptr);
 * groups stay once made (the PTRs they published are theirs to delete). */
static void sync_groups(struct dns_engine *e)
{
	if (!e->cfg->ptr)
		return;
	const struct aset *w = &e->want;
	for (size_t i = 0; i < w->n; i++) {
		if (i && same_prefix(&w->v[i], &w->v[i - 1]))
			continue;
		bool have = false;
		for (size_t k = 0; k < e->ngroups && !have; k++)
			have = e->groups[k]->reverse && same_prefix(&e->groups[k]->key, &w->v[i]);
		if (have)
			continue;
		struct dns_group *g = group_new(e, true);
		if (!g) {
			e->host->log(e->inst, NLEVD_LOG_ERR, "out of memory");
			return;
		}
		g->key = w->v[i];
		dns_ptr_owner(g->key.family, g->key.a, g->owner, sizeof(g->owner));
		uint8_t p[16] = {0};
		memcpy(p, g->key.a, g->key.family == AF_INET ? 3 : 8);
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(g->key.family, p, ip, sizeof(ip));
		snprintf(g->label, sizeof(g->label), "%s/%d", ip, g->key.family == AF_INET ? 24 : 64);
		if (e->started)
			find(g);
	}
}

/* The desired state changed (or may have): every zone looks again. */
static void reconsider(struct dns_engine *e)
{
	bool changed = dns_want_update(e);
	sync_groups(e);
	if (!changed)
		return;
	for (size_t i = 0; i < e->nzones; i++)
		dns_zone_poke(e->zones[i]);
}

static void hold_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	reconsider(w->data); /* a delete_delay ended */
}

static void begin(struct dns_engine *e)
{
	ev_timer_stop(e->host->loop, &e->start_timer);
	if (e->started)
		return;
	e->started = true;
	dns_want_update(e);
	sync_groups(e);
	for (size_t i = 0; i < e->ngroups; i++)
		if (e->groups[i]->fstate == G_NEW)
			find(e->groups[i]);
	for (size_t i = 0; i < e->nzones; i++)
		dns_zone_poke(e->zones[i]);
}

static void start_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	begin(w->data);
}

/* ---- the instance ---- */

static bool busy(const struct dns_engine *e)
{
	for (size_t i = 0; i < e->ngroups; i++)
		if (e->groups[i]->fstate == G_FINDING || e->groups[i]->fstate == G_NEW)
			return true;
	for (size_t i = 0; i < e->nzones; i++)
		if (dns_zone_busy(e->zones[i]))
			return true;
	return false;
}

static bool all_ok(const struct dns_engine *e)
{
	for (size_t i = 0; i < e->ngroups; i++) {
		const struct dns_group *g = e->groups[i];
		if (g->fstate == G_FAILED || g->cname || g->own == OWN_OTHER)
			return false;
	}
	for (size_t i = 0; i < e->nzones; i++)
		if (e->zones[i]->failing)
			return false;
	return true;
}

void dns_engine_settled(struct dns_engine *e)
{
	if (e->once_waiting && !busy(e)) {
		e->once_waiting = false;
		e->host->once_done(e->inst, all_ok(e));
	}
}

void dns_engine_start(struct dns_engine *e)
{
	/* After the core's start-up replay, from the loop. */
	ev_timer_set(&e->start_timer, 0., 0.);
	ev_timer_start(e->host->loop, &e->start_timer);
}

void dns_engine_changed(struct dns_engine *e)
{
	if (!e->started)
		return; /* begin() reads the whole state */
	reconsider(e);
}

void dns_engine_kick(struct dns_engine *e)
{
	dns_key_file_check(e->host, e->inst, e->cfg->key_file);
	for (size_t i = 0; i < e->ngroups; i++)
		if (e->groups[i]->fstate == G_FAILED)
			find(e->groups[i]);
	for (size_t i = 0; i < e->nzones; i++)
		dns_zone_kick(e->zones[i]);
}

int dns_engine_once(struct dns_engine *e)
{
	if (!e->started) {
		ev_timer_stop(e->host->loop, &e->start_timer);
		begin(e);
	} else {
		/* --once: now, whatever back-off was pending */
		reconsider(e);
		for (size_t i = 0; i < e->ngroups; i++)
			if (e->groups[i]->fstate == G_FAILED)
				find(e->groups[i]);
		for (size_t i = 0; i < e->nzones; i++)
			if (e->zones[i]->state == Z_BACKOFF)
				dns_zone_retry(e->zones[i]);
	}
	if (busy(e)) {
		e->once_waiting = true;
		return NLEVD_ONCE_PENDING;
	}
	return all_ok(e) ? 0 : -1;
}

int dns_engine_push(struct dns_engine *e)
{
	if (!e->started) {
		begin(e); /* reads every zone anyway */
		return 0;
	}
	/* Not reconsider(): each zone reads first, so a change is sent once. */
	dns_want_update(e);
	sync_groups(e);
	for (size_t i = 0; i < e->ngroups; i++)
		if (e->groups[i]->fstate == G_FAILED)
			find(e->groups[i]);
	for (size_t i = 0; i < e->nzones; i++)
		dns_zone_push(e->zones[i]);
	return 0;
}

/* An address set as {"a": [...], "aaaa": [...]}. */
static void report_addrs(const struct nlevd_host *h, struct nlevd_status *st, const char *key,
			 const struct aset *s)
{
	h->status_object(st, key);
	for (int f = 0; f < 2; f++) {
		int fam = f ? AF_INET6 : AF_INET;
		h->status_list(st, f ? "aaaa" : "a");
		for (size_t i = 0; i < s->n; i++) {
			char b[INET6_ADDRSTRLEN];
			if (s->v[i].family == fam && inet_ntop(fam, s->v[i].a, b, sizeof(b)))
				h->status_string(st, NULL, "%s", b);
		}
		h->status_end(st);
	}
	h->status_end(st);
}

static const char *zone_of(const struct dns_group *g)
{
	return g->zone ? g->zone->name : g->fstate == G_FAILED ? "not found" : "?";
}

/* Per name (desired, published, zone, ownership), per reverse prefix,
 * per zone (dns_zone_report), what delete_delay holds, the counters, the
 * "metrics" object (nlevctl metrics: nlevd_updates_sent_total,
 * nlevd_updates_total{result=ok|failed},
 * nlevd_last_success_timestamp_seconds) and a summary for systemd's
 * STATUS=. */
void dns_engine_report(struct dns_engine *e, struct nlevd_status *st)
{
	const struct nlevd_host *h = e->host;
	const struct dns_config *cfg = e->cfg;
	size_t published = 0, failed = 0, busy_n = 0;
	for (size_t i = 0; i < e->nzones; i++) {
		const struct dns_zone *z = e->zones[i];
		if (z->state == Z_READ || z->state == Z_SEND)
			busy_n++;
		else if (z->failing)
			failed++;
		else
			published++;
	}
	h->status_string(st, "summary", "%zu zone%s: %zu published, %zu failed, %zu busy",
			 e->nzones, e->nzones == 1 ? "" : "s", published, failed, busy_n);
	h->status_list(st, "names");
	for (size_t i = 0; i < e->ngroups; i++) {
		const struct dns_group *g = e->groups[i];
		if (g->reverse)
			continue;
		h->status_object(st, NULL);
		h->status_string(st, "name", "%s", cfg->names[g->name]);
		report_addrs(h, st, "desired", &e->want);
		if (g->known)
			report_addrs(h, st, "published", &g->pub);
		if (cfg->ownership == DNS_OWN_DHCID)
			h->status_string(st, "ownership", "%s",
					 g->own == OWN_OURS    ? "ours"
					 : g->own == OWN_OTHER ? "conflict"
					 : g->own == OWN_FREE  ? "free"
							       : "unknown");
		if (g->cname)
			h->status_bool(st, "cname", true);
		h->status_string(st, "zone", "%s", zone_of(g));
		if (g->fstate == G_FAILED)
			h->status_string(st, "error", "%s", g->last);
		h->status_end(st);
	}
	h->status_end(st);
	h->status_list(st, "reverse");
	for (size_t i = 0; i < e->ngroups; i++) {
		const struct dns_group *g = e->groups[i];
		if (!g->reverse)
			continue;
		h->status_object(st, NULL);
		h->status_string(st, "prefix", "%s", g->label);
		h->status_string(st, "zone", "%s", zone_of(g));
		if (g->known)
			h->status_uint(st, "ptrs", g->pub.n);
		if (g->fstate == G_FAILED)
			h->status_string(st, "error", "%s", g->last);
		h->status_end(st);
	}
	h->status_end(st);
	h->status_list(st, "zones");
	for (size_t i = 0; i < e->nzones; i++)
		dns_zone_report(e->zones[i], st);
	h->status_end(st);
	h->status_list(st, "held");
	for (int f = 0; f < 2; f++)
		if (e->hold.until[f]) {
			h->status_object(st, NULL);
			h->status_string(st, "family", f ? "ipv6" : "ipv4");
			h->status_string(st, "deleting_in", "%.1f s",
					 e->hold.until[f] - ev_now(h->loop));
			h->status_end(st);
		}
	h->status_end(st);
	h->status_object(st, "metrics");
	/* Sent apart from the results: sum(nlevd_updates_total) must not
	 * count an UPDATE twice. */
	h->status_uint(st, "updates_sent_total", e->sent);
	h->status_object(st, "updates_total");
	h->status_object(st, "result");
	h->status_uint(st, "ok", e->ok);
	h->status_uint(st, "failed", e->failed);
	h->status_end(st);
	h->status_end(st);
	h->status_uint(st, "last_success_timestamp_seconds",
		       e->last_success > 0 ? (uint64_t)e->last_success : 0);
	h->status_end(st);
	h->status_uint(st, "updates_sent", e->sent);
	h->status_uint(st, "updates_ok", e->ok);
	h->status_uint(st, "updates_failed", e->failed);
}

unsigned long long dns_engine_sent(const struct dns_engine *e)
{
	return e->sent;
}

struct dns_engine *dns_engine_new(const struct nlevd_host *host, struct nlevd_instance *inst,
				  const struct dns_config *cfg, const struct dns_transport *t,
				  void *tctx)
{
	struct dns_engine *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->host = host;
	e->inst = inst;
	e->cfg = cfg;
	e->t = t;
	e->tctx = tctx;
	e->rng = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16) ^ (uint32_t)(uintptr_t)e;
	if (!e->rng)
		e->rng = 1;
	ev_timer_init(&e->hold_timer, hold_cb, 0., 0.);
	e->hold_timer.data = e;
	ev_timer_init(&e->start_timer, start_cb, 0., 0.);
	e->start_timer.data = e;
	struct dns_zone *z = NULL;
	if (cfg->zone && !(z = zone_get(e, cfg->zone, NULL, false)))
		goto oom;
	for (size_t i = 0; i < cfg->nnames; i++) {
		struct dns_group *g = group_new(e, false);
		if (!g)
			goto oom;
		g->name = i;
		snprintf(g->owner, sizeof(g->owner), "%s", cfg->names[i]);
		if (z) { /* the zone is given: nothing to find */
			g->zone = z;
			g->fstate = G_FOUND;
		}
	}
	return e;
oom:
	dns_engine_free(e);
	return NULL;
}

void dns_engine_set_slot_free(struct dns_engine *e, void (*fn)(void *tctx, void *slot))
{
	e->slot_free = fn;
}

void dns_engine_foreach_slot(struct dns_engine *e, void (*fn)(void *slot, void *arg), void *arg)
{
	for (size_t i = 0; i < e->ngroups; i++)
		if (e->groups[i]->tctx)
			fn(e->groups[i]->tctx, arg);
	for (size_t i = 0; i < e->nzones; i++)
		if (e->zones[i]->tctx)
			fn(e->zones[i]->tctx, arg);
}

void dns_engine_free(struct dns_engine *e)
{
	if (!e)
		return;
	ev_timer_stop(e->host->loop, &e->hold_timer);
	ev_timer_stop(e->host->loop, &e->start_timer);
	for (size_t i = 0; i < e->ngroups; i++)
		group_free(e, e->groups[i]);
	for (size_t i = 0; i < e->nzones; i++)
		dns_zone_free(e->zones[i]);
	free(e->groups);
	free(e->zones);
	aset_free(&e->want);
	aset_hold_free(&e->hold);
	free(e);
}
