/* Unit tests for core/filter.c: the core's per-instance keys parsed into a
 * filter, the plugin's defaults, errors at FILE:LINE, and what then matches. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "event.h"
#include "filter.h"
#include "tap.h"

static char errs[2048];
static int nerrs;

static void err_cb(void *arg, const struct cfg_kv *kv, const char *msg)
{
	(void)arg;
	size_t n = strlen(errs);
	snprintf(errs + n, sizeof(errs) - n, "%s:%d:%s: %s\n", kv ? kv->file : "-",
		 kv ? kv->line : 0, kv ? kv->key : "", msg);
	nerrs++;
}

static const struct nlevd_plugin plug = {
	.abi_major = 1, .abi_minor = 1, .name = "t", .default_settle_ms = 250,
	.default_scopes = NLEVD_SCOPE_GLOBAL, .default_no_temporary = true,
};

/* Parse [x] of text into f with plug's defaults: filter_parse()'s result. */
static int parse(const char *text, struct filter *f, const struct nlevd_plugin *p)
{
	struct cfg *c = cfg_load_buffer("f.conf", text, strlen(text));
	errs[0] = 0;
	nerrs = 0;
	if (!c || !c->sections)
		abort();
	int r = filter_parse(f, c->sections, p, err_cb, NULL);
	cfg_free(c);
	return r;
}

static struct nlevd_addr mkaddr(int family, const char *s, uint8_t scope, uint32_t flags)
{
	struct nlevd_addr a;
	memset(&a, 0, sizeof(a));
	a.family = (uint8_t)family;
	a.scope = scope;
	a.flags = flags;
	inet_pton(family, s, a.addr);
	return a;
}

int main(void)
{
	struct filter f;
	struct nlevd_addr g6 = mkaddr(AF_INET6, "2001:db8::1", RT_SCOPE_UNIVERSE, 0);
	struct nlevd_addr tmp6 = mkaddr(AF_INET6, "2001:db8::2", RT_SCOPE_UNIVERSE, 0x01);
	struct nlevd_addr ll6 = mkaddr(AF_INET6, "fe80::1", RT_SCOPE_LINK, 0);
	struct nlevd_addr v4 = mkaddr(AF_INET, "192.0.2.1", RT_SCOPE_UNIVERSE, 0);
	struct nlevd_addr v4b = mkaddr(AF_INET, "10.1.2.3", RT_SCOPE_UNIVERSE, 0);

	/* No keys: the plugin's defaults. */
	ok(parse("[x]\nplugin = t\n", &f, &plug) == 0 && nerrs == 0, "no keys: parsed");
	ok(f.events == (1u << NLEVD_EV_COUNT) - 1 && f.pevents == 0, "default events: all kernel ones");
	ok(!filter_ifname(&f, "lo") && filter_ifname(&f, "eth0"), "default interfaces: !lo");
	ok(f.families == 3 && f.scopes == NLEVD_SCOPE_GLOBAL, "default family both, scope the plugin's");
	ok(filter_addr(&f, &g6) && !filter_addr(&f, &ll6), "plugin scope default applied");
	ok(!f.temporary && !filter_addr(&f, &tmp6), "plugin default_no_temporary applied");
	is_int((int)f.settle_ms, 250, "plugin default settle");
	ok(f.startup, "startup defaults to yes");
	filter_free(&f);

	/* Every key given. */
	ok(parse("[x]\nplugin = t\nevents = addr-add link-up dns-published\n"
		 "interfaces = eth* !eth1\nfamily = ipv4\nscope = global link\n"
		 "addresses = 192.0.2.0/24 !192.0.2.128/25\ntemporary = yes\n"
		 "startup = no\nsettle = 2s\n", &f, &plug) == 0 && nerrs == 0,
	   "every key: parsed");
	ok(f.events == ((1u << NLEVD_EV_ADDR_ADD) | (1u << NLEVD_EV_LINK_UP)), "events mask");
	ok(filter_plugin_event(&f, plugin_event_parse("dns-published")) &&
	   !filter_plugin_event(&f, plugin_event_parse("dns-failed")) &&
	   !filter_plugin_event(&f, -1) && !filter_plugin_event(&f, 32), "plugin events mask");
	ok(filter_ifname(&f, "eth0") && !filter_ifname(&f, "eth1") && !filter_ifname(&f, "wlan0"),
	   "interfaces");
	ok(filter_addr(&f, &v4) && !filter_addr(&f, &v4b) && !filter_addr(&f, &g6),
	   "family and addresses");
	ok(f.scopes == (NLEVD_SCOPE_GLOBAL | NLEVD_SCOPE_LINK) && f.temporary && !f.startup &&
	   f.settle_ms == 2000, "scope, temporary, startup, settle");
	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = NLEVD_EV_ADDR_ADD;
	strcpy(ev.link.ifname, "eth0");
	ev.addr = v4;
	ok(filter_event(&f, &ev), "addr-add 192.0.2.1 on eth0 passes");
	ev.type = NLEVD_EV_ADDR_DEL;
	ok(!filter_event(&f, &ev), "addr-del not in events");
	filter_free(&f);

	/* Every bad key is reported, each at its own line. */
	ok(parse("[x]\nplugin = t\nevents = addr-add nope\ninterfaces = !\nfamily = ipv5\n"
		 "scope = moon\naddresses = 300.0.0.0/8\ntemporary = maybe\nstartup = 2\n"
		 "settle = soon\n", &f, &plug) == -EINVAL, "bad keys: -EINVAL");
	is_int(nerrs, 8, "one error per bad key");
	like(errs, "f.conf:3:events: unknown event 'nope'", "events error at its line");
	like(errs, "f.conf:4:interfaces: bad pattern '!'", "interfaces error");
	like(errs, "f.conf:5:family: 'ipv5' is not ipv4 or ipv6", "family error");
	like(errs, "f.conf:6:scope: 'moon' is not one of", "scope error");
	like(errs, "f.conf:7:addresses: '300.0.0.0/8' is not an address prefix", "addresses error");
	like(errs, "f.conf:8:temporary: 'maybe' is not yes or no", "temporary error");
	like(errs, "f.conf:9:startup: '2' is not yes or no", "startup error");
	like(errs, "f.conf:10:settle: 'soon' is not a duration", "settle error");
	is_int((int)f.settle_ms, 250, "a bad settle keeps the default");
	filter_free(&f);

	/* Empty lists, and plugin events for an ABI 1.0 plugin. */
	ok(parse("[x]\nplugin = t\nevents =\ninterfaces =\naddresses =\n", &f, &plug) == -EINVAL &&
	   nerrs == 3, "empty lists refused");
	like(errs, "events: no event given", "no event");
	like(errs, "interfaces: no pattern given", "no pattern");
	like(errs, "addresses: no prefix given", "no prefix");
	filter_free(&f);
	struct nlevd_plugin old = plug;
	old.abi_minor = 0;
	ok(parse("[x]\nplugin = t\nevents = dns-published\n", &f, &old) == -EINVAL, "ABI 1.0: refused");
	like(errs, "plugin t (ABI 1.0) cannot receive 'dns-published'", "says why");
	filter_free(&f);
	return tap_done();
}
