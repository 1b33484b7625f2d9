/* Desired record sets: the selected addresses (ipv6_suffix and
 * delete_delay applied), the questions that read a group's records, and
 * the changes that turn what a group has published into what it should. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dhcid.h"
#include "suffix.h"
#include "zone.h"

/* ---- the desired addresses ---- */

struct collect {
	struct dns_engine *e;
	struct aset *s;
	int err;
};

static int collect_cb(const struct nlevd_link *link, const struct nlevd_addr *a, void *arg)
{
	struct collect *c = arg;
	const struct dns_config *cfg = c->e->cfg;
	/* The core's table holds usable addresses only (never tentative or
	 * DAD-failed); its filters decide which are the instance's. */
	if ((a->family == AF_INET && !cfg->want4) || (a->family == AF_INET6 && !cfg->want6))
		return 0;
	if (!c->e->host->selected(c->e->inst, link, a))
		return 0;
	const uint8_t *addr = a->addr;
	uint8_t derived[16];
	if (a->family == AF_INET6 && cfg->has_suffix) {
		/* Another host's address in each of our /64s: several of our
		 * addresses in one /64 give one. */
		if (a->prefixlen != 64)
			return 0;
		dns_suffix_apply(a->addr, cfg->suffix, derived);
		addr = derived;
	}
	if (aset_add(c->s, a->family, addr) < 0)
		c->err = -ENOMEM;
	return 0;
}

bool dns_want_update(struct dns_engine *e)
{
	const struct dns_config *cfg = e->cfg;
	struct aset d = {0};
	struct collect c = {e, &d, 0};
	e->host->addr_foreach(0, collect_cb, &c);
	if (c.err) {
		aset_free(&d);
		return false; /* out of memory: keep what we had */
	}
	ev_tstamp now = ev_now(e->host->loop);
	double next;
	int began = aset_hold_apply(&e->hold, &d, &e->want, now,
				    (double)cfg->delete_delay_ms / 1000., e->started, &next);
	for (int f = 0; began > 0 && f < 2; f++)
		if (began & (1 << f))
			e->host->log(e->inst, NLEVD_LOG_INFO, "no %s address left: deleting the "
				     "records in %.1f s unless one comes back",
				     f ? "IPv6" : "IPv4", (double)cfg->delete_delay_ms / 1000.);
	ev_timer_stop(e->host->loop, &e->hold_timer);
	if (next) {
		ev_timer_set(&e->hold_timer, next - now > 0 ? next - now : 0., 0.);
		ev_timer_start(e->host->loop, &e->hold_timer);
	}
	bool changed = !aset_equal(&d, &e->want);
	aset_free(&e->want);
	e->want = d;
	return changed;
}

/* ---- one group's records ---- */

static bool same_group(const struct addr *x, const struct addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, x->family == AF_INET ? 3 : 8);
}

/* The run of want inside g's /24 or /64: [*b, *end). */
void dns_group_run(const struct dns_group *g, const struct aset *w, size_t *b, size_t *end)
{
	struct addr lo = {.family = g->key.family};
	memcpy(lo.a, g->key.a, g->key.family == AF_INET ? 3 : 8);
	size_t l = 0, h = w->n; /* the first >= lo */
	while (l < h) {
		size_t m = l + (h - l) / 2;
		if (addr_cmp(&w->v[m], &lo) < 0)
			l = m + 1;
		else
			h = m;
	}
	*b = l;
	while (l < w->n && same_group(&w->v[l], &g->key))
		l++;
	*end = l;
}

static struct dns_op *op_new(struct dns_zone *z)
{
	if (z->nops == z->cap) {
		size_t cap = z->cap ? z->cap * 2 : 16;
		struct dns_op *nv = realloc(z->ops, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		z->ops = nv;
		z->cap = cap;
	}
	struct dns_op *op = &z->ops[z->nops++];
	memset(op, 0, sizeof(*op));
	return op;
}

static int op_add(struct dns_zone *z, int kind, uint16_t type, const char *owner,
		  const char *rdata)
{
	struct dns_op *op = op_new(z);
	if (!op)
		return -ENOMEM;
	op->kind = (uint8_t)kind;
	op->type = type;
	snprintf(op->owner, sizeof(op->owner), "%s", owner);
	snprintf(op->rdata, sizeof(op->rdata), "%s", rdata ? rdata : "");
	return 0;
}

static int addr_op(struct dns_zone *z, int kind, const char *owner, const struct addr *a)
{
	char ip[INET6_ADDRSTRLEN];
	inet_ntop(a->family, a->a, ip, sizeof(ip));
	return op_add(z, kind, a->family == AF_INET ? DNS_T_A : DNS_T_AAAA, owner, ip);
}

static int ptr_op(struct dns_zone *z, int kind, const struct addr *a, const char *rdata)
{
	char owner[DNS_NAME_MAX];
	if (dns_ptr_owner(a->family, a->a, owner, sizeof(owner)) < 0)
		return -EINVAL;
	return op_add(z, kind, DNS_T_PTR, owner, rdata);
}

int dns_dhcid_of(const struct dns_engine *e, const char *name, char *b64, size_t len)
{
	return dns_dhcid_b64(e->cfg->duid, e->cfg->duid_len, name, b64, len);
}

static bool in_set(const struct aset *s, const struct addr *a)
{
	return s->n && bsearch(a, s->v, s->n, sizeof(s->v[0]), addr_cmp) != NULL;
}

static int forward_ops(struct dns_group *g, struct dns_zone *z, bool refresh)
{
	const struct dns_engine *e = g->e;
	const struct dns_config *cfg = e->cfg;
	const struct aset *w = &e->want;
	const char *name = cfg->names[g->name];
	bool own = cfg->ownership == DNS_OWN_DHCID;
	char dh[80] = "";
	if (g->cname || (own && (g->own == OWN_OTHER || g->own == OWN_UNKNOWN)))
		return 0; /* not ours to change, or not read yet */
	bool same = g->known && aset_equal(&g->pub, w);
	if (own) {
		if (g->own == OWN_FREE && !w->n)
			return 0; /* nothing there, nothing wanted */
		if (same && !refresh && (g->own == OWN_OURS) == (w->n > 0))
			return 0;
		if (dns_dhcid_of(e, name, dh, sizeof(dh)) < 0)
			return -EINVAL;
	} else if (same && !refresh) {
		return 0;
	}
	int rc = 0;
	/* RFC 4703: add where the name is free, replace where our DHCID is. */
	if (own)
		rc |= g->own == OWN_OURS ? op_add(z, DNS_OP_PRE_YXRR, DNS_T_DHCID, name, dh)
					 : op_add(z, DNS_OP_PRE_NXDOMAIN, 0, name, NULL);
	if (!own || g->own == OWN_OURS) {
		if (cfg->want4)
			rc |= op_add(z, DNS_OP_DELETE_RRSET, DNS_T_A, name, NULL);
		if (cfg->want6)
			rc |= op_add(z, DNS_OP_DELETE_RRSET, DNS_T_AAAA, name, NULL);
	}
	for (size_t i = 0; i < w->n; i++)
		rc |= addr_op(z, DNS_OP_ADD, name, &w->v[i]);
	if (own && w->n && g->own == OWN_FREE)
		rc |= op_add(z, DNS_OP_ADD, DNS_T_DHCID, name, dh);
	else if (own && !w->n)
		rc |= op_add(z, DNS_OP_DELETE_RRSET, DNS_T_DHCID, name, NULL);
	if (rc || aset_copy(&g->sending, w) < 0)
		return -ENOMEM;
	g->own_sending = own ? (w->n ? OWN_OURS : OWN_FREE) : g->own;
	g->in_send = true;
	return 0;
}

static int reverse_ops(struct dns_group *g, struct dns_zone *z, bool refresh)
{
	const struct dns_engine *e = g->e;
	const struct aset *w = &e->want;
	size_t b, end;
	dns_group_run(g, w, &b, &end);
	struct aset d = {w->v + b, end - b, 0}; /* a view: never freed */
	size_t before = z->nops;
	/* the withdrawn: ours, no longer desired */
	for (size_t i = 0; i < g->pub.n; i++)
		if (!in_set(&d, &g->pub.v[i]) && ptr_op(z, DNS_OP_DELETE_RRSET, &g->pub.v[i], NULL) < 0)
			return -ENOMEM;
	for (size_t i = 0; i < d.n; i++)
		if ((refresh || !g->known || !in_set(&g->pub, &d.v[i])) &&
		    (ptr_op(z, DNS_OP_DELETE_RRSET, &d.v[i], NULL) < 0 ||
		     ptr_op(z, DNS_OP_ADD, &d.v[i], e->cfg->names[0]) < 0))
			return -ENOMEM;
	if (z->nops == before)
		return 0;
	g->sending.n = 0;
	for (size_t i = 0; i < d.n; i++)
		if (aset_add(&g->sending, d.v[i].family, d.v[i].a) < 0)
			return -ENOMEM;
	g->in_send = true;
	return 0;
}

uint64_t dns_zone_want_hash(const struct dns_zone *z)
{
	const struct dns_engine *e = z->e;
	uint64_t h = 1469598103934665603ull; /* FNV-1a over the zone's part of want */
	for (size_t i = 0; i < e->ngroups; i++) {
		const struct dns_group *g = e->groups[i];
		size_t b = 0, end = e->want.n;
		if (g->zone != z)
			continue;
		if (g->reverse)
			dns_group_run(g, &e->want, &b, &end);
		const uint8_t *p = (const uint8_t *)(e->want.v + b);
		for (size_t k = 0; k < (end - b) * sizeof(e->want.v[0]); k++)
			h = (h ^ p[k]) * 1099511628211ull;
		h = (h ^ 0xff) * 1099511628211ull; /* group separator */
	}
	return h;
}

int dns_group_ops(struct dns_group *g, struct dns_zone *z, bool refresh)
{
	g->in_send = false;
	if (!g->e->want.n && g->e->cfg->keep_on_empty)
		return 0; /* on_empty = keep: leave the records as they are */
	return g->reverse ? reverse_ops(g, z, refresh) : forward_ops(g, z, refresh);
}

/* ---- reading a group's records ---- */

static struct dns_rrq *q_new(struct dns_zone *z, const char *owner, uint16_t type)
{
	struct dns_rrq *nv = realloc(z->qs, (z->nqs + 1) * sizeof(*nv));
	if (!nv)
		return NULL;
	z->qs = nv;
	struct dns_rrq *q = &z->qs[z->nqs++];
	memset(q, 0, sizeof(*q));
	snprintf(q->owner, sizeof(q->owner), "%s", owner);
	q->type = type;
	return q;
}

static int ptr_q(struct dns_zone *z, const struct addr *a)
{
	char owner[DNS_NAME_MAX];
	if (dns_ptr_owner(a->family, a->a, owner, sizeof(owner)) < 0)
		return -EINVAL;
	return q_new(z, owner, DNS_T_PTR) ? 0 : -ENOMEM;
}

int dns_group_questions(struct dns_group *g, struct dns_zone *z)
{
	const struct dns_config *cfg = g->e->cfg;
	g->q0 = z->nqs;
	if (!g->reverse) {
		const char *name = cfg->names[g->name];
		if ((cfg->want4 && !q_new(z, name, DNS_T_A)) ||
		    (cfg->want6 && !q_new(z, name, DNS_T_AAAA)) ||
		    (cfg->ownership == DNS_OWN_DHCID && !q_new(z, name, DNS_T_DHCID)))
			return -ENOMEM;
	} else {
		/* Each desired address, and each we published that is not. */
		const struct aset *w = &g->e->want;
		size_t b, end;
		dns_group_run(g, w, &b, &end);
		struct aset d = {w->v + b, end - b, 0};
		for (size_t i = 0; i < d.n; i++)
			if (ptr_q(z, &d.v[i]) < 0)
				return -ENOMEM;
		for (size_t i = 0; i < g->pub.n; i++)
			if (!in_set(&d, &g->pub.v[i]) && ptr_q(z, &g->pub.v[i]) < 0)
				return -ENOMEM;
	}
	g->qn = z->nqs - g->q0;
	return 0;
}

/* The address of a PTR owner (in-addr.arpa or ip6.arpa), for the answers. */
static int ptr_addr(const char *owner, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	size_t n = strlen(owner);
	if (n > 14 && !strcasecmp(owner + n - 14, ".in-addr.arpa.")) {
		unsigned o[4];
		char tail[16];
		if (sscanf(owner, "%u.%u.%u.%u.%15s", &o[3], &o[2], &o[1], &o[0], tail) != 5)
			return -EINVAL;
		a->family = AF_INET;
		for (int i = 0; i < 4; i++)
			a->a[i] = (uint8_t)o[i];
		return 0;
	}
	if (n != 73 || strcasecmp(owner + 64, "ip6.arpa."))
		return -EINVAL;
	a->family = AF_INET6;
	for (int i = 0; i < 32; i++) {
		char c = owner[2 * (31 - i)];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -EINVAL;
		a->a[i / 2] |= (uint8_t)(i % 2 ? v : v << 4);
	}
	return 0;
}

void dns_group_answers(struct dns_group *g, const struct dns_rrq *qs, size_t n)
{
	const struct dns_engine *e = g->e;
	const struct dns_config *cfg = e->cfg;
	struct aset pub = {0};
	bool exists = false, cname = false, ttl_wrong = false;
	int own = OWN_UNKNOWN;
	char dh[80] = "";
	if (!g->reverse && cfg->ownership == DNS_OWN_DHCID &&
	    dns_dhcid_of(e, cfg->names[g->name], dh, sizeof(dh)) < 0)
		dh[0] = 0;
	for (size_t i = 0; i < n; i++) {
		const struct dns_rrq *q = &qs[i];
		if (q->status == DNS_RRQ_CNAME)
			cname = true;
		if (q->status != DNS_RRQ_NXDOMAIN)
			exists = true;
		if (q->status != DNS_RRQ_FOUND)
			continue;
		/* Another TTL (`ttl` was changed) is a difference too. */
		bool ttl_ok = q->ttl == cfg->ttl;
		if (g->reverse) {
			struct addr a;
			/* Ours: exactly our name (another's PTR there is replaced). */
			if (ttl_ok && q->nrdata == 1 && !strcasecmp(q->rdata[0], cfg->names[0]) &&
			    ptr_addr(q->owner, &a) == 0)
				aset_add(&pub, a.family, a.a);
			continue;
		}
		if (!ttl_ok && q->type != DNS_T_DHCID)
			ttl_wrong = true;
		for (size_t k = 0; k < q->nrdata; k++) {
			uint8_t b[16] = {0};
			if (q->type == DNS_T_DHCID)
				own = own == OWN_OURS || !strcmp(q->rdata[k], dh) ? OWN_OURS : OWN_OTHER;
			else if (inet_pton(q->type == DNS_T_A ? AF_INET : AF_INET6, q->rdata[k], b) == 1)
				aset_add(&pub, q->type == DNS_T_A ? AF_INET : AF_INET6, b);
		}
	}
	aset_sort_unique(&pub);
	aset_free(&g->pub);
	g->pub = pub;
	g->known = !ttl_wrong; /* not known: every RRset is replaced */
	if (!g->reverse) {
		g->cname = cname;
		/* A name in use without our DHCID is another's (RFC 4703). */
		if (cfg->ownership == DNS_OWN_DHCID && own == OWN_UNKNOWN)
			own = exists ? OWN_OTHER : OWN_FREE;
		g->own = own;
	}
}
