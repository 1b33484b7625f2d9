/* timer.c: timers an instance owns (host->timer_*). */
#ifndef NLEVD_TIMER_H
#define NLEVD_TIMER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

struct ev_loop;

struct timers {
	struct nlevd_timer *head;
	struct ev_loop *loop;
	struct nlevd_instance *inst; /* passed to the callbacks */
	bool closed;                 /* the instance is going: no new timers */
};
void timers_init(struct timers *ts, struct ev_loop *loop, struct nlevd_instance *inst);
/* As host->timer_start; -ECANCELED once closed. */
int timers_start(struct timers *ts, struct nlevd_timer **tp, uint64_t after_ms,
		 uint64_t repeat_ms, nlevd_timer_cb cb, void *arg);
void timers_stop(struct timers *ts, struct nlevd_timer **tp);
bool timers_active(const struct nlevd_timer *t);
void timers_close(struct timers *ts); /* stop all, refuse new ones */
void timers_free(struct timers *ts);  /* close, then free all */
size_t timers_count(const struct timers *ts);

#endif
