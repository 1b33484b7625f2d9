/* GSS-TSIG on the wire (see tkey.h): TKEY query and answer, and TSIG
 * whose MAC is a GSS-API MIC.  Every length is checked against the
 * message: the answer and the response come from the network. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tkey.h"

#define TSIG_TYPE 250
#define CLASS_ANY 255
#define NAME_WIRE_MAX 255

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static unsigned get16(const uint8_t *p)
{
	return ((unsigned)p[0] << 8) | p[1];
}

static uint32_t get32(const uint8_t *p)
{
	return ((uint32_t)get16(p) << 16) | get16(p + 2);
}

/* An absolute name in presentation form ("a.b." or "a.b"), no escapes, to
 * lower-case wire form in out[NAME_WIRE_MAX]; its length, or 0. */
static size_t name_wire(const char *name, uint8_t *out)
{
	size_t o = 0;
	const char *p = name;
	if (!strcmp(p, "."))
		p++;
	while (*p) {
		size_t l = strcspn(p, ".");
		if (l == 0 || l > 63 || o + 1 + l + 1 > NAME_WIRE_MAX)
			return 0;
		out[o++] = (uint8_t)l;
		for (size_t i = 0; i < l; i++) {
			if (p[i] == '\\' || (unsigned char)p[i] <= ' ')
				return 0;
			out[o++] = (uint8_t)tolower((unsigned char)p[i]);
		}
		p += l;
		if (*p == '.')
			p++;
	}
	out[o++] = 0;
	return o;
}

/* The name at w[off], following compression pointers (only backwards, so
 * no loop), in lower-case wire form into out[NAME_WIRE_MAX]: its length
 * (0 on a bad name); *next is the offset after it in the message. */
static size_t name_read(const uint8_t *w, size_t len, size_t off, uint8_t *out, size_t *next)
{
	size_t o = 0, pos = off;
	bool jumped = false;
	for (;;) {
		if (pos >= len)
			return 0;
		uint8_t l = w[pos];
		if ((l & 0xc0) == 0xc0) {
			if (pos + 1 >= len)
				return 0;
			size_t to = ((size_t)(l & 0x3f) << 8) | w[pos + 1];
			if (!jumped)
				*next = pos + 2;
			if (to >= pos) /* forward or self: a loop, or garbage */
				return 0;
			jumped = true;
			pos = to;
			continue;
		}
		if (l > 63 || o + 1 + l > NAME_WIRE_MAX || pos + 1 + l > len)
			return 0;
		out[o++] = l;
		if (l == 0) {
			if (!jumped)
				*next = pos + 1;
			return o;
		}
		for (size_t i = 0; i < l; i++)
			out[o++] = (uint8_t)tolower(w[pos + 1 + i]);
		pos += 1 + l;
	}
}

int tkey_query(uint16_t id, const char *keyname, bool ms, uint32_t now, uint32_t lifetime,
	       const uint8_t *token, size_t toklen, uint8_t **out, size_t *outlen)
{
	uint8_t kn[NAME_WIRE_MAX], an[NAME_WIRE_MAX];
	size_t kl = name_wire(keyname, kn), al = name_wire(ms ? GSS_ALG_MS : GSS_ALG, an);
	if (!kl || !al)
		return -EINVAL;
	size_t rdlen = al + 4 + 4 + 2 + 2 + 2 + toklen + 2;
	size_t total = 12 + kl + 4 + kl + 10 + rdlen;
	if (rdlen > 65535 || total > 65535)
		return -EMSGSIZE;
	uint8_t *w = calloc(1, total);
	if (!w)
		return -ENOMEM;
	put16(w, id);
	/* flags 0: QUERY, no recursion */
	put16(w + 4, 1);              /* QDCOUNT */
	put16(w + (ms ? 6 : 10), 1);  /* ANCOUNT (Windows 2000) or ARCOUNT */
	size_t o = 12;
	memcpy(w + o, kn, kl);
	o += kl;
	put16(w + o, TKEY_TYPE);
	put16(w + o + 2, CLASS_ANY);
	o += 4;
	memcpy(w + o, kn, kl);
	o += kl;
	put16(w + o, TKEY_TYPE);
	put16(w + o + 2, CLASS_ANY);
	put32(w + o + 4, 0); /* TTL */
	put16(w + o + 8, (unsigned)rdlen);
	o += 10;
	memcpy(w + o, an, al);
	o += al;
	put32(w + o, now);
	put32(w + o + 4, now + lifetime);
	put16(w + o + 8, TKEY_MODE_GSSAPI);
	put16(w + o + 10, 0); /* error */
	put16(w + o + 12, (unsigned)toklen);
	o += 14;
	if (toklen)
		memcpy(w + o, token, toklen);
	o += toklen;
	put16(w + o, 0); /* other size */
	o += 2;
	*out = w;
	*outlen = o;
	return 0;
}

/* The offsets of the records of a message: rr[i] for each RR of the
 * answer, authority and additional sections (nrr of them, at most max).
 * false when the message is cut short or has garbage after it. */
static bool records(const uint8_t *w, size_t len, size_t *rr, unsigned *sec_counts, size_t max,
		    size_t *nrr)
{
	if (len < 12)
		return false;
	size_t off = 12, n = 0;
	unsigned qd = get16(w + 4);
	uint8_t name[NAME_WIRE_MAX];
	for (unsigned i = 0; i < qd; i++) {
		if (!name_read(w, len, off, name, &off) || off + 4 > len)
			return false;
		off += 4;
	}
	for (int s = 0; s < 3; s++) {
		sec_counts[s] = get16(w + 6 + 2 * s);
		for (unsigned i = 0; i < sec_counts[s]; i++) {
			if (n >= max)
				return false;
			rr[n++] = off;
			if (!name_read(w, len, off, name, &off) || off + 10 > len)
				return false;
			size_t rdlen = get16(w + off + 8);
			off += 10 + rdlen;
			if (off > len)
				return false;
		}
	}
	*nrr = n;
	return off == len;
}

#define RR_MAX 64

int tkey_answer(const uint8_t *w, size_t len, const char *keyname, struct tkey_answer *a,
		char *why, size_t whylen)
{
	size_t rr[RR_MAX], n;
	unsigned counts[3];
	uint8_t want[NAME_WIRE_MAX], name[NAME_WIRE_MAX];
	size_t wl = name_wire(keyname, want);
	memset(a, 0, sizeof(*a));
	if (!wl || !records(w, len, rr, counts, RR_MAX, &n)) {
		snprintf(why, whylen, "malformed TKEY response");
		return -EBADMSG;
	}
	if (n && counts[2]) {
		size_t last = rr[n - 1], off;
		if (name_read(w, len, last, name, &off) && get16(w + off) == TSIG_TYPE)
			a->signed_ = true;
	}
	for (unsigned i = 0; i < counts[0]; i++) {
		size_t off;
		size_t nl = name_read(w, len, rr[i], name, &off);
		if (!nl || get16(w + off) != TKEY_TYPE)
			continue;
		if (nl != wl || memcmp(name, want, wl))
			continue;
		size_t rdlen = get16(w + off + 8), p = off + 10, end = p + rdlen;
		uint8_t alg[NAME_WIRE_MAX];
		if (!name_read(w, end, p, alg, &p) || p + 16 > end)
			break;
		a->inception = get32(w + p);
		a->expiration = get32(w + p + 4);
		a->mode = get16(w + p + 8);
		a->error = get16(w + p + 10);
		a->keylen = get16(w + p + 12);
		p += 14;
		if (p + a->keylen + 2 > end || p + a->keylen + 2 + get16(w + p + a->keylen) != end)
			break;
		a->key = w + p;
		return 0;
	}
	snprintf(why, whylen, "no TKEY record for %s in the answer", keyname);
	return -EBADMSG;
}

size_t gsstsig_size(const char *keyname, const char *alg, size_t mic_max)
{
	/* owner, type class TTL rdlen, alg, time fudge, MAC size, MAC, ID
	 * error other-len */
	return strlen(keyname) + 2 + 10 + strlen(alg) + 2 + 8 + 2 + mic_max + 6;
}

/* The TSIG variables (RFC 8945 4.3.3) after the message in d[o..]. */
static size_t tsig_vars(uint8_t *d, size_t o, const uint8_t *kn, size_t kl, const uint8_t *an,
			size_t al, uint64_t signed_at, unsigned fudge, unsigned error,
			const uint8_t *other, size_t otherlen)
{
	memcpy(d + o, kn, kl);
	o += kl;
	put16(d + o, CLASS_ANY);
	put32(d + o + 2, 0);
	o += 6;
	memcpy(d + o, an, al);
	o += al;
	put16(d + o, (unsigned)(signed_at >> 32));
	put32(d + o + 2, (uint32_t)signed_at);
	put16(d + o + 6, fudge);
	put16(d + o + 8, error);
	put16(d + o + 10, (unsigned)otherlen);
	o += 12;
	if (otherlen)
		memcpy(d + o, other, otherlen);
	return o + otherlen;
}

int gsstsig_sign(uint8_t *wire, size_t *len, size_t cap, const char *keyname, const char *alg,
		 uint64_t now, gsstsig_mic_fn *mic, void *ctx, uint8_t *req_mac, size_t req_cap,
		 size_t *req_mac_len)
{
	uint8_t kn[NAME_WIRE_MAX], an[NAME_WIRE_MAX];
	size_t kl = name_wire(keyname, kn), al = name_wire(alg, an), l = *len;
	if (!kl || !al || l < 12 || l > 65535)
		return -EINVAL;
	uint8_t *d = malloc(l + NAME_WIRE_MAX * 2 + 32);
	if (!d)
		return -ENOMEM;
	memcpy(d, wire, l);
	size_t dl = tsig_vars(d, l, kn, kl, an, al, now, TSIG_FUDGE, 0, NULL, 0);
	uint8_t mac[1024];
	size_t ml = 0;
	int rc = mic(ctx, d, dl, mac, sizeof(mac), &ml);
	free(d);
	if (rc < 0)
		return rc;
	if (ml > sizeof(mac) || ml > req_cap)
		return -EMSGSIZE;
	size_t rdlen = al + 6 + 2 + 2 + ml + 6;
	if (l + kl + 10 + rdlen > cap || l + kl + 10 + rdlen > 65535)
		return -EMSGSIZE;
	uint8_t *p = wire + l;
	memcpy(p, kn, kl);
	p += kl;
	put16(p, TSIG_TYPE);
	put16(p + 2, CLASS_ANY);
	put32(p + 4, 0);
	put16(p + 8, (unsigned)rdlen);
	p += 10;
	memcpy(p, an, al);
	p += al;
	put16(p, (unsigned)(now >> 32));
	put32(p + 2, (uint32_t)now);
	put16(p + 6, TSIG_FUDGE);
	put16(p + 8, (unsigned)ml);
	p += 10;
	memcpy(p, mac, ml);
	p += ml;
	put16(p, get16(wire)); /* original ID */
	put16(p + 2, 0);       /* error */
	put16(p + 4, 0);       /* other len */
	p += 6;
	put16(wire + 10, get16(wire + 10) + 1);
	*len = (size_t)(p - wire);
	memcpy(req_mac, mac, ml);
	*req_mac_len = ml;
	return 0;
}

int gsstsig_digest(const uint8_t *wire, size_t len, const uint8_t *req_mac, size_t req_mac_len,
		   bool len_prefix, uint8_t **out, size_t *outlen, const uint8_t **mac,
		   size_t *maclen)
{
	size_t rr[RR_MAX], n, off;
	unsigned counts[3];
	uint8_t kn[NAME_WIRE_MAX], an[NAME_WIRE_MAX];
	if (!records(wire, len, rr, counts, RR_MAX, &n) || !n || !counts[2] || req_mac_len > 65535)
		return -EBADMSG;
	size_t t = rr[n - 1];
	size_t kl = name_read(wire, len, t, kn, &off);
	if (!kl || get16(wire + off) != TSIG_TYPE || get16(wire + off + 2) != CLASS_ANY)
		return -EBADMSG;
	size_t end = off + 10 + get16(wire + off + 8), p = off + 10;
	size_t al = name_read(wire, end, p, an, &p);
	if (!al || p + 10 > end)
		return -EBADMSG;
	uint64_t signed_at = ((uint64_t)get16(wire + p) << 32) | get32(wire + p + 2);
	unsigned fudge = get16(wire + p + 6);
	size_t ml = get16(wire + p + 8);
	p += 10;
	if (p + ml + 6 > end)
		return -EBADMSG;
	const uint8_t *m = wire + p;
	p += ml;
	unsigned orig_id = get16(wire + p), error = get16(wire + p + 2);
	size_t otherlen = get16(wire + p + 4);
	p += 6;
	if (p + otherlen != end)
		return -EBADMSG;
	const uint8_t *other = wire + p;
	size_t need = (req_mac ? 2 + req_mac_len : 0) + t + kl + 6 + al + 12 + otherlen;
	uint8_t *d = malloc(need);
	if (!d)
		return -ENOMEM;
	size_t o = 0;
	if (req_mac) {
		if (len_prefix) {
			put16(d, (unsigned)req_mac_len);
			o = 2;
		}
		memcpy(d + o, req_mac, req_mac_len);
		o += req_mac_len;
	}
	memcpy(d + o, wire, t);
	put16(d + o, orig_id);
	put16(d + o + 10, get16(wire + 10) - 1);
	o += t;
	o = tsig_vars(d, o, kn, kl, an, al, signed_at, fudge, error, other, otherlen);
	*out = d;
	*outlen = o;
	*mac = m;
	*maclen = ml;
	return 0;
}
