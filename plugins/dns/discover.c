/* Discovery: the addresses of the configured servers, the zone and primary
 * of a name by its SOA, the primary's addresses; one query at a time on
 * the owner's exchange, each step ending in a callback. */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "verify.h"

enum { PH_SRV_A, PH_SRV_AAAA, PH_A, PH_AAAA };

static void disc_end(struct disc *ds, enum dns_result r, const char *detail)
{
	ds->done(ds->ctx, r, detail);
}

/* Every A and AAAA of an answer becomes a target (up to XCHG_MAX_ADDRS),
 * with port (0: the default) and, for a configured server, its name. */
static void answer_targets(struct disc *ds, ldns_pkt *pkt, uint16_t port, const char *name)
{
	ldns_rr_list *an = ldns_pkt_answer(pkt);
	for (size_t i = 0; i < ldns_rr_list_rr_count(an) && ds->ntargets < XCHG_MAX_ADDRS; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);
		ldns_rr_type t = ldns_rr_get_type(rr);
		if ((t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA) || ldns_rr_rd_count(rr) != 1)
			continue;
		char *ip = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		if (ip && xchg_target_from_ip(ip, port, &ds->targets[ds->ntargets]))
			ds->targets[ds->ntargets++].name = name;
		free(ip);
	}
}

/* ---- the primary's addresses ---- */

static void resolve_next(struct disc *ds);

static void addr_done(void *ctx, int err, struct dns_answer *a)
{
	struct disc *ds = ctx;
	if (!err) {
		answer_targets(ds, a->pkt, 0, NULL);
		ldns_pkt_free(a->pkt);
	}
	if (ds->phase == PH_A) {
		ds->phase = PH_AAAA;
		resolve_next(ds);
		return;
	}
	if (!ds->ntargets) {
		char detail[DNS_NAME_MAX + 64];
		snprintf(detail, sizeof(detail), "no address for the primary server %s", ds->mname);
		disc_end(ds, DNS_TRANSIENT, detail);
		return;
	}
	disc_end(ds, DNS_OK, NULL);
}

/* Addresses of the SOA MNAME, through the system resolver. */
static void resolve_next(struct disc *ds)
{
	ldns_rdf *n = ldns_dname_new_frm_str(ds->mname);
	ldns_rr_type t = ds->phase == PH_A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	ldns_pkt *q = n ? ldns_pkt_query_new(n, t, LDNS_RR_CLASS_IN, LDNS_RD) : NULL;
	if (!q || xchg_start(ds->x, q, ds->resolvers, ds->nresolvers, ds->mname, t, NULL, false,
			     addr_done, ds) < 0)
		disc_end(ds, DNS_TRANSIENT, "cannot query the resolver");
}

void disc_primary(struct disc *ds, const char *mname, disc_done_fn *done, void *ctx)
{
	ds->done = done;
	ds->ctx = ctx;
	snprintf(ds->mname, sizeof(ds->mname), "%s", mname);
	ds->ntargets = 0;
	ds->phase = PH_A;
	resolve_next(ds);
}

/* ---- the configured servers: IP addresses as they are, names looked up ---- */

/* The i-th server of the walk: the engine's choice first, the rest as
 * fall-back, so one UPDATE fails over through every address of each. */
static const struct dns_server *walk_server(const struct disc *ds, size_t i)
{
	size_t first = ds->first ? (size_t)(ds->first - ds->cfg->servers) : 0;
	return &ds->cfg->servers[(first + i) % ds->cfg->nservers];
}

static void servers_walk(struct disc *ds);

static void sname_failed(struct disc *ds, const char *why)
{
	size_t n = strlen(ds->serr);
	snprintf(ds->serr + n, sizeof(ds->serr) - n, "%scannot resolve server %s: %s",
		 n ? "; " : "", walk_server(ds, ds->si)->host, why);
}

static xchg_done_fn sname_done;

/* An A or AAAA query for a `server` name to the system resolver. */
static void sname_query(struct disc *ds)
{
	ldns_rr_type t = ds->phase == PH_SRV_A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	ldns_rdf *n = ldns_dname_new_frm_str(ds->sname);
	ldns_pkt *q = n ? ldns_pkt_query_new(n, t, LDNS_RR_CLASS_IN, LDNS_RD) : NULL;
	if (!q || xchg_start(ds->x, q, ds->resolvers, ds->nresolvers, ds->sname, t, NULL, false,
			     sname_done, ds) < 0)
		disc_end(ds, DNS_TRANSIENT, "cannot query the resolver");
}

static void sname_done(void *ctx, int err, struct dns_answer *a)
{
	struct disc *ds = ctx;
	const struct dns_server *s = walk_server(ds, ds->si);
	if (err) {
		/* No resolver answered: an AAAA query would only wait as long
		 * again.  The next server, if any; a transient failure if none. */
		char why[sizeof(ds->x->last_err) + 32];
		snprintf(why, sizeof(why), "no answer from the resolver (%s)", ds->x->last_err);
		sname_failed(ds, why);
		ds->si++;
		servers_walk(ds);
		return;
	}
	ldns_pkt *p = a->pkt;
	if (a->rcode == LDNS_RCODE_NXDOMAIN) { /* no such name: no AAAA either */
		ldns_pkt_free(p);
		sname_failed(ds, "NXDOMAIN");
		ds->si++;
		servers_walk(ds);
		return;
	}
	if (a->rcode) {
		ds->swhy = dns_rcode_name(a->rcode);
	} else {
		/* The resolver followed any CNAME: every address in the answer. */
		answer_targets(ds, p, s->port, s->host);
	}
	ldns_pkt_free(p);
	if (ds->phase == PH_SRV_A) {
		ds->phase = PH_SRV_AAAA;
		sname_query(ds);
		return;
	}
	if (ds->ntargets == ds->sfirst)
		sname_failed(ds, ds->swhy ? ds->swhy : "no A or AAAA record");
	ds->si++;
	servers_walk(ds);
}

/* Collect the configured servers' addresses into targets, looking up the
 * names one query at a time on the loop, then go on with the batch. */
static void servers_walk(struct disc *ds)
{
	for (; ds->si < ds->cfg->nservers && ds->ntargets < XCHG_MAX_ADDRS; ds->si++) {
		const struct dns_server *s = walk_server(ds, ds->si);
		if (xchg_target_from_ip(s->host, s->port, &ds->targets[ds->ntargets])) {
			ds->ntargets++; /* an IP address: no look-up */
			continue;
		}
		if (dns_server_host(s->host, ds->sname, sizeof(ds->sname)) != DNS_HOST_NAME)
			continue; /* refused at configuration time: not reached */
		ds->sfirst = ds->ntargets;
		ds->swhy = NULL;
		ds->phase = PH_SRV_A;
		sname_query(ds);
		return;
	}
	ds->servers_known = true;
	if (!ds->ntargets) {
		/* A transient failure: the engine retries with back-off, and
		 * the names are looked up again then. */
		disc_end(ds, DNS_TRANSIENT, ds->serr[0] ? ds->serr : "no server address");
		return;
	}
	if (ds->serr[0])
		ds->host->log(ds->inst, NLEVD_LOG_WARNING, "%s; trying the other servers", ds->serr);
	disc_end(ds, DNS_OK, NULL);
}

void disc_servers(struct disc *ds, disc_done_fn *done, void *ctx)
{
	ds->done = done;
	ds->ctx = ctx;
	servers_walk(ds);
}

/* ---- a name's zone and primary ---- */

static void soa_done(void *ctx, int err, struct dns_answer *a)
{
	struct disc *ds = ctx;
	char detail[DNS_NAME_MAX + sizeof(ds->x->last_err) + 32];
	if (err) {
		snprintf(detail, sizeof(detail), "SOA query for %s: %s", ds->zi.owner,
			 ds->x->last_err);
		disc_end(ds, DNS_TRANSIENT, detail);
		return;
	}
	/* Only an SOA of the name's own ancestry: one of another tree would
	 * send the signed UPDATE to another primary. */
	int rc = dns_soa_find(a->pkt, ds->x->qname, ds->zi.zone, sizeof(ds->zi.zone),
			      ds->zi.mname, sizeof(ds->zi.mname));
	ldns_pkt_free(a->pkt);
	if (rc < 0) {
		snprintf(detail, sizeof(detail), "no SOA found for %s (%s)", ds->zi.owner, a->detail);
		disc_end(ds, DNS_TRANSIENT, detail);
		return;
	}
	if (ds->ncache >= 64) /* one per owner ever seen: keep it bounded */
		ds->ncache = 0;
	struct zone_info *nc = realloc(ds->cache, (ds->ncache + 1) * sizeof(*nc));
	if (!nc) { /* the caller looks for it there: without it, no progress */
		disc_end(ds, DNS_TRANSIENT, "out of memory");
		return;
	}
	ds->cache = nc;
	ds->cache[ds->ncache++] = ds->zi;
	ds->host->log(ds->inst, NLEVD_LOG_INFO, "%s is in zone %s, primary %s", ds->zi.owner,
		      ds->zi.zone, ds->zi.mname);
	disc_end(ds, DNS_OK, NULL); /* the caller finds it in the cache now */
}

void disc_zone(struct disc *ds, const char *owner, const char *qn, disc_done_fn *done, void *ctx)
{
	ds->done = done;
	ds->ctx = ctx;
	memset(&ds->zi, 0, sizeof(ds->zi));
	snprintf(ds->zi.owner, sizeof(ds->zi.owner), "%s", owner);
	/* To the configured servers if any, else through the system resolver. */
	const struct xchg_target *t = ds->cfg->nservers ? ds->targets : ds->resolvers;
	size_t n = ds->cfg->nservers ? ds->ntargets : ds->nresolvers;
	ldns_rdf *name = ldns_dname_new_frm_str(qn);
	ldns_pkt *q = name ? ldns_pkt_query_new(name, LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, LDNS_RD)
			   : NULL;
	if (!q || xchg_start(ds->x, q, t, n, qn, LDNS_RR_TYPE_SOA, NULL, false, soa_done, ds) < 0)
		disc_end(ds, DNS_TRANSIENT, "cannot build the SOA query");
}

const struct zone_info *disc_cache_find(const struct disc *ds, const char *owner)
{
	for (size_t i = 0; i < ds->ncache; i++)
		if (!strcmp(ds->cache[i].owner, owner))
			return &ds->cache[i];
	return NULL;
}

void disc_forget(struct disc *ds)
{
	ds->ncache = 0;
}

void disc_batch(struct disc *ds, const struct dns_server *first)
{
	/* The servers' names are looked up afresh for every batch: no cache
	 * to keep in step with the records' TTLs, and an address that moved
	 * is found at the next attempt. */
	ds->first = first;
	ds->servers_known = false;
	ds->si = 0;
	ds->ntargets = 0;
	ds->serr[0] = 0;
}

/* Nameservers from resolv.conf: read at configure time (a small local file). */
void disc_read_resolvers(struct disc *ds)
{
	ldns_resolver *r = NULL;
	if (ldns_resolver_new_frm_file(&r, RESOLV_CONF) != LDNS_STATUS_OK || !r)
		return;
	ldns_rdf **ns = ldns_resolver_nameservers(r);
	for (size_t i = 0; i < ldns_resolver_nameserver_count(r) && ds->nresolvers < XCHG_MAX_ADDRS;
	     i++) {
		char *ip = ldns_rdf2str(ns[i]);
		if (ip && xchg_target_from_ip(ip, 0, &ds->resolvers[ds->nresolvers]))
			ds->nresolvers++;
		free(ip);
	}
	ldns_resolver_deep_free(r);
}

void disc_init(struct disc *ds, const struct nlevd_host *host, struct nlevd_instance *inst,
	       const struct dns_config *cfg, struct xchg *x)
{
	memset(ds, 0, sizeof(*ds));
	ds->host = host;
	ds->inst = inst;
	ds->cfg = cfg;
	ds->x = x;
}

void disc_free(struct disc *ds)
{
	free(ds->cache);
	ds->cache = NULL;
	ds->ncache = 0;
}
