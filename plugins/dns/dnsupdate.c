/* dnsupdate: publish the host's addresses with RFC 2136 UPDATE, TSIG-signed
 * (RFC 8945), on the daemon's libev loop; nothing here blocks.  The plugin
 * glue: the engine decides, backend.c finds zones and reads records, and
 * this file sends each zone's changes as UPDATEs over the exchange. */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nlevd/plugin.h>

#include "backend.h"
#include "build.h"
#include "creds.h"
#include "engine.h"
#include "verify.h"
#ifdef HAVE_KRB5
#include "gssneg.h"
#endif

struct dnsu {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	struct dns_config cfg;
	struct backend b;
	struct dns_engine *e;
	unsigned long long ignored_gone; /* responses ignored by slots freed */
	struct dns_creds *creds;         /* auth = gss-tsig */
};

/* A zone's GSS-TSIG state (the slot's pctx). */
struct du_zone {
#ifdef HAVE_KRB5
	struct gssneg *gn;
#endif
	size_t last_taken; /* the changes in the UPDATE in flight */
	bool renewed;      /* this send has already made a new context */
};

static bool gss(const struct dns_config *cfg)
{
	return cfg->auth == DNS_AUTH_GSS || cfg->auth == DNS_AUTH_MSGSS;
}

static const char *const keys[] = {"name", "zone", "server", "key_file", "key_name", "ttl",
				   "ptr", "on_empty", "delete_delay", "ownership", "verify",
				   "refresh", "ipv6_suffix", "timeout", "retry", "retry_max",
				   "tcp", "auth", "keytab", "principal", NULL};

/* ---- one zone's changes: as few UPDATEs as fit, each atomic ---- */

/* The instance a slot belongs to (its backend is embedded in it). */
static struct dnsu *owner_of(struct bslot *s)
{
	return (struct dnsu *)((char *)s->b - offsetof(struct dnsu, b));
}

static void zone_state_free(void *pctx)
{
	struct du_zone *dz = pctx;
#ifdef HAVE_KRB5
	gssneg_free(dz->gn);
#endif
	free(dz);
}


static void send_next(struct bslot *s);

static void update_done(void *owner, int err, struct dns_answer *a)
{
	struct bslot *s = owner;
	const char *zone = dns_zone_name(s->z);
	char detail[sizeof(s->x.unv_detail) + DNS_NAME_MAX + 64];
	struct du_zone *dz = s->pctx;
	if (err == -EBADMSG && dz && gss(s->b->cfg) && !dz->renewed &&
	    (s->x.unv_tsig == 16 || s->x.unv_tsig == 17)) {
		/* The server no longer knows our context (it restarted, or it
		 * expired there first): make a new one and send again, once. */
		s->b->host->log(s->b->inst, NLEVD_LOG_INFO, "zone %s: %s: negotiating a new "
				"GSS-TSIG context", zone, s->x.unv_detail);
#ifdef HAVE_KRB5
		gssneg_forget(dz->gn);
#endif
		dz->renewed = true;
		s->off -= dz->last_taken;
		send_next(s);
		return;
	}
	if (err == -EBADMSG) {
		/* Only unsigned error answers until the timeout (SPEC). */
		const char *name = dns_rcode_name(s->x.unv_tsig ? s->x.unv_tsig : s->x.unv_rcode);
		if (s->x.unv_final) /* GSS-TSIG over TCP: the server's only answer */
			snprintf(detail, sizeof(detail), "%s for zone %s, unverified", s->x.unv_detail,
				 zone);
		else
			snprintf(detail, sizeof(detail), "%s for zone %s, unverified: no signed "
				 "answer within the timeout", s->x.unv_detail, zone);
		s->active = false;
		dns_sent(s->z, dns_rcode_class(name), detail);
		return;
	}
	if (err) {
		s->active = false;
		disc_forget(&s->ds);
		dns_sent(s->z, DNS_TRANSIENT, s->x.last_err);
		return;
	}
	ldns_pkt_free(a->pkt);
	if (a->mac_no_len)
		s->b->host->log(s->b->inst, NLEVD_LOG_DEBUG, "zone %s: the server's MIC leaves out "
				"the request MAC's length (as Samba's does); accepted", zone);
	if (a->tsig_error) {
		/* BADTIME is an error for the admin, but a transient one: a clock
		 * wrong at boot is usually set by NTP moments later. */
		s->active = false;
		if (a->tsig_error == 18) {
			s->b->host->log(s->b->inst, NLEVD_LOG_ERR, "%s", a->detail);
			dns_sent(s->z, DNS_TRANSIENT, a->detail);
			return;
		}
		dns_sent(s->z, DNS_PERMANENT, a->detail);
		return;
	}
	if (a->rcode) {
		const char *name = dns_rcode_name(a->rcode);
		snprintf(detail, sizeof(detail), "%s from the server for zone %s", name, zone);
#ifdef HAVE_KRB5
		if (gss(s->b->cfg)) {
			/* Whose update the zone's policy refused, and where. */
			size_t o = strlen(detail);
			snprintf(detail + o, sizeof(detail) - o, " (GSS-TSIG as %s, server %s)",
				 dns_creds_principal(owner_of(s)->creds), gssneg_server(dz->gn));
		}
#endif
		s->active = false;
		dns_sent(s->z, dns_rcode_class(name), detail);
		return;
	}
	s->nupdates++;
	send_next(s);
}

#ifdef HAVE_KRB5
/* ---- GSS-TSIG: tickets (a child), then a context (TKEY), then send ---- */

static void gss_fail(struct bslot *s, enum dns_result r, const char *detail)
{
	s->active = false;
	dns_sent(s->z, r, detail);
}

static void neg_done(void *owner, enum dns_result r, const char *detail)
{
	struct bslot *s = owner;
	if (r != DNS_OK) {
		gss_fail(s, r, detail);
		return;
	}
	send_next(s);
}

/* "DNS/ns1.example.com" for the zone's primary: the principal nsupdate
 * uses too, whatever `server` says.  false when the MNAME is not known. */
static bool gss_service(const struct bslot *s, char *buf, size_t len)
{
	const char *mname = dns_zone_mname(s->z);
	if (!mname[0]) /* forgotten after a failure: as this attempt found it */
		mname = s->ds.mname;
	size_t n = strlen(mname);
	if (n && mname[n - 1] == '.')
		n--;
	if (!n || n >= len - 4)
		return false;
	snprintf(buf, len, "DNS/%.*s", (int)n, mname);
	return true;
}

static void creds_done(void *arg, enum dns_result r, const char *detail)
{
	struct bslot *s = arg;
	struct dnsu *d = owner_of(s);
	struct du_zone *dz = s->pctx;
	char service[DNS_NAME_MAX + 8], full[2 * DNS_NAME_MAX + 16];
	if (r != DNS_OK) {
		gss_fail(s, r, detail);
		return;
	}
	gss_service(s, service, sizeof(service));
	snprintf(full, sizeof(full), "%s@%s", service, dns_creds_realm(d->creds));
	int rc = gssneg_start(dz->gn, dns_creds_ccache(d->creds), dns_creds_principal(d->creds),
			      full, s->ds.targets, s->ds.ntargets, neg_done, s);
	if (rc == -ENOKEY) {
		/* The cache lacks the ticket it should hold (removed, or
		 * expired early): the next attempt fetches it again. */
		dns_creds_forget(d->creds);
		gss_fail(s, DNS_TRANSIENT, "Kerberos: no usable ticket for the server in the "
			 "credential cache");
	} else if (rc < 0) {
		gss_fail(s, DNS_TRANSIENT, "cannot start the GSS-TSIG negotiation");
	}
}

static void gss_prepare(struct bslot *s)
{
	struct dnsu *d = owner_of(s);
	char service[DNS_NAME_MAX + 8], detail[DNS_NAME_MAX + 120];
	if (!gss_service(s, service, sizeof(service))) {
		snprintf(detail, sizeof(detail), "GSS-TSIG needs the primary name (SOA MNAME) of "
			 "zone %s, which is not known (with both zone and server set, nothing "
			 "asks for it: leave zone unset)", dns_zone_name(s->z));
		gss_fail(s, DNS_TRANSIENT, detail);
		return;
	}
	int rc = dns_creds_get(d->creds, service, creds_done, s);
	if (rc < 0)
		gss_fail(s, DNS_TRANSIENT, "Kerberos: cannot ask for tickets");
}

static int gss_send(struct bslot *s, ldns_pkt *pkt)
{
	struct du_zone *dz = s->pctx;
	uint8_t *w = NULL;
	size_t wl = 0;
	ldns_pkt_set_id(pkt, xchg_random_id());
	ldns_pkt_set_edns_udp_size(pkt, DNS_EDNS_UDP);
	ldns_status st = ldns_pkt2wire(&w, pkt, &wl);
	ldns_pkt_free(pkt);
	if (st != LDNS_STATUS_OK) {
		free(w);
		return -EINVAL;
	}
	return gssneg_send(dz->gn, &s->x, w, wl, dns_zone_name(s->z), update_done, s);
}
#endif

static void send_next(struct bslot *s)
{
	const struct dns_config *cfg = s->b->cfg;
	const char *zone = dns_zone_name(s->z);
	if (s->off >= s->nops) {
		char detail[64];
		snprintf(detail, sizeof(detail), "%zu UPDATE message%s", s->nupdates,
			 s->nupdates == 1 ? "" : "s");
		s->active = false;
		dns_sent(s->z, DNS_OK, detail);
		return;
	}
	size_t n = s->nops - s->off;
	const struct dns_op **ops = malloc(n * sizeof(*ops));
	if (!ops) {
		s->active = false;
		dns_sent(s->z, DNS_TRANSIENT, "out of memory");
		return;
	}
	for (size_t i = 0; i < n; i++)
		ops[i] = &s->ops[s->off + i];
#ifdef HAVE_KRB5
	struct du_zone *dz = s->pctx;
	if (gss(cfg) && !gssneg_ready(dz->gn, time(NULL))) {
		free(ops);
		gss_prepare(s);
		return;
	}
#endif
	size_t limit = DNS_MSG_MAX, mac_len = 0;
#ifdef HAVE_KRB5
	if (gss(cfg))
		limit -= gssneg_overhead(dz->gn);
#endif
	if (cfg->has_key) {
		const char *alg = tsig_alg_name(cfg->key.algorithm, &mac_len);
		limit -= dns_tsig_size(cfg->key.name, alg ? alg : "", mac_len);
	}
	struct dns_update u;
	int rc = dns_update_build(zone, ops, n, cfg->ttl, limit, &u);
	free(ops);
	if (rc < 0) {
		char detail[2 * DNS_NAME_MAX + 160];
		if (rc == -EMSGSIZE)
			/* An RRset that large could not be served either. */
			snprintf(detail, sizeof(detail), "the records of %s alone need %zu bytes, "
				 "over the %d of a DNS message", u.owner, u.need + (limit < DNS_MSG_MAX
				 ? DNS_MSG_MAX - limit : 0), DNS_MSG_MAX);
		else if (rc == -EINVAL)
			snprintf(detail, sizeof(detail), "cannot build the UPDATE message for %s",
				 u.owner ? u.owner : zone);
		else
			snprintf(detail, sizeof(detail), "cannot build the UPDATE message: %s",
				 strerror(-rc));
		s->active = false;
		dns_sent(s->z, rc == -ENOMEM ? DNS_TRANSIENT : DNS_PERMANENT, detail);
		return;
	}
	if (u.taken < n || s->off)
		s->b->host->log(s->b->inst, s->off ? NLEVD_LOG_DEBUG : NLEVD_LOG_INFO,
				"zone %s: %zu changes do not fit one UPDATE: sending %zu "
				"(%zu bytes unsigned), the rest of the names in the next",
				zone, n, u.taken, u.wire_len);
	s->off += u.taken;
#ifdef HAVE_KRB5
	if (gss(cfg)) {
		dz->last_taken = u.taken;
		rc = gss_send(s, u.pkt);
	} else
#endif
		rc = xchg_start(&s->x, u.pkt, s->ds.targets, s->ds.ntargets, zone,
				LDNS_RR_TYPE_SOA, cfg->has_key ? &cfg->key : NULL, cfg->tcp,
				update_done, s);
	if (rc < 0) {
		s->active = false;
		dns_sent(s->z, DNS_PERMANENT, rc == -EMSGSIZE ? "the signed UPDATE message is over "
			 "65535 bytes" : "cannot sign the UPDATE message");
	}
}

/* ---- the engine's transport ---- */

static int du_find(void *ctx, struct dns_group *g, const char *owner, const char *qname)
{
	return backend_find(&((struct dnsu *)ctx)->b, g, owner, qname);
}

static int du_read(void *ctx, struct dns_zone *z, struct dns_rrq *qs, size_t n)
{
	return backend_read(&((struct dnsu *)ctx)->b, z, qs, n);
}

static int du_send(void *ctx, struct dns_zone *z, const struct dns_op *ops, size_t nops)
{
	struct dnsu *d = ctx;
	struct bslot *s = backend_zone_slot(&d->b, z);
	if (!s)
		return -ENOMEM;
	if (gss(&d->cfg) && !s->pctx) {
		struct du_zone *dz = calloc(1, sizeof(*dz));
#ifdef HAVE_KRB5
		if (dz && !(dz->gn = gssneg_new(d->host, d->inst, d->cfg.auth == DNS_AUTH_MSGSS,
						d->cfg.timeout_ms))) {
			free(dz);
			dz = NULL;
		}
#endif
		if (!dz)
			return -ENOMEM;
		s->pctx = dz;
	}
	if (s->pctx)
		((struct du_zone *)s->pctx)->renewed = false;
	s->ops = ops;
	s->nops = nops;
	s->off = 0;
	s->nupdates = 0;
	backend_targets(s, false, send_next);
	return 0;
}

static void du_cancel_zone(void *ctx, struct dns_zone *z)
{
	struct dnsu *d = ctx;
	struct bslot *s = *dns_zone_tctx(z);
	if (s && d->creds)
		dns_creds_cancel(d->creds, s);
#ifdef HAVE_KRB5
	if (s && s->pctx)
		gssneg_cancel(((struct du_zone *)s->pctx)->gn);
#endif
	backend_cancel_zone(&d->b, z);
}

static void du_cancel_group(void *ctx, struct dns_group *g)
{
	backend_cancel_group(&((struct dnsu *)ctx)->b, g);
}

static const struct dns_transport transport = {du_find, du_read, du_send, du_cancel_zone,
					       du_cancel_group};

static void slot_free(void *ctx, void *slot)
{
	struct dnsu *d = ctx;
	if (slot)
		d->ignored_gone += ((struct bslot *)slot)->x.ignored;
	if (slot && d->creds)
		dns_creds_cancel(d->creds, slot);
	backend_slot_free(NULL, slot);
}

/* ---- the plugin ---- */

static int du_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	struct dnsu *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->host = host;
	d->inst = inst;
	int rc = dns_config_read(host, inst, &d->cfg);
	if (rc == 0 && gss(&d->cfg) &&
	    !(d->creds = dns_creds_new(host, inst, d->cfg.keytab, d->cfg.principal,
				       d->cfg.timeout_ms)))
		rc = -ENOMEM;
	if (rc == 0)
		rc = backend_init(&d->b, host, inst, &d->cfg);
	d->b.pctx_free = zone_state_free;
	if (rc == 0 && !(d->e = dns_engine_new(host, inst, &d->cfg, &transport, d)))
		rc = -ENOMEM;
	if (rc < 0) {
		dns_creds_free(d->creds);
		dns_config_free(&d->cfg);
		free(d);
		return rc;
	}
	dns_engine_set_slot_free(d->e, slot_free);
	*priv = d;
	return 0;
}

static int du_start(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	dns_engine_start(((struct dnsu *)priv)->e);
	return 0;
}

static void du_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	(void)inst;
	(void)ev;
	dns_engine_changed(((struct dnsu *)priv)->e);
}

static int du_once(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	return dns_engine_once(((struct dnsu *)priv)->e);
}

static void count_ignored(void *slot, void *arg)
{
	*(unsigned long long *)arg += ((struct bslot *)slot)->x.ignored;
}

static int du_push(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	return dns_engine_push(((struct dnsu *)priv)->e);
}

static void du_report(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	struct dnsu *d = priv;
	dns_engine_report(d->e, st);
	if (d->creds)
		dns_creds_report(d->creds, st);
	unsigned long long ignored = d->ignored_gone;
	dns_engine_foreach_slot(d->e, count_ignored, &ignored);
	/* forged, stale or malformed */
	d->host->status_uint(st, "responses_ignored", ignored);
}

/* SIGHUP with the section unchanged: a key file replaced in place (a key
 * rotation) takes effect; a file that no longer reads as a key is logged
 * and the old key stays.  A failed update is retried at once either way:
 * the operator may have fixed the server. */
static void du_reopen(struct nlevd_instance *inst, void *priv)
{
	struct dnsu *d = priv;
	dns_config_reload_key(d->host, inst, &d->cfg);
	dns_engine_kick(d->e);
}

static void du_destroy(struct nlevd_instance *inst, void *priv)
{
	struct dnsu *d = priv;
	(void)inst;
	dns_engine_free(d->e);
	dns_creds_free(d->creds);
	dns_config_free(&d->cfg);
	free(d);
}

static void du_stop(struct nlevd_instance *inst, void *priv, enum nlevd_stop_reason why)
{
	struct dnsu *d = priv;
	(void)inst;
	/* Gone for good: its credential cache goes too (a reload's new
	 * instance of the section goes on using it). */
	if (why == NLEVD_STOP_SHUTDOWN && d->creds)
		dns_creds_shutdown(d->creds);
}

const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "dnsupdate",
	.version = PACKAGE_VERSION,
	.keys = keys,
	.default_settle_ms = 200,
	.default_scopes = NLEVD_SCOPE_GLOBAL,
	.default_no_temporary = true,
	.create = du_create,
	.start = du_start,
	.event = du_event,
	.once = du_once,
	.reopen = du_reopen,
	.report = du_report,
	.push = du_push,
	.destroy = du_destroy,
	.stop = du_stop,
};
