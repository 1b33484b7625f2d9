/* A test plugin for the ABI 1.1 life cycle: timers owned by the instance,
 * stop(reason), and a structured report.  It writes what happens to it to
 * the file `trace`, one line per call, for test_life to read. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include <nlevd/plugin.h>

struct lf {
	const struct nlevd_host *h;
	struct nlevd_instance *inst;
	const char *trace; /* opened per line: the test removes it between steps */
	bool fail_start;
	struct nlevd_timer *once, *rep, *late;
	int reps, events;
};

static void tr(struct lf *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tr(struct lf *l, const char *fmt, ...)
{
	FILE *f = fopen(l->trace, "a");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
}

static void once_cb(struct nlevd_instance *inst, void *arg);

static int lf_create(const struct nlevd_host *h, struct nlevd_instance *inst, void **priv)
{
	const char *path, *tag;
	struct lf *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->h = h;
	l->inst = inst;
	if (h->cfg_string(inst, "trace", NULL, &path) < 0 || !path ||
	    h->cfg_string(inst, "tag", "-", &tag) < 0 ||
	    h->cfg_bool(inst, "fail_start", false, &l->fail_start) < 0) {
		free(l);
		return -EINVAL;
	}
	l->trace = path; /* lives as long as the instance */
	/* Neither a timer nor a child from create(): -t never runs the loop. */
	struct nlevd_timer *t = NULL;
	static const char *const argv[] = {"/bin/true", NULL};
	struct nlevd_child_spec spec = {.argv = argv};
	errno = 0;
	struct nlevd_child *c = h->child_spawn(inst, &spec);
	tr(l, "create %s timer=%d child=%s", tag, h->timer_start(inst, &t, 1, 0, once_cb, l),
	   c ? "spawned" : errno == EAGAIN ? "EAGAIN" : "?");
	*priv = l;
	return 0;
}

static void once_cb(struct nlevd_instance *inst, void *arg)
{
	struct lf *l = arg;
	tr(l, "once %s %s", inst == l->inst ? "mine" : "other",
	   l->h->timer_active(l->once) ? "active" : "inactive");
}

static void rep_cb(struct nlevd_instance *inst, void *arg)
{
	(void)inst;
	struct lf *l = arg;
	if (++l->reps == 3) {
		l->h->timer_stop(l->inst, &l->rep); /* from its own callback */
		tr(l, "rep stopped %s", l->rep ? "set" : "null");
	}
}

static int lf_start(struct nlevd_instance *inst, void *priv)
{
	struct lf *l = priv;
	if (l->fail_start)
		return -EIO;
	int a = l->h->timer_start(inst, &l->once, 20, 0, once_cb, l);
	int b = l->h->timer_start(inst, &l->rep, 5, 5, rep_cb, l);
	int c = l->h->timer_start(inst, NULL, 5, 5, rep_cb, l);
	int d = l->h->timer_start(inst, &l->late, 3600000, 0, NULL, l);
	/* One that would fire long after the instance is gone. */
	int e = l->h->timer_start(inst, &l->late, 3600000, 0, once_cb, l);
	tr(l, "start %d %d %d %d %d", a, b, c, d, e);
	return 0;
}

static void lf_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	(void)inst;
	struct lf *l = priv;
	l->events++;
}

static void lf_report(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	struct lf *l = priv;
	const struct nlevd_host *h = l->h;
	h->status_string(st, "summary", "%d events", l->events);
	h->status_uint(st, "reps", (uint64_t)l->reps);
	h->status_list(st, "items");
	h->status_object(st, NULL);
	h->status_string(st, "name", "a\"b");
	h->status_list(st, "addrs");
	h->status_string(st, NULL, "192.0.2.1");
	h->status_string(st, NULL, "2001:db8::1");
	h->status_end(st);
	h->status_object(st, "counts");
	h->status_uint(st, "ok", 2);
	h->status_bool(st, "on", true);
	h->status_end(st);
	h->status_end(st);
	h->status_object(st, NULL);
	h->status_string(st, "name", "c");
	h->status_list(st, "addrs");
	h->status_end(st);
	h->status_end(st);
	h->status_end(st);
	h->status_string(st, "Bad", "dropped: not a key");
	h->status_string(st, NULL, "dropped: no key in an object");
	h->status_end(st); /* one too many: dropped */
	h->status_object(st, "timers");
	h->status_bool(st, "once", h->timer_active(l->once));
	h->status_end(st);
}

static void lf_stop(struct nlevd_instance *inst, void *priv, enum nlevd_stop_reason why)
{
	struct lf *l = priv;
	static const char *const names[] = {"shutdown", "reload", "refused", "check"};
	struct nlevd_timer *t = NULL;
	int rc = l->h->timer_start(inst, &t, 1, 0, once_cb, l);
	static const char *const argv[] = {"/bin/true", NULL};
	struct nlevd_child_spec spec = {.argv = argv};
	errno = 0;
	struct nlevd_child *c = l->h->child_spawn(inst, &spec);
	tr(l, "stop %s %s timer_start=%d late=%s child=%s", (unsigned)why < 4 ? names[why] : "?",
	   l->events ? "events" : "no-events", rc, l->h->timer_active(l->late) ? "active" : "inactive",
	   c ? "spawned" : errno == ECANCELED ? "ECANCELED" : "?");
}

static void lf_destroy(struct nlevd_instance *inst, void *priv)
{
	struct lf *l = priv;
	l->h->timer_stop(inst, &l->once); /* still valid in destroy() */
	tr(l, "destroy %s", l->once ? "set" : "null");
	free(l);
}

static const char *const lf_keys[] = {"trace", "tag", "fail_start", NULL};

NLEVD_PLUGIN_EXPORT const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "life",
	.version = "1.1-test",
	.keys = lf_keys,
	.create = lf_create,
	.start = lf_start,
	.event = lf_event,
	.destroy = lf_destroy,
	.stop = lf_stop,
	.report = lf_report,
};
