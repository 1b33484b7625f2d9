/* metrics.c: the daemon's counters, and all of them as Prometheus text. */
#ifndef NLEVD_METRICS_H
#define NLEVD_METRICS_H

#include "nlevd/plugin.h"

struct instances;

/* An event main dispatches: a kernel one by its type (those of the first
 * read of the state too), a plugin one by its name.  An instance's start-up
 * replay does not pass here: nothing happened. */
void metrics_count_event(const struct nlevd_event *ev);
/* A control client dropped for not reading its replies. */
void metrics_count_control_drop(void);
/* Everything in the text exposition format 0.0.4: the core's families, then
 * each instance's "metrics" status object.  malloc'd; NULL: out of memory. */
char *metrics_text(struct instances *set);

#endif
