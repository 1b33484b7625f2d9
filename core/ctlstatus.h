/* ctlstatus.c: the control socket's status result (daemon, interfaces, instances). */
#ifndef NLEVD_CTLSTATUS_H
#define NLEVD_CTLSTATUS_H

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

struct instances;
struct nl_stats;

/* What main.c knows of the daemon. */
struct ctlstatus_daemon {
	const char *version, *config;
	pid_t pid;
	uint64_t uptime_s;
	const struct nl_stats *netlink;
};

/* The status result into *out: the daemon, every interface with its
 * addresses, and set's instances (only the one named instance, unless it
 * is NULL).  0, -ENOENT (no such instance) or -ENOMEM. */
int ctlstatus_build(const struct ctlstatus_daemon *dmn, struct instances *set,
		    const char *instance, json_t **out);

#endif
