/* One DNS request/response exchange on the libev loop: UDP with
 * retransmission, fail-over through a list of addresses, TCP when the
 * answer is truncated or the request too big, every response checked by
 * verify.c.  Non-blocking; the owner learns the outcome by callback. */
#ifndef NLEVD_DNS_XCHG_H
#define NLEVD_DNS_XCHG_H
#include <ev.h>
#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <nlevd/plugin.h>

#include "engine.h"
#include "keyfile.h"
#include "verify.h"

#define XCHG_MAX_ADDRS 16

struct xchg_target {
	struct sockaddr_storage sa;
	socklen_t len;
	const char *name; /* the `server` host name it was found for, or NULL */
};

/* err 0 and a verified answer a (its pkt is the callee's to free), or
 * -ETIMEDOUT (why in last_err), or -EBADMSG: only an unverified error
 * answer came (unv_rcode, unv_tsig, unv_detail); a is NULL then. */
typedef void xchg_done_fn(void *owner, int err, struct dns_answer *a);

/* One request to a list of addresses: retransmission, fail-over, TCP.
 * Embedded by value in its owner; one request in flight at a time. */
struct xchg {
	struct ev_loop *loop;
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	uint64_t timeout_ms; /* per address tried */
	uint8_t *wire;
	size_t wlen;
	struct dns_expect ex;
	struct tsig_key key; /* what the request was signed with */
	char qname[DNS_NAME_MAX];
	uint8_t req_mac[64];
	struct xchg_target addrs[XCHG_MAX_ADDRS];
	size_t naddrs, ai;
	int fd;
	bool tcp, force_tcp, active;
	int sends;
	ev_io io;
	ev_timer tmr;
	uint8_t *rbuf;
	size_t rlen, rexp, woff;
	char last_err[DNS_NAME_MAX + 160];
	/* Responses ignored in this exchange: the first is logged, the rest
	 * summed up at its end (anyone can flood us with datagrams). */
	unsigned long long nignored;
	/* Responses ignored over the owner's lifetime (forged, stale or
	 * malformed), for its status. */
	unsigned long long ignored;
	/* An unsigned error answer (DNS_V_UNVERIFIED), kept until a verified
	 * one comes or the exchange times out: then it counts. */
	bool unv;
	bool unv_final; /* the first unverified answer ends the exchange */
	int unv_rcode, unv_tsig;
	char unv_detail[DNS_NAME_MAX + 280];
	xchg_done_fn *done;
	void *owner;
};

/* Ready for xchg_start; host->loop is the loop it runs on. */
void xchg_init(struct xchg *x, const struct nlevd_host *host, struct nlevd_instance *inst,
	       uint64_t timeout_ms);
/* Send pkt (freed here) to addrs[0..n); TSIG-sign it with
 * key unless NULL.  done(owner, ...) is called once, later, from the loop.
 * 0; -EINVAL (cannot sign or encode), -EMSGSIZE (over 65535 bytes). */
int xchg_start(struct xchg *x, ldns_pkt *pkt, const struct xchg_target *addrs, size_t n,
	       const char *qname, uint16_t qtype, const struct tsig_key *key, bool tcp,
	       xchg_done_fn *done, void *owner);
/* As xchg_start, for a message already on the wire (taken over: freed
 * here, also on failure), signed by the caller or not: ex says what the
 * answer must match (copied; its qname and req_mac too).  unv_final: an
 * unverified error answer ends the exchange at once (-EBADMSG), for a
 * caller that only learns from it (a GSS context the server forgot).
 * 0; -EMSGSIZE. */
int xchg_start_wire(struct xchg *x, uint8_t *wire, size_t wlen, const struct dns_expect *ex,
		    const struct xchg_target *addrs, size_t n, bool tcp, bool unv_final,
		    xchg_done_fn *done, void *owner);
/* A random message ID. */
uint16_t xchg_random_id(void);
/* Stop the request in flight, if any; done is not called. */
void xchg_cancel(struct xchg *x);
/* "ADDRESS#PORT" of a target, for the log. */
void xchg_target_str(const struct xchg_target *t, char *buf, size_t len);
/* The address of ip (IPv4 or IPv6 literal), port 53 for 0; false if ip is
 * not an address. */
bool xchg_target_from_ip(const char *ip, uint16_t port, struct xchg_target *t);

#endif
