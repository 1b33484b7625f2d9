/* nlmsg.c: rtnetlink messages decoded into records, pure. */
#ifndef NLEVD_NLMSG_H
#define NLEVD_NLMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

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

#endif
