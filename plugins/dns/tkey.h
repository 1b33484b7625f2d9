/* The wire forms of GSS-TSIG (RFC 3645): the TKEY query that carries our
 * GSS-API token and the answer that carries the server's (RFC 2930), and
 * TSIG (RFC 8945) whose MAC is a GSS-API MIC: the bytes a MIC covers, for
 * a request we sign and a response we check.  Pure functions over wire
 * bytes (the MIC is a callback), so they can be fuzzed. */
#ifndef NLEVD_DNS_TKEY_H
#define NLEVD_DNS_TKEY_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TKEY_MODE_GSSAPI 3
#define TKEY_TYPE 249
#define TSIG_FUDGE 300
/* RFC 3645's algorithm, and the name Windows 2000 used before it. */
#define GSS_ALG "gss-tsig."
#define GSS_ALG_MS "gss.microsoft.com."

/* A TKEY query (QUERY, question KEYNAME TKEY ANY) carrying token, with
 * inception now and expiration now + lifetime; ms: the TKEY RR in the
 * answer section, where Windows 2000 wants it, instead of the additional
 * one.  A malloc'd message in *out.  0; -EINVAL (a bad name); -EMSGSIZE;
 * -ENOMEM. */
int tkey_query(uint16_t id, const char *keyname, bool ms, uint32_t now, uint32_t lifetime,
	       const uint8_t *token, size_t toklen, uint8_t **out, size_t *outlen);

struct tkey_answer {
	unsigned mode, error;
	uint32_t inception, expiration;
	const uint8_t *key; /* the server's token, inside the message */
	size_t keylen;
	bool signed_; /* a TSIG RR ends the message */
};

/* The TKEY RR that the answer section of a response holds for keyname
 * (the caller has checked ID and question).  0, or -EBADMSG with the
 * reason in why. */
int tkey_answer(const uint8_t *w, size_t len, const char *keyname, struct tkey_answer *a,
		char *why, size_t whylen);

/* Make mac (room for cap bytes, its length in *maclen) the MIC of data.
 * 0, or <0. */
typedef int gsstsig_mic_fn(void *ctx, const uint8_t *data, size_t len, uint8_t *mac, size_t cap,
			   size_t *maclen);

/* The most bytes gsstsig_sign() adds for keyname and a MIC of mic_max. */
size_t gsstsig_size(const char *keyname, const char *alg, size_t mic_max);

/* Sign the message wire[0..*len) (room for cap bytes): append a TSIG RR
 * for keyname and alg signed at now with mic(), ARCOUNT one more.  The MAC
 * is copied to req_mac (room req_cap) for the response check.  0;
 * -EMSGSIZE (no room); -EINVAL (a bad message or name); the MIC's error. */
int gsstsig_sign(uint8_t *wire, size_t *len, size_t cap, const char *keyname, const char *alg,
		 uint64_t now, gsstsig_mic_fn *mic, void *ctx, uint8_t *req_mac, size_t req_cap,
		 size_t *req_mac_len);

/* What the MIC of the response wire[0..len), which ends with a TSIG RR,
 * covers: the request's MAC (with its 2-byte length when len_prefix, as
 * RFC 8945 says), the response without the TSIG RR and with its original
 * ID, and the TSIG variables.  req_mac NULL: an answer to an unsigned
 * request.  The MAC found is returned in *mac, *maclen (inside wire).  A
 * malloc'd buffer in *out; 0; -EBADMSG; -ENOMEM. */
int gsstsig_digest(const uint8_t *wire, size_t len, const uint8_t *req_mac, size_t req_mac_len,
		   bool len_prefix, uint8_t **out, size_t *outlen, const uint8_t **mac,
		   size_t *maclen);

#endif
