/* --once's results: each instance's once() asked, and who has finished, how. */
#include "instance.h"
#include "once.h"
#include "router.h"

/* Told each time an instance finishes later: main's, from once_init(). */
static void (*finished_cb)(void *arg);
static void *finished_arg;

void once_init(void (*finished)(void *arg), void *arg)
{
	finished_cb = finished;
	finished_arg = arg;
}

void once_run(struct instance *i)
{
	router_flush(i->router);
	int rc = i->p->once ? i->p->once(instance_handle(i), i->priv) : 0;
	/* once_done() from inside once() has said it already. */
	if (rc != NLEVD_ONCE_PENDING && i->state == INST_RUNNING)
		i->state = rc < 0 ? INST_ONCE_FAILED : INST_ONCE_OK;
}

int instances_once_result(struct instances *set)
{
	int res = 1;
	for (struct instance *i = set->head; i; i = i->next) {
		if (i->state == INST_RUNNING)
			return 0;
		if (i->state != INST_ONCE_OK)
			res = -1;
	}
	return res;
}

void once_done(struct nlevd_instance *inst, bool ok)
{
	struct instance *i = instance_of(inst);
	if (i->state == INST_RUNNING)
		i->state = ok ? INST_ONCE_OK : INST_ONCE_FAILED;
	if (finished_cb)
		finished_cb(finished_arg);
}
