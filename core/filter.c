/* An instance's filter: the core's per-instance keys parsed, and events matched against them. */
#include <errno.h>
#include <fnmatch.h>
#include <linux/rtnetlink.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfg.h"
#include "event.h"
#include "filter.h"
#include "util.h"

const char *const filter_keys[] = {"events",  "interfaces", "family", "scope", "addresses",
				   "temporary", "startup", "settle", NULL};

struct fparse {
	struct cfg_section *s;
	filter_error_cb err;
	void *arg;
};

static struct cfg_kv *fp_kv(struct fparse *fp, const char *key)
{
	struct cfg_kv *kv = cfg_find(fp->s, key);
	if (kv)
		kv->used = true;
	return kv;
}

static void fp_error(struct fparse *fp, const struct cfg_kv *kv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void fp_error(struct fparse *fp, const struct cfg_kv *kv, const char *fmt, ...)
{
	char msg[768];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fp->err(fp->arg, kv, msg);
}

static int parse_events(struct fparse *fp, const struct nlevd_plugin *p, struct filter *f)
{
	struct cfg_kv *kv = fp_kv(fp, "events");
	int bad = 0;

	f->events = (1u << NLEVD_EV_COUNT) - 1;
	if (!kv)
		return 0;
	char **w = split_words(kv->value, NULL);
	f->events = 0;
	for (char **e = w; e && *e; e++) {
		int t = event_parse(*e), pt = t < 0 ? plugin_event_parse(*e) : -1;
		if (t >= 0) {
			f->events |= 1u << t;
		} else if (pt >= 0 && p->abi_minor < 1) {
			/* Its struct nlevd_event has no name or fields. */
			fp_error(fp, kv, "plugin %s (ABI %u.%u) cannot receive '%s': "
				 "plugin events need ABI 1.1", p->name, p->abi_major,
				 p->abi_minor, *e);
			bad = 1;
		} else if (pt >= 0) {
			f->pevents |= 1u << pt;
		} else {
			fp_error(fp, kv, "unknown event '%s' (addr-add addr-del "
				 "addr-change link-add link-del link-up link-down "
				 "link-rename dns-published dns-failed dns-conflict)", *e);
			bad = 1;
		}
	}
	if (!w || !w[0]) {
		fp_error(fp, kv, "no event given");
		bad = 1;
	}
	free_words(w);
	return bad;
}

static int parse_interfaces(struct fparse *fp, struct filter *f)
{
	struct cfg_kv *kv = fp_kv(fp, "interfaces");
	int bad = 0;

	f->ifpat = split_words(kv ? kv->value : "!lo", NULL);
	if (!f->ifpat || (kv && !f->ifpat[0])) {
		fp_error(fp, kv, "no pattern given");
		bad = 1;
	}
	for (char **pp = f->ifpat; pp && *pp; pp++)
		if (!strcmp(*pp, "!") || strlen(*pp) > 64) {
			fp_error(fp, kv, "bad pattern '%s'", *pp);
			bad = 1;
		}
	return bad;
}

static int parse_family(struct fparse *fp, struct filter *f)
{
	struct cfg_kv *kv = fp_kv(fp, "family");
	int bad = 0;

	f->families = 3;
	if (!kv)
		return 0;
	char **w = split_words(kv->value, NULL);
	f->families = 0;
	for (char **e = w; e && *e; e++) {
		if (!strcmp(*e, "ipv4")) {
			f->families |= 1;
		} else if (!strcmp(*e, "ipv6")) {
			f->families |= 2;
		} else {
			fp_error(fp, kv, "'%s' is not ipv4 or ipv6", *e);
			bad = 1;
		}
	}
	free_words(w);
	if (!f->families && !bad) {
		fp_error(fp, kv, "no family given");
		bad = 1;
	}
	return bad;
}

static int parse_scope(struct fparse *fp, const struct nlevd_plugin *p, struct filter *f)
{
	static const char *const sn[] = {"global", "site", "link", "host"};
	struct cfg_kv *kv = fp_kv(fp, "scope");
	int bad = 0;

	f->scopes = p->default_scopes ? p->default_scopes : 0x0f;
	if (!kv)
		return 0;
	char **w = split_words(kv->value, NULL);
	f->scopes = 0;
	for (char **e = w; e && *e; e++) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(sn); k++)
			if (!strcmp(*e, sn[k]))
				break;
		if (k == ARRAY_SIZE(sn)) {
			fp_error(fp, kv, "'%s' is not one of global site link host", *e);
			bad = 1;
		} else {
			f->scopes |= (uint8_t)(1u << k);
		}
	}
	free_words(w);
	if (!f->scopes && !bad) {
		fp_error(fp, kv, "no scope given");
		bad = 1;
	}
	return bad;
}

static int parse_addresses(struct fparse *fp, struct filter *f)
{
	struct cfg_kv *kv = fp_kv(fp, "addresses");
	if (!kv)
		return 0;
	size_t n = 0;
	char **w = split_words(kv->value, &n);
	f->prefixes = calloc(n ? n : 1, sizeof(*f->prefixes));
	f->prefix_neg = calloc(n ? n : 1, sizeof(*f->prefix_neg));
	bool nomem = !w || !f->prefixes || !f->prefix_neg, bad = nomem || !n;
	if (bad)
		fp_error(fp, kv, nomem ? "out of memory" : "no prefix given");
	for (size_t k = 0; !nomem && k < n; k++) {
		bool neg = w[k][0] == '!';
		if (parse_prefix(w[k] + neg, &f->prefixes[k])) {
			fp_error(fp, kv, "'%s' is not an address prefix (e.g. "
				 "192.0.2.0/24, 2001:db8::/32, !10.0.0.0/8)", w[k]);
			bad = true;
		}
		f->prefix_neg[k] = neg;
	}
	f->nprefixes = bad ? 0 : n;
	free_words(w);
	return bad;
}

static int parse_flag(struct fparse *fp, const char *key, bool def, bool *out)
{
	struct cfg_kv *kv = fp_kv(fp, key);
	*out = def;
	if (kv && parse_bool(kv->value, out)) {
		fp_error(fp, kv, "'%s' is not yes or no", kv->value);
		return 1;
	}
	return 0;
}

static int parse_settle(struct fparse *fp, uint64_t def, uint64_t *out)
{
	struct cfg_kv *kv = fp_kv(fp, "settle");
	*out = def;
	if (kv && parse_duration_ms(kv->value, out)) {
		fp_error(fp, kv, "'%s' is not a duration (e.g. 500ms, 10s, 5m, 1h)", kv->value);
		*out = def;
		return 1;
	}
	return 0;
}

int filter_parse(struct filter *f, struct cfg_section *s, const struct nlevd_plugin *p,
		 filter_error_cb err, void *arg)
{
	struct fparse fp = {s, err, arg};
	int bad = 0;

	memset(f, 0, sizeof(*f));
	/* |=, not ||: every bad key is reported */
	bad |= parse_events(&fp, p, f);
	bad |= parse_interfaces(&fp, f);
	bad |= parse_family(&fp, f);
	bad |= parse_scope(&fp, p, f);
	bad |= parse_addresses(&fp, f);
	bad |= parse_flag(&fp, "temporary", !p->default_no_temporary, &f->temporary);
	bad |= parse_flag(&fp, "startup", true, &f->startup);
	bad |= parse_settle(&fp, p->default_settle_ms, &f->settle_ms);
	return bad ? -EINVAL : 0;
}

/* ---- matching ---- */

bool filter_ifname(const struct filter *f, const char *ifname)
{
	bool any_pos = false, pos = false;
	for (char **p = f->ifpat; p && *p; p++) {
		if (**p == '!') {
			if (!fnmatch(*p + 1, ifname, 0))
				return false;
		} else {
			any_pos = true;
			if (!fnmatch(*p, ifname, 0))
				pos = true;
		}
	}
	return pos || !any_pos;
}

static uint8_t scope_bit(uint8_t scope)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE: return NLEVD_SCOPE_GLOBAL;
	case RT_SCOPE_SITE: return NLEVD_SCOPE_SITE;
	case RT_SCOPE_LINK: return NLEVD_SCOPE_LINK;
	case RT_SCOPE_HOST: return NLEVD_SCOPE_HOST;
	default: return 0;
	}
}

bool filter_addr(const struct filter *f, const struct nlevd_addr *a)
{
	if (!(f->families & (a->family == AF_INET ? 1 : 2)))
		return false;
	uint8_t sb = scope_bit(a->scope);
	if (f->scopes != 0x0f && !(f->scopes & sb))
		return false;
	if (!f->temporary && a->family == AF_INET6 && (a->flags & 0x01))
		return false;
	bool any_pos = false, pos = false;
	for (size_t i = 0; i < f->nprefixes; i++) {
		bool m = prefix_match(&f->prefixes[i], a->family, a->addr);
		if (f->prefix_neg[i]) {
			if (m)
				return false;
		} else {
			any_pos = true;
			pos = pos || m;
		}
	}
	return pos || !any_pos;
}

bool filter_event(const struct filter *f, const struct nlevd_event *ev)
{
	/* Plugin events are matched by filter_plugin_event(). */
	if ((unsigned)ev->type >= NLEVD_EV_COUNT || !(f->events & (1u << ev->type)))
		return false;
	bool name_ok = filter_ifname(f, ev->link.ifname) ||
		       (ev->type == NLEVD_EV_LINK_RENAME && filter_ifname(f, ev->old_ifname));
	if (!name_ok)
		return false;
	if (ev->type <= NLEVD_EV_ADDR_CHANGE)
		return filter_addr(f, &ev->addr);
	return true;
}

bool filter_plugin_event(const struct filter *f, int id)
{
	return id >= 0 && id <= 31 && (f->pevents & (1u << id));
}

void filter_free(struct filter *f)
{
	free_words(f->ifpat);
	free(f->prefixes);
	free(f->prefix_neg);
	memset(f, 0, sizeof(*f));
}
