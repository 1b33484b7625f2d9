/* Unit tests for core/config.c: INI files through inih, every error with
 * its FILE:LINE, includes. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static struct cfg *load(const char *text)
{
	struct cfg *c = cfg_load_buffer("t.conf", text, strlen(text));
	if (!c)
		abort();
	return c;
}

static const char *errors_of(const struct cfg *c)
{
	static char out[8192];
	size_t used = 0;
	out[0] = 0;
	for (const struct cfg_error *e = c->errors; e && used < sizeof(out) - 1; e = e->next)
		used += (size_t)snprintf(out + used, sizeof(out) - used, "%s\n", e->msg);
	return out;
}

/* Exactly one error message starts with prefix and contains needle. */
static bool has_error(const struct cfg *c, const char *prefix, const char *needle)
{
	int n = 0;
	for (const struct cfg_error *e = c->errors; e; e = e->next)
		if (!strncmp(e->msg, prefix, strlen(prefix)) && strstr(e->msg, needle))
			n++;
	return n == 1;
}

#define expect_error(c, prefix, needle, ...)                                   \
	do {                                                                   \
		if (!ok(has_error((c), (prefix), (needle)), __VA_ARGS__))      \
			diag("errors:\n%s", errors_of(c));                     \
	} while (0)

static struct cfg_section *section(const struct cfg *c, const char *name)
{
	for (struct cfg_section *s = c->sections; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

static const char *value(const struct cfg *c, const char *sec, const char *key)
{
	struct cfg_kv *kv = cfg_find(section(c, sec), key);
	return kv ? kv->value : NULL;
}

static void test_valid(void)
{
	struct cfg *c = load("# comment\n"
			     "; another\n"
			     "[nlevd]\n"
			     "plugin_dir = /opt/nlevd/plugins\n"
			     "log_level = debug\n"
			     "log_target = stderr\n"
			     "netlink_rcvbuf = 8M\n"
			     "user = nobody\n"
			     "group = nogroup\n"
			     "pidfile = /run/nlevd.pid\n"
			     "\n"
			     "[log1]\n"
			     "plugin = log\n"
			     "format = json   ; inline comment\n"
			     "  output   =   /var/log/nlevd.log  \n"
			     "empty =\n"
			     "colon: value\n"
			     "[exec-2.x_y]\n"
			     "events = addr-add addr-del\n"
			     "[empty]\n");
	is_int(c->nerrors, 0, "valid config: no errors");
	if (c->nerrors)
		diag("%s", errors_of(c));
	is_str(c->plugin_dir, "/opt/nlevd/plugins", "plugin_dir");
	ok(c->plugin_path && c->plugin_path[0] && !strcmp(c->plugin_path[0], "/opt/nlevd/plugins") &&
	   !c->plugin_path[1], "plugin_dir: one directory");
	is_int(c->log_level, NLEVD_LOG_DEBUG, "log_level debug");
	is_int(c->log_target, LOG_TARGET_STDERR, "log_target stderr");
	is_int(c->netlink_rcvbuf, 8 * 1024 * 1024, "netlink_rcvbuf 8M");
	is_str(c->user, "nobody", "user");
	is_str(c->group, "nogroup", "group");
	is_str(c->pidfile, "/run/nlevd.pid", "pidfile");
	ok(c->global && !strcmp(c->global->name, "nlevd") && c->global->line == 3,
	   "[nlevd] kept apart, at line 3");
	const char *names[4] = {0};
	int n = 0;
	for (struct cfg_section *s = c->sections; s; s = s->next)
		if (n < 4)
			names[n++] = s->name;
	ok(n == 3 && !strcmp(names[0], "log1") && !strcmp(names[1], "exec-2.x_y") &&
		   !strcmp(names[2], "empty"),
	   "three instance sections in file order");
	is_str(value(c, "log1", "plugin"), "log", "key value");
	is_str(value(c, "log1", "format"), "json", "inline ';' comment stripped");
	is_str(value(c, "log1", "output"), "/var/log/nlevd.log", "blanks around key and value trimmed");
	is_str(value(c, "log1", "empty"), "", "empty value");
	is_str(value(c, "log1", "colon"), "value", "':' separates too (inih)");
	is_str(value(c, "exec-2.x_y", "events"), "addr-add addr-del", "value with blanks");
	struct cfg_kv *kv = cfg_find(section(c, "log1"), "format");
	ok(kv && kv->line == 14 && !strcmp(kv->file, "t.conf"), "key remembers t.conf:14");
	ok(section(c, "log1")->line == 12, "section remembers its line");
	ok(section(c, "empty") && !section(c, "empty")->kvs, "an empty section exists");
	ok(cfg_find(section(c, "log1"), "nope") == NULL, "cfg_find of a missing key");
	ok(cfg_find(NULL, "x") == NULL, "cfg_find(NULL)");
	cfg_free(c);

	c = load("");
	is_int(c->nerrors, 0, "empty config: fine");
	is_int(c->log_level, NLEVD_LOG_INFO, "default log_level info");
	is_int(c->log_target, -1, "default log_target: unset");
	ok(c->netlink_rcvbuf >= 4 * 1024 * 1024, "default netlink_rcvbuf at least 4M");
	ok(c->plugin_dir && c->plugin_dir[0] == '/', "default plugin_dir absolute (%s)",
	   c->plugin_dir ? c->plugin_dir : "NULL");
	ok(c->global == NULL && c->sections == NULL, "no sections");
	cfg_free(c);

	static const char *const levels[] = {"error", "warning", "notice", "info", "debug"};
	for (int i = 0; i < 5; i++) {
		char buf[64];
		snprintf(buf, sizeof(buf), "[nlevd]\nlog_level = %s\n", levels[i]);
		c = load(buf);
		ok(c->nerrors == 0 && c->log_level == NLEVD_LOG_ERR + i, "log_level %s", levels[i]);
		cfg_free(c);
	}
	c = load("[nlevd]\nlog_target = syslog\nnetlink_rcvbuf = 4096\n");
	ok(c->nerrors == 0 && c->log_target == LOG_TARGET_SYSLOG && c->netlink_rcvbuf == 4096,
	   "log_target syslog, netlink_rcvbuf 4096");
	cfg_free(c);
	c = load("[nlevd]\nnetlink_rcvbuf = 1024M\n");
	ok(c->nerrors == 0 && c->netlink_rcvbuf == 1u << 30, "netlink_rcvbuf 1024M");
	cfg_free(c);

	/* line endings, BOM, blanks */
	c = load("\xEF\xBB\xBF[a]\r\nx = 1\r\n\r\n  y = 2\r\n\t[b]\t\nz=3");
	is_int(c->nerrors, 0, "BOM, CRLF, indented lines, no final newline");
	is_str(value(c, "a", "x"), "1", "CRLF: value without \\r");
	is_str(value(c, "a", "y"), "2", "indented key is a key, not a continuation");
	is_str(value(c, "b", "z"), "3", "last line without newline");
	cfg_free(c);

	/* A long comment line is no error; a line just under the limit is kept whole. */
	char buf[1024], val[200];
	memset(val, 'v', 150);
	val[150] = 0;
	char longc[400];
	memset(longc, 'c', 300);
	longc[0] = '#';
	longc[300] = 0;
	snprintf(buf, sizeof(buf), "[a]\n%s\nk = %s\n", longc, val);
	c = load(buf);
	is_int(c->nerrors, 0, "300-character comment and 154-character line: fine");
	is_str(value(c, "a", "k"), val, "150-character value intact");
	cfg_free(c);
}

static void test_errors(void)
{
	char longline[400];
	memset(longline, 'x', 300);
	memcpy(longline, "key = ", 6);
	longline[300] = 0;
	char text[2048];
	snprintf(text, sizeof(text),
		 "[nlevd]\n"                 /* 1 */
		 "bogus = 1\n"               /* 2 */
		 "log_level = loud\n"        /* 3 */
		 "netlink_rcvbuf = 1G\n"     /* 4 */
		 "[a]\n"                     /* 5 */
		 "x = 1\n"                   /* 6 */
		 "x = 2\n"                   /* 7 */
		 "[a]\n"                     /* 8 */
		 "y = 3\n"                   /* 9 */
		 "no equals here\n"          /* 10 */
		 "[broken\n"                 /* 11 */
		 "[bad name]\n"              /* 12 */
		 "[ok]\n"                    /* 13 */
		 "%s\n"                      /* 14 */
		 "z = 1\n"                   /* 15 */
		 "= nokey\n"                 /* 16 */
		 "[ok2] junk\n"              /* 17 */
		 "[]\n"                      /* 18 */
		 "[nlevd]\n"                 /* 19 */
		 "log_target = journal\n",   /* 20 */
		 longline);
	struct cfg *c = load(text);
	expect_error(c, "t.conf:2: ", "unknown key 'bogus' in [nlevd]", "unknown key in [nlevd]: t.conf:2");
	expect_error(c, "t.conf:3: ", "log_level", "bad log_level: t.conf:3");
	expect_error(c, "t.conf:3: ", "loud", "bad log_level names the value");
	expect_error(c, "t.conf:4: ", "netlink_rcvbuf", "bad netlink_rcvbuf: t.conf:4");
	expect_error(c, "t.conf:7: ", "duplicate key 'x' in [a] (first at t.conf:6)",
		     "duplicate key: t.conf:7, naming the first");
	expect_error(c, "t.conf:8: ", "duplicate section [a] (first at t.conf:5)",
		     "duplicate section: t.conf:8, naming the first");
	expect_error(c, "t.conf:10: ", "expected 'key = value'", "line without '=': t.conf:10");
	expect_error(c, "t.conf:11: ", "']'", "section header without ']': t.conf:11");
	expect_error(c, "t.conf:12: ", "invalid section name 'bad name'", "invalid section name: t.conf:12");
	expect_error(c, "t.conf:14: ", "line too long", "over-long line: t.conf:14, not truncated");
	expect_error(c, "t.conf:16: ", "missing key", "'= value': t.conf:16");
	expect_error(c, "t.conf:17: ", "after ']'", "text after ']': t.conf:17");
	expect_error(c, "t.conf:18: ", "invalid section name ''", "empty section name: t.conf:18");
	expect_error(c, "t.conf:19: ", "duplicate section [nlevd]", "second [nlevd]: t.conf:19");
	is_int(c->nerrors, 13, "every error reported (13), and nothing else");
	if (c->nerrors != 13)
		diag("errors:\n%s", errors_of(c));
	ok(!has_error(c, "t.conf:9:", ""), "keys of a refused section are not reported again");
	ok(!has_error(c, "t.conf:20:", ""),
	   "keys of a refused [nlevd] are not validated (log_target = journal)");
	is_str(value(c, "ok", "z"), "1", "parsing went on after the long line");
	ok(cfg_find(section(c, "ok"), "key") == NULL, "the long line's key was not taken, truncated");
	is_str(value(c, "a", "x"), "1", "the first of a duplicate key stays");
	cfg_free(c);

	c = load("a = 1\n[x]\nb = 2\n");
	expect_error(c, "t.conf:1: ", "key 'a' before any [section]", "key before any section");
	is_int(c->nerrors, 1, "only that error");
	is_str(value(c, "x", "b"), "2", "the rest is parsed");
	cfg_free(c);

	static const char nul[] = "[x]\nfoo = a\0b\nbar = 1\n";
	c = cfg_load_buffer("t.conf", nul, sizeof(nul) - 1);
	expect_error(c, "t.conf:2: ", "NUL", "NUL byte: t.conf:2");
	is_int(c->nerrors, 1, "NUL byte: one error");
	is_str(value(c, "x", "bar"), "1", "the line after the NUL byte is parsed");
	ok(cfg_find(section(c, "x"), "foo") == NULL, "the line with the NUL byte is dropped");
	cfg_free(c);

	static const struct {
		const char *text, *prefix, *needle, *what;
	} one[] = {
		{"[nlevd]\nplugin_dir = relative/dir\n", "t.conf:2: ", "absolute", "relative plugin_dir"},
		{"[nlevd]\nplugin_dir = /a relative/dir\n", "t.conf:2: ",
		 "plugin_dir: 'relative/dir' is not an absolute path", "a relative directory in plugin_dir"},
		{"[nlevd]\nplugin_dir =\n", "t.conf:2: ", "plugin_dir: no directory given",
		 "empty plugin_dir"},
		{"[nlevd]\npidfile = nlevd.pid\n", "t.conf:2: ", "absolute", "relative pidfile"},
		{"[nlevd]\nuser =\n", "t.conf:2: ", "user: empty", "empty user"},
		{"[nlevd]\ngroup =\n", "t.conf:2: ", "group: empty", "empty group"},
		{"[nlevd]\nlog_target = journal\n", "t.conf:2: ", "log_target", "bad log_target"},
		{"[nlevd]\nlog_level = INFO\n", "t.conf:2: ", "log_level", "log_level is case-sensitive"},
		{"[nlevd]\nlog_level =\n", "t.conf:2: ", "log_level", "empty log_level"},
		{"[nlevd]\nnetlink_rcvbuf = 2000\n", "t.conf:2: ", "netlink_rcvbuf", "netlink_rcvbuf below 4K"},
		{"[nlevd]\nnetlink_rcvbuf = 1025M\n", "t.conf:2: ", "netlink_rcvbuf", "netlink_rcvbuf above 1024M"},
		{"[nlevd]\nnetlink_rcvbuf = lots\n", "t.conf:2: ", "netlink_rcvbuf", "netlink_rcvbuf not a size"},
		{"\n\n[a/b]\n", "t.conf:3: ", "invalid section name", "'/' in a section name"},
		{"[x]\n[y]\n[x]\n", "t.conf:3: ", "first at t.conf:1", "duplicate of an empty section"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(one); i++) {
		c = load(one[i].text);
		expect_error(c, one[i].prefix, one[i].needle, "%s", one[i].what);
		is_int(c->nerrors, 1, "%s: one error", one[i].what);
		cfg_free(c);
	}

	/* cfg_print_errors writes each message on a line */
	c = load("[a]\nx\ny\n");
	FILE *f = tmpfile();
	cfg_print_errors(c, f);
	rewind(f);
	char line[256];
	int lines = 0;
	bool order = true;
	while (fgets(line, sizeof(line), f)) {
		lines++;
		if (lines == 1 && strncmp(line, "t.conf:2: ", 10))
			order = false;
		if (lines == 2 && strncmp(line, "t.conf:3: ", 10))
			order = false;
	}
	fclose(f);
	ok(lines == 2 && order, "cfg_print_errors: one line per error, in order");
	cfg_free(c);
}

/* ---- files and includes ---- */

static char dir[PATH_MAX];

static void write_file(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f)) {
		perror(p);
		abort();
	}
}

static const char *path(const char *rel)
{
	static char p[4][PATH_MAX * 2];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", dir, rel);
	return p[k];
}

static void test_files(void)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(dir, sizeof(dir), "%s/nlevd-test-config.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir))
		abort();
	mkdir(path("conf.d"), 0755);
	mkdir(path("other"), 0755);
	write_file("main.conf", "[nlevd]\n"
				"include = conf.d/*.conf\n"
				"[main-inst]\n"
				"plugin = log\n");
	write_file("conf.d/20-b.conf", "# b\n[b]\nplugin = log\n");
	write_file("conf.d/10-a.conf", "[a]\nplugin = log\n");
	write_file("conf.d/05-z.conf", "\n\n[z]\nformat = json\n");
	write_file("conf.d/skip.txt", "[skip]\n");

	/* relative to the main file, not to the current directory */
	char cwd[PATH_MAX];
	if (!getcwd(cwd, sizeof(cwd)) || chdir("/"))
		abort();
	struct cfg *c = cfg_load(path("main.conf"), NULL);
	if (chdir(cwd))
		abort();
	is_int(c->nerrors, 0, "main file with includes: no errors");
	if (c->nerrors)
		diag("%s", errors_of(c));
	const char *order[5] = {0};
	int n = 0;
	for (struct cfg_section *s = c->sections; s; s = s->next)
		if (n < 5)
			order[n++] = s->name;
	ok(n == 4 && !strcmp(order[0], "main-inst") && !strcmp(order[1], "z") &&
		   !strcmp(order[2], "a") && !strcmp(order[3], "b"),
	   "sections: main file first, then includes in sorted file order; *.conf only");
	struct cfg_section *z = section(c, "z");
	ok(z && !strcmp(z->file, path("conf.d/05-z.conf")) && z->line == 3,
	   "included section remembers its file and line");
	struct cfg_kv *kv = cfg_find(z, "format");
	ok(kv && !strcmp(kv->file, path("conf.d/05-z.conf")) && kv->line == 4,
	   "included key remembers its file and line");
	cfg_free(c);

	c = cfg_load(path("main.conf"), "/override/dir");
	is_str(c->plugin_dir, "/override/dir", "plugin_dir override (-P)");
	cfg_free(c);
	c = cfg_load(path("main.conf"), "/first  /second");
	ok(c->plugin_path && c->plugin_path[0] && !strcmp(c->plugin_path[0], "/first") &&
	   c->plugin_path[1] && !strcmp(c->plugin_path[1], "/second") && !c->plugin_path[2],
	   "plugin_dir override (-P) is a search path too");
	cfg_free(c);

	/* duplicate section across files; [nlevd] and errors in an included file */
	write_file("conf.d/30-dup.conf", "\n[a]\nplugin = log\n");
	write_file("conf.d/40-global.conf", "[c]\n[nlevd]\nlog_level = debug\n");
	write_file("conf.d/50-bad.conf", "orphan = 1\n[d]\nbroken line\n");
	c = cfg_load(path("main.conf"), NULL);
	char pre[PATH_MAX * 2 + 32], want[PATH_MAX * 2 + 64];
	snprintf(pre, sizeof(pre), "%s:2: ", path("conf.d/30-dup.conf"));
	snprintf(want, sizeof(want), "duplicate section [a] (first at %s:1)", path("conf.d/10-a.conf"));
	expect_error(c, pre, want, "duplicate section across files: both locations");
	snprintf(pre, sizeof(pre), "%s:2: ", path("conf.d/40-global.conf"));
	expect_error(c, pre, "[nlevd]", "[nlevd] in an included file refused at its line");
	snprintf(pre, sizeof(pre), "%s:1: ", path("conf.d/50-bad.conf"));
	expect_error(c, pre, "before any [section]", "included file starts a fresh section context");
	snprintf(pre, sizeof(pre), "%s:3: ", path("conf.d/50-bad.conf"));
	expect_error(c, pre, "expected 'key = value'", "syntax error in an included file");
	is_int(c->log_level, NLEVD_LOG_INFO, "an included [nlevd] changes nothing");
	is_int(c->nerrors, 4, "four errors");
	if (c->nerrors != 4)
		diag("%s", errors_of(c));
	cfg_free(c);
	unlink(path("conf.d/30-dup.conf"));
	unlink(path("conf.d/40-global.conf"));
	unlink(path("conf.d/50-bad.conf"));

	/* several patterns, absolute and relative; no match is fine */
	write_file("other/x.ini", "[x]\n");
	char text[PATH_MAX * 3];
	snprintf(text, sizeof(text), "[nlevd]\ninclude = %s/other/*.ini conf.d/10-*.conf none/*.conf\n",
		 dir);
	write_file("two.conf", text);
	c = cfg_load(path("two.conf"), NULL);
	is_int(c->nerrors, 0, "absolute and relative patterns, one matching nothing");
	if (c->nerrors)
		diag("%s", errors_of(c));
	ok(c->sections && !strcmp(c->sections->name, "x") && c->sections->next &&
		   !strcmp(c->sections->next->name, "a") && !c->sections->next->next,
	   "patterns read in the order given");
	cfg_free(c);

	write_file("empty-inc.conf", "[nlevd]\ninclude =\n");
	c = cfg_load(path("empty-inc.conf"), NULL);
	expect_error(c, path("empty-inc.conf"), ":2: include: no pattern", "include without a pattern");
	cfg_free(c);

	c = cfg_load(path("does-not-exist.conf"), NULL);
	char pre0[PATH_MAX * 2 + 8];
	snprintf(pre0, sizeof(pre0), "%s: ", path("does-not-exist.conf"));
	expect_error(c, pre0, "cannot read", "missing file: named, no line");
	ok(c->nerrors >= 1, "missing file is an error");
	cfg_free(c);

	c = cfg_load(dir, NULL);
	ok(c->nerrors >= 1 && strstr(errors_of(c), "not a regular file"), "a directory is refused");
	cfg_free(c);

	/* error in a file read with cfg_load names the full path and line */
	write_file("bad.conf", "[nlevd]\nlog_level = chatty\n");
	c = cfg_load(path("bad.conf"), NULL);
	snprintf(pre, sizeof(pre), "%s:2: ", path("bad.conf"));
	expect_error(c, pre, "log_level", "cfg_load: errors carry the path and line");
	cfg_free(c);

	/* An included FIFO is refused at the include line, without blocking
	 * (no writer ever comes); so is a FIFO as the main file. */
	if (mkfifo(path("fifo.conf"), 0644) < 0)
		abort();
	write_file("inc-fifo.conf", "[nlevd]\ninclude = fifo.conf\n");
	alarm(10); /* a blocking open() fails the test instead of hanging it */
	c = cfg_load(path("inc-fifo.conf"), NULL);
	snprintf(pre, sizeof(pre), "%s:2: ", path("inc-fifo.conf"));
	char fwant[PATH_MAX * 2 + 64];
	snprintf(fwant, sizeof(fwant), "include: %s: not a regular file", path("fifo.conf"));
	expect_error(c, pre, fwant, "an included FIFO: refused at the include line");
	cfg_free(c);
	c = cfg_load(path("fifo.conf"), NULL);
	snprintf(pre, sizeof(pre), "%s: ", path("fifo.conf"));
	expect_error(c, pre, "not a regular file", "a FIFO as the main file: refused");
	cfg_free(c);
	alarm(0);

	/* clean up */
	static const char *const files[] = {"main.conf", "fifo.conf", "inc-fifo.conf", "conf.d/20-b.conf", "conf.d/10-a.conf",
					    "conf.d/05-z.conf", "conf.d/skip.txt", "other/x.ini",
					    "two.conf", "empty-inc.conf", "bad.conf"};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++)
		unlink(path(files[i]));
	rmdir(path("conf.d"));
	rmdir(path("other"));
	rmdir(dir);
}

/* A file name longer than cfg_error()'s message buffer (an include glob
 * under a deep directory, -c) is cut; the message text is never written
 * past the buffer, into the callers' frames. */
static __attribute__((noinline)) void long_name_error(struct cfg *c, const char *name)
{
	cfg_error(c, name, 12, "%s", "cannot read: No such file or directory");
}

static void test_long_name(void)
{
	static const size_t lens[] = {1000, 1023, 1024, 1100, 3000};
	for (size_t k = 0; k < ARRAY_SIZE(lens); k++) {
		volatile char guard[4096];
		memset((char *)guard, 'G', sizeof(guard));
		size_t len = lens[k];
		char *name = malloc(len + 1);
		if (!name)
			abort();
		memset(name, 'n', len);
		name[len] = 0;
		struct cfg *c = load("");
		int before = c->nerrors;
		long_name_error(c, name);
		bool intact = true;
		for (size_t i = 0; i < sizeof(guard); i++)
			intact = intact && guard[i] == 'G';
		ok(intact, "file name of %zu bytes: nothing written past the message", len);
		is_int(c->nerrors, before + 1, "file name of %zu bytes: the error is counted", len);
		const struct cfg_error *e = c->errors;
		while (e && e->next)
			e = e->next;
		ok(e && strlen(e->msg) <= 1023 && !strncmp(e->msg, name, len < 1000 ? len : 1000),
		   "file name of %zu bytes: the message starts with it, at most 1023 bytes", len);
		cfg_free(c);
		free(name);
	}
}

int main(void)
{
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	test_valid();
	test_errors();
	test_files();
	test_long_name();
	return tap_done();
}
