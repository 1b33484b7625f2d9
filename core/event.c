/* The event encoder: one list of fields (the SPEC's names), rendered as
 * JSON, as text, or handed to a plugin (exec turns it into NLEVD_*). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "event.h"
#include "util.h"

static const char *const names[NLEVD_EV_COUNT] = {
	[NLEVD_EV_ADDR_ADD] = "addr-add",     [NLEVD_EV_ADDR_DEL] = "addr-del",
	[NLEVD_EV_ADDR_CHANGE] = "addr-change", [NLEVD_EV_LINK_ADD] = "link-add",
	[NLEVD_EV_LINK_DEL] = "link-del",     [NLEVD_EV_LINK_UP] = "link-up",
	[NLEVD_EV_LINK_DOWN] = "link-down",   [NLEVD_EV_LINK_RENAME] = "link-rename",
};

/* The plugin events the core knows (SPEC): `events` may name them, and
 * host->emit() accepts no other name, so a typo is a config error, not a
 * hook that silently never runs. */
static const char *const plugin_names[] = {"dns-published", "dns-failed", "dns-conflict"};

const char *event_name(enum nlevd_event_type t)
{
	if (t == NLEVD_EV_PLUGIN)
		return "plugin";
	return (unsigned)t < NLEVD_EV_COUNT ? names[t] : "unknown";
}

const char *event_name_of(const struct nlevd_event *ev)
{
	return ev->type == NLEVD_EV_PLUGIN && ev->name ? ev->name : event_name(ev->type);
}

int plugin_event_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(plugin_names); i++)
		if (!strcmp(s, plugin_names[i]))
			return (int)i;
	return -1;
}

const char *plugin_event_name(int id)
{
	return id >= 0 && (size_t)id < ARRAY_SIZE(plugin_names) ? plugin_names[id] : NULL;
}

int event_parse(const char *s)
{
	for (int i = 0; i < NLEVD_EV_COUNT; i++)
		if (!strcmp(s, names[i]))
			return i;
	return -1;
}

const char *scope_name(uint8_t scope)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE: return "global";
	case RT_SCOPE_SITE: return "site";
	case RT_SCOPE_LINK: return "link";
	case RT_SCOPE_HOST: return "host";
	case RT_SCOPE_NOWHERE: return "nowhere";
	default: return "other";
	}
}

const char *operstate_name(uint8_t op)
{
	static const char *const ops[] = {"unknown", "notpresent", "down",
					  "lowerlayerdown", "testing", "dormant", "up"};
	return op < ARRAY_SIZE(ops) ? ops[op] : "unknown";
}

struct flagname {
	uint32_t bit;
	const char *name;
};

static size_t flags_str(const struct flagname *fn, size_t n, uint32_t flags,
			char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = 0;
	for (size_t i = 0; i < n; i++) {
		if (!(flags & fn[i].bit))
			continue;
		int w = snprintf(buf + (used < len ? used : len),
				 used < len ? len - used : 0, "%s%s",
				 used ? " " : "", fn[i].name);
		used += (size_t)w;
	}
	return used;
}

size_t addr_flags_str(uint32_t flags, int family, char *buf, size_t len)
{
	static const struct flagname fn[] = {
		{0x01, "temporary"}, {0x02, "nodad"}, {0x04, "optimistic"},
		{0x08, "dadfailed"}, {0x10, "homeaddress"}, {0x20, "deprecated"},
		{0x40, "tentative"}, {0x80, "permanent"}, {0x100, "mngtmpaddr"},
		{0x200, "noprefixroute"}, {0x400, "autojoin"},
		{0x800, "stable-privacy"},
	};
	static const struct flagname sec = {0x01, "secondary"};
	/* 0x01 means "secondary" for IPv4 and "temporary" for IPv6. */
	size_t used = 0;
	if (family == AF_INET && (flags & 0x01)) {
		used = flags_str(&sec, 1, flags, buf, len);
		flags &= ~0x01u;
		if (flags) {
			/* The blank counts even when it does not fit (snprintf). */
			if (used + 1 < len) {
				buf[used] = ' ';
				buf[used + 1] = 0;
			}
			used++;
		}
	}
	return used + flags_str(fn, ARRAY_SIZE(fn), flags, buf + (used < len ? used : len),
				used < len ? len - used : 0);
}

size_t link_flags_str(uint32_t flags, char *buf, size_t len)
{
	static const struct flagname fn[] = {
		{0x1, "up"}, {0x2, "broadcast"}, {0x8, "loopback"},
		{0x10, "pointopoint"}, {0x40, "running"}, {0x80, "noarp"},
		{0x100, "promisc"}, {0x200, "allmulti"}, {0x400, "master"},
		{0x800, "slave"}, {0x1000, "multicast"}, {0x10000, "lower_up"},
		{0x20000, "dormant"}, {0x40000, "echo"},
	};
	return flags_str(fn, ARRAY_SIZE(fn), flags, buf, len);
}

static bool is_addr_event(enum nlevd_event_type t)
{
	return t == NLEVD_EV_ADDR_ADD || t == NLEVD_EV_ADDR_DEL ||
	       t == NLEVD_EV_ADDR_CHANGE;
}

static void lft(uint32_t v, char *buf, size_t len)
{
	if (v == NLEVD_LFT_FOREVER)
		snprintf(buf, len, "forever");
	else
		snprintf(buf, len, "%" PRIu32, v);
}

void event_fields(const struct nlevd_event *ev, nlevd_field_cb cb, void *arg)
{
	char buf[256];
	if (ev->type == NLEVD_EV_PLUGIN) {
		/* No interface: event, then source and the emitter's fields,
		 * all strings (the core checked the names when it copied them). */
		cb("event", ev->name ? ev->name : "plugin", true, arg);
		for (size_t i = 0; ev->fields && i < ev->nfields; i++)
			cb(ev->fields[i].name, ev->fields[i].value, true, arg);
		return;
	}
	cb("event", event_name(ev->type), true, arg);
	cb("ifname", ev->link.ifname, true, arg);
	snprintf(buf, sizeof(buf), "%d", ev->link.ifindex);
	cb("ifindex", buf, false, arg);
	cb("initial", ev->initial ? "true" : "false", false, arg);
	if (is_addr_event(ev->type)) {
		const struct nlevd_addr *a = &ev->addr;
		int af = a->family == AF_INET ? AF_INET : AF_INET6;
		cb("family", af == AF_INET ? "ipv4" : "ipv6", true, arg);
		inet_ntop(af, a->addr, buf, sizeof(buf));
		cb("address", buf, true, arg);
		snprintf(buf, sizeof(buf), "%u", a->prefixlen);
		cb("prefixlen", buf, false, arg);
		cb("scope", scope_name(a->scope), true, arg);
		addr_flags_str(a->flags, af, buf, sizeof(buf));
		cb("flags", buf, true, arg);
		lft(a->valid_lft, buf, sizeof(buf));
		cb("valid_lft", buf, a->valid_lft == NLEVD_LFT_FOREVER, arg);
		lft(a->preferred_lft, buf, sizeof(buf));
		cb("preferred_lft", buf, a->preferred_lft == NLEVD_LFT_FOREVER, arg);
		if (a->has_peer) {
			inet_ntop(af, a->peer, buf, sizeof(buf));
			cb("peer", buf, true, arg);
		}
		return;
	}
	const struct nlevd_link *l = &ev->link;
	cb("operstate", operstate_name(l->operstate), true, arg);
	link_flags_str(l->flags, buf, sizeof(buf));
	cb("flags", buf, true, arg);
	size_t n = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < l->mac_len && i < sizeof(l->mac); i++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%02x", i ? ":" : "",
				      l->mac[i]);
	cb("mac", buf, true, arg);
	snprintf(buf, sizeof(buf), "%" PRIu32, l->mtu);
	cb("mtu", buf, false, arg);
	if (ev->type == NLEVD_EV_LINK_RENAME)
		cb("old_ifname", ev->old_ifname, true, arg);
}

/* snprintf-style appender: counts what the whole output needs. */
struct sbuf {
	char *buf;
	size_t len, used;
};

static void sb_putc(struct sbuf *s, char c)
{
	if (s->used + 1 < s->len)
		s->buf[s->used] = c;
	s->used++;
}

static void sb_puts(struct sbuf *s, const char *str)
{
	while (*str)
		sb_putc(s, *str++);
}

static void sb_end(struct sbuf *s)
{
	if (s->len)
		s->buf[s->used < s->len ? s->used : s->len - 1] = 0;
}

/* ASCII-only JSON: anything else as \uXXXX, so the output stays valid and
 * one line whatever an interface name holds; a byte that is not UTF-8
 * becomes U+FFFD. */
static void json_string(struct sbuf *s, const char *str)
{
	sb_putc(s, '"');
	for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
		char esc[16];
		uint32_t cp;
		int n;
		if (*p == '"' || *p == '\\') {
			sb_putc(s, '\\');
			sb_putc(s, (char)*p);
		} else if (*p >= 0x20 && *p < 0x7f) {
			sb_putc(s, (char)*p);
		} else if (*p < 0x80) {
			snprintf(esc, sizeof(esc), "\\u%04x", *p);
			sb_puts(s, esc);
		} else if ((n = utf8_seq(p, &cp)) == 0) {
			sb_puts(s, "\\ufffd");
		} else {
			if (cp >= 0x10000) {
				cp -= 0x10000;
				snprintf(esc, sizeof(esc), "\\u%04x\\u%04x", 0xd800 + (cp >> 10),
					 0xdc00 + (cp & 0x3ff));
			} else {
				snprintf(esc, sizeof(esc), "\\u%04x", cp);
			}
			sb_puts(s, esc);
			p += n - 1;
		}
	}
	sb_putc(s, '"');
}

size_t json_quote(const char *str, char *buf, size_t len)
{
	struct sbuf s = {buf, len, 0};
	json_string(&s, str);
	sb_end(&s);
	return s.used;
}

static void json_field(const char *name, const char *value, bool quoted, void *arg)
{
	struct sbuf *s = arg;
	sb_putc(s, ',');
	json_string(s, name);
	sb_putc(s, ':');
	if (quoted)
		json_string(s, value);
	else
		sb_puts(s, value);
}

size_t event_json(const struct nlevd_event *ev, char *buf, size_t len)
{
	struct sbuf s = {buf, len, 0};
	struct tm tm;
	char t[64];
	time_t sec = ev->time.tv_sec;
	gmtime_r(&sec, &tm);
	size_t n = strftime(t, sizeof(t), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(t + n, sizeof(t) - n, ".%03ldZ", ev->time.tv_nsec / 1000000);
	sb_puts(&s, "{\"time\":");
	json_string(&s, t);
	event_fields(ev, json_field, &s);
	sb_putc(&s, '}');
	sb_end(&s);
	return s.used;
}

/* Bytes a terminal may act on (C0, DEL, C1 controls: ESC sequences) or that
 * are not UTF-8 are shown as \xNN; the value is then quoted, and '"' and
 * '\\' are escaped, so the text says unambiguously which bytes a name has. */
static int text_plain(const unsigned char *p)
{
	uint32_t cp;
	if (*p >= 0x20 && *p < 0x7f)
		return 1;
	if (*p < 0x80)
		return 0;
	int n = utf8_seq(p, &cp);
	return n && (cp < 0x80 || cp > 0x9f) ? n : 0;
}

static bool text_unsafe(const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p;) {
		int n = text_plain(p);
		if (!n)
			return true;
		p += n;
	}
	return false;
}

static void text_escape(struct sbuf *s, const char *value)
{
	for (const unsigned char *p = (const unsigned char *)value; *p;) {
		int n = text_plain(p);
		if (!n) {
			char esc[8];
			snprintf(esc, sizeof(esc), "\\x%02x", *p++);
			sb_puts(s, esc);
			continue;
		}
		if (n == 1 && (*p == '"' || *p == '\\'))
			sb_putc(s, '\\');
		while (n--)
			sb_putc(s, (char)*p++);
	}
}

static void text_field(const char *name, const char *value, bool quoted, void *arg)
{
	struct sbuf *s = arg;
	(void)quoted;
	if (!strcmp(name, "event")) {
		sb_puts(s, value);
		return;
	}
	sb_putc(s, ' ');
	sb_puts(s, name);
	sb_putc(s, '=');
	if (!*value || strpbrk(value, " \"\\") || text_unsafe(value)) {
		sb_putc(s, '"');
		text_escape(s, value);
		sb_putc(s, '"');
	} else {
		sb_puts(s, value);
	}
}

size_t event_text(const struct nlevd_event *ev, char *buf, size_t len)
{
	struct sbuf s = {buf, len, 0};
	event_fields(ev, text_field, &s);
	sb_end(&s);
	return s.used;
}
