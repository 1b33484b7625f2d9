/* One zone's GSS-TSIG security context (RFC 3645): negotiated with TKEY
 * over TCP with one of the zone's servers, then used to sign each UPDATE
 * sent to that same server (a context is known to the server that made
 * it only) and to check its answers.  Non-blocking: the GSS-API works from
 * a ticket already cached (gss.h), the exchanges run on the loop. */
#ifndef NLEVD_DNS_GSSNEG_H
#define NLEVD_DNS_GSSNEG_H
#include <stdbool.h>
#include <time.h>

#include "engine.h"
#include "xchg.h"

struct gssneg;

/* ms: the Windows 2000 variant (gss.microsoft.com, TKEY in the answer). */
struct gssneg *gssneg_new(const struct nlevd_host *host, struct nlevd_instance *inst, bool ms,
			  uint64_t timeout_ms);
void gssneg_free(struct gssneg *g);

/* Is a context established, and good for a while yet (renewed before it
 * expires, with time to spare for an exchange)? */
bool gssneg_ready(const struct gssneg *g, time_t now);

/* DNS_OK, or DNS_TRANSIENT / DNS_PERMANENT with the reason. */
typedef void gssneg_done_fn(void *owner, enum dns_result r, const char *detail);

/* Negotiate a new context as client with service ("DNS/ns1.example.com@
 * REALM") from the ticket in ccache, with the first of targets[0..n) that
 * answers.  done(owner, ...) once, later, from the loop.  0, or <0. */
int gssneg_start(struct gssneg *g, const char *ccache, const char *client, const char *service,
		 const struct xchg_target *targets, size_t n, gssneg_done_fn *done, void *owner);

/* Sign the message wire[0..wlen) (malloc'd; taken over) for zone and send
 * it with x to the context's server over TCP; x's answer is checked with
 * the context.  0; -EMSGSIZE; -ENOKEY (no context); -EINVAL. */
int gssneg_send(struct gssneg *g, struct xchg *x, uint8_t *wire, size_t wlen, const char *zone,
		xchg_done_fn *done, void *owner);

/* The bytes signing adds to a message, at most. */
size_t gssneg_overhead(const struct gssneg *g);

/* The server has forgotten the context (BADKEY), or it is to be renewed:
 * drop it; the next send negotiates again. */
void gssneg_forget(struct gssneg *g);
/* Stop a negotiation in flight; done is not called. */
void gssneg_cancel(struct gssneg *g);
/* Where the context was made ("ADDRESS#PORT"), "" if none. */
const char *gssneg_server(const struct gssneg *g);
time_t gssneg_expiry(const struct gssneg *g);

#endif
