/* child.c: child processes for plugins (host->child_spawn). */
#ifndef NLEVD_CHILD_H
#define NLEVD_CHILD_H

#include "nlevd/plugin.h"

struct ev_loop;

/* Before the first child_spawn(): the loop (libev's default one: only it
 * reaps children) and idle, called with arg whenever the last child has
 * been reaped (NULL: nothing to call). */
void child_init(struct ev_loop *loop, void (*idle)(void *arg), void *arg);
/* The host table's child_spawn for owner (opaque, for child_disown_all()),
 * whose lines are logged as "[prefix] ..." (copied; NULL logs "-"). */
struct nlevd_child *child_spawn(void *owner, const char *prefix,
				const struct nlevd_child_spec *spec);
void child_kill(struct nlevd_child *c);
/* owner is going away: its children get TERM, their done and line are
 * never called, and they are logged as "-". */
void child_disown_all(const void *owner);
int child_count(void);
void child_kill_all(void);

#endif
