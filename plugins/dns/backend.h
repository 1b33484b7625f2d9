/* What both DNS plugins do the same way over ldns: find a group's zone (an
 * SOA query), find a zone's servers (configured, or its primary), and read
 * a zone's records from them.  Only sending the UPDATE differs. */
#ifndef NLEVD_DNS_BACKEND_H
#define NLEVD_DNS_BACKEND_H
#include "discover.h"
#include "engine.h"
#include "query.h"
#include "xchg.h"

struct backend;

/* One group's or zone's exchange, discovery state and read. */
struct bslot {
	struct backend *b;
	struct dns_group *g;
	struct dns_zone *z;
	struct xchg x;
	struct disc ds;
	struct dns_query q;
	int phase;
	bool active;
	/* the read in flight */
	struct dns_rrq *qs; /* the engine's, answered when it ends */
	struct dns_question *qv;
	size_t nqs;
	/* after the targets: the plugin's send */
	void (*then)(struct bslot *s);
	/* the UPDATE in flight: ops[off..nops) still to send */
	const struct dns_op *ops;
	size_t nops, off, nupdates;
	void *pctx; /* the plugin's per-zone state */
};

struct backend {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const struct dns_config *cfg;
	struct xchg_target resolvers[XCHG_MAX_ADDRS];
	size_t nresolvers;
	void (*pctx_free)(void *pctx);
};

/* Ready (reads resolv.conf); 0, or -EINVAL with the reason logged as a
 * configuration error (no way to find a zone or a server by name). */
int backend_init(struct backend *b, const struct nlevd_host *host, struct nlevd_instance *inst,
		 const struct dns_config *cfg);
/* The engine's transport calls, shared. */
int backend_find(struct backend *b, struct dns_group *g, const char *owner, const char *qname);
int backend_read(struct backend *b, struct dns_zone *z, struct dns_rrq *qs, size_t n);
void backend_cancel_zone(struct backend *b, struct dns_zone *z);
void backend_cancel_group(struct backend *b, struct dns_group *g);
/* For dns_engine_set_slot_free: the first argument is not used. */
void backend_slot_free(void *unused, void *slot);
/* The zone's slot (made on first use), or NULL (out of memory). */
struct bslot *backend_zone_slot(struct backend *b, struct dns_zone *z);
/* Find the zone's targets into s->ds.targets, then call then(s); a failure
 * is reported to the engine with dns_read_done() (for_read) or dns_sent(). */
void backend_targets(struct bslot *s, bool for_read, void (*then)(struct bslot *s));

#endif
