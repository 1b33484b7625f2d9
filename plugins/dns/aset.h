/* Address sets: sorted, duplicate-free arrays of IPv4/IPv6 addresses, as the
 * DNS engine keeps its desired, pushed and in-flight states. */
#ifndef NLEVD_DNS_ASET_H
#define NLEVD_DNS_ASET_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct addr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t a[16];  /* IPv4: the first 4 bytes, the rest zero */
};

struct aset {
	struct addr *v;
	size_t n, cap;
};

/* Order: family, then the address bytes.  An IPv4 /24 and an IPv6 /64 (a
 * reverse group) are therefore contiguous in a sorted set. */
int addr_cmp(const void *x, const void *y);
/* Append (unsorted until aset_sort_unique); 0 or -ENOMEM. */
int aset_add(struct aset *s, uint8_t family, const uint8_t *a);
void aset_sort_unique(struct aset *s);
/* dst |= src, both sorted: one merge, O(n + m).  0 or -ENOMEM (dst kept). */
int aset_union(struct aset *dst, const struct aset *src);
bool aset_equal(const struct aset *x, const struct aset *y);
int aset_copy(struct aset *dst, const struct aset *src);
void aset_free(struct aset *s);
/* delete_delay, per family (0 IPv4, 1 IPv6): the addresses kept while the
 * family's last address is gone, and until when (0: nothing held). */
struct aset_hold {
	struct aset held[2];
	double until[2];
};
/* Apply delete_delay to d, the addresses selected now, against want, the
 * set desired before: a family with addresses again drops what was held;
 * one whose last address just went (armed, delay > 0) is held for delay
 * seconds; a held one keeps its old addresses until its deadline.  d comes
 * back sorted.  Returns the families that began holding now (bit 0 IPv4,
 * bit 1 IPv6), for the caller to log, or -ENOMEM; *next is the earliest
 * deadline, 0 when nothing is held. */
int aset_hold_apply(struct aset_hold *h, struct aset *d, const struct aset *want, double now,
		    double delay, bool armed, double *next);
void aset_hold_free(struct aset_hold *h);
/* The addresses of one family, space-separated ("-" when none), truncated
 * to len. */
void aset_str(const struct aset *s, int family, char *buf, size_t len);

#endif
