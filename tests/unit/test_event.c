/* Unit tests for core/event.c: the one encoder of event fields, as JSON,
 * as text, and as a field list. */
#include <arpa/inet.h>
#include <ctype.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emit.h"
#include "event.h"
#include "tap.h"
#include "util.h"

/* ---- a small strict JSON validator (RFC 8259) ---- */

struct jp {
	const char *p;
	int depth;
};

static void j_ws(struct jp *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static bool j_value(struct jp *j);

static bool j_string(struct jp *j)
{
	if (*j->p != '"')
		return false;
	j->p++;
	for (;;) {
		unsigned char c = (unsigned char)*j->p;
		if (c == '"') {
			j->p++;
			return true;
		}
		if (c < 0x20)
			return false; /* includes the terminating NUL */
		if (c == '\\') {
			j->p++;
			c = (unsigned char)*j->p;
			if (c == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!isxdigit((unsigned char)j->p[i]))
						return false;
				j->p += 5;
				continue;
			}
			if (!strchr("\"\\/bfnrt", c) || !c)
				return false;
			j->p++;
			continue;
		}
		if (c >= 0x80) {
			/* must be well-formed UTF-8 */
			int n = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 ? 1 : -1;
			if (n < 0 || c > 0xf4)
				return false;
			for (int i = 1; i <= n; i++)
				if (((unsigned char)j->p[i] & 0xc0) != 0x80)
					return false;
			j->p += n + 1;
			continue;
		}
		j->p++;
	}
}

static bool j_number(struct jp *j)
{
	const char *s = j->p;
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (*j->p >= '1' && *j->p <= '9')
		while (isdigit((unsigned char)*j->p))
			j->p++;
	else
		return false;
	if (*j->p == '.') {
		j->p++;
		if (!isdigit((unsigned char)*j->p))
			return false;
		while (isdigit((unsigned char)*j->p))
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!isdigit((unsigned char)*j->p))
			return false;
		while (isdigit((unsigned char)*j->p))
			j->p++;
	}
	return j->p > s;
}

static bool j_value(struct jp *j)
{
	j_ws(j);
	if (++j->depth > 32)
		return false;
	bool r = false;
	if (*j->p == '{') {
		j->p++;
		j_ws(j);
		if (*j->p == '}') {
			j->p++;
			r = true;
		} else {
			for (;;) {
				j_ws(j);
				if (!j_string(j))
					break;
				j_ws(j);
				if (*j->p++ != ':' || !j_value(j))
					break;
				j_ws(j);
				if (*j->p == ',') {
					j->p++;
					continue;
				}
				r = *j->p++ == '}';
				break;
			}
		}
	} else if (*j->p == '[') {
		j->p++;
		j_ws(j);
		if (*j->p == ']') {
			j->p++;
			r = true;
		} else {
			for (;;) {
				if (!j_value(j))
					break;
				j_ws(j);
				if (*j->p == ',') {
					j->p++;
					continue;
				}
				r = *j->p++ == ']';
				break;
			}
		}
	} else if (*j->p == '"') {
		r = j_string(j);
	} else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4)) {
		j->p += 4;
		r = true;
	} else if (!strncmp(j->p, "false", 5)) {
		j->p += 5;
		r = true;
	} else {
		r = j_number(j);
	}
	j->depth--;
	return r;
}

static bool json_valid(const char *s)
{
	struct jp j = {s, 0};
	if (!j_value(&j))
		return false;
	j_ws(&j);
	return *j.p == 0;
}

/* ---- events ---- */

static struct nlevd_event base_addr(void)
{
	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = NLEVD_EV_ADDR_ADD;
	ev.time.tv_sec = 1700000000; /* 2023-11-14T22:13:20Z */
	ev.time.tv_nsec = 123456789;
	ev.link.ifindex = 2;
	strcpy(ev.link.ifname, "eth0");
	ev.link.flags = IFF_UP | IFF_BROADCAST | IFF_RUNNING | IFF_MULTICAST | IFF_LOWER_UP;
	ev.link.operstate = IF_OPER_UP;
	ev.link.mtu = 1500;
	ev.addr.ifindex = 2;
	ev.addr.family = AF_INET;
	inet_pton(AF_INET, "192.0.2.1", ev.addr.addr);
	ev.addr.prefixlen = 24;
	ev.addr.scope = RT_SCOPE_UNIVERSE;
	ev.addr.flags = IFA_F_PERMANENT;
	ev.addr.valid_lft = ev.addr.preferred_lft = NLEVD_LFT_FOREVER;
	return ev;
}

static struct nlevd_event base_link(enum nlevd_event_type t)
{
	struct nlevd_event ev = base_addr();
	memset(&ev.addr, 0, sizeof(ev.addr));
	ev.type = t;
	ev.link.mac_len = 6;
	memcpy(ev.link.mac, "\x02\x00\x5e\x10\xab\xff", 6);
	return ev;
}

static const char *json(const struct nlevd_event *ev)
{
	static char buf[4096];
	size_t n = event_json(ev, buf, sizeof(buf));
	if (n != strlen(buf))
		return "(length mismatch)";
	return buf;
}

static const char *text(const struct nlevd_event *ev)
{
	static char buf[4096];
	size_t n = event_text(ev, buf, sizeof(buf));
	if (n != strlen(buf))
		return "(length mismatch)";
	return buf;
}

#define T "{\"time\":\"2023-11-14T22:13:20.123Z\","

static void test_json_addr(void)
{
	struct nlevd_event ev = base_addr();
	is_str(json(&ev),
	       T "\"event\":\"addr-add\",\"ifname\":\"eth0\",\"ifindex\":2,\"initial\":false,"
		 "\"family\":\"ipv4\",\"address\":\"192.0.2.1\",\"prefixlen\":24,\"scope\":\"global\","
		 "\"flags\":\"permanent\",\"valid_lft\":\"forever\",\"preferred_lft\":\"forever\"}",
	       "addr-add JSON");
	ok(json_valid(json(&ev)), "addr-add JSON is valid");

	ev.type = NLEVD_EV_ADDR_DEL;
	ev.initial = true;
	ev.addr.has_peer = 1;
	inet_pton(AF_INET, "192.0.2.254", ev.addr.peer);
	ev.addr.prefixlen = 32;
	ev.addr.valid_lft = 3600;
	ev.addr.preferred_lft = 0;
	ev.addr.flags = IFA_F_SECONDARY | IFA_F_NOPREFIXROUTE;
	is_str(json(&ev),
	       T "\"event\":\"addr-del\",\"ifname\":\"eth0\",\"ifindex\":2,\"initial\":true,"
		 "\"family\":\"ipv4\",\"address\":\"192.0.2.1\",\"prefixlen\":32,\"scope\":\"global\","
		 "\"flags\":\"secondary noprefixroute\",\"valid_lft\":3600,\"preferred_lft\":0,"
		 "\"peer\":\"192.0.2.254\"}",
	       "addr-del JSON: numbers for lifetimes, peer when has_peer, secondary for IPv4");
	ok(json_valid(json(&ev)), "valid");

	ev = base_addr();
	ev.type = NLEVD_EV_ADDR_CHANGE;
	ev.time.tv_nsec = 999999999;
	ev.addr.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8::1:0:0:1", ev.addr.addr);
	ev.addr.prefixlen = 64;
	ev.addr.scope = RT_SCOPE_LINK;
	ev.addr.flags = IFA_F_TEMPORARY | IFA_F_DEPRECATED;
	ev.addr.valid_lft = 4294967294u;
	ev.addr.preferred_lft = 0;
	memset(ev.addr.peer, 0xff, sizeof(ev.addr.peer)); /* ignored: has_peer 0 */
	is_str(json(&ev),
	       "{\"time\":\"2023-11-14T22:13:20.999Z\","
	       "\"event\":\"addr-change\",\"ifname\":\"eth0\",\"ifindex\":2,\"initial\":false,"
	       "\"family\":\"ipv6\",\"address\":\"2001:db8::1:0:0:1\",\"prefixlen\":64,"
	       "\"scope\":\"link\",\"flags\":\"temporary deprecated\",\"valid_lft\":4294967294,"
	       "\"preferred_lft\":0}",
	       "addr-change IPv6 JSON: temporary for IPv6, no peer, milliseconds truncated");
	ok(json_valid(json(&ev)), "valid");

	ev.addr.flags = 0;
	ev.addr.scope = RT_SCOPE_HOST;
	ok(strstr(json(&ev), "\"flags\":\"\",") && strstr(json(&ev), "\"scope\":\"host\""),
	   "no flags: empty string; scope host");
	ev.addr.scope = RT_SCOPE_SITE;
	ok(strstr(json(&ev), "\"scope\":\"site\""), "scope site");
}

static void test_json_link(void)
{
	struct nlevd_event ev = base_link(NLEVD_EV_LINK_UP);
	ev.initial = true;
	is_str(json(&ev),
	       T "\"event\":\"link-up\",\"ifname\":\"eth0\",\"ifindex\":2,\"initial\":true,"
		 "\"operstate\":\"up\",\"flags\":\"up broadcast running multicast lower_up\","
		 "\"mac\":\"02:00:5e:10:ab:ff\",\"mtu\":1500}",
	       "link-up JSON");
	ok(json_valid(json(&ev)), "valid");

	ev = base_link(NLEVD_EV_LINK_RENAME);
	strcpy(ev.old_ifname, "eth9");
	strcpy(ev.link.ifname, "wan0");
	ev.link.operstate = IF_OPER_LOWERLAYERDOWN;
	ev.link.flags = IFF_UP | IFF_BROADCAST | IFF_MULTICAST;
	ev.link.mtu = 9000;
	is_str(json(&ev),
	       T "\"event\":\"link-rename\",\"ifname\":\"wan0\",\"ifindex\":2,\"initial\":false,"
		 "\"operstate\":\"lowerlayerdown\",\"flags\":\"up broadcast multicast\","
		 "\"mac\":\"02:00:5e:10:ab:ff\",\"mtu\":9000,\"old_ifname\":\"eth9\"}",
	       "link-rename JSON: old_ifname");
	ok(json_valid(json(&ev)), "valid");

	static const enum nlevd_event_type others[] = {NLEVD_EV_LINK_ADD, NLEVD_EV_LINK_DEL,
						       NLEVD_EV_LINK_UP, NLEVD_EV_LINK_DOWN};
	for (size_t i = 0; i < ARRAY_SIZE(others); i++) {
		ev.type = others[i];
		ok(!strstr(json(&ev), "old_ifname") && !strstr(json(&ev), "address") &&
			   strstr(json(&ev), "\"mtu\":9000") && json_valid(json(&ev)),
		   "%s: link fields, no old_ifname, no address fields", event_name(others[i]));
	}

	ev = base_link(NLEVD_EV_LINK_ADD);
	ev.link.mac_len = 0;
	ev.link.operstate = IF_OPER_UNKNOWN;
	ev.link.flags = IFF_UP | IFF_LOOPBACK | IFF_RUNNING | IFF_LOWER_UP;
	strcpy(ev.link.ifname, "lo");
	ev.link.ifindex = 1;
	ev.link.mtu = 65536;
	is_str(json(&ev),
	       T "\"event\":\"link-add\",\"ifname\":\"lo\",\"ifindex\":1,\"initial\":false,"
		 "\"operstate\":\"unknown\",\"flags\":\"up loopback running lower_up\","
		 "\"mac\":\"\",\"mtu\":65536}",
	       "loopback JSON: no hardware address");
	ev.link.mac_len = 20; /* infiniband */
	memset(ev.link.mac, 0x80, 20);
	ok(strstr(json(&ev),
		  "\"mac\":\"80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80:80\""),
	   "20-byte hardware address");
	ev.link.mac_len = 32;
	memset(ev.link.mac, 0xff, 32);
	ok(json_valid(json(&ev)) && strlen(json(&ev)) > 95, "32-byte hardware address");
}

static void test_json_hostile(void)
{
	struct nlevd_event ev = base_link(NLEVD_EV_LINK_RENAME);
	/* 15 bytes: quote, backslash, controls, DEL, a UTF-8 e-acute, a lone 0xff */
	static const char hostile[] = "a\"b\\c\x01\x1f\n\x7f\xc3\xa9\xff}{";
	_Static_assert(sizeof(hostile) <= NLEVD_IFNAMSIZ, "fits");
	memcpy(ev.link.ifname, hostile, sizeof(hostile));
	memcpy(ev.old_ifname, hostile, sizeof(hostile));
	const char *j = json(&ev);
	ok(json_valid(j), "hostile names: still valid JSON");
	like(j, "\"ifname\":\"a\\\"b\\\\c\\u0001\\u001f\\u000a\\u007f\\u00e9\\ufffd}{\"",
	     "hostile ifname escaped (UTF-8 as code points, a stray byte as U+FFFD)");
	like(j, "\"old_ifname\":\"a\\\"b\\\\c\\u0001\\u001f\\u000a\\u007f\\u00e9\\ufffd}{\"}",
	     "hostile old_ifname escaped");
	for (const char *p = j; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f) {
			ok(0, "raw control or high byte in JSON at %td", p - j);
			break;
		}
	ok(!strchr(j, '\n'), "one line");

	/* Beyond the BMP: a surrogate pair; an overlong or truncated sequence: U+FFFD. */
	memset(ev.link.ifname, 0, sizeof(ev.link.ifname));
	memcpy(ev.link.ifname, "e\xf0\x9f\x98\x80\xc0\xaf\xe2\x82", 9);
	like(json(&ev), "\"ifname\":\"e\\ud83d\\ude00\\ufffd\\ufffd\\ufffd\\ufffd\"",
	     "4-byte UTF-8 as a surrogate pair; overlong and truncated sequences replaced");

	/* Every single byte value as an interface name. */
	int bad = 0;
	for (unsigned c = 1; c < 256; c++) {
		struct nlevd_event e = base_addr();
		e.link.ifname[0] = 'x';
		e.link.ifname[1] = (char)c;
		e.link.ifname[2] = 0;
		if (!json_valid(json(&e)))
			bad++;
	}
	is_int(bad, 0, "every byte value in a name gives valid JSON");
}

static void test_text(void)
{
	struct nlevd_event ev = base_addr();
	is_str(text(&ev),
	       "addr-add ifname=eth0 ifindex=2 initial=false family=ipv4 address=192.0.2.1 "
	       "prefixlen=24 scope=global flags=permanent valid_lft=forever preferred_lft=forever",
	       "addr-add text");
	ev.addr.flags = IFA_F_PERMANENT | IFA_F_NOPREFIXROUTE;
	ev.addr.has_peer = 1;
	inet_pton(AF_INET, "192.0.2.2", ev.addr.peer);
	ev.addr.valid_lft = 60;
	is_str(text(&ev),
	       "addr-add ifname=eth0 ifindex=2 initial=false family=ipv4 address=192.0.2.1 "
	       "prefixlen=24 scope=global flags=\"permanent noprefixroute\" valid_lft=60 "
	       "preferred_lft=forever peer=192.0.2.2",
	       "addr text: a value with a blank is quoted; peer");
	ev.addr.flags = 0;
	like(text(&ev), " flags=\"\" ", "empty value quoted");

	ev = base_link(NLEVD_EV_LINK_RENAME);
	strcpy(ev.old_ifname, "a\"b\\c");
	is_str(text(&ev),
	       "link-rename ifname=eth0 ifindex=2 initial=false operstate=up "
	       "flags=\"up broadcast running multicast lower_up\" mac=02:00:5e:10:ab:ff mtu=1500 "
	       "old_ifname=\"a\\\"b\\\\c\"",
	       "link-rename text, quote and backslash escaped");
	ev.type = NLEVD_EV_LINK_DOWN;
	ok(!strstr(text(&ev), "old_ifname"), "old_ifname only on rename (text)");
}

/* A hostile interface name never reaches a terminal raw: C0, DEL, C1 and
 * bytes that are not UTF-8 are \xNN inside quotes; UTF-8 text stays. */
static void test_text_escape(void)
{
	struct nlevd_event ev = base_link(NLEVD_EV_LINK_ADD);
	strcpy(ev.link.ifname, "a\x1b[2Jb");
	like(text(&ev), " ifname=\"a\\x1b[2Jb\" ", "ESC escaped, value quoted");
	strcpy(ev.link.ifname, "\x01\x7f\x09x");
	like(text(&ev), " ifname=\"\\x01\\x7f\\x09x\" ", "C0 and DEL escaped");
	strcpy(ev.link.ifname, "c\xc2\x9b" "1m");
	like(text(&ev), " ifname=\"c\\xc2\\x9b1m\" ", "C1 control (U+009B CSI) escaped");
	strcpy(ev.link.ifname, "\xff\xc3(\xe2\x82");
	like(text(&ev), " ifname=\"\\xff\\xc3(\\xe2\\x82\" ", "invalid UTF-8 escaped bytewise");
	strcpy(ev.link.ifname, "\xed\xa0\x80\xc0\xaf");
	like(text(&ev), " ifname=\"\\xed\\xa0\\x80\\xc0\\xaf\" ",
	     "surrogate and overlong encodings escaped");
	strcpy(ev.link.ifname, "caf\xc3\xa9");
	like(text(&ev), " ifname=caf\xc3\xa9 ", "valid UTF-8 kept, unquoted");
	strcpy(ev.link.ifname, "a\\x1b");
	like(text(&ev), " ifname=\"a\\\\x1b\" ", "a literal backslash is \\\\: no confusion with \\x1b");
	ev = base_link(NLEVD_EV_LINK_RENAME);
	strcpy(ev.old_ifname, "o\x1b");
	like(text(&ev), " old_ifname=\"o\\x1b\"", "old_ifname escaped too");
	int raw = 0;
	for (int c = 1; c < 256; c++) {
		ev.link.ifname[0] = (char)c;
		ev.link.ifname[1] = 0;
		for (const unsigned char *p = (const unsigned char *)text(&ev); *p; p++)
			if (*p < 0x20 || *p >= 0x7f)
				raw++;
	}
	is_int(raw, 0, "no byte value in a name reaches the text raw");
	ev = base_link(NLEVD_EV_LINK_ADD);
	strcpy(ev.link.ifname, "a\x1b\xc2\x9b\xc0\xaf");
	like(json(&ev), "\"ifname\":\"a\\u001b\\u009b\\ufffd\\ufffd\"",
	     "JSON: ESC, C1 as \\u; overlong as U+FFFD");
	ok(json_valid(json(&ev)), "JSON with a hostile name is valid");
}

static void check_trunc(size_t (*enc)(const struct nlevd_event *, char *, size_t),
			const struct nlevd_event *ev, const char *what)
{
	char full[4096];
	size_t need = enc(ev, full, sizeof(full));
	is_int(enc(ev, NULL, 0), need, "%s: NULL, 0 returns the needed length", what);
	int bad = 0;
	for (size_t len = 1; len <= need + 2; len++) {
		char *b = malloc(len); /* exact size: ASan sees any overrun */
		memset(b, 'Z', len);
		size_t r = enc(ev, b, len);
		size_t want = len - 1 < need ? len - 1 : need;
		if (r != need || memchr(b, 0, len) == NULL || strlen(b) != want ||
		    memcmp(b, full, want)) {
			if (bad++ < 3)
				diag("%s: len %zu: returned %zu, strlen %zu", what, len, r,
				     memchr(b, 0, len) ? strlen(b) : (size_t)-1);
		}
		free(b);
	}
	is_int(bad, 0, "%s: every buffer size 1..%zu: NUL-terminated prefix, full length returned",
	       what, need + 2);
	char one = 'Z';
	enc(ev, &one, 1);
	is_int(one, 0, "%s: a 1-byte buffer gets the NUL", what);
}

static void test_truncation(void)
{
	struct nlevd_event ev = base_addr();
	ev.addr.has_peer = 1;
	check_trunc(event_json, &ev, "event_json addr");
	check_trunc(event_text, &ev, "event_text addr");
	ev = base_link(NLEVD_EV_LINK_RENAME);
	memcpy(ev.old_ifname, "q\"\\\x01", 5);
	check_trunc(event_json, &ev, "event_json rename");
	check_trunc(event_text, &ev, "event_text rename");
}

static void check_flags_trunc(uint32_t flags, int family, bool link, const char *want)
{
	char full[512];
	size_t need = link ? link_flags_str(flags, full, sizeof(full))
			   : addr_flags_str(flags, family, full, sizeof(full));
	is_str(full, want, "flags %#x (%s)", flags, link ? "link" : family == AF_INET ? "ipv4" : "ipv6");
	is_int(need, strlen(want), "flags %#x: length", flags);
	int bad = 0;
	for (size_t len = 0; len <= need + 1; len++) {
		char *b = malloc(len ? len : 1);
		memset(b, 'Z', len ? len : 1);
		size_t r = link ? link_flags_str(flags, b, len) : addr_flags_str(flags, family, b, len);
		if (r != need || (len && (strnlen(b, len) != (len - 1 < need ? len - 1 : need) ||
					  strncmp(b, want, strnlen(b, len)))))
			bad++;
		free(b);
	}
	is_int(bad, 0, "flags %#x: every buffer size: truncated, terminated, full length", flags);
}

static void test_flags(void)
{
	check_flags_trunc(IFA_F_SECONDARY | IFA_F_PERMANENT, AF_INET, false, "secondary permanent");
	check_flags_trunc(IFA_F_TEMPORARY | IFA_F_PERMANENT, AF_INET6, false, "temporary permanent");
	check_flags_trunc(IFA_F_SECONDARY, AF_INET, false, "secondary");
	check_flags_trunc(0, AF_INET6, false, "");
	check_flags_trunc(0xfff, AF_INET6, false,
			  "temporary nodad optimistic dadfailed homeaddress deprecated tentative "
			  "permanent mngtmpaddr noprefixroute autojoin stable-privacy");
	check_flags_trunc(0xfff, AF_INET, false,
			  "secondary nodad optimistic dadfailed homeaddress deprecated tentative "
			  "permanent mngtmpaddr noprefixroute autojoin stable-privacy");
	check_flags_trunc(IFF_UP | IFF_RUNNING | IFF_LOWER_UP, 0, true, "up running lower_up");
	check_flags_trunc(0, 0, true, "");
}

struct fl {
	char names[512];
	char quoted[64];
	size_t n;
};

static void field_cb(const char *name, const char *value, bool quoted, void *arg)
{
	struct fl *f = arg;
	(void)value;
	size_t l = strlen(f->names);
	snprintf(f->names + l, sizeof(f->names) - l, "%s%s", l ? " " : "", name);
	if (f->n < sizeof(f->quoted) - 1)
		f->quoted[f->n++] = quoted ? 'q' : '-';
}

static void test_fields(void)
{
	struct fl f;
	struct nlevd_event ev = base_addr();
	memset(&f, 0, sizeof(f));
	event_fields(&ev, field_cb, &f);
	is_str(f.names,
	       "event ifname ifindex initial family address prefixlen scope flags valid_lft "
	       "preferred_lft",
	       "address event fields, in the SPEC's order");
	is_str(f.quoted, "qq--qq-qqqq", "quoted: strings yes, numbers and booleans no, forever yes");
	ev.addr.has_peer = 1;
	ev.addr.valid_lft = 10;
	memset(&f, 0, sizeof(f));
	event_fields(&ev, field_cb, &f);
	like(f.names, "preferred_lft peer", "peer last when has_peer");
	is_str(f.quoted, "qq--qq-qq-qq", "numeric lifetime unquoted");

	ev = base_link(NLEVD_EV_LINK_RENAME);
	memset(&f, 0, sizeof(f));
	event_fields(&ev, field_cb, &f);
	is_str(f.names, "event ifname ifindex initial operstate flags mac mtu old_ifname",
	       "rename fields");
	is_str(f.quoted, "qq--qqq-q", "rename quoting");
}

static void test_names(void)
{
	for (int i = 0; i < NLEVD_EV_COUNT; i++)
		is_int(event_parse(event_name((enum nlevd_event_type)i)), i, "event_parse(event_name(%d))",
		       i);
	is_str(event_name(NLEVD_EV_LINK_RENAME), "link-rename", "event_name link-rename");
	is_str(event_name((enum nlevd_event_type)99), "unknown", "event_name out of range");
	is_str(event_name((enum nlevd_event_type)-1), "unknown", "event_name negative");
	is_int(event_parse("addr-added"), -1, "event_parse of a non-event");
	is_int(event_parse(""), -1, "event_parse empty");
	is_str(scope_name(RT_SCOPE_UNIVERSE), "global", "scope global");
	is_str(scope_name(RT_SCOPE_NOWHERE), "nowhere", "scope nowhere");
	is_str(scope_name(77), "other", "scope other");
	is_str(operstate_name(IF_OPER_UP), "up", "operstate up");
	is_str(operstate_name(IF_OPER_DORMANT), "dormant", "operstate dormant");
	is_str(operstate_name(200), "unknown", "operstate out of range");
}

/* A plugin event: event, source, then the emitter's fields, all strings;
 * no interface fields; hostile values escaped as any other. */
static void test_plugin(void)
{
	struct nlevd_field fl[] = {{"zone", "example.com."},
				   {"names", "a.example.com. b.example.com."},
				   {"error", ""}};
	struct pevent *pe;
	if (pevent_new("dns1", "dns-published", fl, ARRAY_SIZE(fl), 0, &pe))
		abort();
	pe->ev.time.tv_sec = 1700000000;
	pe->ev.time.tv_nsec = 123456789;
	is_str(json(&pe->ev),
	       T "\"event\":\"dns-published\",\"source\":\"dns1\",\"zone\":\"example.com.\","
		 "\"names\":\"a.example.com. b.example.com.\",\"error\":\"\"}",
	       "plugin event JSON: time, event, source, the fields");
	ok(json_valid(json(&pe->ev)), "valid");
	is_str(text(&pe->ev),
	       "dns-published source=dns1 zone=example.com. "
	       "names=\"a.example.com. b.example.com.\" error=\"\"",
	       "plugin event text");
	struct fl f;
	memset(&f, 0, sizeof(f));
	event_fields(&pe->ev, field_cb, &f);
	is_str(f.names, "event source zone names error", "plugin event fields, no interface");
	is_str(f.quoted, "qqqqq", "all strings");
	is_str(event_name_of(&pe->ev), "dns-published", "event_name_of a plugin event");
	is_int((int)event_json(&pe->ev, NULL, 0), (int)strlen(json(&pe->ev)), "length without a buffer");
	pevent_unref(pe);

	struct nlevd_field hostile[] = {{"zone", "ev\"il\nzone\x01\x1b[31m\\end"},
					{"error", "\xff\xc2\x9b\x7f\r"}};
	if (pevent_new("x\"y", "dns-failed", hostile, 2, 0, &pe))
		abort();
	pe->ev.time.tv_sec = 1700000000;
	pe->ev.time.tv_nsec = 123456789;
	is_str(json(&pe->ev),
	       T "\"event\":\"dns-failed\",\"source\":\"x\\\"y\","
		 "\"zone\":\"ev\\\"il\\u000azone\\u0001\\u001b[31m\\\\end\","
		 "\"error\":\"\\ufffd\\u009b\\u007f\\u000d\"}",
	       "hostile values: JSON escapes");
	ok(json_valid(json(&pe->ev)), "valid");
	is_str(text(&pe->ev),
	       "dns-failed source=\"x\\\"y\" zone=\"ev\\\"il\\x0azone\\x01\\x1b[31m\\\\end\" "
	       "error=\"\\xff\\xc2\\x9b\\x7f\\x0d\"",
	       "hostile values: text escapes, one line");
	pevent_unref(pe);

	is_str(event_name(NLEVD_EV_PLUGIN), "plugin", "event_name(NLEVD_EV_PLUGIN)");
	ok(NLEVD_EV_PLUGIN >= NLEVD_EV_COUNT && NLEVD_EV_COUNT == 8,
	   "NLEVD_EV_COUNT still counts the kernel events only");
	is_int(plugin_event_parse("dns-published"), 0, "dns-published");
	is_int(plugin_event_parse("dns-failed"), 1, "dns-failed");
	is_int(plugin_event_parse("dns-conflict"), 2, "dns-conflict");
	is_int(plugin_event_parse("addr-add"), -1, "a kernel event is no plugin event");
	is_int(event_parse("dns-published"), -1, "a plugin event is no kernel event");
	is_str(plugin_event_name(2), "dns-conflict", "plugin_event_name");
	ok(plugin_event_name(3) == NULL && plugin_event_name(-1) == NULL, "past the list: NULL");
}

int main(void)
{
	test_json_addr();
	test_json_link();
	test_json_hostile();
	test_text();
	test_text_escape();
	test_truncation();
	test_flags();
	test_fields();
	test_names();
	test_plugin();
	return tap_done();
}
