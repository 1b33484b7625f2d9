/* The DNS engine's state machine: desired state from the core's table, one
 * batch in flight, back-off, fail-over, the re-push after a doubtful failure. */
#include <errno.h>
#include <ev.h>
#include <linux/if_addr.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "aset.h"
#include "batch.h"
#include "engine.h"

/* ---- pure helpers ---- */


uint64_t dns_backoff_ms(uint64_t retry, uint64_t retry_max, unsigned failures, bool permanent,
			double u)
{
	if (permanent)
		return retry_max;
	uint64_t d = retry;
	for (unsigned i = 1; i < failures && d < retry_max; i++)
		d *= 2;
	if (d > retry_max)
		d = retry_max;
	/* Jitter: 80% to 120%, never above retry_max. */
	double j = (double)d * (0.8 + 0.4 * u);
	d = (uint64_t)j;
	return d > retry_max ? retry_max : d;
}

enum dns_result dns_rcode_class(const char *name)
{
	static const char *const permanent[] = {"REFUSED", "NOTAUTH", "BADKEY", "BADSIG",
						"NOTZONE", "YXDOMAIN", "YXRRSET", "NXRRSET",
						"NXDOMAIN", "FORMERR", "NOTIMP", "BADTRUNC",
						"BADMODE", "BADNAME", "BADALG", "BADVERS"};
	if (!strcmp(name, "NOERROR"))
		return DNS_OK;
	for (size_t i = 0; i < sizeof(permanent) / sizeof(permanent[0]); i++)
		if (!strcmp(name, permanent[i]))
			return DNS_PERMANENT;
	return DNS_TRANSIENT; /* SERVFAIL and anything unknown */
}

/* ---- the engine ---- */

enum { ST_IDLE, ST_INFLIGHT, ST_BACKOFF };

struct dns_engine {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const struct dns_config *cfg;
	const struct dns_transport *t;
	void *tctx;
	int state;
	bool dirty;        /* changed while in flight */
	bool kicked;       /* credentials changed while in flight: no back-off */
	bool uncertain;    /* a batch failed in a way the server may still apply */
	bool confirm;      /* push everything again: a stale batch may have won */
	bool pushed_valid; /* the forward records are known to be `pushed` */
	struct aset pushed;    /* forward records last pushed successfully */
	struct aset ptr_pushed; /* addresses whose PTR we published (or may have) */
	struct aset sending;    /* what is in flight */
	struct aset attempted;  /* desired state of the last failed attempt */
	struct dns_batch batch;
	ev_timer timer;
	ev_timer confirm_timer; /* the re-push after a doubtful failure */
	unsigned failures;
	size_t server_idx, servers_tried;
	bool once_waiting;
	uint32_t rng;
	char last[160];
	time_t last_time;
	ev_tstamp next_retry;
	unsigned long long sent, ok, failed;
};

struct collect {
	struct dns_engine *e;
	struct aset *s;
	int err;
};

static int collect_cb(const struct nlevd_link *link, const struct nlevd_addr *a, void *arg)
{
	struct collect *c = arg;
	const struct dns_config *cfg = c->e->cfg;
	/* Usable as the core defines it: a deprecated address still is (it
	 * still works; the kernel just prefers others for new connections);
	 * a tentative or DAD-failed one is not. */
	if (a->flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED))
		return 0;
	if ((a->family == AF_INET && !cfg->want4) || (a->family == AF_INET6 && !cfg->want6))
		return 0;
	if (!c->e->host->selected(c->e->inst, link, a))
		return 0;
	if (aset_add(c->s, a->family, a->addr) < 0)
		c->err = -ENOMEM;
	return 0;
}

static int desired(struct dns_engine *e, struct aset *s)
{
	struct collect c = {e, s, 0};
	s->n = 0;
	e->host->addr_foreach(0, collect_cb, &c);
	aset_sort_unique(s);
	return c.err;
}

static int build(struct dns_engine *e, const struct aset *want)
{
	const struct dns_config *cfg = e->cfg;
	int rc = dns_batch_build(cfg, want, &e->pushed, e->pushed_valid, &e->ptr_pushed, &e->batch);
	e->batch.ttl = cfg->ttl;
	e->batch.server = cfg->nservers ? &cfg->servers[e->server_idx % cfg->nservers] : NULL;
	return rc;
}

static double rnd(struct dns_engine *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 17;
	e->rng ^= e->rng << 5;
	return (double)(e->rng % 1000000) / 1000000.0;
}

static void once_check(struct dns_engine *e, bool ok)
{
	if (e->once_waiting) {
		e->once_waiting = false;
		e->host->once_done(e->inst, ok);
	}
}

/* How long after a success that followed a doubtful failure to push again. */
static uint64_t cfg_confirm_ms(const struct dns_config *cfg)
{
	return cfg->retry_ms < cfg->timeout_ms ? cfg->timeout_ms : cfg->retry_ms;
}

/* Nothing could be sent (out of memory): try again after retry, so that the
 * engine is never left waiting for a result that cannot come. */
static void attempt_later(struct dns_engine *e)
{
	snprintf(e->last, sizeof(e->last), "out of memory");
	e->host->log(e->inst, NLEVD_LOG_ERR, "out of memory; retrying in %.1f s",
		     (double)e->cfg->retry_ms / 1000.);
	e->state = ST_BACKOFF;
	ev_timer_set(&e->timer, (double)e->cfg->retry_ms / 1000., 0.);
	ev_timer_start(e->host->loop, &e->timer);
	e->next_retry = ev_now(e->host->loop) + (double)e->cfg->retry_ms / 1000.;
	once_check(e, false);
}

static void attempt(struct dns_engine *e)
{
	struct aset want = {0};
	ev_timer_stop(e->host->loop, &e->timer);
	if (e->confirm) {
		e->confirm = false;
		e->pushed_valid = false;
	}
	if (desired(e, &want) < 0) {
		aset_free(&want);
		attempt_later(e);
		return;
	}
	if (!want.n && e->cfg->keep_on_empty) {
		/* on_empty = keep: leave the records as they are */
		e->state = ST_IDLE;
		aset_free(&want);
		once_check(e, true);
		return;
	}
	if (build(e, &want) < 0) {
		aset_free(&want);
		attempt_later(e);
		return;
	}
	if (!e->batch.nmsgs) {
		e->state = ST_IDLE;
		aset_free(&want);
		once_check(e, true);
		return;
	}
	aset_copy(&e->sending, &want);
	aset_free(&want);
	e->state = ST_INFLIGHT;
	e->dirty = false;
	e->kicked = false;
	e->sent++;
	int rc = e->t->send(e->tctx, &e->batch);
	if (rc < 0) {
		char d[96];
		snprintf(d, sizeof(d), "cannot send: %s", strerror(-rc));
		dns_engine_result(e, DNS_TRANSIENT, d);
	}
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	attempt(w->data);
}

static void confirm_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct dns_engine *e = w->data;
	(void)loop;
	(void)revents;
	e->confirm = true; /* the next attempt pushes everything */
	if (e->state == ST_INFLIGHT)
		e->dirty = true;
	else if (e->state == ST_IDLE)
		attempt(e);
	/* in back-off: the retry does it */
}

void dns_engine_result(struct dns_engine *e, enum dns_result r, const char *detail)
{
	if (e->state != ST_INFLIGHT)
		return;
	e->last_time = time(NULL);
	if (r == DNS_OK) {
		e->ok++;
		aset_copy(&e->pushed, &e->sending);
		if (e->cfg->ptr)
			aset_copy(&e->ptr_pushed, &e->sending);
		e->pushed_valid = true;
		e->failures = 0;
		e->servers_tried = 0;
		e->state = ST_IDLE;
		snprintf(e->last, sizeof(e->last), "ok");
		e->host->log(e->inst, NLEVD_LOG_INFO, "updated: %s", detail ? detail : "ok");
		if (e->uncertain) {
			/* A batch that timed out may still sit in the server's
			 * queue (a stopped server, another of its addresses or
			 * threads) and be applied after this one, undoing it:
			 * once that has had time to happen, push it all again. */
			double after = (double)cfg_confirm_ms(e->cfg) / 1000.;
			e->uncertain = false;
			e->host->log(e->inst, NLEVD_LOG_INFO, "an earlier attempt may still be "
				     "applied late: pushing again in %.1f s to be sure", after);
			ev_timer_stop(e->host->loop, &e->confirm_timer);
			ev_timer_set(&e->confirm_timer, after, 0.);
			ev_timer_start(e->host->loop, &e->confirm_timer);
		}
		/* Changes made meanwhile go out now, coalesced. */
		if (e->dirty) {
			attempt(e);
			return;
		}
		once_check(e, true);
		return;
	}
	e->failed++;
	e->failures++;
	bool perm = r == DNS_PERMANENT;
	if (!perm) {
		/* The server may still apply this batch (it timed out, or its
		 * answer was lost): what it holds is no longer known.  The next
		 * batch replaces every RRset, also when the state is back to the
		 * one pushed before, and deletes the PTRs this one may have
		 * added. */
		e->uncertain = true;
		e->pushed_valid = false;
		if (e->cfg->ptr)
			aset_union(&e->ptr_pushed, &e->sending);
	}
	snprintf(e->last, sizeof(e->last), "%s: %s", perm ? "error" : "failed",
		 detail ? detail : "?");
	aset_copy(&e->attempted, &e->sending);
	const struct dns_config *cfg = e->cfg;
	/* Fail over: another server at once, until each was tried. */
	if (!perm && cfg->nservers > 1 && ++e->servers_tried < cfg->nservers) {
		e->server_idx++;
		e->host->log(e->inst, NLEVD_LOG_WARNING, "update failed (%s); trying %s",
			     detail ? detail : "?", cfg->servers[e->server_idx % cfg->nservers].host);
		attempt(e);
		return;
	}
	e->servers_tried = 0;
	if (cfg->nservers > 1)
		e->server_idx++;
	if (e->dirty) {
		/* Changed while the failed batch was in flight: a new state is
		 * tried at once, as it would be in back-off. */
		struct aset want = {0};
		bool same = desired(e, &want) == 0 && aset_equal(&want, &e->sending);
		aset_free(&want);
		if (!same) {
			e->host->log(e->inst, perm ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING,
				     "update %s: %s; the state changed meanwhile: trying that at once",
				     perm ? "refused" : "failed", detail ? detail : "?");
			attempt(e);
			return;
		}
	}
	if (e->kicked) {
		/* The batch went out before the key file was replaced. */
		e->host->log(e->inst, NLEVD_LOG_WARNING, "update %s: %s; retrying at once with the "
			     "reloaded key", perm ? "refused" : "failed", detail ? detail : "?");
		attempt(e);
		return;
	}
	uint64_t d = dns_backoff_ms(cfg->retry_ms, cfg->retry_max_ms, e->failures, perm, rnd(e));
	e->host->log(e->inst, perm ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING,
		     "update %s: %s; retrying in %.1f s", perm ? "refused" : "failed",
		     detail ? detail : "?", (double)d / 1000.);
	e->state = ST_BACKOFF;
	ev_timer_set(&e->timer, (double)d / 1000., 0.);
	ev_timer_start(e->host->loop, &e->timer);
	e->next_retry = ev_now(e->host->loop) + (double)d / 1000.;
	once_check(e, false);
}

void dns_engine_changed(struct dns_engine *e)
{
	if (e->state == ST_INFLIGHT) {
		e->dirty = true;
		return;
	}
	if (e->state == ST_BACKOFF) {
		/* A new change is tried at once; the same state waits. */
		struct aset want = {0};
		bool same = desired(e, &want) == 0 && aset_equal(&want, &e->attempted);
		aset_free(&want);
		if (same)
			return;
	}
	attempt(e);
}

void dns_engine_kick(struct dns_engine *e)
{
	dns_key_file_check(e->host, e->inst, e->cfg->key_file);
	if (e->state == ST_INFLIGHT)
		e->kicked = true;
	else if (e->state == ST_BACKOFF)
		attempt(e);
}

void dns_engine_start(struct dns_engine *e)
{
	/* After the core's start-up replay: push whatever the state is. */
	ev_timer_set(&e->timer, 0., 0.);
	ev_timer_start(e->host->loop, &e->timer);
}

int dns_engine_once(struct dns_engine *e)
{
	if (e->state != ST_INFLIGHT)
		attempt(e); /* --once: now, whatever back-off was pending */
	if (e->state == ST_INFLIGHT) {
		e->once_waiting = true;
		return NLEVD_ONCE_PENDING;
	}
	return e->state == ST_IDLE ? 0 : -1;
}

void dns_engine_status(struct dns_engine *e)
{
	struct aset want = {0};
	char w4[512], w6[512], p4[512], p6[512], when[64] = "never", next[64] = "";
	desired(e, &want);
	aset_str(&want, AF_INET, w4, sizeof(w4));
	aset_str(&want, AF_INET6, w6, sizeof(w6));
	aset_str(&e->pushed, AF_INET, p4, sizeof(p4));
	aset_str(&e->pushed, AF_INET6, p6, sizeof(p6));
	if (e->last_time) {
		struct tm tm;
		gmtime_r(&e->last_time, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	}
	if (e->state == ST_BACKOFF)
		snprintf(next, sizeof(next), "; next retry in %.1f s",
			 e->next_retry - ev_now(e->host->loop));
	else if (ev_is_active(&e->confirm_timer))
		snprintf(next, sizeof(next), "; pushing again in %.1f s to be sure",
			 ev_timer_remaining(e->host->loop, &e->confirm_timer));
	for (size_t i = 0; i < e->cfg->nnames; i++)
		e->host->log(e->inst, NLEVD_LOG_NOTICE,
			     "%s: desired A %s AAAA %s; pushed A %s AAAA %s%s; last %s at %s%s",
			     e->cfg->names[i], w4, w6, e->pushed_valid ? p4 : "?",
			     e->pushed_valid ? p6 : "?", e->state == ST_INFLIGHT ? " (updating)" : "",
			     e->last[0] ? e->last : "-", when, next);
	e->host->log(e->inst, NLEVD_LOG_NOTICE, "%llu updates sent, %llu ok, %llu failed", e->sent,
		     e->ok, e->failed);
	aset_free(&want);
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
	ev_timer_init(&e->timer, timer_cb, 0., 0.);
	e->timer.data = e;
	ev_timer_init(&e->confirm_timer, confirm_cb, 0., 0.);
	e->confirm_timer.data = e;
	return e;
}

void dns_engine_free(struct dns_engine *e)
{
	if (!e)
		return;
	ev_timer_stop(e->host->loop, &e->timer);
	ev_timer_stop(e->host->loop, &e->confirm_timer);
	if (e->state == ST_INFLIGHT && e->t->cancel)
		e->t->cancel(e->tctx);
	dns_batch_free(&e->batch);
	aset_free(&e->pushed);
	aset_free(&e->ptr_pushed);
	aset_free(&e->sending);
	aset_free(&e->attempted);
	free(e);
}
