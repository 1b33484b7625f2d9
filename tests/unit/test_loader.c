/* Unit tests for core/module.c, instcfg.c and instance.c: loading plugin
 * modules with libltdl, refusing bad ones, and configuring instances.
 *
 * Environment (set by make check):
 *   NLEVD_TEST_PLUGINS  directory with badabi.la, nosym.la and oldabi.la
 *   NLEVD_PLUGINS       directory with the real plugins (log.la)
 * Without them, both are found relative to this program. */
#include <errno.h>
#include <ev.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "cfg.h"
#include "emit.h"
#include "filter.h"
#include "host.h"
#include "instance.h"
#include "instcfg.h"
#include "log.h"
#include "state.h"
#include "tap.h"
#include "util.h"

static char test_dir[PATH_MAX], plugins_dir[PATH_MAX];
static struct ev_loop *loop;

static const char *errors_of(const struct cfg *c)
{
	static char out[8192];
	size_t used = 0;
	out[0] = 0;
	for (const struct cfg_error *e = c->errors; e && used < sizeof(out) - 1; e = e->next)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n", e->msg);
	return out;
}

/* Load text as loader.conf with plugin_dir = dir, create its instances. */
static struct cfg *create(const char *dir, const char *text, struct instances *out, int *rc)
{
	char buf[8192];
	snprintf(buf, sizeof(buf), "[nlevd]\nplugin_dir = %s\n%s", dir, text);
	struct cfg *c = cfg_load_buffer("loader.conf", buf, strlen(buf));
	if (!c)
		abort();
	out->head = NULL;
	*rc = c->nerrors ? -2 : instances_create(c, loop, NULL, out);
	return c;
}

/* One error starting with prefix and containing every needle. */
static bool error_with(const struct cfg *c, const char *prefix, const char *const *needles)
{
	for (const struct cfg_error *e = c->errors; e; e = e->next) {
		if (strncmp(e->msg, prefix, strlen(prefix)))
			continue;
		bool all = true;
		for (const char *const *n = needles; *n && all; n++)
			all = strstr(e->msg, *n) != NULL;
		if (all)
			return true;
	}
	return false;
}

#define expect_error(c, prefix, ...)                                           \
	do {                                                                   \
		const char *const nd_[] = {__VA_ARGS__, NULL};                 \
		if (!ok(error_with((c), (prefix), nd_), "error %s ... %s", (prefix), nd_[0])) \
			diag("errors:\n%s", errors_of(c));                     \
	} while (0)

static void test_refused(void)
{
	struct instances set;
	int rc;
	char major_bad[32], major_ok[32];
	snprintf(major_bad, sizeof(major_bad), "%d.0", NLEVD_ABI_MAJOR + 1);
	snprintf(major_ok, sizeof(major_ok), "%d.%d", NLEVD_ABI_MAJOR, NLEVD_ABI_MINOR);

	struct cfg *c = create(test_dir, "[x]\nplugin = badabi\n", &set, &rc);
	is_int(rc, -1, "badabi: instances_create fails");
	ok(set.head == NULL, "badabi: no instance left");
	expect_error(c, "loader.conf:4: ", "plugin 'badabi'", "/badabi", major_bad, major_ok,
		     "not compatible");
	is_int(c->nerrors, 1, "badabi: one error");
	cfg_free(c);

	c = create(test_dir, "\n[badabi]\nformat = json\n", &set, &rc);
	is_int(rc, -1, "type from the section name: refused too");
	expect_error(c, "loader.conf:4: ", "badabi", major_bad, major_ok);
	cfg_free(c);

	c = create(test_dir, "[y]\nplugin = nosym\n", &set, &rc);
	is_int(rc, -1, "nosym: refused");
	expect_error(c, "loader.conf:4: ", "plugin 'nosym'", "/nosym", "nlevd_plugin");
	cfg_free(c);

	c = create(test_dir, "[z]\n\nplugin = no-such-plugin\n", &set, &rc);
	is_int(rc, -1, "missing plugin: refused");
	expect_error(c, "loader.conf:5: ", "no-such-plugin", test_dir);
	cfg_free(c);

	c = create(test_dir, "[w]\nplugin = ../log\n", &set, &rc);
	is_int(rc, -1, "a plugin type with '/' is refused");
	expect_error(c, "loader.conf:4: ", "'../log' is not a plugin name");
	cfg_free(c);

	/* several bad instances: each reported */
	c = create(test_dir, "[a]\nplugin = badabi\n[b]\nplugin = nosym\n[c]\nplugin = nothere\n",
		   &set, &rc);
	is_int(rc, -1, "three bad instances: refused");
	is_int(c->nerrors, 3, "three bad instances: three errors");
	expect_error(c, "loader.conf:4: ", "badabi");
	expect_error(c, "loader.conf:6: ", "nosym");
	expect_error(c, "loader.conf:8: ", "nothere");
	cfg_free(c);
}

static void test_log_plugin(void)
{
	struct instances set;
	int rc;
	struct cfg *c = create(plugins_dir, "[log]\nformat = json\noutput = stdout\n", &set, &rc);
	is_int(rc, 0, "log plugin: created");
	if (rc)
		diag("%s", errors_of(c));
	struct instance *i = set.head;
	ok(i && !i->next, "one instance");
	if (i) {
		is_str(i->name, "log", "instance name");
		is_str(i->p->name, "log", "plugin descriptor name");
		is_int(i->p->abi_major, NLEVD_ABI_MAJOR, "plugin ABI major");
		ok(i->state == INST_CREATED, "created, not started");
		const struct filter *f = &i->filter;
		is_int(f->events, (1u << NLEVD_EV_COUNT) - 1, "default events: all");
		ok(f->ifpat && !strcmp(f->ifpat[0], "!lo") && !f->ifpat[1], "default interfaces: !lo");
		ok(!filter_ifname(f, "lo") && filter_ifname(f, "eth0"), "default filter drops lo only");
		is_int(f->families, 3, "default family: both");
		is_int(f->scopes, 0x0f, "default scope: all");
		ok(f->temporary && f->startup, "default temporary and startup: yes");
		is_int(f->settle_ms, 0, "default settle for log: 0");
		is_int(f->nprefixes, 0, "default addresses: all");
	}
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	ok(set.head == NULL, "instances_destroy empties the set");
	cfg_free(c);

	c = create(plugins_dir,
		   "[l2]\n"
		   "plugin = log\n"
		   "events = addr-add link-up\n"
		   "interfaces = eth* !eth1\n"
		   "family = ipv6\n"
		   "scope = global link\n"
		   "addresses = 2001:db8::/32 !2001:db8:1::/48\n"
		   "temporary = no\n"
		   "startup = no\n"
		   "settle = 250ms\n",
		   &set, &rc);
	is_int(rc, 0, "core keys: accepted");
	if (rc)
		diag("%s", errors_of(c));
	i = set.head;
	if (i) {
		const struct filter *f = &i->filter;
		is_int(f->events, 1u << NLEVD_EV_ADDR_ADD | 1u << NLEVD_EV_LINK_UP, "events");
		ok(filter_ifname(f, "eth0") && !filter_ifname(f, "eth1") && !filter_ifname(f, "wlan0"),
		   "interfaces");
		is_int(f->families, 2, "family ipv6");
		is_int(f->scopes, NLEVD_SCOPE_GLOBAL | NLEVD_SCOPE_LINK, "scope global link");
		ok(f->nprefixes == 2 && !f->prefix_neg[0] && f->prefix_neg[1] &&
			   f->prefixes[1].len == 48,
		   "addresses: two prefixes, the second excluding");
		ok(!f->temporary && !f->startup, "temporary and startup no");
		is_int(f->settle_ms, 250, "settle 250ms");
	}
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);

	/* unknown keys, at their own FILE:LINE */
	c = create(plugins_dir, "[log]\nformat = text\nbogus = 1\n\nalso_bogus = 2\n", &set, &rc);
	is_int(rc, -1, "unknown key: refused");
	expect_error(c, "loader.conf:5: ", "[log]", "unknown key 'bogus'", "log");
	expect_error(c, "loader.conf:7: ", "unknown key 'also_bogus'");
	is_int(c->nerrors, 2, "both unknown keys reported");
	ok(set.head == NULL, "nothing created");
	cfg_free(c);

	/* every bad value in one section reported */
	c = create(plugins_dir,
		   "[bad]\n"                       /* 3 */
		   "plugin = log\n"                /* 4 */
		   "format = yaml\n"               /* 5 */
		   "output = relative/file\n"      /* 6 */
		   "events = addr-add link-flap\n" /* 7 */
		   "family = ipv5\n"               /* 8 */
		   "scope = universe\n"            /* 9 */
		   "addresses = 10.0.0.1/8\n"      /* 10 */
		   "temporary = perhaps\n"         /* 11 */
		   "startup = 2\n"                 /* 12 */
		   "settle = soon\n"               /* 13 */
		   "interfaces =\n",               /* 14 */
		   &set, &rc);
	is_int(rc, -1, "bad values: refused");
	expect_error(c, "loader.conf:5: ", "[bad]", "format", "yaml");
	expect_error(c, "loader.conf:6: ", "output", "relative/file");
	expect_error(c, "loader.conf:7: ", "events", "link-flap");
	expect_error(c, "loader.conf:8: ", "family", "ipv5");
	expect_error(c, "loader.conf:9: ", "scope", "universe");
	expect_error(c, "loader.conf:10: ", "addresses", "10.0.0.1/8");
	expect_error(c, "loader.conf:11: ", "temporary", "perhaps");
	expect_error(c, "loader.conf:12: ", "startup", "'2'");
	expect_error(c, "loader.conf:13: ", "settle", "soon");
	expect_error(c, "loader.conf:14: ", "interfaces");
	is_int(c->nerrors, 10, "ten errors, all reported");
	if (c->nerrors != 10)
		diag("%s", errors_of(c));
	cfg_free(c);

	c = create(plugins_dir,
		   "[p]\nplugin = log\naddresses = 10.0.0.1/8 192.0.2.0/24 !::1/200 lan\n", &set, &rc);
	expect_error(c, "loader.conf:5: ", "[p] addresses", "'10.0.0.1/8'");
	expect_error(c, "loader.conf:5: ", "[p] addresses", "'!::1/200'");
	expect_error(c, "loader.conf:5: ", "[p] addresses", "'lan'");
	is_int(c->nerrors, 3, "each bad prefix reported");
	cfg_free(c);

	c = create(plugins_dir, "[a]\nplugin = log\nevents =\n[b]\nplugin = log\nfamily =\n", &set,
		   &rc);
	expect_error(c, "loader.conf:5: ", "events", "no event");
	expect_error(c, "loader.conf:8: ", "family", "no family");
	cfg_free(c);
}

static void test_deliver(void)
{
	char path[PATH_MAX];
	const char *tmp = getenv("TMPDIR");
	snprintf(path, sizeof(path), "%s/nlevd-test-loader.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		abort();
	close(fd);
	char text[PATH_MAX + 128];
	snprintf(text, sizeof(text), "[out]\nplugin = log\nformat = json\noutput = %s\n", path);
	struct instances set, none = {NULL};
	int rc;
	struct cfg *c = create(plugins_dir, text, &set, &rc);
	is_int(rc, 0, "log to a file: created");
	if (rc) {
		diag("%s", errors_of(c));
		cfg_free(c);
		return;
	}
	state_init(NULL, NULL);
	is_int(instances_start(&set), 0, "started");
	instances_commit(&none, &set);
	ok(set.head && set.head->state == INST_RUNNING, "committed and started");

	struct nlevd_event ev;
	memset(&ev, 0, sizeof(ev));
	ev.type = NLEVD_EV_LINK_UP;
	ev.time.tv_sec = 1700000000;
	ev.link.ifindex = 4;
	strcpy(ev.link.ifname, "eth0");
	ev.link.operstate = 6;
	ev.link.flags = 1;
	ev.link.mtu = 1500;
	instances_dispatch(&set, &ev);
	strcpy(ev.link.ifname, "lo");
	instances_dispatch(&set, &ev); /* filtered: lo */

	/* identical config on reload: the instance is kept */
	struct instances neu;
	rc = instances_create(c, loop, &set, &neu);
	ok(rc == 0 && neu.head && neu.head->reuse == set.head, "unchanged section: reused on reload");
	struct instance *kept = set.head;
	is_int(instances_start(&neu), 0, "a kept instance is not started again");
	instances_commit(&set, &neu);
	ok(neu.head == kept, "reload keeps the running instance");

	/* A new instance that cannot start (its file cannot be opened, which
	 * the check at create cannot see: a dangling symlink into a missing
	 * directory): the reload is refused and the running set is untouched. */
	char dangling[PATH_MAX + 16], text2[3 * PATH_MAX];
	snprintf(dangling, sizeof(dangling), "%s.dangling", path);
	if (symlink("/nonexistent/dir/x.json", dangling) < 0)
		abort();
	snprintf(text2, sizeof(text2),
		 "[nlevd]\nplugin_dir = %s\n[out]\nplugin = log\nformat = json\n"
		 "output = %s\n", plugins_dir, dangling);
	struct cfg *c2 = cfg_load_buffer("loader.conf", text2, strlen(text2));
	if (!c2)
		abort();
	struct instances bad;
	rc = c2->nerrors ? -2 : instances_create(c2, loop, &neu, &bad);
	is_int(rc, 0, "an output that only fails at open is no config error (no I/O at create)");
	if (rc == 0) {
		is_int(instances_start(&bad), -1, "but the instance cannot start");
		instances_destroy(&bad, NLEVD_STOP_REFUSED);
		ok(neu.head == kept && kept->state == INST_RUNNING && !kept->next,
		   "the running instance is untouched");
	}
	cfg_free(c2);
	unlink(dangling);
	instances_destroy(&neu, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);
	state_free();

	FILE *f = fopen(path, "r");
	char line[1024] = "", extra[8];
	ok(f && fgets(line, sizeof(line), f), "the log file has a line");
	is_str(line,
	       "{\"time\":\"2023-11-14T22:13:20.000Z\",\"event\":\"link-up\",\"ifname\":\"eth0\","
	       "\"ifindex\":4,\"initial\":false,\"operstate\":\"up\",\"flags\":\"up\","
	       "\"mac\":\"\",\"mtu\":1500}\n",
	       "the event as one JSON line");
	ok(!f || !fgets(extra, sizeof(extra), f), "nothing for lo");
	if (f)
		fclose(f);
	unlink(path);
}

static void dispatch_plugin(struct pevent *pe, void *arg)
{
	instances_dispatch_plugin(arg, pe);
}

static int lines_of(const char *path, char *first, size_t len)
{
	FILE *f = fopen(path, "r");
	char line[4096];
	int n = 0;
	if (first && len)
		first[0] = 0;
	while (f && fgets(line, sizeof(line), f))
		if (n++ == 0 && first)
			snprintf(first, len, "%s", line);
	if (f)
		fclose(f);
	return n;
}

/* host->emit end to end: queued, delivered from the loop to every other
 * instance that names the event, never to the emitter itself; `events`
 * knows the plugin events' names and still refuses others at FILE:LINE. */
static void test_plugin_events(void)
{
	char dir[PATH_MAX], pa[PATH_MAX + 16], pb[PATH_MAX + 16], pc[PATH_MAX + 16];
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/nlevd-test-emit.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	snprintf(pa, sizeof(pa), "%s/a.json", dir);
	snprintf(pb, sizeof(pb), "%s/b.json", dir);
	snprintf(pc, sizeof(pc), "%s/c.json", dir);
	char text[4 * PATH_MAX];
	snprintf(text, sizeof(text),
		 "[a]\nplugin = log\nformat = json\noutput = %s\nevents = dns-published\n"
		 "[b]\nplugin = log\nformat = json\noutput = %s\n"
		 "events = link-up dns-published dns-failed dns-conflict\n"
		 "[c]\nplugin = log\nformat = json\noutput = %s\n",
		 pa, pb, pc);
	struct instances set, none = {NULL};
	int rc;
	struct cfg *c = create(plugins_dir, text, &set, &rc);
	is_int(rc, 0, "plugin event names in events: accepted");
	if (rc) {
		diag("%s", errors_of(c));
		cfg_free(c);
		return;
	}
	state_init(NULL, NULL);
	emit_init(loop, dispatch_plugin, &set);
	is_int(instances_start(&set), 0, "started");
	instances_commit(&none, &set);
	struct instance *a = set.head;
	struct nlevd_field f[] = {{"zone", "example.com."}, {"names", "h.example.com."},
				  {"error", ""}};
	is_int(host_table.emit(instance_handle(a), "dns-published", f, 3), 0, "a emits");
	is_int(host_table.emit(instance_handle(a), "dns-published", NULL, 0), 0, "a emits again");
	is_int(host_table.emit(instance_handle(a), "dns-nope", f, 3), -EINVAL, "unknown: -EINVAL");
	ok(host_table.size >= offsetof(struct nlevd_host, emit) + sizeof(host_table.emit),
	   "host->size covers emit");
	is_int(lines_of(pb, NULL, 0), 0, "nothing delivered inside emit()");
	ev_run(loop, 0);
	char line[4096];
	is_int(lines_of(pb, line, sizeof(line)), 2, "b got both");
	like(line, "\"event\":\"dns-published\",\"source\":\"a\",\"zone\":\"example.com.\"",
	     "as JSON, source = the emitter");
	is_int(lines_of(pa, NULL, 0), 0, "a never gets its own event");
	is_int(lines_of(pc, NULL, 0), 0, "c (default events) gets no plugin event");

	/* Depth: what b would emit while it handles a's event is one deeper. */
	struct pevent *pe;
	if (pevent_new("a", "dns-failed", f, 3, NLEVD_EMIT_DEPTH_MAX - 1, &pe))
		abort();
	unsigned saved = emit_enter(pe);
	is_int(host_table.emit(instance_handle(set.head->next), "dns-failed", f, 3), -ELOOP,
	       "b answering a chain at the bound: -ELOOP");
	emit_leave(saved);
	pevent_unref(pe);

	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	emit_free();
	state_free();
	cfg_free(c);
	unlink(pa);
	unlink(pb);
	unlink(pc);
	rmdir(dir);

	c = create(plugins_dir, "[x]\nplugin = log\nevents = dns-published dns-publish\n", &set, &rc);
	ok(rc != 0, "a misspelt plugin event is refused");
	expect_error(c, "loader.conf:5: ", "[x] events: unknown event 'dns-publish'", "dns-conflict");
	is_int(c->nerrors, 1, "one error");
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);

	c = create(test_dir, "[x]\nplugin = oldabi\nevents = addr-add\n", &set, &rc);
	is_int(rc, 0, "an ABI 1.0 plugin loads");
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);

	/* plugin_dir is a search path: the first directory that has it. */
	char both[2 * PATH_MAX + 32];
	snprintf(both, sizeof(both), "/nonexistent/nlevd %s %s", test_dir, plugins_dir);
	c = create(both, "[x]\nplugin = oldabi\n[y]\nplugin = log\n", &set, &rc);
	is_int(rc, 0, "search path: oldabi from the second directory, log from the third");
	ok(rc == 0 && set.head && set.head->next && set.head->p->abi_minor == 0 &&
	   !strcmp(set.head->next->p->name, "log"), "search path: both loaded");
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);
	c = create(both, "[x]\nplugin = no-such-plugin\n", &set, &rc);
	ok(rc != 0, "search path: a missing plugin is refused");
	expect_error(c, "loader.conf:4: ", "plugin 'no-such-plugin'", "/nonexistent/nlevd", test_dir,
		     plugins_dir);
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);
	c = create(test_dir, "[x]\nplugin = oldabi\nevents = addr-add dns-failed\n", &set, &rc);
	ok(rc != 0, "but cannot be given plugin events");
	expect_error(c, "loader.conf:5: ", "[x] events: plugin oldabi (ABI 1.0) cannot receive "
		     "'dns-failed'");
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);
}

/* An instance of section name of c, as instance_create() makes one before
 * create(): enough for the host table's config lookups. */
static struct instance *bare_instance(struct cfg *c, const char *name)
{
	struct instance *i = calloc(1, sizeof(*i));
	if (!i || !(i->name = strdup(name)))
		abort();
	for (struct cfg_section *s = c->sections; s; s = s->next)
		if (!strcmp(s->name, name))
			i->section = s;
	if (!i->section)
		abort();
	i->errs = c;
	return i;
}

static void bare_free(struct instance *i)
{
	instcfg_free(i);
	free(i->name);
	free(i);
}

/* The 1.1 helpers: cfg_string_required, cfg_duration_range, cfg_words,
 * cfg_command, families; each error at the key's FILE:LINE, or the
 * section's when the key is absent. */
static void test_helpers(void)
{
	static const char text[] =
		"[h]\n"                                            /* 1 */
		"name = www\n"                                     /* 2 */
		"empty =\n"                                        /* 3 */
		"t_ok = 90s\n"                                     /* 4 */
		"t_bad = soon\n"                                   /* 5 */
		"t_low = 10ms\n"                                   /* 6 */
		"t_high = 2h\n"                                    /* 7 */
		"words =  a  b\tc \n"                              /* 8 */
		"cmd = printf '%s x' \"a \\\"q\\\" b\" c\\ d\n"    /* 9 */
		"cmd_rel = bin/true\n"                             /* 10 */
		"cmd_none = no-such-program-nlevd x\n"             /* 11 */
		"cmd_quote = /bin/echo 'unclosed\n"                /* 12 */
		"cmd_abs = /bin/sh -c 'exit 0'\n"                  /* 13 */
		"cmd_empty =\n"                                    /* 14 */
		"cmd_notexec = /etc/passwd\n";                     /* 15 */
	struct cfg *c = cfg_load_buffer("helpers.conf", text, strlen(text));
	if (!c)
		abort();
	is_int(c->nerrors, 0, "helpers.conf parses");
	struct instance *i = bare_instance(c, "h");
	struct nlevd_instance *h = instance_handle(i);
	const struct nlevd_host *host = &host_table;
	ok(host->size >= offsetof(struct nlevd_host, families) + sizeof(host->families) &&
	   host->cfg_string_required && host->cfg_duration_range && host->cfg_words &&
	   host->cfg_command && host->families, "the host table has the 1.1 config helpers");

	const char *str = "unset";
	is_int(host->cfg_string_required(h, "name", &str), 0, "required: present");
	is_str(str, "www", "required: its value");
	is_int(host->cfg_string_required(h, "absent", &str), -EINVAL, "required: absent");
	ok(str == NULL, "required: absent gives NULL");
	expect_error(c, "helpers.conf:1: ", "[h] absent: required");
	is_int(host->cfg_string_required(h, "empty", &str), -EINVAL, "required: empty");
	expect_error(c, "helpers.conf:3: ", "[h] empty: ", "required");

	uint64_t ms = 0;
	is_int(host->cfg_duration_range(h, "t_ok", 5000, 1000, 3600000, &ms), 0, "range: 90s");
	is_int((int)ms, 90000, "range: 90s is 90000 ms");
	is_int(host->cfg_duration_range(h, "absent", 5000, 1000, 3600000, &ms), 0, "range: absent");
	is_int((int)ms, 5000, "range: absent gives the default");
	is_int(host->cfg_duration_range(h, "t_bad", 5000, 1000, 3600000, &ms), -EINVAL,
	       "range: not a duration");
	expect_error(c, "helpers.conf:5: ", "[h] t_bad: ", "'soon' is not a duration");
	is_int(host->cfg_duration_range(h, "t_low", 5000, 1000, 3600000, &ms), -EINVAL,
	       "range: below min");
	expect_error(c, "helpers.conf:6: ", "[h] t_low: ", "'10ms'", "from 1s to 1h");
	ms = 1;
	is_int(host->cfg_duration_range(h, "t_high", 5000, 1000, 3600000, &ms), -EINVAL,
	       "range: above max");
	expect_error(c, "helpers.conf:7: ", "[h] t_high: ", "'2h'", "from 1s to 1h");
	is_int((int)ms, 5000, "range: a bad value leaves the default");
	is_int(host->cfg_duration_range(h, "t_high", 0, 0, 7200000, &ms), 0, "range: max inclusive");
	is_int((int)ms, 7200000, "range: 2h");

	const char *const *w = NULL;
	size_t n = 99;
	is_int(host->cfg_words(h, "words", NULL, &w, &n), 0, "words: present");
	ok(n == 3 && w && !strcmp(w[0], "a") && !strcmp(w[1], "b") && !strcmp(w[2], "c") && !w[3],
	   "words: a b c, blanks and a tab between");
	const char *const *kept = w;
	is_int(host->cfg_words(h, "absent", "x  y", &w, &n), 0, "words: absent, a default");
	ok(n == 2 && !strcmp(w[0], "x") && !strcmp(w[1], "y") && !w[2], "words: the default's");
	is_int(host->cfg_words(h, "absent", NULL, &w, NULL), 0, "words: absent, no default, n NULL");
	ok(w && !w[0], "words: no default is an empty list");
	is_int(host->cfg_words(h, "empty", "x", &w, &n), 0, "words: empty value");
	ok(n == 0 && w && !w[0], "words: an empty value is an empty list, not the default");
	ok(!strcmp(kept[2], "c"), "words: the first list still lives");

	const char *const *argv = NULL;
	size_t argc = 99;
	is_int(host->cfg_command(h, "cmd", &argv, &argc), 0, "command: quotes and escapes");
	char *want = argv_resolve("printf");
	ok(want && argv && argv[0] && !strcmp(argv[0], want), "command: printf resolved to %s",
	   argv && argv[0] ? argv[0] : "(null)");
	free(want);
	ok(argc == 4 && argv && !strcmp(argv[1], "%s x") && !strcmp(argv[2], "a \"q\" b") &&
	   !strcmp(argv[3], "c d") && !argv[4], "command: '...', \"...\" with \\\", \\ outside quotes");
	is_int(host->cfg_command(h, "cmd_abs", &argv, NULL), 0, "command: absolute, argc NULL");
	ok(argv && !strcmp(argv[0], "/bin/sh") && !strcmp(argv[2], "exit 0") && !argv[3],
	   "command: /bin/sh -c 'exit 0'");
	argc = 99;
	is_int(host->cfg_command(h, "absent", &argv, &argc), 0, "command: absent");
	ok(argv == NULL && argc == 0, "command: absent gives NULL, 0");
	is_int(host->cfg_command(h, "cmd_rel", &argv, &argc), -EINVAL, "command: relative path");
	expect_error(c, "helpers.conf:10: ", "[h] cmd_rel: ",
		     "'bin/true' is not an executable program (give an absolute path)");
	is_int(host->cfg_command(h, "cmd_none", &argv, &argc), -EINVAL, "command: not in PATH");
	expect_error(c, "helpers.conf:11: ", "[h] cmd_none: ",
		     "'no-such-program-nlevd' is not an executable program");
	ok(argv == NULL, "command: an error gives NULL");
	is_int(host->cfg_command(h, "cmd_quote", &argv, &argc), -EINVAL, "command: open quote");
	expect_error(c, "helpers.conf:12: ", "[h] cmd_quote: unbalanced single quote");
	is_int(host->cfg_command(h, "cmd_empty", &argv, &argc), -EINVAL, "command: empty");
	expect_error(c, "helpers.conf:14: ", "[h] cmd_empty: empty command");
	is_int(host->cfg_command(h, "cmd_notexec", &argv, &argc), -EINVAL, "command: not executable");
	expect_error(c, "helpers.conf:15: ", "[h] cmd_notexec: ",
		     "'/etc/passwd' is not an executable program");
	is_int(c->nerrors, 10, "helpers: one error per bad lookup");
	bare_free(i);
	cfg_free(c);

	/* families: the core's `family` key, as instcfg_filter() read it. */
	struct instances set;
	int rc;
	c = create(plugins_dir, "[a]\nplugin = log\nfamily = ipv6\n[b]\nplugin = log\n"
		   "[c]\nplugin = log\nfamily = ipv6 ipv4\n", &set, &rc);
	is_int(rc, 0, "families: instances created");
	if (rc == 0 && set.head && set.head->next && set.head->next->next) {
		is_int((int)host->families(instance_handle(set.head)), NLEVD_FAMILY_IPV6,
		       "families: ipv6");
		is_int((int)host->families(instance_handle(set.head->next)),
		       NLEVD_FAMILY_IPV4 | NLEVD_FAMILY_IPV6, "families: default both");
		is_int((int)host->families(instance_handle(set.head->next->next)),
		       NLEVD_FAMILY_IPV4 | NLEVD_FAMILY_IPV6, "families: ipv6 ipv4");
	}
	instances_destroy(&set, NLEVD_STOP_SHUTDOWN);
	cfg_free(c);
}

int main(int argc, char **argv)
{
	(void)argc;
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	const char *t = getenv("NLEVD_TEST_PLUGINS"), *p = getenv("NLEVD_PLUGINS");
	char self[PATH_MAX];
	if (!realpath(argv[0], self))
		snprintf(self, sizeof(self), "%s", argv[0]);
	char *d = dirname(self);
	snprintf(test_dir, sizeof(test_dir), "%s", t && *t ? t : d);
	snprintf(plugins_dir, sizeof(plugins_dir), "%s", p && *p ? p : "");
	if (!*plugins_dir)
		snprintf(plugins_dir, sizeof(plugins_dir), "%s/../../plugins", d);
	diag("test plugins from %s, plugins from %s", test_dir, plugins_dir);
	loop = ev_default_loop(0);
	ok(loop != NULL, "ev_default_loop");
	test_refused();
	test_log_plugin();
	test_deliver();
	test_plugin_events();
	test_helpers();
	return tap_done();
}
