/* The UPDATE builder: operations made from the input (names, addresses
 * and raw strings), a size limit from its first two bytes.  What it builds
 * must be under the limit, cut only between owner names, and parse back. */
#include <arpa/inet.h>
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../../plugins/dns/build.h"

#define MAX_OPS 2048

static struct dns_op ops[MAX_OPS];
static const struct dns_op *refs[MAX_OPS];

static const char *const owners[] = {
	"h.example.test.", "H.EXAMPLE.test.", "other.example.test.", "example.test.",
	"1.0.0.127.in-addr.arpa.", "a.b.c.d.e.f.example.test.", "x.", ".",
};

/* A raw string of up to max bytes from the input into out (NUL-terminated). */
static size_t raw(const uint8_t *d, size_t n, char *out, size_t max)
{
	size_t l = n ? d[0] % max : 0;
	if (l > n - (n ? 1 : 0))
		l = n ? n - 1 : 0;
	memcpy(out, d + 1, l);
	out[l] = 0;
	return n ? l + 1 : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t limit = 12 + (((size_t)data[0] << 8) | data[1]);
	size_t off = 2, n = 0;
	while (off < size && n < MAX_OPS) {
		uint8_t c = data[off++];
		struct dns_op *o = &ops[n];
		memset(o, 0, sizeof(*o));
		o->kind = c & 1 ? DNS_OP_ADD : DNS_OP_DELETE_RRSET;
		static const uint16_t types[] = {DNS_T_A, DNS_T_AAAA, DNS_T_PTR, 99};
		o->type = types[(c >> 1) & 3];
		if (c & 0x80)
			off += raw(data + off, size - off, o->owner, 64);
		else
			snprintf(o->owner, sizeof(o->owner), "%s", owners[(c >> 3) & 7]);
		if (o->kind == DNS_OP_ADD) {
			if (c & 0x40) {
				off += raw(data + off, size - off, o->rdata, 64);
			} else if (o->type == DNS_T_AAAA && size - off >= 16) {
				inet_ntop(AF_INET6, data + off, o->rdata, sizeof(o->rdata));
				off += 16;
			} else if (size - off >= 4) {
				if (o->type == DNS_T_PTR)
					snprintf(o->rdata, sizeof(o->rdata), "%s", owners[data[off] & 7]);
				else
					inet_ntop(AF_INET, data + off, o->rdata, sizeof(o->rdata));
				off += 4;
			}
		}
		refs[n] = o;
		n++;
	}
	struct dns_update u;
	int rc = dns_update_build("example.test.", refs, n, 300, limit, &u);
	if (rc == 0) {
		uint8_t *w = NULL;
		size_t len = 0;
		ldns_pkt *back = NULL;
		if (!u.pkt || u.taken > n || u.wire_len > limit)
			abort();
		if (u.taken < n && (!u.taken || !strcasecmp(ops[u.taken].owner, ops[u.taken - 1].owner)))
			abort(); /* cut inside a name's operations */
		if (ldns_pkt2wire(&w, u.pkt, &len) != LDNS_STATUS_OK || len != u.wire_len ||
		    ldns_pkt_nscount(u.pkt) != u.taken)
			abort();
		if (ldns_wire2pkt(&back, w, len) != LDNS_STATUS_OK ||
		    ldns_pkt_nscount(back) != u.taken)
			abort(); /* it must parse back as it was built */
		ldns_pkt_free(back);
		free(w);
		ldns_pkt_free(u.pkt);
	} else if (rc == -EMSGSIZE) {
		if (u.pkt || u.need <= limit || !u.owner)
			abort();
	} else if (rc != -EINVAL && rc != -ENOMEM) {
		abort();
	} else if (u.pkt) {
		abort();
	}
	return 0;
}
