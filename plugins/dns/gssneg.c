/* A zone's GSS-TSIG context (see gssneg.h): the TKEY negotiation and the
 * signing of UPDATEs with it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ldns/ldns.h>
#include <time.h>

#include <nlevd/plugin.h>

#include "gss.h"
#include "gssneg.h"
#include "tkey.h"
#include "verify.h"

#define TKEY_LIFETIME 86400 /* asked for; the server and the ticket decide */
#define TKEY_ROUNDS 4       /* SPNEGO over Kerberos needs one, rarely two */
#define MIC_MAX 256

struct gssneg {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	bool ms_conf; /* as configured */
	bool ms;      /* the form in use: the server may want the other */
	struct gss_sec *sec; /* negotiating, or established when ready */
	bool established;
	time_t expiry, since;
	char keyname[DNS_NAME_MAX + 48];
	struct xchg_target server;
	char server_str[DNS_NAME_MAX + 64];
	/* the negotiation in flight */
	struct xchg x;
	int rounds;
	uint32_t inception;
	gssneg_done_fn *done;
	void *owner;
	/* for a second try in the other form (a FORMERR to the first) */
	bool other_tried;
	char ccache[DNS_NAME_MAX + 16], client[DNS_NAME_MAX], service[DNS_NAME_MAX + 16];
	struct xchg_target targets[XCHG_MAX_ADDRS];
	size_t ntargets;
};

struct gssneg *gssneg_new(const struct nlevd_host *host, struct nlevd_instance *inst, bool ms,
			  uint64_t timeout_ms)
{
	struct gssneg *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->host = host;
	g->inst = inst;
	g->ms = g->ms_conf = ms;
	xchg_init(&g->x, host, inst, timeout_ms);
	return g;
}

void gssneg_forget(struct gssneg *g)
{
	gss_sec_free(g->sec);
	g->sec = NULL;
	g->established = false;
	g->expiry = 0;
	g->server_str[0] = 0;
}

void gssneg_cancel(struct gssneg *g)
{
	if (g->x.active) {
		xchg_cancel(&g->x);
		gssneg_forget(g);
	}
}

void gssneg_free(struct gssneg *g)
{
	if (!g)
		return;
	xchg_cancel(&g->x);
	gssneg_forget(g);
	free(g);
}

bool gssneg_ready(const struct gssneg *g, time_t now)
{
	if (!g->established || !g->sec)
		return false;
	/* Renew with a tenth of the lifetime left (at most 5 minutes, at
	 * least 10 s): never sign with a context about to lapse. */
	time_t life = g->expiry - g->since, margin = life / 10;
	if (margin > 300)
		margin = 300;
	if (margin < 10)
		margin = 10;
	return g->expiry - now > margin;
}

const char *gssneg_server(const struct gssneg *g)
{
	return g->established ? g->server_str : "";
}

time_t gssneg_expiry(const struct gssneg *g)
{
	return g->established ? g->expiry : 0;
}

size_t gssneg_overhead(const struct gssneg *g)
{
	return gsstsig_size(g->keyname[0] ? g->keyname : "x", g->ms ? GSS_ALG_MS : GSS_ALG, MIC_MAX);
}

static void finish(struct gssneg *g, enum dns_result r, const char *detail)
{
	if (r != DNS_OK)
		gssneg_forget(g);
	g->done(g->owner, r, detail);
}

static int send_token(struct gssneg *g, const uint8_t *tok, size_t toklen,
		      const struct xchg_target *t, size_t n);
static int begin(struct gssneg *g);

static void tkey_done(void *owner, int err, struct dns_answer *a)
{
	struct gssneg *g = owner;
	char detail[DNS_NAME_MAX + 1400];
	if (err) {
		snprintf(detail, sizeof(detail), "GSS-TSIG negotiation (TKEY): %s",
			 err == -EBADMSG ? g->x.unv_detail : g->x.last_err);
		finish(g, DNS_TRANSIENT, detail);
		return;
	}
	char where[DNS_NAME_MAX + 64];
	xchg_target_str(&g->x.addrs[g->x.ai], where, sizeof(where));
	/* tkey.c reads the answer as it came: its MIC covers those bytes. */
	uint8_t *w = malloc(a->wire_len ? a->wire_len : 1);
	size_t wl = a->wire_len;
	ldns_pkt_free(a->pkt);
	if (!w) {
		finish(g, DNS_TRANSIENT, "out of memory");
		return;
	}
	memcpy(w, a->wire, wl);
	if (a->rcode == 1 && !g->other_tried) {
		/* FORMERR: the server does not take this form of TKEY (Samba
		 * refuses the Windows 2000 one): the other form, once, as
		 * nsupdate does. */
		free(w);
		g->other_tried = true;
		g->ms = !g->ms;
		g->host->log(g->inst, NLEVD_LOG_INFO, "%s answers FORMERR to the %s form of "
			     "GSS-TSIG: trying the %s form", where, g->ms ? "RFC 3645" : "Windows 2000",
			     g->ms ? "Windows 2000" : "RFC 3645");
		gss_sec_free(g->sec);
		g->sec = NULL;
		if (begin(g) < 0)
			finish(g, DNS_TRANSIENT, "cannot start the GSS-TSIG negotiation again");
		return;
	}
	if (a->rcode) {
		const char *name = dns_rcode_name(a->rcode);
		snprintf(detail, sizeof(detail), "GSS-TSIG negotiation refused by %s: %s", where,
			 name);
		free(w);
		finish(g, dns_rcode_class(name), detail);
		return;
	}
	struct tkey_answer ta;
	char why[DNS_NAME_MAX + 64];
	if (tkey_answer(w, wl, g->keyname, &ta, why, sizeof(why)) < 0 ||
	    ta.mode != TKEY_MODE_GSSAPI) {
		snprintf(detail, sizeof(detail), "GSS-TSIG negotiation with %s: %s", where,
			 ta.mode != TKEY_MODE_GSSAPI && !why[0] ? "not a GSS-API TKEY answer" : why);
		free(w);
		finish(g, DNS_TRANSIENT, detail);
		return;
	}
	if (ta.error) {
		/* BADKEY: the server could not accept our ticket (its keytab,
		 * or the name we asked for); BADTIME: the clocks. */
		const char *name = dns_rcode_name((int)ta.error);
		snprintf(detail, sizeof(detail), "GSS-TSIG negotiation refused by %s: TKEY error %s%s",
			 where, name, ta.error == 18 ? " (clock skew between us and the server)" : "");
		free(w);
		finish(g, ta.error == 18 ? DNS_TRANSIENT : DNS_PERMANENT, detail);
		return;
	}
	uint8_t *out = NULL;
	size_t outlen = 0;
	char gerr[600];
	int st = gss_sec_step(g->sec, ta.key, ta.keylen, &out, &outlen, gerr, sizeof(gerr));
	if (st < 0) {
		snprintf(detail, sizeof(detail), "GSS-TSIG negotiation with %s: %s", where, gerr);
		free(w);
		finish(g, DNS_PERMANENT, detail);
		return;
	}
	if (st == 1) {
		struct xchg_target t = g->x.addrs[g->x.ai];
		free(w);
		if (++g->rounds > TKEY_ROUNDS) {
			free(out);
			finish(g, DNS_PERMANENT, "GSS-TSIG negotiation does not end");
			return;
		}
		int rc = send_token(g, out, outlen, &t, 1);
		free(out);
		if (rc < 0)
			finish(g, DNS_TRANSIENT, "cannot build the TKEY query");
		return;
	}
	free(out); /* a last token the server does not need */
	if (ta.signed_) {
		/* The final answer may be signed with the new context; if it is,
		 * it must verify (the mutual authentication already proved the
		 * server; this proves the answer). */
		uint8_t *d;
		size_t dl, ml;
		const uint8_t *mac;
		bool good = gsstsig_digest(w, wl, NULL, 0, true, &d, &dl, &mac, &ml) == 0 &&
			    (gss_sec_verify(g->sec, d, dl, mac, ml) || (free(d), d = NULL, false));
		free(d);
		if (!good) {
			snprintf(detail, sizeof(detail), "GSS-TSIG negotiation with %s: the signature "
				 "of its TKEY answer does not verify", where);
			free(w);
			finish(g, DNS_TRANSIENT, detail);
			return;
		}
	}
	free(w);
	time_t now = time(NULL), exp = gss_sec_expiry(g->sec);
	if (ta.expiration > g->inception && (!exp || (time_t)ta.expiration < exp))
		exp = (time_t)ta.expiration;
	if (!exp)
		exp = now + 3600;
	g->established = true;
	g->since = now;
	g->expiry = exp;
	g->server = g->x.addrs[g->x.ai];
	snprintf(g->server_str, sizeof(g->server_str), "%s", where);
	g->host->log(g->inst, NLEVD_LOG_INFO, "GSS-TSIG context %s with %s, good for %lld s",
		     g->keyname, where, (long long)(exp - now));
	finish(g, DNS_OK, NULL);
}

static int send_token(struct gssneg *g, const uint8_t *tok, size_t toklen,
		      const struct xchg_target *t, size_t n)
{
	uint8_t *w;
	size_t wl;
	uint16_t id = xchg_random_id();
	int rc = tkey_query(id, g->keyname, g->ms, g->inception, TKEY_LIFETIME, tok, toklen, &w,
			    &wl);
	if (rc < 0)
		return rc;
	struct dns_expect ex = {.id = id, .opcode = 0, .qname = g->keyname, .qtype = TKEY_TYPE,
				.qclass = 255};
	/* TCP: tokens are big, and a context belongs to one connection's
	 * server. */
	return xchg_start_wire(&g->x, w, wl, &ex, t, n, true, false, tkey_done, g);
}

/* A new security context, its first token sent to g->targets. */
static int begin(struct gssneg *g)
{
	char err[600];
	g->rounds = 0;
	if (gss_sec_new(g->ccache, g->client, g->service, &g->sec, err, sizeof(err)) < 0) {
		g->host->log(g->inst, NLEVD_LOG_DEBUG, "GSS-TSIG: %s", err);
		return -ENOKEY;
	}
	uint8_t *tok = NULL;
	size_t toklen = 0;
	int st = gss_sec_step(g->sec, NULL, 0, &tok, &toklen, err, sizeof(err));
	if (st != 1) {
		/* Kerberos always needs the server's answer (mutual
		 * authentication): a first step that ends is an error too. */
		free(tok);
		g->host->log(g->inst, NLEVD_LOG_DEBUG, "GSS-TSIG: %s", st < 0 ? err : "no token");
		gssneg_forget(g);
		return -ENOKEY;
	}
	/* A key name no other client picks: random, under the server's name,
	 * as nsupdate does. */
	const char *host = strchr(g->service, '/');
	char hn[DNS_NAME_MAX + 16];
	snprintf(hn, sizeof(hn), "%s", host ? host + 1 : g->service);
	hn[strcspn(hn, "@")] = 0;
	uint32_t r = ((uint32_t)xchg_random_id() << 16) | xchg_random_id();
	snprintf(g->keyname, sizeof(g->keyname), "%u.sig-%s.", r, hn);
	g->inception = (uint32_t)time(NULL);
	int rc = send_token(g, tok, toklen, g->targets, g->ntargets);
	free(tok);
	if (rc < 0)
		gssneg_forget(g);
	return rc;
}

int gssneg_start(struct gssneg *g, const char *ccache, const char *client, const char *service,
		 const struct xchg_target *targets, size_t n, gssneg_done_fn *done, void *owner)
{
	xchg_cancel(&g->x);
	gssneg_forget(g);
	if (strlen(ccache) >= sizeof(g->ccache) || strlen(client) >= sizeof(g->client) ||
	    strlen(service) >= sizeof(g->service))
		return -ENAMETOOLONG;
	snprintf(g->ccache, sizeof(g->ccache), "%s", ccache);
	snprintf(g->client, sizeof(g->client), "%s", client);
	snprintf(g->service, sizeof(g->service), "%s", service);
	g->ntargets = n > XCHG_MAX_ADDRS ? XCHG_MAX_ADDRS : n;
	memcpy(g->targets, targets, g->ntargets * sizeof(*targets));
	g->done = done;
	g->owner = owner;
	g->other_tried = false;
	g->ms = g->ms_conf;
	return begin(g);
}

int gssneg_send(struct gssneg *g, struct xchg *x, uint8_t *wire, size_t wlen, const char *zone,
		xchg_done_fn *done, void *owner)
{
	if (!g->established || !g->sec) {
		free(wire);
		return -ENOKEY;
	}
	const char *alg = g->ms ? GSS_ALG_MS : GSS_ALG;
	size_t cap = wlen + gssneg_overhead(g);
	uint8_t *w = realloc(wire, cap);
	if (!w) {
		free(wire);
		return -ENOMEM;
	}
	uint8_t mac[MIC_MAX];
	size_t ml = 0;
	int rc = gsstsig_sign(w, &wlen, cap, g->keyname, alg, (uint64_t)time(NULL), gss_sec_mic,
			      g->sec, mac, sizeof(mac), &ml);
	if (rc < 0) {
		free(w);
		return rc;
	}
	unsigned id = ((unsigned)w[0] << 8) | w[1];
	struct dns_expect ex = {.id = (uint16_t)id, .opcode = 5, .qname = zone, .qtype = 6,
				.req_mac = mac, .req_mac_len = ml, .gss_key = g->keyname,
				.gss_alg = alg, .gss_verify = gss_sec_verify, .gss_ctx = g->sec};
	return xchg_start_wire(x, w, wlen, &ex, &g->server, 1, true, true, done, owner);
}
