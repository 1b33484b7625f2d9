/* GSS-TSIG on the wire (plugins/dns/tkey.c): the TKEY query and answer,
 * and a TSIG whose MAC is a MIC, signed and checked with a stand-in MIC
 * (a keyed sum: what matters here is which bytes it covers). */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/dns/tkey.h"
#include "../../plugins/dns/verify.h"
#include "tap.h"

/* A stand-in MIC: 16 bytes of a running keyed checksum over data. */
static int fake_mic(void *ctx, const uint8_t *d, size_t len, uint8_t *mac, size_t cap,
		    size_t *ml)
{
	unsigned key = *(unsigned *)ctx;
	uint64_t h = 1469598103934665603ull ^ key;
	if (cap < 16)
		return -1;
	for (size_t i = 0; i < len; i++)
		h = (h ^ d[i]) * 1099511628211ull;
	for (int i = 0; i < 16; i++)
		mac[i] = (uint8_t)(h >> (8 * (i % 8))) ^ (uint8_t)i;
	*ml = 16;
	return 0;
}

static bool fake_verify(void *ctx, const uint8_t *d, size_t len, const uint8_t *mac, size_t ml)
{
	uint8_t m[16];
	size_t l;
	return fake_mic(ctx, d, len, m, sizeof(m), &l) == 0 && ml == 16 && !memcmp(m, mac, 16);
}

static const uint8_t token[] = {0x60, 0x81, 0x01, 0x02, 0x03, 0x04, 0x05};

static void test_query(void)
{
	uint8_t *w;
	size_t wl;
	is_int(tkey_query(7, "123.sig-ns1.example.test.", false, 1000, 86400, token, sizeof(token),
			  &w, &wl), 0, "a TKEY query is built");
	ldns_pkt *p = NULL;
	is_int(ldns_wire2pkt(&p, w, wl), LDNS_STATUS_OK, "ldns reads it");
	if (p) {
		is_int(ldns_pkt_id(p), 7, "its ID");
		is_int(ldns_pkt_qdcount(p), 1, "one question");
		is_int(ldns_pkt_arcount(p), 1, "the TKEY RR in the additional section (RFC 2930)");
		is_int(ldns_pkt_ancount(p), 0, "none in the answer section");
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
		is_int(ldns_rr_get_type(q), 249, "QTYPE TKEY");
		is_int(ldns_rr_get_class(q), 255, "QCLASS ANY");
		ldns_pkt_free(p);
	}
	free(w);
	is_int(tkey_query(7, "123.sig-ns1.example.test.", true, 1000, 86400, token, sizeof(token),
			  &w, &wl), 0, "the Windows 2000 form");
	is_int(w[7], 1, "its TKEY RR is in the answer section");
	is_int(w[11], 0, "not in the additional one");
	/* its TKEY RR read back as an answer gives our token back */
	struct tkey_answer a;
	char why[200];
	is_int(tkey_answer(w, wl, "123.SIG-ns1.example.test", &a, why, sizeof(why)), 0,
	       "tkey_answer reads it (any case, trailing dot or not)");
	is_int(a.mode, TKEY_MODE_GSSAPI, "mode GSS-API");
	is_int((int)a.keylen, (int)sizeof(token), "the token's length");
	ok(a.key && !memcmp(a.key, token, sizeof(token)), "the token");
	is_int((int)(a.expiration - a.inception), 86400, "the lifetime asked for");
	ok(!a.signed_, "not signed");
	is_int(tkey_answer(w, wl, "other.example.test.", &a, why, sizeof(why)), -EBADMSG,
	       "another key name's TKEY is not ours");
	like(why, "no TKEY record for other.example.test.", "and says so");
	is_int(tkey_answer(w, wl - 1, "123.sig-ns1.example.test.", &a, why, sizeof(why)), -EBADMSG,
	       "a message cut short is refused");
	like(why, "malformed", "as malformed");
	free(w);
	is_int(tkey_query(7, "bad..name.", false, 1, 1, token, sizeof(token), &w, &wl), -EINVAL,
	       "an empty label is refused");
}

/* A signed request, then the server's answer: the same message with QR
 * set, signed over the request MAC; checked by verify.c as dnsupdate
 * does. */
static void test_sign_and_check(void)
{
	unsigned client_key = 42;
	ldns_pkt *p = NULL;
	ldns_pkt_query_new_frm_str(&p, "example.test.", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_pkt_set_id(p, 4242);
	uint8_t *w0 = NULL;
	size_t wl = 0;
	ldns_pkt2wire(&w0, p, &wl);
	ldns_pkt_free(p);
	size_t cap = wl + gsstsig_size("1.sig-ns1.example.test.", GSS_ALG, 16);
	uint8_t *w = malloc(cap);
	memcpy(w, w0, wl);
	free(w0);
	uint8_t req_mac[64];
	size_t rml = 0, unsigned_len = wl;
	is_int(gsstsig_sign(w, &wl, cap, "1.sig-ns1.example.test.", GSS_ALG, 1000, fake_mic,
			    &client_key, req_mac, sizeof(req_mac), &rml), 0, "the request is signed");
	is_int((int)rml, 16, "with the MIC as its MAC");
	is_int(w[11], 1, "ARCOUNT counts the TSIG RR");
	ok(wl <= cap, "within gsstsig_size()");
	/* ldns sees a TSIG RR with our key name and algorithm */
	ldns_pkt *sp = NULL;
	is_int(ldns_wire2pkt(&sp, w, wl), LDNS_STATUS_OK, "ldns reads the signed message");
	ldns_rr *t = sp ? ldns_pkt_tsig(sp) : NULL;
	ok(t != NULL, "a TSIG RR");
	if (t) {
		char *alg = ldns_rdf2str(ldns_rr_rdf(t, 0));
		is_str(alg, "gss-tsig.", "algorithm gss-tsig.");
		free(alg);
	}
	ldns_pkt_free(sp);
	/* The MIC covered the message and the TSIG variables: digesting the
	 * signed request as if it were an answer to an unsigned one gives
	 * exactly what was signed. */
	uint8_t *d;
	size_t dl, ml;
	const uint8_t *mac;
	is_int(gsstsig_digest(w, wl, NULL, 0, true, &d, &dl, &mac, &ml), 0, "its digest");
	ok(fake_verify(&client_key, d, dl, mac, ml), "our own MIC verifies over it");
	/* key name 24, class and TTL 6, algorithm 10, time fudge error other-len 12 */
	is_int((int)dl, (int)(unsigned_len + 24 + 6 + 10 + 12), "message + variables");
	free(d);

	/* The server's answer: QR set, signed over our MAC. */
	uint8_t *r = malloc(cap + 64);
	size_t rl = unsigned_len;
	memcpy(r, w, unsigned_len);
	r[2] |= 0x80;
	r[11] = 0;
	/* sign "request MAC (with length) + response" the way a server does:
	 * build the digest by hand through gsstsig_sign on a prefixed copy */
	unsigned server_key = 42;
	size_t sl = rl;
	uint8_t smac[64];
	size_t sml;
	/* gsstsig_sign signs only the message; to cover the request MAC too,
	 * compute the answer's MAC with the digest function itself: sign a
	 * placeholder, then replace the MAC by the MIC of the true digest. */
	gsstsig_sign(r, &sl, cap + 64, "1.sig-ns1.example.test.", GSS_ALG, 1000, fake_mic,
		     &server_key, smac, sizeof(smac), &sml);
	is_int(gsstsig_digest(r, sl, req_mac, rml, true, &d, &dl, &mac, &ml), 0,
	       "the answer's digest, with the request MAC");
	uint8_t good[16];
	size_t gl;
	fake_mic(&server_key, d, dl, good, sizeof(good), &gl);
	memcpy((uint8_t *)mac, good, 16); /* the MAC inside r */
	free(d);
	struct dns_expect ex = {.id = 4242, .opcode = 5, .qname = "example.test.", .qtype = 6,
				.req_mac = req_mac, .req_mac_len = rml,
				.gss_key = "1.sig-ns1.example.test.", .gss_alg = GSS_ALG,
				.gss_verify = fake_verify, .gss_ctx = &server_key};
	struct dns_answer a;
	is_int(dns_response_check(r, sl, &ex, 1000, &a), DNS_V_ACCEPT, "verify.c accepts it");
	ok(!a.mac_no_len, "by the RFC's digest");
	ldns_pkt_free(a.pkt);
	unsigned wrong = 43;
	ex.gss_ctx = &wrong;
	is_int(dns_response_check(r, sl, &ex, 1000, &a), DNS_V_IGNORE,
	       "a MIC from another context is ignored");
	like(a.detail, "does not verify", "as not verifying");
	ex.gss_ctx = &server_key;
	ex.gss_key = "2.sig-ns1.example.test.";
	is_int(dns_response_check(r, sl, &ex, 1000, &a), DNS_V_IGNORE, "another key name: ignored");
	ex.gss_key = "1.sig-ns1.example.test.";
	is_int(dns_response_check(r, sl, &ex, 2000, &a), DNS_V_IGNORE,
	       "signed outside the fudge: ignored");

	/* Samba's MIC: over the request MAC without its length. */
	is_int(gsstsig_digest(r, sl, req_mac, rml, false, &d, &dl, &mac, &ml), 0,
	       "the digest without the length prefix");
	fake_mic(&server_key, d, dl, good, sizeof(good), &gl);
	memcpy((uint8_t *)mac, good, 16);
	free(d);
	is_int(dns_response_check(r, sl, &ex, 1000, &a), DNS_V_ACCEPT,
	       "Samba's form is accepted");
	ok(a.mac_no_len, "and said to be Samba's form");
	ldns_pkt_free(a.pkt);
	/* An answer that carries our own request's TSIG back (Samba's
	 * SERVFAIL): an error is no more than an unsigned one; a NOERROR is
	 * no answer at all. */
	uint8_t *echo = malloc(wl);
	memcpy(echo, w, wl);
	echo[2] |= 0x80;
	echo[3] = (uint8_t)((echo[3] & 0xf0) | 2); /* SERVFAIL */
	ex.gss_ctx = &server_key;
	is_int(dns_response_check(echo, wl, &ex, 1000, &a), DNS_V_UNVERIFIED,
	       "an error answer echoing our MAC is unverified");
	like(a.detail, "SERVFAIL (answer not signed by the server", "and says why");
	is_int(a.rcode, 2, "its rcode is kept");
	echo[3] &= 0xf0; /* NOERROR */
	is_int(dns_response_check(echo, wl, &ex, 1000, &a), DNS_V_IGNORE,
	       "a NOERROR echoing our MAC is ignored, never a success");
	free(echo);
	/* the digest of garbage fails cleanly */
	is_int(gsstsig_digest(r, sl - 3, req_mac, rml, true, &d, &dl, &mac, &ml), -EBADMSG,
	       "a cut answer has no digest");
	free(r);
	free(w);
}

int main(void)
{
	test_query();
	test_sign_and_check();
	return tap_done();
}
