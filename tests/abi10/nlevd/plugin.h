/*
 * nlevd/plugin.h - the nlevd plugin ABI.
 *
 * A plugin is a libtool module (NAME.so in the plugin directory) that
 * exports exactly one data symbol, `nlevd_plugin`, of type
 * `const struct nlevd_plugin`.  The daemon hands each configured instance
 * a host table (struct nlevd_host) of function pointers, so a plugin never
 * links against symbols of the daemon itself.  Plugins may link libev and
 * use host->loop for their own timers and I/O watchers.
 *
 * Rules
 *   - Versioning: NLEVD_ABI_MAJOR changes when an existing field or function
 *     changes meaning or position; the daemon refuses a plugin whose major
 *     differs, naming the file and both versions.  NLEVD_ABI_MINOR grows
 *     when fields are appended; a plugin checks host->abi_minor (or
 *     host->size) before using a newer field, and the daemon checks
 *     plugin->size likewise.
 *   - Threading: everything runs on the daemon's single libev loop thread.
 *     No callback may block: use host->loop watchers and host->child_spawn.
 *   - Ownership: an event, and every pointer reachable from it, is valid
 *     only during the call.  Strings returned by cfg_* lookups live as long
 *     as the instance.  The plugin owns whatever it allocates in create()
 *     and frees it in destroy(); the core kills and reaps the children an
 *     instance spawned when the instance is destroyed, and then no child
 *     callback of that instance is called again.
 *   - Errors: functions return 0 or a negative errno value.  Configuration
 *     errors are reported through host->cfg_error(), which prefixes
 *     FILE:LINE of the offending key.
 *
 * Change log
 *   1.0  first version.
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
#define NLEVD_ABI_MINOR 0

#define NLEVD_IFNAMSIZ 16
#define NLEVD_LFT_FOREVER 0xFFFFFFFFu

/* Log levels: the syslog priorities. */
#define NLEVD_LOG_ERR 3
#define NLEVD_LOG_WARNING 4
#define NLEVD_LOG_NOTICE 5
#define NLEVD_LOG_INFO 6
#define NLEVD_LOG_DEBUG 7

enum nlevd_event_type {
	NLEVD_EV_ADDR_ADD = 0,
	NLEVD_EV_ADDR_DEL,
	NLEVD_EV_ADDR_CHANGE,
	NLEVD_EV_LINK_ADD,
	NLEVD_EV_LINK_DEL,
	NLEVD_EV_LINK_UP,
	NLEVD_EV_LINK_DOWN,
	NLEVD_EV_LINK_RENAME,
	NLEVD_EV_COUNT
};

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
	uint8_t scope; /* RT_SCOPE_* */
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
};

struct nlevd_instance; /* opaque: one configured [section] */
struct nlevd_child;    /* opaque: a running child process */

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
};

/* Called for each interface / usable address; return non-zero to stop. */
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
	/* Report an error at the key's FILE:LINE (the section's if absent). */
	void (*cfg_error)(struct nlevd_instance *inst, const char *key,
			  const char *fmt, ...) __attribute__((format(printf, 3, 4)));

	/* The interface/address state (usable addresses only). */
	const struct nlevd_link *(*link_get)(int ifindex);
	int (*link_foreach)(nlevd_link_cb cb, void *arg);
	/* ifindex 0: every interface. */
	int (*addr_foreach)(int ifindex, nlevd_addr_cb cb, void *arg);
	/* Whether the instance's filters (interfaces family scope addresses
	 * temporary) select this address on this interface. */
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
	 * signals the whole group.  Returns NULL with errno set on failure. */
	struct nlevd_child *(*child_spawn)(struct nlevd_instance *inst,
					   const struct nlevd_child_spec *spec);
	/* Ask a child to stop: TERM to its group, KILL 2 s later.  done() is
	 * still called. */
	void (*child_kill)(struct nlevd_child *child);

	/* --once: report that the instance has finished its work. */
	void (*once_done)(struct nlevd_instance *inst, bool ok);
};

#define NLEVD_ONCE_PENDING 1

struct nlevd_plugin {
	uint16_t abi_major; /* NLEVD_ABI_MAJOR */
	uint16_t abi_minor; /* NLEVD_ABI_MINOR */
	uint32_t size;      /* sizeof(struct nlevd_plugin) */
	const char *name;
	const char *version;
	const char *const *keys; /* the plugin's own config keys, NULL-terminated */

	/* Defaults for the core's per-instance keys. */
	uint32_t default_settle_ms;
	uint8_t default_scopes; /* NLEVD_SCOPE_* mask; 0 = all */
	bool default_no_temporary;

	/* Read and check the configuration, allocate.  No I/O to the outside
	 * world: this runs for -t and for a reload that may still be refused. */
	int (*create)(const struct nlevd_host *host, struct nlevd_instance *inst,
		      void **priv);
	/* Begin work (open files, sockets). */
	int (*start)(struct nlevd_instance *inst, void *priv);
	void (*event)(struct nlevd_instance *inst, void *priv,
		      const struct nlevd_event *ev);
	/* SIGHUP for an instance kept across a reload (e.g. reopen a file). */
	void (*reopen)(struct nlevd_instance *inst, void *priv);
	/* --once, after the state was delivered: 0 done and ok, <0 failed,
	 * NLEVD_ONCE_PENDING: host->once_done() follows. */
	int (*once)(struct nlevd_instance *inst, void *priv);
	/* SIGUSR1: log the instance's status. */
	void (*status)(struct nlevd_instance *inst, void *priv);
	/* Stop every watcher and free. */
	void (*destroy)(struct nlevd_instance *inst, void *priv);
};

#define NLEVD_SCOPE_GLOBAL 0x01
#define NLEVD_SCOPE_SITE 0x02
#define NLEVD_SCOPE_LINK 0x04
#define NLEVD_SCOPE_HOST 0x08

/* Put before the descriptor so it stays visible with -fvisibility=hidden. */
#define NLEVD_PLUGIN_EXPORT __attribute__((visibility("default")))

#define NLEVD_PLUGIN_INIT                                                       \
	.abi_major = NLEVD_ABI_MAJOR, .abi_minor = NLEVD_ABI_MINOR,             \
	.size = sizeof(struct nlevd_plugin)

#ifdef __cplusplus
}
#endif
#endif
