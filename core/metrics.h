/* metrics.c: counters and the Prometheus text exposition (nlevctl metrics). */
#ifndef NLEVD_METRICS_H
#define NLEVD_METRICS_H

#include "nlevd/plugin.h"

struct instances;

void metrics_count_event(const struct nlevd_event *ev); /* main's dispatch */
void metrics_count_control_drop(void);
char *metrics_text(struct instances *set); /* malloc'd exposition */

#endif
