/* dnsupdate: publish the host's addresses with RFC 2136 UPDATE, TSIG-signed
 * (RFC 8945), on the daemon's libev loop; nothing here blocks.  This file is
 * the plugin: configuration and key, and a batch sent as one UPDATE per
 * zone after discovery (discover.c), each over the exchange (xchg.c). */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nlevd/plugin.h>

#include "build.h"
#include "discover.h"
#include "engine.h"
#include "keyfile.h"
#include "verify.h"
#include "xchg.h"

struct dnsu {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	struct dns_config cfg;
	struct tsig_key key;
	bool has_key;
	struct dns_engine *e;
	const struct dns_batch *batch;
	size_t mi;
	/* Per message of the batch: 1 + the index of the message it went out
	 * with (one UPDATE per zone), or 0; mi skips those already sent. */
	size_t *merged;
	size_t merged_cap;
	/* Per message: its ops already sent (an UPDATE cut between names to
	 * stay under 64 kB leaves the rest for the next); mi_done: the UPDATE
	 * in flight completes the message at mi. */
	size_t *off;
	bool mi_done;
	size_t nupdates; /* UPDATEs answered in this batch */
	struct zone_info zi; /* for the message being sent */
	struct disc ds;
	struct xchg x;
};

static const char *const keys[] = {"name", "zone", "server", "key_file", "key_name", "ttl",
				   "ptr", "on_empty", "timeout", "retry", "retry_max", "tcp",
				   NULL};

/* ---- one batch: discovery, then an UPDATE per message ---- */

static void next_msg(struct dnsu *d);

static void batch_fail(struct dnsu *d, enum dns_result r, const char *detail)
{
	d->batch = NULL;
	/* Discovery results may be stale after a failure (the primary
	 * moved): the next attempt finds zones and primaries afresh. */
	disc_forget(&d->ds);
	dns_engine_result(d->e, r, detail);
}

static const char *msg_owner(const struct dns_msg *m)
{
	return m->nops ? m->ops[0].owner : ".";
}

static void update_done(void *owner, int err, struct dns_answer *a)
{
	struct dnsu *d = owner;
	char detail[sizeof(d->x.unv_detail) + DNS_NAME_MAX + 64];
	if (err == -EBADMSG) {
		/* Only unsigned error answers until the timeout (SPEC). */
		const char *name = dns_rcode_name(d->x.unv_tsig ? d->x.unv_tsig : d->x.unv_rcode);
		snprintf(detail, sizeof(detail), "%s for zone %s, unverified: no signed answer "
			 "within the timeout", d->x.unv_detail, d->zi.zone);
		batch_fail(d, dns_rcode_class(name), detail);
		return;
	}
	if (err) {
		snprintf(detail, sizeof(detail), "%s", d->x.last_err);
		batch_fail(d, DNS_TRANSIENT, detail);
		return;
	}
	ldns_pkt_free(a->pkt);
	if (a->tsig_error) {
		/* BADTIME is an error for the admin, but a transient one: a clock
		 * wrong at boot is usually set by NTP moments later, and the
		 * back-off then publishes within seconds, not at retry_max. */
		if (a->tsig_error == 18) {
			d->host->log(d->inst, NLEVD_LOG_ERR, "%s", a->detail);
			batch_fail(d, DNS_TRANSIENT, a->detail);
			return;
		}
		batch_fail(d, DNS_PERMANENT, a->detail);
		return;
	}
	if (a->rcode) {
		const char *name = dns_rcode_name(a->rcode);
		snprintf(detail, sizeof(detail), "%s from the server for zone %s", name, d->zi.zone);
		batch_fail(d, dns_rcode_class(name), detail);
		return;
	}
	d->nupdates++;
	if (d->mi_done)
		d->mi++;
	next_msg(d);
}

/* The zone a message goes to, when known without asking: its own, or the
 * one found for its owner. */
static const char *msg_zone_known(const struct dnsu *d, const struct dns_msg *m)
{
	const struct zone_info *z = m->zone ? NULL : disc_cache_find(&d->ds, msg_owner(m));
	return m->zone ? m->zone : z ? z->zone : NULL;
}

static bool same_zone(const char *a, const char *b)
{
	char na[DNS_NAME_MAX], nb[DNS_NAME_MAX];
	return a && b && dns_name_normalize(a, na, sizeof(na)) == 0 &&
	       dns_name_normalize(b, nb, sizeof(nb)) == 0 && !strcmp(na, nb);
}

/* The ops still to send for the zone of the message at mi: its own from
 * off[mi], then those of every later message known to be for the zone.
 * As many whole names as fit go out in one UPDATE, which the server
 * applies all or nothing; the rest of the zone's names follow in the next
 * (one UPDATE per zone unless it would exceed 64 kB). */
static void send_update(struct dnsu *d)
{
	const struct dns_batch *b = d->batch;
	size_t n = 0, groups = 0;
	for (size_t k = d->mi; k < b->nmsgs; k++)
		if (k == d->mi || (!d->merged[k] && same_zone(msg_zone_known(d, &b->msgs[k]),
							      d->zi.zone)))
			n += b->msgs[k].nops - d->off[k];
	const struct dns_op **ops = malloc((n ? n : 1) * sizeof(*ops));
	if (!ops) {
		batch_fail(d, DNS_TRANSIENT, "out of memory");
		return;
	}
	n = 0;
	for (size_t k = d->mi; k < b->nmsgs; k++) {
		if (k > d->mi && (d->merged[k] ||
				  !same_zone(msg_zone_known(d, &b->msgs[k]), d->zi.zone)))
			continue;
		for (size_t i = d->off[k]; i < b->msgs[k].nops; i++)
			ops[n++] = &b->msgs[k].ops[i];
	}
	size_t limit = DNS_MSG_MAX, mac_len = 0;
	if (d->has_key) {
		const char *alg = tsig_alg_name(d->key.algorithm, &mac_len);
		limit -= dns_tsig_size(d->key.name, alg ? alg : "", mac_len);
	}
	struct dns_update u;
	int rc = dns_update_build(d->zi.zone, ops, n, b->ttl, limit, &u);
	if (rc < 0) {
		char detail[2 * DNS_NAME_MAX + 160];
		if (rc == -EMSGSIZE)
			/* An RRset that large could not be served either. */
			snprintf(detail, sizeof(detail), "the records of %s alone need %zu bytes, "
				 "over the %d of a DNS message", u.owner, u.need + (limit < DNS_MSG_MAX
				 ? DNS_MSG_MAX - limit : 0), DNS_MSG_MAX);
		else if (rc == -EINVAL)
			snprintf(detail, sizeof(detail), "cannot build the UPDATE message for %s",
				 u.owner ? u.owner : d->zi.zone);
		else
			snprintf(detail, sizeof(detail), "cannot build the UPDATE message: %s",
				 strerror(-rc));
		free(ops);
		batch_fail(d, rc == -ENOMEM ? DNS_TRANSIENT : DNS_PERMANENT, detail);
		return;
	}
	free(ops);
	/* What went out: whole messages are merged, the first one cut short
	 * keeps where it stopped. */
	size_t left = u.taken;
	d->mi_done = false;
	for (size_t k = d->mi; k < b->nmsgs; k++) {
		if (k > d->mi && (d->merged[k] ||
				  !same_zone(msg_zone_known(d, &b->msgs[k]), d->zi.zone)))
			continue;
		size_t rest = b->msgs[k].nops - d->off[k];
		if (left < rest) {
			d->off[k] += left;
			break;
		}
		left -= rest;
		d->off[k] = b->msgs[k].nops;
		groups++;
		if (k == d->mi)
			d->mi_done = true;
		else
			d->merged[k] = d->mi + 1;
	}
	if (groups > 1 || u.taken < n)
		d->host->log(d->inst, NLEVD_LOG_DEBUG, "UPDATE for zone %s: %zu of %zu changes "
			     "(%zu bytes unsigned) from %zu message%s", d->zi.zone, u.taken, n,
			     u.wire_len, groups, groups == 1 ? "" : "s");
	rc = xchg_start(&d->x, u.pkt, d->ds.targets, d->ds.ntargets, d->zi.zone, LDNS_RR_TYPE_SOA,
			d->has_key ? &d->key : NULL, d->cfg.tcp, update_done, d);
	if (rc < 0)
		batch_fail(d, DNS_PERMANENT, rc == -EMSGSIZE ? "the signed UPDATE message is over "
			   "65535 bytes" : "cannot sign the UPDATE message");
}

/* A discovery step done: on with the batch. */
static void disc_done(void *ctx, enum dns_result r, const char *detail)
{
	struct dnsu *d = ctx;
	if (r != DNS_OK) {
		batch_fail(d, r, detail);
		return;
	}
	next_msg(d);
}

static void primary_done(void *ctx, enum dns_result r, const char *detail)
{
	struct dnsu *d = ctx;
	if (r != DNS_OK) {
		batch_fail(d, r, detail);
		return;
	}
	send_update(d);
}

static void servers_ready(struct dnsu *d)
{
	if (d->cfg.nservers) { /* their addresses were found for the batch */
		send_update(d);
		return;
	}
	disc_primary(&d->ds, d->zi.mname, primary_done, d);
}

static void next_msg(struct dnsu *d)
{
	while (d->mi < d->batch->nmsgs && d->merged[d->mi])
		d->mi++; /* went out with an earlier message of its zone */
	if (d->mi >= d->batch->nmsgs) {
		char detail[64];
		snprintf(detail, sizeof(detail), "%zu UPDATE message%s", d->nupdates,
			 d->nupdates == 1 ? "" : "s");
		d->batch = NULL;
		dns_engine_result(d->e, DNS_OK, detail);
		return;
	}
	if (d->cfg.nservers && !d->ds.servers_known) {
		disc_servers(&d->ds, disc_done, d); /* then here again */
		return;
	}
	/* First the zone of every message without one, so that the messages
	 * of one zone can go out as one UPDATE (bounded by the cache). */
	for (size_t k = d->mi; k < d->batch->nmsgs && d->ds.ncache < 63; k++) {
		const struct dns_msg *mk = &d->batch->msgs[k];
		if (!d->merged[k] && !msg_zone_known(d, mk)) {
			disc_zone(&d->ds, msg_owner(mk), msg_owner(mk), disc_done, d);
			return;
		}
	}
	const struct dns_msg *m = &d->batch->msgs[d->mi];
	if (m->zone && d->cfg.nservers) {
		memset(&d->zi, 0, sizeof(d->zi));
		snprintf(d->zi.owner, sizeof(d->zi.owner), "%s", msg_owner(m));
		snprintf(d->zi.zone, sizeof(d->zi.zone), "%s", m->zone);
		servers_ready(d);
		return;
	}
	/* Found before (for a zone given, its primary): the cache. */
	const struct zone_info *z = disc_cache_find(&d->ds, msg_owner(m));
	if (z) {
		d->zi = *z;
		servers_ready(d);
		return;
	}
	disc_zone(&d->ds, msg_owner(m), m->zone ? m->zone : msg_owner(m), disc_done, d);
}

static int du_send(void *ctx, const struct dns_batch *b)
{
	struct dnsu *d = ctx;
	if (d->x.active)
		return -EBUSY;
	if (b->nmsgs > d->merged_cap) {
		size_t *nm = realloc(d->merged, b->nmsgs * sizeof(*nm));
		if (!nm)
			return -ENOMEM;
		d->merged = nm;
		size_t *no = realloc(d->off, b->nmsgs * sizeof(*no));
		if (!no)
			return -ENOMEM;
		d->off = no;
		d->merged_cap = b->nmsgs;
	}
	if (b->nmsgs) {
		memset(d->merged, 0, b->nmsgs * sizeof(*d->merged));
		memset(d->off, 0, b->nmsgs * sizeof(*d->off));
	}
	d->batch = b;
	d->mi = 0;
	d->nupdates = 0;
	disc_batch(&d->ds, b->server);
	next_msg(d);
	return 0;
}

static void du_cancel(void *ctx)
{
	struct dnsu *d = ctx;
	xchg_cancel(&d->x);
	d->batch = NULL;
}

static const struct dns_transport transport = {du_send, du_cancel};

/* Read and check the key; NULL, or the config key at fault with the reason
 * in err.  Shared by create and by SIGHUP (a key file replaced in place). */
static const char *key_load(const char *path, const char *key_name, struct tsig_key *key,
			    char *err, size_t errlen)
{
	int at_name;
	if (keyfile_load(path, key_name, key, err, errlen, &at_name) < 0)
		return at_name ? "key_name" : "key_file";
	if (!tsig_alg_name(key->algorithm, NULL)) {
		snprintf(err, errlen, "%s: algorithm %s is refused%s", path, key->algorithm,
			 !strcmp(key->algorithm, "hmac-md5")
				 ? " (RFC 8945: MUST NOT be used)"
			 : !strcmp(key->algorithm, "hmac-sha384")
				 ? " (ldns 1.8.3 computes it wrongly; use hmac-sha256 or hmac-sha512)"
				 : "");
		explicit_bzero(key, sizeof(*key));
		return "key_file";
	}
	return NULL;
}

static int du_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	struct dnsu *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->host = host;
	d->inst = inst;
	int rc = dns_config_read(host, inst, &d->cfg);
	xchg_init(&d->x, host, inst, d->cfg.timeout_ms);
	disc_init(&d->ds, host, inst, &d->cfg, &d->x);
	const char *key_name;
	host->cfg_string(inst, "key_name", NULL, &key_name);
	/* key_file as written: d->cfg is empty after an error in another key,
	 * and the key file's own errors are still worth reporting then.  One
	 * that cannot even be opened was reported by dns_config_read(). */
	const char *key_file;
	host->cfg_string(inst, "key_file", NULL, &key_file);
	bool key_readable = false;
	if (key_file && key_file[0] == '/') {
		char err[300];
		struct stat st;
		int fd = keyfile_open(key_file, &st, err, sizeof(err));
		if (fd >= 0) {
			close(fd);
			key_readable = true;
		}
	}
	if (key_readable) {
		char err[300];
		const char *bad = key_load(key_file, key_name, &d->key, err, sizeof(err));
		if (bad) {
			host->cfg_error(inst, bad, "%s", err);
			rc = -EINVAL;
		} else {
			d->has_key = true;
		}
	} else if (key_name && !key_file) {
		host->cfg_error(inst, "key_name", "key_name needs key_file");
		rc = -EINVAL;
	}
	const char *a_name = NULL; /* a `server` given by name (all checked already) */
	for (size_t i = 0; rc == 0 && i < d->cfg.nservers && !a_name; i++) {
		char name[DNS_NAME_MAX];
		if (dns_server_host(d->cfg.servers[i].host, name, sizeof(name)) == DNS_HOST_NAME)
			a_name = d->cfg.servers[i].host;
	}
	if (rc == 0) {
		disc_read_resolvers(&d->ds);
		if (!d->cfg.nservers && !d->ds.nresolvers) {
			host->cfg_error(inst, "server",
					"no server given and no nameserver in " RESOLV_CONF
					" to find the zone's primary");
			rc = -EINVAL;
		} else if (a_name && !d->ds.nresolvers) {
			host->cfg_error(inst, "server",
					"'%s' is a host name, and there is no nameserver in " RESOLV_CONF
					" to look it up", a_name);
			rc = -EINVAL;
		}
	}
	if (rc == 0 && !(d->e = dns_engine_new(host, inst, &d->cfg, &transport, d)))
		rc = -ENOMEM;
	if (rc < 0) {
		explicit_bzero(&d->key, sizeof(d->key));
		dns_config_free(&d->cfg);
		free(d);
		return rc;
	}
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

static void du_status(struct nlevd_instance *inst, void *priv)
{
	struct dnsu *d = priv;
	dns_engine_status(d->e);
	if (d->x.ignored)
		d->host->log(inst, NLEVD_LOG_NOTICE, "%llu responses ignored (forged, stale or "
			     "malformed)", d->x.ignored);
}

/* SIGHUP with the section unchanged: a key file replaced in place (a key
 * rotation) takes effect; a file that no longer reads as a key is logged
 * and the old key stays.  A failed update is retried at once either way:
 * the operator may have fixed the server. */
static void du_reopen(struct nlevd_instance *inst, void *priv)
{
	struct dnsu *d = priv;
	struct tsig_key *k = d->has_key ? malloc(sizeof(*k)) : NULL;
	if (k) {
		const char *key_name;
		char err[300];
		d->host->cfg_string(inst, "key_name", NULL, &key_name);
		if (key_load(d->cfg.key_file, key_name, k, err, sizeof(err))) {
			d->host->log(inst, NLEVD_LOG_ERR, "%s; keeping the key read before", err);
		} else if (memcmp(k, &d->key, sizeof(*k))) {
			d->key = *k;
			d->host->log(inst, NLEVD_LOG_NOTICE, "key %s reloaded from %s", d->key.name,
				     d->cfg.key_file);
		}
		explicit_bzero(k, sizeof(*k));
		free(k);
	}
	dns_engine_kick(d->e);
}

static void du_destroy(struct nlevd_instance *inst, void *priv)
{
	struct dnsu *d = priv;
	(void)inst;
	dns_engine_free(d->e);
	du_cancel(d);
	disc_free(&d->ds);
	free(d->merged);
	free(d->off);
	explicit_bzero(&d->key, sizeof(d->key));
	explicit_bzero(&d->x.key, sizeof(d->x.key));
	dns_config_free(&d->cfg);
	free(d);
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
	.status = du_status,
	.destroy = du_destroy,
};
