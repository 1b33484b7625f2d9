/* The netlink decoder and the state table behind it.  An input that starts
 * with "NLSA" carries a receive context first, so that forged senders and
 * replies go through the same check as on the sockets:
 *   "NLSA", struct sockaddr_nl (12 bytes: the source address), then u32
 *   groups, u32 seq, u32 portid (host order), then the datagram.
 * Any other input is a datagram from the kernel's monitor socket. */
#include <stdlib.h>
#include <linux/netlink.h>
#include <string.h>

#include "nlmsg.h"
#include "state.h"

static unsigned long long events;

static void on_event(const struct nlevd_event *ev, void *arg)
{
	(void)arg;
	events += (unsigned)ev->type + 1;
}

static int count_addr(const struct nlevd_link *l, const struct nlevd_addr *a, void *arg)
{
	(void)l;
	(void)arg;
	events += a->prefixlen;
	return 0;
}

static void apply(const struct nl_rec *rec, void *arg)
{
	(void)arg;
	state_apply(rec);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nl_stats st = {0};
	uint32_t *buf = malloc(size + 4); /* nlmsghdr wants 4-byte alignment */
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	state_init(on_event, NULL);
	const size_t ctx = 4 + sizeof(struct sockaddr_nl) + 12;
	if (size >= ctx && !memcmp(data, "NLSA", 4)) {
		struct sockaddr_nl sa;
		uint32_t v[3];
		memcpy(&sa, data + 4, sizeof(sa));
		memcpy(v, data + 4 + sizeof(sa), sizeof(v));
		/* The datagram stays 4-byte aligned: ctx is a multiple of 4. */
		const uint32_t *dgram = buf + ctx / 4;
		nlmsg_input(&sa, sizeof(sa), v[0], v[1], v[2], dgram, size - ctx, apply, NULL, &st);
		state_mark();
		nlmsg_input(&sa, sizeof(sa), v[0], v[1], v[2], dgram, size - ctx, apply, NULL, &st);
		state_sweep();
	} else {
		nlmsg_decode(buf, size, apply, NULL, &st);
		/* The same bytes again as a resync: mark, apply, sweep. */
		state_mark();
		nlmsg_decode(buf, size, apply, NULL, &st);
		state_sweep();
	}
	state_addr_foreach(0, count_addr, NULL);
	state_replay(on_event, NULL);
	state_free();
	free(buf);
	return 0;
}
