/* ipv6_suffix: an interface identifier joined with the host's /64 prefixes. */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "suffix.h"

int dns_suffix_parse(const char *s, uint8_t suffix[16])
{
	static const uint8_t zero[8];
	uint8_t a[16];
	/* inet_pton takes no "/len", "%scope" or blanks: a plain literal. */
	if (!s || inet_pton(AF_INET6, s, a) != 1)
		return -EINVAL;
	/* Bits in the prefix half would be silently dropped by apply, and an
	 * all-zero identifier is the subnet-router anycast address (RFC 4291
	 * 2.6.1), no host's. */
	if (memcmp(a, zero, 8) || !memcmp(a + 8, zero, 8))
		return -EINVAL;
	memcpy(suffix, a, 16);
	return 0;
}

void dns_suffix_apply(const uint8_t addr[16], const uint8_t suffix[16], uint8_t out[16])
{
	uint8_t r[16];
	memcpy(r, addr, 8);
	memcpy(r + 8, suffix + 8, 8);
	memcpy(out, r, 16);
}
