/* An instance's Kerberos credentials (auth = gss-tsig): a private cache
 * filled by the nlevd-kinit helper, a child process, so that no KDC round
 * trip ever runs on the daemon's loop. */
#ifndef NLEVD_DNS_CREDS_H
#define NLEVD_DNS_CREDS_H
#include <stdint.h>
#include <time.h>

#include <nlevd/plugin.h>

#include "engine.h"

/* The helper's run is bounded by the instance's timeout, but never less
 * than this: a stopped or lost KDC makes MIT krb5 wait about 27 s for one
 * exchange before it says "Cannot contact any KDC", a clearer (and still
 * transient) error than a kill; anything longer is killed. */
#define DNS_CREDS_TIMEOUT_MIN_MS 30000
/* Requests waiting at once (one per zone in practice), and the service
 * principals one instance asks for. */
#define DNS_CREDS_WAITERS_MAX 256
#define DNS_CREDS_SERVICES_MAX 32

struct dns_creds;

/* keytab: absolute path; principal NULL: the helper picks the keytab's
 * machine account.  The cache is $RUNTIME_DIRECTORY/krb5cc.INSTANCE
 * (/run/nlevd without RUNTIME_DIRECTORY).  NULL: out of memory. */
struct dns_creds *dns_creds_new(const struct nlevd_host *h, struct nlevd_instance *inst,
				const char *keytab, const char *principal, uint64_t timeout_ms);
/* Kills a running helper and frees everything; no callback follows.  Call
 * it from destroy() (the core has disowned the instance's children by then,
 * so the helper's done never runs) or when no helper was started. */
void dns_creds_free(struct dns_creds *c);
/* The instance goes for good (stop() with NLEVD_STOP_SHUTDOWN): free also
 * removes the cache.  Not on a reload: the new instance of the same
 * section shares the cache file. */
void dns_creds_shutdown(struct dns_creds *c);
const char *dns_creds_ccache(const struct dns_creds *c);    /* "FILE:/path" */
const char *dns_creds_principal(const struct dns_creds *c); /* "" until known */
const char *dns_creds_realm(const struct dns_creds *c);     /* "" until known */
typedef void dns_creds_cb(void *arg, enum dns_result r, const char *detail);
/* Make sure the cache holds a TGT, and a ticket for service ("DNS/host",
 * or NULL) valid for at least 5 more minutes (or 1/10 of a short
 * lifetime); runs nlevd-kinit only when needed (one run at a time; a run
 * covers every service asked for so far).  cb exactly once, later, from
 * the loop (never inside the call): DNS_OK, or DNS_TRANSIENT /
 * DNS_PERMANENT with detail ("clock skew: ..." for skew, transient).  A
 * get with the arg of a request still waiting replaces that request (one
 * callback, the new cb).  0, or <0 (nothing will be called): -ENOBUFS
 * (DNS_CREDS_WAITERS_MAX waiting), -ENOSPC (too many services), -EINVAL,
 * -ENOMEM. */
int dns_creds_get(struct dns_creds *c, const char *service, dns_creds_cb *cb, void *arg);
void dns_creds_cancel(struct dns_creds *c, void *arg); /* no cb for arg */
void dns_creds_forget(struct dns_creds *c);  /* next get runs the helper */
time_t dns_creds_endtime(const struct dns_creds *c); /* 0 unknown */
/* The object "kerberos" of the instance's status: principal, ticket end,
 * the last error. */
void dns_creds_report(const struct dns_creds *c, struct nlevd_status *st);
/* Counter for tests: helper runs started. */
unsigned long dns_creds_runs(const struct dns_creds *c);

#endif
