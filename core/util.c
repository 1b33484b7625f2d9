/* Value parsers for the configuration: pure functions over strings. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "util.h"

int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = {"yes", "true", "on", "1"};
	static const char *const no[] = {"no", "false", "off", "0"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

/* Leading digits only; returns the number of characters consumed or -1. */
static int scan_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	int i = 0;
	if (!isdigit((unsigned char)s[0]))
		return -1;
	for (; isdigit((unsigned char)s[i]); i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return i;
}

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v;
	int n = scan_u64(s, &v);
	if (n < 0 || s[n] || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int mul_checked(uint64_t v, uint64_t m, uint64_t *out)
{
	if (m && v > UINT64_MAX / m)
		return -ERANGE;
	*out = v * m;
	return 0;
}

int parse_duration_ms(const char *s, uint64_t *out)
{
	uint64_t v, m;
	int n = scan_u64(s, &v);
	if (n < 0)
		return -EINVAL;
	const char *u = s + n;
	if (!strcmp(u, "ms"))
		m = 1;
	else if (!strcmp(u, "s") || !*u)
		m = 1000;
	else if (!strcmp(u, "m"))
		m = 60 * 1000;
	else if (!strcmp(u, "h"))
		m = 3600 * 1000;
	else
		return -EINVAL;
	if (mul_checked(v, m, out) || *out > (uint64_t)365 * 24 * 3600 * 1000)
		return -ERANGE;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	uint64_t v, m;
	int n = scan_u64(s, &v);
	if (n < 0)
		return -EINVAL;
	const char *u = s + n;
	if (!*u)
		m = 1;
	else if (!strcmp(u, "K") || !strcmp(u, "k"))
		m = 1024;
	else if (!strcmp(u, "M"))
		m = 1024 * 1024;
	else
		return -EINVAL;
	return mul_checked(v, m, out) ? -ERANGE : 0;
}

char **split_words(const char *s, size_t *n)
{
	size_t cap = 4, cnt = 0;
	char **v = malloc(cap * sizeof(*v));
	if (!v)
		return NULL;
	while (*s) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		const char *e = s;
		while (*e && *e != ' ' && *e != '\t')
			e++;
		if (cnt + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				goto fail;
			v = nv;
		}
		if (!(v[cnt] = strndup(s, (size_t)(e - s))))
			goto fail;
		cnt++;
		s = e;
	}
	v[cnt] = NULL;
	if (n)
		*n = cnt;
	return v;
fail:
	v[cnt] = NULL;
	free_words(v);
	return NULL;
}

void free_words(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

int parse_prefix(const char *s, struct prefix *p)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = 0;
	memset(p, 0, sizeof(*p));
	unsigned max;
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	uint64_t len = max;
	if (slash && parse_uint(slash + 1, max, &len))
		return -EINVAL;
	p->len = (uint8_t)len;
	/* Host bits set (10.0.0.1/8) is most likely a typo: refuse it. */
	for (unsigned bit = p->len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}

bool prefix_match(const struct prefix *p, int family, const uint8_t *addr)
{
	if (p->family != family)
		return false;
	unsigned full = p->len / 8, rest = p->len % 8;
	if (memcmp(p->addr, addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));
		if ((p->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

bool name_valid(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.')
			return false;
	return true;
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Length of the valid UTF-8 sequence at p (code point in *cp), or 0. */
int utf8_seq(const unsigned char *p, uint32_t *cp)
{
	int n;
	uint32_t c, min;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	for (int i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80) /* also stops at the NUL */
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}
