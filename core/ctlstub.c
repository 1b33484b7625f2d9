/* ctlstub.c: STUB until the ctlmet branch (core/metrics.c, instances_push) is
 * merged: an empty exposition and -ENOSYS.  The lead deletes this file. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "metrics.h"

void metrics_count_event(const struct nlevd_event *ev)
{
	(void)ev;
}

void metrics_count_control_drop(void)
{
}

char *metrics_text(struct instances *set)
{
	(void)set;
	return strdup("");
}

int instances_push(struct instances *set, const char *name,
		   void (*cb)(const char *name, void *arg), void *arg)
{
	(void)set;
	(void)name;
	(void)cb;
	(void)arg;
	return -ENOSYS;
}
