/* Address sets for the DNS engine and the http plugin: sorted arrays,
 * merged in linear time, and delete_delay's hold of a vanished family. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "aset.h"

int addr_cmp(const void *x, const void *y)
{
	const struct addr *a = x, *b = y;
	if (a->family != b->family)
		return a->family < b->family ? -1 : 1;
	return memcmp(a->a, b->a, 16);
}

static int aset_reserve(struct aset *s, size_t want)
{
	if (want <= s->cap)
		return 0;
	size_t cap = s->cap ? s->cap : 8;
	while (cap < want)
		cap *= 2;
	struct addr *nv = realloc(s->v, cap * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	s->v = nv;
	s->cap = cap;
	return 0;
}

int aset_add(struct aset *s, uint8_t family, const uint8_t *a)
{
	if (aset_reserve(s, s->n + 1) < 0)
		return -ENOMEM;
	memset(&s->v[s->n], 0, sizeof(s->v[0]));
	s->v[s->n].family = family;
	memcpy(s->v[s->n].a, a, family == AF_INET ? 4 : 16);
	s->n++;
	return 0;
}

void aset_sort_unique(struct aset *s)
{
	if (!s->n)
		return;
	qsort(s->v, s->n, sizeof(*s->v), addr_cmp);
	size_t w = 1;
	for (size_t r = 1; r < s->n; r++)
		if (addr_cmp(&s->v[r], &s->v[w - 1]))
			s->v[w++] = s->v[r];
	s->n = w;
}

int aset_union(struct aset *dst, const struct aset *src)
{
	if (!src->n)
		return 0;
	size_t cap = dst->n + src->n;
	struct addr *v = malloc(cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	size_t i = 0, j = 0, n = 0;
	while (i < dst->n || j < src->n) {
		int c = i == dst->n ? 1 : j == src->n ? -1 : addr_cmp(&dst->v[i], &src->v[j]);
		if (c <= 0)
			v[n++] = dst->v[i++];
		else
			v[n++] = src->v[j++];
		if (c == 0)
			j++;
	}
	free(dst->v);
	dst->v = v;
	dst->n = n;
	dst->cap = cap;
	return 0;
}

bool aset_equal(const struct aset *x, const struct aset *y)
{
	return x->n == y->n && (!x->n || !memcmp(x->v, y->v, x->n * sizeof(*x->v)));
}

int aset_copy(struct aset *dst, const struct aset *src)
{
	if (aset_reserve(dst, src->n) < 0)
		return -ENOMEM; /* dst is kept as it was */
	if (src->n)
		memcpy(dst->v, src->v, src->n * sizeof(*src->v));
	dst->n = src->n;
	return 0;
}

void aset_free(struct aset *s)
{
	free(s->v);
	memset(s, 0, sizeof(*s));
}

void aset_str(const struct aset *s, int family, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (size_t i = 0; i < s->n && n < len; i++) {
		if (s->v[i].family != family)
			continue;
		char ip[INET6_ADDRSTRLEN];
		inet_ntop(family, s->v[i].a, ip, sizeof(ip));
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", ip);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

static bool has_family(const struct aset *s, int family)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->v[i].family == family)
			return true;
	return false;
}

static int add_family(struct aset *dst, const struct aset *src, int family)
{
	for (size_t i = 0; i < src->n; i++)
		if (src->v[i].family == family && aset_add(dst, src->v[i].family, src->v[i].a) < 0)
			return -ENOMEM;
	return 0;
}

int aset_hold_apply(struct aset_hold *h, struct aset *d, const struct aset *want, double now,
		    double delay, bool armed, double *next)
{
	static const int fam[2] = {AF_INET, AF_INET6};
	int began = 0, err = 0;
	*next = 0;
	for (int f = 0; f < 2; f++) {
		if (has_family(d, fam[f])) {
			/* An address is back: whatever was held goes. */
			h->until[f] = 0;
			aset_free(&h->held[f]);
			continue;
		}
		if (h->until[f] && now < h->until[f]) {
			if (add_family(d, &h->held[f], fam[f]) < 0)
				err = -ENOMEM;
		} else if (h->until[f]) {
			/* The delay is over: the family empties now. */
			h->until[f] = 0;
			aset_free(&h->held[f]);
			continue;
		} else if (delay > 0 && armed && has_family(want, fam[f])) {
			/* The family's last address went: keep it a while, a
			 * flap or a reboot must not withdraw the name. */
			aset_free(&h->held[f]);
			if (add_family(&h->held[f], want, fam[f]) < 0 ||
			    add_family(d, &h->held[f], fam[f]) < 0)
				err = -ENOMEM;
			aset_sort_unique(&h->held[f]);
			h->until[f] = now + delay;
			began |= 1 << f;
		} else {
			continue;
		}
		if (!*next || h->until[f] < *next)
			*next = h->until[f];
	}
	aset_sort_unique(d);
	return err ? err : began;
}

void aset_hold_free(struct aset_hold *h)
{
	for (int f = 0; f < 2; f++) {
		aset_free(&h->held[f]);
		h->until[f] = 0;
	}
}
