/* An http instance's outbox: payloads waiting, one request in flight,
 * back-off with the providers' pauses, the block after a permanent answer,
 * and what the status and the metrics say of it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../dns/backoff.h"
#include "outbox.h"

struct item {
	struct item *next;
	char *payload, *meta;
	size_t len;
	bool force; /* nlevctl push: sent even if delivered already */
};

struct outbox {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const struct http_config *cfg;
	bool latest;
	char label[600];
	outbox_result_cb cb;
	void *arg;
	struct curlev *cev;
	struct item *head, **tail, *cur;
	size_t n;
	struct item *last; /* latest: the payload last delivered */
	struct http_req *req;
	struct nlevd_timer *timer;
	double retry_at;
	unsigned failures;
	bool blocked, overflowing;
	uint32_t rng;
	char word[DYNDNS2_WORD_MAX];
	char error[800];
	unsigned long long sent, ok, failed, dropped;
	time_t last_success;
};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double rnd(struct outbox *o)
{
	o->rng ^= o->rng << 13;
	o->rng ^= o->rng >> 17;
	o->rng ^= o->rng << 5;
	return (double)(o->rng % 1000000) / 1000000.0;
}

static void item_free(struct item *it)
{
	if (!it)
		return;
	free(it->payload);
	free(it->meta);
	free(it);
}

static struct item *item_new(const char *payload, size_t len, const char *meta)
{
	struct item *it = calloc(1, sizeof(*it));
	if (!it)
		return NULL;
	it->payload = malloc(len + 1);
	it->meta = strdup(meta ? meta : "");
	if (!it->payload || !it->meta) {
		item_free(it);
		return NULL;
	}
	memcpy(it->payload, payload, len);
	it->payload[len] = 0;
	it->len = len;
	return it;
}

static bool same(const struct item *a, const char *payload, size_t len)
{
	return a && a->len == len && !memcmp(a->payload, payload, len);
}

static struct item *pop(struct outbox *o)
{
	struct item *it = o->head;
	if (!it)
		return NULL;
	o->head = it->next;
	if (!o->head)
		o->tail = &o->head;
	it->next = NULL;
	o->n--;
	if (!o->n)
		o->overflowing = false;
	return it;
}

static void push_front(struct outbox *o, struct item *it)
{
	it->next = o->head;
	o->head = it;
	if (!it->next)
		o->tail = &it->next;
	o->n++;
}

static void append(struct outbox *o, struct item *it)
{
	*o->tail = it;
	o->tail = &it->next;
	o->n++;
}

static void kick(struct outbox *o);

static void timer_cb(struct nlevd_instance *inst, void *arg)
{
	(void)inst;
	kick(arg);
}

static void backoff(struct outbox *o, uint64_t ms)
{
	o->retry_at = now_s() + (double)ms / 1000.;
	if (o->host->timer_start(o->inst, &o->timer, ms, 0, timer_cb, o) < 0)
		o->host->log(o->inst, NLEVD_LOG_ERR, "cannot start the retry timer");
}

static bool waiting(const struct outbox *o)
{
	return o->host->timer_active(o->timer);
}

static void result_cb(struct http_req *r, const struct http_res *res, void *arg)
{
	(void)r;
	struct outbox *o = arg;
	struct item *it = o->cur;
	const struct http_config *cfg = o->cfg;
	o->cur = NULL;
	o->req = NULL;
	snprintf(o->word, sizeof(o->word), "%s", res->word);
	const char *what = o->latest ? "state" : "event";
	if (res->cls == HTTP_OK) {
		o->ok++;
		o->failures = 0;
		o->error[0] = 0;
		o->last_success = time(NULL);
		o->host->log(o->inst, o->latest ? NLEVD_LOG_NOTICE : NLEVD_LOG_INFO, "%s: %s",
			     o->label, res->msg);
		o->cb(o->arg, it->meta, res);
		if (o->latest) {
			item_free(o->last);
			o->last = it;
		} else {
			item_free(it);
		}
		kick(o);
		return;
	}
	o->failed++;
	o->failures++;
	if (res->cls == HTTP_PERMANENT) {
		if (o->latest) {
			o->blocked = true;
			snprintf(o->error, sizeof(o->error), "%s: permanent; nothing is sent until "
							    "a reload or nlevctl push",
				 res->msg);
		} else {
			snprintf(o->error, sizeof(o->error), "%s: permanent; the %s is dropped",
				 res->msg, what);
		}
		o->host->log(o->inst, NLEVD_LOG_ERR, "%s: %s", o->label, o->error);
		o->cb(o->arg, it->meta, res);
		if (o->latest && !o->head)
			push_front(o, it); /* what a reload or a push sends */
		else
			item_free(it);
		kick(o);
		return;
	}
	uint64_t ms = dns_backoff_ms(cfg->retry_ms, cfg->retry_max_ms, o->failures, res->tls,
				     rnd(o));
	if (res->cls == HTTP_SLOW && ms < DYNDNS2_SLOW_MS)
		ms = DYNDNS2_SLOW_MS; /* 911, dnserr, 429: whatever retry says */
	uint64_t ra = (uint64_t)(res->retry_after > 3600 ? 3600 : res->retry_after) * 1000;
	if (ra > ms)
		ms = ra;
	snprintf(o->error, sizeof(o->error), "%s; retrying in %.1f s", res->msg, (double)ms / 1000.);
	o->host->log(o->inst, res->tls ? NLEVD_LOG_ERR : NLEVD_LOG_WARNING, "%s: %s", o->label,
		     o->error);
	o->cb(o->arg, it->meta, res);
	/* The same payload again, unless a newer state replaced it. */
	if (o->latest && o->head)
		item_free(it);
	else
		push_front(o, it);
	backoff(o, ms);
}

static void kick(struct outbox *o)
{
	while (!o->cur && !o->blocked && !waiting(o) && o->head) {
		struct item *it = pop(o);
		if (o->latest && !it->force && !o->failures && same(o->last, it->payload, it->len)) {
			item_free(it); /* delivered already */
			continue;
		}
		o->cur = it;
		o->sent++;
		if (http_req_start(o->cev, o->cfg, it->payload, it->len, result_cb, o, &o->req) < 0) {
			o->cur = NULL;
			o->sent--;
			push_front(o, it);
			o->host->log(o->inst, NLEVD_LOG_ERR, "cannot start a request: out of memory");
			backoff(o, o->cfg->retry_ms);
		}
	}
}

int outbox_put(struct outbox *o, const char *payload, size_t len, const char *meta)
{
	if (o->latest) {
		/* Only the newest state matters. */
		while (o->head)
			item_free(pop(o));
		if (same(o->cur, payload, len))
			return 0; /* on its way */
		if (!o->cur && !o->failures && same(o->last, payload, len))
			return 0; /* delivered: never sent again unchanged */
	} else if (o->n >= o->cfg->queue) {
		item_free(pop(o));
		o->dropped++;
		if (!o->overflowing)
			o->host->log(o->inst, NLEVD_LOG_WARNING,
				     "queue full (%llu waiting): dropping the oldest events",
				     (unsigned long long)o->cfg->queue);
		o->overflowing = true;
	}
	struct item *it = item_new(payload, len, meta);
	if (!it)
		return -ENOMEM;
	append(o, it);
	kick(o);
	return 0;
}

void outbox_push(struct outbox *o, bool again)
{
	o->blocked = false;
	o->failures = 0;
	o->host->timer_stop(o->inst, &o->timer);
	if (again && o->latest && !o->cur && !o->head && o->last) {
		struct item *it = item_new(o->last->payload, o->last->len, o->last->meta);
		if (it) {
			it->force = true;
			append(o, it);
		}
	}
	kick(o);
}

void outbox_unblock(struct outbox *o)
{
	if (!o->blocked)
		return;
	o->blocked = false;
	o->error[0] = 0;
	kick(o);
}

bool outbox_idle(const struct outbox *o)
{
	return !o->cur && !o->head;
}

bool outbox_blocked(const struct outbox *o)
{
	return o->blocked;
}

const char *outbox_state(const struct outbox *o)
{
	return o->cur ? "sending" : o->blocked ? "blocked" : waiting(o) ? "backoff" : "idle";
}

void outbox_report(struct outbox *o, struct nlevd_status *st, const char *state)
{
	const struct nlevd_host *h = o->host;
	h->status_string(st, "state", "%s", state ? state : outbox_state(o));
	if (*o->word)
		h->status_string(st, "last_result", "%s", o->word);
	if (*o->error)
		h->status_string(st, "error", "%s", o->error);
	if (waiting(o) && !o->cur) {
		double left = o->retry_at - now_s();
		h->status_string(st, "retry_in", "%.1f s", left > 0 ? left : 0.);
	}
	if (!o->latest)
		h->status_uint(st, "queue", o->n);
	h->status_object(st, "metrics");
	h->status_uint(st, "updates_sent_total", o->sent);
	h->status_object(st, "updates_total");
	h->status_object(st, "result");
	h->status_uint(st, "ok", o->ok);
	h->status_uint(st, "failed", o->failed);
	h->status_end(st);
	h->status_end(st);
	h->status_uint(st, "queue_dropped_total", o->dropped);
	h->status_uint(st, "last_success_timestamp_seconds",
		       o->last_success > 0 ? (uint64_t)o->last_success : 0);
	h->status_end(st);
	h->status_uint(st, "updates_sent", o->sent);
	h->status_uint(st, "updates_ok", o->ok);
	h->status_uint(st, "updates_failed", o->failed);
}

struct outbox *outbox_new(const struct nlevd_host *host, struct nlevd_instance *inst,
			  const struct http_config *cfg, const char *label, bool latest,
			  outbox_result_cb cb, void *arg)
{
	struct outbox *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->host = host;
	o->inst = inst;
	o->cfg = cfg;
	o->latest = latest;
	snprintf(o->label, sizeof(o->label), "%s", label);
	o->cb = cb;
	o->arg = arg;
	o->tail = &o->head;
	o->rng = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)o;
	if (!o->rng)
		o->rng = 1;
	if (!(o->cev = curlev_new(host->loop))) {
		free(o);
		return NULL;
	}
	return o;
}

void outbox_free(struct outbox *o)
{
	if (!o)
		return;
	http_req_cancel(o->req);
	item_free(o->cur);
	while (o->head)
		item_free(pop(o));
	item_free(o->last);
	curlev_free(o->cev);
	free(o);
}
