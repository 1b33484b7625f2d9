/* core/metrics.c: the Prometheus text exposition (0.0.4), checked line by
 * line and by a strict parser of the format; the counters; an instance's
 * "metrics" status object as samples; instances_push(). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "instance.h"
#include "metrics.h"
#include "state.h"
#include "status.h"
#include "tap.h"

/* ---- a strict parser of the exposition ---- */

#define FAM_MAX 64
struct fam {
	char name[128];
	bool help, type, closed;
};
struct parsed {
	struct fam f[FAM_MAX];
	int n;
	int last; /* the family of the previous sample, -1 none */
	char err[256];
};

static struct fam *fam_get(struct parsed *p, const char *name, size_t len)
{
	for (int i = 0; i < p->n; i++)
		if (strlen(p->f[i].name) == len && !strncmp(p->f[i].name, name, len))
			return &p->f[i];
	if (p->n == FAM_MAX || len >= sizeof(p->f[0].name))
		return NULL;
	struct fam *f = &p->f[p->n++];
	memset(f, 0, sizeof(*f));
	memcpy(f->name, name, len);
	return f;
}

/* The length of a name [a-zA-Z_:][a-zA-Z0-9_:]* at s (colons only when
 * colon), 0 when there is none. */
static size_t name_len(const char *s, bool colon)
{
	size_t n = 0;
	for (; s[n]; n++) {
		char c = s[n];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
			     (colon && c == ':');
		if (!alpha && !(n && c >= '0' && c <= '9'))
			break;
	}
	return n;
}

static bool fail_at(struct parsed *p, const char *line, const char *why)
{
	snprintf(p->err, sizeof(p->err), "%s: '%.150s'", why, line);
	return false;
}

/* One line (without its newline). */
static bool parse_line(struct parsed *p, const char *line)
{
	if (!strncmp(line, "# HELP ", 7) || !strncmp(line, "# TYPE ", 7)) {
		bool help = line[2] == 'H';
		const char *s = line + 7;
		size_t n = name_len(s, true);
		if (!n || s[n] != ' ')
			return fail_at(p, line, "a bad name after # HELP/# TYPE");
		struct fam *f = fam_get(p, s, n);
		if (!f)
			return fail_at(p, line, "too many families");
		if (help ? f->help : f->type)
			return fail_at(p, line, "a second # HELP or # TYPE for a family");
		if (f->closed || (p->last >= 0 && &p->f[p->last] == f))
			return fail_at(p, line, "# HELP/# TYPE after the family's samples");
		if (help) {
			f->help = true;
			if (!s[n + 1] || strchr(s + n + 1, '\n'))
				return fail_at(p, line, "an empty HELP");
		} else {
			if (strcmp(s + n + 1, "counter") && strcmp(s + n + 1, "gauge"))
				return fail_at(p, line, "a TYPE other than counter or gauge");
			f->type = true;
		}
		return true;
	}
	if (line[0] == '#')
		return fail_at(p, line, "a comment (none is expected)");
	size_t n = name_len(line, true);
	if (!n)
		return fail_at(p, line, "a sample without a metric name");
	struct fam *f = fam_get(p, line, n);
	if (!f || !f->type || !f->help)
		return fail_at(p, line, "a sample before its family's # HELP and # TYPE");
	int idx = (int)(f - p->f);
	if (p->last != idx) {
		if (f->closed)
			return fail_at(p, line, "a family's samples are not together");
		if (p->last >= 0)
			p->f[p->last].closed = true;
		p->last = idx;
	}
	const char *s = line + n;
	if (*s == '{') {
		s++;
		while (*s != '}') {
			size_t ln = name_len(s, false);
			if (!ln || s[ln] != '=' || s[ln + 1] != '"')
				return fail_at(p, line, "a bad label");
			s += ln + 2;
			while (*s != '"') {
				if (!*s)
					return fail_at(p, line, "an unterminated label value");
				if (*s == '\\') {
					if (s[1] != '\\' && s[1] != '"' && s[1] != 'n')
						return fail_at(p, line, "a bad escape in a label value");
					s++;
				}
				s++;
			}
			s++;
			if (*s == ',')
				s++;
			else if (*s != '}')
				return fail_at(p, line, "labels not separated by commas");
		}
		s++;
	}
	if (*s != ' ' || !s[1])
		return fail_at(p, line, "no value after the sample's name");
	char *end;
	strtod(s + 1, &end);
	if (end == s + 1 || *end)
		return fail_at(p, line, "a value that is not a number (or a timestamp)");
	return true;
}

static bool valid(const char *text, char *err, size_t len)
{
	struct parsed *p = calloc(1, sizeof(*p));
	p->last = -1;
	bool good = true;
	size_t tl = strlen(text);
	if (!tl || text[tl - 1] != '\n') {
		snprintf(err, len, "the text does not end with a newline");
		free(p);
		return false;
	}
	for (const char *s = text; *s && good;) {
		const char *nl = strchr(s, '\n');
		char line[1024];
		size_t l = (size_t)(nl - s);
		if (!l) {
			snprintf(p->err, sizeof(p->err), "an empty line");
			good = false;
			break;
		}
		snprintf(line, sizeof(line), "%.*s", (int)l, s);
		good = parse_line(p, line);
		s = nl + 1;
	}
	snprintf(err, len, "%s", p->err);
	free(p);
	return good;
}

/* Whether text has this exact line. */
static bool has_line(const char *text, const char *line)
{
	size_t l = strlen(line);
	for (const char *s = text; (s = strstr(s, line)); s++)
		if ((s == text || s[-1] == '\n') && s[l] == '\n')
			return true;
	return false;
}

static int count(const char *text, const char *needle)
{
	int n = 0;
	for (const char *s = text; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* ---- fake instances ---- */

static uint64_t sent = 3;
static int pushed;

static void rep_dns(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	(void)priv;
	status_string(st, "summary", "fine");
	status_uint(st, "not_a_metric", 1); /* outside "metrics" */
	status_object(st, "metrics");
	status_object(st, "updates_total");
	status_object(st, "result");
	status_uint(st, "sent", sent);
	status_uint(st, "ok", 2);
	status_uint(st, "failed", 1);
	status_end(st);
	status_end(st);
	status_uint(st, "last_success_timestamp_seconds", 1700000000);
	status_string(st, "words", "a string: skipped");
	status_uint(st, "events_total", 9); /* a core family: left out */
	status_object(st, "two"); /* two members: not a labelled family */
	status_object(st, "a");
	status_uint(st, "x", 1);
	status_end(st);
	status_uint(st, "b", 2);
	status_end(st);
	status_object(st, "clash"); /* a core label: left out */
	status_object(st, "instance");
	status_uint(st, "x", 1);
	status_end(st);
	status_end(st);
	status_end(st);
}

static void rep_other(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	(void)priv;
	status_object(st, "metrics");
	status_uint(st, "queued", 4);
	status_object(st, "updates_total");
	status_object(st, "result");
	status_uint(st, "sent", 1);
	status_end(st);
	status_end(st);
	status_end(st);
}

static int push_ok(struct nlevd_instance *inst, void *priv)
{
	(void)inst;
	(void)priv;
	pushed++;
	return 0;
}

static void ev_noop(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	(void)inst;
	(void)priv;
	(void)ev;
}

static struct nlevd_plugin p_dns = {
	NLEVD_PLUGIN_INIT, .name = "dnsupdate", .event = ev_noop, .report = rep_dns,
	.push = push_ok,
};
static struct nlevd_plugin p_other = {
	NLEVD_PLUGIN_INIT, .name = "we\"ird\\", .event = ev_noop, .report = rep_other,
};
/* Built against 1.0: the descriptor ends before stop, report and push;
 * what is past its size is never read, whatever is there. */
static struct nlevd_plugin p_old = {
	.abi_major = 1, .abi_minor = 0, .size = offsetof(struct nlevd_plugin, stop),
	.name = "old", .event = ev_noop, .report = rep_other, .push = push_ok,
};

static char got_names[256];
static void push_cb(const char *name, void *arg)
{
	(void)arg;
	size_t n = strlen(got_names);
	snprintf(got_names + n, sizeof(got_names) - n, "%s%s", n ? " " : "", name);
}

int main(void)
{
	char err[300];
	state_init(NULL, NULL);

	/* The parser itself refuses what a collector would. */
	static const char *const bad[] = {
		"a 1\n",                                             /* no HELP/TYPE */
		"# HELP a x\n# TYPE a counter\na 1",                 /* no newline */
		"# HELP a x\n# TYPE a counter\n# TYPE a counter\na 1\n",
		"# HELP a x\n# TYPE a counter\na{l=\"\\q\"} 1\n",    /* bad escape */
		"# HELP a x\n# TYPE a counter\na{l=\"v\"\n",          /* unterminated */
		"# HELP a x\n# TYPE a counter\na one\n",
		"# HELP a x\n# TYPE a counter\n# HELP b x\n# TYPE b gauge\na 1\nb 1\na 2\n",
		"# HELP 1a x\n# TYPE 1a counter\n1a 1\n",
		"# HELP a x\n# TYPE a counter\na 1\n\n",
	};
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++)
		ok(!valid(bad[k], err, sizeof(err)), "the strict parser refuses bad text %zu: %s", k, err);
	ok(valid("# HELP a x\n# TYPE a counter\na{l=\"\\\\ \\\" \\n\",m=\"\"} 1\na 2\n", err,
		 sizeof(err)), "and takes good text: %s", err);

	/* The core's families, no instance. */
	struct instances none = {NULL};
	char *t = metrics_text(&none);
	ok(t != NULL, "metrics_text");
	ok(valid(t, err, sizeof(err)), "the exposition parses strictly: %s", err);
	ok(has_line(t, "# HELP nlevd_events_total Events by type: kernel ones (the first read of "
		    "the state's too), plugin ones.") &&
	   has_line(t, "# TYPE nlevd_events_total counter") &&
	   has_line(t, "nlevd_events_total{type=\"addr-add\"} 0") &&
	   has_line(t, "nlevd_events_total{type=\"link-rename\"} 0") &&
	   has_line(t, "nlevd_events_total{type=\"dns-published\"} 0"),
	   "events: every kernel type and plugin event, 0 at first");
	ok(has_line(t, "# TYPE nlevd_netlink_messages_total counter") &&
	   has_line(t, "nlevd_netlink_messages_total 0") &&
	   has_line(t, "nlevd_netlink_overruns_total 0") &&
	   has_line(t, "nlevd_netlink_resyncs_total 0") &&
	   has_line(t, "nlevd_netlink_malformed_total 0") &&
	   has_line(t, "nlevd_netlink_foreign_total 0"), "the netlink counters");
	ok(has_line(t, "# TYPE nlevd_control_clients_dropped_total counter") &&
	   has_line(t, "nlevd_control_clients_dropped_total 0"), "control drops");
	ok(has_line(t, "# TYPE nlevd_interfaces gauge") && has_line(t, "nlevd_interfaces 0") &&
	   has_line(t, "# TYPE nlevd_addresses gauge") && has_line(t, "nlevd_addresses 0"),
	   "interfaces and addresses: gauges");
	is_int(count(t, "# TYPE nlevd_events_total "), 1, "TYPE once for events_total");
	is_int(count(t, "# HELP nlevd_events_total "), 1, "HELP once for events_total");
	free(t);

	/* The counters move. */
	struct nlevd_event ev = {.type = NLEVD_EV_ADDR_ADD};
	metrics_count_event(&ev);
	metrics_count_event(&ev);
	ev.type = NLEVD_EV_LINK_DOWN;
	metrics_count_event(&ev);
	struct nlevd_event pe = {.type = NLEVD_EV_PLUGIN, .name = "dns-failed"};
	metrics_count_event(&pe);
	pe.name = "no-such-event";
	metrics_count_event(&pe); /* not counted, not rendered */
	metrics_count_control_drop();
	t = metrics_text(&none);
	ok(has_line(t, "nlevd_events_total{type=\"addr-add\"} 2") &&
	   has_line(t, "nlevd_events_total{type=\"link-down\"} 1") &&
	   has_line(t, "nlevd_events_total{type=\"dns-failed\"} 1") &&
	   has_line(t, "nlevd_events_total{type=\"dns-published\"} 0") && !strstr(t, "no-such"),
	   "events counted by type and by name");
	ok(has_line(t, "nlevd_control_clients_dropped_total 1"), "a control drop counted");
	free(t);

	/* Instances: their "metrics" objects, with instance and plugin labels. */
	struct instance i3 = {.name = "legacy", .p = &p_old, .state = INST_RUNNING};
	struct instance i2 = {.next = &i3, .name = "x\"y\\z\nw", .p = &p_other,
			      .state = INST_RUNNING};
	struct instance i1 = {.next = &i2, .name = "dns", .p = &p_dns, .state = INST_RUNNING};
	struct instance i0 = {.next = &i1, .name = "new", .p = &p_dns, .state = INST_NEW};
	struct instances set = {.head = &i0};
	t = metrics_text(&set);
	ok(valid(t, err, sizeof(err)), "with instances, the exposition parses strictly: %s", err);
	ok(has_line(t, "# HELP nlevd_updates_total The metric updates_total of the instances' status.") &&
	   has_line(t, "# TYPE nlevd_updates_total counter") &&
	   has_line(t, "nlevd_updates_total{instance=\"dns\",plugin=\"dnsupdate\",result=\"sent\"} 3") &&
	   has_line(t, "nlevd_updates_total{instance=\"dns\",plugin=\"dnsupdate\",result=\"ok\"} 2") &&
	   has_line(t, "nlevd_updates_total{instance=\"dns\",plugin=\"dnsupdate\",result=\"failed\"} 1"),
	   "a nested object: one labelled sample per member");
	ok(has_line(t, "# TYPE nlevd_last_success_timestamp_seconds gauge") &&
	   has_line(t, "nlevd_last_success_timestamp_seconds{instance=\"dns\",plugin=\"dnsupdate\"} "
		    "1700000000"), "a uint member: a gauge unless it ends in _total");
	ok(has_line(t, "nlevd_updates_total{instance=\"x\\\"y\\\\z\\nw\",plugin=\"we\\\"ird\\\\\","
		    "result=\"sent\"} 1") &&
	   has_line(t, "nlevd_queued{instance=\"x\\\"y\\\\z\\nw\",plugin=\"we\\\"ird\\\\\"} 4"),
	   "label values escaped: backslash, double quote, newline");
	is_int(count(t, "# TYPE nlevd_updates_total "), 1, "one TYPE for a family two instances have");
	is_int(count(t, "# HELP nlevd_updates_total "), 1, "one HELP for it");
	ok(strstr(t, "result=\"ok\"} 2\nnlevd_updates_total{instance=\"dns\",plugin=\"dnsupdate\","
		  "result=\"failed\"} 1\nnlevd_updates_total{instance=\"x") != NULL,
	   "the family's samples together");
	is_int(count(t, "nlevd_events_total{"), 8 + 3, "a plugin's events_total is not rendered");
	ok(!strstr(t, "not_a_metric") && !strstr(t, "words") && !strstr(t, "nlevd_two") &&
	   !strstr(t, "nlevd_clash") && !strstr(t, "instance=\"new\"") &&
	   !strstr(t, "instance=\"legacy\""),
	   "only the metrics object's uints and single labelled objects, of created 1.1 instances");
	free(t);
	sent = 7;
	t = metrics_text(&set);
	ok(has_line(t, "nlevd_updates_total{instance=\"dns\",plugin=\"dnsupdate\",result=\"sent\"} 7"),
	   "an instance's counter moves");
	free(t);

	/* push: started instances with push, a 1.0 plugin skipped. */
	i0.state = INST_RUNNING;
	i0.p = &p_old;
	is_int(instances_push(&set, NULL, push_cb, NULL), 1, "push all: the one with push");
	is_str(got_names, "dns", "named in the callback");
	is_int(pushed, 1, "its push called once (not the 1.0 plugin's)");
	got_names[0] = 0;
	is_int(instances_push(&set, "legacy", push_cb, NULL), 0, "a named instance without push: 0");
	is_int(instances_push(&set, "nope", push_cb, NULL), -ENOENT, "an unknown name: -ENOENT");
	is_int(instances_push(&set, "dns", NULL, NULL), 1, "a named one");
	is_int(pushed, 2, "pushed again");
	i1.state = INST_CREATED;
	is_int(instances_push(&set, "dns", NULL, NULL), 0, "not started: not pushed");
	state_free();
	return tap_done();
}
