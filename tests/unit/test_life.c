/* Unit tests for the ABI 1.1 life cycle (core/timer.c, core/status.c and
 * instance.c's stop/report): the life.la test plugin traces its calls.
 *
 * Environment (set by make check): NLEVD_TEST_PLUGINS, the directory with
 * life.la; without it, found relative to this program. */
#include <ev.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "child.h"
#include "instance.h"
#include "state.h"
#include "status.h"
#include "tap.h"

static struct ev_loop *loop;
static char dir[512], trace[512], plugins[512];

static struct cfg *create(const char *text, struct instances *out, bool check, int *rc)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), "[nlevd]\nplugin_dir = %s\n%s", dir, text);
	struct cfg *c = cfg_load_buffer("life.conf", buf, strlen(buf));
	if (!c)
		abort();
	out->head = NULL;
	out->check = check;
	*rc = c->nerrors ? -2 : instances_create(c, loop, NULL, out);
	return c;
}

static struct cfg *load(const char *text)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), "[nlevd]\nplugin_dir = %s\n%s", dir, text);
	struct cfg *c = cfg_load_buffer("life.conf", buf, strlen(buf));
	if (!c)
		abort();
	return c;
}

static char *slurp(void)
{
	static char buf[8192];
	FILE *f = fopen(trace, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = 0;
	if (f)
		fclose(f);
	return buf;
}

static bool traced(const char *s)
{
	return strstr(slurp(), s) != NULL;
}

static void tick_cb(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l;
	(void)w;
	(void)revents;
}

/* Run the loop until the trace shows s, at most 5 s. */
static bool run_until(const char *s)
{
	ev_timer tick;
	ev_timer_init(&tick, tick_cb, 0.01, 0.01);
	ev_timer_start(loop, &tick);
	for (int i = 0; i < 500 && !traced(s); i++)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	return traced(s);
}

static void line_cb(const char *line, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 4096 - n, "%s\n", line);
}

/* exec's report (its "metrics" object included) as lines. */
static const char *exec_report(struct instance *i)
{
	static char text[4096];
	text[0] = 0;
	struct nlevd_status *st = instance_report(i);
	if (st) {
		status_text(st, line_cb, text);
		status_free(st);
	}
	return text;
}

/* exec counts runs, timeouts and queue drops for nlevctl metrics: three
 * events into a queue of one behind a hook that outlives its timeout. */
static void test_exec_metrics(void)
{
	char buf[2048];
	snprintf(buf, sizeof(buf), "%s/exec.la", plugins);
	if (access(buf, R_OK)) {
		diag("no %s (configure --disable-exec): exec's metrics not tested", buf);
		return;
	}
	snprintf(buf, sizeof(buf), "[nlevd]\nplugin_dir = %s\n[x]\nplugin = exec\n"
		 "command = /bin/sleep 5\ntimeout = 100ms\nqueue = 1\n", plugins);
	struct cfg *c = cfg_load_buffer("exec.conf", buf, strlen(buf));
	struct instances set = {NULL}, none = {NULL};
	if (!c)
		abort();
	is_int(c->nerrors ? -2 : instances_create(c, loop, NULL, &set), 0, "exec created");
	if (!set.head) {
		cfg_free(c);
		return;
	}
	is_int(instances_start(&set), 0, "exec started");
	instances_commit(&none, &set);
	like(exec_report(set.head), "metrics: hook_runs_total 0; hook_timeouts_total 0; "
	     "hook_queue_drops_total 0\n", "exec: metrics, all 0 at first");
	struct nlevd_event ev = {.type = NLEVD_EV_LINK_UP, .link = {.ifindex = 7, .ifname = "t0"}};
	for (int k = 0; k < 3; k++)
		instances_dispatch(&set, &ev);
	const char *want = "metrics: hook_runs_total 2; hook_timeouts_total 2; "
			   "hook_queue_drops_total 1\n";
	ev_timer tick;
	ev_timer_init(&tick, tick_cb, 0.01, 0.01);
	ev_timer_start(loop, &tick);
	for (int k = 0; k < 1000 && !strstr(exec_report(set.head), want); k++)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &tick);
	like(exec_report(set.head), want, "exec: two runs, both timed out, one event dropped");
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);
}

int main(int argc, char **argv)
{
	(void)argc;
	const char *env = getenv("NLEVD_TEST_PLUGINS");
	if (env) {
		snprintf(dir, sizeof(dir), "%s", env);
	} else {
		char self[PATH_MAX];
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(dir, sizeof(dir), "%s", dirname(self));
	}
	env = getenv("NLEVD_PLUGINS");
	if (env) {
		snprintf(plugins, sizeof(plugins), "%s", env);
	} else {
		char self[PATH_MAX];
		snprintf(self, sizeof(self), "%s", argv[0]);
		snprintf(plugins, sizeof(plugins), "%s/../../plugins", dirname(self));
	}
	snprintf(trace, sizeof(trace), "/tmp/test_life.%d", (int)getpid());
	loop = ev_default_loop(0);
	state_init(NULL, NULL);
	char conf[1100];
	snprintf(conf, sizeof(conf), "[l]\nplugin = life\ntrace = %s\n", trace);

	/* -t: create, stop(check), destroy; never started. */
	struct instances set, none = {NULL};
	int rc;
	unlink(trace);
	struct cfg *c = create(conf, &set, true, &rc);
	is_int(rc, 0, "created for -t");
	instances_destroy(&set, NLEVD_STOP_CHECK);
	is_str(slurp(), "create - timer=-11 child=EAGAIN\nstop check no-events timer_start=-125 late=inactive child=ECANCELED\n"
			"destroy null\n", "-t: create, stop(check), destroy");
	cfg_free(c);

	/* A configuration error in another instance under -t: check too. */
	unlink(trace);
	char bad[1200];
	snprintf(bad, sizeof(bad), "%s[x]\nplugin = life\n", conf);
	c = create(bad, &set, true, &rc);
	is_int(rc, -1, "-t with a bad instance fails");
	ok(traced("stop check"), "the good one goes as check");
	cfg_free(c);

	/* Started: timers run; refused start: stop(refused). */
	unlink(trace);
	c = create(conf, &set, false, &rc);
	is_int(rc, 0, "created");
	is_int(instances_start(&set), 0, "started");
	instances_commit(&none, &set);
	ok(traced("start 0 0 -22 -22 0"), "timer_start: 0, 0, -EINVAL for NULL t and cb, re-arm 0");
	ok(run_until("once mine inactive"), "a one-shot timer fires once, inactive in its callback");
	ok(run_until("rep stopped null"), "a repeating timer stopped from its own callback");
	struct nlevd_status *st = instance_report(set.head);
	ok(st != NULL, "report");
	char text[4096] = "";
	status_text(st, line_cb, text);
	is_str(text, "name a\"b: addrs 192.0.2.1 2001:db8::1; counts ok 2 on yes\n"
		     "name c: addrs -\n"
		     "timers: once no\n"
		     "summary 0 events; reps 3; status_dropped 3\n",
	       "status as lines");
	char *json = status_json(st);
	is_str(json, "{\"summary\":\"0 events\",\"reps\":3,\"items\":[{\"name\":\"a\\\"b\",\"addrs\":"
		     "[\"192.0.2.1\",\"2001:db8::1\"],\"counts\":{\"ok\":2,\"on\":true}},{\"name\":"
		     "\"c\",\"addrs\":[]}],\"timers\":{\"once\":false}}",
	       "status as JSON");
	is_int((int)status_dropped(st), 3, "three bad calls dropped");
	free(json);
	is_str(status_summary(st), "0 events", "summary");
	status_free(st);
	char sum[64];
	instances_summary(&set, sum, sizeof(sum));
	is_str(sum, "l: 0 events", "instances_summary");
	cfg_free(c);

	/* Reload, same section: kept, no stop.  Changed: stop(reload). */
	struct instances neu = {NULL};
	unlink(trace);
	c = load(conf);
	is_int(instances_create(c, loop, &set, &neu), 0, "same section: created (a stub)");
	is_int(instances_start(&neu), 0, "started");
	instances_commit(&set, &neu);
	set = neu;
	cfg_free(c);
	is_str(slurp(), "", "an unchanged section is kept: no create, no stop");
	unlink(trace);
	char conf2[1200];
	snprintf(conf2, sizeof(conf2), "%stag = two\n", conf);
	c = load(conf2);
	neu.head = NULL;
	is_int(instances_create(c, loop, &set, &neu), 0, "changed section created");
	is_int(instances_start(&neu), 0, "started");
	instances_commit(&set, &neu);
	set = neu;
	cfg_free(c);
	ok(traced("create two timer=-11 child=EAGAIN\nstart 0 0 -22 -22 0\nstop reload no-events timer_start=-125 "
		  "late=active child=ECANCELED\ndestroy null\n"),
	   "a reload: the new one created and started before the old one stops: %s", slurp());

	/* A start that fails: the new set goes as refused. */
	unlink(trace);
	snprintf(conf2, sizeof(conf2), "%sfail_start = yes\n", conf);
	c = load(conf2);
	neu.head = NULL;
	is_int(instances_create(c, loop, &set, &neu), 0, "created");
	is_int(instances_start(&neu), -1, "cannot start");
	instances_destroy(&neu, NLEVD_STOP_REFUSED);
	cfg_free(c);
	ok(traced("stop refused"), "refused: %s", slurp());

	/* Shutdown. */
	unlink(trace);
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	is_str(slurp(), "stop shutdown no-events timer_start=-125 late=active child=ECANCELED\ndestroy null\n",
	       "shutdown: stop, timers inactive, destroy");
	unlink(trace);
	child_init(loop, NULL, NULL);
	test_exec_metrics();
	state_free();
	return tap_done();
}
