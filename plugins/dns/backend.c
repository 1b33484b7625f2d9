/* The DNS plugins' shared transport over ldns: a group's zone by SOA query,
 * a zone's servers, and reading its records (signed when a key is set,
 * every answer checked as strictly as an UPDATE's). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

enum { PH_FIND, PH_READ, PH_SEND };

int backend_init(struct backend *b, const struct nlevd_host *host, struct nlevd_instance *inst,
		 const struct dns_config *cfg)
{
	memset(b, 0, sizeof(*b));
	b->host = host;
	b->inst = inst;
	b->cfg = cfg;
	struct disc tmp;
	disc_init(&tmp, host, inst, cfg, NULL);
	disc_read_resolvers(&tmp);
	memcpy(b->resolvers, tmp.resolvers, sizeof(b->resolvers));
	b->nresolvers = tmp.nresolvers;
	const char *a_name = NULL; /* a `server` given by name */
	for (size_t i = 0; i < cfg->nservers && !a_name; i++) {
		char name[DNS_NAME_MAX];
		if (dns_server_host(cfg->servers[i].host, name, sizeof(name)) == DNS_HOST_NAME)
			a_name = cfg->servers[i].host;
	}
	if (!cfg->nservers && !b->nresolvers) {
		host->cfg_error(inst, "server", "no server given and no nameserver in " RESOLV_CONF
				" to find the zone's primary");
		return -EINVAL;
	}
	if (a_name && !b->nresolvers) {
		host->cfg_error(inst, "server", "'%s' is a host name, and there is no nameserver in "
				RESOLV_CONF " to look it up", a_name);
		return -EINVAL;
	}
	return 0;
}

static struct bslot *slot_new(struct backend *b)
{
	struct bslot *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->b = b;
	xchg_init(&s->x, b->host, b->inst, b->cfg->timeout_ms);
	disc_init(&s->ds, b->host, b->inst, b->cfg, &s->x);
	memcpy(s->ds.resolvers, b->resolvers, sizeof(b->resolvers));
	s->ds.nresolvers = b->nresolvers;
	dns_query_init(&s->q);
	return s;
}

void backend_slot_free(void *unused, void *slot)
{
	struct bslot *s = slot;
	(void)unused;
	if (!s)
		return;
	struct backend *b = s->b;
	dns_query_free(&s->q);
	xchg_cancel(&s->x);
	disc_free(&s->ds);
	free(s->qv);
	if (s->pctx && b->pctx_free)
		b->pctx_free(s->pctx);
	explicit_bzero(&s->x.key, sizeof(s->x.key));
	free(s);
}

struct bslot *backend_zone_slot(struct backend *b, struct dns_zone *z)
{
	void **slot = dns_zone_tctx(z);
	if (!*slot && (*slot = slot_new(b)))
		((struct bslot *)*slot)->z = z;
	return *slot;
}

/* ---- a group's zone ---- */

static void find_soa_done(void *ctx, enum dns_result r, const char *detail)
{
	struct bslot *s = ctx;
	s->active = false;
	if (r != DNS_OK) {
		disc_forget(&s->ds);
		dns_found(s->g, r, NULL, NULL, detail);
		return;
	}
	const struct zone_info *zi = disc_cache_find(&s->ds, s->ds.zi.owner);
	if (!zi) {
		dns_found(s->g, DNS_TRANSIENT, NULL, NULL, "discovery lost its answer");
		return;
	}
	struct zone_info z = *zi;
	disc_forget(&s->ds); /* found afresh each time it is asked */
	dns_found(s->g, DNS_OK, z.zone, z.mname, NULL);
}

static void find_servers_done(void *ctx, enum dns_result r, const char *detail)
{
	struct bslot *s = ctx;
	if (r != DNS_OK) {
		s->active = false;
		dns_found(s->g, r, NULL, NULL, detail);
		return;
	}
	/* disc_zone() clears ds.zi: the question is copied out first */
	char owner[DNS_NAME_MAX], qname[DNS_NAME_MAX];
	snprintf(owner, sizeof(owner), "%s", s->ds.zi.owner);
	snprintf(qname, sizeof(qname), "%s", s->ds.mname);
	disc_zone(&s->ds, owner, qname, find_soa_done, s);
}

int backend_find(struct backend *b, struct dns_group *g, const char *owner, const char *qname)
{
	void **slot = dns_group_tctx(g);
	if (!*slot && !(*slot = slot_new(b)))
		return -ENOMEM;
	struct bslot *s = *slot;
	s->g = g;
	s->phase = PH_FIND;
	s->active = true;
	if (!b->cfg->nservers) {
		disc_zone(&s->ds, owner, qname, find_soa_done, s);
		return 0;
	}
	/* The SOA query goes to the configured servers: their addresses
	 * first.  ds.zi.owner and ds.mname carry the question meanwhile. */
	disc_batch(&s->ds, NULL);
	snprintf(s->ds.zi.owner, sizeof(s->ds.zi.owner), "%s", owner);
	snprintf(s->ds.mname, sizeof(s->ds.mname), "%s", qname);
	disc_servers(&s->ds, find_servers_done, s);
	return 0;
}

void backend_cancel_group(struct backend *b, struct dns_group *g)
{
	(void)b;
	struct bslot *s = *dns_group_tctx(g);
	if (s) {
		xchg_cancel(&s->x);
		s->active = false;
	}
}

/* ---- a zone's servers ---- */

static void targets_fail(struct bslot *s, enum dns_result r, const char *detail)
{
	s->active = false;
	disc_forget(&s->ds);
	if (s->phase == PH_READ)
		dns_read_done(s->z, r, detail);
	else
		dns_sent(s->z, r, detail);
}

static void primary_done(void *ctx, enum dns_result r, const char *detail)
{
	struct bslot *s = ctx;
	if (r != DNS_OK) {
		targets_fail(s, r, detail);
		return;
	}
	s->then(s);
}

static void apex_done(void *ctx, enum dns_result r, const char *detail)
{
	struct bslot *s = ctx;
	if (r != DNS_OK) {
		targets_fail(s, r, detail);
		return;
	}
	const struct zone_info *zi = disc_cache_find(&s->ds, dns_zone_name(s->z));
	if (!zi) {
		targets_fail(s, DNS_TRANSIENT, "discovery lost its answer");
		return;
	}
	char mname[DNS_NAME_MAX];
	snprintf(mname, sizeof(mname), "%s", zi->mname);
	disc_forget(&s->ds);
	disc_primary(&s->ds, mname, primary_done, s);
}

static void servers_done(void *ctx, enum dns_result r, const char *detail)
{
	struct bslot *s = ctx;
	if (r != DNS_OK) {
		targets_fail(s, r, detail);
		return;
	}
	s->then(s);
}

void backend_targets(struct bslot *s, bool for_read, void (*then)(struct bslot *s))
{
	const struct dns_config *cfg = s->b->cfg;
	s->phase = for_read ? PH_READ : PH_SEND;
	s->then = then;
	s->active = true;
	/* Looked up afresh for every attempt: no cache to keep in step with
	 * the records' TTLs, and an address that moved is found next time. */
	disc_batch(&s->ds, dns_zone_server(s->z));
	if (cfg->nservers) {
		disc_servers(&s->ds, servers_done, s);
		return;
	}
	const char *mname = dns_zone_mname(s->z);
	if (mname[0]) {
		disc_primary(&s->ds, mname, primary_done, s);
		return;
	}
	/* A zone given by `zone`: its primary from its SOA. */
	disc_zone(&s->ds, dns_zone_name(s->z), dns_zone_name(s->z), apex_done, s);
}

/* ---- reading a zone's records ---- */

/* What a failed read means (query.h lists the errors). */
static enum dns_result read_class(const struct bslot *s, int err)
{
	switch (err) {
	case -ETIMEDOUT:
	case -ENOMEM:
		return DNS_TRANSIENT;
	case -EBADMSG: /* only unsigned error answers: counts as that error */
	case -EREMOTEIO:
		if (s->q.tsig_error == 18) /* BADTIME: a clock NTP sets soon */
			return DNS_TRANSIENT;
		if (s->q.tsig_error)
			return DNS_PERMANENT;
		return dns_rcode_class(dns_rcode_name(s->q.rcode)) == DNS_TRANSIENT ? DNS_TRANSIENT
										  : DNS_PERMANENT;
	default: /* -EPROTO: not from the primary, or nonsense */
		return DNS_PERMANENT;
	}
}

static void read_done(void *owner, int err, const char *detail)
{
	struct bslot *s = owner;
	s->active = false;
	if (err) {
		char d[sizeof(s->q.detail) + 64];
		snprintf(d, sizeof(d), "%s%s", detail ? detail : "?", err == -EBADMSG ?
			 ", unverified: no signed answer within the timeout" : "");
		disc_forget(&s->ds);
		dns_read_done(s->z, read_class(s, err), d);
		return;
	}
	/* The answers move into the engine's questions. */
	for (size_t i = 0; i < s->nqs && i < s->q.n; i++) {
		struct dns_rrq *to = &s->qs[i], *from = &s->q.rr[i];
		dns_rrq_clear(to);
		to->status = from->status;
		to->rdata = from->rdata;
		to->nrdata = from->nrdata;
		to->ttl = from->ttl;
		from->rdata = NULL;
		from->nrdata = 0;
	}
	dns_read_done(s->z, DNS_OK, NULL);
}

static void read_start(struct bslot *s)
{
	const struct dns_config *cfg = s->b->cfg;
	int rc = dns_query_start(&s->q, &s->x, dns_zone_name(s->z), s->ds.targets, s->ds.ntargets,
				 cfg->has_key ? &cfg->key : NULL, cfg->tcp, s->qv, s->nqs,
				 read_done, s);
	if (rc < 0) {
		char d[96];
		snprintf(d, sizeof(d), "cannot query: %s", strerror(-rc));
		targets_fail(s, DNS_TRANSIENT, d);
	}
}

int backend_read(struct backend *b, struct dns_zone *z, struct dns_rrq *qs, size_t n)
{
	struct bslot *s = backend_zone_slot(b, z);
	if (!s)
		return -ENOMEM;
	struct dns_question *qv = realloc(s->qv, (n ? n : 1) * sizeof(*qv));
	if (!qv)
		return -ENOMEM;
	s->qv = qv;
	for (size_t i = 0; i < n; i++) {
		qv[i].owner = qs[i].owner;
		qv[i].type = qs[i].type;
	}
	s->qs = qs;
	s->nqs = n;
	backend_targets(s, true, read_start);
	return 0;
}

void backend_cancel_zone(struct backend *b, struct dns_zone *z)
{
	(void)b;
	struct bslot *s = *dns_zone_tctx(z);
	if (s) {
		dns_query_cancel(&s->q);
		xchg_cancel(&s->x);
		s->active = false;
	}
}
