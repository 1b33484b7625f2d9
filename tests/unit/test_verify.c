/* The DNS response verifier: ID, question, truncation, and TSIG (MAC over
 * the request MAC, time signed against the fudge, the error field). */
#include <errno.h>
#include <ldns/ldns.h>
#include <strings.h>
#include <time.h>

#include "../../plugins/dns/verify.h"
#include "tap.h"

static struct tsig_key key = {
	.name = "nlevd-key",
	.algorithm = "hmac-sha256",
	.secret_b64 = "T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE=",
};

static ldns_rdf *req_mac;
static struct dns_expect ex;
static uint8_t macbuf[64];

/* A signed UPDATE request for example.test; fills ex. */
static void make_request(void)
{
	ldns_rr_list *up = ldns_rr_list_new();
	ldns_rr *rr;
	ldns_rr_new_frm_str(&rr, "h.example.test. 300 IN A 192.0.2.1", 0, NULL, NULL);
	ldns_rr_list_push_rr(up, rr);
	ldns_pkt *p = ldns_update_pkt_new(ldns_dname_new_frm_str("example.test."), LDNS_RR_CLASS_IN,
					  NULL, up, NULL);
	ldns_rr_list_deep_free(up);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_tsig_sign(p, key.name, key.secret_b64, 300, "hmac-sha256.", NULL);
	req_mac = ldns_rdf_clone(ldns_rr_rdf(ldns_pkt_tsig(p), 3));
	memcpy(macbuf, ldns_rdf_data(req_mac) + 2, ldns_rdf_size(req_mac) - 2);
	ex.id = 4242;
	ex.opcode = LDNS_PACKET_UPDATE;
	ex.qname = "EXAMPLE.test.";
	ex.qtype = LDNS_RR_TYPE_SOA;
	ex.key = &key;
	ex.req_mac = macbuf;
	ex.req_mac_len = ldns_rdf_size(req_mac) - 2;
	ldns_pkt_free(p);
}

/* A response as a server would send it; sign = 0 none, 1 with the key,
 * 2 with another secret. */
static size_t response(uint8_t **wire, uint16_t id, const char *zone, int rcode, bool tc, int sign)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(zone), LDNS_RR_TYPE_SOA,
					 LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	ldns_pkt_set_tc(p, tc);
	if (sign)
		ldns_pkt_tsig_sign(p, key.name,
				   sign == 1 ? key.secret_b64 : "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
				   300, "hmac-sha256.", req_mac);
	size_t len;
	ldns_pkt2wire(wire, p, &len);
	ldns_pkt_free(p);
	return len;
}

static enum dns_verdict check(uint8_t *w, size_t len, time_t now, struct dns_answer *a)
{
	enum dns_verdict v = dns_response_check(w, len, &ex, now, a);
	ldns_pkt_free(a->pkt);
	a->pkt = NULL;
	free(w);
	return v;
}

int main(void)
{
	struct dns_answer a;
	uint8_t *w;
	size_t len;
	time_t now = time(NULL);
	make_request();

	len = response(&w, 4242, "example.test.", 0, false, 1);
	is_int(check(w, len, now, &a), DNS_V_ACCEPT, "a signed NOERROR answer is accepted");
	is_int(a.rcode, 0, "rcode NOERROR");

	len = response(&w, 4242, "example.test.", LDNS_RCODE_REFUSED, false, 1);
	ok(check(w, len, now, &a) == DNS_V_ACCEPT && a.rcode == LDNS_RCODE_REFUSED, "REFUSED reported");

	len = response(&w, 4243, "example.test.", 0, false, 1);
	ok(check(w, len, now, &a) == DNS_V_IGNORE && strstr(a.detail, "wrong ID"), "wrong ID ignored");

	len = response(&w, 4242, "other.test.", 0, false, 1);
	ok(check(w, len, now, &a) == DNS_V_IGNORE && strstr(a.detail, "question"),
	   "another question ignored");

	len = response(&w, 4242, "example.test.", 0, false, 0);
	ok(check(w, len, now, &a) == DNS_V_IGNORE && strstr(a.detail, "unsigned"),
	   "an unsigned answer to a signed request is ignored");

	len = response(&w, 4242, "example.test.", 0, false, 2);
	ok(check(w, len, now, &a) == DNS_V_IGNORE && strstr(a.detail, "does not verify"),
	   "a MAC made with another secret is ignored");

	len = response(&w, 4242, "example.test.", 0, false, 1);
	w[3] ^= 0x05; /* flip rcode bits after signing */
	ok(check(w, len, now, &a) == DNS_V_IGNORE && strstr(a.detail, "does not verify"),
	   "a tampered message is ignored (%s)", a.detail);

	len = response(&w, 4242, "example.test.", 0, false, 1);
	ok(check(w, len, now + 1000, &a) == DNS_V_IGNORE && strstr(a.detail, "outside the fudge"),
	   "a response signed 1000 s ago is ignored (%s)", a.detail);

	len = response(&w, 4242, "example.test.", 0, true, 0);
	is_int(check(w, len, now, &a), DNS_V_TRUNCATED, "TC: ask again over TCP");

	len = response(&w, 4242, "example.test.", 0, false, 1);
	ok(check(w, 11, now, &a) == DNS_V_IGNORE, "shorter than a header: ignored");
	len = response(&w, 4242, "example.test.", 0, false, 1);
	{
		int ign = 0;
		for (size_t n = 12; n < len; n++) {
			struct dns_answer b;
			ign += dns_response_check(w, n, &ex, now, &b) == DNS_V_IGNORE;
			ldns_pkt_free(b.pkt);
		}
		is_int(ign, (int)(len - 12), "every truncation of a signed answer is ignored");
		free(w);
	}

	/* Two TSIG RRs (the signed answer's twice): malformed, and never handed
	 * to ldns, which would leak the first (found by fuzzing). */
	len = response(&w, 4242, "example.test.", 0, false, 1);
	{
		size_t q = 12;
		while (w[q])
			q += 1u + w[q];
		q += 5; /* root label, type, class: the TSIG RR follows */
		uint8_t *two = malloc(len + (len - q));
		memcpy(two, w, len);
		memcpy(two + len, w + q, len - q);
		two[11] = 2; /* ARCOUNT */
		ok(check(two, len + (len - q), now, &a) == DNS_V_IGNORE &&
			   strstr(a.detail, "malformed"),
		   "two TSIG RRs: malformed (%s)", a.detail);
		free(w);
	}

	/* BADKEY: the server answers with an empty MAC and the error. */
	{
		ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str("example.test."),
						 LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN, 0);
		ldns_pkt_set_opcode(p, LDNS_PACKET_UPDATE);
		ldns_pkt_set_qr(p, true);
		ldns_pkt_set_id(p, 4242);
		ldns_pkt_set_rcode(p, LDNS_RCODE_NOTAUTH);
		ldns_rr *t = ldns_rr_new();
		uint8_t tm[6] = {0, 0, (uint8_t)(now >> 24), (uint8_t)(now >> 16), (uint8_t)(now >> 8),
				 (uint8_t)now};
		uint8_t empty[2] = {0, 0};
		ldns_rr_set_owner(t, ldns_dname_new_frm_str("nlevd-key."));
		ldns_rr_set_type(t, LDNS_RR_TYPE_TSIG);
		ldns_rr_set_class(t, LDNS_RR_CLASS_ANY);
		ldns_rr_set_ttl(t, 0);
		ldns_rr_push_rdf(t, ldns_dname_new_frm_str("hmac-sha256."));
		ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, 6, tm));
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 300));
		ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty));
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 4242));
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 17));
		ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty));
		ldns_pkt_set_tsig(p, t);
		ldns_pkt2wire(&w, p, &len);
		enum dns_verdict v = check(w, len, now, &a);
		/* unsigned: anyone could have sent it (RFC 8945 5.2, 5.4) */
		ok(v == DNS_V_UNVERIFIED && a.tsig_error == 17 && a.rcode == LDNS_RCODE_NOTAUTH &&
			   strstr(a.detail, "BADKEY") && !a.pkt,
		   "BADKEY: unverified, kept until the timeout (%s)", a.detail);
		ldns_rdf *e = ldns_rr_pop_rdf(t); /* other data */
		ldns_rdf *er = ldns_rr_pop_rdf(t);
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 16));
		ldns_rr_push_rdf(t, e);
		ldns_rdf_deep_free(er);
		ldns_pkt2wire(&w, p, &len);
		v = check(w, len, now, &a);
		ok(v == DNS_V_UNVERIFIED && a.tsig_error == 16 && strstr(a.detail, "BADSIG"),
		   "BADSIG: unverified (%s)", a.detail);
		/* a TSIG error needs rcode NOTAUTH */
		ldns_pkt_set_rcode(p, LDNS_RCODE_NOERROR);
		ldns_pkt2wire(&w, p, &len);
		v = check(w, len, now, &a);
		ok(v == DNS_V_IGNORE && strstr(a.detail, "NOTAUTH"),
		   "BADSIG with rcode NOERROR: ignored (%s)", a.detail);
		ldns_pkt_set_rcode(p, LDNS_RCODE_REFUSED);
		ldns_pkt2wire(&w, p, &len);
		v = check(w, len, now, &a);
		ok(v == DNS_V_IGNORE, "BADSIG with rcode REFUSED: ignored (%s)", a.detail);
		ldns_pkt_free(p);
	}

	/* Unsigned REFUSED and NOTAUTH to a signed request: unverified. */
	len = response(&w, 4242, "example.test.", LDNS_RCODE_REFUSED, false, 0);
	ok(check(w, len, now, &a) == DNS_V_UNVERIFIED && a.rcode == LDNS_RCODE_REFUSED &&
		   !a.tsig_error && strstr(a.detail, "REFUSED (unsigned answer)"),
	   "unsigned REFUSED: unverified (%s)", a.detail);
	len = response(&w, 4242, "example.test.", LDNS_RCODE_NOTAUTH, false, 0);
	ok(check(w, len, now, &a) == DNS_V_UNVERIFIED && a.rcode == LDNS_RCODE_NOTAUTH,
	   "unsigned NOTAUTH: unverified (%s)", a.detail);
	len = response(&w, 4242, "example.test.", LDNS_RCODE_SERVFAIL, false, 0);
	ok(check(w, len, now, &a) == DNS_V_IGNORE, "unsigned SERVFAIL: ignored (%s)", a.detail);
	len = response(&w, 4242, "example.test.", LDNS_RCODE_REFUSED, false, 2);
	ok(check(w, len, now, &a) == DNS_V_IGNORE && strstr(a.detail, "does not verify"),
	   "REFUSED signed with another secret: ignored (%s)", a.detail);
	len = response(&w, 4242, "example.test.", LDNS_RCODE_NOTAUTH, false, 1);
	ok(check(w, len, now, &a) == DNS_V_ACCEPT && a.rcode == LDNS_RCODE_NOTAUTH,
	   "NOTAUTH signed: accepted");
	{
		/* to an unsigned request, an unsigned REFUSED is the answer */
		const struct tsig_key *k = ex.key;
		ex.key = NULL;
		len = response(&w, 4242, "example.test.", LDNS_RCODE_REFUSED, false, 0);
		ok(check(w, len, now, &a) == DNS_V_ACCEPT && a.rcode == LDNS_RCODE_REFUSED,
		   "unsigned REFUSED to an unsigned request: accepted");
		ex.key = k;
	}

	/* The SOA of discovery: only the queried name's own ancestry. */
	{
		static const struct {
			const char *owner, *qname;
			int sec; /* 0 answer, 1 authority */
			bool want;
		} c[] = {
			{"example.org.", "host.example.org.", 1, true},
			{"EXAMPLE.Org.", "host.example.org.", 1, true},
			{"host.example.org.", "host.example.org.", 0, true},
			{"org.", "host.example.org.", 1, true},
			{"ample.org.", "host.example.org.", 1, false},
			{"xample.org.", "host.example.org.", 0, false},
			{"evil.test.", "host.example.org.", 1, false},
			{"a.host.example.org.", "host.example.org.", 1, false},
			{"example.org.evil.", "host.example.org.", 1, false},
		};
		for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
			ldns_pkt *p = ldns_pkt_new();
			char text[300], zone[256] = "", mname[256] = "";
			snprintf(text, sizeof(text), "%s 300 IN SOA ns1.%s h.%s 1 2 3 4 5", c[i].owner,
				 c[i].owner, c[i].owner);
			ldns_rr *rr = NULL;
			ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL);
			ldns_pkt_push_rr(p, c[i].sec ? LDNS_SECTION_AUTHORITY : LDNS_SECTION_ANSWER, rr);
			int rc = dns_soa_find(p, c[i].qname, zone, sizeof(zone), mname, sizeof(mname));
			ok(c[i].want ? rc == 0 && !strcasecmp(zone, c[i].owner) : rc == -ENOENT,
			   "SOA of %s for %s: %s (%d %s %s)", c[i].owner, c[i].qname,
			   c[i].want ? "accepted" : "refused", rc, zone, mname);
			ldns_pkt_free(p);
		}
		/* a foreign SOA first, then the right one: the right one */
		ldns_pkt *p = ldns_pkt_new();
		ldns_rr *rr = NULL;
		ldns_rr_new_frm_str(&rr, "evil.test. 300 IN SOA ns.evil.test. h. 1 2 3 4 5", 0, NULL,
				    NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
		ldns_rr_new_frm_str(&rr, "example.org. 300 IN SOA ns1.example.org. h. 1 2 3 4 5", 0,
				    NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, rr);
		char zone[256], mname[256];
		int rc = dns_soa_find(p, "host.example.org.", zone, sizeof(zone), mname, sizeof(mname));
		ok(rc == 0 && !strcmp(zone, "example.org.") && !strcmp(mname, "ns1.example.org."),
		   "a foreign SOA is passed over for the name's own (%s %s)", zone, mname);
		ldns_pkt_free(p);
	}
	ok(tsig_alg_name("hmac-md5", NULL) == NULL, "hmac-md5 refused");
	ok(tsig_alg_name("hmac-sha384", NULL) == NULL, "hmac-sha384 refused");
	size_t ml;
	ok(tsig_alg_name("HMAC-SHA512", &ml) && ml == 64, "hmac-sha512: 64-byte MAC");
	ldns_rdf_deep_free(req_mac);
	return tap_done();
}
