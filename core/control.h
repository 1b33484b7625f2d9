/* control.c: the control socket (nlevctl): peers, clients, NDJSON requests. */
#ifndef NLEVD_CONTROL_H
#define NLEVD_CONTROL_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "nlevd/plugin.h"

struct ev_loop;
struct control;

/* A command's handler: req is the request object (its "command" checked);
 * returns the whole reply object (control_ok / control_error), owned by
 * the caller; NULL means out of memory. */
typedef json_t *(*control_cmd_cb)(const json_t *req, void *arg);

/* What main.c hands the control module: the commands it serves, and where
 * a dropped client is counted.  Nothing else of the daemon is reached. */
struct control_ops {
	control_cmd_cb status, push, reload, metrics;
	void (*dropped)(void *arg); /* a client over its output bound was dropped */
	void *arg;
};

/* Bind and listen on path (its directory made 0755 if missing; a stale
 * socket replaced; a live one refused), mode 0660, group gid; peers other
 * than uid 0, the daemon's euid, gid or a member of gid are refused.
 * Errors are logged; NULL on failure. */
struct control *control_open(struct ev_loop *loop, const char *path, gid_t gid,
			     const struct control_ops *ops);
/* Before a user= drop: the socket file becomes uid's (group kept). */
int control_chown(struct control *ctl, uid_t uid);
/* Close every client and the socket, remove the socket file; NULL is fine. */
void control_close(struct control *ctl);
/* A routed event: one line to each monitor client whose filter selects it. */
void control_event(struct control *ctl, const struct nlevd_event *ev);

/* Reply objects: {"ok":true,"result":result} (result's reference stolen)
 * and {"ok":false,"error":msg}.  NULL: out of memory. */
json_t *control_ok(json_t *result);
json_t *control_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A JSON string of s whatever its bytes: what is not UTF-8 becomes U+FFFD,
 * as the core's json_quote() writes it (json_string() would refuse it:
 * interface names and configuration text may be any bytes).  NULL: out of
 * memory. */
json_t *control_string(const char *s);

#endif
