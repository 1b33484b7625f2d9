/* A GSS-API (Kerberos, through SPNEGO as nsupdate does) security context
 * for GSS-TSIG, made only from a service ticket already in a credential
 * cache: nothing here talks to a KDC, so nothing here can block the loop
 * on one (nlevd-kinit, a child, fetched the ticket). */
#ifndef NLEVD_DNS_GSS_H
#define NLEVD_DNS_GSS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct gss_sec;

/* A context to be established with service ("DNS/ns1.example.com@REALM")
 * as client (a principal with its realm), from the ticket for service in
 * the cache ccache ("FILE:/path"): the ticket is copied to a private
 * in-memory cache that holds no TGT, so the Kerberos library has nothing
 * to ask a KDC with.  0, or -1 with the reason in err. */
int gss_sec_new(const char *ccache, const char *client, const char *service, struct gss_sec **out,
		char *err, size_t errlen);
/* One step of the negotiation: in is the server's token (NULL at first),
 * *out our token to send (malloc'd; NULL when there is none).  0: the
 * context is established (and the server authenticated: mutual); 1: send
 * *out and step again with the answer; -1 with the reason in err. */
int gss_sec_step(struct gss_sec *g, const uint8_t *in, size_t inlen, uint8_t **out,
		 size_t *outlen, char *err, size_t errlen);
/* The MIC of data (tkey.h's gsstsig_mic_fn; ctx is the gss_sec). */
int gss_sec_mic(void *ctx, const uint8_t *data, size_t len, uint8_t *mac, size_t cap,
		size_t *maclen);
/* Is mac the server's MIC of data? */
bool gss_sec_verify(void *ctx, const uint8_t *data, size_t len, const uint8_t *mac,
		    size_t maclen);
/* When the established context expires (the ticket's end), 0 if unknown. */
time_t gss_sec_expiry(const struct gss_sec *g);
void gss_sec_free(struct gss_sec *g);

#endif
