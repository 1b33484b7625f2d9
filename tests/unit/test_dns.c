/* The DNS record-set engine with a fake transport and a fake state table;
 * the pure helpers; nsupdate's result classification. */
#include <arpa/inet.h>
#include <ev.h>
#include <linux/if_addr.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "../../plugins/dns/dhcid.h"
#include "../../plugins/dns/engine.h"
#include "../../plugins/dns/nsuclass.h"
#include "status.h"
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

/* The core's own status builder (core/status.c): the report is checked as
 * the admin reads it. */
static struct nlevd_host host = {
	.log = fake_log, .addr_foreach = fake_foreach, .selected = fake_selected,
	.once_done = fake_once_done,
	.status_object = status_object, .status_list = status_list, .status_end = status_end,
	.status_string = status_string, .status_uint = status_uint, .status_bool = status_bool,
};

static void report_line_cb(const char *line, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 8192 - n, "%s\n", line);
}

/* The engine's report as the USR1 log shows it, and it is valid JSON
 * without dropped calls. */
static const char *report(struct dns_engine *e)
{
	static char text[8192];
	text[0] = 0;
	struct nlevd_status *st = status_new();
	dns_engine_report(e, st);
	status_text(st, report_line_cb, text);
	ok(status_dropped(st) == 0, "the report breaks no rule");
	char *json = status_json(st);
	ok(json && json[0] == '{', "the report as JSON");
	free(json);
	status_free(st);
	return text;
}

static void metric_cb(const char *name, const char *label, const char *lvalue, uint64_t v,
		      void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	if (label)
		snprintf(out + n, 1024 - n, "%s %s=%s %llu\n", name, label, lvalue,
			 (unsigned long long)v);
	else
		snprintf(out + n, 1024 - n, "%s %llu\n", name, (unsigned long long)v);
}

/* The report's "metrics" object as nlevctl metrics reads it (status_metrics):
 * "NAME LABEL=VALUE N" lines. */
static const char *metrics(struct dns_engine *e)
{
	static char out[1024];
	out[0] = 0;
	struct nlevd_status *st = status_new();
	dns_engine_report(e, st);
	status_metrics(st, metric_cb, out);
	status_free(st);
	return out;
}

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

/* ---- a fake transport: each request recorded, answered by the test ---- */
enum { R_FIND, R_READ, R_SEND };
struct req {
	int kind;
	bool done;
	struct dns_group *g;
	struct dns_zone *z;
	char text[16384]; /* find: the owner; send: the ops */
	struct dns_rrq *qs;
	size_t nqs;
};
static struct req reqs[256];
static int nreq;
static char emitted[8192]; /* "EVENT zone=Z names=N error=E\n" lines */

static int fake_find(void *ctx, struct dns_group *g, const char *owner, const char *qname)
{
	(void)ctx;
	(void)qname;
	struct req *r = &reqs[nreq++ % 256];
	memset(r, 0, sizeof(*r));
	r->kind = R_FIND;
	r->g = g;
	snprintf(r->text, sizeof(r->text), "%s", owner);
	return 0;
}

static int fake_read(void *ctx, struct dns_zone *z, struct dns_rrq *qs, size_t n)
{
	(void)ctx;
	struct req *r = &reqs[nreq++ % 256];
	memset(r, 0, sizeof(*r));
	r->kind = R_READ;
	r->z = z;
	r->qs = qs;
	r->nqs = n;
	return 0;
}

static int fake_send(void *ctx, struct dns_zone *z, const struct dns_op *ops, size_t nops)
{
	static const char *const kind[] = {"del", "add", "nxdomain", "yxrr"};
	(void)ctx;
	struct req *r = &reqs[nreq++ % 256];
	memset(r, 0, sizeof(*r));
	r->kind = R_SEND;
	r->z = z;
	size_t n = (size_t)snprintf(r->text, sizeof(r->text), "[%s]", dns_zone_name(z));
	for (size_t k = 0; k < nops && n < sizeof(r->text); k++) {
		const struct dns_op *op = &ops[k];
		const char *t = op->type == DNS_T_A ? "A" : op->type == DNS_T_AAAA ? "AAAA"
				: op->type == DNS_T_PTR ? "PTR" : op->type == DNS_T_DHCID ? "DHCID" : "-";
		n += (size_t)snprintf(r->text + n, sizeof(r->text) - n, " %s %s %s%s%s;", kind[op->kind],
				      op->owner, t, op->rdata[0] ? " " : "", op->rdata);
	}
	return 0;
}

static const struct dns_transport transport = {fake_find, fake_read, fake_send, NULL, NULL};

static int fake_emit(struct nlevd_instance *inst, const char *event, const struct nlevd_field *f,
		     size_t n)
{
	(void)inst;
	size_t l = strlen(emitted);
	l += (size_t)snprintf(emitted + l, sizeof(emitted) - l, "%s", event);
	for (size_t i = 0; i < n && l < sizeof(emitted); i++)
		l += (size_t)snprintf(emitted + l, sizeof(emitted) - l, " %s=%s", f[i].name, f[i].value);
	if (l < sizeof(emitted) - 1)
		strcat(emitted, "\n");
	else
		emitted[0] = 0; /* overflow: start again */
	return 0;
}

/* The oldest unanswered request of kind (for zone z, if given), or NULL. */
static struct req *pending(int kind, const struct dns_zone *z)
{
	for (int i = 0; i < nreq; i++)
		if (!reqs[i].done && reqs[i].kind == kind && (!z || reqs[i].z == z))
			return &reqs[i];
	return NULL;
}

static int npending(int kind)
{
	int n = 0;
	for (int i = 0; i < nreq; i++)
		n += !reqs[i].done && reqs[i].kind == kind;
	return n;
}

static void reset(void)
{
	nreq = 0;
	emitted[0] = 0;
}

static void run_loop(void)
{
	/* Fire zero timers. */
	ev_run(host.loop, EVRUN_NOWAIT);
	ev_run(host.loop, EVRUN_NOWAIT);
}

static void stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Run the loop for ms milliseconds (the engine's timers fire meanwhile). */
static void run_for(int ms)
{
	ev_timer t;
	ev_now_update(host.loop);
	ev_timer_init(&t, stop_cb, ms / 1000., 0.);
	ev_timer_start(host.loop, &t);
	ev_run(host.loop, 0);
	ev_timer_stop(host.loop, &t);
}

static void found(struct req *r, const char *zone)
{
	r->done = true;
	dns_found(r->g, zone ? DNS_OK : DNS_PERMANENT, zone, "ns1.example.test.",
		  zone ? NULL : "REFUSED");
}

/* Answer a read: the records listed ("OWNER TYPE RDATA" lines; "OWNER -"
 * for a name that exists without them), NXDOMAIN for every other owner. */
static void answer_read(struct req *r, const char *records)
{
	r->done = true;
	for (size_t i = 0; i < r->nqs; i++) {
		struct dns_rrq *q = &r->qs[i];
		const char *tn = q->type == DNS_T_A ? "A" : q->type == DNS_T_AAAA ? "AAAA"
				 : q->type == DNS_T_PTR ? "PTR" : "DHCID";
		char pfx[300], exists[300];
		snprintf(pfx, sizeof(pfx), "%s %s ", q->owner, tn);
		snprintf(exists, sizeof(exists), "%s ", q->owner);
		q->status = strstr(records, exists) ? DNS_RRQ_NODATA : DNS_RRQ_NXDOMAIN;
		q->ttl = 300;
		for (const char *p = records; (p = strstr(p, pfx)); p += strlen(pfx)) {
			const char *v = p + strlen(pfx);
			size_t l = strcspn(v, "\n");
			q->rdata = realloc(q->rdata, (q->nrdata + 1) * sizeof(*q->rdata));
			q->rdata[q->nrdata++] = strndup(v, l);
			q->status = DNS_RRQ_FOUND;
		}
	}
	dns_read_done(r->z, DNS_OK, NULL);
}

static void sent_result(struct req *r, enum dns_result res, const char *detail)
{
	r->done = true;
	dns_sent(r->z, res, detail);
}

static struct dns_config config(void)
{
	static char *names[] = {"host.example.test."};
	struct dns_config c = {
		.names = names, .nnames = 1, .zone = "example.test.", .ttl = 300, .want4 = true,
		.want6 = true, .timeout_ms = 1000, .retry_ms = 5000, .retry_max_ms = 600000,
	};
	return c;
}

static struct dns_engine *start(const struct dns_config *c)
{
	reset();
	struct dns_engine *e = dns_engine_new(&host, NULL, c, &transport, NULL);
	dns_engine_start(e);
	run_loop();
	return e;
}

/* ---- the engine ---- */

static void test_engine(void)
{
	struct dns_config c = config();
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	add_addr(2, "2001:db8::1", 0);
	add_addr(1, "127.0.0.1", 0); /* lo: not selected */
	struct dns_engine *e = start(&c);
	struct req *r = pending(R_READ, NULL);
	ok(r && r->nqs == 2 && !npending(R_SEND), "start-up: the records are read first (A, AAAA)");
	if (!r)
		return;
	answer_read(r, "");
	r = pending(R_SEND, NULL);
	is_str(r ? r->text : "", "[example.test.] del host.example.test. A; del host.example.test. AAAA; "
	       "add host.example.test. A 198.51.100.1; add host.example.test. AAAA 2001:db8::1;",
	       "nothing there: the records are sent");
	sent_result(r, DNS_OK, "1 UPDATE message");
	ok(strstr(emitted, "dns-published zone=example.test. names=host.example.test. error=") != NULL,
	   "dns-published emitted: %s", emitted);
	/* A change goes out at once, no read (the state is known). */
	add_addr(2, "198.51.100.2", 0);
	dns_engine_changed(e);
	ok(!npending(R_READ) && (r = pending(R_SEND, NULL)) &&
	   strstr(r->text, "add host.example.test. A 198.51.100.2;"), "a change: sent, not read");
	/* While in flight, changes coalesce into one more. */
	add_addr(2, "198.51.100.3", 0);
	dns_engine_changed(e);
	del_addr("198.51.100.2");
	dns_engine_changed(e);
	ok(npending(R_SEND) == 1, "one UPDATE in flight per zone");
	sent_result(r, DNS_OK, "ok");
	r = pending(R_SEND, NULL);
	ok(r && strstr(r->text, "198.51.100.3") && !strstr(r->text, "198.51.100.2"),
	   "the changes made meanwhile, coalesced: %s", r ? r->text : "-");
	sent_result(r, DNS_OK, "ok");
	/* Nothing changed: nothing sent. */
	dns_engine_changed(e);
	ok(!npending(R_SEND) && !npending(R_READ), "no change, nothing sent");
	is_int(dns_engine_once(e), 0, "--once: done and ok");
	{
		const char *t = report(e);
		ok(strstr(t, "name host.example.test.: desired a 198.51.100.1 198.51.100.3 aaaa "
			  "2001:db8::1; published a 198.51.100.1 198.51.100.3 aaaa 2001:db8::1; zone "
			  "example.test.\n") &&
		   strstr(t, "zone example.test.: names host.example.test.; state published; last ok; "
			  "last_time 20") &&
		   strstr(t, "; updates_sent 3; updates_ok 3; updates_failed 0\n") &&
		   strstr(t, "summary 1 zone: 1 published, 0 failed, 0 busy; updates_sent 3; "),
		   "report: %s", t);
		t = metrics(e);
		ok(!strncmp(t, "updates_sent_total 3\nupdates_total result=ok 3\n"
			    "updates_total result=failed 0\nlast_success_timestamp_seconds ", 108) &&
		   strtoull(t + 108, NULL, 10) >= (unsigned long long)time(NULL) - 60,
		   "metrics: updates_total by result, the last success's time: %s", t);
	}
	dns_engine_free(e);

	/* A restart where DNS is right already: read, nothing sent. */
	e = start(&c);
	r = pending(R_READ, NULL);
	ok(r != NULL, "restart: read");
	answer_read(r, "host.example.test. A 198.51.100.1\nhost.example.test. A 198.51.100.3\n"
		       "host.example.test. AAAA 2001:db8::1\n");
	ok(!npending(R_SEND) && dns_engine_sent(e) == 0, "restart, records right: nothing sent");
	is_str(metrics(e), "updates_sent_total 0\nupdates_total result=ok 0\n"
	       "updates_total result=failed 0\nlast_success_timestamp_seconds 0\n",
	       "metrics: no UPDATE yet, last success 0 (never)");
	/* Drift: the verify read finds one changed by hand. */
	dns_engine_free(e);
	e = start(&c);
	answer_read(pending(R_READ, NULL), "host.example.test. A 198.51.100.1\n"
					   "host.example.test. AAAA 2001:db8::1\n");
	r = pending(R_SEND, NULL);
	ok(r && strstr(r->text, "add host.example.test. A 198.51.100.3;"), "drift: repaired");
	dns_engine_free(e);
}

static void test_independent_zones(void)
{
	static char *names[] = {"a.example.test.", "b.other.test."};
	struct dns_config c = config();
	c.names = names;
	c.nnames = 2;
	c.zone = NULL;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	struct dns_engine *e = start(&c);
	ok(npending(R_FIND) == 2, "two names, two zones to find at once");
	struct req *fa = pending(R_FIND, NULL), *fb;
	found(fa, "example.test.");
	fb = pending(R_FIND, NULL);
	found(fb, "other.test.");
	ok(npending(R_READ) == 2, "each zone is read, both at once");
	struct req *ra = pending(R_READ, NULL);
	answer_read(ra, "");
	struct dns_zone *za = ra->z;
	struct req *rb = pending(R_READ, NULL);
	answer_read(rb, "");
	struct dns_zone *zb = rb->z;
	struct req *sa = pending(R_SEND, za), *sb = pending(R_SEND, zb);
	ok(sa && sb && strstr(sa->text, "a.example.test.") && !strstr(sa->text, "b.other") &&
	   strstr(sb->text, "[other.test.] "), "one UPDATE per zone");
	sent_result(sb, DNS_PERMANENT, "REFUSED from the server for zone other.test.");
	sent_result(sa, DNS_OK, "ok");
	ok(strstr(emitted, "dns-failed zone=other.test. names=b.other.test. error=update refused: "
		  "REFUSED") && strstr(emitted, "dns-published zone=example.test. names=a.example.test."),
	   "events per zone: %s", emitted);
	/* b's zone is in back-off; a change still reaches a's at once. */
	add_addr(2, "198.51.100.2", 0);
	dns_engine_changed(e);
	ok(pending(R_SEND, za) != NULL, "the refused zone does not hold up the other");
	sent_result(pending(R_SEND, za), DNS_OK, "ok");
	/* A read of b's zone (it was poked too): it fails again, a's is fine. */
	struct req *r = pending(R_READ, zb);
	if (r) {
		r->done = true;
		dns_read_done(zb, DNS_PERMANENT, "REFUSED");
	}
	ok(!pending(R_SEND, za), "nothing more for a's zone");
	is_int(dns_engine_once(e), NLEVD_ONCE_PENDING, "--once: b's zone tried again");
	{
		const char *t = report(e);
		ok(strstr(t, "zone other.test.: names b.other.test.; state reading; last read refused: "
			  "REFUSED; ") &&
		   strstr(t, "name b.other.test.: desired a 198.51.100.1 198.51.100.2 aaaa -; published "
			  "a - aaaa -; zone other.test.\n") &&
		   strstr(t, "zone example.test.: names a.example.test.; state published; "),
		   "report: the refused zone failed, the other published: %s", t);
		like(metrics(e), "updates_total result=failed 2\n", "metrics: the failures counted");
	}
	dns_engine_free(e);
}

static void test_ptr_failure(void)
{
	struct dns_config c = config();
	c.ptr = true;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	add_addr(2, "2001:db8::1", 0);
	struct dns_engine *e = start(&c);
	/* The forward zone is given; the reverse groups are found. */
	ok(npending(R_FIND) == 2 && npending(R_READ) == 1, "forward read at once, 2 reverse zones found");
	struct req *rf = pending(R_READ, NULL);
	answer_read(rf, "");
	ok(pending(R_SEND, rf->z) != NULL, "the forward UPDATE goes out before any reverse zone is known");
	sent_result(pending(R_SEND, rf->z), DNS_OK, "ok");
	/* No ip6.arpa zone on the server: its discovery fails; IPv4's works. */
	for (int i = 0; i < 2; i++) {
		struct req *f = pending(R_FIND, NULL);
		found(f, strstr(f->text, "ip6") ? NULL : "100.51.198.in-addr.arpa.");
	}
	ok(strstr(emitted, "dns-failed zone= names=1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. "
		  "error=the reverse zone of 2001:db8::/64: REFUSED") != NULL,
	   "the reverse zone's failure names it: %s", emitted);
	struct req *rr = pending(R_READ, NULL);
	ok(rr && rr->nqs == 1, "the IPv4 reverse zone is read");
	answer_read(rr, "");
	struct req *s = pending(R_SEND, rr->z);
	is_str(s ? s->text : "", "[100.51.198.in-addr.arpa.] del 1.100.51.198.in-addr.arpa. PTR; "
	       "add 1.100.51.198.in-addr.arpa. PTR host.example.test.;", "its PTR");
	sent_result(s, DNS_OK, "ok");
	/* The forward records keep following the addresses. */
	add_addr(2, "198.51.100.7", 0);
	dns_engine_changed(e);
	ok(pending(R_SEND, rf->z) && pending(R_SEND, rr->z), "a change: forward and PTR, each its zone");
	{
		const char *t = report(e);
		ok(strstr(t, "prefix 198.51.100.0/24: zone ") != NULL, "report: the reverse prefix: %s", t);
	}
	dns_engine_free(e);
}

static void test_delete_delay(void)
{
	struct dns_config c = config();
	c.delete_delay_ms = 300;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	add_addr(2, "198.51.100.2", 0);
	add_addr(2, "2001:db8::1", 0);
	struct dns_engine *e = start(&c);
	answer_read(pending(R_READ, NULL), "");
	sent_result(pending(R_SEND, NULL), DNS_OK, "ok");
	/* One IPv4 address of two: at once. */
	del_addr("198.51.100.2");
	dns_engine_changed(e);
	struct req *r = pending(R_SEND, NULL);
	ok(r && !strstr(r->text, "198.51.100.2"), "removing one address of several is not delayed");
	sent_result(r, DNS_OK, "ok");
	/* The last IPv4 address: held; back within the delay: nothing sent. */
	del_addr("198.51.100.1");
	dns_engine_changed(e);
	ok(!npending(R_SEND), "the last IPv4 address gone: the A record waits");
	run_for(100);
	add_addr(2, "198.51.100.1", 0);
	dns_engine_changed(e);
	run_for(400);
	ok(!npending(R_SEND) && !npending(R_READ), "back within delete_delay: nothing sent at all");
	/* Gone for good: deleted once the delay is over. */
	del_addr("198.51.100.1");
	dns_engine_changed(e);
	ok(!npending(R_SEND), "held again");
	run_for(450);
	r = pending(R_SEND, NULL);
	ok(r && !strstr(r->text, "add host.example.test. A 198") && strstr(r->text, "del host.example.test. A;"),
	   "after delete_delay: the A RRset goes: %s", r ? r->text : "-");
	dns_engine_free(e);
}

static void test_ownership(void)
{
	static char *names[] = {"a.example.test.", "b.example.test."};
	struct dns_config c = config();
	c.names = names;
	c.nnames = 2;
	c.ownership = DNS_OWN_DHCID;
	c.duid_len = 18;
	c.duid[1] = 4;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	struct dns_engine *e = start(&c);
	struct req *r = pending(R_READ, NULL);
	ok(r && r->nqs == 6, "A, AAAA and DHCID read per name");
	/* a is free; b has another host's DHCID and address. */
	answer_read(r, "b.example.test. A 192.0.2.9\nb.example.test. DHCID AAIBotherhost=\n");
	r = pending(R_SEND, NULL);
	char dh[80];
	ok(dns_dhcid_b64(c.duid, c.duid_len, "a.example.test.", dh, sizeof(dh)) == 0, "our DHCID");
	char want[512];
	snprintf(want, sizeof(want), "[example.test.] nxdomain a.example.test. -; add a.example.test. A "
		 "198.51.100.1; add a.example.test. DHCID %s;", dh);
	is_str(r ? r->text : "", want, "a free name: claimed (no name in use, records and DHCID)");
	ok(strstr(emitted, "dns-conflict zone=example.test. names=b.example.test.") != NULL,
	   "the owned name: a conflict: %s", emitted);
	sent_result(r, DNS_OK, "ok");
	/* Ours now: a change replaces under our DHCID. */
	add_addr(2, "198.51.100.2", 0);
	dns_engine_changed(e);
	r = pending(R_READ, NULL);
	ok(r && !npending(R_SEND), "a new state, a conflict in the zone: read again first");
	char recs[600];
	snprintf(recs, sizeof(recs), "a.example.test. A 198.51.100.1\na.example.test. DHCID %s\n"
		 "b.example.test. A 192.0.2.9\nb.example.test. DHCID AAIBotherhost=\n", dh);
	if (r)
		answer_read(r, recs);
	r = pending(R_SEND, NULL);
	snprintf(want, sizeof(want), "[example.test.] yxrr a.example.test. DHCID %s; del a.example.test. A; "
		 "del a.example.test. AAAA; add a.example.test. A 198.51.100.1; add a.example.test. A "
		 "198.51.100.2;", dh);
	is_str(r ? r->text : "", want, "our name: replaced where our DHCID is; b left alone");
	/* Someone took it meanwhile: the prerequisite fails, read again. */
	sent_result(r, DNS_PREREQ, "YXRRSET");
	ok(!npending(R_SEND) && !npending(R_READ), "a failed prerequisite: back-off (then read again)");
	{
		const char *t = report(e);
		ok(strstr(t, "; ownership ") != NULL, "report: ownership: %s", t);
	}
	dns_engine_free(e);
}

static void test_refresh(void)
{
	struct dns_config c = config();
	c.refresh_ms = 300;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	struct dns_engine *e = start(&c);
	answer_read(pending(R_READ, NULL), "host.example.test. A 198.51.100.1\n");
	ok(!npending(R_SEND), "refresh: right at start-up, nothing sent");
	run_for(450);
	struct req *r = pending(R_SEND, NULL);
	is_str(r ? r->text : "", "[example.test.] del host.example.test. A; del host.example.test. AAAA; "
	       "add host.example.test. A 198.51.100.1;", "refresh: the same records sent again");
	if (r)
		sent_result(r, DNS_OK, "ok");
	dns_engine_free(e);
}

/* push (nlevctl push): every zone read again and updated now, the idle
 * one and the one in back-off alike, reverse zones too. */
static void test_push(void)
{
	struct dns_config c = config();
	c.ptr = true;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	struct dns_engine *e = start(&c);
	struct req *rf = pending(R_READ, NULL);
	ok(rf != NULL, "push: the forward zone read");
	if (!rf)
		return;
	struct dns_zone *fz = rf->z;
	answer_read(rf, "");
	sent_result(pending(R_SEND, fz), DNS_OK, "ok");
	found(pending(R_FIND, NULL), "100.51.198.in-addr.arpa.");
	struct req *rr = pending(R_READ, NULL);
	ok(rr && rr->z != fz, "push: the reverse zone read");
	if (!rr)
		return;
	struct dns_zone *rz = rr->z;
	answer_read(rr, "");
	sent_result(pending(R_SEND, rz), DNS_PERMANENT, "REFUSED");
	run_loop();
	ok(!npending(R_READ) && !npending(R_SEND) && !npending(R_FIND),
	   "push: the forward zone idle, the reverse one in back-off (retry_max)");
	is_int(dns_engine_push(e), 0, "push");
	ok(pending(R_READ, fz) != NULL, "push: the idle zone is read again at once");
	ok(pending(R_READ, rz) != NULL, "push: the zone in back-off is read again at once");
	/* The forward records were changed by hand: repaired; the PTR sent. */
	answer_read(pending(R_READ, fz), "host.example.test. A 192.0.2.99\n");
	struct req *s = pending(R_SEND, fz);
	ok(s && strstr(s->text, "add host.example.test. A 198.51.100.1;"),
	   "push: what differs is sent: %s", s ? s->text : "-");
	answer_read(pending(R_READ, rz), "");
	ok(pending(R_SEND, rz) != NULL, "push: the reverse zone updated now");
	/* Pushed while an UPDATE is in flight: read again after it. */
	sent_result(pending(R_SEND, rz), DNS_OK, "ok");
	dns_engine_push(e);
	sent_result(pending(R_SEND, fz), DNS_OK, "ok");
	ok(pending(R_READ, fz) != NULL, "push during an UPDATE: read again once it is done");
	dns_engine_free(e);
}

static void test_confirm(void)
{
	struct dns_config c = config();
	c.retry_ms = 200;
	c.timeout_ms = 200;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	struct dns_engine *e = start(&c);
	answer_read(pending(R_READ, NULL), "");
	sent_result(pending(R_SEND, NULL), DNS_TRANSIENT, "timed out");
	ok(!npending(R_SEND) && !npending(R_READ), "a timeout: back-off");
	run_for(400);
	struct req *r = pending(R_READ, NULL);
	ok(r != NULL, "the retry reads first (the server may have applied it)");
	answer_read(r, "");
	sent_result(pending(R_SEND, NULL), DNS_OK, "ok");
	run_for(350);
	ok(pending(R_READ, NULL) != NULL, "after a doubtful failure and a success: read again to be sure");
	dns_engine_free(e);
}

/* An answer that could not be verified (DNS_UNVERIFIED): the records are
 * read back at once; as desired, it is a success (dns-published); not, a
 * failure with back-off, never a loop. */
static void test_unverified(void)
{
	struct dns_config c = config();
	c.retry_ms = 200;
	naddrs = 0;
	add_addr(2, "198.51.100.1", 0);
	struct dns_engine *e = start(&c);
	answer_read(pending(R_READ, NULL), "");
	sent_result(pending(R_SEND, NULL), DNS_UNVERIFIED, "tsig verify failure");
	struct req *r = pending(R_READ, NULL);
	ok(r != NULL && !npending(R_SEND), "unverified: the records are read back at once");
	emitted[0] = 0;
	answer_read(r, "host.example.test. A 198.51.100.1\n");
	run_loop();
	ok(!npending(R_SEND) && !npending(R_READ), "as desired: nothing more to do");
	like(emitted, "dns-published", "and it is published");
	ok(!strstr(emitted, "dns-failed"), "never said to have failed");
	/* again, and this time the server did not apply it */
	add_addr(2, "198.51.100.2", 0);
	dns_engine_changed(e);
	r = pending(R_SEND, NULL);
	ok(r != NULL, "a change: sent");
	sent_result(r, DNS_UNVERIFIED, "tsig verify failure");
	emitted[0] = 0;
	r = pending(R_READ, NULL);
	ok(r != NULL, "read back");
	answer_read(r, "host.example.test. A 198.51.100.1\n");
	run_loop();
	ok(!npending(R_SEND), "not as desired: not sent again at once");
	like(emitted, "dns-failed", "a failure");
	like(emitted, "not the desired ones", "saying why");
	run_for(500);
	ok(npending(R_READ) == 1, "retried after the back-off, reading first");
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
		{2 << 8, false, "update failed: YXDOMAIN\n", DNS_PREREQ, "YXDOMAIN"},
		{2 << 8, false, "update failed: SERVFAIL\n", DNS_TRANSIENT, "SERVFAIL"},
		{2 << 8, false, "; Communication with 127.0.0.2#5353 failed: connection refused\n",
		 DNS_TRANSIENT, "Communication with 127.0.0.2#5353 failed: connection refused"},
		{2 << 8, false, "; Communication with 127.0.0.1#53 failed: timed out\n", DNS_TRANSIENT,
		 "Communication with 127.0.0.1#53 failed: timed out"},
		{1 << 8, false, "could not reach any name server\n", DNS_TRANSIENT, "could not reach any name server"},
		{1 << 8, false, "could not read key from /etc/k.key: file not found\n", DNS_PERMANENT,
		 "could not read key from /etc/k.key: file not found"},
		{1 << 8, false, "dns_request_create: ran out of space\n", DNS_PERMANENT,
		 "dns_request_create: ran out of space"},
		{0, true, "", DNS_TRANSIENT, "nsupdate timed out"},
		{9, false, "", DNS_TRANSIENT, "nsupdate killed by signal 9"},
		{3 << 8, false, "something new\n", DNS_TRANSIENT, "nsupdate exited with status 3: something new"},
		/* nsupdate -g, as it prints them (BIND 9.18, MIT krb5 1.20) */
		{2 << 8, false, "tkey query failed: GSSAPI error: Major = Unspecified GSS failure.  Minor "
		 "code may provide more information, Minor = Server DNS/ns1.example.test@EXAMPLE.TEST "
		 "not found in Kerberos database.\n", DNS_PERMANENT, "GSS-TSIG negotiation failed: "
		 "Server DNS/ns1.example.test@EXAMPLE.TEST not found in Kerberos database."},
		{2 << 8, false, "tkey query failed: GSSAPI error: Major = Unspecified GSS failure.  Minor "
		 "code may provide more information, Minor = Cannot contact any KDC for realm "
		 "'EXAMPLE.TEST'.\n", DNS_TRANSIENT, "GSS-TSIG negotiation failed: Cannot contact any "
		 "KDC for realm 'EXAMPLE.TEST'."},
		{2 << 8, false, "tkey query failed: GSSAPI error: Major = Unspecified GSS failure.  Minor "
		 "code may provide more information, Minor = Clock skew too great.\n", DNS_TRANSIENT,
		 "clock skew: GSS-TSIG negotiation failed: Clock skew too great."},
		{2 << 8, false, "tkey query failed: GSSAPI error: Major = No credentials were supplied, "
		 "or the credentials were unavailable or inaccessible, Minor = SPNEGO cannot find "
		 "mechanisms to negotiate.\n", DNS_TRANSIENT, "GSS-TSIG negotiation failed: No "
		 "credentials were supplied, or the credentials were unavailable or inaccessible; "
		 "SPNEGO cannot find mechanisms to negotiate."},
		{1 << 8, false, "kinit: Key table entry not found while getting initial credentials\n",
		 DNS_PERMANENT, "kinit: Key table entry not found while getting initial credentials"},
		{2 << 8, false, "update failed: REFUSED\n", DNS_PERMANENT, "REFUSED"},
		/* Samba's signed answer to an applied update (nsupdate cannot
		 * verify its MIC): unknown, to be confirmed, never a success */
		{2 << 8, false, "; TSIG error with server: tsig verify failure\n", DNS_UNVERIFIED,
		 "TSIG error with server: tsig verify failure (the answer is unverified)"},
		{2 << 8, false, "; TSIG error with server: tsig verify failure\nupdate failed: "
		 "SERVFAIL\n", DNS_TRANSIENT, "SERVFAIL"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		enum dns_result r = nsu_classify(cases[i].status, cases[i].to, cases[i].out, d, sizeof(d));
		ok(r == cases[i].want && !strcmp(d, cases[i].detail), "classify [%s] -> %d (%s)",
		   cases[i].detail, r, d);
	}
	ok(nsu_gss_failure("tkey query failed: GSSAPI error: Major = x\n"), "a GSS failure: told");
	ok(!nsu_gss_failure("update failed: REFUSED\n"), "a refused update: not a GSS failure");
}

int main(void)
{
	host.loop = ev_default_loop(0);
	host.size = sizeof(host);
	host.emit = fake_emit;
	test_helpers();
	test_classify();
	test_engine();
	test_independent_zones();
	test_ptr_failure();
	test_delete_delay();
	test_ownership();
	test_refresh();
	test_push();
	test_confirm();
	test_unverified();
	return tap_done();
}
