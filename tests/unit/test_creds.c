/* plugins/dns/creds.c on a real libev loop with the core's children and a
 * fake nlevd-kinit (a shell script that prints what a control file says):
 * results and error kinds, no run while the ticket is fresh, a run near
 * its end, the service set growing, cancel, replacement, bounds, the
 * helper's environment, and free while a helper runs. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../plugins/dns/creds.h"
#include "child.h"
#include "log.h"
#include "status.h"
#include "tap.h"

static char dir[64];
static char ctl[128], argsf[128], envf[128];
static const char *inst_name = "nsupdate ad/1";
static int owner_token;
static bool in_get;

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

static const char *fake_name(const struct nlevd_instance *inst)
{
	(void)inst;
	return inst_name;
}

static struct nlevd_child *fake_spawn(struct nlevd_instance *inst, const struct nlevd_child_spec *s)
{
	(void)inst;
	return child_spawn(&owner_token, "test", s);
}

static struct nlevd_host host = {
	.log = fake_log, .instance_name = fake_name, .child_spawn = fake_spawn,
	.child_kill = child_kill,
	.status_object = status_object, .status_list = status_list, .status_end = status_end,
	.status_string = status_string, .status_uint = status_uint, .status_bool = status_bool,
};

struct rec {
	int calls;
	bool inside;
	enum dns_result r;
	char detail[512];
};

static void on_creds(void *arg, enum dns_result r, const char *detail)
{
	struct rec *rc = arg;
	rc->calls++;
	rc->inside = rc->inside || in_get;
	rc->r = r;
	snprintf(rc->detail, sizeof(rc->detail), "%s", detail);
}

static int get(struct dns_creds *c, const char *svc, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	in_get = true;
	int rc = dns_creds_get(c, svc, on_creds, r);
	in_get = false;
	return rc;
}

static void control(const char *text)
{
	FILE *f = fopen(ctl, "w");
	fputs(text, f);
	fclose(f);
}

static char *slurp(const char *path)
{
	static char buf[4096];
	buf[0] = 0;
	FILE *f = fopen(path, "r");
	if (!f)
		return buf;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	return buf;
}

/* The loop until r has its callback (bounded: 10 s), then a little more
 * for callbacks that must not come. */
static void wait_for(struct rec *r)
{
	ev_tstamp end = ev_time() + 10.;
	while (!r->calls && ev_time() < end)
		ev_run(ev_default_loop(0), EVRUN_ONCE);
	for (int k = 0; k < 3; k++)
		ev_run(ev_default_loop(0), EVRUN_NOWAIT);
}

static void wait_children(void)
{
	ev_tstamp end = ev_time() + 10.;
	while (child_count() && ev_time() < end)
		ev_run(ev_default_loop(0), EVRUN_ONCE);
}

static const char script[] =
	"#!/bin/sh\n"
	"d=${KRB5_CONFIG%/ctl}\n"
	"echo \"$*\" >\"$d/args\"\n"
	"/usr/bin/env >\"$d/env\"\n"
	"read -r kind a b <\"$KRB5_CONFIG\"\n"
	"case $kind in\n"
	"ok) echo \"ok $a $(( $(/bin/date +%s) + b ))\" ;;\n"
	"sleep) exec /bin/sleep \"$a\" ;;\n"
	"error) /bin/cat \"$KRB5_CONFIG\"; exit 1 ;;\n"
	"*) echo \"something else\"; exit 3 ;;\n"
	"esac\n";

int main(void)
{
	struct rec r, r2, r3;
	char path[256];
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	host.loop = ev_default_loop(0);
	child_init(host.loop, NULL, NULL);

	snprintf(dir, sizeof(dir), "/tmp/test_creds.XXXXXX");
	if (!mkdtemp(dir))
		return 1;
	snprintf(ctl, sizeof(ctl), "%s/ctl", dir);
	snprintf(argsf, sizeof(argsf), "%s/args", dir);
	snprintf(envf, sizeof(envf), "%s/env", dir);
	snprintf(path, sizeof(path), "%s/nlevd-kinit", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0755);
	if (fd < 0 || write(fd, script, sizeof(script) - 1) != (ssize_t)(sizeof(script) - 1))
		return 1;
	close(fd);
	char run[128];
	snprintf(run, sizeof(run), "%s/run", dir);
	setenv("RUNTIME_DIRECTORY", run, 1);
	setenv("NLEVD_KINIT", path, 1);
	setenv("KRB5_CONFIG", ctl, 1); /* the fake's control file */
	/* What the helper must never see. */
	setenv("KRB5_CLIENT_KTNAME", "/etc/krb5.keytab", 1);
	setenv("KRB5CCNAME", "FILE:/tmp/caller-cache", 1);
	unsetenv("KRB5_TRACE");

	struct dns_creds *c = dns_creds_new(&host, NULL, "/k/client.keytab", NULL, 1000);
	ok(c != NULL, "created");
	char want[256];
	snprintf(want, sizeof(want), "FILE:%s/krb5cc.nsupdate%%20ad%%2F1", run);
	is_str(dns_creds_ccache(c), want, "the cache: RUNTIME_DIRECTORY, the name sanitised");
	is_str(dns_creds_principal(c), "", "no principal before the first run");
	is_int(dns_creds_endtime(c), 0, "no end time before the first run");

	/* ok */
	control("ok host/client.example.test@EXAMPLE.TEST 3600\n");
	is_int(get(c, NULL, &r), 0, "get");
	ok(r.calls == 0, "no callback inside get");
	wait_for(&r);
	is_int(r.calls, 1, "one callback");
	ok(!r.inside, "not from inside the call");
	is_int(r.r, DNS_OK, "ok");
	is_int(dns_creds_runs(c), 1, "the helper ran once");
	is_str(dns_creds_principal(c), "host/client.example.test@EXAMPLE.TEST", "the principal");
	is_str(dns_creds_realm(c), "EXAMPLE.TEST", "the realm");
	time_t now = time(NULL);
	ok(dns_creds_endtime(c) > now + 3500 && dns_creds_endtime(c) <= now + 3600, "the end time");
	snprintf(want, sizeof(want), "-k /k/client.keytab -c %s/krb5cc.nsupdate%%20ad%%2F1\n", run);
	is_str(slurp(argsf), want, "argv: keytab and cache, no principal, no service");
	struct stat st;
	ok(stat(run, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   "the runtime directory was made 0700");
	const char *env = slurp(envf);
	like(env, "KRB5_CONFIG=", "the helper gets KRB5_CONFIG");
	ok(!strstr(env, "KTNAME") && !strstr(env, "KRB5CCNAME") && !strstr(env, "NLEVD_KINIT") &&
	   !strstr(env, "RUNTIME_DIRECTORY"), "and no keytab, cache or other variable of ours");

	/* fresh: no second run */
	get(c, NULL, &r);
	wait_for(&r);
	ok(r.calls == 1 && r.r == DNS_OK && !r.inside, "fresh ticket: ok, later");
	is_int(dns_creds_runs(c), 1, "no re-run while the ticket is valid");

	/* the service set grows */
	get(c, "DNS/ns1.example.test", &r);
	wait_for(&r);
	ok(r.calls == 1 && r.r == DNS_OK, "a service: ok");
	is_int(dns_creds_runs(c), 2, "a new service: a run");
	like(slurp(argsf), "-s DNS/ns1.example.test", "for that service");
	get(c, "DNS/ns1.example.test", &r);
	wait_for(&r);
	is_int(dns_creds_runs(c), 2, "the same service again: no run");
	get(c, "DNS/ns2.example.test", &r);
	wait_for(&r);
	is_int(dns_creds_runs(c), 3, "another service: a run");
	like(slurp(argsf), "-s DNS/ns1.example.test -s DNS/ns2.example.test",
	     "covering every service asked for");

	/* a service the KDC does not know fails its run, and leaves the set:
	 * the next run (another service) is not failed by it */
	control("error permanent cannot get a ticket for service DNS/bad.example.test\n");
	get(c, "DNS/bad.example.test", &r);
	wait_for(&r);
	ok(r.calls == 1 && r.r == DNS_PERMANENT, "an unknown service: permanent");
	control("ok host/client.example.test@EXAMPLE.TEST 3600\n");
	get(c, "DNS/ns3.example.test", &r);
	wait_for(&r);
	ok(r.calls == 1 && r.r == DNS_OK, "the next service: ok");
	ok(!strstr(slurp(argsf), "bad.example.test") && strstr(slurp(argsf), "-s DNS/ns3.example.test"),
	   "the failed service was dropped from the set");
	is_int(dns_creds_runs(c), 5, "two runs for them");
	get(c, "DNS/ns1.example.test", &r);
	wait_for(&r);
	is_int(dns_creds_runs(c), 5, "the services got before are still covered");

	/* near expiry: a ticket that ends now is used by its own run's
	 * request, and the next request runs the helper again */
	control("ok host/client.example.test@EXAMPLE.TEST 0\n");
	dns_creds_forget(c);
	get(c, NULL, &r);
	wait_for(&r);
	ok(r.calls == 1 && r.r == DNS_OK, "a short ticket answers its run");
	is_int(dns_creds_runs(c), 6, "forget: the next get runs");
	get(c, NULL, &r);
	wait_for(&r);
	is_int(dns_creds_runs(c), 7, "near its end: run again");
	control("ok host/client.example.test@EXAMPLE.TEST 200\n");
	get(c, NULL, &r);
	wait_for(&r);
	get(c, NULL, &r);
	wait_for(&r);
	is_int(dns_creds_runs(c), 8, "a 200 s ticket (margin 20 s) is fresh");

	/* error kinds */
	static const struct {
		const char *line;
		enum dns_result r;
		const char *detail;
	} errs[] = {
		{"error transient Cannot contact any KDC for realm 'EXAMPLE.TEST'\n", DNS_TRANSIENT,
		 "Cannot contact any KDC for realm 'EXAMPLE.TEST'"},
		{"error permanent principal host/x@EXAMPLE.TEST is not in keytab /k\n", DNS_PERMANENT,
		 "principal host/x@EXAMPLE.TEST is not in keytab /k"},
		{"error skew Clock skew too great\n", DNS_TRANSIENT, "clock skew: Clock skew too great"},
		{"error odd what\n", DNS_TRANSIENT, "what"},
		{"garbage\n", DNS_TRANSIENT, "nlevd-kinit exited with status 3 without a result"},
	};
	for (size_t i = 0; i < sizeof(errs) / sizeof(errs[0]); i++) {
		control(errs[i].line);
		dns_creds_forget(c);
		get(c, NULL, &r);
		wait_for(&r);
		int n = (int)strcspn(errs[i].line, "\n");
		ok(r.calls == 1 && r.r == errs[i].r, "%.*s: the class", n, errs[i].line);
		is_str(r.detail, errs[i].detail, "%.*s: the detail", n, errs[i].line);
	}
	is_int(dns_creds_runs(c), 13, "each failed get ran the helper (no failure is cached)");
	{
		struct nlevd_status *s = status_new();
		dns_creds_report(c, s);
		char *json = status_json(s);
		like(json, "\"principal\":\"host/client.example.test@EXAMPLE.TEST\"", "report: the principal");
		like(json, "\"error\":\"nlevd-kinit exited", "report: the last error");
		ok(status_dropped(s) == 0, "the report breaks no rule");
		free(json);
		status_free(s);
	}

	/* one run at a time: requests during a run join it; cancel; the same
	 * arg replaces its request */
	control("ok host/client.example.test@EXAMPLE.TEST 3600\n");
	dns_creds_forget(c);
	get(c, NULL, &r);
	get(c, NULL, &r2);
	get(c, NULL, &r3);
	dns_creds_cancel(c, &r2);
	in_get = true;
	dns_creds_get(c, NULL, on_creds, &r3); /* replaces r3's request */
	in_get = false;
	wait_for(&r);
	wait_for(&r3);
	ok(r.calls == 1 && r.r == DNS_OK, "the first request");
	is_int(r2.calls, 0, "a cancelled request: no callback");
	is_int(r3.calls, 1, "a replaced request: one callback");
	is_int(dns_creds_runs(c), 14, "one run for all of them");

	/* bounded */
	static struct rec many[DNS_CREDS_WAITERS_MAX + 1];
	int rc = 0;
	for (size_t i = 0; i < DNS_CREDS_WAITERS_MAX && !rc; i++)
		rc = dns_creds_get(c, NULL, on_creds, &many[i]);
	is_int(rc, 0, "%d requests wait", DNS_CREDS_WAITERS_MAX);
	is_int(dns_creds_get(c, NULL, on_creds, &many[DNS_CREDS_WAITERS_MAX]), -ENOBUFS,
	       "one more is refused");
	wait_for(&many[0]);
	ok(many[DNS_CREDS_WAITERS_MAX - 1].calls == 1 && many[DNS_CREDS_WAITERS_MAX].calls == 0,
	   "the waiting ones answered, the refused one not");
	char svc[64];
	rc = 0;
	for (int i = 0; i < DNS_CREDS_SERVICES_MAX + 1 && !rc; i++) {
		snprintf(svc, sizeof(svc), "DNS/s%d.example.test", i);
		rc = dns_creds_get(c, svc, on_creds, &many[0]);
	}
	is_int(rc, -ENOSPC, "too many services: refused");
	dns_creds_cancel(c, &many[0]);

	/* the helper cannot run */
	setenv("NLEVD_KINIT", "/nonexistent/nlevd-kinit", 1);
	struct dns_creds *c2 = dns_creds_new(&host, NULL, "/k/client.keytab",
					     "host/client.example.test@EXAMPLE.TEST", 1000);
	is_str(dns_creds_principal(c2), "host/client.example.test@EXAMPLE.TEST",
	       "a configured principal is known at once");
	get(c2, NULL, &r);
	wait_for(&r);
	ok(r.calls == 1 && r.r == DNS_PERMANENT, "no helper: permanent");
	like(r.detail, "cannot run /nonexistent/nlevd-kinit", "naming it");
	dns_creds_free(c2);
	setenv("NLEVD_KINIT", path, 1);

	/* free while the helper runs (as destroy(): the core has disowned
	 * the instance's children), and the cache removed at shutdown */
	control("sleep 30\n");
	dns_creds_forget(c);
	get(c, NULL, &r);
	ev_run(host.loop, EVRUN_NOWAIT);
	is_int(child_count(), 1, "the helper runs");
	char cpath[256];
	snprintf(cpath, sizeof(cpath), "%s", dns_creds_ccache(c) + 5);
	close(open(cpath, O_WRONLY | O_CREAT, 0600));
	dns_creds_shutdown(c);
	child_disown_all(&owner_token);
	dns_creds_free(c);
	ok(access(cpath, F_OK) < 0, "shutdown: the cache is removed");
	wait_children();
	is_int(child_count(), 0, "the helper was killed");
	is_int(r.calls, 0, "no callback after free");

	/* a reload's free keeps the cache (the new instance shares it) */
	c = dns_creds_new(&host, NULL, "/k/client.keytab", NULL, 1000);
	close(open(cpath, O_WRONLY | O_CREAT, 0600));
	dns_creds_free(c);
	ok(access(cpath, F_OK) == 0, "free without shutdown keeps the cache");

	unlink(cpath);
	rmdir(run);
	unlink(path);
	unlink(ctl);
	unlink(argsf);
	unlink(envf);
	rmdir(dir);
	return tap_done();
}
