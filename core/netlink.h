/* netlink.c: the netlink sockets: monitor, dumps, resyncs.  Data flows one way:
 * netlink.c (socket) -> nlmsg.c (bytes -> records) -> state.c (table, diff
 * -> events) -> router.c (filter, settle) -> instance.c (plugin instances). */
#ifndef NLEVD_NETLINK_H
#define NLEVD_NETLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlmsg.h"

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

#endif
