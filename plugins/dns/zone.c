/* One zone's state machine: read its records, send the changes in one
 * UPDATE, back off on failure, verify and refresh on timers.  Each zone is
 * independent: its failures never hold up another. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zone.h"

static void step(struct dns_zone *z);

static bool zone_has_conflict(const struct dns_zone *z)
{
	for (size_t i = 0; i < z->e->ngroups; i++) {
		const struct dns_group *g = z->e->groups[i];
		if (g->zone == z && (g->own == OWN_OTHER || g->cname))
			return true;
	}
	return false;
}

const char *dns_zone_name(const struct dns_zone *z)
{
	return z->name;
}

const char *dns_zone_mname(const struct dns_zone *z)
{
	return z->mname;
}

const struct dns_server *dns_zone_server(const struct dns_zone *z)
{
	const struct dns_config *cfg = z->e->cfg;
	return cfg->nservers ? &cfg->servers[z->server_idx % cfg->nservers] : NULL;
}

void **dns_zone_tctx(struct dns_zone *z)
{
	return &z->tctx;
}

bool dns_zone_busy(const struct dns_zone *z)
{
	return z->state == Z_READ || z->state == Z_SEND;
}

static void groups_clear_send(struct dns_zone *z)
{
	for (size_t i = 0; i < z->e->ngroups; i++)
		if (z->e->groups[i]->zone == z)
			z->e->groups[i]->in_send = false;
}

static void backoff(struct dns_zone *z, uint64_t ms)
{
	z->state = Z_BACKOFF;
	ev_timer_stop(z->e->host->loop, &z->timer);
	ev_timer_set(&z->timer, (double)ms / 1000., 0.);
	ev_timer_start(z->e->host->loop, &z->timer);
	z->next_retry = ev_now(z->e->host->loop) + (double)ms / 1000.;
}

/* An attempt failed: fail over, or back off (SPEC: transient failures
 * retry with exponential back-off and jitter, permanent ones at
 * retry_max).  what: "update" or "read". */
static void failed(struct dns_zone *z, enum dns_result r, const char *what, const char *detail)
{
	struct dns_engine *e = z->e;
	const struct dns_config *cfg = e->cfg;
	bool perm = r == DNS_PERMANENT;
	z->confirming = false;
	z->failed++;
	e->failed++;
	z->failures++;
	z->failing = true;
	z->need_read = true; /* what the server holds is not known now */
	/* The primary may have moved: its SOA is asked again next time. */
	if (!cfg->nservers)
		z->mname[0] = 0;
	z->last_time = time(NULL);
	snprintf(z->last, sizeof(z->last), "%s %s: %s", what, perm ? "refused" : "failed",
		 detail ? detail : "?");
	groups_clear_send(z);
	/* A failed reverse zone is a warning: the names are what matter. */
	int level = z->reverse ? NLEVD_LOG_WARNING : perm ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING;
	if (!perm && cfg->nservers > 1 && ++z->servers_tried < cfg->nservers) {
		z->server_idx++;
		e->host->log(e->inst, NLEVD_LOG_WARNING, "%s failed: zone %s: %s; trying %s", what,
			     z->name, detail ? detail : "?", dns_zone_server(z)->host);
		z->state = Z_IDLE;
		step(z);
		return;
	}
	z->servers_tried = 0;
	if (cfg->nservers > 1)
		z->server_idx++;
	char names[4096];
	dns_zone_names(z, names, sizeof(names));
	dns_engine_emit(e, "dns-failed", z->name, names, z->last);
	if (z->dirty || z->kicked) {
		/* Changed while in flight (or the key was replaced): that is
		 * tried at once, as it would be in back-off. */
		bool k = z->kicked;
		z->dirty = z->kicked = false;
		e->host->log(e->inst, level, "%s %s: zone %s: %s; %s", what,
			     perm ? "refused" : "failed", z->name, detail ? detail : "?",
			     k ? "retrying at once with the reloaded key"
			       : "the state changed meanwhile: trying that at once");
		z->state = Z_IDLE;
		step(z);
		return;
	}
	uint64_t d = dns_backoff_ms(cfg->retry_ms, cfg->retry_max_ms, z->failures, perm, dns_rnd(e));
	e->host->log(e->inst, level, "%s %s: zone %s: %s; retrying in %.1f s", what,
		     perm ? "refused" : "failed", z->name, detail ? detail : "?", (double)d / 1000.);
	backoff(z, d);
	dns_engine_settled(e);
}

static void send_changes(struct dns_zone *z)
{
	struct dns_engine *e = z->e;
	bool refresh = z->refresh;
	z->nops = 0;
	for (size_t i = 0; i < e->ngroups; i++) {
		struct dns_group *g = e->groups[i];
		if (g->zone == z && dns_group_ops(g, z, refresh) < 0) {
			groups_clear_send(z);
			failed(z, DNS_TRANSIENT, "update", "out of memory");
			return;
		}
	}
	z->refresh = false;
	if (z->nops)
		z->verified = false;
	if (z->nops && z->confirming) {
		/* Not applied, whatever the answer seemed to say: a failure,
		 * with back-off (never a loop against a lying server). */
		char why[300];
		snprintf(why, sizeof(why), "%s, and the records read back are not the desired ones",
			 z->unverified);
		groups_clear_send(z);
		z->state = Z_IDLE;
		failed(z, DNS_TRANSIENT, "update", why);
		return;
	}
	if (!z->nops && z->confirming) {
		/* The server holds what we sent: the update was applied. */
		z->confirming = false;
		z->verified = false;
		z->ok++;
		e->ok++;
		z->last_time = e->last_success = time(NULL);
		z->failures = 0;
		z->servers_tried = 0;
		z->failing = false;
		z->state = Z_IDLE;
		snprintf(z->last, sizeof(z->last), "ok (confirmed by reading the records back)");
		e->host->log(e->inst, NLEVD_LOG_INFO, "updated: zone %s: confirmed by reading the "
			     "records back (%s)", z->name, z->unverified);
		char names[4096];
		dns_zone_names(z, names, sizeof(names));
		dns_engine_emit(e, "dns-published", z->name, names, "");
		dns_engine_settled(e);
		return;
	}
	if (!z->nops) {
		z->state = Z_IDLE;
		bool was = z->failing;
		z->failing = false;
		z->failures = 0;
		if (z->verified) {
			/* The records read are the desired ones: say so once per
			 * read, so that an operator sees the check happen. */
			e->host->log(e->inst, NLEVD_LOG_INFO, "zone %s: verified: the records are as "
				     "desired", z->name);
			z->verified = false;
		}
		if (was || !z->last[0]) {
			z->last_time = time(NULL);
			snprintf(z->last, sizeof(z->last), "up to date");
		}
		if (was) {
			/* A failed (or unverified) attempt, and the records read
			 * since are the desired ones: the zone is published. */
			char names[4096];
			dns_zone_names(z, names, sizeof(names));
			dns_engine_emit(e, "dns-published", z->name, names, "");
		}
		dns_engine_settled(e);
		return;
	}
	z->state = Z_SEND;
	z->dirty = z->kicked = false;
	z->sent++;
	e->sent++;
	int rc = e->t->send(e->tctx, z, z->ops, z->nops);
	if (rc < 0) {
		char d[96];
		snprintf(d, sizeof(d), "cannot send: %s", strerror(-rc));
		z->state = Z_IDLE;
		failed(z, DNS_TRANSIENT, "update", d);
	}
}

static void start_read(struct dns_zone *z)
{
	struct dns_engine *e = z->e;
	for (size_t i = 0; i < z->nqs; i++)
		dns_rrq_clear(&z->qs[i]);
	z->nqs = 0;
	for (size_t i = 0; i < e->ngroups; i++) {
		struct dns_group *g = e->groups[i];
		if (g->zone == z && dns_group_questions(g, z) < 0) {
			failed(z, DNS_TRANSIENT, "read", "out of memory");
			return;
		}
	}
	z->need_read = false;
	if (!z->nqs) {
		send_changes(z);
		return;
	}
	z->state = Z_READ;
	int rc = e->t->read(e->tctx, z, z->qs, z->nqs);
	if (rc < 0) {
		char d[96];
		snprintf(d, sizeof(d), "cannot query: %s", strerror(-rc));
		z->state = Z_IDLE;
		failed(z, DNS_TRANSIENT, "read", d);
	}
}

/* The next thing to do, from idle or back-off. */
static void step(struct dns_zone *z)
{
	ev_timer_stop(z->e->host->loop, &z->timer);
	z->tried = dns_zone_want_hash(z);
	if (z->need_read)
		start_read(z);
	else
		send_changes(z);
}

void dns_read_done(struct dns_zone *z, enum dns_result r, const char *detail)
{
	struct dns_engine *e = z->e;
	if (z->state != Z_READ)
		return;
	if (r != DNS_OK) {
		z->state = Z_IDLE;
		failed(z, r, "read", detail);
		return;
	}
	for (size_t i = 0; i < e->ngroups; i++) {
		struct dns_group *g = e->groups[i];
		if (g->zone != z || g->q0 + g->qn > z->nqs)
			continue;
		int was = g->own;
		dns_group_answers(g, z->qs + g->q0, g->qn);
		if (g->reverse)
			continue;
		const char *name = e->cfg->names[g->name];
		if (g->cname) {
			e->host->log(e->inst, NLEVD_LOG_ERR, "zone %s: %s is an alias (CNAME): "
				     "not publishing it", z->name, name);
		} else if (g->own == OWN_OTHER && was != OWN_OTHER) {
			char err[DNS_NAME_MAX + 80];
			snprintf(err, sizeof(err), "%s is in use by another host (no DHCID of "
				 "ours): not overwritten", name);
			e->host->log(e->inst, NLEVD_LOG_ERR, "zone %s: conflict: %s", z->name, err);
			dns_engine_emit(e, "dns-conflict", z->name, name, err);
		}
	}
	for (size_t i = 0; i < z->nqs; i++)
		dns_rrq_clear(&z->qs[i]);
	z->nqs = 0;
	z->verified = true;
	if (zone_has_conflict(z) && !ev_is_active(&z->confirm_timer)) {
		/* A conflict is looked at again after retry_max (or when the
		 * desired state changes): the other host may have gone. */
		ev_timer_set(&z->confirm_timer, (double)e->cfg->retry_max_ms / 1000., 0.);
		ev_timer_start(e->host->loop, &z->confirm_timer);
	}
	send_changes(z);
}

void dns_sent(struct dns_zone *z, enum dns_result r, const char *detail)
{
	struct dns_engine *e = z->e;
	if (z->state != Z_SEND)
		return;
	z->last_time = time(NULL);
	if (r == DNS_PREREQ) {
		/* Someone changed the names since they were read: read again
		 * soon (a conflict then shows), never in a tight loop. */
		char why[450];
		snprintf(why, sizeof(why), "%s (the records changed since they were read)",
			 detail ? detail : "prerequisite failed");
		z->state = Z_IDLE;
		failed(z, DNS_TRANSIENT, "update", why);
		return;
	}
	if (r == DNS_UNVERIFIED && !z->confirming) {
		z->confirming = true;
		snprintf(z->unverified, sizeof(z->unverified), "%s", detail ? detail : "unverified");
		groups_clear_send(z);
		z->state = Z_IDLE;
		z->need_read = true;
		e->host->log(e->inst, NLEVD_LOG_INFO, "zone %s: %s: reading the records back to "
			     "confirm", z->name, z->unverified);
		step(z);
		return;
	}
	if (r == DNS_UNVERIFIED)
		r = DNS_TRANSIENT;
	if (r != DNS_OK) {
		/* A timed-out UPDATE may still sit in the server's queue and be
		 * applied after a later one, undoing it. */
		if (r == DNS_TRANSIENT)
			z->uncertain = true;
		z->state = Z_IDLE;
		failed(z, r, "update", detail);
		return;
	}
	z->ok++;
	e->ok++;
	e->last_success = z->last_time;
	z->failures = 0;
	z->servers_tried = 0;
	z->failing = false;
	z->state = Z_IDLE;
	snprintf(z->last, sizeof(z->last), "ok");
	char names[4096];
	dns_zone_names(z, names, sizeof(names));
	for (size_t i = 0; i < e->ngroups; i++) {
		struct dns_group *g = e->groups[i];
		if (g->zone != z || !g->in_send)
			continue;
		struct aset t = g->pub;
		g->pub = g->sending;
		g->sending = t;
		g->known = true;
		g->own = g->own_sending;
		g->in_send = false;
	}
	e->host->log(e->inst, NLEVD_LOG_INFO, "updated: zone %s: %s", z->name, detail ? detail : "ok");
	if (z->uncertain) {
		/* Once a late copy of an earlier attempt has had time to be
		 * applied, read the records again (and repair them). */
		const struct dns_config *cfg = e->cfg;
		double after = (double)(cfg->retry_ms < cfg->timeout_ms ? cfg->timeout_ms
									 : cfg->retry_ms) / 1000.;
		z->uncertain = false;
		e->host->log(e->inst, NLEVD_LOG_INFO, "zone %s: an earlier attempt may still be applied "
			     "late: reading the records again in %.1f s to be sure", z->name, after);
		ev_timer_stop(e->host->loop, &z->confirm_timer);
		ev_timer_set(&z->confirm_timer, after, 0.);
		ev_timer_start(e->host->loop, &z->confirm_timer);
	}
	dns_engine_emit(e, "dns-published", z->name, names, "");
	if (z->dirty || z->kicked) {
		z->dirty = z->kicked = false;
		step(z);
		return;
	}
	dns_engine_settled(e);
}

void dns_zone_poke(struct dns_zone *z)
{
	if (dns_zone_busy(z)) {
		z->dirty = true;
		return;
	}
	/* In back-off, or with a conflict, a new desired state of this zone
	 * is tried at once (read first); the same one waits for its time. */
	bool changed = dns_zone_want_hash(z) != z->tried;
	if (z->state == Z_BACKOFF && !changed)
		return;
	if (changed && zone_has_conflict(z))
		z->need_read = true;
	step(z);
}

void dns_zone_retry(struct dns_zone *z)
{
	if (!dns_zone_busy(z))
		step(z);
}

void dns_zone_push(struct dns_zone *z)
{
	z->need_read = true;
	if (dns_zone_busy(z))
		z->dirty = true;
	else
		step(z);
}

void dns_zone_kick(struct dns_zone *z)
{
	if (dns_zone_busy(z))
		z->kicked = true;
	else if (z->state == Z_BACKOFF)
		step(z);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	step(w->data);
}

/* A periodic timer's next expiry: within +-10 % of period, so that a fleet
 * started together does not stay in step. */
static double jittered(struct dns_engine *e, uint64_t ms)
{
	return (double)ms / 1000. * (0.9 + 0.2 * dns_rnd(e));
}

static void verify_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_zone *z = w->data;
	(void)revents;
	z->need_read = true;
	ev_timer_set(w, jittered(z->e, z->e->cfg->verify_ms), 0.);
	ev_timer_start(loop, w);
	if (z->state == Z_IDLE)
		step(z);
	else if (dns_zone_busy(z))
		z->dirty = true;
	/* in back-off: the retry reads first anyway */
}

static void confirm_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_zone *z = w->data;
	(void)loop;
	(void)revents;
	z->need_read = true;
	if (z->state == Z_IDLE)
		step(z);
	else if (dns_zone_busy(z))
		z->dirty = true;
}

static void refresh_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_zone *z = w->data;
	(void)revents;
	z->refresh = true;
	ev_timer_set(w, jittered(z->e, z->e->cfg->refresh_ms), 0.);
	ev_timer_start(loop, w);
	if (z->state == Z_IDLE)
		step(z);
	else if (dns_zone_busy(z))
		z->dirty = true;
}

struct dns_zone *dns_zone_new(struct dns_engine *e, const char *name, const char *mname,
			      bool reverse)
{
	struct dns_zone *z = calloc(1, sizeof(*z));
	if (!z)
		return NULL;
	z->e = e;
	snprintf(z->name, sizeof(z->name), "%s", name);
	snprintf(z->mname, sizeof(z->mname), "%s", mname ? mname : "");
	z->reverse = reverse;
	z->need_read = true; /* SPEC: read first, send only what differs */
	ev_timer_init(&z->timer, timer_cb, 0., 0.);
	z->timer.data = z;
	ev_timer_init(&z->verify_timer, verify_cb, 0., 0.);
	z->verify_timer.data = z;
	ev_timer_init(&z->refresh_timer, refresh_cb, 0., 0.);
	z->refresh_timer.data = z;
	ev_timer_init(&z->confirm_timer, confirm_cb, 0., 0.);
	z->confirm_timer.data = z;
	if (e->cfg->verify_ms) {
		ev_timer_set(&z->verify_timer, jittered(e, e->cfg->verify_ms), 0.);
		ev_timer_start(e->host->loop, &z->verify_timer);
	}
	if (e->cfg->refresh_ms) {
		ev_timer_set(&z->refresh_timer, jittered(e, e->cfg->refresh_ms), 0.);
		ev_timer_start(e->host->loop, &z->refresh_timer);
	}
	return z;
}

void dns_zone_free(struct dns_zone *z)
{
	struct dns_engine *e = z->e;
	ev_timer_stop(e->host->loop, &z->timer);
	ev_timer_stop(e->host->loop, &z->verify_timer);
	ev_timer_stop(e->host->loop, &z->refresh_timer);
	ev_timer_stop(e->host->loop, &z->confirm_timer);
	if (e->t->cancel_zone)
		e->t->cancel_zone(e->tctx, z);
	if (e->slot_free && z->tctx)
		e->slot_free(e->tctx, z->tctx);
	for (size_t i = 0; i < z->nqs; i++)
		dns_rrq_clear(&z->qs[i]);
	free(z->qs);
	free(z->ops);
	free(z);
}

void dns_zone_report(const struct dns_zone *z, struct nlevd_status *st)
{
	const struct dns_engine *e = z->e;
	const struct nlevd_host *h = e->host;
	h->status_object(st, NULL);
	h->status_string(st, "zone", "%s", z->name);
	if (z->reverse) {
		/* a reverse zone may hold thousands: their number */
		size_t n = 0;
		for (size_t i = 0; i < e->ngroups; i++)
			if (e->groups[i]->zone == z)
				n += e->groups[i]->pub.n;
		h->status_uint(st, "ptrs", n);
	} else {
		h->status_list(st, "names");
		for (size_t i = 0; i < e->ngroups; i++)
			if (e->groups[i]->zone == z && !e->groups[i]->reverse)
				h->status_string(st, NULL, "%s", e->cfg->names[e->groups[i]->name]);
		h->status_end(st);
	}
	h->status_string(st, "state", "%s", z->state == Z_READ ? "reading"
					    : z->state == Z_SEND ? "updating"
					    : z->failing	 ? "failed"
								 : "published");
	h->status_string(st, "last", "%s", z->last[0] ? z->last : "-");
	char when[64] = "never";
	if (z->last_time) {
		struct tm tm;
		gmtime_r(&z->last_time, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	h->status_string(st, "last_time", "%s", when);
	if (z->state == Z_BACKOFF)
		h->status_string(st, "next_try", "%.1f s", z->next_retry - ev_now(h->loop));
	h->status_uint(st, "updates_sent", z->sent);
	h->status_uint(st, "updates_ok", z->ok);
	h->status_uint(st, "updates_failed", z->failed);
	h->status_end(st);
}
