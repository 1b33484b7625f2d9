/* The record-set engine shared by the nsupdate and dnsupdate plugins: the
 * desired state from the core's table, split into independent zones, each
 * with its own read, UPDATE, result, back-off and status.  No I/O here: the
 * transport finds zones, reads records and sends UPDATEs. */
#ifndef NLEVD_DNS_ENGINE_H
#define NLEVD_DNS_ENGINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nlevd/plugin.h>

#include "backoff.h"
#include "keyfile.h"

#define DNS_NAME_MAX 256

struct dns_server {
	char host[256];
	uint16_t port; /* 0: the default, 53 */
};

enum { DNS_OWN_NONE, DNS_OWN_DHCID };
/* auth: how UPDATEs are signed; MSGSS is GSS-TSIG as Windows does it. */
enum { DNS_AUTH_NONE, DNS_AUTH_TSIG, DNS_AUTH_GSS, DNS_AUTH_MSGSS };

struct dns_config {
	char **names; /* lower case, trailing dot */
	size_t nnames;
	char *zone;   /* NULL: discover */
	struct dns_server *servers;
	size_t nservers;
	const char *key_file, *key_name;
	struct tsig_key key; /* when has_key */
	bool has_key;
	int auth;              /* DNS_AUTH_* */
	const char *keytab;    /* gss-tsig: the client keytab */
	const char *principal; /* gss-tsig: NULL = the keytab's machine account */
	uint32_t ttl;
	bool ptr, keep_on_empty, tcp;
	bool want4, want6; /* from the instance's `family` */
	int ownership;     /* DNS_OWN_* */
	bool has_suffix;
	uint8_t suffix[16]; /* ipv6_suffix: the interface identifier */
	uint8_t duid[32];   /* ownership = dhcid: the host's DUID-UUID */
	size_t duid_len;
	uint64_t timeout_ms, retry_ms, retry_max_ms;
	uint64_t delete_delay_ms, verify_ms, refresh_ms;
};

/* Read and check the common keys (and the key file); errors go to
 * host->cfg_error.  extra: the plugin's own keys, checked by the caller. */
int dns_config_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		    struct dns_config *cfg);
void dns_config_free(struct dns_config *cfg);
/* SIGHUP: read the key file again; a broken one is logged and the old key
 * kept.  Also warns when the file's owner or mode is not safe. */
void dns_config_reload_key(const struct nlevd_host *host, struct nlevd_instance *inst,
			   struct dns_config *cfg);
/* Warn (not an error) when the key file at path is not safe for a secret
 * (keyfile_mode_check).  Silent when it cannot be opened. */
void dns_key_file_check(const struct nlevd_host *host, struct nlevd_instance *inst,
			const char *path);

enum dns_op_kind {
	DNS_OP_DELETE_RRSET, /* update: delete the owner's RRset of type */
	DNS_OP_ADD,          /* update: add the record */
	DNS_OP_PRE_NXDOMAIN, /* prerequisite: the owner name is not in use */
	DNS_OP_PRE_YXRR,     /* prerequisite: this record exists (value-dependent) */
};
enum { DNS_T_A = 1, DNS_T_PTR = 12, DNS_T_AAAA = 28, DNS_T_DHCID = 49 };

struct dns_op {
	uint8_t kind;
	uint16_t type;
	char owner[DNS_NAME_MAX]; /* absolute, trailing dot */
	char rdata[DNS_NAME_MAX]; /* presentation form; empty for a delete */
};

/* DNS_PREREQ: a prerequisite failed (YXDOMAIN, YXRRSET, NXRRSET, NXDOMAIN):
 * the records changed since they were read; read again. */
/* DNS_UNVERIFIED (dns_sent only): the update's answer could not be checked
 * (nsupdate could not verify its signature): the records are read back at
 * once, and they say whether it was applied. */
enum dns_result { DNS_OK, DNS_TRANSIENT, DNS_PERMANENT, DNS_PREREQ, DNS_UNVERIFIED };

/* A record set read from a zone's primary: the engine asks, the
 * transport answers (query.c). */
enum dns_rrq_status {
	DNS_RRQ_UNREAD,   /* not read (yet) */
	DNS_RRQ_FOUND,    /* the RRset: rdata[0..nrdata), ttl */
	DNS_RRQ_NXDOMAIN, /* no such name */
	DNS_RRQ_NODATA,   /* the name exists, without records of this type */
	DNS_RRQ_CNAME,    /* the name is taken by a CNAME: rdata[0] its target */
};

/* One question and its answer.  rdata in canonical presentation form:
 * A and AAAA as inet_ntop gives them, PTR and CNAME targets lower case and
 * absolute (trailing dot), DHCID as base64 without spaces; sorted
 * (strcmp), no duplicates.  ttl: the smallest TTL of the RRset (FOUND,
 * CNAME), else 0. */
struct dns_rrq {
	char owner[DNS_NAME_MAX]; /* lower case, absolute (trailing dot) */
	uint16_t type;
	enum dns_rrq_status status;
	char **rdata;
	size_t nrdata;
	uint32_t ttl;
};
/* Free q's rdata; status back to DNS_RRQ_UNREAD (query.c). */
void dns_rrq_clear(struct dns_rrq *q);

struct dns_engine;
struct dns_zone;  /* one zone: the unit of work */
struct dns_group; /* owners whose zone is found together: a name, a reverse /24 or /64 */

/* Everything reports later, from the loop, through dns_found(),
 * dns_read_done() and dns_sent(); never from within the call.  A call that
 * cannot even start returns <0 and reports nothing.  Each zone and group
 * has at most one request in flight. */
struct dns_transport {
	/* The zone and primary of owner (an SOA query for qname). */
	int (*find)(void *ctx, struct dns_group *g, const char *owner, const char *qname);
	/* Read the record sets qs[0..n) from the zone's primary. */
	int (*read)(void *ctx, struct dns_zone *z, struct dns_rrq *qs, size_t n);
	/* Send one zone's changes: one UPDATE, or several cut between owner
	 * names when one would exceed 64 KiB. */
	int (*send)(void *ctx, struct dns_zone *z, const struct dns_op *ops, size_t nops);
	/* Abandon what the zone or group has in flight: no report follows.
	 * Also called as either goes away. */
	void (*cancel_zone)(void *ctx, struct dns_zone *z);
	void (*cancel_group)(void *ctx, struct dns_group *g);
};

void dns_found(struct dns_group *g, enum dns_result r, const char *zone, const char *mname,
	       const char *detail);
void dns_read_done(struct dns_zone *z, enum dns_result r, const char *detail);
void dns_sent(struct dns_zone *z, enum dns_result r, const char *detail);

/* What a transport needs to know of a zone. */
const char *dns_zone_name(const struct dns_zone *z);
const char *dns_zone_mname(const struct dns_zone *z);  /* "" when unknown */
/* The server to try first (fail-over walks the rest), or NULL: the primary. */
const struct dns_server *dns_zone_server(const struct dns_zone *z);
/* A slot for the transport's per-zone / per-group state. */
void **dns_zone_tctx(struct dns_zone *z);
void **dns_group_tctx(struct dns_group *g);

struct dns_engine *dns_engine_new(const struct nlevd_host *host, struct nlevd_instance *inst,
				  const struct dns_config *cfg, const struct dns_transport *t,
				  void *tctx);
/* Free the transport's slots: called for each zone and group as it goes. */
void dns_engine_set_slot_free(struct dns_engine *e, void (*fn)(void *tctx, void *slot));
/* Each transport slot of the groups and zones (for counters). */
void dns_engine_foreach_slot(struct dns_engine *e, void (*fn)(void *slot, void *arg), void *arg);
void dns_engine_free(struct dns_engine *e);
void dns_engine_start(struct dns_engine *e);   /* read and push at start-up */
void dns_engine_changed(struct dns_engine *e); /* an event reached the instance */
/* The credentials changed (a key reloaded on SIGHUP): failed zones are
 * tried again now, or as soon as what is in flight ends. */
void dns_engine_kick(struct dns_engine *e);
int dns_engine_once(struct dns_engine *e);    /* plugin->once */
/* plugin->push: every zone (reverse ones too) read again and updated now,
 * whatever back-off; zones not found are looked for again now.  0. */
int dns_engine_push(struct dns_engine *e);
void dns_engine_report(struct dns_engine *e, struct nlevd_status *st); /* plugin->report */
/* Counters for tests: UPDATEs sent (each zone's send counts once). */
unsigned long long dns_engine_sent(const struct dns_engine *e);

/* Pure helpers, unit-tested. */
int dns_ptr_owner(int family, const uint8_t *addr, char *buf, size_t len);
/* The reverse group of an address: its /24 or /64 zone-ish suffix. */
int dns_ptr_group(int family, const uint8_t *addr, char *buf, size_t len);
int dns_name_normalize(const char *in, char *out, size_t len); /* 0 or -EINVAL */
bool dns_name_under(const char *name, const char *zone);
int dns_server_parse(const char *s, struct dns_server *out);
/* What the host of a `server` is: an IP address literal (used as it is), a
 * host name (normalised into name: lower case, trailing dot), or -EINVAL
 * when it is neither (not a valid DNS host name). */
enum { DNS_HOST_IP, DNS_HOST_NAME };
int dns_server_host(const char *host, char *name, size_t len);
/* RCODE or TSIG error name to a result; unknown names are transient. */
enum dns_result dns_rcode_class(const char *name);

#endif
