/* The netlink decoder and the state table behind it. */
#include <stdlib.h>
#include <string.h>

#include "nlevd.h"

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
	nlmsg_decode(buf, size, apply, NULL, &st);
	/* The same bytes again as a resync: mark, apply, sweep. */
	state_mark();
	nlmsg_decode(buf, size, apply, NULL, &st);
	state_sweep();
	state_addr_foreach(0, count_addr, NULL);
	state_replay(on_event, NULL);
	state_free();
	free(buf);
	return 0;
}
