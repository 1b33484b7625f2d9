/* Checking a DNS response against the request it answers: ID, opcode,
 * question, truncation, and for a signed request TSIG per RFC 8945 (MAC
 * with the request MAC, time signed against the fudge, the error field, MAC
 * length).  A pure function over the wire bytes, so it can be fuzzed. */
#ifndef NLEVD_DNS_VERIFY_H
#define NLEVD_DNS_VERIFY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "keyfile.h"

struct dns_expect {
	uint16_t id;
	uint8_t opcode;             /* 0 QUERY, 5 UPDATE */
	const char *qname;          /* absolute, any case */
	uint16_t qtype;
	const struct tsig_key *key; /* NULL: the request was not signed */
	const uint8_t *req_mac;     /* the request's MAC */
	size_t req_mac_len;
	/* Or signed with GSS-TSIG (RFC 3645): the key name, the algorithm
	 * (wire form, "gss-tsig."), and the check of the server's MIC. */
	const char *gss_key;
	const char *gss_alg;
	bool (*gss_verify)(void *ctx, const uint8_t *data, size_t len, const uint8_t *mac,
			   size_t maclen);
	void *gss_ctx;
	uint16_t qclass; /* 0: IN */
};

enum dns_verdict {
	DNS_V_ACCEPT,    /* ours, authentic: look at rcode / tsig_error */
	DNS_V_IGNORE,    /* not ours, forged or malformed: keep waiting */
	DNS_V_TRUNCATED, /* TC set: ask again over TCP */
	/* An unsigned error answer to a signed request (REFUSED or NOTAUTH, or
	 * NOTAUTH with TSIG error BADSIG or BADKEY and no MAC): what a server
	 * that cannot check us sends, but also what anyone can forge.  Not an
	 * answer (RFC 8945 5.2, 5.4): keep waiting for a signed one, and count
	 * it as this error only if none comes.  rcode, tsig_error and detail
	 * are set; pkt is NULL. */
	DNS_V_UNVERIFIED,
};

struct dns_answer {
	int rcode;
	int tsig_error;      /* 0, or BADSIG 16, BADKEY 17, BADTIME 18, BADTRUNC 22 */
	long long skew;      /* BADTIME: server time minus ours, seconds */
	bool mac_no_len;     /* GSS-TSIG: the MIC left out the request MAC's length */
	char detail[200];    /* why it was ignored, or what it says */
	void *pkt;           /* ldns_pkt * when accepted (caller frees) */
	/* The message as received (xchg.c sets it): valid only while the
	 * exchange's done callback runs. */
	const uint8_t *wire;
	size_t wire_len;
};

enum dns_verdict dns_response_check(const uint8_t *wire, size_t len, const struct dns_expect *x,
				    time_t now, struct dns_answer *a);
/* "hmac-sha256." for "hmac-sha256"; NULL if nlevd refuses the algorithm. */
const char *tsig_alg_name(const char *algorithm, size_t *mac_len);
const char *dns_rcode_name(int rcode);

/* The SOA of a discovery answer (ldns_pkt *pkt, answer section first, then
 * authority) whose owner is qname itself or one of its parent domains,
 * label by label and in any case: an SOA of another tree, spoofed or
 * misconfigured, would send the signed UPDATE elsewhere.  Its owner and
 * MNAME into zone and mname (presentation form); 0, or -ENOENT. */
int dns_soa_find(const void *pkt, const char *qname, char *zone, size_t zlen, char *mname,
		 size_t mlen);

#endif
