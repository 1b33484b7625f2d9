/* Checking DNS responses (see verify.h): TSIG, the question, the SOA. */
#include <errno.h>
#include <ldns/ldns.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tkey.h"
#include "verify.h"

const char *tsig_alg_name(const char *algorithm, size_t *mac_len)
{
	/* hmac-md5: RFC 8945 says MUST NOT; hmac-sha384: ldns 1.8.3 gets it
	 * wrong, so it is refused rather than half supported. */
	static const struct {
		const char *name, *wire;
		size_t len;
	} algs[] = {
		{"hmac-sha256", "hmac-sha256.", 32},
		{"hmac-sha224", "hmac-sha224.", 28},
		{"hmac-sha512", "hmac-sha512.", 64},
		{"hmac-sha1", "hmac-sha1.", 20},
	};
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (!strcasecmp(algorithm, algs[i].name)) {
			if (mac_len)
				*mac_len = algs[i].len;
			return algs[i].wire;
		}
	return NULL;
}

const char *dns_rcode_name(int rcode)
{
	static const char *const n[] = {"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP",
					"REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH",
					"NOTZONE"};
	switch (rcode) {
	case 16: return "BADSIG";
	case 17: return "BADKEY";
	case 18: return "BADTIME";
	case 22: return "BADTRUNC";
	}
	return rcode >= 0 && rcode < (int)(sizeof(n) / sizeof(n[0])) ? n[rcode] : "RCODE?";
}

static uint64_t rdf_u48(const ldns_rdf *r)
{
	const uint8_t *d = ldns_rdf_data(r);
	if (ldns_rdf_size(r) != 6)
		return 0;
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = (v << 8) | d[i];
	return v;
}

static unsigned rdf_u16(const ldns_rdf *r)
{
	return ldns_rdf_size(r) == 2 ? ldns_rdf2native_int16(r) : 0;
}

static bool same_name(const ldns_rdf *r, const char *name)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	bool same = n && ldns_dname_compare(r, n) == 0;
	ldns_rdf_deep_free(n);
	return same;
}

/* Skip a (possibly compressed) name; returns the offset after it or 0. */
static size_t skip_name(const uint8_t *w, size_t len, size_t off)
{
	for (int labels = 0; off < len && labels < 128; labels++) {
		uint8_t l = w[off];
		if (l == 0)
			return off + 1;
		if ((l & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (l > 63)
			return 0;
		off += 1 + (size_t)l;
	}
	return 0;
}

/* Every section complete, nothing after it, and a TSIG RR only as the last
 * record (RFC 8945 5.1).  ldns 1.8.3 leaks the TSIG RR of a message whose
 * additional section is cut short, and every TSIG RR but the last of a
 * message with several (found by fuzzing); anyone can send us such a
 * datagram: only well-formed messages reach ldns. */
static bool wellformed(const uint8_t *w, size_t len)
{
	if (len < 12)
		return false;
	size_t off = 12;
	unsigned counts[4];
	for (int i = 0; i < 4; i++)
		counts[i] = ((unsigned)w[4 + 2 * i] << 8) | w[5 + 2 * i];
	for (unsigned q = 0; q < counts[0]; q++) {
		if (!(off = skip_name(w, len, off)) || off + 4 > len)
			return false;
		off += 4;
	}
	for (int sec = 1; sec < 4; sec++)
		for (unsigned r = 0; r < counts[sec]; r++) {
			if (!(off = skip_name(w, len, off)) || off + 10 > len)
				return false;
			unsigned type = ((unsigned)w[off] << 8) | w[off + 1];
			if (type == LDNS_RR_TYPE_TSIG && (sec != 3 || r + 1 != counts[sec]))
				return false;
			size_t rdlen = ((size_t)w[off + 8] << 8) | w[off + 9];
			off += 10 + rdlen;
			if (off > len)
				return false;
		}
	return off == len;
}

static enum dns_verdict ignore(struct dns_answer *a, ldns_pkt *p, const char *why)
{
	snprintf(a->detail, sizeof(a->detail), "%s", why);
	ldns_pkt_free(p);
	a->pkt = NULL;
	return DNS_V_IGNORE;
}

static enum dns_verdict unverified(struct dns_answer *a, ldns_pkt *p, int tsig_error)
{
	a->tsig_error = tsig_error;
	if (tsig_error)
		snprintf(a->detail, sizeof(a->detail), "%s (TSIG error, unsigned answer)",
			 dns_rcode_name(tsig_error));
	else
		snprintf(a->detail, sizeof(a->detail), "%s (unsigned answer)",
			 dns_rcode_name(a->rcode));
	ldns_pkt_free(p);
	a->pkt = NULL;
	return DNS_V_UNVERIFIED;
}

/* The server's GSS MIC over the response.  Samba's DNS server computes it
 * over the request MAC without its 2-byte length (RFC 8945 4.3.3 has it);
 * such a MIC still binds the answer to our request and to the security
 * context, which only the server holds, so it is accepted as verified,
 * and said so (a->mac_no_len). */
static bool gss_check(const struct dns_expect *x, const uint8_t *wire, size_t len,
		      struct dns_answer *a)
{
	for (int strict = 1; strict >= 0; strict--) {
		uint8_t *d;
		size_t dl, ml;
		const uint8_t *mac;
		if (gsstsig_digest(wire, len, x->req_mac_len ? x->req_mac : NULL, x->req_mac_len,
				   strict, &d, &dl, &mac, &ml) < 0)
			return false;
		bool good = ml && x->gss_verify(x->gss_ctx, d, dl, mac, ml);
		free(d);
		if (good) {
			a->mac_no_len = !strict;
			return true;
		}
		if (!x->req_mac_len)
			break;
	}
	return false;
}

enum dns_verdict dns_response_check(const uint8_t *wire, size_t len, const struct dns_expect *x,
				    time_t now, struct dns_answer *a)
{
	ldns_pkt *p = NULL;
	memset(a, 0, sizeof(*a));
	if (len < LDNS_HEADER_SIZE || len > 65535 || !wellformed(wire, len) ||
	    ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK)
		return ignore(a, p, "malformed message");
	if (ldns_pkt_id(p) != x->id)
		return ignore(a, p, "wrong ID");
	if (!ldns_pkt_qr(p) || (int)ldns_pkt_get_opcode(p) != x->opcode)
		return ignore(a, p, "not a response to our request");
	ldns_rr_list *q = ldns_pkt_question(p);
	if (ldns_rr_list_rr_count(q) != 1 || ldns_rr_get_type(ldns_rr_list_rr(q, 0)) != x->qtype ||
	    ldns_rr_get_class(ldns_rr_list_rr(q, 0)) != (x->qclass ? x->qclass : LDNS_RR_CLASS_IN) ||
	    !same_name(ldns_rr_owner(ldns_rr_list_rr(q, 0)), x->qname))
		return ignore(a, p, "question does not match");
	if (ldns_pkt_tc(p)) {
		snprintf(a->detail, sizeof(a->detail), "truncated");
		ldns_pkt_free(p);
		return DNS_V_TRUNCATED;
	}
	a->rcode = ldns_pkt_get_rcode(p);
	if (x->key || x->gss_key) {
		ldns_rr *t = ldns_pkt_tsig(p);
		size_t full = 0;
		const char *alg = x->gss_key ? x->gss_alg : tsig_alg_name(x->key->algorithm, &full);
		const char *key_name = x->gss_key ? x->gss_key : x->key->name;
		if (!t && (a->rcode == LDNS_RCODE_REFUSED || a->rcode == LDNS_RCODE_NOTAUTH))
			return unverified(a, p, 0);
		if (!t || ldns_rr_rd_count(t) < 7)
			return ignore(a, p, "unsigned response to a signed request");
		if (!alg || !same_name(ldns_rr_owner(t), key_name) ||
		    !same_name(ldns_rr_rdf(t, 0), alg))
			return ignore(a, p, "response signed with another key or algorithm");
		uint64_t signed_at = rdf_u48(ldns_rr_rdf(t, 1));
		unsigned fudge = rdf_u16(ldns_rr_rdf(t, 2));
		const ldns_rdf *mac = ldns_rr_rdf(t, 3);
		size_t mac_len = ldns_rdf_size(mac) >= 2 ? ldns_rdf_size(mac) - 2 : 0;
		unsigned error = rdf_u16(ldns_rr_rdf(t, 5));
		const ldns_rdf *other = ldns_rr_rdf(t, 6);
		if (error == 16 || error == 17) {
			/* BADSIG, BADKEY: the server could not check us and
			 * answers unsigned, with rcode NOTAUTH (RFC 8945 5.3.2). */
			if (mac_len != 0)
				return ignore(a, p, "BADSIG/BADKEY response with a MAC");
			if (a->rcode != LDNS_RCODE_NOTAUTH)
				return ignore(a, p, "BADSIG/BADKEY response without rcode NOTAUTH");
			return unverified(a, p, (int)error);
		}
		bool good;
		if (x->gss_key) {
			good = gss_check(x, wire, len, a);
		} else {
			/* RFC 8945 5.2.2.1: a MAC shorter than the one we sent
			 * is not accepted; we send full-length MACs. */
			if (mac_len != full || mac_len < x->req_mac_len)
				return ignore(a, p, "truncated or oversized TSIG MAC");
			uint8_t buf[2 + 64];
			size_t rl = x->req_mac_len > 64 ? 64 : x->req_mac_len;
			buf[0] = (uint8_t)(rl >> 8);
			buf[1] = (uint8_t)rl;
			memcpy(buf + 2, x->req_mac, rl);
			ldns_rdf *req_mac =
				ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, rl + 2, buf);
			good = req_mac && ldns_pkt_tsig_verify(p, wire, len, x->key->name,
								x->key->secret_b64, req_mac);
			ldns_rdf_deep_free(req_mac);
		}
		if (!good && a->rcode && mac_len && mac_len == x->req_mac_len &&
		    !memcmp(ldns_rdf_data(mac) + 2, x->req_mac, mac_len)) {
			/* An error answer that carries our own request's TSIG
			 * back: the server did not sign it (Samba's SERVFAIL),
			 * so it is no more than an unsigned error answer. */
			enum dns_verdict v = unverified(a, p, 0);
			snprintf(a->detail, sizeof(a->detail), "%s (answer not signed by the server: "
				 "it carries our own MAC back)", dns_rcode_name(a->rcode));
			return v;
		}
		if (!good)
			return ignore(a, p, "TSIG MAC does not verify");
		if (error == 18) {
			/* BADTIME: signed; Other Data holds the server's clock. */
			uint64_t server = signed_at;
			if (ldns_rdf_size(other) == 8) {
				const uint8_t *o = ldns_rdf_data(other) + 2;
				server = 0;
				for (int i = 0; i < 6; i++)
					server = (server << 8) | o[i];
			}
			a->tsig_error = 18;
			a->skew = (long long)server - (long long)now;
			snprintf(a->detail, sizeof(a->detail),
				 "BADTIME: our clock differs from the server's by %+lld s (fudge %u s)",
				 -a->skew, fudge);
			a->pkt = p;
			return DNS_V_ACCEPT;
		}
		if (error) {
			a->tsig_error = (int)error;
			snprintf(a->detail, sizeof(a->detail), "TSIG error %s", dns_rcode_name((int)error));
			a->pkt = p;
			return DNS_V_ACCEPT;
		}
		long long d = (long long)signed_at - (long long)now;
		if (d > (long long)fudge || -d > (long long)fudge) {
			snprintf(a->detail, sizeof(a->detail),
				 "response signed %+lld s from now, outside the fudge of %u s", d, fudge);
			ldns_pkt_free(p);
			return DNS_V_IGNORE;
		}
	}
	snprintf(a->detail, sizeof(a->detail), "%s", dns_rcode_name(a->rcode));
	a->pkt = p;
	return DNS_V_ACCEPT;
}

/* Is anc, label by label, name itself or one of its parents? */
static bool in_ancestry(const ldns_rdf *name, const ldns_rdf *anc)
{
	size_t nl = ldns_dname_label_count(name), al = ldns_dname_label_count(anc);
	if (al > nl)
		return false;
	ldns_rdf *n = ldns_rdf_clone(name), *c = ldns_rdf_clone(anc);
	bool ok = n && c;
	for (size_t i = al; ok && i < nl; i++) { /* drop the leftmost labels */
		ldns_rdf *l = ldns_dname_left_chop(n);
		ldns_rdf_deep_free(n);
		ok = (n = l) != NULL;
	}
	ok = ok && ldns_dname_compare(n, c) == 0; /* case-insensitive */
	ldns_rdf_deep_free(n);
	ldns_rdf_deep_free(c);
	return ok;
}

int dns_soa_find(const void *pkt, const char *qname, char *zone, size_t zlen, char *mname,
		 size_t mlen)
{
	const ldns_pkt *p = pkt;
	ldns_rdf *q = ldns_dname_new_frm_str(qname);
	ldns_rr_list *lists[] = {ldns_pkt_answer(p), ldns_pkt_authority(p)};
	int rc = -ENOENT;
	for (size_t l = 0; q && l < 2 && rc; l++)
		for (size_t i = 0; i < ldns_rr_list_rr_count(lists[l]) && rc; i++) {
			ldns_rr *rr = ldns_rr_list_rr(lists[l], i);
			if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA || ldns_rr_rd_count(rr) < 1 ||
			    ldns_rdf_get_type(ldns_rr_owner(rr)) != LDNS_RDF_TYPE_DNAME ||
			    !in_ancestry(q, ldns_rr_owner(rr)))
				continue;
			char *z = ldns_rdf2str(ldns_rr_owner(rr));
			char *m = ldns_rdf2str(ldns_rr_rdf(rr, 0));
			if (z && m && strlen(z) < zlen && strlen(m) < mlen) {
				snprintf(zone, zlen, "%s", z);
				snprintf(mname, mlen, "%s", m);
				rc = 0;
			}
			free(z);
			free(m);
		}
	ldns_rdf_deep_free(q);
	return rc;
}
