/* Core-private declarations.  Data flows one way:
 * netlink.c (socket) -> nlmsg.c (bytes -> records) -> state.c (table, diff
 * -> events) -> router.c (filters, settle) -> instance.c (plugin instances). */
#ifndef NLEVD_CORE_H
#define NLEVD_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "nlevd/plugin.h"

#define container_of(p, type, member)                                           \
	((type *)(void *)((char *)(p)-offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- log.c ---- */
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };
void log_setup(enum log_target target, int level);
int log_level_get(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap);
#define log_err(...) log_msg(NLEVD_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(NLEVD_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(NLEVD_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(NLEVD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(NLEVD_LOG_DEBUG, __VA_ARGS__)
int log_level_parse(const char *s);

/* ---- util.c: value parsers, pure ---- */
int parse_bool(const char *s, bool *out);
int parse_uint(const char *s, uint64_t max, uint64_t *out);
int parse_duration_ms(const char *s, uint64_t *out);
int parse_size(const char *s, uint64_t *out);
/* Split on blanks into a NULL-terminated vector of strdup'd words. */
char **split_words(const char *s, size_t *n);
void free_words(char **v);
struct prefix {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};
int parse_prefix(const char *s, struct prefix *p);
bool prefix_match(const struct prefix *p, int family, const uint8_t *addr);
bool name_valid(const char *s); /* [A-Za-z0-9_.-]+ */
int utf8_seq(const unsigned char *p, uint32_t *cp); /* valid UTF-8 sequence length or 0 */
uint64_t now_ms(void);

/* ---- event.c: the one encoder for text, JSON and env ---- */
const char *event_name(enum nlevd_event_type t);
const char *event_name_of(const struct nlevd_event *ev); /* a plugin event's own name too */
int event_parse(const char *s);
/* The plugin events the core knows: an id 0 .. 31 for a name, or -1. */
int plugin_event_parse(const char *s);
const char *plugin_event_name(int id); /* NULL past the last */
void event_fields(const struct nlevd_event *ev, nlevd_field_cb cb, void *arg);
size_t event_json(const struct nlevd_event *ev, char *buf, size_t len);
size_t event_text(const struct nlevd_event *ev, char *buf, size_t len);
size_t addr_flags_str(uint32_t flags, int family, char *buf, size_t len);
size_t link_flags_str(uint32_t flags, char *buf, size_t len);
const char *scope_name(uint8_t scope);
const char *operstate_name(uint8_t op);

/* ---- config.c ---- */
struct cfg_kv {
	struct cfg_kv *next;
	char *key, *value;
	const char *file;
	int line;
	bool used;
};
struct cfg_section {
	struct cfg_section *next;
	char *name;
	const char *file;
	int line;
	struct cfg_kv *kvs;
};
struct cfg_error {
	struct cfg_error *next;
	char *msg;
};
struct cfg {
	struct cfg_section *sections; /* [nlevd] excluded */
	struct cfg_section *global;
	struct cfg_error *errors, **errors_tail;
	int nerrors;
	char **files; /* owned file names */
	size_t nfiles;
	/* [nlevd] values */
	char *plugin_dir;   /* the search path as written (-P, plugin_dir, the default) */
	char **plugin_path; /* its directories, NULL-terminated; the first match wins */
	int log_level;
	int log_target; /* -1 = not set */
	char *user, *group, *pidfile;
	uint64_t netlink_rcvbuf;
};
struct cfg *cfg_load(const char *path, const char *plugin_dir_override);
/* Parse a buffer (for tests and the fuzzer); name is used in messages. */
struct cfg *cfg_load_buffer(const char *name, const char *buf, size_t len);
void cfg_free(struct cfg *c);
void cfg_error(struct cfg *c, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
struct cfg_kv *cfg_find(struct cfg_section *s, const char *key);
void cfg_print_errors(const struct cfg *c, FILE *f);
void cfg_log_errors(const struct cfg *c);

/* ---- nlmsg.c: pure decoder over bytes ---- */
enum nl_kind { NL_LINK_NEW, NL_LINK_DEL, NL_ADDR_NEW, NL_ADDR_DEL, NL_DONE, NL_ERROR };
struct nl_rec {
	enum nl_kind kind;
	uint16_t nlflags;
	uint32_t seq;
	uint32_t portid; /* nlmsg_pid: a dump reply's is the requester's */
	int error; /* NL_ERROR: -errno or 0 (ack) */
	struct nlevd_link link;
	struct nlevd_addr addr;
};
struct nl_stats {
	uint64_t messages, malformed, ignored, foreign, resyncs, overruns;
};
typedef void (*nl_rec_cb)(const struct nl_rec *rec, void *arg);
/* Decode every message in buf.  Returns the number of records delivered;
 * malformed messages are counted in st and skipped. */
int nlmsg_decode(const void *buf, size_t len, nl_rec_cb cb, void *arg,
		 struct nl_stats *st);
/* Whom to believe.  A datagram is the kernel's when its source address
 * (from recvmsg, fromlen bytes) is a sockaddr_nl of port 0 whose groups
 * are within the socket's subscription (0 for a unicast reply): any local
 * process may send to a netlink socket's port id. */
bool nlmsg_from_kernel(const void *from, size_t fromlen, uint32_t groups);
/* A record answers our request seq on our socket (port id portid). */
bool nlmsg_is_reply(const struct nl_rec *rec, uint32_t seq, uint32_t portid);
/* The receive path of both sockets: a datagram not from the kernel is
 * counted foreign and dropped (-EPERM); else decoded into cb, and with
 * portid != 0 (the dump socket) only replies to seq are delivered, the
 * rest counted ignored.  Returns the records delivered. */
int nlmsg_input(const void *from, size_t fromlen, uint32_t groups, uint32_t seq,
		uint32_t portid, const void *buf, size_t len, nl_rec_cb cb, void *arg,
		struct nl_stats *st);

/* ---- state.c ---- */
struct state_link;
typedef void (*state_event_cb)(const struct nlevd_event *ev, void *arg);
void state_init(state_event_cb cb, void *arg);
void state_free(void);
/* True when rec refers to an object the table does not have (an address of
 * an unknown interface): a message was lost, the state must be read again. */
bool state_apply(const struct nl_rec *rec);
void state_mark(void);  /* begin a resync: everything unseen */
void state_sweep(void); /* end it: what was not seen is gone */
bool state_link_known(int ifindex);
const struct nlevd_link *state_link_get(int ifindex);
int state_link_foreach(nlevd_link_cb cb, void *arg);
int state_addr_foreach(int ifindex, nlevd_addr_cb cb, void *arg);
void state_replay(state_event_cb cb, void *arg); /* initial events */
void state_dump_log(void);
size_t state_count_links(void);
size_t state_count_addrs(void);
bool addr_usable(uint32_t flags);

/* ---- netlink.c ---- */
struct ev_loop;
int netlink_open(struct ev_loop *loop, uint64_t rcvbuf);
int netlink_initial_dump(void);
void netlink_close(void);
void netlink_stats_log(void);
extern struct nl_stats nl_stats;
/* One datagram from the monitor socket: decoded into the state.  True when
 * a message in it was malformed or cut short, or referred to an object the
 * state does not have, i.e. an event may be lost and the state must be
 * read again (the caller asks for the resync). */
bool netlink_input(const void *buf, size_t len);

/* ---- filter.c: an instance's filter, parsed and matched ---- */
struct filter {
	uint32_t events; /* bit per enum nlevd_event_type */
	uint32_t pevents; /* bit per plugin_event_parse() id; none by default */
	char **ifpat;    /* patterns; "!" prefix excludes */
	uint8_t families; /* 1 = ipv4, 2 = ipv6 */
	uint8_t scopes;   /* NLEVD_SCOPE_* */
	struct prefix *prefixes;
	bool *prefix_neg;
	size_t nprefixes;
	bool temporary;
	bool startup;
	uint64_t settle_ms;
};
/* The core's per-instance keys that filter_parse() reads (NULL-terminated). */
extern const char *const filter_keys[];
/* An error about key kv (NULL: the section), msg already formatted. */
typedef void (*filter_error_cb)(void *arg, const struct cfg_kv *kv, const char *msg);
/* The keys of s into f, with p's defaults; every bad key goes to err.
 * 0 or -EINVAL; either way f is filter_free()'d by the caller. */
int filter_parse(struct filter *f, struct cfg_section *s, const struct nlevd_plugin *p,
		 filter_error_cb err, void *arg);
bool filter_ifname(const struct filter *f, const char *ifname);
bool filter_addr(const struct filter *f, const struct nlevd_addr *a);
bool filter_event(const struct filter *f, const struct nlevd_event *ev);
bool filter_plugin_event(const struct filter *f, int id); /* plugin_event_parse() id */
void filter_free(struct filter *f);

/* ---- emit.c: plugin events (host->emit) ---- */
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

/* ---- router.c: per-instance settle queues ---- */
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

/* ---- child.c ---- */
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

/* ---- module.c: plugin modules, shared by the instances of a type ---- */
struct module;
/* Load DIR/TYPE from the first of dirs (NULL-terminated) that has it, or
 * take another reference to it; errors go to cfg at file:line (a missing
 * plugin's names every directory).  NULL if it is nowhere, cannot be
 * loaded or its descriptor is refused. */
struct module *module_get(struct cfg *cfg, const char *const *dirs, const char *type,
			  const char *file, int line);
void module_put(struct module *m); /* NULL is fine; the last reference unloads */
const struct nlevd_plugin *module_plugin(const struct module *m);
/* "NAME VERSION (ABI x.y) from FILE" */
void module_describe(const struct module *m, char *buf, size_t len);
/* "loaded plugin ..." (info) for each module not yet said: start-up, reload. */
void module_log_loaded(void);
/* -V -v: every plugin in dirs, one line each, the ones a first match hides too. */
void module_list(const char *const *dirs, FILE *out);

/* ---- timer.c: timers an instance owns (host->timer_*) ---- */
struct timers {
	struct nlevd_timer *head;
	struct ev_loop *loop;
	struct nlevd_instance *inst; /* passed to the callbacks */
	bool closed;                 /* the instance is going: no new timers */
};
void timers_init(struct timers *ts, struct ev_loop *loop, struct nlevd_instance *inst);
/* As host->timer_start; -ECANCELED once closed. */
int timers_start(struct timers *ts, struct nlevd_timer **tp, uint64_t after_ms,
		 uint64_t repeat_ms, nlevd_timer_cb cb, void *arg);
void timers_stop(struct timers *ts, struct nlevd_timer **tp);
bool timers_active(const struct nlevd_timer *t);
void timers_close(struct timers *ts); /* stop all, refuse new ones */
void timers_free(struct timers *ts);  /* close, then free all */
size_t timers_count(const struct timers *ts);

/* ---- status.c: structured status (host->status_*) ---- */
#define STATUS_KEY_MAX 32
#define STATUS_DEPTH_MAX 8
#define STATUS_BYTES_MAX (1u << 20)
#define STATUS_LINE_MAX 1536 /* under log.c's line, with the prefix */
struct nlevd_status *status_new(void);
void status_free(struct nlevd_status *st);
void status_object(struct nlevd_status *st, const char *key);
void status_list(struct nlevd_status *st, const char *key);
void status_end(struct nlevd_status *st);
void status_string(struct nlevd_status *st, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void status_uint(struct nlevd_status *st, const char *key, uint64_t v);
void status_bool(struct nlevd_status *st, const char *key, bool v);
unsigned status_dropped(const struct nlevd_status *st); /* calls that broke a rule */
const char *status_summary(const struct nlevd_status *st); /* the root's "summary", or NULL */
typedef void (*status_line_cb)(const char *line, void *arg);
/* Lines: one per root object, one per element of a root list of objects
 * ("FIRSTKEY VALUE: key value; ..."), one for the root's values. */
void status_text(const struct nlevd_status *st, status_line_cb cb, void *arg);
char *status_json(const struct nlevd_status *st); /* malloc'd; NULL: out of memory */

/* ---- instance.c: plugin instances, across reloads ---- */
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
/* Whether plugin p (of whatever minor) has a callback field f set. */
#define PLUGIN_HAS(p, f)                                                        \
	((p)->size >= offsetof(struct nlevd_plugin, f) + sizeof((p)->f) && (p)->f)
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
/* SIGHUP after a refused reload: each running instance's reopen. */
void instances_reopen(struct instances *set);
/* The state's start-up events, into i's router. */
void instance_replay(struct instance *i);

/* ---- section.c: an instance's copy of its [section] ---- */
/* A deep copy whose file names are interned: it outlives the cfg it came
 * from.  NULL when out of memory. */
struct cfg_section *section_copy(const struct cfg_section *s);
void section_free(struct cfg_section *s); /* in config.c: frees a parsed one too */
/* Malloc'd, NULL when out of memory; equal ones: unchanged by a reload. */
char *section_fingerprint(const char *type, const struct cfg_section *s);

/* ---- instcfg.c: an instance's keys ---- */
/* An error about key kv (NULL: the section) of i, at its FILE:LINE: into
 * i->errs while creating, else logged. */
void instcfg_error(struct instance *i, const struct cfg_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Unknown keys (neither the core's nor i->p's), each reported: 0 or -EINVAL. */
int instcfg_check_keys(struct instance *i, struct cfg *cfg, const char *type);
/* The core's own keys into i->filter, with i->p's defaults: 0 or -EINVAL. */
int instcfg_filter(struct instance *i);
/* The host table's lookups (struct nlevd_host's cfg_*). */
int instcfg_string(struct nlevd_instance *inst, const char *key, const char *def, const char **out);
int instcfg_bool(struct nlevd_instance *inst, const char *key, bool def, bool *out);
int instcfg_uint(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t min,
		 uint64_t max, uint64_t *out);
int instcfg_duration(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out);
int instcfg_size(struct nlevd_instance *inst, const char *key, uint64_t def, uint64_t *out);
int instcfg_enum(struct nlevd_instance *inst, const char *key, const char *const *choices,
		 int def, int *out);
void instcfg_key_error(struct nlevd_instance *inst, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* 1.1's helpers (struct nlevd_host's cfg_string_required ... families). */
int instcfg_string_required(struct nlevd_instance *inst, const char *key, const char **out);
int instcfg_duration_range(struct nlevd_instance *inst, const char *key, uint64_t def,
			   uint64_t min, uint64_t max, uint64_t *out);
int instcfg_words(struct nlevd_instance *inst, const char *key, const char *def,
		  const char *const **out, size_t *n);
int instcfg_command(struct nlevd_instance *inst, const char *key, const char *const **argv,
		    size_t *argc);
unsigned instcfg_families(const struct nlevd_instance *inst);
/* Frees what the lookups returned; after the plugin's destroy(). */
void instcfg_free(struct instance *i);

/* ---- once.c: --once's results ---- */
/* finished(arg) is called whenever an instance says later (host->once_done)
 * that it has finished. */
void once_init(void (*finished)(void *arg), void *arg);
/* i (just replayed) flushed and asked to finish: its once() result. */
void once_run(struct instance *i);
int instances_once_result(struct instances *set); /* 0 pending, 1 all ok, -1 some failed */
void once_done(struct nlevd_instance *inst, bool ok); /* the host table's once_done */

/* ---- host.c ---- */
extern struct nlevd_host host_table; /* .loop set by instances_create() */

/* notify.c: systemd's notification protocol ($NOTIFY_SOCKET), no libsystemd.
 * notify_init() reads and unsets $NOTIFY_SOCKET: 1 if notifying, 0 if not
 * asked to, -1 on an unusable address (logged).  notify() sends one message
 * ("READY=1\nSTATUS=..."), without blocking. */
int notify_init(void);
int notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_close(void);

/* ---- pidfile.c: the pid file, locked while the daemon runs ---- */
/* Open (or reuse a crashed daemon's) and lock path, before daemonizing;
 * errors are logged, and also printed on stderr when to_stderr.  0 or -1. */
int pidfile_lock(const char *path, bool to_stderr);
int pidfile_put(void);     /* write getpid(); 0 or -1 (logged) */
void pidfile_remove(void); /* on every exit; a no-op without a pid file */

#endif
