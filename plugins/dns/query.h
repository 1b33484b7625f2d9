/* Reading a zone's current records from its primary: one QUERY per
 * (owner, type), one after another on the owner's exchange, each answer
 * verified as strictly as an UPDATE's (xchg.c, verify.c) and required to
 * be authoritative, so that a forged "all is well" cannot hide drift.
 *
 * Call sequence: dns_query_init once; dns_query_start; done(owner, err,
 * detail) is called once, from the loop, unless dns_query_cancel comes
 * first; after err 0, q->rr[0..n) hold the records; dns_query_free at the
 * end.  Only the types A, AAAA, PTR and DHCID are read. */
#ifndef NLEVD_DNS_QUERY_H
#define NLEVD_DNS_QUERY_H
#include <ev.h>
#include <ldns/ldns.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "keyfile.h"
#include "xchg.h"

struct dns_question {
	const char *owner; /* with or without the trailing dot */
	uint16_t type;     /* LDNS_RR_TYPE_A, _AAAA, _PTR or _DHCID */
};

/* The whole read fails with err and a detail naming the server and the
 * question, e.g. "REFUSED from 127.0.0.1#53 for the query h.example.test. A":
 *   -ETIMEDOUT   no answer from any address (transient)
 *   -EBADMSG     only an unsigned error answer to a signed query came
 *                (rcode, tsig_error say which; maybe forged)
 *   -EREMOTEIO   a verified answer with an RCODE other than NOERROR or
 *                NXDOMAIN, or a TSIG error such as BADTIME (rcode,
 *                tsig_error say which)
 *   -EPROTO      a verified answer that is not acceptable: AA not set
 *                (not from the primary), or contradictory or malformed
 *                records
 *   -ENOMEM, -EINVAL (the query cannot be built or signed)
 * detail lives until the next dns_query_start or dns_query_free. */
typedef void dns_query_done_fn(void *owner, int err, const char *detail);

/* Embedded by value in its owner; one read in flight at a time. */
struct dns_query {
	struct xchg *x; /* the owner's, idle while a read is started */
	struct xchg_target targets[XCHG_MAX_ADDRS];
	size_t ntargets;
	struct tsig_key key; /* a copy: a reload may replace the owner's */
	bool have_key, tcp, active;
	/* An end reached inside dns_query_start (every address failing at
	 * once) is told from the loop: the caller is not re-entered. */
	bool starting;
	int err;
	ev_timer defer;
	struct dns_rrq *rr; /* the results, owned here */
	size_t n, next;
	int rcode, tsig_error; /* of the answer a read failed on, else 0 */
	char detail[DNS_NAME_MAX * 2 + 400];
	dns_query_done_fn *done;
	void *owner;
};

void dns_query_init(struct dns_query *q);
/* Read qs[0..n) (n > 0) from the zone's primary at t[0..nt) (in that order of
 * fail-over), signed with key unless NULL, over TCP if tcp, on x (idle).
 * Every owner must be in zone.  Results of an earlier read are freed.
 * 0; -EINVAL (a bad name or type, an owner outside zone, no address),
 * -EBUSY (a read, or x's exchange, in flight), -ENOMEM.  On error done is
 * not called. */
int dns_query_start(struct dns_query *q, struct xchg *x, const char *zone,
		    const struct xchg_target *t, size_t nt, const struct tsig_key *key, bool tcp,
		    const struct dns_question *qs, size_t n, dns_query_done_fn *done, void *owner);
/* Stop the read in flight, if any (and x's exchange); done is not called. */
void dns_query_cancel(struct dns_query *q);
/* Cancel, and free the results and wipe the key. */
void dns_query_free(struct dns_query *q);

/* Pure: the answer to q->owner/q->type in pkt, a response that verify.c
 * accepted for that question, into q (status, rdata, ttl; rdata freed
 * first).  Only RRs of class IN whose owner equals q->owner (in any case)
 * count.  0; -EREMOTEIO (an RCODE other than NOERROR or NXDOMAIN; detail
 * is its name), -EPROTO (AA not set; a CNAME beside other data; NXDOMAIN
 * with the records; a malformed rdata), -EINVAL (an unsupported type or a
 * bad owner), -ENOMEM; detail says why.  On error q holds no rdata. */
int dns_rrq_from_answer(const ldns_pkt *pkt, struct dns_rrq *q, char *detail, size_t len);
/* "FOUND", "NXDOMAIN", "NODATA", "CNAME", "UNREAD". */
const char *dns_rrq_status_name(enum dns_rrq_status s);

#endif
