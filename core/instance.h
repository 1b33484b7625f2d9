/* instance.c: plugin instances, across reloads. */
#ifndef NLEVD_INSTANCE_H
#define NLEVD_INSTANCE_H

#include <stdbool.h>
#include <stddef.h>

#include "filter.h"
#include "nlevd/plugin.h"
#include "timer.h"

struct cfg;
struct cfg_section;
struct ev_loop;
struct instcfg_mem;
struct module;
struct pevent;
struct router;

/* An instance's life, in this order (a stub standing for a kept instance
 * stays INST_NEW).  From INST_CREATED on, destroy() is due; from
 * INST_STARTED on, it receives events.  The last three are --once's. */
enum instance_state {
	INST_NEW,          /* allocated; create() has not succeeded */
	INST_CREATED,      /* create() ran: destroy() is due */
	INST_START_FAILED, /* --once: start() failed, the others went on */
	INST_STARTED,      /* start() ran; the start-up replay is still due */
	INST_RUNNING,      /* replayed; --once: its work is not finished yet */
	INST_ONCE_OK,      /* --once: finished, successfully */
	INST_ONCE_FAILED,  /* --once: finished, failed */
};
struct instance {
	struct instance *next;
	char *name;
	struct cfg_section *section; /* private copy of the [section] */
	struct cfg *errs;            /* where cfg_error goes while creating */
	char *fingerprint;           /* plugin + keys: unchanged across a reload? */
	struct instance *reuse;      /* stub standing for a kept old instance */
	struct module *mod;
	const struct nlevd_plugin *p;
	void *priv;
	struct filter filter;
	struct router *router;
	enum instance_state state;
	bool emit_loop_warned, emit_full_warned; /* host->emit's -ELOOP, -ENOBUFS said */
	struct timers timers;
	struct instcfg_mem *mem; /* what cfg_words, cfg_command returned */
};
struct instances {
	struct instance *head;
	bool check; /* -t: instances are created only to check the configuration */
	/* --once: a start() that fails does not stop the others, each gets the
	 * replay (startup = no or not), then is flushed and asked to finish. */
	bool once;
};
static inline bool instance_started(const struct instance *i)
{
	return i->state >= INST_STARTED;
}
/* What a plugin holds as its struct nlevd_instance * is the struct instance. */
static inline struct instance *instance_of(struct nlevd_instance *inst)
{
	return (struct instance *)(void *)inst;
}
static inline struct nlevd_instance *instance_handle(struct instance *i)
{
	return (struct nlevd_instance *)(void *)i;
}
/* Create every instance of cfg; errors go to cfg.  Sections identical to
 * one of old's become stubs that instances_commit() resolves.  0 or -1. */
int instances_create(struct cfg *cfg, struct ev_loop *loop, const struct instances *old,
		     struct instances *out);
/* Start every new instance of set (open its files...), without events yet.
 * -1 (logged) if one cannot: the caller destroys set, and a reload keeps
 * the old configuration.  With set->once, a failure is that instance's
 * result (INST_START_FAILED, logged) and the others still start. */
int instances_start(struct instances *set);
/* Make neu (started) the running set: kept instances move over (and
 * reopen), the rest of old is destroyed, new instances get their replay;
 * with neu->once each is then flushed and asked to finish (once_run()). */
void instances_commit(struct instances *old, struct instances *neu);
void instances_destroy(struct instances *set, enum nlevd_stop_reason why);
void instances_dispatch(struct instances *set, const struct nlevd_event *ev);
/* A plugin event to every started instance but its source. */
void instances_dispatch_plugin(struct instances *set, struct pevent *pe);
void instances_status(struct instances *set);
/* i's structured status (NULL: it has no report(), or out of memory). */
struct nlevd_status *instance_report(struct instance *i);
/* Each instance's structured status as log lines (the --once summary). */
void instances_report_log(struct instances *set);
/* "NAME: summary; NAME: summary" of the instances that give one, as
 * snprintf (the length it needs; buf NUL-terminated when len > 0). */
size_t instances_summary(struct instances *set, char *buf, size_t len);
/* nlevctl push: each started instance whose plugin has push() (a 1.0 one
 * has not), or only the one named; cb(name, arg) for each that was pushed.
 * The number pushed, or -ENOENT when name is no instance. */
int instances_push(struct instances *set, const char *name,
		   void (*cb)(const char *name, void *arg), void *arg);
/* SIGHUP after a refused reload: each running instance's reopen. */
void instances_reopen(struct instances *set);
/* The state's start-up events, into i's router. */
void instance_replay(struct instance *i);

#endif
