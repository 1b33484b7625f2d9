/* Unit tests for core/router.c: the per-instance filters and the settle
 * window that coalesces events per object. */
#include <arpa/inet.h>
#include <ev.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emit.h"
#include "event.h"
#include "filter.h"
#include "log.h"
#include "router.h"
#include "tap.h"
#include "util.h"

#define ALL_EVENTS ((1u << NLEVD_EV_COUNT) - 1)

/* ---- building filters and events ---- */

static void mkfilter(struct filter *f, const char *ifpat, uint8_t families, uint8_t scopes,
		     const char *prefixes, bool temporary, uint32_t events, uint64_t settle_ms)
{
	memset(f, 0, sizeof(*f));
	f->events = events;
	f->ifpat = ifpat ? split_words(ifpat, NULL) : NULL;
	f->families = families;
	f->scopes = scopes;
	f->temporary = temporary;
	f->startup = true;
	f->settle_ms = settle_ms;
	if (prefixes) {
		size_t n;
		char **w = split_words(prefixes, &n);
		f->prefixes = calloc(n + 1, sizeof(*f->prefixes));
		f->prefix_neg = calloc(n + 1, sizeof(*f->prefix_neg));
		for (size_t i = 0; i < n; i++) {
			f->prefix_neg[i] = w[i][0] == '!';
			if (parse_prefix(w[i] + f->prefix_neg[i], &f->prefixes[i]))
				abort();
		}
		f->nprefixes = n;
		free_words(w);
	}
}

static struct nlevd_event ev_addr(enum nlevd_event_type t, int ifindex, const char *ifname,
				  const char *text, uint8_t plen, uint32_t flags)
{
	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.link.ifindex = ifindex;
	snprintf(ev.link.ifname, sizeof(ev.link.ifname), "%s", ifname);
	ev.addr.ifindex = ifindex;
	ev.addr.family = strchr(text, ':') ? AF_INET6 : AF_INET;
	if (inet_pton(ev.addr.family, text, ev.addr.addr) != 1)
		abort();
	ev.addr.prefixlen = plen;
	ev.addr.flags = flags;
	ev.addr.scope = RT_SCOPE_UNIVERSE;
	ev.addr.valid_lft = ev.addr.preferred_lft = NLEVD_LFT_FOREVER;
	return ev;
}

static struct nlevd_event ev_link(enum nlevd_event_type t, int ifindex, const char *ifname,
				  const char *old)
{
	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = t;
	ev.link.ifindex = ifindex;
	snprintf(ev.link.ifname, sizeof(ev.link.ifname), "%s", ifname);
	if (old)
		snprintf(ev.old_ifname, sizeof(ev.old_ifname), "%s", old);
	return ev;
}

/* ---- recording deliveries ---- */

static struct {
	struct nlevd_event ev[64];
	size_t n;
	struct ev_loop *break_loop;
} got;

static void deliver(const struct nlevd_event *ev, void *arg)
{
	(void)arg;
	if (got.n < ARRAY_SIZE(got.ev))
		got.ev[got.n] = *ev;
	got.n++;
	if (got.break_loop)
		ev_break(got.break_loop, EVBREAK_ALL);
}

static const char *got_str(void)
{
	static char out[2048];
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < got.n && i < ARRAY_SIZE(got.ev); i++) {
		const struct nlevd_event *e = &got.ev[i];
		if (e->type == NLEVD_EV_PLUGIN) {
			/* the test holds a reference: the fields are still there */
			used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s from %s %s",
						 i ? ", " : "", e->name, e->fields[0].value,
						 e->fields[1].value);
			continue;
		}
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s%s %s", i ? ", " : "",
					 event_name(e->type), e->link.ifname);
		if (e->type <= NLEVD_EV_ADDR_CHANGE) {
			char a[64];
			inet_ntop(e->addr.family, e->addr.addr, a, sizeof(a));
			used += (size_t)snprintf(out + used, sizeof(out) - used, " %s/%u flags %#x", a,
						 e->addr.prefixlen, e->addr.flags);
		}
		if (e->type == NLEVD_EV_LINK_RENAME)
			used += (size_t)snprintf(out + used, sizeof(out) - used, " (was %s)",
						 e->old_ifname);
	}
	return out;
}

/* ---- filters ---- */

static void test_filter_ifname(void)
{
	struct filter f;
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_ifname(&f, "eth0"), "default !lo: eth0 selected");
	ok(!filter_ifname(&f, "lo"), "default !lo: lo excluded");
	ok(filter_ifname(&f, "lo0"), "default !lo: lo0 is not lo");
	filter_free(&f);

	mkfilter(&f, NULL, 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_ifname(&f, "lo") && filter_ifname(&f, "anything"), "no patterns: all");
	filter_free(&f);

	mkfilter(&f, "eth* !eth1", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_ifname(&f, "eth0"), "eth* !eth1: eth0");
	ok(!filter_ifname(&f, "eth1"), "eth* !eth1: not eth1");
	ok(!filter_ifname(&f, "wlan0"), "eth* !eth1: not wlan0 (no positive match)");
	filter_free(&f);

	mkfilter(&f, "!eth1 eth*", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(!filter_ifname(&f, "eth1") && filter_ifname(&f, "eth2"), "order does not matter");
	filter_free(&f);

	mkfilter(&f, "!veth* !docker*", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_ifname(&f, "eth0") && filter_ifname(&f, "lo"), "only excludes: the rest selected");
	ok(!filter_ifname(&f, "veth12ab") && !filter_ifname(&f, "docker0"), "only excludes: excluded");
	filter_free(&f);

	mkfilter(&f, "eth[0-3] wl?n0 br-*", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_ifname(&f, "eth3") && !filter_ifname(&f, "eth4"), "glob classes");
	ok(filter_ifname(&f, "wlan0") && !filter_ifname(&f, "wlaan0"), "glob ?");
	ok(filter_ifname(&f, "br-1234") && !filter_ifname(&f, "br0"), "glob *");
	filter_free(&f);

	mkfilter(&f, "* !*", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(!filter_ifname(&f, "eth0"), "an exclude always wins");
	filter_free(&f);
}

static void test_filter_addr(void)
{
	struct filter f;
	struct nlevd_event v4 = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, 0);
	struct nlevd_event v6 = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "2001:db8::1", 64, 0);

	mkfilter(&f, "!lo", 1, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_addr(&f, &v4.addr) && !filter_addr(&f, &v6.addr), "family ipv4");
	f.families = 2;
	ok(!filter_addr(&f, &v4.addr) && filter_addr(&f, &v6.addr), "family ipv6");
	f.families = 3;
	ok(filter_addr(&f, &v4.addr) && filter_addr(&f, &v6.addr), "both families");

	f.scopes = NLEVD_SCOPE_GLOBAL;
	struct nlevd_event ll = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "fe80::1", 64, 0);
	ll.addr.scope = RT_SCOPE_LINK;
	ok(filter_addr(&f, &v6.addr) && !filter_addr(&f, &ll.addr), "scope global: link-local out");
	f.scopes = NLEVD_SCOPE_LINK | NLEVD_SCOPE_HOST;
	ok(!filter_addr(&f, &v6.addr) && filter_addr(&f, &ll.addr), "scope link host");
	struct nlevd_event host = ev_addr(NLEVD_EV_ADDR_ADD, 1, "lo", "127.0.0.1", 8, 0);
	host.addr.scope = RT_SCOPE_HOST;
	ok(filter_addr(&f, &host.addr), "scope host selected");
	struct nlevd_event site = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "fec0::1", 64, 0);
	site.addr.scope = RT_SCOPE_SITE;
	ok(!filter_addr(&f, &site.addr), "scope site not selected");
	f.scopes = NLEVD_SCOPE_SITE;
	ok(filter_addr(&f, &site.addr), "scope site selected");
	f.scopes = 0x0f;
	ok(filter_addr(&f, &site.addr) && filter_addr(&f, &ll.addr) && filter_addr(&f, &host.addr),
	   "all scopes");

	/* temporary */
	struct nlevd_event tmp = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "2001:db8::abcd", 64,
					 IFA_F_TEMPORARY);
	struct nlevd_event sec = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.2", 24,
					 IFA_F_SECONDARY);
	ok(filter_addr(&f, &tmp.addr), "temporary=yes: temporary IPv6 selected");
	f.temporary = false;
	ok(!filter_addr(&f, &tmp.addr), "temporary=no: temporary IPv6 excluded");
	ok(filter_addr(&f, &sec.addr), "temporary=no: IPv4 secondary (same bit) still selected");
	ok(filter_addr(&f, &v6.addr), "temporary=no: stable IPv6 selected");
	filter_free(&f);

	/* prefixes */
	mkfilter(&f, "!lo", 3, 0x0f, "192.0.2.0/24 2001:db8::/32 !192.0.2.128/25", true,
		 ALL_EVENTS, 0);
	ok(filter_addr(&f, &v4.addr), "192.0.2.1 in 192.0.2.0/24");
	struct nlevd_event hi = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.200", 24, 0);
	ok(!filter_addr(&f, &hi.addr), "192.0.2.200 excluded by !192.0.2.128/25");
	struct nlevd_event other = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "198.51.100.1", 24, 0);
	ok(!filter_addr(&f, &other.addr), "198.51.100.1 matches no positive prefix");
	ok(filter_addr(&f, &v6.addr), "2001:db8::1 in 2001:db8::/32");
	ok(!filter_addr(&f, &ll.addr), "fe80::1 matches no positive prefix");
	filter_free(&f);

	mkfilter(&f, "!lo", 3, 0x0f, "!10.0.0.0/8 !fd00::/8", true, ALL_EVENTS, 0);
	struct nlevd_event ten = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "10.1.2.3", 8, 0);
	struct nlevd_event ula = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "fd12::1", 64, 0);
	ok(!filter_addr(&f, &ten.addr) && !filter_addr(&f, &ula.addr), "only excludes: excluded");
	ok(filter_addr(&f, &v4.addr) && filter_addr(&f, &v6.addr), "only excludes: the rest selected");
	filter_free(&f);
}

static void test_filter_event(void)
{
	struct filter f;
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, 1u << NLEVD_EV_ADDR_ADD | 1u << NLEVD_EV_LINK_UP, 0);
	struct nlevd_event add = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, 0);
	struct nlevd_event del = ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.1", 24, 0);
	struct nlevd_event up = ev_link(NLEVD_EV_LINK_UP, 2, "eth0", NULL);
	struct nlevd_event down = ev_link(NLEVD_EV_LINK_DOWN, 2, "eth0", NULL);
	ok(filter_event(&f, &add) && filter_event(&f, &up), "events mask: selected kinds pass");
	ok(!filter_event(&f, &del) && !filter_event(&f, &down), "events mask: the others do not");
	struct nlevd_event lo = ev_addr(NLEVD_EV_ADDR_ADD, 1, "lo", "127.0.0.1", 8, 0);
	ok(!filter_event(&f, &lo), "addr-add on lo: excluded by default");
	filter_free(&f);

	/* Address filters do not apply to link events. */
	mkfilter(&f, "!lo", 1, NLEVD_SCOPE_GLOBAL, "192.0.2.0/24", false, ALL_EVENTS, 0);
	struct nlevd_event ladd = ev_link(NLEVD_EV_LINK_ADD, 2, "eth0", NULL);
	ok(filter_event(&f, &ladd) && filter_event(&f, &down), "link events ignore address filters");
	struct nlevd_event v6 = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "2001:db8::1", 64, 0);
	ok(!filter_event(&f, &v6), "address events use them");
	filter_free(&f);

	/* A rename is selected by the old or the new name. */
	mkfilter(&f, "eth0", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	struct nlevd_event r1 = ev_link(NLEVD_EV_LINK_RENAME, 2, "wan0", "eth0");
	struct nlevd_event r2 = ev_link(NLEVD_EV_LINK_RENAME, 2, "eth0", "tmp0");
	struct nlevd_event r3 = ev_link(NLEVD_EV_LINK_RENAME, 2, "wan1", "tmp1");
	ok(filter_event(&f, &r1), "rename away from a selected name: selected");
	ok(filter_event(&f, &r2), "rename to a selected name: selected");
	ok(!filter_event(&f, &r3), "rename between unselected names: not selected");
	struct nlevd_event notrename = ev_link(NLEVD_EV_LINK_UP, 2, "wan0", "eth0");
	ok(!filter_event(&f, &notrename), "old_ifname counts only for link-rename");
	filter_free(&f);

	mkfilter(&f, "!eth0", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	ok(filter_event(&f, &r1), "exclude eth0: rename eth0 -> wan0 still selected via the new name");
	filter_free(&f);
}

/* ---- settle ---- */

static struct ev_loop *loop;

static void push(struct router *r, struct nlevd_event ev)
{
	router_push(r, &ev);
}

static void test_settle(void)
{
	struct filter f;
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, ALL_EVENTS, 50);
	struct router *r = router_new(loop, &f, deliver, NULL);
	ok(r != NULL, "router_new");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, 0));
	is_int(got.n, 0, "settling: nothing delivered at once");
	is_int(router_pending(r), 1, "one object pending");
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.1", 24, 0));
	is_int(router_pending(r), 1, "same address: still one object");
	router_flush(r);
	is_str(got_str(), "", "add then del in the window: nothing");
	is_int(router_pending(r), 0, "flushed");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.1", 24, IFA_F_PERMANENT));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, IFA_F_PERMANENT));
	router_flush(r);
	is_str(got_str(), "", "del then add, same flags: nothing");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "2001:db8::1", 64, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "2001:db8::1", 64, IFA_F_DEPRECATED));
	router_flush(r);
	is_str(got_str(), "addr-change eth0 2001:db8::1/64 flags 0x20",
	       "del then add with other flags: addr-change");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "2001:db8::2", 64, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_CHANGE, 2, "eth0", "2001:db8::2", 64, IFA_F_DEPRECATED));
	router_flush(r);
	is_str(got_str(), "addr-add eth0 2001:db8::2/64 flags 0x20",
	       "add then change: one addr-add with the latest flags");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_CHANGE, 2, "eth0", "2001:db8::2", 64, IFA_F_DEPRECATED));
	router_flush(r);
	is_str(got_str(), "addr-change eth0 2001:db8::2/64 flags 0x20", "a lone change is delivered");

	got.n = 0;
	{
		struct nlevd_event c1 = ev_addr(NLEVD_EV_ADDR_CHANGE, 2, "eth0", "2001:db8::2", 64,
						IFA_F_DEPRECATED);
		struct nlevd_event c2 = ev_addr(NLEVD_EV_ADDR_CHANGE, 2, "eth0", "2001:db8::2", 64, 0);
		c2.old_flags = IFA_F_DEPRECATED;
		push(r, c1);
		push(r, c2);
		router_flush(r);
		is_str(got_str(), "", "change and change back within the window: nothing");
		c2.old_flags = IFA_F_PERMANENT;
		push(r, c2);
		router_flush(r);
		is_str(got_str(), "addr-change eth0 2001:db8::2/64 flags 0",
		       "a lone change reports its old flags' difference");
	}

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_CHANGE, 2, "eth0", "2001:db8::2", 64, IFA_F_DEPRECATED));
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "2001:db8::2", 64, IFA_F_DEPRECATED));
	router_flush(r);
	is_str(got_str(), "addr-del eth0 2001:db8::2/64 flags 0x20", "change then del: addr-del");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 25, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 3, "eth1", "192.0.2.1", 24, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "198.51.100.1", 24, 0));
	is_int(router_pending(r), 4, "four objects pending");
	router_flush(r);
	is_str(got_str(),
	       "addr-add eth0 192.0.2.1/24 flags 0, addr-add eth0 192.0.2.1/25 flags 0, "
	       "addr-add eth1 192.0.2.1/24 flags 0, addr-del eth0 198.51.100.1/24 flags 0",
	       "distinct objects: each delivered, in order of first appearance");

	/* links */
	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_ADD, 7, "veth0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 7, "veth0", NULL));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 7, "veth0", "203.0.113.1", 24, 0));
	router_flush(r);
	is_str(got_str(), "link-add veth0, link-up veth0, addr-add veth0 203.0.113.1/24 flags 0",
	       "new link: link-add, link-up, addr-add in that order");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_ADD, 8, "veth1", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 8, "veth1", NULL));
	push(r, ev_link(NLEVD_EV_LINK_RENAME, 8, "wan1", "veth1"));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 8, "wan1", "203.0.113.9", 24, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 8, "wan1", "203.0.113.9", 24, 0));
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 8, "wan1", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 8, "wan1", NULL));
	router_flush(r);
	is_str(got_str(), "", "a link that came and went: nothing at all");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_ADD, 8, "veth1", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 8, "veth1", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 8, "veth1", NULL));
	is_int(router_pending(r), 1, "link-del of a new link drops its up entry at once");
	router_flush(r);
	is_str(got_str(), "", "link-add, link-up, link-del (no down): nothing");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_RENAME, 2, "b0", "a0"));
	push(r, ev_link(NLEVD_EV_LINK_RENAME, 2, "c0", "b0"));
	router_flush(r);
	is_str(got_str(), "link-rename c0 (was a0)", "rename A->B->C: one rename A->C");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_RENAME, 2, "b0", "a0"));
	push(r, ev_link(NLEVD_EV_LINK_RENAME, 2, "a0", "b0"));
	router_flush(r);
	is_str(got_str(), "", "rename A->B->A: nothing");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 2, "eth0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 2, "eth0", NULL));
	router_flush(r);
	is_str(got_str(), "", "link flap down/up within the window: nothing");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_UP, 2, "eth0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 2, "eth0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 2, "eth0", NULL));
	router_flush(r);
	is_str(got_str(), "link-up eth0", "up, down, up: link-up");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.1", 24, 0));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 2, "eth0", NULL));
	router_flush(r);
	is_str(got_str(), "addr-del eth0 192.0.2.1/24 flags 0, link-del eth0",
	       "existing link removed: addr-del then link-del");

	/* a link deleted and created again with the same ifindex */
	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 9, "a0", "192.0.2.9", 24, 0));
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 9, "a0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 9, "a0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_ADD, 9, "b0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 9, "b0", NULL));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 9, "b0", "192.0.2.9", 24, 0));
	router_flush(r);
	is_str(got_str(),
	       "addr-del a0 192.0.2.9/24 flags 0, link-down a0, link-del a0, "
	       "link-add b0, link-up b0, addr-add b0 192.0.2.9/24 flags 0",
	       "del and re-add of ifindex 9 under another name: the old link's end, then the new one");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_DEL, 9, "b0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_ADD, 9, "b0", NULL));
	router_flush(r);
	is_str(got_str(), "link-del b0, link-add b0", "del and re-add under the same name: both");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 9, "b0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 9, "b0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_ADD, 9, "c0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_UP, 9, "c0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 9, "c0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_ADD, 9, "d0", NULL));
	router_flush(r);
	is_str(got_str(), "link-down b0, link-del b0, link-add d0",
	       "a middle life that came and went is dropped, the first one's end is kept");

	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_ADD, 10, "e0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 10, "e0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_ADD, 10, "e0", NULL));
	router_flush(r);
	is_str(got_str(), "link-add e0", "add, del, add within the window: one link-add");

	/* IPv4 peers are part of the address */
	got.n = 0;
	{
		struct nlevd_event p2 = ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "10.0.0.1", 32, 0);
		struct nlevd_event p3 = p2;
		inet_pton(AF_INET, "10.0.0.2", p2.addr.peer);
		inet_pton(AF_INET, "10.0.0.3", p3.addr.peer);
		p2.addr.has_peer = p3.addr.has_peer = 1;
		push(r, p2);
		push(r, p3);
		p2.type = NLEVD_EV_ADDR_DEL;
		push(r, p2);
		router_flush(r);
		is_str(got_str(), "addr-add eth0 10.0.0.1/32 flags 0",
		       "two peers, the first deleted: the second's addr-add remains");
		ok(got.n == 1 && !memcmp(got.ev[0].addr.peer, p3.addr.peer, 4), "with its peer");
	}

	/* filters apply before settling */
	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 1, "lo", "127.0.0.1", 8, 0));
	is_int(router_pending(r), 0, "a filtered event is not even queued");
	router_flush(r);
	is_int(got.n, 0, "nor delivered");

	router_free(r);
	filter_free(&f);

	/* An instance that does not see link-del still sees a new link. */
	mkfilter(&f, NULL, 3, 0x0f, NULL, true, 1u << NLEVD_EV_ADDR_ADD | 1u << NLEVD_EV_ADDR_DEL, 50);
	r = router_new(loop, &f, deliver, NULL);
	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 9, "a0", "192.0.2.9", 24, 0));
	push(r, ev_link(NLEVD_EV_LINK_DEL, 9, "a0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_ADD, 9, "b0", NULL));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 9, "b0", "192.0.2.9", 24, 0));
	router_flush(r);
	is_str(got_str(), "addr-del a0 192.0.2.9/24 flags 0, addr-add b0 192.0.2.9/24 flags 0",
	       "events = addr-*: the old link's addr-del and the new one's addr-add");
	router_free(r);
	filter_free(&f);
}

static bool safety_fired;

static void safety_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	safety_fired = true;
	ev_break(l, EVBREAK_ALL);
}

static void test_timer(void)
{
	struct filter f;
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, ALL_EVENTS, 50);
	struct router *r = router_new(loop, &f, deliver, NULL);
	ev_timer safety;
	ev_timer_init(&safety, safety_cb, 5.0, 0.);
	ev_timer_start(loop, &safety);

	got.n = 0;
	got.break_loop = loop;
	safety_fired = false;
	ev_now_update(loop);
	ev_tstamp t0 = ev_now(loop);
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.77", 24, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.78", 24, 0));
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.77", 24, 0));
	is_int(got.n, 0, "timer: nothing before the loop runs");
	ev_run(loop, 0);
	ok(!safety_fired, "timer: the settle timer fired before the 5 s safety timer");
	is_str(got_str(), "addr-add eth0 192.0.2.78/24 flags 0", "timer: the settled result delivered");
	ev_now_update(loop);
	ok(ev_now(loop) - t0 >= 0.045, "timer: delivery waited for the window (%.3f s)",
	   ev_now(loop) - t0);
	is_int(router_pending(r), 0, "timer: nothing pending after");

	/* the window restarts with each event: still one delivery */
	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 2, "eth0", NULL));
	ev_run(loop, EVRUN_NOWAIT);
	push(r, ev_link(NLEVD_EV_LINK_UP, 2, "eth0", NULL));
	push(r, ev_link(NLEVD_EV_LINK_DOWN, 2, "eth0", NULL));
	ev_run(loop, 0);
	ok(!safety_fired, "timer: second window flushed by the timer");
	is_str(got_str(), "link-down eth0", "timer: second window coalesced");

	got.break_loop = NULL;
	ev_timer_stop(loop, &safety);
	/* router_free with something pending frees it without delivering */
	got.n = 0;
	push(r, ev_link(NLEVD_EV_LINK_UP, 2, "eth0", NULL));
	router_free(r);
	is_int(got.n, 0, "router_free drops what is pending");
	filter_free(&f);
}

static void test_immediate(void)
{
	struct filter f;
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	struct router *r = router_new(loop, &f, deliver, NULL);
	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, 0));
	is_str(got_str(), "addr-add eth0 192.0.2.1/24 flags 0", "settle 0: delivered at once");
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.1", 24, 0));
	is_str(got_str(), "addr-add eth0 192.0.2.1/24 flags 0, addr-del eth0 192.0.2.1/24 flags 0",
	       "settle 0: nothing coalesced");
	is_int(router_pending(r), 0, "settle 0: nothing pending");
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 1, "lo", "127.0.0.1", 8, 0));
	is_int(got.n, 2, "settle 0: still filtered");
	router_free(r);
	filter_free(&f);
}

/* ---- plugin events ---- */

static struct pevent *mkpe(const char *source, const char *event, const char *zone)
{
	struct nlevd_field f[] = {{"zone", zone}, {"names", "a.example."}, {"error", ""}};
	struct pevent *pe;
	if (pevent_new(source, event, f, ARRAY_SIZE(f), 0, &pe))
		abort();
	return pe;
}

#define BIT(name) (1u << plugin_event_parse(name))

static void test_plugin_filter(void)
{
	struct filter f;
	struct pevent *pub = mkpe("dns", "dns-published", "z1."), *fail = mkpe("dns", "dns-failed", "z2.");
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	struct router *r = router_new(loop, &f, deliver, NULL);
	got.n = 0;
	router_push_plugin(r, pub);
	is_int(got.n, 0, "all kernel events (the default) do not include plugin events");
	router_free(r);
	filter_free(&f);

	/* Interface, family, scope and address filters that would reject any
	 * kernel event do not apply: a plugin event has no interface. */
	mkfilter(&f, "eth9", 1, NLEVD_SCOPE_HOST, "198.51.100.0/24", false, 0, 0);
	f.pevents = BIT("dns-published") | BIT("dns-conflict");
	r = router_new(loop, &f, deliver, NULL);
	got.n = 0;
	router_push_plugin(r, pub);
	router_push_plugin(r, fail);
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth9", "198.51.100.1", 24, 0));
	is_str(got_str(), "dns-published from dns z1.",
	       "only the named plugin event, at once; no kernel event with events = dns-*");
	is_int((int)pub->refs, 1, "settle 0: no reference kept");
	router_free(r);
	filter_free(&f);

	struct nlevd_event fake = pub->ev;
	mkfilter(&f, NULL, 3, 0x0f, NULL, true, ALL_EVENTS, 0);
	f.pevents = ~0u;
	ok(!filter_event(&f, &fake), "filter_event never passes a plugin event (no shift past 31)");
	filter_free(&f);
	pevent_unref(pub);
	pevent_unref(fail);
}

static void test_plugin_settle(void)
{
	struct filter f;
	mkfilter(&f, "!lo", 3, 0x0f, NULL, true, ALL_EVENTS, 50);
	f.pevents = BIT("dns-published") | BIT("dns-failed");
	struct router *r = router_new(loop, &f, deliver, NULL);
	struct pevent *a = mkpe("dns", "dns-failed", "z1."), *b = mkpe("dns", "dns-failed", "z1."),
		      *c = mkpe("dns", "dns-published", "z1.");

	got.n = 0;
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.1", 24, 0));
	router_push_plugin(r, a);
	push(r, ev_addr(NLEVD_EV_ADDR_ADD, 2, "eth0", "192.0.2.2", 24, 0));
	router_push_plugin(r, b);
	push(r, ev_addr(NLEVD_EV_ADDR_DEL, 2, "eth0", "192.0.2.1", 24, 0));
	router_push_plugin(r, c);
	is_int(got.n, 0, "settle: plugin events are held too");
	is_int((int)router_pending(r), 5, "two addresses and three plugin events pending");
	is_int((int)a->refs, 2, "the router holds a reference while it settles");
	router_flush(r);
	is_str(got_str(),
	       "dns-failed from dns z1., addr-add eth0 192.0.2.2/24 flags 0, "
	       "dns-failed from dns z1., dns-published from dns z1.",
	       "in order, none merged (equal ones neither), the address add/del cancelled");
	is_int((int)a->refs + (int)b->refs + (int)c->refs, 3, "references given back");

	/* From the timer, as kernel events. */
	ev_timer safety;
	ev_timer_init(&safety, safety_cb, 5.0, 0.);
	ev_timer_start(loop, &safety);
	safety_fired = false;
	got.n = 0;
	got.break_loop = loop;
	router_push_plugin(r, c);
	ev_run(loop, 0);
	got.break_loop = NULL;
	ev_timer_stop(loop, &safety);
	ok(!safety_fired, "the settle timer delivered it");
	is_str(got_str(), "dns-published from dns z1.", "one delivery");

	got.n = 0;
	router_push_plugin(r, a);
	router_free(r);
	is_int(got.n, 0, "router_free drops a pending plugin event");
	is_int((int)a->refs, 1, "and gives its reference back");
	pevent_unref(a);
	pevent_unref(b);
	pevent_unref(c);
	filter_free(&f);
}

int main(void)
{
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	loop = ev_loop_new(EVFLAG_AUTO);
	ok(loop != NULL, "ev_loop_new");
	test_filter_ifname();
	test_filter_addr();
	test_filter_event();
	test_settle();
	test_timer();
	test_immediate();
	test_plugin_filter();
	test_plugin_settle();
	ev_loop_destroy(loop);
	return tap_done();
}
