/* The exchange: one DNS request over non-blocking UDP (retransmitted
 * within the timeout) or TCP, failing over through the addresses given;
 * every response checked by dns_response_check() before it counts. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "build.h"
#include "xchg.h"

#define UDP_TRIES 3

uint16_t xchg_random_id(void)
{
	uint16_t id;
	if (getentropy(&id, sizeof(id)) < 0)
		id = (uint16_t)(rand() ^ time(NULL));
	return id;
}

void xchg_target_str(const struct xchg_target *t, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (t->sa.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&t->sa;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else {
		const struct sockaddr_in6 *s = (const void *)&t->sa;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	/* an address looked up for a `server` name: say which */
	snprintf(buf, len, "%s#%u%s%s%s", ip, port, t->name ? " (" : "", t->name ? t->name : "",
		 t->name ? ")" : "");
}

bool xchg_target_from_ip(const char *ip, uint16_t port, struct xchg_target *t)
{
	memset(t, 0, sizeof(*t));
	struct sockaddr_in *s4 = (void *)&t->sa;
	struct sockaddr_in6 *s6 = (void *)&t->sa;
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port ? port : 53);
		t->len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port ? port : 53);
		t->len = sizeof(*s6);
		return true;
	}
	return false;
}

static void x_close(struct xchg *x)
{
	struct ev_loop *loop = x->loop;
	ev_io_stop(loop, &x->io);
	ev_timer_stop(loop, &x->tmr);
	if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	free(x->rbuf);
	x->rbuf = NULL;
	x->rlen = x->rexp = x->woff = 0;
}

static void x_finish(struct xchg *x, int err, struct dns_answer *a)
{
	x_close(x);
	if (x->nignored > 1)
		x->host->log(x->inst, NLEVD_LOG_WARNING, "%llu more responses ignored for %s",
			     x->nignored - 1, x->qname);
	x->nignored = 0;
	x->active = false;
	free(x->wire);
	x->wire = NULL;
	explicit_bzero(&x->key, sizeof(x->key)); /* verified: not needed now */
	x->done(x->owner, err, a);
}

static void x_try(struct xchg *x);

static void x_next(struct xchg *x, const char *why)
{
	char where[DNS_NAME_MAX + 64];
	xchg_target_str(&x->addrs[x->ai], where, sizeof(where));
	snprintf(x->last_err, sizeof(x->last_err), "%s: %s", where, why);
	x->host->log(x->inst, NLEVD_LOG_DEBUG, "%s", x->last_err);
	x_close(x);
	x->ai++;
	x->tcp = x->force_tcp;
	x_try(x);
}

static void x_handle(struct xchg *x, const uint8_t *buf, size_t len)
{
	struct dns_answer a;
	enum dns_verdict v = dns_response_check(buf, len, &x->ex, time(NULL), &a);
	char where[DNS_NAME_MAX + 64];
	xchg_target_str(&x->addrs[x->ai], where, sizeof(where));
	if (v == DNS_V_IGNORE) {
		x->ignored++;
		if (!x->nignored++)
			x->host->log(x->inst, NLEVD_LOG_WARNING, "ignoring a response from %s: %s",
				     where, a.detail);
		if (x->tcp) /* a TCP stream carries one answer: this was it */
			x_next(x, a.detail);
		return;
	}
	if (v == DNS_V_UNVERIFIED) {
		/* Forged, or the server's own: only the timeout tells. */
		x->ignored++;
		if (!x->unv)
			x->host->log(x->inst, NLEVD_LOG_WARNING, "unverified answer from %s: %s; "
				     "waiting for a signed one", where, a.detail);
		x->unv = true;
		x->unv_rcode = a.rcode;
		x->unv_tsig = a.tsig_error;
		snprintf(x->unv_detail, sizeof(x->unv_detail), "%s from %s", a.detail, where);
		if (x->unv_final) {
			x_finish(x, -EBADMSG, NULL);
			return;
		}
		if (x->tcp) /* the next message on the stream, until the timeout */
			x->rlen = x->rexp = 0;
		return;
	}
	if (v == DNS_V_TRUNCATED) {
		if (x->tcp) {
			x_next(x, "truncated over TCP");
			return;
		}
		x->host->log(x->inst, NLEVD_LOG_DEBUG, "%s: truncated, retrying over TCP", where);
		x_close(x);
		x->tcp = true;
		x_try(x);
		return;
	}
	a.wire = buf;
	a.wire_len = len;
	x_finish(x, 0, &a);
}

static void x_udp_read(struct xchg *x)
{
	uint8_t buf[65536];
	for (;;) {
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(x->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			x_next(x, strerror(errno)); /* e.g. ECONNREFUSED from ICMP */
			return;
		}
		/* Connected: the kernel already filters; be strict anyway. */
		if (fl != x->addrs[x->ai].len || memcmp(&from, &x->addrs[x->ai].sa, fl)) {
			x->ignored++;
			continue;
		}
		x_handle(x, buf, (size_t)n);
		return;
	}
}

static void x_tcp_io(struct xchg *x, int revents)
{
	if (revents & EV_WRITE) {
		if (x->woff == 0) {
			int err = 0;
			socklen_t l = sizeof(err);
			getsockopt(x->fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err) {
				x_next(x, strerror(err));
				return;
			}
		}
		uint8_t hdr[2] = {(uint8_t)(x->wlen >> 8), (uint8_t)x->wlen};
		struct iovec iov[2] = {{hdr + (x->woff < 2 ? x->woff : 2), x->woff < 2 ? 2 - x->woff : 0},
				       {x->wire + (x->woff > 2 ? x->woff - 2 : 0),
					x->wlen - (x->woff > 2 ? x->woff - 2 : 0)}};
		struct msghdr m = {.msg_iov = iov, .msg_iovlen = 2};
		ssize_t n = sendmsg(x->fd, &m, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				x_next(x, strerror(errno));
			return;
		}
		x->woff += (size_t)n;
		if (x->woff >= x->wlen + 2) {
			ev_io_stop(x->loop, &x->io);
			ev_io_set(&x->io, x->fd, EV_READ);
			ev_io_start(x->loop, &x->io);
		}
		return;
	}
	if (!x->rbuf && !(x->rbuf = malloc(65535 + 2))) {
		x_next(x, "out of memory");
		return;
	}
	for (;;) {
		size_t want = x->rlen < 2 ? 2 - x->rlen : x->rexp + 2 - x->rlen;
		ssize_t n = read(x->fd, x->rbuf + x->rlen, want);
		if (n < 0) {
			if (errno != EAGAIN && errno != EINTR)
				x_next(x, strerror(errno));
			return;
		}
		if (n == 0) {
			x_next(x, "connection closed");
			return;
		}
		x->rlen += (size_t)n;
		if (x->rlen == 2) {
			x->rexp = ((size_t)x->rbuf[0] << 8) | x->rbuf[1];
			if (x->rexp < 12) {
				x_next(x, "bad TCP length");
				return;
			}
		}
		if (x->rlen >= 2 && x->rlen == x->rexp + 2) {
			uint8_t *b = x->rbuf;
			size_t l = x->rexp;
			x->rbuf = NULL; /* x_handle may close and restart */
			x_handle(x, b + 2, l);
			free(b);
			return;
		}
	}
}

static void x_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	struct xchg *x = w->data;
	if (x->tcp)
		x_tcp_io(x, revents);
	else
		x_udp_read(x);
}

static void x_tmr_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct xchg *x = w->data;
	uint64_t timeout = x->timeout_ms;
	if (!x->tcp && x->sends < UDP_TRIES) {
		/* Retransmit within the attempt's timeout. */
		if (send(x->fd, x->wire, x->wlen, 0) < 0 && errno != EAGAIN) {
			x_next(x, strerror(errno));
			return;
		}
		x->sends++;
		ev_timer_set(w, (double)timeout / UDP_TRIES / 1000., 0.);
		ev_timer_start(loop, w);
		return;
	}
	x_next(x, "timed out");
}

static void x_try(struct xchg *x)
{
	struct ev_loop *loop = x->loop;
	if (x->ai >= x->naddrs) {
		/* No verified answer: an unverified error one, if any, counts. */
		x_finish(x, x->unv ? -EBADMSG : -ETIMEDOUT, NULL);
		return;
	}
	const struct xchg_target *t = &x->addrs[x->ai];
	x->fd = socket(t->sa.ss_family, (x->tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
						SOCK_CLOEXEC, 0);
	if (x->fd < 0) {
		x_next(x, strerror(errno));
		return;
	}
	if (connect(x->fd, (const struct sockaddr *)&t->sa, t->len) < 0 && errno != EINPROGRESS) {
		x_next(x, strerror(errno));
		return;
	}
	uint64_t timeout = x->timeout_ms;
	if (x->tcp) {
		x->woff = 0;
		ev_io_init(&x->io, x_io_cb, x->fd, EV_WRITE);
		ev_timer_init(&x->tmr, x_tmr_cb, (double)timeout / 1000., 0.);
	} else {
		if (send(x->fd, x->wire, x->wlen, 0) < 0 && errno != EAGAIN) {
			x_next(x, strerror(errno));
			return;
		}
		x->sends = 1;
		ev_io_init(&x->io, x_io_cb, x->fd, EV_READ);
		ev_timer_init(&x->tmr, x_tmr_cb, (double)timeout / UDP_TRIES / 1000., 0.);
	}
	x->io.data = x->tmr.data = x;
	ev_io_start(loop, &x->io);
	/* The loop's time is that of its last wake-up: after a long callback
	 * (a big batch built, many zones started at once) it is stale, and a
	 * retransmission would leave at once instead of timeout/3 later. */
	ev_now_update(loop);
	ev_timer_start(loop, &x->tmr);
}

void xchg_init(struct xchg *x, const struct nlevd_host *host, struct nlevd_instance *inst,
	       uint64_t timeout_ms)
{
	memset(x, 0, sizeof(*x));
	x->loop = host->loop;
	x->host = host;
	x->inst = inst;
	x->timeout_ms = timeout_ms;
	x->fd = -1;
}

/* Send x->wire to addrs[0..n). */
static void x_begin(struct xchg *x, const struct xchg_target *addrs, size_t n, bool tcp,
		    xchg_done_fn *done, void *owner)
{
	x->fd = -1;
	x->naddrs = n > XCHG_MAX_ADDRS ? XCHG_MAX_ADDRS : n;
	memcpy(x->addrs, addrs, x->naddrs * sizeof(*addrs));
	x->ai = 0;
	/* A request that would not fit in one unfragmented UDP datagram (a
	 * zone's worth of records, merged) goes over TCP from the start. */
	x->tcp = x->force_tcp = tcp || x->wlen > DNS_EDNS_UDP;
	x->done = done;
	x->owner = owner;
	x->active = true;
	snprintf(x->last_err, sizeof(x->last_err), "no server address");
	x_try(x);
}

int xchg_start_wire(struct xchg *x, uint8_t *wire, size_t wlen, const struct dns_expect *ex,
		    const struct xchg_target *addrs, size_t n, bool tcp, bool unv_final,
		    xchg_done_fn *done, void *owner)
{
	if (wlen > DNS_MSG_MAX) {
		free(wire);
		return -EMSGSIZE;
	}
	x->nignored = 0;
	x->unv = false;
	x->unv_final = unv_final;
	explicit_bzero(&x->key, sizeof(x->key));
	x->ex = *ex;
	x->ex.key = NULL;
	snprintf(x->qname, sizeof(x->qname), "%s", ex->qname);
	x->ex.qname = x->qname;
	size_t ml = ex->req_mac_len < sizeof(x->req_mac) ? ex->req_mac_len : sizeof(x->req_mac);
	if (ml)
		memcpy(x->req_mac, ex->req_mac, ml);
	x->ex.req_mac = x->req_mac;
	x->ex.req_mac_len = ml;
	free(x->wire);
	x->wire = wire;
	x->wlen = wlen;
	x_begin(x, addrs, n, tcp, done, owner);
	return 0;
}

int xchg_start(struct xchg *x, ldns_pkt *pkt, const struct xchg_target *addrs, size_t n,
	       const char *qname, uint16_t qtype, const struct tsig_key *key, bool tcp,
	       xchg_done_fn *done, void *owner)
{
	memset(&x->ex, 0, sizeof(x->ex));
	x->nignored = 0;
	x->unv = false;
	x->unv_final = false;
	ldns_pkt_set_id(pkt, xchg_random_id());
	/* EDNS: answers up to 1232 bytes over UDP (no fragmentation). */
	ldns_pkt_set_edns_udp_size(pkt, DNS_EDNS_UDP);
	if (key) {
		const char *alg = tsig_alg_name(key->algorithm, NULL);
		if (ldns_pkt_tsig_sign(pkt, key->name, key->secret_b64, 300, alg, NULL) !=
		    LDNS_STATUS_OK) {
			ldns_pkt_free(pkt);
			return -EINVAL;
		}
		const ldns_rdf *mac = ldns_rr_rdf(ldns_pkt_tsig(pkt), 3);
		size_t ml = mac && ldns_rdf_size(mac) > 2 ? ldns_rdf_size(mac) - 2 : 0;
		if (ml > sizeof(x->req_mac))
			ml = sizeof(x->req_mac);
		if (ml)
			memcpy(x->req_mac, ldns_rdf_data(mac) + 2, ml);
		/* The exchange keeps the key it signed with: a reload may
		 * replace the owner's key while this is in flight. */
		x->key = *key;
		x->ex.key = &x->key;
		x->ex.req_mac = x->req_mac;
		x->ex.req_mac_len = ml;
	}
	x->ex.id = ldns_pkt_id(pkt);
	x->ex.opcode = (uint8_t)ldns_pkt_get_opcode(pkt);
	snprintf(x->qname, sizeof(x->qname), "%s", qname);
	x->ex.qname = x->qname;
	x->ex.qtype = qtype;
	free(x->wire);
	x->wire = NULL;
	ldns_status st = ldns_pkt2wire(&x->wire, pkt, &x->wlen);
	ldns_pkt_free(pkt);
	int err = st != LDNS_STATUS_OK ? -EINVAL
		: x->wlen > DNS_MSG_MAX ? -EMSGSIZE /* the TCP length prefix would wrap */
		: 0;
	if (err < 0) {
		/* Not started: nothing will free the request or wipe the key. */
		free(x->wire);
		x->wire = NULL;
		explicit_bzero(&x->key, sizeof(x->key));
		return err;
	}
	x_begin(x, addrs, n, tcp, done, owner);
	return 0;
}

void xchg_cancel(struct xchg *x)
{
	if (!x->active)
		return;
	x_close(x);
	x->active = false;
	free(x->wire);
	x->wire = NULL;
	explicit_bzero(&x->key, sizeof(x->key));
}
