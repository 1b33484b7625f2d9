/* Timers that an instance owns (host->timer_start): libev timers the core
 * stops when the instance goes, so a plugin needs no libev of its own.
 *
 * A timer stays allocated until the plugin stops it or the instance is
 * freed, also after it fired: the plugin's pointer never dangles, and
 * re-arming it costs no allocation.  When the instance goes, new timers
 * are refused from its stop() on, timers_close() (after stop()) stops them
 * all, and timers_free() (after its destroy()) frees what the plugin did
 * not, so a plugin may still call timer_stop() in destroy(). */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>

#include "timer.h"

struct nlevd_timer {
	ev_timer w; /* first: the watcher is the timer */
	struct timers *owner;
	struct nlevd_timer *next, **pprev;
	nlevd_timer_cb cb;
	void *arg;
};

static void timer_fire_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct nlevd_timer *t = (struct nlevd_timer *)(void *)w;
	/* The callback may stop (free) t, or the timer and re-arm it. */
	t->cb(t->owner->inst, t->arg);
}

void timers_init(struct timers *ts, struct ev_loop *loop, struct nlevd_instance *inst)
{
	ts->head = NULL;
	ts->loop = loop;
	ts->inst = inst;
	ts->closed = false;
}

int timers_start(struct timers *ts, struct nlevd_timer **tp, uint64_t after_ms,
		 uint64_t repeat_ms, nlevd_timer_cb cb, void *arg)
{
	if (!tp || !cb)
		return -EINVAL;
	if (ts->closed)
		return -ECANCELED; /* the instance is going */
	struct nlevd_timer *t = *tp;
	if (t && t->owner != ts)
		return -EINVAL; /* another instance's */
	if (!t) {
		if (!(t = calloc(1, sizeof(*t))))
			return -ENOMEM;
		ev_init(&t->w, timer_fire_cb);
		t->owner = ts;
		t->next = ts->head;
		if (ts->head)
			ts->head->pprev = &t->next;
		t->pprev = &ts->head;
		ts->head = t;
		*tp = t;
	}
	t->cb = cb;
	t->arg = arg;
	ev_timer_stop(ts->loop, &t->w);
	/* libev counts from the loop's cached time, which lags when a callback
	 * ran long: refresh it so that "after 1 s" is not 0.2 s. */
	ev_now_update(ts->loop);
	ev_timer_set(&t->w, (ev_tstamp)after_ms / 1000.0, (ev_tstamp)repeat_ms / 1000.0);
	ev_timer_start(ts->loop, &t->w);
	return 0;
}

void timers_stop(struct timers *ts, struct nlevd_timer **tp)
{
	struct nlevd_timer *t = tp ? *tp : NULL;
	if (!t || t->owner != ts)
		return;
	ev_timer_stop(ts->loop, &t->w);
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	free(t);
	*tp = NULL;
}

bool timers_active(const struct nlevd_timer *t)
{
	return t && ev_is_active(&t->w);
}

void timers_close(struct timers *ts)
{
	ts->closed = true;
	for (struct nlevd_timer *t = ts->head; t; t = t->next)
		ev_timer_stop(ts->loop, &t->w);
}

void timers_free(struct timers *ts)
{
	timers_close(ts);
	while (ts->head) {
		struct nlevd_timer *t = ts->head;
		ts->head = t->next;
		free(t);
	}
}

size_t timers_count(const struct timers *ts)
{
	size_t n = 0;
	for (const struct nlevd_timer *t = ts->head; t; t = t->next)
		n++;
	return n;
}
