/* The UPDATE builder: operations to an ldns packet, cut to fit. */
#include <errno.h>
#include <stdbool.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "build.h"

size_t dns_tsig_size(const char *key_name, const char *alg_wire, size_t mac_len)
{
	/* owner, type, class, TTL, RDLENGTH (uncompressed, so an upper
	 * bound); algorithm, time signed 6, fudge 2, MAC size 2, MAC,
	 * original ID 2, error 2, other length 2, no other data */
	size_t kl = strlen(key_name), al = strlen(alg_wire);
	size_t kw = kl && key_name[kl - 1] == '.' ? kl + 1 : kl + 2;
	size_t aw = al && alg_wire[al - 1] == '.' ? al + 1 : al + 2;
	return kw + 10 + aw + 16 + mac_len;
}

/* What the presentation-form parser would read as a separator, a comment or
 * an escape: never in the engine's names and addresses. */
#define BAD_CHARS " \t\r\n;\"()\\$@"

/* One operation as an update RR (RFC 2136 2.5) or a prerequisite RR
 * (2.4), or NULL. */
static ldns_rr *op_rr(const struct dns_op *op, uint32_t ttl)
{
	ldns_rr_type type = op->type == DNS_T_A	     ? LDNS_RR_TYPE_A
			    : op->type == DNS_T_AAAA  ? LDNS_RR_TYPE_AAAA
			    : op->type == DNS_T_PTR   ? LDNS_RR_TYPE_PTR
			    : op->type == DNS_T_DHCID ? LDNS_RR_TYPE_DHCID
						      : 0;
	ldns_rr *rr = NULL;
	if (op->kind == DNS_OP_PRE_NXDOMAIN)
		type = LDNS_RR_TYPE_ANY;
	if (!type || !memchr(op->owner, 0, sizeof(op->owner)) ||
	    !memchr(op->rdata, 0, sizeof(op->rdata)))
		return NULL;
	if (op->kind == DNS_OP_DELETE_RRSET || op->kind == DNS_OP_PRE_NXDOMAIN) {
		/* 2.5.2: class ANY, TTL 0, no RDATA; 2.4.5 (name not in
		 * use): class NONE, type ANY, TTL 0, no RDATA */
		ldns_rdf *owner = ldns_dname_new_frm_str(op->owner);
		if (!owner || !(rr = ldns_rr_new())) {
			ldns_rdf_deep_free(owner);
			return NULL;
		}
		ldns_rr_set_owner(rr, owner);
		ldns_rr_set_ttl(rr, 0);
		ldns_rr_set_class(rr, op->kind == DNS_OP_PRE_NXDOMAIN ? LDNS_RR_CLASS_NONE
								       : LDNS_RR_CLASS_ANY);
		ldns_rr_set_type(rr, type);
		return rr;
	}
	if ((op->kind != DNS_OP_ADD && op->kind != DNS_OP_PRE_YXRR) || !op->rdata[0] ||
	    strpbrk(op->owner, BAD_CHARS) || strpbrk(op->rdata, BAD_CHARS))
		return NULL; /* one name and one datum each, nothing to parse */
	char text[DNS_NAME_MAX * 2 + 64];
	/* 2.4.2 (RRset exists, value dependent): the zone's class, TTL 0 */
	snprintf(text, sizeof(text), "%s %u IN %s %s", op->owner,
		 op->kind == DNS_OP_PRE_YXRR ? 0 : ttl,
		 type == LDNS_RR_TYPE_A	    ? "A"
		 : type == LDNS_RR_TYPE_AAAA ? "AAAA"
		 : type == LDNS_RR_TYPE_PTR  ? "PTR"
					     : "DHCID",
		 op->rdata);
	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		return NULL;
	if (op->kind == DNS_OP_PRE_YXRR)
		ldns_rr_set_ttl(rr, 0);
	return rr;
}

/* The packet with rrs[0..n) and its wire size, or NULL; pre[i]: rrs[i] is
 * a prerequisite. */
static ldns_pkt *make(const ldns_rdf *zone, ldns_rr *const *rrs, const bool *pre, size_t n,
		      size_t *len)
{
	ldns_rr_list *up = ldns_rr_list_new(), *pr = ldns_rr_list_new();
	ldns_rdf *z = ldns_rdf_clone(zone);
	for (size_t i = 0; up && pr && i < n; i++)
		if (!ldns_rr_list_push_rr(pre[i] ? pr : up, rrs[i])) {
			ldns_rr_list_free(up);
			up = NULL;
		}
	if (!pr) {
		ldns_rr_list_free(up);
		up = NULL;
	}
	/* ldns_update_pkt_new copies the list; it keeps the zone name */
	ldns_pkt *p = up && z ? ldns_update_pkt_new(z, LDNS_RR_CLASS_IN, pr, up, NULL) : NULL;
	ldns_rr_list_free(up); /* the lists, not the records: still ours */
	ldns_rr_list_free(pr);
	if (!p) {
		ldns_rdf_deep_free(z);
		return NULL;
	}
	ldns_pkt_set_rd(p, false);
	ldns_pkt_set_edns_udp_size(p, DNS_EDNS_UDP);
	uint8_t *w = NULL;
	if (ldns_pkt2wire(&w, p, len) != LDNS_STATUS_OK) {
		ldns_pkt_free(p);
		return NULL;
	}
	free(w);
	return p;
}

int dns_update_build(const char *zone, const struct dns_op *const *ops, size_t nops,
		     uint32_t ttl, size_t limit, struct dns_update *u)
{
	memset(u, 0, sizeof(*u));
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	ldns_rr **rrs = calloc(nops ? nops : 1, sizeof(*rrs));
	bool *pre = calloc(nops ? nops : 1, sizeof(*pre));
	/* ends[g]: where the g-th owner's run of operations ends */
	size_t *ends = calloc(nops ? nops : 1, sizeof(*ends)), ng = 0, all = nops;
	int rc = -ENOMEM;
	if (!z || !rrs || !ends || !pre) {
		if (!z && rrs && ends && pre)
			rc = -EINVAL;
		goto out;
	}
	for (size_t i = 0; i < nops; i++) {
		pre[i] = ops[i]->kind == DNS_OP_PRE_NXDOMAIN || ops[i]->kind == DNS_OP_PRE_YXRR;
		if (!(rrs[i] = op_rr(ops[i], ttl))) {
			u->owner = ops[i]->owner;
			rc = -EINVAL;
			goto out;
		}
		if (i && strcasecmp(ops[i]->owner, ops[i - 1]->owner))
			ends[ng++] = i;
	}
	if (nops)
		ends[ng++] = nops;
	/* Most often all of it fits; else the largest number of whole
	 * owners that does (the size only grows with each record). */
	size_t len;
	ldns_pkt *p = make(z, rrs, pre, nops, &len);
	if (!p)
		goto out;
	if (len > limit) {
		size_t lo = 0, hi = ng; /* lo owners fit, hi do not */
		ldns_pkt *best = NULL;
		size_t blen = 0;
		while (hi - lo > 1) {
			size_t mid = lo + (hi - lo) / 2, ml;
			ldns_pkt *q = make(z, rrs, pre, ends[mid - 1], &ml);
			if (!q) {
				ldns_pkt_free(best);
				ldns_pkt_free(p);
				goto out;
			}
			if (ml <= limit) {
				ldns_pkt_free(best);
				best = q;
				blen = ml;
				lo = mid;
			} else {
				ldns_pkt_free(q);
				hi = mid;
			}
		}
		if (!lo) {
			ldns_pkt_free(p);
			p = ng > 1 ? make(z, rrs, pre, ends[0], &len) : NULL;
			if (ng > 1 && !p)
				goto out;
			ldns_pkt_free(p);
			u->need = len;
			u->owner = ops[0]->owner;
			rc = -EMSGSIZE;
			goto out;
		}
		ldns_pkt_free(p);
		p = best;
		len = blen;
		nops = ends[lo - 1];
	}
	u->pkt = p;
	u->taken = nops;
	u->wire_len = len;
	rc = 0;
out:
	for (size_t i = 0; rrs && i < all; i++)
		ldns_rr_free(rrs[i]);
	free(rrs);
	free(pre);
	free(ends);
	ldns_rdf_deep_free(z);
	return rc;
}
