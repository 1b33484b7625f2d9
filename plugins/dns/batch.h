/* Building the UPDATE batch of one push (engine-private). */
#ifndef NLEVD_DNS_BATCH_H
#define NLEVD_DNS_BATCH_H
#include <stdbool.h>

#include "aset.h"
#include "engine.h"

/* Fill b (emptied first; b->ttl and b->server are the caller's) with what
 * turns `pushed` into `want`: every name's A/AAAA RRsets replaced when the
 * forward state differs or is not known (!pushed_valid), and, with
 * cfg->ptr, one message per reverse group in which an address was added
 * or withdrawn (`ptr_pushed`: the PTRs that may exist).  All sets sorted.
 * Linear in the number of addresses.  0 or -ENOMEM. */
int dns_batch_build(const struct dns_config *cfg, const struct aset *want,
		    const struct aset *pushed, bool pushed_valid, const struct aset *ptr_pushed,
		    struct dns_batch *b);

#endif
