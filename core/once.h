/* once.c: --once's results. */
#ifndef NLEVD_ONCE_H
#define NLEVD_ONCE_H

#include <stdbool.h>

#include "nlevd/plugin.h"

struct instance;
struct instances;

/* finished(arg) is called whenever an instance says later (host->once_done)
 * that it has finished. */
void once_init(void (*finished)(void *arg), void *arg);
/* i (just replayed) flushed and asked to finish: its once() result. */
void once_run(struct instance *i);
int instances_once_result(struct instances *set); /* 0 pending, 1 all ok, -1 some failed */
void once_done(struct nlevd_instance *inst, bool ok); /* the host table's once_done */

#endif
