/* The engine's inside, shared by engine.c (groups, discovery, the whole
 * instance), zone.c (one zone's state machine) and rrset.c (desired sets
 * and the changes that reach them).  Not for the transports. */
#ifndef NLEVD_DNS_ZONE_H
#define NLEVD_DNS_ZONE_H
#include <ev.h>
#include <time.h>

#include "aset.h"
#include "engine.h"

enum { G_NEW, G_FINDING, G_FOUND, G_FAILED };
/* What the DHCID at a forward name says (ownership = dhcid). */
enum { OWN_UNKNOWN, OWN_FREE, OWN_OURS, OWN_OTHER };

struct dns_group {
	struct dns_engine *e;
	bool reverse;
	size_t name;              /* forward: index into cfg->names */
	struct addr key;          /* reverse: an address of the group */
	char owner[DNS_NAME_MAX]; /* forward: the name; reverse: key's PTR owner */
	char label[64];           /* reverse: "198.51.100.0/24" */
	struct dns_zone *zone;    /* once found */
	int fstate;               /* G_* */
	unsigned failures;
	ev_timer timer; /* the next try to find the zone */
	char last[300];
	/* The records at the primary, as last read or pushed. */
	bool known;
	struct aset pub;     /* forward: the name's A and AAAA; reverse: our PTRs */
	struct aset sending; /* what the UPDATE in flight publishes */
	bool in_send;        /* the UPDATE in flight has changes of this group */
	int own;             /* OWN_*; forward only */
	int own_sending;     /* what own becomes when the UPDATE succeeds */
	bool cname;          /* the name is a CNAME: nothing can be added */
	size_t q0, qn;       /* its questions in the zone's read */
	void *tctx;
};

enum { Z_IDLE, Z_READ, Z_SEND, Z_BACKOFF };

struct dns_zone {
	struct dns_engine *e;
	char name[DNS_NAME_MAX], mname[DNS_NAME_MAX];
	bool reverse;
	int state;       /* Z_* */
	bool dirty;      /* the desired state changed while in flight */
	bool kicked;     /* the key changed while in flight */
	bool need_read;  /* read the records before the next UPDATE */
	bool refresh;    /* the next UPDATE sends everything */
	bool failing;    /* the last attempt failed (for --once and status) */
	bool uncertain;  /* an UPDATE timed out: the server may still apply it */
	bool confirming; /* reading back after an unverified answer */
	char unverified[200]; /* what that answer was */
	bool verified;   /* the records were just read */
	uint64_t tried;  /* dns_zone_want_hash() of the last attempt */
	unsigned failures;
	size_t server_idx, servers_tried;
	ev_timer timer;         /* back-off */
	ev_timer verify_timer;  /* `verify` */
	ev_timer refresh_timer; /* `refresh` */
	ev_timer confirm_timer; /* the read after a doubtful failure */
	struct dns_rrq *qs;     /* the read in flight */
	size_t nqs;
	struct dns_op *ops; /* the UPDATE in flight */
	size_t nops, cap;
	char last[400];
	time_t last_time;
	ev_tstamp next_retry;
	unsigned long long sent, ok, failed;
	void *tctx;
};

struct dns_engine {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const struct dns_config *cfg;
	const struct dns_transport *t;
	void *tctx;
	void (*slot_free)(void *tctx, void *slot);
	struct dns_group **groups;
	size_t ngroups;
	struct dns_zone **zones;
	size_t nzones;
	struct aset want; /* the desired addresses, delete_delay applied */
	struct aset_hold hold; /* delete_delay */
	ev_timer hold_timer;
	ev_timer start_timer; /* begin() after the core's start-up replay */
	char dhcid[64]; /* ownership = dhcid: our DHCID's base64 is per name */
	bool started, once_waiting;
	uint32_t rng;
	unsigned long long sent, ok, failed;
	time_t last_success; /* the last UPDATE acknowledged (0: none yet) */
};

/* rrset.c */
/* The desired addresses, delete_delay applied, into e->want; true when it
 * changed.  Arms e->hold_timer for the next hold that ends. */
bool dns_want_update(struct dns_engine *e);
/* The changes that turn g's published records into the desired ones,
 * appended to z->ops; g->sending/own_sending set, g->in_send when any. */
int dns_group_ops(struct dns_group *g, struct dns_zone *z, bool refresh);
/* The run of the sorted set w inside reverse group g's prefix: [*b, *end). */
void dns_group_run(const struct dns_group *g, const struct aset *w, size_t *b, size_t *end);
/* A digest of the part of the desired state that is the zone's. */
uint64_t dns_zone_want_hash(const struct dns_zone *z);
/* The questions that read g's records, appended to z->qs; and reading the
 * answers back into g. */
int dns_group_questions(struct dns_group *g, struct dns_zone *z);
void dns_group_answers(struct dns_group *g, const struct dns_rrq *qs, size_t n);
/* The DHCID (base64) that claims name for this host. */
int dns_dhcid_of(const struct dns_engine *e, const char *name, char *b64, size_t len);

/* zone.c */
struct dns_zone *dns_zone_new(struct dns_engine *e, const char *name, const char *mname,
			      bool reverse);
void dns_zone_free(struct dns_zone *z);
/* Something changed for the zone: act now if idle, else after. */
void dns_zone_poke(struct dns_zone *z);
void dns_zone_kick(struct dns_zone *z);
/* Now, whatever back-off is pending (--once). */
void dns_zone_retry(struct dns_zone *z);
/* push: read the records again and send what differs, now, whether the
 * zone is idle or in back-off; after what is in flight when it is busy. */
void dns_zone_push(struct dns_zone *z);
/* The zone's element of the report's "zones" list. */
void dns_zone_report(const struct dns_zone *z, struct nlevd_status *st);
bool dns_zone_busy(const struct dns_zone *z);

/* engine.c */
double dns_rnd(struct dns_engine *e);
/* An attempt ended: --once may be done. */
void dns_engine_settled(struct dns_engine *e);
/* Emit dns-published, dns-failed or dns-conflict (SPEC). */
void dns_engine_emit(struct dns_engine *e, const char *event, const char *zone,
		     const char *names, const char *error);
/* The names (owners) of the zone's groups, space-separated, bounded. */
void dns_zone_names(const struct dns_zone *z, char *buf, size_t len);

#endif
