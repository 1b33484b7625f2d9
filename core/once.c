/* --once: each instance started, replayed, flushed and asked to finish; who has finished. */
#include <string.h>

#include "nlevd.h"

/* Told each time an instance finishes: main's, passed in by instances_once(). */
static void (*finished_cb)(void *arg);
static void *finished_arg;

void instances_once(struct instances *set, void (*finished)(void *arg), void *arg)
{
	finished_cb = finished;
	finished_arg = arg;
	for (struct instance *i = set->head; i; i = i->next) {
		int st = i->p->start ? i->p->start(instance_handle(i), i->priv) : 0;
		if (st < 0) {
			log_err("[%s] cannot start: %s", i->name, strerror(-st));
			i->once_state = -1;
			continue;
		}
		i->started = true;
		instance_replay(i);
		router_flush(i->router);
		int rc = i->p->once ? i->p->once(instance_handle(i), i->priv) : 0;
		if (rc != NLEVD_ONCE_PENDING && i->once_state == 0)
			i->once_state = rc < 0 ? -1 : 1;
	}
}

int instances_once_result(struct instances *set)
{
	int res = 1;
	for (struct instance *i = set->head; i; i = i->next) {
		if (i->once_state == 0)
			return 0;
		if (i->once_state < 0)
			res = -1;
	}
	return res;
}

void once_done(struct nlevd_instance *inst, bool ok)
{
	struct instance *i = instance_of(inst);
	if (i->once_state == 0)
		i->once_state = ok ? 1 : -1;
	if (finished_cb)
		finished_cb(finished_arg);
}
