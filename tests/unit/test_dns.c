/* The DNS record-set engine with a fake transport and a fake state table;
 * the pure helpers; nsupdate's result classification. */
#include <arpa/inet.h>
#include <ev.h>
#include <linux/if_addr.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../../plugins/dns/engine.h"
#include "../../plugins/dns/nsuclass.h"
#include "tap.h"

/* ---- a fake host ---- */
static struct nlevd_link links[2] = {{.ifindex = 1, .ifname = "lo"}, {.ifindex = 2, .ifname = "eth0"}};
#define MANY 20000 /* the large ptr = yes test */
static struct nlevd_addr addrs[MANY + 16];
static size_t naddrs;
static int once_calls, once_ok;

static void fake_log(struct nlevd_instance *inst, int level, const char *fmt, ...)
{
	va_list ap;
	(void)inst;
	printf("# log %d: ", level);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

static int fake_foreach(int ifindex, nlevd_addr_cb cb, void *arg)
{
	(void)ifindex;
	for (size_t i = 0; i < naddrs; i++)
		if (cb(&links[addrs[i].ifindex - 1], &addrs[i], arg))
			return 1;
	return 0;
}

static bool fake_selected(const struct nlevd_instance *inst, const struct nlevd_link *l,
			  const struct nlevd_addr *a)
{
	(void)inst;
	(void)a;
	return strcmp(l->ifname, "lo") != 0;
}

static void fake_once_done(struct nlevd_instance *inst, bool ok)
{
	(void)inst;
	once_calls++;
	once_ok = ok;
}

static struct nlevd_host host = {
	.log = fake_log, .addr_foreach = fake_foreach, .selected = fake_selected,
	.once_done = fake_once_done,
};

static void add_addr(int ifindex, const char *text, uint32_t flags)
{
	struct nlevd_addr *a = &addrs[naddrs++];
	memset(a, 0, sizeof(*a));
	a->ifindex = ifindex;
	a->family = strchr(text, ':') ? AF_INET6 : AF_INET;
	inet_pton(a->family, text, a->addr);
	a->prefixlen = a->family == AF_INET ? 24 : 64;
	a->flags = flags;
}

static void del_addr(const char *text)
{
	uint8_t b[16] = {0};
	int af = strchr(text, ':') ? AF_INET6 : AF_INET;
	inet_pton(af, text, b);
	for (size_t i = 0; i < naddrs; i++)
		if (addrs[i].family == af && !memcmp(addrs[i].addr, b, af == AF_INET ? 4 : 16)) {
			addrs[i] = addrs[--naddrs];
			return;
		}
	abort();
}

/* ---- a fake transport: the batch as text ---- */
static char sent[8192];
static int nsent;

static int fake_send(void *ctx, const struct dns_batch *b)
{
	static const char *const tn[] = {[1] = "A", [12] = "PTR", [28] = "AAAA"};
	(void)ctx;
	size_t n = 0;
	nsent++;
	sent[0] = 0;
	if (b->server)
		n += (size_t)snprintf(sent + n, sizeof(sent) - n, "server %s;", b->server->host);
	for (size_t i = 0; i < b->nmsgs; i++) {
		n += (size_t)snprintf(sent + n, sizeof(sent) - n, "[%s]", b->msgs[i].zone ? b->msgs[i].zone : "?");
		for (size_t k = 0; k < b->msgs[i].nops; k++) {
			const struct dns_op *op = &b->msgs[i].ops[k];
			n += (size_t)snprintf(sent + n, sizeof(sent) - n, " %s %s %s%s%s;",
					      op->kind == DNS_OP_ADD ? "add" : "del", op->owner,
					      tn[op->type], op->rdata[0] ? " " : "", op->rdata);
		}
	}
	return 0;
}

static const struct dns_transport transport = {fake_send, NULL};

static void run_loop(void)
{
	/* Fire zero timers. */
	ev_run(host.loop, EVRUN_NOWAIT);
	ev_run(host.loop, EVRUN_NOWAIT);
}

static struct dns_config config(void)
{
	static char *names[] = {"host.example.test."};
	static struct dns_server servers[2] = {{"127.0.0.1", 0}, {"127.0.0.2", 5353}};
	struct dns_config c = {
		.names = names, .nnames = 1, .zone = "example.test.", .servers = servers,
		.nservers = 1, .ttl = 300, .want4 = true, .want6 = true, .timeout_ms = 1000,
		.retry_ms = 5000, .retry_max_ms = 600000,
	};
	return c;
}

static void test_engine(void)
{
	struct dns_config c = config();
	naddrs = 0;
	nsent = 0;
	add_addr(1, "127.0.0.1", IFA_F_PERMANENT);
	add_addr(2, "192.0.2.1", IFA_F_PERMANENT);
	add_addr(2, "2001:db8::1", 0);
	add_addr(2, "2001:db8::dead", IFA_F_DEPRECATED);
	add_addr(2, "2001:db8::7", IFA_F_TENTATIVE);
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &transport, NULL);
	dns_engine_start(e);
	is_int(nsent, 0, "nothing before the loop runs (after the start-up replay)");
	run_loop();
	is_int(nsent, 1, "start-up push");
	is_str(sent,
	       "server 127.0.0.1;[example.test.] del host.example.test. A; del host.example.test. AAAA;"
	       " add host.example.test. A 192.0.2.1; add host.example.test. AAAA 2001:db8::1;"
	       " add host.example.test. AAAA 2001:db8::dead;",
	       "one message replaces both RRsets; lo and tentative left out, deprecated kept");
	dns_engine_changed(e);
	is_int(nsent, 1, "one update in flight: a change waits");
	add_addr(2, "192.0.2.2", 0);
	dns_engine_changed(e);
	del_addr("192.0.2.2");
	add_addr(2, "192.0.2.3", 0);
	dns_engine_changed(e);
	is_int(nsent, 1, "still one in flight");
	dns_engine_result(e, DNS_OK, NULL);
	is_int(nsent, 2, "the changes made meanwhile go out at once, coalesced");
	ok(strstr(sent, "add host.example.test. A 192.0.2.3;") && !strstr(sent, "192.0.2.2"),
	   "with the latest state");
	dns_engine_result(e, DNS_OK, NULL);
	dns_engine_changed(e);
	is_int(nsent, 2, "no difference: no update");

	/* Failures: back-off; the same state waits, a new change goes at once. */
	add_addr(2, "192.0.2.4", 0);
	dns_engine_changed(e);
	is_int(nsent, 3, "a change: update");
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	dns_engine_changed(e);
	is_int(nsent, 3, "in back-off, the same state waits for the timer");
	add_addr(2, "192.0.2.5", 0);
	dns_engine_changed(e);
	is_int(nsent, 4, "in back-off, a new change is tried at once");
	dns_engine_result(e, DNS_PERMANENT, "REFUSED");
	del_addr("192.0.2.5");
	dns_engine_changed(e);
	is_int(nsent, 5, "back to an older state is also a change");
	add_addr(2, "192.0.2.6", 0);
	dns_engine_changed(e);
	is_int(nsent, 5, "a change while in flight waits");
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	is_int(nsent, 6, "the batch failed: the newer state is tried at once, not after back-off");
	ok(strstr(sent, "192.0.2.6") != NULL, "with the newer state");
	dns_engine_changed(e);
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	is_int(nsent, 6, "nothing changed during that one: back-off");
	del_addr("192.0.2.6");
	dns_engine_changed(e);
	is_int(nsent, 7, "in back-off, a change is tried at once");
	dns_engine_result(e, DNS_OK, NULL);

	/* on_empty */
	naddrs = 0;
	c.keep_on_empty = true;
	dns_engine_changed(e);
	is_int(nsent, 7, "on_empty = keep: nothing sent when no address is left");
	c.keep_on_empty = false;
	dns_engine_changed(e);
	is_int(nsent, 8, "on_empty = delete: an update");
	is_str(sent, "server 127.0.0.1;[example.test.] del host.example.test. A; del host.example.test. AAAA;",
	       "that deletes the RRsets");
	dns_engine_result(e, DNS_OK, NULL);

	/* --once */
	once_calls = 0;
	int rc = dns_engine_once(e);
	ok(rc == 0 && once_calls == 0, "--once with nothing to do: done at once");
	add_addr(2, "192.0.2.9", 0);
	rc = dns_engine_once(e);
	ok(rc == NLEVD_ONCE_PENDING && nsent == 9, "--once with a difference: pending, update sent");
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	ok(once_calls == 1 && !once_ok, "--once reports the failure");
	dns_engine_free(e);
}

static void test_ptr_and_zones(void)
{
	struct dns_config c = config();
	static char *names[] = {"a.example.test.", "b.other.test."};
	c.names = names;
	c.nnames = 2;
	c.zone = NULL;
	c.ptr = true;
	c.nservers = 0;
	naddrs = 0;
	nsent = 0;
	add_addr(2, "192.0.2.1", 0);
	add_addr(2, "2001:db8::1", 0);
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &transport, NULL);
	dns_engine_start(e);
	run_loop();
	is_str(sent,
	       "[?] del a.example.test. A; del a.example.test. AAAA; add a.example.test. A 192.0.2.1;"
	       " add a.example.test. AAAA 2001:db8::1;"
	       "[?] del b.other.test. A; del b.other.test. AAAA; add b.other.test. A 192.0.2.1;"
	       " add b.other.test. AAAA 2001:db8::1;"
	       "[?] del 1.2.0.192.in-addr.arpa. PTR; add 1.2.0.192.in-addr.arpa. PTR a.example.test.;"
	       "[?] del 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR;"
	       " add 1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. PTR a.example.test.;",
	       "no zone: a message per name; PTR per reverse group, to the first name");
	dns_engine_result(e, DNS_OK, NULL);
	del_addr("192.0.2.1");
	add_addr(2, "198.51.100.7", 0);
	dns_engine_changed(e);
	ok(strstr(sent, "[?] del 1.2.0.192.in-addr.arpa. PTR;") != NULL,
	   "the withdrawn address's PTR is deleted");
	ok(strstr(sent, "add 7.100.51.198.in-addr.arpa. PTR a.example.test.;") != NULL,
	   "the new address gets a PTR");
	ok(strstr(sent, "ip6.arpa") == NULL, "an unchanged reverse group is left alone");
	dns_engine_result(e, DNS_OK, NULL);

	/* A PTR in a batch that timed out may still be applied: once its
	 * address is gone, it is deleted although no success published it. */
	add_addr(2, "198.51.100.8", 0);
	dns_engine_changed(e);
	ok(strstr(sent, "add 8.100.51.198.in-addr.arpa. PTR") != NULL, "a PTR for .8 is sent");
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	del_addr("198.51.100.8");
	dns_engine_changed(e);
	ok(strstr(sent, "del 8.100.51.198.in-addr.arpa. PTR;") != NULL,
	   "the PTR of an address in a timed-out batch is deleted once it is gone");
	ok(strstr(sent, "add a.example.test. A 198.51.100.7;") != NULL,
	   "and the A records are replaced, though back to what was pushed before");
	dns_engine_result(e, DNS_OK, NULL);
	add_addr(2, "198.51.100.9", 0);
	dns_engine_changed(e);
	ok(strstr(sent, "8.100.51.198") == NULL, "then the PTR is forgotten");
	dns_engine_result(e, DNS_OK, NULL);
	dns_engine_free(e);
}

/* ---- ptr = yes with many addresses: checked against the address table ---- */
static const struct dns_batch *last_batch;

static int keep_send(void *ctx, const struct dns_batch *b)
{
	(void)ctx;
	nsent++;
	last_batch = b; /* the engine's own, valid until its next attempt */
	return 0;
}

static const struct dns_transport keep_transport = {keep_send, NULL};

/* Address k of the table: IPv4 10.a.b.c and IPv6 2001:db8:a:b::c, the
 * group sizes uneven (1 to 37 per /24 or /64). */
static void many_addr(struct nlevd_addr *a, size_t k, size_t salt)
{
	memset(a, 0, sizeof(*a));
	a->ifindex = 2;
	size_t g = k / 37, h = (k * 7 + salt) % 37, v6 = (k / 37) % 3 == 0;
	if (!v6) {
		a->family = AF_INET;
		uint8_t v[4] = {10, (uint8_t)(g >> 8), (uint8_t)g, (uint8_t)(h + 1 + salt)};
		memcpy(a->addr, v, 4);
	} else {
		a->family = AF_INET6;
		uint8_t v[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, (uint8_t)(g >> 8), (uint8_t)g};
		v[14] = (uint8_t)salt;
		v[15] = (uint8_t)(h + 1);
		memcpy(a->addr, v, 16);
	}
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/* The reverse group of a PTR owner: what follows the host labels. */
static const char *owner_group(const char *owner)
{
	int skip = strstr(owner, "in-addr.arpa.") ? 1 : 16;
	while (skip-- > 0 && strchr(owner, '.'))
		owner = strchr(owner, '.') + 1;
	return owner;
}

/* The PTR messages of last_batch against what they must be: each message
 * holds one reverse group, no group twice; the groups are exactly those of
 * `changed` (owner names, sorted); each desired owner of such a group is
 * deleted then added (to the first name), each other owner deleted only,
 * `deleted` (sorted) being those. */
static void check_ptr(const char *what, char **want, size_t nwant, char **deleted, size_t ndel,
		      size_t nforward)
{
	size_t nmsgs = last_batch->nmsgs;
	ok(nmsgs >= nforward, "%s: %zu messages", what, nmsgs);
	char **groups = calloc(nmsgs + 1, sizeof(*groups));
	char **adds = calloc(nwant + 1, sizeof(*adds)), **dels = calloc(ndel + 1, sizeof(*dels));
	size_t ngroups = 0, nadds = 0, ndels = 0, bad = 0;
	for (size_t i = nforward; i < nmsgs; i++) {
		const struct dns_msg *m = &last_batch->msgs[i];
		if (!m->nops || m->zone) {
			bad++;
			continue;
		}
		groups[ngroups++] = (char *)owner_group(m->ops[0].owner);
		for (size_t k = 0; k < m->nops; k++) {
			const struct dns_op *op = &m->ops[k];
			if (op->type != DNS_T_PTR || strcmp(owner_group(op->owner), groups[ngroups - 1]))
				bad++;
			else if (op->kind == DNS_OP_ADD) {
				/* an add follows the delete of its owner */
				if (!k || m->ops[k - 1].kind != DNS_OP_DELETE_RRSET ||
				    strcmp(m->ops[k - 1].owner, op->owner) ||
				    strcmp(op->rdata, "a.example.test.") || nadds == nwant)
					bad++;
				else
					adds[nadds++] = (char *)op->owner;
			} else if (k + 1 == m->nops || m->ops[k + 1].kind != DNS_OP_ADD ||
				   strcmp(m->ops[k + 1].owner, op->owner)) {
				if (ndels == ndel)
					bad++;
				else
					dels[ndels++] = (char *)op->owner;
			}
		}
	}
	is_int(bad, 0, "%s: every op is a PTR of its message's group, add after delete", what);
	qsort(groups, ngroups, sizeof(*groups), cmp_str);
	size_t dup = 0;
	for (size_t i = 1; i < ngroups; i++)
		dup += !strcmp(groups[i - 1], groups[i]);
	is_int(dup, 0, "%s: one message per group", what);
	qsort(adds, nadds, sizeof(*adds), cmp_str);
	qsort(dels, ndels, sizeof(*dels), cmp_str);
	size_t diff = nadds != nwant || ndels != ndel;
	for (size_t i = 0; !diff && i < nwant; i++)
		diff += strcmp(adds[i], want[i]) != 0;
	for (size_t i = 0; !diff && i < ndel; i++)
		diff += strcmp(dels[i], deleted[i]) != 0;
	ok(!diff, "%s: %zu PTRs published (want %zu), %zu deleted (want %zu)", what, nadds, nwant,
	   ndels, ndel);
	free(groups);
	free(adds);
	free(dels);
}

static char *owner_of(const struct nlevd_addr *a)
{
	char *o = malloc(DNS_NAME_MAX);
	dns_ptr_owner(a->family, a->addr, o, DNS_NAME_MAX);
	return o;
}

static void test_ptr_many(void)
{
	struct dns_config c = config();
	static char *names[] = {"a.example.test."};
	c.names = names;
	c.ptr = true;
	naddrs = 0;
	nsent = 0;
	for (size_t k = 0; k < MANY; k++)
		many_addr(&addrs[naddrs++], k, 0);
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &keep_transport, NULL);
	dns_engine_changed(e);
	is_int(nsent, 1, "20000 addresses: one batch");
	const struct dns_msg *f = &last_batch->msgs[0];
	ok(f->zone && !strcmp(f->zone, "example.test.") && f->nops == MANY + 2,
	   "the forward message: both RRsets replaced, %d records (%zu ops)", MANY, f->nops);
	/* every address is published; the groups as dns_ptr_group says */
	char **want = calloc(MANY, sizeof(*want));
	char **grp = calloc(MANY, sizeof(*grp));
	for (size_t k = 0; k < MANY; k++) {
		want[k] = owner_of(&addrs[k]);
		grp[k] = malloc(DNS_NAME_MAX);
		dns_ptr_group(addrs[k].family, addrs[k].addr, grp[k], DNS_NAME_MAX);
	}
	qsort(want, MANY, sizeof(*want), cmp_str);
	qsort(grp, MANY, sizeof(*grp), cmp_str);
	size_t ngroups = MANY ? 1 : 0;
	for (size_t k = 1; k < MANY; k++)
		ngroups += strcmp(grp[k - 1], grp[k]) != 0;
	is_int(last_batch->nmsgs, 1 + ngroups, "one message per reverse group (%zu groups)",
	       ngroups);
	check_ptr("first push", want, MANY, NULL, 0, 1);
	dns_engine_result(e, DNS_OK, NULL);

	/* Withdraw every 5th address of the groups with an index divisible by
	 * 7, add 3 new ones into existing groups: only those groups change. */
	size_t nw = 0, nd = 0;
	char **dels = calloc(MANY, sizeof(*dels));
	char **keep = calloc(MANY + 3, sizeof(*keep));
	bool touched[MANY / 37 + 2] = {0};
	size_t w = 0;
	for (size_t k = 0; k < MANY; k++) {
		size_t g = k / 37;
		if (g % 7 == 0 && k % 5 == 0) {
			dels[nd++] = owner_of(&addrs[k]);
			touched[g] = true;
		} else {
			addrs[w++] = addrs[k];
		}
	}
	for (size_t k = 0; k < 3; k++) {
		size_t at = 37 * (100 + k) ; /* groups 100 to 102 */
		many_addr(&addrs[w], at, 40); /* a host number not used before */
		touched[at / 37] = true;
		w++;
	}
	naddrs = w;
	/* the desired PTRs of the touched groups */
	for (size_t k = 0; k < naddrs; k++) {
		char g[DNS_NAME_MAX];
		dns_ptr_group(addrs[k].family, addrs[k].addr, g, sizeof(g));
		/* group index from the table's layout: the address's first
		 * bytes after 10. or 2001:db8:0: */
		size_t gi = addrs[k].family == AF_INET ? (size_t)addrs[k].addr[1] << 8 | addrs[k].addr[2]
						       : (size_t)addrs[k].addr[6] << 8 | addrs[k].addr[7];
		if (gi < sizeof(touched) && touched[gi])
			keep[nw++] = owner_of(&addrs[k]);
	}
	qsort(keep, nw, sizeof(*keep), cmp_str);
	qsort(dels, nd, sizeof(*dels), cmp_str);
	dns_engine_changed(e);
	is_int(nsent, 2, "a change: a second batch");
	size_t ntouched = 0;
	for (size_t g = 0; g < sizeof(touched); g++)
		ntouched += touched[g];
	is_int(last_batch->nmsgs, 1 + ntouched, "the forward message and the %zu groups changed",
	       ntouched);
	check_ptr("a change", keep, nw, dels, nd, 1);
	dns_engine_result(e, DNS_OK, NULL);
	dns_engine_free(e);
	for (size_t k = 0; k < MANY; k++)
		free(want[k]), free(grp[k]), free(dels[k]);
	for (size_t k = 0; k < nw; k++)
		free(keep[k]);
	free(want), free(grp), free(dels), free(keep);
	naddrs = 0;
}

static void test_failover(void)
{
	struct dns_config c = config();
	c.nservers = 2;
	naddrs = 0;
	nsent = 0;
	add_addr(2, "192.0.2.1", 0);
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &transport, NULL);
	dns_engine_start(e);
	run_loop();
	ok(!strncmp(sent, "server 127.0.0.1;", 17), "first server first");
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	is_int(nsent, 2, "a transient failure fails over at once");
	ok(!strncmp(sent, "server 127.0.0.2;", 17), "to the next server");
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	is_int(nsent, 2, "each server tried: now back-off");
	dns_engine_free(e);
}

/* SIGHUP (a key file reloaded): a failed state is retried at once. */
static void test_kick(void)
{
	struct dns_config c = config();
	naddrs = 0;
	nsent = 0;
	add_addr(2, "192.0.2.1", 0);
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &transport, NULL);
	dns_engine_start(e);
	run_loop();
	is_int(nsent, 1, "kick: start-up push");
	dns_engine_result(e, DNS_PERMANENT, "NOTAUTH (BADSIG)");
	dns_engine_changed(e);
	is_int(nsent, 1, "kick: after a permanent error the same state waits for retry_max");
	dns_engine_kick(e);
	is_int(nsent, 2, "kick: in back-off, tried again at once");
	dns_engine_kick(e);
	is_int(nsent, 2, "kick: in flight, nothing more is sent");
	dns_engine_result(e, DNS_PERMANENT, "NOTAUTH (BADSIG)");
	is_int(nsent, 3, "kick: the batch in flight failed: tried again at once, no back-off");
	dns_engine_result(e, DNS_PERMANENT, "NOTAUTH (BADSIG)");
	is_int(nsent, 3, "kick: only once: the next failure backs off");
	dns_engine_kick(e);
	is_int(nsent, 4, "kick: back-off again cut short");
	dns_engine_result(e, DNS_OK, NULL);
	dns_engine_kick(e);
	is_int(nsent, 4, "kick: with the records up to date, nothing is sent");
	dns_engine_free(e);
}

/* A success after a timeout: the timed-out batch may still be applied late
 * (and undo this one), so everything is pushed once more, after retry. */
static void test_confirm(void)
{
	struct dns_config c = config();
	c.retry_ms = 1;
	c.timeout_ms = 1;
	naddrs = 0;
	nsent = 0;
	add_addr(2, "192.0.2.1", 0);
	struct dns_engine *e = dns_engine_new(&host, NULL, &c, &transport, NULL);
	dns_engine_start(e);
	run_loop();
	dns_engine_result(e, DNS_OK, NULL);
	usleep(5000);
	run_loop();
	is_int(nsent, 1, "confirm: a plain success is not pushed again");
	add_addr(2, "192.0.2.2", 0);
	dns_engine_changed(e);
	dns_engine_result(e, DNS_TRANSIENT, "timed out");
	usleep(5000);
	run_loop();
	is_int(nsent, 3, "confirm: retried after the timeout");
	dns_engine_result(e, DNS_OK, NULL);
	is_int(nsent, 3, "confirm: not at once");
	add_addr(2, "192.0.2.3", 0);
	dns_engine_changed(e);
	is_int(nsent, 4, "confirm: a change meanwhile goes out at once");
	dns_engine_result(e, DNS_OK, NULL);
	usleep(5000);
	run_loop();
	is_int(nsent, 5, "confirm: and the state is still pushed once more after retry");
	ok(strstr(sent, "add host.example.test. A 192.0.2.1;") && strstr(sent, "192.0.2.3;"),
	   "confirm: the whole state, though nothing changed");
	dns_engine_result(e, DNS_OK, NULL);
	usleep(5000);
	run_loop();
	is_int(nsent, 5, "confirm: only once");
	del_addr("192.0.2.3");
	dns_engine_result(e, DNS_PERMANENT, "REFUSED"); /* not in flight: ignored */
	del_addr("192.0.2.2");
	dns_engine_changed(e);
	dns_engine_result(e, DNS_PERMANENT, "REFUSED");
	del_addr("192.0.2.1");
	dns_engine_changed(e);
	dns_engine_result(e, DNS_OK, NULL);
	usleep(5000);
	run_loop();
	is_int(nsent, 7, "confirm: not after a refusal (the server answered)");
	dns_engine_free(e);
}

static void test_helpers(void)
{
	char b[300];
	struct dns_server s;
	ok(dns_name_normalize("Host.Example.TEST", b, sizeof(b)) == 0 && !strcmp(b, "host.example.test."),
	   "normalize: lower case, trailing dot");
	ok(dns_name_normalize("a..b", b, sizeof(b)) < 0, "empty label refused");
	ok(dns_name_normalize("a b", b, sizeof(b)) < 0, "blank refused");
	ok(dns_name_normalize("a;b", b, sizeof(b)) < 0, "';' refused (would inject into a script)");
	ok(dns_name_normalize("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.t", b, sizeof(b)) < 0,
	   "64-byte label refused");
	ok(dns_name_under("a.example.test.", "example.test.") && dns_name_under("example.test.", "example.test.") &&
	   !dns_name_under("aexample.test.", "example.test."), "name under zone");
	ok(dns_server_parse("127.0.0.1", &s) == 0 && !strcmp(s.host, "127.0.0.1") && s.port == 0, "server");
	ok(dns_server_parse("ns1.example:5353", &s) == 0 && !strcmp(s.host, "ns1.example") && s.port == 5353,
	   "server:port");
	ok(dns_server_parse("[::1]:5353", &s) == 0 && !strcmp(s.host, "::1") && s.port == 5353, "[v6]:port");
	ok(dns_server_parse("2001:db8::53", &s) == 0 && !strcmp(s.host, "2001:db8::53") && s.port == 0,
	   "bare v6");
	ok(dns_server_parse("a:0", &s) < 0 && dns_server_parse("a:99999", &s) < 0 &&
	   dns_server_parse("a;b", &s) < 0 && dns_server_parse("[::1", &s) < 0, "bad servers refused");
	/* dnsupdate: an IP literal is used as it is, a name is looked up */
	ok(dns_server_host("127.0.0.1", b, sizeof(b)) == DNS_HOST_IP &&
	   dns_server_host("2001:db8::53", b, sizeof(b)) == DNS_HOST_IP &&
	   dns_server_host("::ffff:192.0.2.1", b, sizeof(b)) == DNS_HOST_IP, "server host: IP literals");
	ok(dns_server_host("NS1.Example.TEST", b, sizeof(b)) == DNS_HOST_NAME &&
	   !strcmp(b, "ns1.example.test."), "server host: a name, normalised");
	ok(dns_server_host("ns1.example.test.", b, sizeof(b)) == DNS_HOST_NAME &&
	   !strcmp(b, "ns1.example.test."), "server host: trailing dot");
	ok(dns_server_host("localhost", b, sizeof(b)) == DNS_HOST_NAME &&
	   dns_server_host("a-b.x1", b, sizeof(b)) == DNS_HOST_NAME &&
	   dns_server_host("1.example", b, sizeof(b)) == DNS_HOST_NAME, "server host: short names");
	ok(dns_server_host("192.0.2.300", b, sizeof(b)) < 0 && dns_server_host("10.1", b, sizeof(b)) < 0 &&
	   dns_server_host("1.2.3.4.", b, sizeof(b)) < 0, "server host: a mistyped address is no name");
	ok(dns_server_host("$(id)", b, sizeof(b)) < 0 && dns_server_host("a b", b, sizeof(b)) < 0 &&
	   dns_server_host("a..b", b, sizeof(b)) < 0 && dns_server_host(".", b, sizeof(b)) < 0 &&
	   dns_server_host("", b, sizeof(b)) < 0 && dns_server_host("a:b:c", b, sizeof(b)) < 0,
	   "server host: not a name");
	ok(dns_server_host("-ns.example", b, sizeof(b)) < 0 && dns_server_host("ns-.example", b, sizeof(b)) < 0,
	   "server host: hyphen at a label's end");
	{
		char big[300];
		/* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters: the longest name */
		memset(big, 'a', sizeof(big));
		big[63] = big[127] = big[191] = '.';
		big[253] = 0;
		ok(dns_server_host(big, b, sizeof(b)) == DNS_HOST_NAME, "server host: 253 characters");
		big[253] = '.';
		big[254] = 0;
		ok(dns_server_host(big, b, sizeof(b)) == DNS_HOST_NAME, "server host: 253 and a dot");
		big[253] = 'a';
		ok(dns_server_host(big, b, sizeof(b)) < 0, "server host: 254 characters refused");
		memset(big, 'a', 64);
		big[64] = 0;
		ok(dns_server_host(big, b, sizeof(b)) < 0, "server host: 64-byte label refused");
	}
	uint8_t a6[16] = {0x20, 0x01, 0x0d, 0xb8, [15] = 0xab};
	dns_ptr_owner(AF_INET6, a6, b, sizeof(b));
	is_str(b, "b.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", "ip6.arpa nibbles");
	dns_ptr_group(AF_INET6, a6, b, sizeof(b));
	is_str(b, "0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa.", "v6 group: the /64");
	/* back-off: doubling from retry to retry_max, with 80-120% jitter */
	is_int(dns_backoff_ms(5000, 600000, 1, false, 0.5), 5000, "first retry: retry");
	is_int(dns_backoff_ms(5000, 600000, 2, false, 0.5), 10000, "then doubled");
	is_int(dns_backoff_ms(5000, 600000, 4, false, 0.5), 40000, "and doubled");
	is_int(dns_backoff_ms(5000, 600000, 30, false, 0.5), 600000, "capped at retry_max");
	is_int(dns_backoff_ms(5000, 600000, 30, false, 0.99), 600000, "jitter never above retry_max");
	is_int(dns_backoff_ms(5000, 600000, 1, false, 0.0), 4000, "jitter down to 80%%");
	is_int(dns_backoff_ms(5000, 600000, 1, false, 0.999), 5998, "jitter up to 120%%");
	is_int(dns_backoff_ms(5000, 600000, 1, true, 0.5), 600000, "permanent: retry_max");
}

static void test_classify(void)
{
	char d[256];
	struct {
		int status;
		bool to;
		const char *out;
		enum dns_result want;
		const char *detail;
	} cases[] = {
		{0, false, "", DNS_OK, "ok"},
		{2 << 8, false, "; TSIG error with server: tsig indicates error\nupdate failed: NOTAUTH(BADSIG)\n",
		 DNS_PERMANENT, "NOTAUTH (BADSIG)"},
		{2 << 8, false, "update failed: NOTAUTH(BADKEY)\n", DNS_PERMANENT, "NOTAUTH (BADKEY)"},
		{2 << 8, false, "update failed: REFUSED\n", DNS_PERMANENT, "REFUSED"},
		{2 << 8, false, "update failed: NOTZONE\n", DNS_PERMANENT, "NOTZONE"},
		{2 << 8, false, "update failed: YXDOMAIN\n", DNS_PERMANENT, "YXDOMAIN"},
		{2 << 8, false, "update failed: SERVFAIL\n", DNS_TRANSIENT, "SERVFAIL"},
		{2 << 8, false, "; Communication with 127.0.0.2#5353 failed: connection refused\n",
		 DNS_TRANSIENT, "Communication with 127.0.0.2#5353 failed: connection refused"},
		{2 << 8, false, "; Communication with 127.0.0.1#53 failed: timed out\n", DNS_TRANSIENT,
		 "Communication with 127.0.0.1#53 failed: timed out"},
		{1 << 8, false, "could not reach any name server\n", DNS_TRANSIENT, "could not reach any name server"},
		{1 << 8, false, "could not read key from /etc/k.key: file not found\n", DNS_PERMANENT,
		 "could not read key from /etc/k.key: file not found"},
		{0, true, "", DNS_TRANSIENT, "nsupdate timed out"},
		{9, false, "", DNS_TRANSIENT, "nsupdate killed by signal 9"},
		{3 << 8, false, "something new\n", DNS_TRANSIENT, "nsupdate exited with status 3: something new"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dns_result r = nsu_classify(cases[i].status, cases[i].to, cases[i].out, d, sizeof(d));
		ok(r == cases[i].want && !strcmp(d, cases[i].detail), "classify [%s] -> %d (%s)",
		   cases[i].detail, r, d);
	}
}

int main(void)
{
	host.loop = ev_default_loop(0);
	test_helpers();
	test_classify();
	test_engine();
	test_ptr_and_zones();
	test_ptr_many();
	test_failover();
	test_kick();
	test_confirm();
	return tap_done();
}
