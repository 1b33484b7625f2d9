/* The answer parser of query.c, on what verify.c lets through: the first
 * input byte picks the type asked (A, AAAA, PTR, DHCID) for
 * h.example.test., the rest is the response, answering an unsigned query
 * of its own ID.  What the parser reports must be consistent: FOUND with
 * one or more rdatas, sorted and distinct; CNAME with one; none else. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/dns/query.h"
#include "../../plugins/dns/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_PTR,
					 LDNS_RR_TYPE_DHCID};
	if (size < 1 + 12)
		return 0;
	uint16_t type = types[data[0] % 4];
	const uint8_t *w = data + 1;
	size_t len = size - 1;
	struct dns_expect ex = {
		.id = (uint16_t)(w[0] << 8 | w[1]), .opcode = LDNS_PACKET_QUERY,
		.qname = "h.example.test.", .qtype = type,
	};
	struct dns_answer a;
	if (dns_response_check(w, len, &ex, 1795336918, &a) != DNS_V_ACCEPT) {
		ldns_pkt_free(a.pkt);
		return 0;
	}
	struct dns_rrq q = {.owner = "h.example.test.", .type = type};
	char detail[200];
	int rc = dns_rrq_from_answer(a.pkt, &q, detail, sizeof(detail));
	if (rc < 0 && (q.rdata || q.nrdata || q.status != DNS_RRQ_UNREAD))
		abort();
	if (!rc && q.status == DNS_RRQ_FOUND && !q.nrdata)
		abort();
	if (!rc && q.status == DNS_RRQ_CNAME && q.nrdata != 1)
		abort();
	if (!rc && (q.status == DNS_RRQ_NXDOMAIN || q.status == DNS_RRQ_NODATA) && q.nrdata)
		abort();
	for (size_t i = 1; i < q.nrdata; i++)
		if (strcmp(q.rdata[i - 1], q.rdata[i]) >= 0)
			abort();
	if (!memchr(detail, 0, sizeof(detail)))
		abort();
	dns_rrq_clear(&q);
	ldns_pkt_free(a.pkt);
	return 0;
}
