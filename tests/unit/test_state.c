/* Unit tests for core/state.c: decoded records in, the SPEC's events out. */
#include <arpa/inet.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "event.h"
#include "log.h"
#include "nlmsg.h"
#include "state.h"
#include "tap.h"

/* ---- recording ---- */

static struct {
	struct nlevd_event *ev;
	size_t n, cap;
	bool count_only;
	size_t counts[NLEVD_EV_COUNT];
	int bad_time; /* events without a timestamp */
} rec;

static void rec_cb(const struct nlevd_event *ev, void *arg)
{
	(void)arg;
	if ((unsigned)ev->type < NLEVD_EV_COUNT)
		rec.counts[ev->type]++;
	if (ev->time.tv_sec == 0)
		rec.bad_time++;
	if (rec.count_only) {
		rec.n++;
		return;
	}
	if (rec.n == rec.cap) {
		rec.cap = rec.cap ? rec.cap * 2 : 64;
		rec.ev = realloc(rec.ev, rec.cap * sizeof(*rec.ev));
		if (!rec.ev)
			abort();
	}
	rec.ev[rec.n++] = *ev;
}

static void rec_clear(void)
{
	rec.n = 0;
	memset(rec.counts, 0, sizeof(rec.counts));
}

/* The events since the last clear, as "type ifname[ addr/len]" joined by
 * ", ": one string comparison checks kinds, order and objects. */
static const char *rec_str(void)
{
	static char out[4096];
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < rec.n && used < sizeof(out) - 128; i++) {
		const struct nlevd_event *e = &rec.ev[i];
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s %s", i ? ", " : "",
					 event_name(e->type), e->link.ifname);
		if (e->type <= NLEVD_EV_ADDR_CHANGE) {
			char a[64];
			inet_ntop(e->addr.family, e->addr.addr, a, sizeof(a));
			used += (size_t)snprintf(out + used, sizeof(out) - used, " %s/%u", a,
						 e->addr.prefixlen);
		}
		if (e->type == NLEVD_EV_LINK_RENAME)
			used += (size_t)snprintf(out + used, sizeof(out) - used, " (was %s)",
						 e->old_ifname);
		if (e->initial)
			used += (size_t)snprintf(out + used, sizeof(out) - used, " initial");
	}
	return out;
}

/* ---- records ---- */

#define UPFLAGS (IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP)

static void link_new(int ifindex, const char *name, uint32_t flags, uint8_t oper)
{
	struct nl_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = NL_LINK_NEW;
	r.link.ifindex = ifindex;
	snprintf(r.link.ifname, sizeof(r.link.ifname), "%s", name);
	r.link.flags = flags;
	r.link.operstate = oper;
	r.link.mtu = 1500;
	r.link.mac_len = 6;
	memcpy(r.link.mac, "\x02\x00\x00\x00\x00", 5);
	r.link.mac[5] = (uint8_t)ifindex;
	state_apply(&r);
}

static void link_del(int ifindex, const char *name)
{
	struct nl_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = NL_LINK_DEL;
	r.link.ifindex = ifindex;
	snprintf(r.link.ifname, sizeof(r.link.ifname), "%s", name);
	state_apply(&r);
}

static struct nl_rec addr_rec(enum nl_kind kind, int ifindex, const char *text, uint8_t plen,
			      uint32_t flags)
{
	struct nl_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.addr.ifindex = ifindex;
	r.addr.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(r.addr.family, text, r.addr.addr) != 1)
		abort();
	r.addr.prefixlen = plen;
	r.addr.flags = flags;
	r.addr.scope = RT_SCOPE_UNIVERSE;
	r.addr.valid_lft = r.addr.preferred_lft = NLEVD_LFT_FOREVER;
	return r;
}

static bool addr_new(int ifindex, const char *text, uint8_t plen, uint32_t flags)
{
	struct nl_rec r = addr_rec(NL_ADDR_NEW, ifindex, text, plen, flags);
	return state_apply(&r);
}

static void addr_new_lft(int ifindex, const char *text, uint8_t plen, uint32_t flags,
			 uint32_t valid, uint32_t pref)
{
	struct nl_rec r = addr_rec(NL_ADDR_NEW, ifindex, text, plen, flags);
	r.addr.valid_lft = valid;
	r.addr.preferred_lft = pref;
	state_apply(&r);
}

static void addr_del(int ifindex, const char *text, uint8_t plen)
{
	struct nl_rec r = addr_rec(NL_ADDR_DEL, ifindex, text, plen, IFA_F_PERMANENT);
	state_apply(&r);
}

static int collect_addr(const struct nlevd_link *l, const struct nlevd_addr *a, void *arg)
{
	char *out = arg, t[64];
	inet_ntop(a->family, a->addr, t, sizeof(t));
	size_t n = strlen(out);
	snprintf(out + n, 1024 - n, "%s%s:%s/%u", n ? " " : "", l->ifname, t, a->prefixlen);
	return 0;
}

static const char *addrs_of(int ifindex)
{
	static char out[1024];
	out[0] = 0;
	state_addr_foreach(ifindex, collect_addr, out);
	return out;
}

static int collect_link(const struct nlevd_link *l, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 1024 - n, "%s%d:%s", n ? " " : "", l->ifindex, l->ifname);
	return 0;
}

static int stop_after_one(const struct nlevd_link *l, const struct nlevd_addr *a, void *arg)
{
	(void)l;
	(void)a;
	(*(int *)arg)++;
	return 7;
}

static int count_addr(const struct nlevd_link *l, const struct nlevd_addr *a, void *arg)
{
	(void)l;
	(void)a;
	(*(size_t *)arg)++;
	return 0;
}

/* ---- tests ---- */

static void test_links(void)
{
	state_init(rec_cb, NULL);
	rec_clear();
	link_new(2, "eth0", IFF_BROADCAST | IFF_MULTICAST, IF_OPER_DOWN);
	is_str(rec_str(), "link-add eth0", "down link: link-add only");
	ok(state_link_known(2), "link 2 known");
	ok(!state_link_known(99), "link 99 unknown");
	is_int(state_count_links(), 1, "one link");
	ok(rec.n == 1 && rec.ev[0].link.mtu == 1500 && rec.ev[0].link.mac_len == 6 &&
		   rec.ev[0].link.operstate == IF_OPER_DOWN && !rec.ev[0].initial,
	   "link-add carries the link's fields, not initial");

	rec_clear();
	link_new(3, "eth1", UPFLAGS, IF_OPER_UP);
	is_str(rec_str(), "link-add eth1, link-up eth1", "up link: link-add then link-up");

	rec_clear();
	link_new(1, "lo", IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP, IF_OPER_UNKNOWN);
	is_str(rec_str(), "link-add lo, link-up lo", "operstate unknown + running counts as up");

	rec_clear();
	link_new(4, "tun0", IFF_UP | IFF_POINTOPOINT, IF_OPER_UNKNOWN);
	is_str(rec_str(), "link-add tun0", "operstate unknown without running: not up");

	rec_clear();
	link_new(5, "eth2", IFF_UP | IFF_BROADCAST, IF_OPER_LOWERLAYERDOWN);
	is_str(rec_str(), "link-add eth2", "admin up, no carrier: not up");

	rec_clear();
	link_new(2, "eth0", IFF_BROADCAST | IFF_MULTICAST, IF_OPER_DOWN);
	is_str(rec_str(), "", "same link again: nothing");

	/* admin up, then carrier: one link-up when operstate reaches up */
	rec_clear();
	link_new(2, "eth0", IFF_UP | IFF_BROADCAST | IFF_MULTICAST, IF_OPER_DOWN);
	is_str(rec_str(), "", "IFF_UP alone: no link-up");
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	is_str(rec_str(), "link-up eth0", "operstate up: link-up");
	rec_clear();
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	is_str(rec_str(), "", "still up: nothing");
	link_new(2, "eth0", UPFLAGS & ~(unsigned)(IFF_RUNNING | IFF_LOWER_UP), IF_OPER_LOWERLAYERDOWN);
	is_str(rec_str(), "link-down eth0", "carrier lost: link-down");
	rec_clear();
	link_new(2, "eth0", UPFLAGS, IF_OPER_DORMANT);
	is_str(rec_str(), "", "dormant: still down");
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	link_new(2, "eth0", IFF_BROADCAST, IF_OPER_UP);
	is_str(rec_str(), "link-up eth0, link-down eth0",
	       "admin down with a stale operstate up: link-down");

	/* mtu only */
	rec_clear();
	struct nl_rec r;
	memset(&r, 0, sizeof(r));
	r.kind = NL_LINK_NEW;
	r.link = *state_link_get(3);
	r.link.mtu = 9000;
	state_apply(&r);
	is_str(rec_str(), "", "mtu change: no event");
	is_int(state_link_get(3)->mtu, 9000, "mtu change: state updated");

	/* rename */
	rec_clear();
	link_new(3, "wan0", UPFLAGS, IF_OPER_UP);
	is_str(rec_str(), "link-rename wan0 (was eth1)", "rename: link-rename with old_ifname");
	is_str(state_link_get(3)->ifname, "wan0", "rename: state has the new name");
	rec_clear();
	link_new(2, "lan0", UPFLAGS, IF_OPER_UP);
	is_str(rec_str(), "link-rename lan0 (was eth0), link-up lan0",
	       "rename and up in one message: rename first, then up");

	char links[1024] = "";
	state_link_foreach(collect_link, links);
	is_str(links, "1:lo 2:lan0 3:wan0 4:tun0 5:eth2", "link_foreach in ifindex order");

	/* deletion */
	rec_clear();
	link_del(5, "eth2");
	is_str(rec_str(), "link-del eth2", "link del: link-del");
	ok(!state_link_known(5) && state_link_get(5) == NULL, "deleted link unknown");
	rec_clear();
	link_del(5, "eth2");
	link_del(77, "nope");
	is_str(rec_str(), "", "del of an unknown link: nothing");
	link_del(4, "tun0");
	link_del(1, "lo");
	is_int(state_count_links(), 2, "two links left");
	is_int(rec.bad_time, 0, "every event has a time");
	state_free();
	is_int(state_count_links(), 0, "state_free empties the table");
}

static void test_addrs(void)
{
	state_init(rec_cb, NULL);
	rec_clear();
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	link_new(3, "eth1", UPFLAGS, IF_OPER_UP);
	rec_clear();

	addr_new(2, "192.0.2.1", 24, IFA_F_PERMANENT);
	is_str(rec_str(), "addr-add eth0 192.0.2.1/24", "IPv4 add: addr-add");
	ok(rec.n == 1 && rec.ev[0].link.ifindex == 2 && rec.ev[0].addr.ifindex == 2 &&
		   rec.ev[0].link.operstate == IF_OPER_UP && rec.ev[0].addr.flags == IFA_F_PERMANENT,
	   "addr-add carries link and address");
	rec_clear();
	addr_new(2, "192.0.2.1", 24, IFA_F_PERMANENT);
	is_str(rec_str(), "", "same address again: nothing");
	addr_new(2, "192.0.2.1", 25, IFA_F_PERMANENT);
	is_str(rec_str(), "addr-add eth0 192.0.2.1/25",
	       "IPv4: same address, other prefix length is another address");
	rec_clear();
	addr_new(3, "192.0.2.1", 24, IFA_F_PERMANENT);
	is_str(rec_str(), "addr-add eth1 192.0.2.1/24", "same address on another link");

	/* IPv6 DAD */
	rec_clear();
	addr_new_lft(2, "2001:db8::1", 64, IFA_F_TENTATIVE, 3600, 1800);
	is_str(rec_str(), "", "tentative IPv6: no event");
	is_str(addrs_of(2), "eth0:192.0.2.1/24 eth0:192.0.2.1/25", "tentative not listed");
	addr_new_lft(2, "2001:db8::1", 64, 0, 3599, 1799);
	is_str(rec_str(), "addr-add eth0 2001:db8::1/64", "DAD done: addr-add");
	ok(rec.n == 1 && rec.ev[0].addr.valid_lft == 3599 && rec.ev[0].addr.preferred_lft == 1799,
	   "addr-add has the current lifetimes");
	rec_clear();
	addr_new_lft(2, "2001:db8::1", 64, 0, 3000, 1000);
	is_str(rec_str(), "", "lifetime-only refresh: no event");
	addr_new_lft(2, "2001:db8::1", 64, IFA_F_DEPRECATED, 3000, 0);
	is_str(rec_str(), "addr-change eth0 2001:db8::1/64", "deprecated: addr-change");
	ok(rec.n == 1 && rec.ev[0].addr.flags == IFA_F_DEPRECATED, "addr-change has the new flags");
	ok(rec.n == 1 && rec.ev[0].old_flags == 0, "addr-change has the old flags");
	rec_clear();
	addr_new_lft(2, "2001:db8::1", 64, IFA_F_DEPRECATED, 2000, 0);
	is_str(rec_str(), "", "deprecated, refreshed: nothing");

	/* DAD failure */
	rec_clear();
	addr_new(2, "2001:db8::2", 64, IFA_F_TENTATIVE);
	addr_new(2, "2001:db8::2", 64, IFA_F_TENTATIVE | IFA_F_DADFAILED);
	addr_new(2, "2001:db8::2", 64, IFA_F_DADFAILED);
	is_str(rec_str(), "", "DAD failed: never announced");
	addr_del(2, "2001:db8::2", 64);
	is_str(rec_str(), "", "del of a never announced address: nothing");
	addr_new(2, "2001:db8::3", 64, IFA_F_DADFAILED | IFA_F_OPTIMISTIC);
	is_str(rec_str(), "", "DADFAILED wins over optimistic");

	/* optimistic DAD */
	rec_clear();
	addr_new(2, "2001:db8::4", 64, IFA_F_TENTATIVE | IFA_F_OPTIMISTIC);
	is_str(rec_str(), "", "optimistic: still tentative, not announced");
	rec_clear();
	addr_new(2, "2001:db8::4", 64, 0);
	is_str(rec_str(), "addr-add eth0 2001:db8::4/64", "optimistic then DAD done: addr-add");

	/* usable, then not, then again */
	rec_clear();
	addr_new(2, "2001:db8::4", 64, IFA_F_DADFAILED);
	is_str(rec_str(), "addr-del eth0 2001:db8::4/64", "announced address fails DAD: addr-del");
	ok(rec.n == 1 && rec.ev[0].addr.flags == 0, "that addr-del shows the address as it was");
	rec_clear();
	addr_new(2, "2001:db8::4", 64, 0);
	is_str(rec_str(), "addr-add eth0 2001:db8::4/64", "usable again: addr-add");

	/* delete */
	rec_clear();
	addr_del(2, "192.0.2.1", 25);
	is_str(rec_str(), "addr-del eth0 192.0.2.1/25", "RTM_DELADDR: addr-del");
	rec_clear();
	addr_del(2, "192.0.2.1", 25);
	addr_del(2, "198.51.100.1", 24);
	addr_del(3, "2001:db8::1", 64);
	is_str(rec_str(), "", "del of an unknown address: nothing");

	/* unknown interface */
	rec_clear();
	bool resync = addr_new(42, "203.0.113.1", 24, IFA_F_PERMANENT);
	is_str(rec_str(), "", "address on an unknown interface: no event");
	ok(resync, "... and a resync is wanted");

	/* foreach */
	is_str(addrs_of(2), "eth0:192.0.2.1/24 eth0:2001:db8::1/64 eth0:2001:db8::4/64",
	       "addr_foreach(2): usable addresses only, in order of arrival");
	is_str(addrs_of(0),
	       "eth0:192.0.2.1/24 eth0:2001:db8::1/64 eth0:2001:db8::4/64 eth1:192.0.2.1/24",
	       "addr_foreach(0): every interface");
	is_str(addrs_of(9), "", "addr_foreach of an unknown interface: none");
	int calls = 0;
	is_int(state_addr_foreach(0, stop_after_one, &calls), 7, "foreach returns the callback's stop value");
	is_int(calls, 1, "foreach stops at a non-zero return");
	is_int(state_count_addrs(), 5, "5 addresses tracked (3 usable on eth0, 1 on eth1, 1 held back)");

	/* link removal withdraws the addresses first */
	rec_clear();
	link_del(2, "eth0");
	is_str(rec_str(),
	       "addr-del eth0 192.0.2.1/24, addr-del eth0 2001:db8::1/64, "
	       "addr-del eth0 2001:db8::4/64, link-del eth0",
	       "link del: addr-del for each usable address, then link-del");
	is_int(state_count_addrs(), 1, "only eth1's address left");
	rec_clear();
	addr_del(2, "192.0.2.1", 24);
	is_str(rec_str(), "", "address of the deleted link is gone");
	is_int(rec.bad_time, 0, "every event has a time");
	state_free();
}

static void test_sweep(void)
{
	state_init(rec_cb, NULL);
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	link_new(3, "eth1", UPFLAGS, IF_OPER_UP);
	link_new(4, "eth2", UPFLAGS, IF_OPER_UP);
	addr_new(2, "192.0.2.1", 24, IFA_F_PERMANENT);
	addr_new(2, "192.0.2.2", 24, IFA_F_PERMANENT);
	addr_new(3, "2001:db8::1", 64, 0);
	addr_new(3, "2001:db8::2", 64, IFA_F_TENTATIVE);
	addr_new(4, "198.51.100.1", 24, IFA_F_PERMANENT);
	rec_clear();

	/* A resync sees eth0 with one address, eth1 renamed with its address
	 * now deprecated; eth2 and the rest are gone. */
	state_mark();
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	link_new(3, "wan0", UPFLAGS, IF_OPER_UP);
	addr_new(2, "192.0.2.1", 24, IFA_F_PERMANENT);
	addr_new(3, "2001:db8::1", 64, IFA_F_DEPRECATED);
	is_str(rec_str(), "link-rename wan0 (was eth1), addr-change wan0 2001:db8::1/64",
	       "during the resync: only changes");
	rec_clear();
	state_sweep();
	/* hash order decides which link comes first: sort by checking pieces */
	const char *s = rec_str();
	ok(strstr(s, "addr-del eth0 192.0.2.2/24") != NULL, "sweep: unseen address of a seen link deleted");
	ok(strstr(s, "addr-del eth2 198.51.100.1/24, link-del eth2") != NULL,
	   "sweep: unseen link's address, then the link, deleted");
	ok(!strstr(s, "2001:db8::2"), "sweep: a held-back address goes silently");
	is_int(rec.n, 3, "sweep: three events (got: %s)", s);
	is_int(state_count_links(), 2, "sweep: two links left");
	is_int(state_count_addrs(), 2, "sweep: two addresses left");
	rec_clear();
	state_mark();
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	link_new(3, "wan0", UPFLAGS, IF_OPER_UP);
	addr_new(2, "192.0.2.1", 24, IFA_F_PERMANENT);
	addr_new(3, "2001:db8::1", 64, IFA_F_DEPRECATED);
	state_sweep();
	is_str(rec_str(), "", "a resync that finds everything: no event");
	rec_clear();
	state_mark();
	state_sweep();
	ok(strstr(rec_str(), "link-del eth0") && strstr(rec_str(), "link-del wan0") && rec.n == 4,
	   "an empty resync: everything deleted (%s)", rec_str());
	is_int(state_count_links() + state_count_addrs(), 0, "table empty");
	state_free();
}

static void test_replay(void)
{
	state_init(rec_cb, NULL);
	link_new(3, "eth1", IFF_BROADCAST, IF_OPER_DOWN);
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	addr_new(2, "192.0.2.1", 24, IFA_F_PERMANENT);
	addr_new(2, "2001:db8::9", 64, IFA_F_TENTATIVE);
	addr_new(2, "2001:db8::1", 64, 0);
	addr_new(3, "198.51.100.7", 24, IFA_F_PERMANENT);
	rec_clear();
	state_replay(rec_cb, NULL);
	is_str(rec_str(),
	       "link-add eth0 initial, link-up eth0 initial, addr-add eth0 192.0.2.1/24 initial, "
	       "addr-add eth0 2001:db8::1/64 initial, link-add eth1 initial, "
	       "addr-add eth1 198.51.100.7/24 initial",
	       "replay: per link in ifindex order: add, up, its usable addresses; all initial");
	ok(rec.n == 6 && rec.ev[2].addr.family == AF_INET && rec.ev[2].link.ifindex == 2 &&
		   rec.ev[3].addr.family == AF_INET6,
	   "replay events carry link and address");
	ok(rec.n == 6 && rec.ev[0].type == NLEVD_EV_LINK_ADD && rec.ev[0].link.mtu == 1500,
	   "replay link-add carries the link");
	state_free();
	rec_clear();
	state_replay(rec_cb, NULL);
	is_int(rec.n, 0, "replay of an empty table: nothing");
}

static void test_scale(void)
{
	enum { N = 100000 };
	state_init(rec_cb, NULL);
	rec.count_only = true;
	rec_clear();
	link_new(2, "eth0", UPFLAGS, IF_OPER_UP);
	link_new(3, "eth1", UPFLAGS, IF_OPER_UP);
	for (int i = 0; i < N; i++) {
		struct nl_rec r = addr_rec(NL_ADDR_NEW, 2, "2001:db8::", 64, 0);
		r.addr.addr[12] = (uint8_t)(i >> 24);
		r.addr.addr[13] = (uint8_t)(i >> 16);
		r.addr.addr[14] = (uint8_t)(i >> 8);
		r.addr.addr[15] = (uint8_t)i;
		state_apply(&r);
		/* and as many IPv4 on the other link */
		r = addr_rec(NL_ADDR_NEW, 3, "10.0.0.0", 32, IFA_F_PERMANENT);
		r.addr.addr[1] = (uint8_t)(i >> 16);
		r.addr.addr[2] = (uint8_t)(i >> 8);
		r.addr.addr[3] = (uint8_t)i;
		state_apply(&r);
	}
	is_int(rec.counts[NLEVD_EV_ADDR_ADD], 2 * N, "200k addr-add");
	is_int(state_count_addrs(), 2 * N, "200k addresses tracked");
	size_t cnt = 0;
	state_addr_foreach(0, count_addr, &cnt);
	is_int(cnt, 2 * N, "addr_foreach(0) lists 200k");
	for (int i = 0; i < N; i++) {
		/* apply the same again: no events */
		struct nl_rec r = addr_rec(NL_ADDR_NEW, 2, "2001:db8::", 64, 0);
		r.addr.addr[12] = (uint8_t)(i >> 24);
		r.addr.addr[13] = (uint8_t)(i >> 16);
		r.addr.addr[14] = (uint8_t)(i >> 8);
		r.addr.addr[15] = (uint8_t)i;
		state_apply(&r);
	}
	is_int(rec.n, 2 * N + 4, "re-applying 100k addresses: no events");
	rec_clear();
	for (int i = 0; i < N; i += 2) {
		struct nl_rec r = addr_rec(NL_ADDR_DEL, 2, "2001:db8::", 64, 0);
		r.addr.addr[12] = (uint8_t)(i >> 24);
		r.addr.addr[13] = (uint8_t)(i >> 16);
		r.addr.addr[14] = (uint8_t)(i >> 8);
		r.addr.addr[15] = (uint8_t)i;
		state_apply(&r);
	}
	is_int(rec.counts[NLEVD_EV_ADDR_DEL], N / 2, "50k addr-del");
	is_int(state_count_addrs(), 2 * N - N / 2, "150k left");
	rec_clear();
	/* a resync that sees only link 3 and its addresses */
	state_mark();
	link_new(3, "eth1", UPFLAGS, IF_OPER_UP);
	for (int i = 0; i < N; i++) {
		struct nl_rec r = addr_rec(NL_ADDR_NEW, 3, "10.0.0.0", 32, IFA_F_PERMANENT);
		r.addr.addr[1] = (uint8_t)(i >> 16);
		r.addr.addr[2] = (uint8_t)(i >> 8);
		r.addr.addr[3] = (uint8_t)i;
		state_apply(&r);
	}
	state_sweep();
	ok(rec.n == N / 2 + 1 && rec.counts[NLEVD_EV_ADDR_DEL] == N / 2 &&
		   rec.counts[NLEVD_EV_LINK_DEL] == 1,
	   "sweep of link 2: 50k addr-del and one link-del (%zu events)", rec.n);
	rec_clear();
	link_del(3, "eth1");
	ok(rec.counts[NLEVD_EV_ADDR_DEL] == N && rec.counts[NLEVD_EV_LINK_DEL] == 1,
	   "link del with 100k addresses: 100k addr-del, one link-del");
	is_int(state_count_addrs() + state_count_links(), 0, "table empty");
	rec.count_only = false;
	state_free();
}

/* IPv4 addresses that differ only by peer are distinct (the kernel keys
 * them by local, prefix length and peer); IPv6 peers are not part of the key. */
static struct nl_rec peer_rec(enum nl_kind kind, int ifindex, const char *local,
			      const char *peer, uint8_t plen)
{
	struct nl_rec r = addr_rec(kind, ifindex, local, plen, IFA_F_PERMANENT);
	if (peer) {
		if (inet_pton(r.addr.family, peer, r.addr.peer) != 1)
			abort();
		r.addr.has_peer = 1;
	}
	return r;
}

static void peer_apply(enum nl_kind kind, int ifindex, const char *local, const char *peer,
		       uint8_t plen)
{
	struct nl_rec r = peer_rec(kind, ifindex, local, peer, plen);
	state_apply(&r);
}

static int collect_peer(const struct nlevd_link *l, const struct nlevd_addr *a, void *arg)
{
	char *out = arg, t[64], p[64] = "-";
	(void)l;
	inet_ntop(a->family, a->addr, t, sizeof(t));
	if (a->has_peer)
		inet_ntop(a->family, a->peer, p, sizeof(p));
	size_t n = strlen(out);
	snprintf(out + n, 1024 - n, "%s%s>%s/%u", n ? " " : "", t, p, a->prefixlen);
	return 0;
}

static const char *peers_of(int ifindex)
{
	static char out[1024];
	out[0] = 0;
	state_addr_foreach(ifindex, collect_peer, out);
	return out;
}

static void test_peers(void)
{
	state_init(rec_cb, NULL);
	rec_clear(); /* test_scale() left a count, not a record array's length */
	link_new(2, "ppp0", UPFLAGS, IF_OPER_UP);
	rec_clear();

	peer_apply(NL_ADDR_NEW, 2, "10.0.0.1", "10.0.0.2", 32);
	peer_apply(NL_ADDR_NEW, 2, "10.0.0.1", "10.0.0.3", 32);
	is_str(rec_str(), "addr-add ppp0 10.0.0.1/32, addr-add ppp0 10.0.0.1/32",
	       "same local address, two peers: two addresses");
	ok(rec.n == 2 && !memcmp(rec.ev[1].addr.peer, "\x0a\x00\x00\x03", 4),
	   "the second addr-add carries its own peer");
	is_str(peers_of(2), "10.0.0.1>10.0.0.2/32 10.0.0.1>10.0.0.3/32", "both listed");
	rec_clear();
	peer_apply(NL_ADDR_NEW, 2, "10.0.0.1", "10.0.0.3", 32);
	is_str(rec_str(), "", "the second again: no event");
	peer_apply(NL_ADDR_DEL, 2, "10.0.0.1", "10.0.0.2", 32);
	is_str(rec_str(), "addr-del ppp0 10.0.0.1/32", "delete the first: one addr-del");
	ok(rec.n == 1 && !memcmp(rec.ev[0].addr.peer, "\x0a\x00\x00\x02", 4),
	   "the addr-del is the first one's");
	is_str(peers_of(2), "10.0.0.1>10.0.0.3/32", "the second is still known");
	rec_clear();
	peer_apply(NL_ADDR_NEW, 2, "10.0.0.1", NULL, 32);
	is_str(rec_str(), "addr-add ppp0 10.0.0.1/32", "without a peer: a third address");
	peer_apply(NL_ADDR_DEL, 2, "10.0.0.1", "10.0.0.3", 32);
	peer_apply(NL_ADDR_DEL, 2, "10.0.0.1", NULL, 32);
	is_int(rec.n, 3, "each deleted once");
	is_str(peers_of(2), "", "none left");

	/* Within the prefix, the kernel sees one address: so does the table. */
	rec_clear();
	peer_apply(NL_ADDR_NEW, 2, "10.1.0.1", "10.1.0.2", 24);
	peer_apply(NL_ADDR_NEW, 2, "10.1.0.1", "10.1.0.3", 24);
	is_str(rec_str(), "addr-add ppp0 10.1.0.1/24", "peers in one /24: one address, updated");
	is_str(peers_of(2), "10.1.0.1>10.1.0.3/24", "with the latest peer");
	peer_apply(NL_ADDR_DEL, 2, "10.1.0.1", "10.1.0.3", 24);

	/* IPv6 keys by the local address only. */
	rec_clear();
	peer_apply(NL_ADDR_NEW, 2, "2001:db8::1", "2001:db8::2", 128);
	peer_apply(NL_ADDR_NEW, 2, "2001:db8::1", "2001:db8::3", 128);
	is_str(rec_str(), "addr-add ppp0 2001:db8::1/128", "IPv6: the peer is no part of the key");
	state_free();
}

int main(void)
{
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	test_links();
	test_addrs();
	test_sweep();
	test_replay();
	test_scale();
	test_peers();
	free(rec.ev);
	return tap_done();
}
