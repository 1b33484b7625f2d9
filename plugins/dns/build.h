/* Building the RFC 2136 UPDATE message of one zone from the engine's
 * operations, within the 65535-byte limit of a DNS message: whole owner
 * names only, so a message that would be too big is cut between names,
 * never inside one.  Pure (no I/O, no clock), so it can be fuzzed. */
#ifndef NLEVD_DNS_BUILD_H
#define NLEVD_DNS_BUILD_H
#include <stddef.h>
#include <stdint.h>

#include "engine.h"

#define DNS_MSG_MAX 65535 /* the TCP length prefix is 16 bits */
#define DNS_EDNS_UDP 1232 /* the UDP size we advertise (no fragmentation) */

/* The bytes a TSIG RR signed with this key name and algorithm (wire name,
 * e.g. "hmac-sha256.") and MAC length adds to a message, at most. */
size_t dns_tsig_size(const char *key_name, const char *alg_wire, size_t mac_len);

struct dns_update {
	void *pkt;          /* ldns_pkt * (caller frees), its EDNS OPT set */
	size_t taken;       /* ops in it: the first groups of one owner each */
	size_t wire_len;    /* its size unsigned, OPT included */
	size_t need;        /* -EMSGSIZE: the size the first owner alone needs */
	const char *owner;  /* -EMSGSIZE, -EINVAL: the owner at fault */
};

/* An UPDATE for zone with as many of ops[0..nops) as fit in limit bytes,
 * cut only where the owner name changes.  0; -EMSGSIZE when the first
 * owner's operations alone do not fit; -EINVAL when an operation cannot be
 * encoded (a bad name or address); -ENOMEM. */
int dns_update_build(const char *zone, const struct dns_op *const *ops, size_t nops,
		     uint32_t ttl, size_t limit, struct dns_update *u);

#endif
