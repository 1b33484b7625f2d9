/* ipv6_suffix: an interface identifier joined with the host's /64 prefixes. */
#ifndef NLEVD_SUFFIX_H
#define NLEVD_SUFFIX_H
#include <stdint.h>

/* ipv6_suffix: parse "::211:32ff:fe12:3456" (an IPv6 literal whose first 64
 * bits are zero and whose last 64 are not all zero): 0 or -EINVAL */
int dns_suffix_parse(const char *s, uint8_t suffix[16]);
/* The derived address: the /64 prefix of addr joined with the suffix (out
 * may be addr) */
void dns_suffix_apply(const uint8_t addr[16], const uint8_t suffix[16], uint8_t out[16]);
#endif
