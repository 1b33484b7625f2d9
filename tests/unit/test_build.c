/* The UPDATE builder: every change fits, or the message is cut between
 * owner names under the limit, or one name over the limit is refused. */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../plugins/dns/build.h"
#include "tap.h"

static struct dns_op ops[3000];
static const struct dns_op *refs[3000];

/* n ops: for each of names owners, a delete of its AAAA set and per addrs
 * AAAA records. */
static size_t make_ops(size_t names, size_t addrs)
{
	size_t n = 0;
	for (size_t i = 0; i < names; i++) {
		struct dns_op *o = &ops[n];
		memset(o, 0, sizeof(*o));
		o->kind = DNS_OP_DELETE_RRSET;
		o->type = DNS_T_AAAA;
		snprintf(o->owner, sizeof(o->owner), "h%zu.example.test.", i);
		refs[n] = &ops[n];
		n++;
		for (size_t k = 0; k < addrs; k++) {
			o = &ops[n];
			memset(o, 0, sizeof(*o));
			o->kind = DNS_OP_ADD;
			o->type = DNS_T_AAAA;
			snprintf(o->owner, sizeof(o->owner), "H%zu.example.test.", i); /* any case */
			snprintf(o->rdata, sizeof(o->rdata), "2001:db8::%zx", k + 1);
			refs[n] = &ops[n];
			n++;
		}
	}
	return n;
}

static size_t wire_size(void *pkt)
{
	uint8_t *w = NULL;
	size_t len = 0;
	ldns_pkt2wire(&w, pkt, &len);
	free(w);
	return len;
}

int main(void)
{
	struct dns_update u;
	size_t n = make_ops(2, 3);
	int rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX, &u);
	ok(rc == 0 && u.taken == n, "a small UPDATE: every change (%d, %zu of %zu)", rc, u.taken, n);
	ok(u.pkt && ldns_pkt_nscount(u.pkt) == n && ldns_pkt_get_opcode(u.pkt) == LDNS_PACKET_UPDATE,
	   "in the update section");
	ok(u.pkt && wire_size(u.pkt) == u.wire_len && ldns_pkt_edns(u.pkt),
	   "wire_len is its size, with the EDNS OPT (%zu)", u.wire_len);
	ldns_pkt_free(u.pkt);

	/* 4 names x 600: about 67 kB, cut between names */
	n = make_ops(4, 600);
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX - 100, &u);
	ok(rc == 0 && u.taken > 0 && u.taken < n && u.taken % 601 == 0,
	   "4 x 600 AAAA: cut after a whole name (%d, %zu of %zu)", rc, u.taken, n);
	ok(u.wire_len <= DNS_MSG_MAX - 100 && wire_size(u.pkt) == u.wire_len,
	   "under the limit (%zu)", u.wire_len);
	size_t first = u.taken;
	ldns_pkt_free(u.pkt);
	rc = dns_update_build("example.test.", refs + first, n - first, 300, DNS_MSG_MAX - 100, &u);
	ok(rc == 0 && u.taken == n - first, "the rest fits in a second (%zu)", u.taken);
	ldns_pkt_free(u.pkt);

	/* a small limit: as many whole names as fit, exactly */
	n = make_ops(5, 3);
	size_t full;
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX, &u);
	full = u.wire_len;
	ldns_pkt_free(u.pkt);
	for (size_t lim = 40; lim <= full + 1; lim++) {
		rc = dns_update_build("example.test.", refs, n, 300, lim, &u);
		if (rc == 0 && (u.wire_len > lim || u.taken % 4 || !u.taken)) {
			ok(0, "limit %zu: %zu bytes, %zu ops", lim, u.wire_len, u.taken);
			break;
		}
		if (rc == 0 && u.taken < n) { /* one more name would not fit */
			struct dns_update v;
			int r2 = dns_update_build("example.test.", refs, u.taken + 4, 300, 65535, &v);
			if (r2 || v.wire_len <= lim) {
				ok(0, "limit %zu: cut at %zu ops, but %zu ops fit", lim, u.taken,
				   u.taken + 4);
				ldns_pkt_free(v.pkt);
				ldns_pkt_free(u.pkt);
				break;
			}
			ldns_pkt_free(v.pkt);
		}
		if (rc == -EMSGSIZE && (u.need <= lim || strcmp(u.owner, "h0.example.test."))) {
			ok(0, "limit %zu: refused, need %zu, owner %s", lim, u.need, u.owner);
			break;
		}
		ldns_pkt_free(u.pkt);
		if (lim == full + 1)
			ok(1, "every limit from 40 to %zu bytes: the most whole names that fit", full + 1);
	}

	/* one name over the limit on its own */
	n = make_ops(1, 2400);
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX - 100, &u);
	ok(rc == -EMSGSIZE && u.need > DNS_MSG_MAX - 100 && !strcmp(u.owner, "h0.example.test.") &&
		   !u.pkt,
	   "one name of 2,400 AAAA: -EMSGSIZE, %zu bytes, %s", u.need, u.owner);

	/* RFC 4703: prerequisites go in their own section, DHCID records in
	 * the update section */
	{
		static const struct dns_op claim[] = {
			{DNS_OP_PRE_NXDOMAIN, 0, "a.example.test.", ""},
			{DNS_OP_ADD, DNS_T_A, "a.example.test.", "192.0.2.1"},
			{DNS_OP_ADD, DNS_T_DHCID, "a.example.test.", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="},
			{DNS_OP_PRE_YXRR, DNS_T_DHCID, "b.example.test.", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="},
			{DNS_OP_DELETE_RRSET, DNS_T_A, "b.example.test.", ""},
		};
		const struct dns_op *cr[5];
		for (int i = 0; i < 5; i++)
			cr[i] = &claim[i];
		rc = dns_update_build("example.test.", cr, 5, 300, DNS_MSG_MAX, &u);
		ok(rc == 0 && u.taken == 5 && ldns_pkt_ancount(u.pkt) == 2 && ldns_pkt_nscount(u.pkt) == 3,
		   "DHCID claim: 2 prerequisites, 3 updates (%d)", rc);
		if (rc == 0) {
			ldns_rr *nx = ldns_rr_list_rr(ldns_pkt_answer(u.pkt), 0);
			ldns_rr *yx = ldns_rr_list_rr(ldns_pkt_answer(u.pkt), 1);
			ok(ldns_rr_get_class(nx) == LDNS_RR_CLASS_NONE && ldns_rr_get_type(nx) == LDNS_RR_TYPE_ANY &&
			   ldns_rr_ttl(nx) == 0 && ldns_rr_rd_count(nx) == 0,
			   "name not in use: class NONE, type ANY, TTL 0 (RFC 2136 2.4.5)");
			ok(ldns_rr_get_class(yx) == LDNS_RR_CLASS_IN && ldns_rr_get_type(yx) == LDNS_RR_TYPE_DHCID &&
			   ldns_rr_ttl(yx) == 0 && ldns_rr_rd_count(yx) == 1,
			   "RRset exists (value dependent): class IN, TTL 0, the DHCID (2.4.2)");
			ldns_rr *dh = ldns_rr_list_rr(ldns_pkt_authority(u.pkt), 1);
			ok(ldns_rr_get_type(dh) == LDNS_RR_TYPE_DHCID && ldns_rr_ttl(dh) == 300 &&
			   ldns_rdf_size(ldns_rr_rdf(dh, 0)) == 35, "the DHCID added: 35 bytes of RDATA");
		}
		ldns_pkt_free(u.pkt);
	}

	/* operations that cannot be encoded */
	n = make_ops(1, 2);
	snprintf(ops[2].rdata, sizeof(ops[2].rdata), "not-an-address");
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX, &u);
	ok(rc == -EINVAL && u.owner && !u.pkt, "a bad address: -EINVAL (%d)", rc);
	snprintf(ops[2].rdata, sizeof(ops[2].rdata), "2001:db8::1 ; x");
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX, &u);
	ok(rc == -EINVAL, "text after the address: -EINVAL (%d)", rc);
	snprintf(ops[2].rdata, sizeof(ops[2].rdata), "2001:db8::1");
	ops[2].type = 99;
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX, &u);
	ok(rc == -EINVAL, "an unknown type: -EINVAL (%d)", rc);
	rc = dns_update_build("example.test.", refs, 0, 300, DNS_MSG_MAX, &u);
	ok(rc == 0 && u.taken == 0 && u.pkt, "no operations: an empty UPDATE");
	ldns_pkt_free(u.pkt);

	/* the TSIG estimate is at least what signing adds */
	n = make_ops(2, 2);
	rc = dns_update_build("example.test.", refs, n, 300, DNS_MSG_MAX, &u);
	ldns_pkt_set_id(u.pkt, 1);
	size_t before = wire_size(u.pkt);
	const char *algs[][2] = {{"hmac-sha256.", "32"}, {"hmac-sha512.", "64"}};
	for (int i = 0; i < 2; i++) {
		ldns_pkt *p = ldns_pkt_clone(u.pkt);
		ldns_pkt_tsig_sign(p, "a-long-key-name.example.test.",
				   "T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE=", 300, algs[i][0], NULL);
		size_t est = dns_tsig_size("a-long-key-name.example.test.", algs[i][0],
					   (size_t)atoi(algs[i][1]));
		size_t got = wire_size(p) - before;
		/* equal but for ldns compressing the key name against the zone */
		ok(got <= est && est - got <= 16, "%s: TSIG adds %zu bytes, estimated %zu", algs[i][0],
		   got, est);
		ldns_pkt_free(p);
	}
	ok(dns_tsig_size("k", "hmac-sha256", 32) == dns_tsig_size("k.", "hmac-sha256.", 32),
	   "with or without the trailing dot");
	ldns_pkt_free(u.pkt);
	return tap_done();
}
