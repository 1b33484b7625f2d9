/* rtnetlink decoder: a pure function from bytes to records, so that it can
 * be fed captured messages and fuzzed.  Every length is checked before a
 * copy; a malformed message is counted and skipped, never trusted; nor is a
 * datagram whose sender is not the kernel. */
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"
#include "nlmsg.h"

struct attr_tb {
	const struct nlattr *tb[IFLA_MAX > IFA_MAX ? IFLA_MAX + 1 : IFA_MAX + 1];
	int max;
};

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct attr_tb *t = data;
	int type = mnl_attr_get_type(attr);
	if (type <= t->max)
		t->tb[type] = attr;
	return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen, struct attr_tb *t, int max)
{
	memset(t, 0, sizeof(*t));
	t->max = max;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + MNL_ALIGN(hdrlen))
		return -1;
	/* mnl_attr_parse() stops quietly at an attribute whose length does
	 * not fit, and lets the last one reach into the alignment padding
	 * past nlmsg_len: walk ourselves, bounded by nlmsg_len, and call a
	 * message whose attributes do not end where it ends malformed. */
	const char *end = (const char *)nlh + nlh->nlmsg_len;
	const struct nlattr *attr = mnl_nlmsg_get_payload_offset(nlh, hdrlen);
	while (mnl_attr_ok(attr, (int)(end - (const char *)attr))) {
		attr_cb(attr, t);
		attr = mnl_attr_next(attr);
	}
	return (const void *)attr == mnl_nlmsg_get_payload_tail(nlh) ? 0 : -1;
}

static int decode_link(const struct nlmsghdr *nlh, struct nl_rec *rec, struct nl_stats *st)
{
	struct attr_tb t;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct ifinfomsg))
		return -1;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_family != AF_UNSPEC) {
		/* AF_BRIDGE port messages and the like describe no interface. */
		st->ignored++;
		return 1;
	}
	if (ifi->ifi_index <= 0 || parse_attrs(nlh, sizeof(*ifi), &t, IFLA_MAX))
		return -1;
	struct nlevd_link *l = &rec->link;
	l->ifindex = ifi->ifi_index;
	l->flags = ifi->ifi_flags;
	const struct nlattr *a = t.tb[IFLA_IFNAME];
	if (a) {
		uint16_t n = mnl_attr_get_payload_len(a);
		const char *s = mnl_attr_get_payload(a);
		size_t slen = strnlen(s, n);
		if (slen == 0 || slen == n || slen >= NLEVD_IFNAMSIZ) /* empty, no NUL, long */
			return -1;
		memcpy(l->ifname, s, slen);
	} else if (rec->kind == NL_LINK_NEW) {
		return -1; /* every RTM_NEWLINK carries the name */
	}
	if ((a = t.tb[IFLA_MTU])) {
		if (mnl_attr_get_payload_len(a) != 4)
			return -1;
		l->mtu = mnl_attr_get_u32(a);
	}
	if ((a = t.tb[IFLA_OPERSTATE])) {
		if (mnl_attr_get_payload_len(a) != 1)
			return -1;
		l->operstate = mnl_attr_get_u8(a);
	}
	if ((a = t.tb[IFLA_ADDRESS])) {
		uint16_t n = mnl_attr_get_payload_len(a);
		if (n > sizeof(l->mac))
			return -1;
		memcpy(l->mac, mnl_attr_get_payload(a), n);
		l->mac_len = (uint8_t)n;
	}
	return 0;
}

static int decode_addr(const struct nlmsghdr *nlh, struct nl_rec *rec, struct nl_stats *st)
{
	struct attr_tb t;
	if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct ifaddrmsg))
		return -1;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	size_t alen;
	if (ifa->ifa_family == AF_INET)
		alen = 4;
	else if (ifa->ifa_family == AF_INET6)
		alen = 16;
	else {
		st->ignored++;
		return 1;
	}
	if (ifa->ifa_index == 0 || ifa->ifa_index > 0x7fffffff ||
	    ifa->ifa_prefixlen > alen * 8 || parse_attrs(nlh, sizeof(*ifa), &t, IFA_MAX))
		return -1;
	struct nlevd_addr *ad = &rec->addr;
	ad->ifindex = (int)ifa->ifa_index;
	ad->family = ifa->ifa_family;
	ad->prefixlen = ifa->ifa_prefixlen;
	ad->scope = ifa->ifa_scope;
	ad->flags = ifa->ifa_flags;
	ad->valid_lft = ad->preferred_lft = NLEVD_LFT_FOREVER;
	const struct nlattr *local = t.tb[IFA_LOCAL], *address = t.tb[IFA_ADDRESS];
	if ((local && mnl_attr_get_payload_len(local) != alen) ||
	    (address && mnl_attr_get_payload_len(address) != alen))
		return -1;
	/* IFA_LOCAL is the local end; IFA_ADDRESS is then the peer. */
	const struct nlattr *mine = local ? local : address;
	if (!mine)
		return -1;
	memcpy(ad->addr, mnl_attr_get_payload(mine), alen);
	if (local && address && memcmp(mnl_attr_get_payload(address), ad->addr, alen)) {
		memcpy(ad->peer, mnl_attr_get_payload(address), alen);
		ad->has_peer = 1;
	}
	const struct nlattr *a;
	if ((a = t.tb[IFA_FLAGS])) {
		if (mnl_attr_get_payload_len(a) != 4)
			return -1;
		ad->flags = mnl_attr_get_u32(a);
	}
	if ((a = t.tb[IFA_CACHEINFO])) {
		struct ifa_cacheinfo ci;
		if (mnl_attr_get_payload_len(a) != sizeof(ci))
			return -1;
		memcpy(&ci, mnl_attr_get_payload(a), sizeof(ci));
		ad->valid_lft = ci.ifa_valid;
		ad->preferred_lft = ci.ifa_prefered;
	}
	return 0;
}

int nlmsg_decode(const void *buf, size_t len, nl_rec_cb cb, void *arg, struct nl_stats *st)
{
	const struct nlmsghdr *nlh = buf;
	int remaining = len > (size_t)INT32_MAX ? INT32_MAX : (int)len;
	int count = 0;
	if (((uintptr_t)buf & 3) != 0) {
		st->malformed++;
		return 0;
	}
	/* mnl_nlmsg_ok() compares nlmsg_len as an int: 2^31 and above pass. */
	while (mnl_nlmsg_ok(nlh, remaining) && nlh->nlmsg_len <= (uint32_t)remaining) {
		struct nl_rec rec;
		int rc = 0;
		memset(&rec, 0, sizeof(rec));
		rec.nlflags = nlh->nlmsg_flags;
		rec.seq = nlh->nlmsg_seq;
		rec.portid = nlh->nlmsg_pid;
		st->messages++;
		switch (nlh->nlmsg_type) {
		case RTM_NEWLINK:
		case RTM_DELLINK:
			rec.kind = nlh->nlmsg_type == RTM_NEWLINK ? NL_LINK_NEW : NL_LINK_DEL;
			rc = decode_link(nlh, &rec, st);
			break;
		case RTM_NEWADDR:
		case RTM_DELADDR:
			rec.kind = nlh->nlmsg_type == RTM_NEWADDR ? NL_ADDR_NEW : NL_ADDR_DEL;
			rc = decode_addr(nlh, &rec, st);
			break;
		case NLMSG_DONE:
			rec.kind = NL_DONE;
			break;
		case NLMSG_ERROR:
			rec.kind = NL_ERROR;
			if (nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct nlmsgerr)) {
				rc = -1;
				break;
			}
			rec.error = ((const struct nlmsgerr *)mnl_nlmsg_get_payload(nlh))->error;
			if (rec.error > 0)
				rec.error = -rec.error;
			break;
		default:
			st->ignored++;
			rc = 1;
		}
		if (rc < 0) {
			st->malformed++;
			log_debug("netlink: malformed message (type %u, %u bytes) ignored",
				  nlh->nlmsg_type, nlh->nlmsg_len);
		} else if (rc == 0) {
			cb(&rec, arg);
			count++;
		}
		nlh = mnl_nlmsg_next(nlh, &remaining);
	}
	if (remaining > 0) {
		st->malformed++;
		log_debug("netlink: %d trailing bytes ignored", remaining);
	}
	return count;
}

bool nlmsg_from_kernel(const void *from, size_t fromlen, uint32_t groups)
{
	struct sockaddr_nl sa;
	if (!from || fromlen != sizeof(sa))
		return false;
	memcpy(&sa, from, sizeof(sa));
	return sa.nl_family == AF_NETLINK && sa.nl_pid == 0 && !(sa.nl_groups & ~groups);
}

bool nlmsg_is_reply(const struct nl_rec *rec, uint32_t seq, uint32_t portid)
{
	return rec->seq == seq && rec->portid == portid;
}

struct reply_filter {
	uint32_t seq, portid;
	nl_rec_cb cb;
	void *arg;
	struct nl_stats *st;
	int delivered;
};

static void reply_cb(const struct nl_rec *rec, void *arg)
{
	struct reply_filter *f = arg;
	if (!nlmsg_is_reply(rec, f->seq, f->portid)) {
		/* The kernel's answer to an older, abandoned request. */
		f->st->ignored++;
		return;
	}
	f->delivered++;
	f->cb(rec, f->arg);
}

int nlmsg_input(const void *from, size_t fromlen, uint32_t groups, uint32_t seq,
		uint32_t portid, const void *buf, size_t len, nl_rec_cb cb, void *arg,
		struct nl_stats *st)
{
	if (!nlmsg_from_kernel(from, fromlen, groups)) {
		st->foreign++;
		return -EPERM;
	}
	if (!portid)
		return nlmsg_decode(buf, len, cb, arg, st);
	struct reply_filter f = {.seq = seq, .portid = portid, .cb = cb, .arg = arg, .st = st};
	nlmsg_decode(buf, len, reply_cb, &f, st);
	return f.delivered;
}
