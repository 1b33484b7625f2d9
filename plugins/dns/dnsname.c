/* DNS name helpers: normalising names, zones, `server` values, PTR owners. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "engine.h"

int dns_name_normalize(const char *in, char *out, size_t len)
{
	size_t n = strlen(in);
	if (n == 0 || n + 2 > len || n > 254)
		return -EINVAL;
	size_t label = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '.') {
			if (label == 0)
				return -EINVAL; /* empty label */
			label = 0;
		} else if (isalnum(c) || c == '-' || c == '_') {
			if (++label > 63)
				return -EINVAL;
		} else {
			return -EINVAL;
		}
		out[i] = (char)tolower(c);
	}
	out[n] = 0;
	if (out[n - 1] != '.') {
		out[n] = '.';
		out[n + 1] = 0;
	}
	return 0;
}

bool dns_name_under(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	if (!strcmp(zone, "."))
		return true;
	if (n < z || strcmp(name + n - z, zone))
		return false;
	return n == z || name[n - z - 1] == '.';
}

int dns_server_parse(const char *s, struct dns_server *out)
{
	memset(out, 0, sizeof(*out));
	const char *host = s, *port = NULL;
	size_t hlen;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (e[1] && e[1] != ':'))
			return -EINVAL;
		host = s + 1;
		hlen = (size_t)(e - host);
		if (e[1] == ':')
			port = e + 2;
	} else {
		const char *c = strchr(s, ':');
		if (c && !strchr(c + 1, ':')) { /* one colon: host:port */
			hlen = (size_t)(c - s);
			port = c + 1;
		} else {
			hlen = strlen(s); /* a bare IPv6 address or a name */
		}
	}
	if (hlen == 0 || hlen >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, host, hlen);
	for (size_t i = 0; i < hlen; i++)
		if (!isalnum((unsigned char)out->host[i]) && !strchr(".-_:", out->host[i]))
			return -EINVAL;
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);
		if (!*port || *end || p < 1 || p > 65535)
			return -EINVAL;
		out->port = (uint16_t)p;
	}
	return 0;
}

int dns_server_host(const char *host, char *name, size_t len)
{
	struct in6_addr a;
	if (inet_pton(AF_INET, host, &a) == 1 || inet_pton(AF_INET6, host, &a) == 1)
		return DNS_HOST_IP;
	size_t n = strlen(host);
	if (n && host[n - 1] == '.')
		n--;
	/* 253 characters: 255 bytes in wire form, the most a name may have */
	if (n > 253 || dns_name_normalize(host, name, len) < 0)
		return -EINVAL;
	/* RFC 1123 labels: no hyphen at either end. */
	for (const char *l = name; *l; l = strchr(l, '.') + 1) {
		size_t ll = strcspn(l, ".");
		if (ll == 0 || l[0] == '-' || l[ll - 1] == '-') /* ll 0: the root, "." */
			return -EINVAL;
	}
	/* No top-level label is all digits (RFC 3696 2): "192.0.2.300" is a
	 * mistyped address, not a name to look up. */
	const char *last = name + strlen(name) - 1; /* the trailing dot */
	while (last > name && last[-1] != '.')
		last--;
	if (strspn(last, "0123456789") == strcspn(last, "."))
		return -EINVAL;
	return DNS_HOST_NAME;
}

int dns_ptr_owner(int family, const uint8_t *a, char *buf, size_t len)
{
	if (family == AF_INET)
		return snprintf(buf, len, "%u.%u.%u.%u.in-addr.arpa.", a[3], a[2], a[1], a[0]) <
				       (int)len
			       ? 0
			       : -1;
	size_t n = 0;
	static const char hex[] = "0123456789abcdef";
	if (len < 64 + 10)
		return -1;
	for (int i = 15; i >= 0; i--) {
		buf[n++] = hex[a[i] & 0xf];
		buf[n++] = '.';
		buf[n++] = hex[a[i] >> 4];
		buf[n++] = '.';
	}
	strcpy(buf + n, "ip6.arpa.");
	return 0;
}

int dns_ptr_group(int family, const uint8_t *a, char *buf, size_t len)
{
	char owner[DNS_NAME_MAX];
	if (dns_ptr_owner(family, a, owner, sizeof(owner)) < 0)
		return -1;
	/* Skip the host part: one label for IPv4 (/24), 16 nibbles for IPv6 (/64). */
	const char *p = owner;
	for (int i = family == AF_INET ? 1 : 16; i > 0; i--)
		p = strchr(p, '.') + 1;
	return snprintf(buf, len, "%s", p) < (int)len ? 0 : -1;
}
