/* The rtnetlink sockets: a non-blocking monitor socket subscribed to the
 * link and address groups, and a request socket for dumps.  An overrun
 * (ENOBUFS, MSG_TRUNC) is answered by a resync: dump again, mark and sweep,
 * so the difference is delivered as events and no final state is lost.
 * Any local process may send to a netlink socket's port id: only what the
 * kernel sent is read, and dump replies must carry the request's (random)
 * sequence number and our port id. */
#include <errno.h>
#include <ev.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "netlink.h"
#include "nlmsg.h"
#include "state.h"
#include "util.h"

#define RESYNC_MIN_INTERVAL_MS 200
#define DUMP_ATTEMPTS 5
/* Datagrams read per wake-up: a sustained burst must not starve signals
 * (TERM, HUP), child reaping and timers; the socket stays readable. */
#define MON_READ_BUDGET 256
#define MON_GROUPS (RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR)
/* Forged messages cost a log line per interval, not one each. */
#define FOREIGN_LOG_INTERVAL_MS 10000

struct nl_stats nl_stats;

static struct {
	struct ev_loop *loop;
	struct mnl_socket *mon, *req;
	ev_io io;
	ev_timer resync_timer;
	uint64_t last_resync_ms;
	uint32_t seq, portid;
	uint64_t foreign_log_ms, foreign_unlogged;
	bool lost; /* an overrun seen; resync once the socket is drained */
	/* 64 KiB, aligned for struct nlmsghdr */
	uint32_t buf[16384];
} nl;

static int set_rcvbuf(int fd, uint64_t size)
{
	int v = size > (uint64_t)INT32_MAX / 2 ? INT32_MAX / 2 : (int)size;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) == 0)
		return 0;
	/* Without CAP_NET_ADMIN the kernel caps this at rmem_max. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)) < 0)
		return -errno;
	int got = 0;
	socklen_t len = sizeof(got);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &got, &len) == 0 && got / 2 < v)
		log_warn("netlink_rcvbuf: asked for %d bytes, the kernel allows %d "
			 "(raise net.core.rmem_max or grant CAP_NET_ADMIN)", v, got / 2);
	return 0;
}

static void foreign_dropped(const char *sock, const struct sockaddr_nl *sa, socklen_t salen)
{
	uint64_t now = now_ms();
	if (nl.foreign_log_ms && now - nl.foreign_log_ms < FOREIGN_LOG_INTERVAL_MS) {
		nl.foreign_unlogged++;
		return;
	}
	unsigned port = salen == sizeof(*sa) ? sa->nl_pid : 0;
	unsigned groups = salen == sizeof(*sa) ? sa->nl_groups : 0;
	if (nl.foreign_unlogged)
		log_warn("netlink: a message not from the kernel (port %u, groups %#x) dropped "
			 "on the %s socket, and %llu more since the last notice",
			 port, groups, sock, (unsigned long long)nl.foreign_unlogged);
	else
		log_warn("netlink: a message not from the kernel (port %u, groups %#x) dropped "
			 "on the %s socket", port, groups, sock);
	nl.foreign_log_ms = now;
	nl.foreign_unlogged = 0;
}

struct dump_ctx {
	bool done, intr, resync;
	int error;
};

static void dump_rec(const struct nl_rec *rec, void *arg)
{
	struct dump_ctx *d = arg;
	if (rec->nlflags & NLM_F_DUMP_INTR)
		d->intr = true;
	switch (rec->kind) {
	case NL_DONE:
		d->done = true;
		break;
	case NL_ERROR:
		d->error = rec->error;
		d->done = true;
		break;
	default:
		if (state_apply(rec))
			d->resync = true;
	}
}

/* One dump request; blocking, bounded by SO_RCVTIMEO. */
static int dump_one(uint16_t type, bool *again)
{
	char req[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = ++nl.seq;
	size_t hdr = type == RTM_GETLINK ? sizeof(struct ifinfomsg) : sizeof(struct ifaddrmsg);
	struct rtgenmsg *g = mnl_nlmsg_put_extra_header(nlh, hdr);
	g->rtgen_family = AF_UNSPEC;
	if (mnl_socket_sendto(nl.req, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	struct dump_ctx d = {0};
	while (!d.done) {
		struct sockaddr_nl sa;
		struct iovec iov = {nl.buf, sizeof(nl.buf)};
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(mnl_socket_get_fd(nl.req), &msg, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (msg.msg_flags & MSG_TRUNC)
			return -ENOSPC; /* a reply lost: this dump is incomplete */
		if (nlmsg_input(&sa, msg.msg_namelen, 0, nlh->nlmsg_seq, nl.portid, nl.buf,
				(size_t)n, dump_rec, &d, &nl_stats) == -EPERM)
			foreign_dropped("dump", &sa, msg.msg_namelen);
	}
	if (d.intr || d.resync)
		*again = true;
	return d.error;
}

static int dump_all(void)
{
	for (int attempt = 0; attempt < DUMP_ATTEMPTS; attempt++) {
		bool again = false; /* interrupted, or an object of the other dump */
		state_mark();
		int rc = dump_one(RTM_GETLINK, &again);
		if (!rc)
			rc = dump_one(RTM_GETADDR, &again);
		if (rc) {
			log_err("netlink dump failed: %s", strerror(-rc));
			return rc;
		}
		if (!again) {
			state_sweep();
			return 0;
		}
		log_debug("netlink dump interrupted by a change, dumping again");
	}
	/* Still consistent enough to sweep: the monitor socket has the rest. */
	state_sweep();
	return 0;
}

int netlink_initial_dump(void)
{
	int rc = dump_all();
	nl.last_resync_ms = now_ms();
	return rc;
}

static void resync(void)
{
	nl_stats.resyncs++;
	nl.last_resync_ms = now_ms();
	log_notice("netlink: overrun or lost message; re-reading the kernel's state "
		   "(resync %llu)", (unsigned long long)nl_stats.resyncs);
	if (dump_all() < 0) {
		/* Try again later rather than give up on the final state. */
		ev_timer_set(&nl.resync_timer, 1.0, 0.);
		ev_timer_start(nl.loop, &nl.resync_timer);
	}
}

static void resync_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	resync();
}

static void resync_request(void)
{
	if (ev_is_active(&nl.resync_timer))
		return;
	uint64_t now = now_ms();
	if (now - nl.last_resync_ms >= RESYNC_MIN_INTERVAL_MS) {
		resync();
		return;
	}
	/* Rate-limited: a storm of overruns costs one dump per interval. */
	double wait = (double)(RESYNC_MIN_INTERVAL_MS - (now - nl.last_resync_ms)) / 1000.;
	ev_timer_set(&nl.resync_timer, wait, 0.);
	ev_timer_start(nl.loop, &nl.resync_timer);
}

static void mon_rec(const struct nl_rec *rec, void *arg)
{
	bool *resync = arg;
	if (rec->kind == NL_DONE || rec->kind == NL_ERROR)
		return;
	if (state_apply(rec))
		*resync = true;
}

bool netlink_input(const void *buf, size_t len)
{
	uint64_t before = nl_stats.malformed;
	bool resync = false;
	nlmsg_decode(buf, len, mon_rec, &resync, &nl_stats);
	if (nl_stats.malformed == before)
		return resync;
	/* A message that could not be decoded (cut short, or missing what it
	 * must carry) was an event all the same: its change is not known, so
	 * the kernel's state is read again, rate-limited like an overrun. */
	log_info("netlink: a malformed or truncated message; re-reading the kernel's state");
	return true;
}

static void mon_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	bool drained = false;
	for (int budget = MON_READ_BUDGET; budget > 0; budget--) {
		struct sockaddr_nl sa;
		struct iovec iov = {nl.buf, sizeof(nl.buf)};
		struct msghdr msg = {
			.msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t n = recvmsg(w->fd, &msg, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				nl_stats.overruns++;
				nl.lost = true;
				continue;
			}
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				log_err("netlink receive: %s", strerror(errno));
			drained = true;
			break;
		}
		if (msg.msg_flags & MSG_TRUNC) {
			nl_stats.overruns++;
			nl.lost = true;
			continue;
		}
		if (!nlmsg_from_kernel(&sa, msg.msg_namelen, MON_GROUPS)) {
			nl_stats.foreign++;
			foreign_dropped("monitor", &sa, msg.msg_namelen);
			continue;
		}
		if (netlink_input(nl.buf, (size_t)n))
			nl.lost = true;
	}
	if (!drained)
		return; /* more to read: called again after the other watchers */
	if (nl.lost) {
		nl.lost = false;
		resync_request();
	}
}

int netlink_open(struct ev_loop *loop, uint64_t rcvbuf)
{
	nl.loop = loop;
	nl.mon = mnl_socket_open2(NETLINK_ROUTE, SOCK_NONBLOCK | SOCK_CLOEXEC);
	nl.req = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl.mon || !nl.req) {
		int e = errno;
		log_err("netlink socket: %s", strerror(e));
		netlink_close();
		return -e;
	}
	int rc = set_rcvbuf(mnl_socket_get_fd(nl.mon), rcvbuf);
	if (rc < 0)
		log_warn("netlink_rcvbuf: %s", strerror(-rc));
	if (mnl_socket_bind(nl.mon, MON_GROUPS, MNL_SOCKET_AUTOPID) < 0 ||
	    mnl_socket_bind(nl.req, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		log_err("netlink bind: %s", strerror(e));
		netlink_close();
		return -e;
	}
	/* Connected to the kernel, a netlink socket makes the kernel refuse
	 * unicasts from any other port (ECONNREFUSED to the sender), which
	 * also keeps a flood of forged datagrams from stalling a dump; the
	 * sender check on receive stays for whatever gets through. */
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	if (connect(mnl_socket_get_fd(nl.mon), (struct sockaddr *)&kernel, sizeof(kernel)) < 0 ||
	    connect(mnl_socket_get_fd(nl.req), (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		log_warn("netlink connect: %s (other senders are still dropped on receipt)",
			 strerror(errno));
	nl.portid = mnl_socket_get_portid(nl.req);
	/* Unpredictable, so that a forged reply cannot guess it either. */
	if (getrandom(&nl.seq, sizeof(nl.seq), GRND_NONBLOCK) != sizeof(nl.seq))
		nl.seq = (uint32_t)now_ms() ^ ((uint32_t)getpid() << 16);
	struct timeval tv = {.tv_sec = 5};
	setsockopt(mnl_socket_get_fd(nl.req), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ev_io_init(&nl.io, mon_read_cb, mnl_socket_get_fd(nl.mon), EV_READ);
	ev_io_start(loop, &nl.io);
	ev_timer_init(&nl.resync_timer, resync_timer_cb, 0., 0.);
	return 0;
}

void netlink_close(void)
{
	if (nl.loop) {
		ev_io_stop(nl.loop, &nl.io);
		ev_timer_stop(nl.loop, &nl.resync_timer);
	}
	if (nl.mon)
		mnl_socket_close(nl.mon);
	if (nl.req)
		mnl_socket_close(nl.req);
	nl.mon = nl.req = NULL;
}

void netlink_stats_log(void)
{
	log_notice("netlink: %llu messages, %llu malformed, %llu ignored, %llu foreign, "
		   "%llu overruns, %llu resyncs",
		   (unsigned long long)nl_stats.messages, (unsigned long long)nl_stats.malformed,
		   (unsigned long long)nl_stats.ignored, (unsigned long long)nl_stats.foreign,
		   (unsigned long long)nl_stats.overruns, (unsigned long long)nl_stats.resyncs);
}
