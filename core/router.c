/* Per-instance settle queues: events that pass the instance's filter.  While an instance
 * settles, events are folded per object (an address, a link's presence,
 * its up/down state, its name): the state before the window is compared
 * with the state after it, so the later state wins and an add and a del of
 * the same address cancel out.  A link-del ends its link's objects: a link
 * created again with the same ifindex within the window is a new one.
 * Plugin events are objects of their own: each one is delivered, in its
 * place in the queue, never merged with another. */
#include <arpa/inet.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emit.h"
#include "filter.h"
#include "log.h"
#include "router.h"
#include "util.h"

enum pend_kind { PK_ADDR, PK_PRESENCE, PK_UPDOWN, PK_NAME, PK_PLUGIN };

struct pkey {
	int ifindex;
	uint8_t kind, family, prefixlen, pad;
	uint8_t addr[16];
	uint8_t net[4]; /* IPv4: peer (or local) within the prefix, as state.c */
	uint32_t sealed; /* 0 for the link's current life; else which link-del */
};

struct pend {
	struct pend *hnext;
	struct pend *next, *prev;
	struct pkey key;
	bool before, now;
	uint32_t before_flags;
	char before_name[NLEVD_IFNAMSIZ];
	struct nlevd_event last;
	struct pevent *pe; /* PK_PLUGIN (a reference); such a pend is in no bucket */
};

struct router {
	struct ev_loop *loop;
	const struct filter *f;
	router_deliver_cb cb;
	void *arg;
	ev_timer timer;
	uint64_t first_ms;
	struct pend *head, *tail;
	struct pend **b;
	size_t nb, count;
	uint32_t seals; /* link-dels seen: each seals with its own number */
};

static uint32_t pkey_hash(const struct pkey *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void make_key(const struct nlevd_event *ev, struct pkey *k)
{
	memset(k, 0, sizeof(*k));
	k->ifindex = ev->link.ifindex;
	switch (ev->type) {
	case NLEVD_EV_ADDR_ADD:
	case NLEVD_EV_ADDR_DEL:
	case NLEVD_EV_ADDR_CHANGE:
		k->kind = PK_ADDR;
		k->family = ev->addr.family;
		k->prefixlen = ev->addr.family == AF_INET ? ev->addr.prefixlen : 0;
		memcpy(k->addr, ev->addr.addr, 16);
		if (ev->addr.family == AF_INET) {
			uint32_t v;
			memcpy(&v, ev->addr.has_peer ? ev->addr.peer : ev->addr.addr, 4);
			if (k->prefixlen < 32)
				v &= k->prefixlen ? htonl(~(uint32_t)0 << (32 - k->prefixlen)) : 0;
			memcpy(k->net, &v, 4);
		}
		break;
	case NLEVD_EV_LINK_ADD:
	case NLEVD_EV_LINK_DEL:
		k->kind = PK_PRESENCE;
		break;
	case NLEVD_EV_LINK_UP:
	case NLEVD_EV_LINK_DOWN:
		k->kind = PK_UPDOWN;
		break;
	default:
		k->kind = PK_NAME;
	}
}

static struct pend *pend_find(struct router *r, const struct pkey *k)
{
	if (!r->nb)
		return NULL;
	struct pend *p = r->b[pkey_hash(k) & (r->nb - 1)];
	while (p && memcmp(&p->key, k, sizeof(*k)))
		p = p->hnext;
	return p;
}

/* Out of the queue and freed; a plugin event's reference is the caller's. */
static void pend_unlink(struct router *r, struct pend *p)
{
	if (p->key.kind != PK_PLUGIN) {
		struct pend **pp = &r->b[pkey_hash(&p->key) & (r->nb - 1)];
		while (*pp != p)
			pp = &(*pp)->hnext;
		*pp = p->hnext;
	}
	if (p->prev)
		p->prev->next = p->next;
	else
		r->head = p->next;
	if (p->next)
		p->next->prev = p->prev;
	else
		r->tail = p->prev;
	r->count--;
	free(p);
}

static int pend_grow(struct router *r)
{
	if (r->count < r->nb)
		return 0;
	size_t n = r->nb ? r->nb * 2 : 16;
	struct pend **nb = calloc(n, sizeof(*nb));
	if (!nb)
		return r->nb ? 0 : -1;
	for (struct pend *p = r->head; p; p = p->next) {
		if (p->key.kind == PK_PLUGIN)
			continue;
		size_t i = pkey_hash(&p->key) & (n - 1);
		p->hnext = nb[i];
		nb[i] = p;
	}
	free(r->b);
	r->b = nb;
	r->nb = n;
	return 0;
}

static bool ev_present(enum nlevd_event_type t)
{
	return t == NLEVD_EV_ADDR_ADD || t == NLEVD_EV_ADDR_CHANGE ||
	       t == NLEVD_EV_LINK_ADD || t == NLEVD_EV_LINK_UP;
}

/* A link that came and went within the window: forget its other entries. */
static void drop_link_entries(struct router *r, int ifindex)
{
	for (struct pend *p = r->head, *n; p; p = n) {
		n = p->next;
		if (p->key.ifindex == ifindex && !p->key.sealed &&
		    (p->key.kind == PK_UPDOWN || p->key.kind == PK_NAME))
			pend_unlink(r, p);
	}
}

static void pend_rehash(struct router *r, struct pend *p, uint32_t old_hash)
{
	struct pend **pp = &r->b[old_hash & (r->nb - 1)];
	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
	size_t i = pkey_hash(&p->key) & (r->nb - 1);
	p->hnext = r->b[i];
	r->b[i] = p;
}

/* The link of ifindex is gone: its pending objects keep their place in the
 * queue but no later event folds into them.  The kernel may give the next
 * link the same ifindex (`ip link add ... index N`), under another name,
 * within the window; its link-add and addresses must not cancel the old
 * link's link-del and addr-dels, and are delivered after them. */
static void seal_link(struct router *r, int ifindex)
{
	uint32_t seal = ++r->seals;
	if (!seal)
		seal = ++r->seals; /* 0 is the live value; 2^32 dels are unlikely */
	for (struct pend *p = r->head; p; p = p->next) {
		if (p->key.ifindex != ifindex || p->key.sealed || p->key.kind == PK_PLUGIN)
			continue;
		uint32_t h = pkey_hash(&p->key);
		p->key.sealed = seal;
		pend_rehash(r, p, h);
	}
}

static void coalesce(struct router *r, const struct nlevd_event *ev)
{
	struct pkey k;
	make_key(ev, &k);
	struct pend *p = pend_find(r, &k);
	if (!p) {
		if (pend_grow(r) < 0 || !(p = calloc(1, sizeof(*p)))) {
			log_err("out of memory: event delivered without settling");
			r->cb(ev, r->arg);
			return;
		}
		p->key = k;
		if (k.kind == PK_NAME) {
			memcpy(p->before_name, ev->old_ifname, sizeof(p->before_name));
		} else {
			/* What held before the first event of the window. */
			p->before = !(ev->type == NLEVD_EV_ADDR_ADD || ev->type == NLEVD_EV_LINK_ADD ||
				      ev->type == NLEVD_EV_LINK_UP);
			p->before_flags = ev->type == NLEVD_EV_ADDR_CHANGE ? ev->old_flags
									    : ev->addr.flags;
		}
		size_t i = pkey_hash(&k) & (r->nb - 1);
		p->hnext = r->b[i];
		r->b[i] = p;
		p->prev = r->tail;
		if (r->tail)
			r->tail->next = p;
		else
			r->head = p;
		r->tail = p;
		r->count++;
	}
	p->now = ev_present(ev->type);
	p->last = *ev;
	if (ev->type == NLEVD_EV_LINK_DEL && !p->before)
		drop_link_entries(r, ev->link.ifindex);
}

void router_flush(struct router *r)
{
	ev_timer_stop(r->loop, &r->timer);
	while (r->head) {
		struct pend *p = r->head;
		if (p->key.kind == PK_PLUGIN) {
			struct pevent *pe = p->pe;
			pend_unlink(r, p);
			r->cb(&pe->ev, r->arg);
			pevent_unref(pe);
			continue;
		}
		struct nlevd_event ev = p->last;
		bool emit = false;
		switch (p->key.kind) {
		case PK_NAME:
			emit = strcmp(p->before_name, ev.link.ifname) != 0;
			memcpy(ev.old_ifname, p->before_name, sizeof(ev.old_ifname));
			break;
		case PK_ADDR:
			if (p->before != p->now) {
				emit = true;
				ev.type = p->now ? NLEVD_EV_ADDR_ADD : NLEVD_EV_ADDR_DEL;
			} else if (p->now && p->before_flags != ev.addr.flags) {
				emit = true;
				ev.type = NLEVD_EV_ADDR_CHANGE;
				ev.old_flags = p->before_flags;
			}
			break;
		case PK_PRESENCE:
			emit = p->before != p->now;
			ev.type = p->now ? NLEVD_EV_LINK_ADD : NLEVD_EV_LINK_DEL;
			break;
		case PK_UPDOWN:
			emit = p->before != p->now;
			ev.type = p->now ? NLEVD_EV_LINK_UP : NLEVD_EV_LINK_DOWN;
			break;
		case PK_PLUGIN:
			break;
		}
		pend_unlink(r, p);
		if (emit)
			r->cb(&ev, r->arg);
	}
}

static void settle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	router_flush(container_of(w, struct router, timer));
}

static void settle_arm(struct router *r, uint64_t now);

void router_push(struct router *r, const struct nlevd_event *ev)
{
	if (!filter_event(r->f, ev)) {
		/* Filtered out or not, the link's life ends here. */
		if (r->f->settle_ms && ev->type == NLEVD_EV_LINK_DEL && r->head)
			seal_link(r, ev->link.ifindex);
		return;
	}
	if (!r->f->settle_ms) {
		r->cb(ev, r->arg);
		return;
	}
	uint64_t now = now_ms();
	if (!r->head)
		r->first_ms = now;
	coalesce(r, ev);
	if (ev->type == NLEVD_EV_LINK_DEL)
		seal_link(r, ev->link.ifindex);
	settle_arm(r, now);
}

void router_push_plugin(struct router *r, struct pevent *pe)
{
	if (!filter_plugin_event(r->f, pe->id))
		return;
	struct pend *p;
	if (!r->f->settle_ms || !(p = calloc(1, sizeof(*p)))) {
		if (r->f->settle_ms)
			log_err("out of memory: event delivered without settling");
		r->cb(&pe->ev, r->arg);
		return;
	}
	uint64_t now = now_ms();
	if (!r->head)
		r->first_ms = now;
	p->key.kind = PK_PLUGIN;
	pevent_ref(pe);
	p->pe = pe;
	p->prev = r->tail;
	if (r->tail)
		r->tail->next = p;
	else
		r->head = p;
	r->tail = p;
	r->count++;
	settle_arm(r, now);
}

static void settle_arm(struct router *r, uint64_t now)
{
	/* Quiet for settle_ms, but never held longer than 10 windows (at least
	 * 1 s), so a constant churn cannot starve the instance. */
	uint64_t max_hold = r->f->settle_ms * 10 > 1000 ? r->f->settle_ms * 10 : 1000;
	uint64_t deadline = r->first_ms + max_hold;
	uint64_t wait = r->f->settle_ms;
	if (now + wait > deadline)
		wait = deadline > now ? deadline - now : 0;
	ev_timer_stop(r->loop, &r->timer);
	ev_timer_set(&r->timer, (double)wait / 1000., 0.);
	ev_timer_start(r->loop, &r->timer);
}

size_t router_pending(const struct router *r)
{
	return r->count;
}

struct router *router_new(struct ev_loop *loop, const struct filter *f,
			  router_deliver_cb cb, void *arg)
{
	struct router *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->loop = loop;
	r->f = f;
	r->cb = cb;
	r->arg = arg;
	ev_timer_init(&r->timer, settle_cb, 0., 0.);
	return r;
}

void router_free(struct router *r)
{
	if (!r)
		return;
	ev_timer_stop(r->loop, &r->timer);
	while (r->head) {
		struct pend *p = r->head;
		r->head = p->next;
		if (p->key.kind == PK_PLUGIN)
			pevent_unref(p->pe);
		free(p);
	}
	free(r->b);
	free(r);
}
