/* config.c: the configuration file: sections, keys, errors at FILE:LINE. */
#ifndef NLEVD_CFG_H
#define NLEVD_CFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

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
	char *control_socket; /* NULL: not set (the default), "none": disabled */
	gid_t control_gid;    /* control_group, resolved at start (default 0, root) */
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
/* control_group to control_gid, errors at its FILE:LINE: for the start-up
 * configuration only (the socket is made then; a group lookup may block,
 * which a reload in the loop must not). */
void cfg_resolve_control_group(struct cfg *c);

#endif
