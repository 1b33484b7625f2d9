/* router.c: per-instance settle queues. */
#ifndef NLEVD_ROUTER_H
#define NLEVD_ROUTER_H

#include <stddef.h>

#include "nlevd/plugin.h"

struct ev_loop;
struct filter;
struct pevent;

struct router;
typedef void (*router_deliver_cb)(const struct nlevd_event *ev, void *arg);
struct router *router_new(struct ev_loop *loop, const struct filter *f,
			  router_deliver_cb cb, void *arg);
void router_free(struct router *r);
void router_push(struct router *r, const struct nlevd_event *ev);
/* A plugin event: filtered by `events` only; held (a reference) while
 * settling, never merged with another. */
void router_push_plugin(struct router *r, struct pevent *pe);
void router_flush(struct router *r); /* deliver what is pending now */
size_t router_pending(const struct router *r);

#endif
