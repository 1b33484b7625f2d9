/* Finding where an UPDATE goes: the addresses of the configured servers
 * (host names looked up through the system resolver), the zone and primary
 * of a name (an SOA query), the primary's addresses, and the resolvers of
 * resolv.conf.  Queries go out one at a time on the owner's exchange. */
#ifndef NLEVD_DNS_DISCOVER_H
#define NLEVD_DNS_DISCOVER_H
#include <stdbool.h>
#include <stddef.h>

#include <nlevd/plugin.h>

#include "engine.h"
#include "xchg.h"

#define RESOLV_CONF "/etc/resolv.conf"

struct zone_info {
	char owner[DNS_NAME_MAX];
	char zone[DNS_NAME_MAX];
	char mname[DNS_NAME_MAX];
};

/* The end of one step: DNS_OK (detail NULL), or what the batch fails with
 * and why. */
typedef void disc_done_fn(void *ctx, enum dns_result r, const char *detail);

struct disc {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const struct dns_config *cfg;
	struct xchg *x; /* the owner's, idle whenever a step is started */
	struct xchg_target resolvers[XCHG_MAX_ADDRS];
	size_t nresolvers;
	/* Where the UPDATE goes: the configured servers' addresses (after
	 * disc_servers), or the primary's (after disc_primary). */
	struct xchg_target targets[XCHG_MAX_ADDRS];
	size_t ntargets;
	/* What discovery found for each owner name (its zone and primary). */
	struct zone_info *cache;
	size_t ncache;
	struct zone_info zi; /* the zone being found */
	char mname[DNS_NAME_MAX]; /* the primary being looked up */
	int phase;
	/* With `server`: targets holds the configured servers' addresses,
	 * found once per batch (servers_known), host names looked up afresh
	 * each time.  first is the engine's choice of server, si the walk's
	 * next server, sname the name being looked up, sfirst where its
	 * addresses start in targets, swhy an error answer to one of its
	 * queries, serr the names that gave no address and why. */
	bool servers_known;
	const struct dns_server *first;
	size_t si, sfirst;
	char sname[DNS_NAME_MAX];
	const char *swhy;
	char serr[400];
	disc_done_fn *done;
	void *ctx;
};

/* Ready to use x for its queries. */
void disc_init(struct disc *ds, const struct nlevd_host *host, struct nlevd_instance *inst,
	       const struct dns_config *cfg, struct xchg *x);
/* The nameservers of resolv.conf into resolvers. */
void disc_read_resolvers(struct disc *ds);
/* A new batch: the servers' addresses are to be found again, the engine's
 * choice (first, or NULL) tried first. */
void disc_batch(struct disc *ds, const struct dns_server *first);
/* Results may be stale after a failure (the primary moved): forget them. */
void disc_forget(struct disc *ds);
/* Collect the configured servers' addresses into targets. */
void disc_servers(struct disc *ds, disc_done_fn *done, void *ctx);
/* The zone and primary of owner by an SOA query for qn (owner, or the zone
 * apex), into the cache: to the configured servers if any, else through
 * the system resolver. */
void disc_zone(struct disc *ds, const char *owner, const char *qn, disc_done_fn *done,
	       void *ctx);
/* The addresses of the primary mname into targets, through the resolver. */
void disc_primary(struct disc *ds, const char *mname, disc_done_fn *done, void *ctx);
/* What discovery found for owner, or NULL. */
const struct zone_info *disc_cache_find(const struct disc *ds, const char *owner);
void disc_free(struct disc *ds);

#endif
