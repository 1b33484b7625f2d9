/* The TKEY answer reader and the GSS-TSIG digest of a response, and
 * verify.c on a GSS-signed answer, over untrusted bytes. */
#include <ldns/ldns.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/dns/tkey.h"
#include "../../plugins/dns/verify.h"

static bool never(void *ctx, const uint8_t *d, size_t len, const uint8_t *mac, size_t ml)
{
	(void)ctx;
	/* touch every byte, so that an over-read shows */
	unsigned s = 0;
	for (size_t i = 0; i < len; i++)
		s += d[i];
	for (size_t i = 0; i < ml; i++)
		s += mac[i];
	return s == 0xffffffffu;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tkey_answer a;
	char why[300];
	if (tkey_answer(data, size, "1.sig-ns1.example.test.", &a, why, sizeof(why)) == 0) {
		unsigned s = 0;
		for (size_t i = 0; i < a.keylen; i++)
			s += a.key[i];
		(void)s;
	}
	static const uint8_t mac[16] = {1, 2, 3};
	uint8_t *d;
	size_t dl, ml;
	const uint8_t *m;
	for (int strict = 0; strict < 2; strict++)
		if (gsstsig_digest(data, size, strict ? mac : NULL, sizeof(mac), strict, &d, &dl,
				   &m, &ml) == 0) {
			never(NULL, d, dl, m, ml);
			free(d);
		}
	struct dns_expect ex = {.id = 4242, .opcode = 5, .qname = "example.test.", .qtype = 6,
				.req_mac = mac, .req_mac_len = sizeof(mac),
				.gss_key = "1.sig-ns1.example.test.", .gss_alg = GSS_ALG,
				.gss_verify = never};
	struct dns_answer ans;
	dns_response_check(data, size, &ex, 1000, &ans);
	ldns_pkt_free(ans.pkt);
	ex.qtype = TKEY_TYPE;
	ex.qclass = 255;
	ex.opcode = 0;
	ex.gss_key = NULL; /* a TKEY answer, to an unsigned query */
	dns_response_check(data, size, &ex, 1000, &ans);
	ldns_pkt_free(ans.pkt);
	return 0;
}
