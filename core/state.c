/* The interface/address table.  Every change is diffed against what is
 * known and turned into the SPEC's events; work per message is O(1) (hash
 * tables keyed by ifindex and by address). */
#include <linux/if.h>
#include <linux/if_addr.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <arpa/inet.h>

#include "event.h"
#include "log.h"
#include "nlmsg.h"
#include "state.h"

struct addr_ent {
	struct addr_ent *hnext;
	struct addr_ent *next, *prev; /* the link's list */
	struct link_ent *link;
	struct nlevd_addr a;
	uint32_t gen;
	bool announced;
};

struct link_ent {
	struct link_ent *hnext;
	struct addr_ent *addrs, *addrs_tail;
	struct nlevd_link l;
	uint32_t gen;
};

struct htab {
	void **b;
	size_t size, count;
};

static struct {
	struct htab links, addrs;
	state_event_cb cb;
	void *arg;
	uint32_t gen;
} st;


bool addr_usable(uint32_t flags)
{
	/* Never while tentative, optimistic DAD (RFC 4429) included: an
	 * address announced before DAD ends could still turn out a duplicate,
	 * and be published in DNS or acted on by a hook for nothing. */
	return !(flags & (IFA_F_TENTATIVE | IFA_F_DADFAILED));
}

static bool link_is_up(const struct nlevd_link *l)
{
	if (!(l->flags & IFF_UP))
		return false;
	return l->operstate == IF_OPER_UP ||
	       (l->operstate == IF_OPER_UNKNOWN && (l->flags & IFF_RUNNING));
}

static uint32_t hash_bytes(const void *p, size_t n, uint32_t h)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u; /* FNV-1a */
	return h;
}

static uint32_t link_hash(int ifindex)
{
	return hash_bytes(&ifindex, sizeof(ifindex), 2166136261u);
}

static size_t addr_keylen(const struct nlevd_addr *a)
{
	return a->family == AF_INET ? 4 : 16;
}

/* The kernel keys an IPv4 address by local address, prefix length and
 * IFA_ADDRESS (the peer, or the local address without one) within the
 * prefix: 10.0.0.1 peer 10.0.0.2 and 10.0.0.1 peer 10.0.0.3 are two
 * addresses.  IPv6 keys by the local address alone. */
static uint32_t addr_v4_net(const struct nlevd_addr *a)
{
	uint32_t v;
	memcpy(&v, a->has_peer ? a->peer : a->addr, 4);
	if (a->prefixlen == 0)
		return 0;
	return v & htonl(~(uint32_t)0 << (32 - (a->prefixlen > 32 ? 32 : a->prefixlen)));
}

static uint32_t addr_hash(const struct nlevd_addr *a)
{
	uint32_t h = hash_bytes(&a->ifindex, sizeof(a->ifindex), 2166136261u);
	h = hash_bytes(&a->family, 1, h);
	if (a->family == AF_INET) {
		uint32_t net = addr_v4_net(a);
		h = hash_bytes(&a->prefixlen, 1, h);
		h = hash_bytes(&net, sizeof(net), h);
	}
	return hash_bytes(a->addr, addr_keylen(a), h);
}

static bool addr_same(const struct nlevd_addr *x, const struct nlevd_addr *y)
{
	return x->ifindex == y->ifindex && x->family == y->family &&
	       (x->family != AF_INET ||
		(x->prefixlen == y->prefixlen && addr_v4_net(x) == addr_v4_net(y))) &&
	       !memcmp(x->addr, y->addr, addr_keylen(x));
}

/* Both tables chain through the first member (hnext). */
struct hnode {
	struct hnode *hnext;
};

static int htab_grow(struct htab *t, uint32_t (*hf)(const void *))
{
	if (t->count < t->size)
		return 0;
	size_t nsize = t->size ? t->size * 2 : 64;
	void **nb = calloc(nsize, sizeof(*nb));
	if (!nb)
		return -1; /* keep the old table: longer chains, still correct */
	for (size_t i = 0; i < t->size; i++) {
		struct hnode *n = t->b[i];
		while (n) {
			struct hnode *next = n->hnext;
			size_t j = hf(n) & (nsize - 1);
			n->hnext = nb[j];
			nb[j] = n;
			n = next;
		}
	}
	free(t->b);
	t->b = nb;
	t->size = nsize;
	return 0;
}

static uint32_t link_node_hash(const void *n)
{
	return link_hash(((const struct link_ent *)n)->l.ifindex);
}

static uint32_t addr_node_hash(const void *n)
{
	return addr_hash(&((const struct addr_ent *)n)->a);
}

static void htab_insert(struct htab *t, void *node, uint32_t h)
{
	struct hnode *n = node;
	size_t i = h & (t->size - 1);
	n->hnext = t->b[i];
	t->b[i] = n;
	t->count++;
}

static void htab_remove(struct htab *t, void *node, uint32_t h)
{
	struct hnode **pp = (struct hnode **)&t->b[h & (t->size - 1)];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == node) {
			*pp = ((struct hnode *)node)->hnext;
			t->count--;
			return;
		}
	}
}

static struct link_ent *link_find(int ifindex)
{
	if (!st.links.size)
		return NULL;
	struct link_ent *l = st.links.b[link_hash(ifindex) & (st.links.size - 1)];
	while (l && l->l.ifindex != ifindex)
		l = l->hnext;
	return l;
}

static struct addr_ent *addr_find(const struct nlevd_addr *a)
{
	if (!st.addrs.size)
		return NULL;
	struct addr_ent *e = st.addrs.b[addr_hash(a) & (st.addrs.size - 1)];
	while (e && !addr_same(&e->a, a))
		e = e->hnext;
	return e;
}

void state_init(state_event_cb cb, void *arg)
{
	st.cb = cb;
	st.arg = arg;
}

static void emit(enum nlevd_event_type type, const struct nlevd_link *l,
		 const struct nlevd_addr *a, const char *old_ifname)
{
	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = type;
	clock_gettime(CLOCK_REALTIME, &ev.time);
	ev.link = *l;
	if (a)
		ev.addr = *a;
	if (old_ifname)
		memcpy(ev.old_ifname, old_ifname, sizeof(ev.old_ifname));
	if (st.cb)
		st.cb(&ev, st.arg);
}

static void emit_change(const struct nlevd_link *l, const struct nlevd_addr *a,
			uint32_t old_flags)
{
	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = NLEVD_EV_ADDR_CHANGE;
	clock_gettime(CLOCK_REALTIME, &ev.time);
	ev.link = *l;
	ev.addr = *a;
	ev.old_flags = old_flags;
	if (st.cb)
		st.cb(&ev, st.arg);
}

static void addr_remove(struct addr_ent *e, bool announce)
{
	struct link_ent *l = e->link;
	htab_remove(&st.addrs, e, addr_hash(&e->a));
	if (e->prev)
		e->prev->next = e->next;
	else
		l->addrs = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		l->addrs_tail = e->prev;
	/* Announced once gone, so plugins reading the table see it without. */
	if (e->announced && announce)
		emit(NLEVD_EV_ADDR_DEL, &l->l, &e->a, NULL);
	free(e);
}

static void link_remove(struct link_ent *l)
{
	/* The kernel normally withdraws the addresses first; if a message was
	 * lost, their removal is still announced before the link's. */
	while (l->addrs)
		addr_remove(l->addrs, true);
	htab_remove(&st.links, l, link_hash(l->l.ifindex));
	emit(NLEVD_EV_LINK_DEL, &l->l, NULL, NULL);
	free(l);
}

static void apply_link(const struct nlevd_link *nl)
{
	struct link_ent *l = link_find(nl->ifindex);
	if (!l) {
		if (htab_grow(&st.links, link_node_hash) < 0 && !st.links.size)
			return;
		if (!(l = calloc(1, sizeof(*l)))) {
			log_err("out of memory: interface %d not tracked", nl->ifindex);
			return;
		}
		l->l = *nl;
		l->gen = st.gen;
		htab_insert(&st.links, l, link_hash(nl->ifindex));
		emit(NLEVD_EV_LINK_ADD, &l->l, NULL, NULL);
		if (link_is_up(&l->l))
			emit(NLEVD_EV_LINK_UP, &l->l, NULL, NULL);
		return;
	}
	l->gen = st.gen;
	struct nlevd_link old = l->l;
	l->l = *nl;
	if (strcmp(old.ifname, nl->ifname))
		emit(NLEVD_EV_LINK_RENAME, &l->l, NULL, old.ifname);
	bool was = link_is_up(&old), is = link_is_up(nl);
	if (was != is)
		emit(is ? NLEVD_EV_LINK_UP : NLEVD_EV_LINK_DOWN, &l->l, NULL, NULL);
}

static bool apply_addr(const struct nlevd_addr *na)
{
	struct link_ent *l = link_find(na->ifindex);
	if (!l) {
		/* An address of an unknown interface means a link message was
		 * lost: the caller reads the kernel's state again. */
		log_debug("address on unknown interface %d: resync needed", na->ifindex);
		return true;
	}
	struct addr_ent *e = addr_find(na);
	bool usable = addr_usable(na->flags);
	if (!e) {
		if (htab_grow(&st.addrs, addr_node_hash) < 0 && !st.addrs.size)
			return false;
		if (!(e = calloc(1, sizeof(*e)))) {
			log_err("out of memory: address not tracked");
			return false;
		}
		e->a = *na;
		e->link = l;
		e->gen = st.gen;
		e->prev = l->addrs_tail;
		if (l->addrs_tail)
			l->addrs_tail->next = e;
		else
			l->addrs = e;
		l->addrs_tail = e;
		htab_insert(&st.addrs, e, addr_hash(na));
		if (usable) {
			e->announced = true;
			emit(NLEVD_EV_ADDR_ADD, &l->l, &e->a, NULL);
		}
		return false;
	}
	e->gen = st.gen;
	struct nlevd_addr old = e->a;
	e->a = *na;
	if (!e->announced && usable) {
		e->announced = true;
		emit(NLEVD_EV_ADDR_ADD, &l->l, &e->a, NULL);
	} else if (e->announced && !usable) {
		e->announced = false;
		emit(NLEVD_EV_ADDR_DEL, &l->l, &old, NULL);
	} else if (e->announced && old.flags != na->flags) {
		/* Lifetimes alone change on every router advertisement: only a
		 * change of flags is an event. */
		emit_change(&l->l, &e->a, old.flags);
	}
	return false;
}

bool state_apply(const struct nl_rec *rec)
{
	switch (rec->kind) {
	case NL_LINK_NEW:
		apply_link(&rec->link);
		break;
	case NL_LINK_DEL: {
		struct link_ent *l = link_find(rec->link.ifindex);
		if (l)
			link_remove(l);
		break;
	}
	case NL_ADDR_NEW:
		return apply_addr(&rec->addr);
	case NL_ADDR_DEL: {
		struct addr_ent *e = addr_find(&rec->addr);
		if (e)
			addr_remove(e, true);
		break;
	}
	default:
		break;
	}
	return false;
}

void state_mark(void)
{
	st.gen++;
}

void state_sweep(void)
{
	for (size_t i = 0; i < st.links.size; i++) {
		struct link_ent *l = st.links.b[i];
		while (l) {
			struct link_ent *next = l->hnext;
			if (l->gen != st.gen) {
				link_remove(l);
			} else {
				struct addr_ent *e = l->addrs;
				while (e) {
					struct addr_ent *en = e->next;
					if (e->gen != st.gen)
						addr_remove(e, true);
					e = en;
				}
			}
			l = next;
		}
	}
}

bool state_link_known(int ifindex)
{
	return link_find(ifindex) != NULL;
}

const struct nlevd_link *state_link_get(int ifindex)
{
	struct link_ent *l = link_find(ifindex);
	return l ? &l->l : NULL;
}

static int cmp_link(const void *x, const void *y)
{
	const struct link_ent *a = *(struct link_ent *const *)x;
	const struct link_ent *b = *(struct link_ent *const *)y;
	return (a->l.ifindex > b->l.ifindex) - (a->l.ifindex < b->l.ifindex);
}

/* Links in ifindex order (a snapshot array; caller frees). */
static struct link_ent **links_sorted(size_t *n)
{
	struct link_ent **v = malloc((st.links.count + 1) * sizeof(*v));
	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < st.links.size; i++)
		for (struct link_ent *l = st.links.b[i]; l; l = l->hnext)
			v[(*n)++] = l;
	qsort(v, *n, sizeof(*v), cmp_link);
	return v;
}

int state_link_foreach(nlevd_link_cb cb, void *arg)
{
	size_t n;
	struct link_ent **v = links_sorted(&n);
	int rc = v ? 0 : -1;
	for (size_t i = 0; v && i < n && !rc; i++)
		rc = cb(&v[i]->l, arg);
	free(v);
	return rc;
}

static int link_addrs(struct link_ent *l, nlevd_addr_cb cb, void *arg)
{
	for (struct addr_ent *e = l->addrs; e; e = e->next)
		if (e->announced) {
			int rc = cb(&l->l, &e->a, arg);
			if (rc)
				return rc;
		}
	return 0;
}

int state_addr_foreach(int ifindex, nlevd_addr_cb cb, void *arg)
{
	if (ifindex) {
		struct link_ent *l = link_find(ifindex);
		return l ? link_addrs(l, cb, arg) : 0;
	}
	size_t n;
	struct link_ent **v = links_sorted(&n);
	int rc = v ? 0 : -1;
	for (size_t i = 0; v && i < n && !rc; i++)
		rc = link_addrs(v[i], cb, arg);
	free(v);
	return rc;
}

void state_replay(state_event_cb cb, void *arg)
{
	size_t n;
	struct link_ent **v = links_sorted(&n);
	if (!v)
		return;
	for (size_t i = 0; i < n; i++) {
		struct nlevd_event ev;
		memset(&ev, 0, sizeof(ev));
		ev.initial = true;
		clock_gettime(CLOCK_REALTIME, &ev.time);
		ev.link = v[i]->l;
		ev.type = NLEVD_EV_LINK_ADD;
		cb(&ev, arg);
		if (link_is_up(&v[i]->l)) {
			ev.type = NLEVD_EV_LINK_UP;
			cb(&ev, arg);
		}
		ev.type = NLEVD_EV_ADDR_ADD;
		for (struct addr_ent *e = v[i]->addrs; e; e = e->next) {
			if (!e->announced)
				continue;
			ev.addr = e->a;
			cb(&ev, arg);
		}
	}
	free(v);
}

void state_dump_log(void)
{
	size_t n;
	struct link_ent **v = links_sorted(&n);
	log_notice("state: %zu interfaces, %zu addresses", st.links.count, st.addrs.count);
	for (size_t i = 0; v && i < n; i++) {
		const struct nlevd_link *l = &v[i]->l;
		char fl[256];
		link_flags_str(l->flags, fl, sizeof(fl));
		log_notice("  %d %s: %s <%s> mtu %u", l->ifindex, l->ifname,
			   operstate_name(l->operstate), fl, l->mtu);
		for (struct addr_ent *e = v[i]->addrs; e; e = e->next) {
			char a[64], af[256];
			int fam = e->a.family == AF_INET ? AF_INET : AF_INET6;
			inet_ntop(fam, e->a.addr, a, sizeof(a));
			addr_flags_str(e->a.flags, fam, af, sizeof(af));
			char peer[64] = "";
			if (e->a.has_peer) {
				memcpy(peer, " peer ", 6);
				inet_ntop(fam, e->a.peer, peer + 6, sizeof(peer) - 6);
			}
			log_notice("    %s%s/%u scope %s <%s>%s", a, peer, e->a.prefixlen,
				   scope_name(e->a.scope), af, e->announced ? "" : " (held back)");
		}
	}
	free(v);
}

size_t state_count_links(void)
{
	return st.links.count;
}

size_t state_count_addrs(void)
{
	return st.addrs.count;
}

void state_free(void)
{
	st.cb = NULL;
	for (size_t i = 0; i < st.links.size; i++) {
		struct link_ent *l = st.links.b[i];
		while (l) {
			struct link_ent *next = l->hnext;
			struct addr_ent *e = l->addrs;
			while (e) {
				struct addr_ent *en = e->next;
				free(e);
				e = en;
			}
			free(l);
			l = next;
		}
	}
	free(st.links.b);
	free(st.addrs.b);
	memset(&st, 0, sizeof(st));
}
