/* The record-set engine shared by the nsupdate and dnsupdate plugins:
 * desired state from the core's table, diff against what was pushed,
 * one batch of UPDATE messages in flight, back-off.  Only the transport
 * differs between the plugins. */
#ifndef NLEVD_DNS_ENGINE_H
#define NLEVD_DNS_ENGINE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nlevd/plugin.h>

#define DNS_NAME_MAX 256

struct dns_server {
	char host[256];
	uint16_t port; /* 0: the default, 53 */
};

struct dns_config {
	char **names; /* lower case, trailing dot */
	size_t nnames;
	char *zone;   /* NULL: discover */
	struct dns_server *servers;
	size_t nservers;
	const char *key_file;
	uint32_t ttl;
	bool ptr, keep_on_empty, tcp;
	bool want4, want6; /* from the instance's `family` */
	uint64_t timeout_ms, retry_ms, retry_max_ms;
};

/* The keys every DNS plugin understands (NULL-terminated). */
extern const char *const dns_config_keys[];
/* Read and check the common keys; errors go to host->cfg_error. */
int dns_config_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		    struct dns_config *cfg);
void dns_config_free(struct dns_config *cfg);
/* Warn (not an error) when the key file at path is not safe for a secret:
 * its owner is neither root nor the daemon's euid, or its mode lets the
 * group write or others read or write (keyfile_mode_check).  Silent when
 * it cannot be opened: the caller reports that.  dns_config_read does it
 * at create, dns_engine_kick at every reload. */
void dns_key_file_check(const struct nlevd_host *host, struct nlevd_instance *inst,
			const char *path);

enum dns_op_kind { DNS_OP_DELETE_RRSET, DNS_OP_ADD };
enum { DNS_T_A = 1, DNS_T_PTR = 12, DNS_T_AAAA = 28 };

struct dns_op {
	uint8_t kind;
	uint16_t type;
	char owner[DNS_NAME_MAX]; /* absolute, trailing dot */
	char rdata[DNS_NAME_MAX]; /* presentation form; empty for a delete */
};

struct dns_msg {
	char *zone; /* NULL: let the transport find it */
	struct dns_op *ops;
	size_t nops, cap;
};

struct dns_batch {
	struct dns_msg *msgs;
	size_t nmsgs;
	uint32_t ttl;
	const struct dns_server *server; /* NULL: the zone's SOA MNAME */
	size_t cap; /* msgs allocated */
};

enum dns_result { DNS_OK, DNS_TRANSIENT, DNS_PERMANENT };

struct dns_engine;

struct dns_transport {
	/* Start sending the batch; report with dns_engine_result() later (never
	 * from within send).  Return <0 if it cannot even start. */
	int (*send)(void *ctx, const struct dns_batch *b);
	/* Abandon what is in flight: no result follows. */
	void (*cancel)(void *ctx);
};

struct dns_engine *dns_engine_new(const struct nlevd_host *host, struct nlevd_instance *inst,
				  const struct dns_config *cfg, const struct dns_transport *t,
				  void *tctx);
void dns_engine_free(struct dns_engine *e);
void dns_engine_start(struct dns_engine *e);   /* push the state at start-up */
void dns_engine_changed(struct dns_engine *e); /* an event reached the instance */
/* The credentials changed (a key file reloaded on SIGHUP): a failed state is
 * retried now, or as soon as the batch in flight fails, without back-off.
 * Both plugins call it from reopen, so the key file's owner and mode are
 * checked again here (dns_key_file_check). */
void dns_engine_kick(struct dns_engine *e);
void dns_engine_result(struct dns_engine *e, enum dns_result r, const char *detail);
int dns_engine_once(struct dns_engine *e);     /* plugin->once */
void dns_engine_status(struct dns_engine *e);  /* plugin->status */
/* Counters for tests. */
unsigned long long dns_engine_sent(const struct dns_engine *e);

/* Pure helpers, unit-tested. */
uint64_t dns_backoff_ms(uint64_t retry, uint64_t retry_max, unsigned failures, bool permanent,
			double u /* uniform in [0,1) */);
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

void dns_batch_free(struct dns_batch *b);

#endif
