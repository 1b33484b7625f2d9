/* The UPDATE batch for one push: the forward RRsets and the PTRs of the
 * reverse groups that changed, from the desired and the pushed state. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "aset.h"
#include "batch.h"

static struct dns_op *msg_op(struct dns_msg *m)
{
	if (m->nops == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 8;
		struct dns_op *nv = realloc(m->ops, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		m->ops = nv;
		m->cap = cap;
	}
	struct dns_op *op = &m->ops[m->nops++];
	memset(op, 0, sizeof(*op));
	return op;
}

static int op_add(struct dns_msg *m, int kind, uint16_t type, const char *owner,
		  const char *rdata)
{
	struct dns_op *op = msg_op(m);
	if (!op)
		return -ENOMEM;
	op->kind = (uint8_t)kind;
	op->type = type;
	snprintf(op->owner, sizeof(op->owner), "%s", owner);
	snprintf(op->rdata, sizeof(op->rdata), "%s", rdata ? rdata : "");
	return 0;
}

/* A new, empty message; the array grows by doubling, as a batch may hold a
 * message per reverse group. */
static struct dns_msg *msg_new(struct dns_batch *b, const char *zone)
{
	if (b->nmsgs == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4;
		struct dns_msg *nv = realloc(b->msgs, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		b->msgs = nv;
		b->cap = cap;
	}
	struct dns_msg *m = &b->msgs[b->nmsgs];
	memset(m, 0, sizeof(*m));
	if (zone && !(m->zone = strdup(zone)))
		return NULL;
	b->nmsgs++;
	return m;
}

static struct dns_msg *batch_msg(struct dns_batch *b, const char *zone)
{
	/* A zone is updated by one message; without a zone, each is its own. */
	for (size_t i = 0; zone && i < b->nmsgs; i++)
		if (b->msgs[i].zone && !strcmp(b->msgs[i].zone, zone))
			return &b->msgs[i];
	return msg_new(b, zone);
}

void dns_batch_free(struct dns_batch *b)
{
	for (size_t i = 0; i < b->nmsgs; i++) {
		free(b->msgs[i].zone);
		free(b->msgs[i].ops);
	}
	free(b->msgs);
	b->msgs = NULL;
	b->nmsgs = b->cap = 0;
}

static int forward_ops(const struct dns_config *cfg, struct dns_msg *m, const char *name,
		       const struct aset *want)
{
	int rc = 0;
	if (cfg->want4)
		rc |= op_add(m, DNS_OP_DELETE_RRSET, DNS_T_A, name, NULL);
	if (cfg->want6)
		rc |= op_add(m, DNS_OP_DELETE_RRSET, DNS_T_AAAA, name, NULL);
	for (size_t i = 0; i < want->n; i++) {
		char ip[INET6_ADDRSTRLEN];
		int af = want->v[i].family;
		inet_ntop(af, want->v[i].a, ip, sizeof(ip));
		rc |= op_add(m, DNS_OP_ADD, af == AF_INET ? DNS_T_A : DNS_T_AAAA, name, ip);
	}
	return rc ? -ENOMEM : 0;
}

/* Same reverse group (the /24 or /64 of dns_ptr_group): as sets are sorted
 * by family and then by address bytes, a group is a run of a sorted set. */
static bool same_group(const struct addr *x, const struct addr *y)
{
	return x->family == y->family && !memcmp(x->a, y->a, x->family == AF_INET ? 3 : 8);
}

/* End of the run of s->v[i]'s group that starts at i. */
static size_t group_end(const struct aset *s, size_t i, const struct addr *g)
{
	while (i < s->n && same_group(&s->v[i], g))
		i++;
	return i;
}

/* Does the group differ: [w0, w1) of want against [p0, p1) of pushed,
 * a merge walk of the two sorted runs.  Unknown pushed state: every
 * desired address is published again. */
static bool group_changed(const struct aset *want, size_t w0, size_t w1,
			  const struct aset *pushed, size_t p0, size_t p1, bool pushed_valid)
{
	if (!pushed_valid && w1 > w0)
		return true;
	if (w1 - w0 != p1 - p0)
		return true;
	return w1 > w0 && memcmp(&want->v[w0], &pushed->v[p0], (w1 - w0) * sizeof(want->v[0]));
}

static int ptr_op(struct dns_msg *m, int kind, const struct addr *a, const char *rdata)
{
	char owner[DNS_NAME_MAX];
	if (dns_ptr_owner(a->family, a->a, owner, sizeof(owner)) < 0)
		return -EINVAL;
	return op_add(m, kind, DNS_T_PTR, owner, rdata);
}

/* The PTR part: one pass over the groups of want and ptr_pushed in order.
 * A group that changed gets one message (its zone is not known: the
 * transport finds it): delete the withdrawn PTRs, replace the desired. */
static int reverse_ops(const struct dns_config *cfg, struct dns_batch *b, const struct aset *want,
		       const struct aset *ptr_pushed, bool pushed_valid)
{
	size_t i = 0, j = 0;
	while (i < want->n || j < ptr_pushed->n) {
		const struct addr *g = i == want->n		 ? &ptr_pushed->v[j]
				       : j == ptr_pushed->n ? &want->v[i]
				       : addr_cmp(&want->v[i], &ptr_pushed->v[j]) <= 0
					       ? &want->v[i]
					       : &ptr_pushed->v[j];
		size_t i1 = group_end(want, i, g), j1 = group_end(ptr_pushed, j, g);
		if (group_changed(want, i, i1, ptr_pushed, j, j1, pushed_valid)) {
			struct dns_msg *m = msg_new(b, NULL);
			if (!m)
				return -ENOMEM;
			/* the withdrawn: in ptr_pushed, not in want (a merge walk) */
			for (size_t p = j, w = i; p < j1; p++) {
				while (w < i1 && addr_cmp(&want->v[w], &ptr_pushed->v[p]) < 0)
					w++;
				if ((w == i1 || addr_cmp(&want->v[w], &ptr_pushed->v[p])) &&
				    ptr_op(m, DNS_OP_DELETE_RRSET, &ptr_pushed->v[p], NULL) < 0)
					return -ENOMEM;
			}
			for (size_t w = i; w < i1; w++)
				if (ptr_op(m, DNS_OP_DELETE_RRSET, &want->v[w], NULL) < 0 ||
				    ptr_op(m, DNS_OP_ADD, &want->v[w], cfg->names[0]) < 0)
					return -ENOMEM;
		}
		i = i1;
		j = j1;
	}
	return 0;
}

int dns_batch_build(const struct dns_config *cfg, const struct aset *want,
		    const struct aset *pushed, bool pushed_valid, const struct aset *ptr_pushed,
		    struct dns_batch *b)
{
	dns_batch_free(b);
	if (!pushed_valid || !aset_equal(want, pushed)) {
		for (size_t i = 0; i < cfg->nnames; i++) {
			/* Known zone: one message for every name; else one per name,
			 * each in the zone the transport finds for it. */
			struct dns_msg *m = batch_msg(b, cfg->zone);
			if (!m || forward_ops(cfg, m, cfg->names[i], want) < 0)
				return -ENOMEM;
		}
	}
	if (cfg->ptr && reverse_ops(cfg, b, want, ptr_pushed, pushed_valid) < 0)
		return -ENOMEM;
	return 0;
}
