/* emit.c: plugin events (host->emit): the queue and its refcounted events. */
#ifndef NLEVD_EMIT_H
#define NLEVD_EMIT_H

#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

struct ev_loop;

/* One emitted event, shared (refcounted) by the queue and every router
 * that holds it while it settles.  ev.name and ev.fields point into it. */
struct pevent {
	struct pevent *next; /* in the emit queue */
	unsigned refs;
	unsigned depth; /* 0: emitted outside the delivery of a plugin event */
	int id;         /* plugin_event_parse() */
	const char *source;
	struct nlevd_event ev; /* type NLEVD_EV_PLUGIN */
	struct nlevd_field f[]; /* source, the emitter's fields, then the strings */
};
/* The pevent around a NLEVD_EV_PLUGIN event that the core made. */
static inline struct pevent *pevent_of(const struct nlevd_event *ev)
{
	return (struct pevent *)(void *)((char *)(uintptr_t)ev - offsetof(struct pevent, ev));
}
/* Check and copy (one allocation, refs = 1): 0, -EINVAL or -ENOMEM. */
int pevent_new(const char *source, const char *event, const struct nlevd_field *fields,
	       size_t nfields, unsigned depth, struct pevent **out);
void pevent_ref(struct pevent *pe);
void pevent_unref(struct pevent *pe); /* NULL is fine */
typedef void (*emit_deliver_cb)(struct pevent *pe, void *arg);
/* The queue delivers into cb from loop, one batch per loop iteration. */
void emit_init(struct ev_loop *loop, emit_deliver_cb cb, void *arg);
void emit_free(void); /* what is still queued is dropped */
/* Queue an event from source: 0, -EINVAL, -ELOOP, -ENOBUFS, -ENOMEM (as
 * host->emit), the depth taken from the delivery under way. */
int emit_event(const char *source, const char *event, const struct nlevd_field *fields,
	       size_t nfields);
/* Around the delivery of a plugin event to a plugin: what it emits
 * meanwhile is one deeper.  Returns what emit_leave() restores. */
unsigned emit_enter(const struct pevent *pe);
void emit_leave(unsigned saved);
size_t emit_queued(void);

#endif
