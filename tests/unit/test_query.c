/* Reading records from the primary: the answer parser (dns_rrq_from_answer)
 * on hand-built packets, every one through the wire and back as a real
 * answer would come; the checks dns_query_start makes before sending; an
 * end reached inside dns_query_start told later, from the loop; a cancel;
 * and that a signed query's unsigned answer never reaches the parser. */
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../plugins/dns/query.h"
#include "../../plugins/dns/verify.h"
#include "tap.h"

#define Q "h.example.test."

/* An answer to owner/type with rcode and AA, the RRs of the
 * NULL-terminated list in the answer section. */
static ldns_pkt *answer(const char *owner, uint16_t type, int rcode, bool aa, const char **rrs)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_dname_new_frm_str(owner), (ldns_rr_type)type,
					 LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, aa);
	ldns_pkt_set_rcode(p, (uint8_t)rcode);
	for (size_t i = 0; rrs && rrs[i]; i++) {
		ldns_rr *rr = NULL;
		if (ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL) != LDNS_STATUS_OK) {
			diag("cannot parse %s", rrs[i]);
			continue;
		}
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr);
	}
	if (rcode == LDNS_RCODE_NXDOMAIN || !rrs) {
		ldns_rr *soa = NULL;
		ldns_rr_new_frm_str(&soa, "example.test. 300 IN SOA ns1.example.test. "
				    "hostmaster.example.test. 1 3600 600 86400 60", 0, NULL, NULL);
		ldns_pkt_push_rr(p, LDNS_SECTION_AUTHORITY, soa);
	}
	return p;
}

/* p through the wire and back: what the parser gets from a server. */
static ldns_pkt *wire(ldns_pkt *p)
{
	uint8_t *w = NULL;
	size_t len = 0;
	ldns_pkt *back = NULL;
	if (ldns_pkt2wire(&w, p, &len) != LDNS_STATUS_OK ||
	    ldns_wire2pkt(&back, w, len) != LDNS_STATUS_OK)
		diag("wire round trip failed");
	free(w);
	ldns_pkt_free(p);
	return back;
}

static char detail[200];

/* Parse the answer to owner/type into r; the return value. */
static int parse(struct dns_rrq *r, const char *owner, uint16_t type, int rcode, bool aa,
		 const char **rrs)
{
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	r->type = type;
	ldns_pkt *p = wire(answer(owner, type, rcode, aa, rrs));
	int rc = dns_rrq_from_answer(p, r, detail, sizeof(detail));
	ldns_pkt_free(p);
	return rc;
}

static const char *rd(const struct dns_rrq *r, size_t i)
{
	return i < r->nrdata ? r->rdata[i] : NULL;
}

static void parser(void)
{
	struct dns_rrq r = {0};

	const char *two[] = {Q " 300 IN A 192.0.2.10", "other.example.test. 300 IN A 192.0.2.99",
			     Q " 120 IN A 192.0.2.9", NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, two), 0, "found: accepted");
	is_int(r.status, DNS_RRQ_FOUND, "found: status");
	is_int(r.nrdata, 2, "found: the two records of the name, not the other name's");
	is_str(rd(&r, 0), "192.0.2.10", "found: sorted, first");
	is_str(rd(&r, 1), "192.0.2.9", "found: sorted, second");
	is_int(r.ttl, 120, "found: the smallest TTL");

	is_int(parse(&r, Q, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, true, NULL), 0, "NXDOMAIN: accepted");
	ok(r.status == DNS_RRQ_NXDOMAIN && r.nrdata == 0 && !r.rdata && r.ttl == 0,
	   "NXDOMAIN: status, no rdata (the earlier result freed)");

	is_int(parse(&r, Q, LDNS_RR_TYPE_AAAA, 0, true, NULL), 0, "NODATA: accepted");
	ok(r.status == DNS_RRQ_NODATA && r.nrdata == 0, "NODATA: status, no rdata");

	const char *cname[] = {Q " 600 IN CNAME Other.Example.TEST.",
			       "other.example.test. 300 IN A 192.0.2.1", NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, cname), 0, "CNAME: accepted");
	ok(r.status == DNS_RRQ_CNAME && r.nrdata == 1 && r.ttl == 600,
	   "CNAME: the name is taken by a CNAME, its target's A is not ours");
	is_str(rd(&r, 0), "other.example.test.", "CNAME: the target, lower case");
	is_int(parse(&r, Q, LDNS_RR_TYPE_AAAA, LDNS_RCODE_NXDOMAIN, true, cname), 0,
	       "CNAME to a missing name (NXDOMAIN): accepted");
	is_int(r.status, DNS_RRQ_CNAME, "CNAME with NXDOMAIN: still a CNAME at the name");

	const char *noise[] = {"x.example.test. 300 IN A 192.0.2.1", Q " 300 IN AAAA 2001:db8::1",
			       Q " 300 CH A 192.0.2.2", Q " 300 IN TXT \"192.0.2.3\"",
			       "example.test. 300 IN SOA ns1.example.test. h.example.test. 1 2 3 4 5",
			       NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, noise), 0, "others only: accepted");
	ok(r.status == DNS_RRQ_NODATA && r.nrdata == 0,
	   "other owners, types and classes are ignored: NODATA");
	const char *mixed[] = {noise[0], noise[1], noise[2], Q " 300 IN A 192.0.2.4", NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, mixed), 0, "mixed: accepted");
	ok(r.status == DNS_RRQ_FOUND && r.nrdata == 1, "mixed: only the IN A of the name");
	is_str(rd(&r, 0), "192.0.2.4", "mixed: that record");

	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, false, two), -EPROTO, "no AA: refused");
	like(detail, "AA", "no AA: said so");
	ok(r.status == DNS_RRQ_UNREAD && !r.rdata, "no AA: no result left in r");
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, false, NULL), -EPROTO,
	       "NXDOMAIN without AA: refused (a forged absence hides drift too)");

	const char *upper[] = {"H.EXAMPLE.Test. 300 IN A 192.0.2.5", NULL};
	is_int(parse(&r, "h.Example.test.", LDNS_RR_TYPE_A, 0, true, upper), 0,
	       "owner in another case: accepted");
	ok(r.status == DNS_RRQ_FOUND && r.nrdata == 1, "the owner compares in any case");

	const char *many[301];
	char bufs[300][64];
	for (int i = 0; i < 300; i++) {
		/* 250 distinct, the last 50 repeat the first 50 */
		snprintf(bufs[i], sizeof(bufs[i]), Q " 300 IN A 198.51.%d.%d", (i % 250) / 200,
			 (i % 250) % 200);
		many[i] = bufs[i];
	}
	many[300] = NULL;
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, many), 0, "300 records: accepted");
	is_int(r.nrdata, 250, "duplicates folded: 250 rdatas");
	bool sorted = r.nrdata > 0;
	for (size_t i = 1; i < r.nrdata; i++)
		sorted = sorted && strcmp(r.rdata[i - 1], r.rdata[i]) < 0;
	ok(sorted, "strictly sorted");

	const char *six[] = {Q " 300 IN AAAA 2001:DB8:0:0:0:0:0:1", Q " 300 IN AAAA ::ffff:192.0.2.1",
			     NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_AAAA, 0, true, six), 0, "AAAA: accepted");
	is_str(rd(&r, 0), "2001:db8::1", "AAAA as inet_ntop writes it");
	is_str(rd(&r, 1), "::ffff:192.0.2.1", "a v4-mapped AAAA as inet_ntop writes it");

	const char *ptr[] = {"1.2.0.192.in-addr.arpa. 300 IN PTR Host.Example.Test.", NULL};
	is_int(parse(&r, "1.2.0.192.in-addr.arpa.", LDNS_RR_TYPE_PTR, 0, true, ptr), 0,
	       "PTR: accepted");
	is_str(rd(&r, 0), "host.example.test.", "PTR: lower case, absolute");

	const char *dhcid[] = {Q " 300 IN DHCID ( AAIBY2/AuCccgoJbsaxcQc9TUapptP69l OjxfNuVAA2kjEA= )",
			       NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_DHCID, 0, true, dhcid), 0, "DHCID: accepted");
	is_str(rd(&r, 0), "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=",
	       "DHCID: base64 without spaces");

	const char *both[] = {Q " 300 IN CNAME other.example.test.", Q " 300 IN A 192.0.2.1", NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, both), -EPROTO,
	       "a CNAME beside an A at one name: refused");
	const char *twoc[] = {Q " 300 IN CNAME a.example.test.", Q " 300 IN CNAME b.example.test.",
			      NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, 0, true, twoc), -EPROTO, "two CNAMEs: refused");
	const char *nx[] = {Q " 300 IN A 192.0.2.1", NULL};
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, LDNS_RCODE_NXDOMAIN, true, nx), -EPROTO,
	       "NXDOMAIN with records of the name: refused");

	is_int(parse(&r, Q, LDNS_RR_TYPE_A, LDNS_RCODE_REFUSED, true, NULL), -EREMOTEIO,
	       "REFUSED: an error");
	is_str(detail, "REFUSED", "REFUSED: its name");
	is_int(parse(&r, Q, LDNS_RR_TYPE_A, LDNS_RCODE_SERVFAIL, true, NULL), -EREMOTEIO,
	       "SERVFAIL: an error");
	is_str(detail, "SERVFAIL", "SERVFAIL: its name");
	is_int(parse(&r, Q, LDNS_RR_TYPE_MX, 0, true, NULL), -EINVAL, "MX is not read");

	/* An A whose rdata is 3 bytes: ldns's wire parser refuses it (and
	 * verify.c with it), but the parser must not trust that. */
	ldns_pkt *p = answer(Q, LDNS_RR_TYPE_A, 0, true, NULL);
	ldns_rr *bad = ldns_rr_new();
	uint8_t three[3] = {192, 0, 2};
	ldns_rr_set_owner(bad, ldns_dname_new_frm_str(Q));
	ldns_rr_set_type(bad, LDNS_RR_TYPE_A);
	ldns_rr_set_class(bad, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(bad, 300);
	ldns_rr_push_rdf(bad, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, sizeof(three), three));
	ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, bad);
	snprintf(r.owner, sizeof(r.owner), Q);
	r.type = LDNS_RR_TYPE_A;
	is_int(dns_rrq_from_answer(p, &r, detail, sizeof(detail)), -EPROTO, "a 3-byte A: refused");
	like(detail, "malformed A", "a 3-byte A: said so (%s)", detail);
	ldns_pkt_free(p);
	dns_rrq_clear(&r);
}

static void done_never(void *owner, int err, const char *d)
{
	(void)err;
	(void)d;
	*(int *)owner = 1;
}

static void start_checks(void)
{
	struct dns_query q;
	struct xchg x;
	struct xchg_target t;
	int called = 0;
	dns_query_init(&q);
	memset(&x, 0, sizeof(x));
	xchg_target_from_ip("127.0.0.1", 5300, &t);
	struct dns_question out[] = {{"h.example.org.", LDNS_RR_TYPE_A}};
	is_int(dns_query_start(&q, &x, "example.test", &t, 1, NULL, false, out, 1, done_never,
			       &called), -EINVAL, "an owner outside the zone: refused");
	struct dns_question mx[] = {{"h.example.test", LDNS_RR_TYPE_MX}};
	is_int(dns_query_start(&q, &x, "example.test", &t, 1, NULL, false, mx, 1, done_never,
			       &called), -EINVAL, "type MX: refused");
	struct dns_question fine[] = {{"h.example.test", LDNS_RR_TYPE_A}};
	is_int(dns_query_start(&q, &x, "example.test", &t, 0, NULL, false, fine, 1, done_never,
			       &called), -EINVAL, "no address: refused");
	is_int(dns_query_start(&q, &x, "example.test", &t, 1, NULL, false, fine, 0, done_never,
			       &called), -EINVAL, "no question: refused");
	ok(!called && !q.active && !q.rr, "nothing started, nothing kept");
	dns_query_free(&q);
}

__attribute__((format(printf, 3, 4))) static void quiet_log(struct nlevd_instance *inst, int level,
							    const char *fmt, ...)
{
	(void)inst;
	(void)level;
	(void)fmt;
}

struct ended {
	int calls, err;
	char detail[400];
};

static void done_record(void *owner, int err, const char *d)
{
	struct ended *e = owner;
	e->calls++;
	e->err = err;
	snprintf(e->detail, sizeof(e->detail), "%s", d);
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* Run the loop for ms milliseconds. */
static void run_for(struct ev_loop *loop, double ms)
{
	ev_timer t;
	ev_timer_init(&t, stop_cb, ms / 1000., 0.);
	ev_timer_start(loop, &t);
	ev_run(loop, 0);
	ev_timer_stop(loop, &t);
}

static void loop_checks(void)
{
	struct ev_loop *loop = ev_loop_new(0);
	struct nlevd_host host = {.loop = loop, .log = quiet_log};
	struct xchg x;
	struct dns_query q;
	struct ended e = {0};
	struct xchg_target t;
	struct dns_question one[] = {{"h.example.test", LDNS_RR_TYPE_A}};
	xchg_init(&x, &host, NULL, 200);
	dns_query_init(&q);

	/* UDP to the broadcast address without SO_BROADCAST: send() fails at
	 * once, inside dns_query_start. */
	xchg_target_from_ip("255.255.255.255", 53, &t);
	is_int(dns_query_start(&q, &x, "example.test", &t, 1, NULL, false, one, 1, done_record, &e),
	       0, "a read whose only address fails at once: started");
	is_int(e.calls, 0, "done is not called from inside dns_query_start");
	run_for(loop, 100);
	is_int(e.calls, 1, "done is called once, from the loop");
	is_int(e.err, -ETIMEDOUT, "no answer: -ETIMEDOUT");
	like(e.detail, "no answer for the query h.example.test. A (255.255.255.255#53: ",
	     "the detail names the question and the address (%s)", e.detail);
	ok(!q.active, "the read is over");

	/* A server that never answers: cancelled, done never called. */
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t sl = sizeof(sa);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	xchg_target_from_ip("127.0.0.1", ntohs(sa.sin_port), &t);
	e.calls = 0;
	is_int(dns_query_start(&q, &x, "example.test", &t, 1, NULL, false, one, 1, done_record, &e),
	       0, "a read from a silent server: started");
	is_int(dns_query_start(&q, &x, "example.test", &t, 1, NULL, false, one, 1, done_record, &e),
	       -EBUSY, "a second read while one is in flight: -EBUSY");
	run_for(loop, 50);
	dns_query_cancel(&q);
	ok(!q.active && !x.active, "cancelled: the read and its exchange stopped");
	run_for(loop, 400); /* longer than the 200 ms timeout */
	is_int(e.calls, 0, "cancelled: done never called");
	close(fd);
	dns_query_free(&q);
	ev_loop_destroy(loop);
}

/* A signed query's answer must be signed: verify.c drops an unsigned one,
 * however authoritative it looks, before the parser sees it. */
static void unsigned_answer(void)
{
	static const struct tsig_key key = {
		.name = "nlevd-key",
		.algorithm = "hmac-sha256",
		.secret_b64 = "T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE=",
	};
	ldns_pkt *req = ldns_pkt_query_new(ldns_dname_new_frm_str(Q), LDNS_RR_TYPE_A,
					   LDNS_RR_CLASS_IN, 0);
	ldns_pkt_set_id(req, 77);
	ldns_pkt_tsig_sign(req, key.name, key.secret_b64, 300, "hmac-sha256.", NULL);
	const ldns_rdf *mac = ldns_rr_rdf(ldns_pkt_tsig(req), 3);
	struct dns_expect ex = {.id = 77, .opcode = LDNS_PACKET_QUERY, .qname = Q,
				.qtype = LDNS_RR_TYPE_A, .key = &key,
				.req_mac = ldns_rdf_data(mac) + 2,
				.req_mac_len = ldns_rdf_size(mac) - 2};
	const char *rrs[] = {Q " 300 IN A 192.0.2.1", NULL};
	ldns_pkt *p = answer(Q, LDNS_RR_TYPE_A, 0, true, rrs);
	ldns_pkt_set_id(p, 77);
	uint8_t *w = NULL;
	size_t len = 0;
	ldns_pkt2wire(&w, p, &len);
	struct dns_answer a;
	is_int(dns_response_check(w, len, &ex, time(NULL), &a), DNS_V_IGNORE,
	       "an unsigned AA answer to a signed query is ignored");
	like(a.detail, "unsigned", "ignored as unsigned (%s)", a.detail);
	free(w);
	w = NULL;
	ldns_pkt_tsig_sign(p, key.name, key.secret_b64, 300, "hmac-sha256.", (ldns_rdf *)mac);
	ldns_pkt2wire(&w, p, &len);
	is_int(dns_response_check(w, len, &ex, time(NULL), &a), DNS_V_ACCEPT,
	       "the same answer signed is accepted");
	struct dns_rrq r = {.owner = Q, .type = LDNS_RR_TYPE_A};
	ok(a.pkt && dns_rrq_from_answer(a.pkt, &r, detail, sizeof(detail)) == 0 &&
		   r.status == DNS_RRQ_FOUND && r.nrdata == 1,
	   "and read: FOUND");
	dns_rrq_clear(&r);
	ldns_pkt_free(a.pkt);
	free(w);
	ldns_pkt_free(p);
	ldns_pkt_free(req);
}

int main(void)
{
	parser();
	start_checks();
	loop_checks();
	unsigned_answer();
	return tap_done();
}
