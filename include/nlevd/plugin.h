/*
 * nlevd/plugin.h - the nlevd plugin ABI, version 1.1.
 *
 * A plugin is a shared module, NAME.so in the plugin directory, that
 * exports exactly one data symbol, `nlevd_plugin`, of type
 * `const struct nlevd_plugin`.  The daemon hands each configured instance
 * a host table (struct nlevd_host) of function pointers, so a plugin never
 * links against symbols of the daemon itself.  nlevd-plugin(3) says all of
 * this at length, with examples; this comment is the short form.
 *
 * Building
 *   cc -shared -fPIC -fvisibility=hidden $(pkg-config --cflags nlevd) \
 *      -o NAME.so NAME.c
 *   NLEVD_PLUGIN_EXPORT on the descriptor keeps it visible under
 *   -fvisibility=hidden.  The host table has everything most plugins need
 *   (timers included), so they need no libev.  One that runs its own libev
 *   watchers on host->loop includes <ev.h> and links the daemon's libev:
 *   add $(pkg-config --variable=evlibs nlevd) (-lev: the shared libev.so.4,
 *   Debian's libev4, headers in libev-dev, which has no libev.pc).
 *
 * Call sequence
 *   One instance per [section], in the order of the file.  `create` means
 *   nlevd_plugin.create(), and so on; "goes" is: the events still settling
 *   for the instance are delivered, stop(why) is called, its timers are
 *   freed and its children killed (no callback of either runs again), and
 *   destroy() is called.  An instance whose create() failed (returned < 0)
 *   gets neither stop() nor destroy(); every other one goes exactly once.
 *   start-up  create() for every instance (the interface/address state is
 *             still empty: the kernel has not been asked yet; the daemon
 *             has not yet forked or dropped privileges).  After an error
 *             every instance goes (NLEVD_STOP_REFUSED), exit 78.  Else
 *             start() for every instance (the state is complete now), then
 *             each instance's start-up replay: the state as link-add,
 *             link-up and addr-add events with ev->initial true, through
 *             its filters and settle (not with startup = no).  A start()
 *             that fails: every instance goes (NLEVD_STOP_REFUSED), exit 1.
 *   SIGHUP    the new configuration is created and started completely
 *             before anything old goes.  A section that did not change
 *             keeps its running instance, which gets reopen() instead.
 *             Then the old instances of changed or removed sections go
 *             (NLEVD_STOP_RELOAD), and only then do the new instances get
 *             their replay.  A refused reload (a configuration error, or a
 *             new start() that failed) makes the new instances go
 *             (NLEVD_STOP_REFUSED) and calls reopen() on every old one:
 *             they keep running.
 *   -t        create(), then the instance goes (NLEVD_STOP_CHECK): no
 *             start(), no event.
 *   --once    create() for every instance; then, one instance after the
 *             other: start(), the replay (whatever startup says, not held
 *             by settle), once().  When every instance has finished (once()
 *             returned, or once_done() followed NLEVD_ONCE_PENDING) all go
 *             (NLEVD_STOP_SHUTDOWN); exit 0 if all succeeded, else 1.
 *   TERM/INT  no more kernel events; children get a grace time (2 s) to
 *             finish; then every instance goes (NLEVD_STOP_SHUTDOWN).
 *   A create() that returns 0 after cfg_error() still fails the
 *   configuration (exit 78; a reload is refused): its instance goes at once.
 *
 * Rules
 *   - Versioning: NLEVD_ABI_MAJOR changes when an existing field or function
 *     changes meaning or position; the daemon refuses a plugin whose major
 *     differs, naming the file and both versions.  NLEVD_ABI_MINOR grows
 *     when fields are appended (1.1 grew while the minor stayed 1, see the
 *     change log).  A plugin uses a host field f newer than 1.0 only when
 *       host->size >= offsetof(struct nlevd_host, f) + sizeof(host->f)
 *     and the daemon reads nlevd_plugin fields only up to plugin->size.
 *   - Frozen layout: struct nlevd_link, nlevd_addr and nlevd_event keep
 *     every field, its type and its offset within a major version.  Only
 *     nlevd_event grows, at its end, with a minor version (1.1 appended
 *     name, fields, nfields); nlevd_link and nlevd_addr never do.
 *     nlevd_host, nlevd_plugin and nlevd_child_spec grow at their ends only.
 *   - Threading: everything runs on the daemon's single libev loop thread.
 *     No callback may block: use host->timer_start, host->child_spawn, or
 *     watchers on host->loop.
 *   - Ownership: an event, and every pointer reachable from it, is valid
 *     only during the call; so is link_get()'s pointer, until the callback
 *     returns.  Strings returned by cfg_* lookups live as long as the
 *     instance.  The plugin owns whatever it allocates and frees it in
 *     destroy(); the core frees the instance's timers and kills and reaps
 *     its children before destroy(), and then no callback of theirs runs.
 *   - Errors: functions return 0 or a negative errno value.  Configuration
 *     errors are reported through host->cfg_error() (FILE:LINE: [SECTION]
 *     KEY: message, the KEY part only when the key is in the section).
 *
 * Callbacks of struct nlevd_plugin
 *   REQUIRED: create, event, destroy (a descriptor without one is refused).
 *   OPTIONAL (NULL): start, reopen, once, status, and in 1.1 stop, report,
 *   push.
 *
 * Change log
 *   1.0  first version.
 *   1.1  All of it appended, and the minor stayed 1 throughout: test
 *        host->size for each host field (see Versioning) before using it.
 *        - nlevd_child_spec.exec_fd: run an open, already checked file
 *          (fexecve) instead of looking argv[0] up again.
 *        - Plugin events: struct nlevd_field; nlevd_host.emit; event type
 *          NLEVD_EV_PLUGIN with nlevd_event.name, .fields and .nfields.
 *        - Timers owned by the instance: nlevd_host.timer_start,
 *          timer_stop, timer_active (struct nlevd_timer, nlevd_timer_cb).
 *        - Config helpers: nlevd_host.cfg_string_required,
 *          cfg_duration_range, cfg_words, cfg_command; families()
 *          (NLEVD_FAMILY_*).
 *        - Structured status: nlevd_plugin.report and nlevd_host.status_*
 *          (struct nlevd_status).
 *        - Why an instance goes: nlevd_plugin.stop (enum nlevd_stop_reason).
 *        - nlevctl push: nlevd_plugin.push, appended after report (verify
 *          and push now, ignoring back-off); the daemon calls it only when
 *          plugin->size covers it.
 *        - Metrics: the root object "metrics" of a report (uints, or one
 *          object of uints for a labelled family) is exported by nlevctl
 *          metrics; a convention of the status tree, no layout change.
 *        - The header declares nlevd_plugin (C linkage for C++ plugins)
 *          and, in C++, nlevd_plugin_base(); no layout change.
 *
 * Plugin events
 *   A plugin announces what it did with host->emit(inst, name, fields, n):
 *   the DNS plugins emit dns-published, dns-failed or dns-conflict after
 *   each zone's update, with the fields zone, names, error.  The core adds
 *   the field `source` (the emitting instance's name) and delivers the
 *   event, later and from the loop, never inside emit(), to every other
 *   instance whose `events` key names it.  The default `events` (all kernel
 *   events) does not include plugin events, so a plugin sees them only when
 *   the admin asks for them; an instance never receives its own.  The
 *   receiver gets type NLEVD_EV_PLUGIN, the name in ev->name, and
 *   ev->fields[0] = {"source", emitter} followed by the emitter's fields in
 *   its order; link/addr are zeroed.  The instance filters interfaces,
 *   family, scope, addresses, temporary and startup do not apply (there is
 *   no interface and a plugin event is never initial); `settle` delays
 *   plugin events like the others but never merges them: each one is
 *   delivered, in order.  host->event_fields/event_json/event_text render
 *   them as event, source, the fields (JSON: time first, values strings).
 *   An event emitted while a plugin event of depth d is being delivered
 *   has depth d + 1 (one emitted otherwise has depth 0); depth
 *   NLEVD_EMIT_DEPTH_MAX is refused, which ends loops between instances
 *   that answer each other's events synchronously.  A plugin built against
 *   1.0 cannot name plugin events in `events` (a configuration error).  A
 *   daemon older than this header passes a shorter struct nlevd_event:
 *   read ev->name, fields, nfields only when ev->type is NLEVD_EV_PLUGIN,
 *   and copy a kernel event only up to offsetof(struct nlevd_event, name).
 */
#ifndef NLEVD_PLUGIN_H
#define NLEVD_PLUGIN_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

#define NLEVD_ABI_MAJOR 1
#define NLEVD_ABI_MINOR 1

#define NLEVD_IFNAMSIZ 16
#define NLEVD_LFT_FOREVER 0xFFFFFFFFu

/* Log levels: the syslog priorities. */
#define NLEVD_LOG_ERR 3
#define NLEVD_LOG_WARNING 4
#define NLEVD_LOG_NOTICE 5
#define NLEVD_LOG_INFO 6
#define NLEVD_LOG_DEBUG 7

/* nlevd_plugin.default_scopes: the `scope` key's words as bits. */
#define NLEVD_SCOPE_GLOBAL 0x01
#define NLEVD_SCOPE_SITE 0x02
#define NLEVD_SCOPE_LINK 0x04
#define NLEVD_SCOPE_HOST 0x08

/* nlevd_plugin.once() returns it when host->once_done() will follow. */
#define NLEVD_ONCE_PENDING 1

enum nlevd_event_type {
	NLEVD_EV_ADDR_ADD = 0,
	NLEVD_EV_ADDR_DEL,
	NLEVD_EV_ADDR_CHANGE,
	NLEVD_EV_LINK_ADD,
	NLEVD_EV_LINK_DEL,
	NLEVD_EV_LINK_UP,
	NLEVD_EV_LINK_DOWN,
	NLEVD_EV_LINK_RENAME,
	NLEVD_EV_COUNT, /* the number of kernel event types, as in 1.0 */
	/* 1.1: an event another instance emitted (host->emit); its name is
	 * ev->name.  Outside 0 .. NLEVD_EV_COUNT - 1, so arrays indexed by
	 * kernel event types keep their size and bounds checks still hold. */
	NLEVD_EV_PLUGIN = 0x100
};

/* 1.1: one field of a plugin event.  name is [a-z][a-z0-9_]*, at most
 * NLEVD_EMIT_NAME_MAX characters; value is any NUL-terminated string. */
struct nlevd_field {
	const char *name;
	const char *value;
};

/* 1.1: the bounds of host->emit(). */
#define NLEVD_EMIT_FIELDS_MAX 32    /* fields a plugin passes (source not counted) */
#define NLEVD_EMIT_NAME_MAX 32      /* characters of a field name */
#define NLEVD_EMIT_BYTES_MAX 65536  /* names and values together */
#define NLEVD_EMIT_DEPTH_MAX 4      /* depths 0 .. 3 are delivered */
#define NLEVD_EMIT_QUEUE_MAX 4096   /* events emitted, not yet delivered */

/* An interface as the kernel last described it. */
struct nlevd_link {
	int ifindex;
	char ifname[NLEVD_IFNAMSIZ];
	uint32_t flags;    /* IFF_* */
	uint32_t mtu;
	uint8_t operstate; /* IF_OPER_* */
	uint8_t mac_len;
	uint8_t mac[32];
};

/* An address on an interface. */
struct nlevd_addr {
	int ifindex;
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	uint8_t scope; /* the kernel's RT_SCOPE_* (<linux/rtnetlink.h>): 0
			* universe (global), 200 site, 253 link, 254 host;
			* not the NLEVD_SCOPE_* bits of default_scopes */
	uint8_t has_peer;
	uint32_t flags;         /* IFA_F_* (from IFA_FLAGS when present) */
	uint32_t valid_lft;     /* seconds, or NLEVD_LFT_FOREVER */
	uint32_t preferred_lft; /* seconds, or NLEVD_LFT_FOREVER */
	uint8_t addr[16];       /* IFA_LOCAL, else IFA_ADDRESS */
	uint8_t peer[16];       /* point-to-point peer when has_peer */
};

struct nlevd_event {
	enum nlevd_event_type type;
	bool initial;         /* part of the start-up replay */
	struct timespec time; /* CLOCK_REALTIME when the core saw it */
	struct nlevd_link link; /* the interface (also for address events) */
	struct nlevd_addr addr; /* address events only */
	char old_ifname[NLEVD_IFNAMSIZ]; /* link-rename only */
	uint32_t old_flags;              /* addr-change only: the flags before */
	/* 1.1, NLEVD_EV_PLUGIN only (NULL / 0 for kernel events): the event's
	 * name ("dns-published"...) and its fields, fields[0] being
	 * {"source", the emitting instance's name}. */
	const char *name;
	const struct nlevd_field *fields;
	size_t nfields;
};

struct nlevd_instance; /* opaque: one configured [section] */
struct nlevd_child;    /* opaque: a running child process */
struct nlevd_timer;    /* 1.1, opaque: a timer owned by an instance */
struct nlevd_status;   /* 1.1, opaque: a status report being built */

/* 1.1: a timer's callback (host->timer_start). */
typedef void (*nlevd_timer_cb)(struct nlevd_instance *inst, void *arg);

/* 1.1: why an instance goes (nlevd_plugin.stop). */
enum nlevd_stop_reason {
	NLEVD_STOP_SHUTDOWN = 0, /* TERM/INT, or --once has finished */
	NLEVD_STOP_RELOAD,       /* a reload replaced or removed its section */
	NLEVD_STOP_REFUSED,      /* its configuration was refused: a reload kept the old one, or start-up failed */
	NLEVD_STOP_CHECK         /* -t: it was created only to check the configuration */
};

/* 1.1: host->families(). */
#define NLEVD_FAMILY_IPV4 0x01
#define NLEVD_FAMILY_IPV6 0x02

struct nlevd_child_result {
	pid_t pid;
	int status;      /* as from waitpid(); 0 when spawn failed */
	int spawn_error; /* errno when the child could not be started */
	bool timed_out;  /* the timeout fired and the group was signalled */
};

struct nlevd_child_spec {
	const char *const *argv; /* argv[0] is an absolute path; no shell */
	const char *const *envp; /* complete environment; NULL = empty */
	const void *input;       /* written to stdin, then stdin is closed */
	size_t input_len;
	uint64_t timeout_ms; /* 0 = none; else TERM, then KILL 2 s later */
	const char *user;    /* run as this user (initgroups); NULL = as is */
	const char *cwd;     /* NULL = "/" */
	/* Each line of stdout (fd 1) / stderr (fd 2), without the newline,
	 * truncated to a bounded length.  NULL: logged at notice level with
	 * the instance prefix. */
	void (*line)(void *arg, int fd, const char *line);
	/* Called once when the child has exited (or failed to start). */
	void (*done)(void *arg, const struct nlevd_child_result *res);
	void *arg;
	/* 1.1: when > 0, the child executes this open file (fexecve), so what
	 * the plugin checked with fstat() is what runs, whatever happens to
	 * the path meanwhile; argv[0] is then only the program's name.  The
	 * descriptor stays open in the child across exec (a script's
	 * interpreter reads it as /dev/fd/N); the plugin still owns it and may
	 * close it as soon as child_spawn() returns.  The core ignores this
	 * field for plugins built against 1.0. */
	int exec_fd;
};

/* Called for each interface / usable address; return non-zero to stop:
 * link_foreach()/addr_foreach() then return that value. */
typedef int (*nlevd_link_cb)(const struct nlevd_link *link, void *arg);
typedef int (*nlevd_addr_cb)(const struct nlevd_link *link,
			     const struct nlevd_addr *addr, void *arg);

/* Field callback for nlevd_host.event_fields(): name is the SPEC field name
 * ("event", "ifname", ...); quoted says whether JSON needs it as a string. */
typedef void (*nlevd_field_cb)(const char *name, const char *value,
			       bool quoted, void *arg);

struct nlevd_host {
	uint16_t abi_major;
	uint16_t abi_minor;
	uint32_t size; /* sizeof(struct nlevd_host) in the daemon */

	struct ev_loop *loop;

	/* Logging, prefixed with the instance name. */
	void (*log)(struct nlevd_instance *inst, int level, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	void (*vlog)(struct nlevd_instance *inst, int level, const char *fmt,
		     va_list ap);
	const char *(*instance_name)(const struct nlevd_instance *inst);

	/* Typed config lookup of the instance's own keys.  Absent keys give
	 * the default.  A bad value is reported as FILE:LINE and -EINVAL
	 * returned.  Strings live as long as the instance. */
	int (*cfg_string)(struct nlevd_instance *inst, const char *key,
			  const char *def, const char **out);
	int (*cfg_bool)(struct nlevd_instance *inst, const char *key, bool def,
			bool *out);
	int (*cfg_uint)(struct nlevd_instance *inst, const char *key,
			uint64_t def, uint64_t min, uint64_t max, uint64_t *out);
	int (*cfg_duration_ms)(struct nlevd_instance *inst, const char *key,
			       uint64_t def, uint64_t *out);
	int (*cfg_size)(struct nlevd_instance *inst, const char *key,
			uint64_t def, uint64_t *out);
	/* choices is NULL-terminated; *out is the index. */
	int (*cfg_enum)(struct nlevd_instance *inst, const char *key,
			const char *const *choices, int def, int *out);
	/* Report a configuration error as "FILE:LINE: [SECTION] KEY: message"
	 * at the key's line when key is in the section, else as
	 * "FILE:LINE: [SECTION] message" at the section's line (key absent or
	 * NULL).  Inside create() it refuses the configuration; later it only
	 * logs the line at error level. */
	void (*cfg_error)(struct nlevd_instance *inst, const char *key,
			  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

	/* The interface/address state as it is now (usable addresses only:
	 * not tentative, not DAD-failed), without the instance's filters;
	 * empty during create() at start-up.  With settle it can be ahead of
	 * the event being delivered; during link-del the link is gone, during
	 * addr-del the address. */
	/* The interface, or NULL.  The pointer is valid until the calling
	 * callback returns: copy what you keep. */
	const struct nlevd_link *(*link_get)(int ifindex);
	/* Every interface in ifindex order.  Returns 0 when all were visited,
	 * the callback's non-zero value when it stopped, -1 out of memory. */
	int (*link_foreach)(nlevd_link_cb cb, void *arg);
	/* ifindex 0: every interface, in ifindex order; each interface's
	 * addresses in the order the kernel first reported them.  An unknown
	 * ifindex visits nothing.  Returns as link_foreach(). */
	int (*addr_foreach)(int ifindex, nlevd_addr_cb cb, void *arg);
	/* Whether the instance's filters (interfaces family scope addresses
	 * temporary) select this address on this interface; addr NULL: whether
	 * `interfaces` selects the interface (the address filters are not
	 * applied).  `events` plays no part. */
	bool (*selected)(const struct nlevd_instance *inst,
			 const struct nlevd_link *link,
			 const struct nlevd_addr *addr);

	/* Event encoders shared by all plugins: the fields of the SPEC, one
	 * JSON object without a newline, or one line of text.  Return the
	 * length that the full output needs (like snprintf). */
	void (*event_fields)(const struct nlevd_event *ev, nlevd_field_cb cb,
			     void *arg);
	size_t (*event_json)(const struct nlevd_event *ev, char *buf, size_t len);
	size_t (*event_text)(const struct nlevd_event *ev, char *buf, size_t len);
	const char *(*event_name)(enum nlevd_event_type type);

	/* Child processes.  The child gets its own process group; the timeout
	 * signals the whole group.
	 *
	 * NULL, with errno set (EINVAL: no argv or argv[0] not absolute;
	 * ENOENT: no such user; EAGAIN: called from create(), which runs
	 * for -t too; ECANCELED: called from stop() or destroy(), the
	 * instance is going; the errno of pipe(), fork() or malloc()):
	 * nothing was started and spec->done is never called.
	 *
	 * A child: spec->done is called exactly once, later, from the loop,
	 * never from inside child_spawn(): when the child has exited (status
	 * as from waitpid(), spawn_error 0), or when it could not change to
	 * spec->cwd, drop to spec->user or exec (spawn_error = that errno,
	 * e.g. ENOENT or ENOEXEC; status 0).  The only exception: once the
	 * instance is destroyed, none of its callbacks runs again (see
	 * Ownership).  Until done is called the child may be passed to
	 * child_kill(); from the moment done is called the child pointer is
	 * invalid, inside done too (no child_kill() on it).
	 *
	 * Everything in spec is copied before child_spawn() returns: the
	 * spec itself, the argv and envp strings and arrays, input, user and
	 * cwd may all be freed or changed then (exec_fd: see its field).
	 * envp NULL is an empty environment: no PATH, no HOME. */
	struct nlevd_child *(*child_spawn)(struct nlevd_instance *inst,
					   const struct nlevd_child_spec *spec);
	/* Ask a child to stop: TERM to its group, KILL 2 s later.  done() is
	 * still called. */
	void (*child_kill)(struct nlevd_child *child);

	/* --once: report that the instance has finished its work, after
	 * once() returned NLEVD_ONCE_PENDING.  The first result counts;
	 * without --once it does nothing. */
	void (*once_done)(struct nlevd_instance *inst, bool ok);

	/* 1.1 (check host->size, see the change log): emit a plugin event
	 * named event (one the core knows: dns-published dns-failed
	 * dns-conflict) with nfields fields (fields may be NULL when nfields is
	 * 0).  Everything is copied: the caller's strings may go once it
	 * returns.  Callable from any callback, also from event(): delivery is
	 * always later, from the loop.  Returns 0; -EINVAL for an unknown
	 * event, a bad, reserved (event source time instance dropped) or
	 * repeated
	 * field name, a NULL value, or more than the NLEVD_EMIT_* bounds;
	 * -ELOOP when the event would reach NLEVD_EMIT_DEPTH_MAX; -ENOBUFS
	 * when NLEVD_EMIT_QUEUE_MAX events wait; -ENOMEM.  The core logs
	 * -ELOOP and -ENOBUFS (once per instance at warning level). */
	int (*emit)(struct nlevd_instance *inst, const char *event,
		    const struct nlevd_field *fields, size_t nfields);

	/* ---- 1.1: everything below ---- */

	/* Timers owned by the instance: no libev needed.  Pass a pointer
	 * to NULL for a new timer (one is allocated and *t set), or to a
	 * timer this instance started before (it is re-armed, its callback
	 * replaced).  cb runs after
	 * after_ms, then every repeat_ms (0: once).  A one-shot timer that
	 * has fired stays valid (inactive) until timer_stop() frees it,
	 * or the instance goes: no timer callback runs once stop() is
	 * called (timer_active() still tells in stop() what was pending),
	 * the core stops them all after stop() and frees those left after
	 * destroy(), so timer_stop() still works in stop() and destroy().
	 * 0, -EINVAL (NULL t or cb, another instance's timer), -ENOMEM,
	 * -ECANCELED (called from stop() or destroy()), -EAGAIN (called
	 * from create(): the loop never runs for -t). */
	int (*timer_start)(struct nlevd_instance *inst, struct nlevd_timer **t,
			   uint64_t after_ms, uint64_t repeat_ms, nlevd_timer_cb cb, void *arg);
	/* Stop and free *t, and set it to NULL; NULL *t is fine.  Callable
	 * from the timer's own callback. */
	void (*timer_stop)(struct nlevd_instance *inst, struct nlevd_timer **t);
	/* Whether t will still fire (false for NULL). */
	bool (*timer_active)(const struct nlevd_timer *t);

	/* Config helpers, errors as the cfg_* above. */
	/* A string that must be present and not empty: "KEY: required" when
	 * absent (*out NULL), "KEY: empty: a value is required" when empty
	 * (*out ""), both -EINVAL. */
	int (*cfg_string_required)(struct nlevd_instance *inst, const char *key,
				   const char **out);
	/* A duration (ms s m h) within min .. max (milliseconds). */
	int (*cfg_duration_range)(struct nlevd_instance *inst, const char *key,
				  uint64_t def, uint64_t min, uint64_t max, uint64_t *out);
	/* A list of words (blanks separate them; def when absent, NULL: an
	 * empty list).  *out is NULL-terminated, *n its length (n may be
	 * NULL); both live as long as the instance. */
	int (*cfg_words)(struct nlevd_instance *inst, const char *key, const char *def,
			 const char *const **out, size_t *n);
	/* A command line split as exec's `command` is (blanks; '...', "..."
	 * with \" and \\, and \ outside quotes), argv[0] resolved to an
	 * absolute path of an executable file (a name without '/' in the
	 * fixed /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin,
	 * never the daemon's PATH; else it must be absolute).  Absent key:
	 * *argv = NULL, 0.  *argv is NULL-terminated and lives as long as
	 * the instance; argc may be NULL. */
	int (*cfg_command)(struct nlevd_instance *inst, const char *key,
			   const char *const **argv, size_t *argc);
	/* The instance's `family` key: NLEVD_FAMILY_* bits. */
	unsigned (*families)(const struct nlevd_instance *inst);

	/* Structured status, inside nlevd_plugin.report() only: a tree of
	 * objects, lists and values (keys [a-z][a-z0-9_]*, NULL inside a
	 * list).  The core renders it in the USR1 log, the --once summary,
	 * systemd's STATUS= (the root's "summary" string) and nlevctl. */
	void (*status_object)(struct nlevd_status *st, const char *key);
	void (*status_list)(struct nlevd_status *st, const char *key);
	void (*status_end)(struct nlevd_status *st); /* closes the innermost */
	void (*status_string)(struct nlevd_status *st, const char *key, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));
	void (*status_uint)(struct nlevd_status *st, const char *key, uint64_t v);
	void (*status_bool)(struct nlevd_status *st, const char *key, bool v);
};

/* The descriptor, the one symbol a plugin exports.  REQUIRED callbacks:
 * create, event, destroy; every other one is OPTIONAL (NULL). */
struct nlevd_plugin {
	uint16_t abi_major; /* NLEVD_ABI_MAJOR */
	uint16_t abi_minor; /* NLEVD_ABI_MINOR */
	uint32_t size;      /* sizeof(struct nlevd_plugin) */
	const char *name;    /* REQUIRED: the plugin's name, for the log */
	const char *version; /* the plugin's own version, for the log */
	const char *const *keys; /* the plugin's own config keys, NULL-terminated;
				  * NULL: none.  Any other key is an error. */

	/* Defaults for the core's per-instance keys (0: the core's default). */
	uint32_t default_settle_ms;
	uint8_t default_scopes; /* NLEVD_SCOPE_* mask; 0 = all */
	bool default_no_temporary;

	/* REQUIRED.  Read and check the configuration, allocate, set *priv.
	 * No I/O to the outside world: this runs for -t and for a reload that
	 * may still be refused, and at start-up before the state is read.
	 * 0: created.  < 0 (-errno): refused; free what was allocated, as
	 * neither stop() nor destroy() follows.  Report what is wrong with
	 * host->cfg_error(): any report refuses the configuration, even when
	 * create() then returns 0 (and then stop() and destroy() do follow). */
	int (*create)(const struct nlevd_host *host, struct nlevd_instance *inst,
		      void **priv);
	/* OPTIONAL.  Begin work (open files, sockets); the state is complete.
	 * 0: started.  < 0: the start-up fails (exit 1), a reload is refused,
	 * --once counts the instance as failed; the instance still goes
	 * (stop(), destroy()), so destroy() must cope with a partial start. */
	int (*start)(struct nlevd_instance *inst, void *priv);
	/* REQUIRED.  One event that passed the instance's filters and settle,
	 * from the start-up replay (ev->initial) or live. */
	void (*event)(struct nlevd_instance *inst, void *priv,
		      const struct nlevd_event *ev);
	/* OPTIONAL.  SIGHUP for an instance kept across a reload, or for every
	 * running instance when the reload was refused (e.g. reopen a file). */
	void (*reopen)(struct nlevd_instance *inst, void *priv);
	/* OPTIONAL (none: done and ok).  --once, after the state was
	 * delivered: 0 done and ok, < 0 failed, NLEVD_ONCE_PENDING:
	 * host->once_done() follows. */
	int (*once)(struct nlevd_instance *inst, void *priv);
	/* OPTIONAL.  SIGUSR1: log the instance's status with host->log();
	 * not called when report is set. */
	void (*status)(struct nlevd_instance *inst, void *priv);
	/* REQUIRED.  Stop every watcher of the plugin's own and free
	 * everything; called once, last, for every instance whose create()
	 * did not fail, started or not. */
	void (*destroy)(struct nlevd_instance *inst, void *priv);

	/* ---- 1.1 ---- */
	/* OPTIONAL.  Called once before destroy() for an instance that was
	 * created, with the reason it goes: flush at NLEVD_STOP_SHUTDOWN, not
	 * at NLEVD_STOP_CHECK.  Its timers are freed after it returns. */
	void (*stop)(struct nlevd_instance *inst, void *priv, enum nlevd_stop_reason why);
	/* OPTIONAL.  Structured status into st with host->status_*(); when
	 * set, the core uses it instead of status(). */
	void (*report)(struct nlevd_instance *inst, void *priv, struct nlevd_status *st);
	/* OPTIONAL, appended in 1.1 after report (nlevctl push).  Verify and
	 * push now, ignoring back-off: read what the outside world holds again
	 * and send what differs, at once.  Called on a started instance only;
	 * returns 0, or -errno when it cannot even begin (what follows is
	 * reported as usual: the log, events, the status). */
	int (*push)(struct nlevd_instance *inst, void *priv);
};

/* Put before the descriptor so it stays visible with -fvisibility=hidden. */
#define NLEVD_PLUGIN_EXPORT __attribute__((visibility("default")))

#define NLEVD_PLUGIN_INIT                                                       \
	.abi_major = NLEVD_ABI_MAJOR, .abi_minor = NLEVD_ABI_MINOR,             \
	.size = sizeof(struct nlevd_plugin)

/* 1.1: the descriptor each plugin defines, declared here so that it has C
 * linkage in C++ (a C++ namespace-scope const would otherwise be internal
 * and mangled) and default visibility under -fvisibility=hidden. */
extern NLEVD_PLUGIN_EXPORT const struct nlevd_plugin nlevd_plugin;

#ifdef __cplusplus
/* 1.1: C++ before C++20 has no designated initializers.  Start from this
 * (the ABI fields set, everything else zero) and set fields by name; the
 * descriptor is then initialized when the module is loaded, before the
 * daemon reads it:
 *
 *   static struct nlevd_plugin describe()
 *   {
 *           struct nlevd_plugin p = nlevd_plugin_base();
 *           p.name = "mine";
 *           p.create = my_create;
 *           ...
 *           return p;
 *   }
 *   const struct nlevd_plugin nlevd_plugin = describe();
 *
 * C++20 may write { NLEVD_PLUGIN_INIT, .name = "mine", ... } as C does. */
static inline struct nlevd_plugin nlevd_plugin_base(void)
{
	struct nlevd_plugin p = {};
	p.abi_major = NLEVD_ABI_MAJOR;
	p.abi_minor = NLEVD_ABI_MINOR;
	p.size = sizeof(struct nlevd_plugin);
	return p;
}
#endif

#ifdef __cplusplus
}
#endif
#endif
