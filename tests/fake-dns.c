/* fake-dns: a misbehaving DNS server for the DNS plugins' integration tests.
 *
 *   fake-dns --port PORT [--key FILE] [--reads] MODE [ARG]
 *
 * Listens on 127.0.0.1 PORT, UDP and TCP, and answers every request
 * according to MODE:
 *
 *   ok              NOERROR, signed with the key when the request was signed
 *   unsigned        NOERROR without a TSIG, even to a signed request
 *   wrong-id        NOERROR, signed, but with another message ID
 *   badtime SKEW    NOTAUTH with TSIG error BADTIME, signed, the server's
 *                   time (now + SKEW seconds) in the TSIG Other Data
 *   tc              over UDP: TC set, no records (unsigned); over TCP: as ok
 *   slow MS         as ok, but each answer leaves MS milliseconds after its
 *                   request came (UDP: queued, other requests keep being
 *                   read and answered in turn; TCP: the connection waits)
 *   garbage         1 to 256 random bytes, whatever the request
 *   malformed [HOW] the signed NOERROR answer, right ID and flags, spoilt:
 *                   cut in half (HOW = cut), the header alone with its counts
 *                   (header), 7 bytes of junk after the end (junk); without
 *                   HOW, each way in turn
 *   refused         REFUSED, signed with the key when the request was signed
 *   soa OWNER       SOA queries: NOERROR, an SOA of OWNER (MNAME ns.OWNER)
 *                   in the authority section, whatever was asked; other
 *                   requests as ok
 *   garbage N       as garbage, N datagrams per request (a flood)
 *   forge HOW [UP]  an unsigned error answer at once, as an off-path forger
 *                   racing the real server would: HOW is refused, notauth
 *                   (no TSIG), badkey, badsig (NOTAUTH, TSIG error, empty
 *                   MAC, as RFC 8945 5.3.2 says a server answers) or
 *                   badkey-noerror (the same with rcode NOERROR).  With UP,
 *                   a forwarding proxy: the request then goes to the real
 *                   server on 127.0.0.1#UP and its answer is relayed (UDP
 *                   and TCP; over TCP only the real answer is sent)
 *
 * TSIG MACs are computed here (HMAC over ldns's SHA-2) rather than with
 * ldns_pkt_tsig_sign(), which cannot set the error or Other Data fields.
 * A read (a QUERY for A, AAAA, PTR or DHCID, as the plugins make before
 * they update) is answered as in ok, but authoritative and NXDOMAIN: this
 * server keeps no records, so the plugin sends everything, as to an empty
 * zone.  With --reads, reads are answered like any other request, by the
 * mode (and not authoritative).
 * Every request and what was done about it is logged to stdout, one line
 * each; for an UPDATE the line ends with the records it adds ("; adds: NAME
 * TYPE RDATA, ..."), so that a test can tell what was acknowledged last.
 * Runs until killed. */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../plugins/dns/keyfile.h"
#include "../plugins/dns/verify.h"

enum mode { M_OK, M_UNSIGNED, M_WRONG_ID, M_BADTIME, M_TC, M_SLOW, M_GARBAGE, M_MALFORMED,
	    M_REFUSED, M_FORGE, M_SOA };
static const char *soa_owner;
enum forge { F_REFUSED, F_NOTAUTH, F_BADKEY, F_BADSIG, F_BADKEY_NOERROR };
static const char *const forge_names[] = {"refused", "notauth", "badkey", "badsig",
					   "badkey-noerror"};
static int forge_how;
static long upstream; /* forge: the real server's port, or 0 */
static long garbage_n = 1;

static enum mode mode, mode_req;
static bool reads_too; /* --reads: the mode applies to reads too */
static long long skew, delay_ms;
static int spoil_how = -1; /* malformed: 0 junk, 1 cut, 2 header; -1 in turn */
static struct tsig_key key;
static bool have_key;
static unsigned long long nreq;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	va_list ap;
	printf("fake-dns: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

/* ---- HMAC (RFC 2104) over ldns's SHA-256 / SHA-512 ---- */

struct hash {
	size_t block, len;
	void (*run)(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out);
};

static void sha256_2(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out)
{
	ldns_sha256_CTX c;
	ldns_sha256_init(&c);
	ldns_sha256_update(&c, a, al);
	if (bl)
		ldns_sha256_update(&c, b, bl);
	ldns_sha256_final(out, &c);
}

static void sha512_2(const uint8_t *a, size_t al, const uint8_t *b, size_t bl, uint8_t *out)
{
	ldns_sha512_CTX c;
	ldns_sha512_init(&c);
	ldns_sha512_update(&c, a, al);
	if (bl)
		ldns_sha512_update(&c, b, bl);
	ldns_sha512_final(out, &c);
}

static const struct hash *hash_for(const char *algorithm)
{
	static const struct hash h256 = {LDNS_SHA256_BLOCK_LENGTH, LDNS_SHA256_DIGEST_LENGTH,
					 sha256_2};
	static const struct hash h512 = {LDNS_SHA512_BLOCK_LENGTH, LDNS_SHA512_DIGEST_LENGTH,
					 sha512_2};
	if (!strcasecmp(algorithm, "hmac-sha256"))
		return &h256;
	if (!strcasecmp(algorithm, "hmac-sha512"))
		return &h512;
	return NULL;
}

static void hmac(const struct hash *h, const uint8_t *k, size_t kl, const uint8_t *msg, size_t ml,
		 uint8_t *out)
{
	uint8_t kb[128] = {0}, pad[128], inner[64];
	if (kl > h->block) {
		h->run(k, kl, NULL, 0, kb);
	} else {
		memcpy(kb, k, kl);
	}
	for (size_t i = 0; i < h->block; i++)
		pad[i] = kb[i] ^ 0x36;
	h->run(pad, h->block, msg, ml, inner);
	for (size_t i = 0; i < h->block; i++)
		pad[i] = kb[i] ^ 0x5c;
	h->run(pad, h->block, inner, h->len, out);
}

/* ---- TSIG signing (RFC 8945 4.3) ---- */

static bool put(ldns_buffer *b, const void *d, size_t n)
{
	ldns_buffer_write(b, d, n);
	return ldns_buffer_status_ok(b);
}

static void u48(uint8_t *o, uint64_t v)
{
	for (int i = 5; i >= 0; i--) {
		o[i] = (uint8_t)v;
		v >>= 8;
	}
}

/* Sign resp: req_mac is the request's MAC rdf (2-byte length + MAC). */
static int sign(ldns_pkt *resp, const ldns_rdf *req_mac, uint64_t time_signed, uint16_t error,
		const uint8_t *other, size_t other_len)
{
	const struct hash *h = hash_for(key.algorithm);
	const char *alg = tsig_alg_name(key.algorithm, NULL);
	if (!h || !alg) {
		say("cannot sign with %s", key.algorithm);
		return -1;
	}
	uint8_t *wire = NULL;
	size_t wlen = 0;
	if (ldns_pkt2wire(&wire, resp, &wlen) != LDNS_STATUS_OK)
		return -1;
	ldns_rdf *kname = ldns_dname_new_frm_str(key.name);
	ldns_rdf *aname = ldns_dname_new_frm_str(alg);
	ldns_buffer *b = ldns_buffer_new(wlen + 512);
	uint8_t tm[6], mac[64], fix[10];
	int rc = -1;
	if (!kname || !aname || !b)
		goto out;
	ldns_dname2canonical(kname);
	ldns_dname2canonical(aname);
	u48(tm, time_signed);
	if (req_mac && !put(b, ldns_rdf_data(req_mac), ldns_rdf_size(req_mac)))
		goto out;
	/* the message; then the TSIG variables: name, class ANY, TTL 0,
	 * algorithm, time signed, fudge, error, other len, other data */
	static const uint8_t any_ttl0[6] = {0, 255, 0, 0, 0, 0};
	fix[0] = 300 >> 8;
	fix[1] = 300 & 0xff;
	fix[2] = (uint8_t)(error >> 8);
	fix[3] = (uint8_t)error;
	fix[4] = (uint8_t)(other_len >> 8);
	fix[5] = (uint8_t)other_len;
	if (!put(b, wire, wlen) || !put(b, ldns_rdf_data(kname), ldns_rdf_size(kname)) ||
	    !put(b, any_ttl0, 6) || !put(b, ldns_rdf_data(aname), ldns_rdf_size(aname)) ||
	    !put(b, tm, 6) || !put(b, fix, 6) || (other_len && !put(b, other, other_len)))
		goto out;
	hmac(h, key.secret, key.secret_len, ldns_buffer_begin(b), ldns_buffer_position(b), mac);

	ldns_rr *t = ldns_rr_new();
	if (!t)
		goto out;
	ldns_rr_set_owner(t, kname);
	kname = NULL;
	ldns_rr_set_class(t, LDNS_RR_CLASS_ANY);
	ldns_rr_set_type(t, LDNS_RR_TYPE_TSIG);
	ldns_rr_set_ttl(t, 0);
	ldns_rr_push_rdf(t, aname);
	aname = NULL;
	ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, 6, tm));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 300));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16_data(h->len, mac));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, ldns_pkt_id(resp)));
	ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, error));
	static uint8_t none[1];
	ldns_rr_push_rdf(t, ldns_native2rdf_int16_data(other_len, other_len ? (uint8_t *)other : none));
	ldns_pkt_set_tsig(resp, t);
	rc = 0;
out:
	free(wire);
	ldns_rdf_deep_free(kname);
	ldns_rdf_deep_free(aname);
	ldns_buffer_free(b);
	return rc;
}

/* ---- answering ---- */

static const char *opcode_name(ldns_pkt_opcode o)
{
	return o == LDNS_PACKET_UPDATE ? "UPDATE" : o == LDNS_PACKET_QUERY ? "QUERY" : "OPCODE?";
}

/* "; adds: NAME TYPE RDATA, ..." for the records an UPDATE adds (class IN
 * in its update section), or "" for anything else. */
static void adds_str(const ldns_pkt *req, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	if (ldns_pkt_get_opcode(req) != LDNS_PACKET_UPDATE)
		return;
	n += (size_t)snprintf(buf, len, "; adds:");
	ldns_rr_list *up = ldns_pkt_authority(req);
	bool any = false;
	for (size_t i = 0; i < ldns_rr_list_rr_count(up) && n < len; i++) {
		ldns_rr *rr = ldns_rr_list_rr(up, i);
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN || ldns_rr_rd_count(rr) < 1)
			continue;
		char *owner = ldns_rdf2str(ldns_rr_owner(rr));
		char *type = ldns_rr_type2str(ldns_rr_get_type(rr));
		char *rdata = ldns_rdf2str(ldns_rr_rdf(rr, 0));
		n += (size_t)snprintf(buf + n, len - n, "%s %s %s %s", any ? "," : "",
				      owner ? owner : "?", type ? type : "?", rdata ? rdata : "?");
		any = true;
		free(owner);
		free(type);
		free(rdata);
	}
	if (!any && n < len)
		snprintf(buf + n, len - n, " none");
}

/* malformed: spoil a proper answer, in turn three ways; returns the new
 * length (at most len + 7: *out has room for it). */
static size_t spoil(uint8_t *out, size_t len, const char **how)
{
	switch (spoil_how >= 0 ? (unsigned long long)spoil_how : nreq % 3) {
	case 1:
		*how = "cut in half";
		return len / 2 > 12 ? len / 2 : 12;
	case 2:
		*how = "the header alone";
		return 12;
	default:
		*how = "7 bytes of junk after the end";
		memcpy(out + len, "\xde\xad\xbe\xef\x00\x01\x02", 7);
		return len + 7;
	}
}

/* The answer to one request, as wire bytes in *out (or none: returns 0). */
static size_t answer(const uint8_t *wire, size_t len, bool tcp, uint8_t **out)
{
	const char *via = tcp ? "tcp" : "udp";
	ldns_pkt *req = NULL, *resp = NULL;
	size_t olen = 0;
	char what[300] = "", adds[1024] = "";
	*out = NULL;
	nreq++;
	if (ldns_wire2pkt(&req, wire, len) != LDNS_STATUS_OK) {
		say("%s: malformed request (%zu bytes), not answered", via, len);
		return 0;
	}
	ldns_rr_list *q = ldns_pkt_question(req);
	/* A read of the records (the plugins read before they update): this
	 * server keeps none, so the authoritative answer is NXDOMAIN, and the
	 * plugin sends everything, as to an empty zone.  The mode applies to
	 * reads only with --reads: by default they are answered as in ok. */
	ldns_rr_type qt = ldns_rr_list_rr_count(q) == 1 ? ldns_rr_get_type(ldns_rr_list_rr(q, 0)) : 0;
	bool is_read = ldns_pkt_get_opcode(req) == LDNS_PACKET_QUERY &&
		       (qt == LDNS_RR_TYPE_A || qt == LDNS_RR_TYPE_AAAA || qt == LDNS_RR_TYPE_PTR ||
			qt == LDNS_RR_TYPE_DHCID);
	mode_req = is_read && !reads_too ? M_OK : mode;
	char *qname = ldns_rr_list_rr_count(q) ? ldns_rdf2str(ldns_rr_owner(ldns_rr_list_rr(q, 0)))
					       : NULL;
	ldns_rr *rt = ldns_pkt_tsig(req);
	const ldns_rdf *req_mac = rt && ldns_rr_rd_count(rt) >= 4 ? ldns_rr_rdf(rt, 3) : NULL;
	const char *auth = "unsigned";
	if (rt) {
		auth = !have_key ? "signed (no key to check)"
		       : ldns_pkt_tsig_verify(req, wire, len, key.name, key.secret_b64, NULL)
			       ? "signed, MAC ok"
			       : "signed, MAC BAD";
	}
	snprintf(what, sizeof(what), "%s: request #%llu id %u %s %s, %s", via, nreq,
		 ldns_pkt_id(req), opcode_name(ldns_pkt_get_opcode(req)), qname ? qname : "-", auth);
	free(qname);
	adds_str(req, adds, sizeof(adds));
	if (ldns_pkt_get_opcode(req) == LDNS_PACKET_UPDATE) {
		/* the whole count: the "adds" list is cut short for big UPDATEs */
		size_t nadd = 0;
		ldns_rr_list *up = ldns_pkt_authority(req);
		for (size_t i = 0; i < ldns_rr_list_rr_count(up); i++)
			nadd += ldns_rr_get_class(ldns_rr_list_rr(up, i)) == LDNS_RR_CLASS_IN;
		say("%s: update #%llu: %zu adds, %zu bytes", via, nreq, nadd, len);
	}

	if (mode_req == M_FORGE && tcp && upstream) {
		say("%s: relayed over tcp%s", what, adds);
		goto out;
	}
	if (mode_req == M_GARBAGE) {
		uint8_t n;
		if (getrandom(&n, 1, 0) != 1 || !(*out = malloc((size_t)n + 1)) ||
		    getrandom(*out, (size_t)n + 1, 0) != (ssize_t)n + 1) {
			say("%s: no random bytes, not answered", what);
			free(*out);
			*out = NULL;
			goto out;
		}
		olen = (size_t)n + 1;
		say("%s: answered %zu random bytes%s%s", what, olen, garbage_n > 1 ? " (first of a flood)" : "", adds);
		goto out;
	}

	resp = ldns_pkt_new();
	if (!resp)
		goto out;
	ldns_pkt_set_id(resp, ldns_pkt_id(req));
	ldns_pkt_set_qr(resp, true);
	ldns_pkt_set_opcode(resp, ldns_pkt_get_opcode(req));
	ldns_pkt_set_rcode(resp, LDNS_RCODE_NOERROR);
	for (size_t i = 0; i < ldns_rr_list_rr_count(q); i++)
		ldns_pkt_push_rr(resp, LDNS_SECTION_QUESTION, ldns_rr_clone(ldns_rr_list_rr(q, i)));
	bool want_sig = rt && have_key;
	uint64_t now = (uint64_t)time(NULL);
	const char *did;
	if (is_read && !reads_too) {
		ldns_pkt_set_aa(resp, true);
		ldns_pkt_set_rcode(resp, LDNS_RCODE_NXDOMAIN);
	}
	char late[64] = "";
	int rc = 0;
	switch (mode_req) {
	case M_TC:
		if (!tcp) {
			ldns_pkt_set_tc(resp, true);
			did = "answered TC (truncated, no records, unsigned)";
			break;
		}
		/* over TCP, a proper answer */
		/* fall through */
	case M_SLOW:
	case M_MALFORMED:
	case M_OK:
		did = want_sig ? "answered NOERROR, signed" : "answered NOERROR, unsigned";
		if (want_sig)
			rc = sign(resp, req_mac, now, 0, NULL, 0);
		if (mode_req == M_SLOW)
			snprintf(late, sizeof(late), ", in %lld ms", delay_ms);
		break;
	case M_REFUSED:
		ldns_pkt_set_rcode(resp, LDNS_RCODE_REFUSED);
		did = want_sig ? "answered REFUSED, signed" : "answered REFUSED, unsigned";
		if (want_sig)
			rc = sign(resp, req_mac, now, 0, NULL, 0);
		break;
	case M_UNSIGNED:
		did = "answered NOERROR, unsigned";
		break;
	case M_WRONG_ID:
		ldns_pkt_set_id(resp, (uint16_t)(ldns_pkt_id(req) ^ 0x5a5a));
		did = want_sig ? "answered NOERROR with a wrong ID, signed"
			       : "answered NOERROR with a wrong ID, unsigned";
		if (want_sig)
			rc = sign(resp, req_mac, now, 0, NULL, 0);
		break;
	case M_BADTIME: {
		/* RFC 8945 5.2.3: NOTAUTH, error BADTIME, signed, the
		 * request's time signed; Other Data: the server's clock. */
		uint8_t other[6];
		uint64_t ts = now;
		if (rt && ldns_rr_rd_count(rt) >= 2 && ldns_rdf_size(ldns_rr_rdf(rt, 1)) == 6) {
			const uint8_t *d = ldns_rdf_data(ldns_rr_rdf(rt, 1));
			ts = 0;
			for (int i = 0; i < 6; i++)
				ts = (ts << 8) | d[i];
		}
		u48(other, (uint64_t)((long long)now + skew));
		ldns_pkt_set_rcode(resp, LDNS_RCODE_NOTAUTH);
		did = want_sig ? "answered NOTAUTH/BADTIME, signed" : "answered NOTAUTH/BADTIME, unsigned";
		if (want_sig)
			rc = sign(resp, req_mac, ts, 18, other, sizeof(other));
		break;
	}
	case M_SOA:
		if (ldns_pkt_get_opcode(req) == LDNS_PACKET_QUERY && ldns_rr_list_rr_count(q) == 1 &&
		    ldns_rr_get_type(ldns_rr_list_rr(q, 0)) == LDNS_RR_TYPE_SOA) {
			char text[600];
			ldns_rr *soa = NULL;
			snprintf(text, sizeof(text), "%s 300 IN SOA ns.%s hostmaster.%s 1 3600 600 "
				 "86400 60", soa_owner, soa_owner, soa_owner);
			if (ldns_rr_new_frm_str(&soa, text, 0, NULL, NULL) != LDNS_STATUS_OK) {
				rc = -1;
				break;
			}
			ldns_pkt_push_rr(resp, LDNS_SECTION_AUTHORITY, soa);
			did = "answered NOERROR with that SOA, unsigned";
			break;
		}
		did = want_sig ? "answered NOERROR, signed" : "answered NOERROR, unsigned";
		if (want_sig)
			rc = sign(resp, req_mac, now, 0, NULL, 0);
		break;
	case M_FORGE: {
		static const int rcodes[] = {LDNS_RCODE_REFUSED, LDNS_RCODE_NOTAUTH, LDNS_RCODE_NOTAUTH,
					     LDNS_RCODE_NOTAUTH, LDNS_RCODE_NOERROR};
		ldns_pkt_set_rcode(resp, (uint8_t)rcodes[forge_how]);
		did = forge_names[forge_how];
		if (forge_how < F_BADKEY || !rt || ldns_rr_rd_count(rt) < 1)
			break;
		/* the request's key and algorithm, an empty MAC, the error */
		uint8_t tm[6], empty[2] = {0, 0};
		u48(tm, now);
		ldns_rr *t = ldns_rr_new();
		if (!t) {
			rc = -1;
			break;
		}
		ldns_rr_set_owner(t, ldns_rdf_clone(ldns_rr_owner(rt)));
		ldns_rr_set_type(t, LDNS_RR_TYPE_TSIG);
		ldns_rr_set_class(t, LDNS_RR_CLASS_ANY);
		ldns_rr_set_ttl(t, 0);
		ldns_rr_push_rdf(t, ldns_rdf_clone(ldns_rr_rdf(rt, 0)));
		ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_TSIGTIME, 6, tm));
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, 300));
		ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty));
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, ldns_pkt_id(req)));
		ldns_rr_push_rdf(t, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16,
							  forge_how == F_BADSIG ? 16 : 17));
		ldns_rr_push_rdf(t, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_INT16_DATA, 2, empty));
		ldns_pkt_set_tsig(resp, t);
		break;
	}
	default:
		did = "?";
	}
	if (is_read && !reads_too && ldns_pkt_get_rcode(resp) == LDNS_RCODE_NXDOMAIN && !ldns_pkt_tc(resp) &&
	    !strncmp(did, "answered NOERROR", 16))
		did = want_sig && mode_req != M_UNSIGNED ? "answered NXDOMAIN (a read; no records), signed"
						     : "answered NXDOMAIN (a read; no records), unsigned";
	if (rc < 0) {
		say("%s: cannot sign the answer, not answered", what);
		goto out;
	}
	if (ldns_pkt2wire(out, resp, &olen) != LDNS_STATUS_OK) {
		say("%s: cannot build the answer", what);
		olen = 0;
		goto out;
	}
	if (mode_req == M_MALFORMED) {
		const char *how = "?";
		uint8_t *big = realloc(*out, olen + 7);
		if (!big) {
			say("%s: out of memory, not answered", what);
			free(*out);
			*out = NULL;
			olen = 0;
			goto out;
		}
		*out = big;
		olen = spoil(big, olen, &how);
		say("%s: %s, then spoilt: %s (id %u, %zu bytes)%s", what, did, how, ldns_pkt_id(resp),
		    olen, adds);
		goto out;
	}
	say("%s: %s (id %u, %zu bytes)%s%s", what, did, ldns_pkt_id(resp), olen, late, adds);
out:
	ldns_pkt_free(req);
	ldns_pkt_free(resp);
	return olen;
}

/* ---- slow: answers waiting for their time (UDP) ---- */

#define MAX_PENDING 256

struct pending {
	long long due; /* ms, CLOCK_MONOTONIC */
	unsigned long long n;
	struct sockaddr_storage to;
	socklen_t tl;
	uint8_t *msg;
	size_t len;
};

static struct pending pend[MAX_PENDING];
static size_t npend;

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pend_add(const struct sockaddr_storage *to, socklen_t tl, uint8_t *msg, size_t len)
{
	if (npend == MAX_PENDING) {
		say("udp: %d answers already waiting, request #%llu not answered", MAX_PENDING, nreq);
		free(msg);
		return;
	}
	struct pending *p = &pend[npend++];
	p->due = mono_ms() + delay_ms;
	p->n = nreq;
	p->to = *to;
	p->tl = tl;
	p->msg = msg;
	p->len = len;
}

/* Send what is due; returns the poll timeout until the next one (or -1). */
static int pend_run(int fd)
{
	long long now = mono_ms(), next = -1;
	size_t w = 0;
	for (size_t i = 0; i < npend; i++) {
		struct pending *p = &pend[i];
		if (p->due <= now) {
			if (sendto(fd, p->msg, p->len, 0, (struct sockaddr *)&p->to, p->tl) < 0)
				say("udp: answer to request #%llu not sent: %s", p->n, strerror(errno));
			else
				say("udp: answer to request #%llu sent, %lld ms late", p->n,
				    now - p->due + delay_ms);
			free(p->msg);
			continue;
		}
		if (next < 0 || p->due - now < next)
			next = p->due - now;
		pend[w++] = *p;
	}
	npend = w;
	return next < 0 ? -1 : (int)(next > 60000 ? 60000 : next);
}

/* ---- sockets ---- */

static bool read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		struct pollfd p = {fd, POLLIN, 0};
		if (poll(&p, 1, 5000) <= 0)
			return false;
		ssize_t r = read(fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		got += (size_t)r;
	}
	return true;
}

/* forge with UP: the request to the real server, its answer back (or 0). */
static size_t relay(const uint8_t *req, size_t len, bool tcp, uint8_t *ans, size_t cap)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)upstream)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
	size_t n = 0;
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto out;
	if (tcp) {
		uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
		if (write(fd, hdr, 2) != 2 || write(fd, req, len) != (ssize_t)len ||
		    !read_full(fd, hdr, 2))
			goto out;
		n = ((size_t)hdr[0] << 8) | hdr[1];
		if (n > cap || !read_full(fd, ans, n))
			n = 0;
		goto out;
	}
	struct pollfd p = {fd, POLLIN, 0};
	if (send(fd, req, len, 0) == (ssize_t)len && poll(&p, 1, 3000) == 1) {
		ssize_t r = recv(fd, ans, cap, 0);
		n = r > 0 ? (size_t)r : 0;
	}
out:
	if (fd >= 0)
		close(fd);
	say("%s: %s from the real server on 127.0.0.1#%ld", tcp ? "tcp" : "udp",
	    n ? "relayed the answer" : "no answer", upstream);
	return n;
}

static void serve_tcp(int fd)
{
	for (;;) {
		uint8_t hdr[2], buf[65535];
		if (!read_full(fd, hdr, 2))
			break;
		size_t len = ((size_t)hdr[0] << 8) | hdr[1];
		if (!read_full(fd, buf, len))
			break;
		uint8_t *out;
		size_t olen = answer(buf, len, true, &out);
		if (mode_req == M_FORGE && upstream) {
			free(out);
			static uint8_t ans[65535];
			olen = relay(buf, len, true, ans, sizeof(ans));
			out = olen ? malloc(olen) : NULL;
			if (out)
				memcpy(out, ans, olen);
			else
				olen = 0;
		}
		if (olen && mode_req == M_SLOW) {
			struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000};
			while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
				;
		}
		if (olen) {
			uint8_t *msg = malloc(olen + 2);
			if (msg) {
				msg[0] = (uint8_t)(olen >> 8);
				msg[1] = (uint8_t)olen;
				memcpy(msg + 2, out, olen);
				if (write(fd, msg, olen + 2) != (ssize_t)(olen + 2))
					say("tcp: short write: %s", strerror(errno));
				free(msg);
			}
			free(out);
		}
	}
	close(fd);
}

static int listen_on(int type, uint16_t port)
{
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static void usage(void)
{
	fprintf(stderr, "usage: fake-dns --port PORT [--key FILE] [--reads] "
			"ok|unsigned|wrong-id|badtime SKEW_SECONDS|tc|slow MS|garbage|\n"
			"       malformed [cut|header|junk]|refused|garbage N|\n"
			"       forge refused|notauth|badkey|badsig|badkey-noerror [UPSTREAM_PORT]|\n"
			"       soa OWNER\n");
	exit(64);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {{"port", required_argument, NULL, 'p'},
					     {"key", required_argument, NULL, 'k'},
					     {"reads", no_argument, NULL, 'r'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	long port = 0;
	const char *keyfile = NULL;
	int c;
	while ((c = getopt_long(argc, argv, "+p:k:rh", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			port = strtol(optarg, NULL, 10);
			break;
		case 'k':
			keyfile = optarg;
			break;
		case 'r':
			reads_too = true;
			break;
		default:
			usage();
		}
	}
	if (port < 1 || port > 65535 || optind >= argc)
		usage();
	int at = optind; /* the mode; its arguments follow */
	const char *m = argv[optind++];
	if (!strcmp(m, "ok"))
		mode = M_OK;
	else if (!strcmp(m, "unsigned"))
		mode = M_UNSIGNED;
	else if (!strcmp(m, "wrong-id"))
		mode = M_WRONG_ID;
	else if (!strcmp(m, "tc"))
		mode = M_TC;
	else if (!strcmp(m, "garbage")) {
		mode = M_GARBAGE;
		if (optind < argc) {
			char *end;
			garbage_n = strtol(argv[optind++], &end, 10);
			if (*end || garbage_n < 1 || garbage_n > 100000)
				usage();
		}
	} else if (!strcmp(m, "soa")) {
		if (optind >= argc)
			usage();
		soa_owner = argv[optind++];
		mode = M_SOA;
	} else if (!strcmp(m, "forge")) {
		mode = M_FORGE;
		forge_how = -1;
		for (int i = 0; optind < argc && i < 5; i++)
			if (!strcmp(argv[optind], forge_names[i]))
				forge_how = i;
		if (forge_how < 0)
			usage();
		optind++;
		if (optind < argc) {
			char *end;
			upstream = strtol(argv[optind++], &end, 10);
			if (*end || upstream < 1 || upstream > 65535)
				usage();
		}
	}
	else if (!strcmp(m, "refused"))
		mode = M_REFUSED;
	else if (!strcmp(m, "malformed")) {
		static const char *const hows[] = {"junk", "cut", "header"};
		mode = M_MALFORMED;
		for (int i = 0; optind < argc && i < 3; i++)
			if (!strcmp(argv[optind], hows[i]))
				spoil_how = i;
		if (optind < argc && spoil_how < 0)
			usage();
		if (optind < argc)
			optind++;
	} else if (!strcmp(m, "badtime")) {
		char *end;
		if (optind >= argc)
			usage();
		skew = strtoll(argv[optind++], &end, 10);
		if (*end)
			usage();
		mode = M_BADTIME;
	} else if (!strcmp(m, "slow")) {
		char *end;
		if (optind >= argc)
			usage();
		delay_ms = strtoll(argv[optind++], &end, 10);
		if (*end || delay_ms < 0 || delay_ms > 3600000)
			usage();
		mode = M_SLOW;
	} else
		usage();
	if (optind != argc)
		usage();
	if (keyfile) {
		FILE *f = fopen(keyfile, "re");
		static char buf[65536];
		char err[200];
		size_t len = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
		if (!f) {
			fprintf(stderr, "fake-dns: %s: %s\n", keyfile, strerror(errno));
			return 1;
		}
		fclose(f);
		if (keyfile_parse(buf, len, NULL, &key, err, sizeof(err)) < 0) {
			fprintf(stderr, "fake-dns: %s: %s\n", keyfile, err);
			return 1;
		}
		if (!hash_for(key.algorithm) || !tsig_alg_name(key.algorithm, NULL)) {
			fprintf(stderr, "fake-dns: %s: algorithm %s not supported here\n", keyfile,
				key.algorithm);
			return 1;
		}
		have_key = true;
	}
	int u = listen_on(SOCK_DGRAM, (uint16_t)port), t = listen_on(SOCK_STREAM, (uint16_t)port);
	if (u < 0 || t < 0) {
		fprintf(stderr, "fake-dns: cannot listen on 127.0.0.1#%ld: %s\n", port, strerror(errno));
		return 1;
	}
	char args[200] = "";
	for (int i = at + 1, n = 0; i < argc && n < (int)sizeof(args); i++)
		n += snprintf(args + n, sizeof(args) - (size_t)n, " %s", argv[i]);
	say("listening on 127.0.0.1#%ld udp+tcp, mode %s%s", port, m, args);
	for (;;) {
		struct pollfd p[2] = {{u, POLLIN, 0}, {t, POLLIN, 0}};
		if (poll(p, 2, pend_run(u)) < 0) {
			if (errno == EINTR)
				continue;
			perror("fake-dns: poll");
			return 1;
		}
		if (p[0].revents & POLLIN) {
			uint8_t buf[65536];
			struct sockaddr_storage from;
			socklen_t fl = sizeof(from);
			ssize_t n = recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n > 0) {
				uint8_t *out;
				size_t olen = answer(buf, (size_t)n, false, &out);
				if (olen && mode_req == M_SLOW) {
					pend_add(&from, fl, out, olen);
				} else if (olen) {
					sendto(u, out, olen, 0, (struct sockaddr *)&from, fl);
					free(out);
				}
				for (long i = 1; mode_req == M_GARBAGE && i < garbage_n; i++) {
					uint8_t junk[64];
					size_t jl = 1 + (size_t)(i % 64);
					if (getrandom(junk, jl, 0) == (ssize_t)jl)
						sendto(u, junk, jl, 0, (struct sockaddr *)&from, fl);
				}
				if (mode_req == M_FORGE && upstream) {
					static uint8_t ans[65535];
					size_t al = relay(buf, (size_t)n, false, ans, sizeof(ans));
					if (al)
						sendto(u, ans, al, 0, (struct sockaddr *)&from, fl);
				}
			}
		}
		if (p[1].revents & POLLIN) {
			int fd = accept4(t, NULL, NULL, SOCK_CLOEXEC);
			if (fd >= 0) {
				say("tcp: connection accepted");
				serve_tcp(fd);
			}
		}
	}
}
