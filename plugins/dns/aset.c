/* Address sets for the DNS engine: sorted arrays, merged in linear time. */
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
