/* The DNS response parser and TSIG verifier, with the clock held fixed. */
#include <ldns/ldns.h>

#include "../../plugins/dns/verify.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct tsig_key key = {
		.name = "nlevd-key",
		.algorithm = "hmac-sha256",
		.secret_b64 = "T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE=",
	};
	/* the seeds were signed at 1795336918 over this request MAC */
	static const uint8_t mac[32] = {1, 2, 3};
	struct dns_expect ex = {
		.id = 4242, .opcode = LDNS_PACKET_UPDATE, .qname = "example.test.",
		.qtype = LDNS_RR_TYPE_SOA, .key = &key, .req_mac = mac, .req_mac_len = sizeof(mac),
	};
	struct dns_answer a;
	dns_response_check(data, size, &ex, 1795336918, &a);
	ldns_pkt_free(a.pkt);
	ex.key = NULL; /* and as the answer to an unsigned query */
	dns_response_check(data, size, &ex, 1795336918, &a);
	ldns_pkt_free(a.pkt);
	return 0;
}
