/* Configuration: INI files read with inih.
 *
 * Debian's libinih has no INI_HANDLER_LINENO and a 200-byte line limit, so
 * the lines are fed to ini_parse_stream() by our own reader: it counts
 * lines, turns an over-long line into an error instead of a silent
 * truncation, checks each line's syntax (so every error in a file is
 * reported, not only the first) and records sections itself, so an empty
 * or duplicate section is seen too. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <ini.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "section.h"
#include "util.h"

#ifndef NLEVD_PLUGIN_DIR
#define NLEVD_PLUGIN_DIR "/usr/lib/nlevd"
#endif
#define CFG_MAX_FILE (1024 * 1024)
#define CFG_MAX_FILES 256

void cfg_error(struct cfg *c, const char *file, int line, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n = line > 0 ? snprintf(msg, sizeof(msg), "%s:%d: ", file, line)
			 : snprintf(msg, sizeof(msg), "%s: ", file);
	/* A file name longer than msg (include globs, -c) is truncated: never
	 * point past the buffer or let the size wrap. */
	if (n < 0)
		n = 0;
	else if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	va_start(ap, fmt);
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	va_end(ap);
	struct cfg_error *e = calloc(1, sizeof(*e));
	if (e && !(e->msg = strdup(msg))) {
		free(e);
		e = NULL;
	}
	c->nerrors++;
	if (!e)
		return; /* still counted: the config stays refused */
	*c->errors_tail = e;
	c->errors_tail = &e->next;
}

void cfg_print_errors(const struct cfg *c, FILE *f)
{
	for (const struct cfg_error *e = c->errors; e; e = e->next)
		fprintf(f, "%s\n", e->msg);
}

void cfg_resolve_control_group(struct cfg *c)
{
	for (const struct cfg_kv *kv = c->global ? c->global->kvs : NULL; kv; kv = kv->next) {
		if (strcmp(kv->key, "control_group") || !*kv->value)
			continue;
		struct group *gr = getgrnam(kv->value);
		if (!gr)
			cfg_error(c, kv->file, kv->line, "control_group: '%s' does not exist",
				  kv->value);
		else
			c->control_gid = gr->gr_gid;
	}
}

void cfg_log_errors(const struct cfg *c)
{
	for (const struct cfg_error *e = c->errors; e; e = e->next)
		log_err("%s", e->msg);
}

struct cfg_kv *cfg_find(struct cfg_section *s, const char *key)
{
	for (struct cfg_kv *kv = s ? s->kvs : NULL; kv; kv = kv->next)
		if (!strcmp(kv->key, key))
			return kv;
	return NULL;
}

static struct cfg_section *find_section(struct cfg *c, const char *name)
{
	if (c->global && !strcmp(c->global->name, name))
		return c->global;
	for (struct cfg_section *s = c->sections; s; s = s->next)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

struct reader {
	struct cfg *cfg;
	const char *file;
	const char *buf;
	size_t len, pos;
	int line;
	bool is_main;
	bool in_bad; /* inside a section whose header was refused */
	struct cfg_section *cur;
	struct cfg_section **tail;
	struct cfg_kv **kv_tail;
};

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

/* Start a section from a "[name]" line (already trimmed, starts with '['). */
static void reader_section(struct reader *r, char *s)
{
	struct cfg *c = r->cfg;
	r->cur = NULL;
	r->in_bad = true;
	char *end = strchr(s, ']');
	if (!end) {
		cfg_error(c, r->file, r->line, "expected ']' at the end of the section header");
		r->cur = NULL;
		return;
	}
	char *rest = trim(end + 1);
	if (*rest && *rest != ';' && *rest != '#')
		cfg_error(c, r->file, r->line, "unexpected text after ']'");
	*end = 0;
	char *name = trim(s + 1);
	if (!name_valid(name)) {
		cfg_error(c, r->file, r->line,
			  "invalid section name '%s' (letters, digits, '_', '-', '.')", name);
		r->cur = NULL;
		return;
	}
	struct cfg_section *old = find_section(c, name);
	if (old) {
		cfg_error(c, r->file, r->line, "duplicate section [%s] (first at %s:%d)",
			  name, old->file, old->line);
		r->cur = NULL;
		return;
	}
	struct cfg_section *sec = calloc(1, sizeof(*sec));
	if (!sec || !(sec->name = strdup(name))) {
		free(sec);
		cfg_error(c, r->file, r->line, "out of memory");
		r->cur = NULL;
		return;
	}
	sec->file = r->file;
	sec->line = r->line;
	if (!strcmp(name, "nlevd")) {
		c->global = sec;
	} else {
		*r->tail = sec;
		r->tail = &sec->next;
	}
	r->cur = sec;
	r->in_bad = false;
	r->kv_tail = &sec->kvs;
}

/* fgets-like reader handed to inih: one line per call. */
static char *reader_gets(char *str, int num, void *stream)
{
	struct reader *r = stream;
	if (r->pos >= r->len || num < 4)
		return NULL;
	const char *start = r->buf + r->pos;
	const char *nl = memchr(start, '\n', r->len - r->pos);
	size_t llen = nl ? (size_t)(nl - start) : r->len - r->pos;
	r->pos += llen + (nl ? 1 : 0);
	r->line++;

	/* inih needs room for "\r\n\0" besides the text. */
	size_t max = (size_t)num - 3;
	char *tmp = malloc(llen + 1);
	if (!tmp) {
		cfg_error(r->cfg, r->file, r->line, "out of memory");
		strcpy(str, ";\n");
		return str;
	}
	memcpy(tmp, start, llen);
	tmp[llen] = 0;
	if (strlen(tmp) != llen) {
		cfg_error(r->cfg, r->file, r->line, "NUL byte in line");
		goto comment;
	}
	char *s = trim(tmp);
	if (r->line == 1 && !strncmp(s, "\xEF\xBB\xBF", 3))
		s = trim(s + 3);
	if (!*s || *s == ';' || *s == '#')
		goto comment;
	if (strlen(s) > max) {
		cfg_error(r->cfg, r->file, r->line,
			  "line too long (%zu characters, at most %zu)", strlen(s), max);
		goto comment;
	}
	if (*s == '[') {
		reader_section(r, s);
		/* inih need not see sections: the handler uses r->cur. */
		goto comment;
	}
	char *eq = strpbrk(s, "=:");
	if (!eq) {
		cfg_error(r->cfg, r->file, r->line, "expected 'key = value' or '[section]'");
		goto comment;
	}
	const char *k = s;
	while (k < eq && (*k == ' ' || *k == '\t'))
		k++;
	if (k == eq) {
		cfg_error(r->cfg, r->file, r->line, "missing key before '%c'", *eq);
		goto comment;
	}
	/* Hand inih the trimmed line: no leading blank, so it never becomes a
	 * multi-line continuation. */
	snprintf(str, (size_t)num, "%s\n", s);
	free(tmp);
	return str;
comment:
	free(tmp);
	strcpy(str, ";\n");
	return str;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct reader *r = user;
	struct cfg *c = r->cfg;
	(void)section;
	if (!r->cur) {
		if (!r->in_bad)
			cfg_error(c, r->file, r->line, "key '%s' before any [section]", name);
		return 1;
	}
	struct cfg_kv *old = cfg_find(r->cur, name);
	if (old) {
		cfg_error(c, r->file, r->line, "duplicate key '%s' in [%s] (first at %s:%d)",
			  name, r->cur->name, old->file, old->line);
		return 1;
	}
	struct cfg_kv *kv = calloc(1, sizeof(*kv));
	if (!kv || !(kv->key = strdup(name)) || !(kv->value = strdup(value))) {
		if (kv)
			free(kv->key);
		free(kv);
		cfg_error(c, r->file, r->line, "out of memory");
		return 1;
	}
	kv->file = r->file;
	kv->line = r->line;
	*r->kv_tail = kv;
	r->kv_tail = &kv->next;
	return 1;
}

static const char *cfg_keep_name(struct cfg *c, const char *name)
{
	char **nf = realloc(c->files, (c->nfiles + 1) * sizeof(*nf));
	if (!nf)
		return NULL;
	c->files = nf;
	if (!(nf[c->nfiles] = strdup(name)))
		return NULL;
	return nf[c->nfiles++];
}

static void parse_buffer(struct cfg *c, const char *file, const char *buf, size_t len,
			 bool is_main)
{
	struct cfg_section **tail = &c->sections;
	while (*tail)
		tail = &(*tail)->next;
	struct reader r = {
		.cfg = c, .file = file, .buf = buf, .len = len, .is_main = is_main,
		.tail = tail,
	};
	int rc = ini_parse_stream(reader_gets, &r, handler, &r);
	if (rc < 0)
		cfg_error(c, file, 0, "cannot parse (error %d)", rc);
	else if (rc > 0 && c->nerrors == 0)
		cfg_error(c, file, rc, "syntax error");
}

/* inc: the include line that named the file (NULL for the main file), so
 * an unreadable included file is reported where it was asked for. */
static void parse_file(struct cfg *c, const char *path, bool is_main, const struct cfg_kv *inc)
{
	const char *file = cfg_keep_name(c, path);
	if (!file) {
		cfg_error(c, path, 0, "out of memory");
		return;
	}
	/* O_NONBLOCK: a FIFO (or a tty) would block open() and read() until a
	 * writer came; it is refused by the type check below instead.  Reads of
	 * a regular file ignore the flag. */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (inc)
			cfg_error(c, inc->file, inc->line, "include: cannot read %s: %s", file,
				  strerror(errno));
		else
			cfg_error(c, file, 0, "cannot read: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CFG_MAX_FILE) {
		const char *why = S_ISREG(st.st_mode) ? "larger than 1M" : "not a regular file";
		if (inc)
			cfg_error(c, inc->file, inc->line, "include: %s: %s", file, why);
		else
			cfg_error(c, file, 0, "%s", why);
		close(fd);
		return;
	}
	char *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!buf) {
		cfg_error(c, file, 0, "out of memory");
		return;
	}
	parse_buffer(c, file, buf, got, is_main);
	free(buf);
}

static struct cfg *cfg_new(void)
{
	struct cfg *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->errors_tail = &c->errors;
	c->log_level = NLEVD_LOG_INFO;
	c->log_target = -1;
	c->netlink_rcvbuf = 4 * 1024 * 1024;
	return c;
}

static char *dup_or_err(struct cfg *c, struct cfg_kv *kv)
{
	char *s = strdup(kv->value);
	if (!s)
		cfg_error(c, kv->file, kv->line, "out of memory");
	return s;
}

/* user= and group= are applied with setuid()/setgid(), which only root
 * may do: a daemon started as another user would pass -t and fail at start
 * (or, after the drop, accept a reload with another user that it ignores).
 * Naming the identity it already has is fine. */
static void check_ids(struct cfg *c, const struct cfg_kv *ukv, const struct cfg_kv *gkv)
{
	uid_t euid = geteuid();
	if (euid == 0)
		return;
	struct passwd *pw = ukv ? getpwnam(ukv->value) : NULL;
	struct group *gr = gkv ? getgrnam(gkv->value) : NULL;
	if (pw && (pw->pw_uid != euid || (!gkv && pw->pw_gid != getegid())))
		cfg_error(c, ukv->file, ukv->line, "user=%s needs root (nlevd runs as uid %u)",
			  ukv->value, (unsigned)euid);
	if (gr && gr->gr_gid != getegid())
		cfg_error(c, gkv->file, gkv->line, "group=%s needs root (nlevd runs as uid %u)",
			  gkv->value, (unsigned)euid);
}

static void validate_global(struct cfg *c, const char *plugin_dir_override)
{
	const struct cfg_kv *ukv = NULL, *gkv = NULL;
	static const char *const known[] = {"plugin_dir", "include", "log_level",
					    "log_target", "user", "group", "pidfile",
					    "netlink_rcvbuf", "control_socket", "control_group"};
	for (struct cfg_kv *kv = c->global ? c->global->kvs : NULL; kv; kv = kv->next) {
		size_t i;
		for (i = 0; i < ARRAY_SIZE(known); i++)
			if (!strcmp(kv->key, known[i]))
				break;
		if (i == ARRAY_SIZE(known)) {
			cfg_error(c, kv->file, kv->line, "unknown key '%s' in [nlevd]", kv->key);
			continue;
		}
		kv->used = true;
		if (!strcmp(kv->key, "log_level")) {
			int l = log_level_parse(kv->value);
			if (l < 0)
				cfg_error(c, kv->file, kv->line,
					  "log_level: '%s' is not one of error warning notice info debug",
					  kv->value);
			else
				c->log_level = l;
		} else if (!strcmp(kv->key, "log_target")) {
			if (!strcmp(kv->value, "syslog"))
				c->log_target = LOG_TARGET_SYSLOG;
			else if (!strcmp(kv->value, "stderr"))
				c->log_target = LOG_TARGET_STDERR;
			else
				cfg_error(c, kv->file, kv->line,
					  "log_target: '%s' is not syslog or stderr", kv->value);
		} else if (!strcmp(kv->key, "netlink_rcvbuf")) {
			uint64_t v;
			if (parse_size(kv->value, &v) || v < 4096 || v > (1u << 30))
				cfg_error(c, kv->file, kv->line,
					  "netlink_rcvbuf: '%s' is not a size from 4K to 1024M",
					  kv->value);
			else
				c->netlink_rcvbuf = v;
		} else if (!strcmp(kv->key, "plugin_dir")) {
			/* A search path: each directory absolute, one at least. */
			char **w = split_words(kv->value, NULL);
			bool bad = !w;
			if (!w)
				cfg_error(c, kv->file, kv->line, "out of memory");
			else if (!w[0])
				cfg_error(c, kv->file, kv->line, "plugin_dir: no directory given");
			for (char **d = w; d && *d; d++)
				if ((*d)[0] != '/') {
					cfg_error(c, kv->file, kv->line,
						  "plugin_dir: '%s' is not an absolute path", *d);
					bad = true;
				}
			if (bad || !w[0]) {
				free_words(w);
				continue;
			}
			free(c->plugin_dir);
			free_words(c->plugin_path);
			c->plugin_dir = dup_or_err(c, kv);
			c->plugin_path = w;
		} else if (!strcmp(kv->key, "control_socket")) {
			/* sun_path is 108 bytes with its NUL */
			if (strcmp(kv->value, "none") &&
			    (kv->value[0] != '/' || strlen(kv->value) > 107)) {
				cfg_error(c, kv->file, kv->line,
					  "control_socket: '%s' is not none or an absolute path "
					  "of at most 107 bytes", kv->value);
				continue;
			}
			free(c->control_socket);
			c->control_socket = dup_or_err(c, kv);
		} else if (!strcmp(kv->key, "control_group")) {
			/* Resolved by cfg_resolve_control_group, at start only. */
			if (!*kv->value)
				cfg_error(c, kv->file, kv->line, "control_group: '' does not exist");
		} else if (!strcmp(kv->key, "pidfile")) {
			if (kv->value[0] != '/') {
				cfg_error(c, kv->file, kv->line, "%s: '%s' is not an absolute path",
					  kv->key, kv->value);
				continue;
			}
			free(c->pidfile);
			c->pidfile = dup_or_err(c, kv);
		} else if (!strcmp(kv->key, "user") || !strcmp(kv->key, "group")) {
			if (!*kv->value) {
				cfg_error(c, kv->file, kv->line, "%s: empty", kv->key);
				continue;
			}
			bool is_user = kv->key[0] == 'u';
			if (is_user ? !getpwnam(kv->value) : !getgrnam(kv->value))
				cfg_error(c, kv->file, kv->line, "%s: '%s' does not exist", kv->key,
					  kv->value);
			else if (is_user)
				ukv = kv;
			else
				gkv = kv;
			char **dst = is_user ? &c->user : &c->group;
			*dst = dup_or_err(c, kv);
		}
	}
	check_ids(c, ukv, gkv);
	/* -P (checked by main) replaces the key; else the package's own. */
	const char *dir = plugin_dir_override;
	if (!dir && !c->plugin_path)
		dir = NLEVD_PLUGIN_DIR;
	if (dir) {
		free(c->plugin_dir);
		free_words(c->plugin_path);
		c->plugin_dir = strdup(dir);
		c->plugin_path = split_words(dir, NULL);
	}
	if (!c->plugin_dir || !c->plugin_path)
		cfg_error(c, c->files && c->nfiles ? c->files[0] : "nlevd", 0, "out of memory");
}

static int glob_err(const char *epath, int eerrno)
{
	(void)epath;
	return eerrno != ENOENT && eerrno != ENOTDIR;
}

static void read_includes(struct cfg *c, const char *main_path)
{
	struct cfg_kv *inc = cfg_find(c->global, "include");
	if (!inc)
		return;
	size_t n;
	char **globs = split_words(inc->value, &n);
	if (!globs || !n) {
		cfg_error(c, inc->file, inc->line, "include: no pattern given");
		free_words(globs);
		return;
	}
	char *tmp = strdup(main_path);
	const char *dir = tmp ? dirname(tmp) : ".";
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		char pat[4096];
		if (globs[i][0] == '/')
			snprintf(pat, sizeof(pat), "%s", globs[i]);
		else
			snprintf(pat, sizeof(pat), "%s/%s", dir, globs[i]);
		glob_t g;
		/* sorted by glob(); a directory that does not exist matches
		 * nothing, one that cannot be read is an error */
		int rc = glob(pat, 0, glob_err, &g);
		if (rc == GLOB_NOMATCH)
			continue;
		if (rc) {
			cfg_error(c, inc->file, inc->line, "include: cannot expand '%s'", globs[i]);
			continue;
		}
		for (size_t j = 0; j < g.gl_pathc; j++) {
			if (++total > CFG_MAX_FILES) {
				cfg_error(c, inc->file, inc->line, "include: more than %d files",
					  CFG_MAX_FILES);
				break;
			}
			parse_file(c, g.gl_pathv[j], false, inc);
		}
		globfree(&g);
	}
	free(tmp);
	free_words(globs);
}

struct cfg *cfg_load(const char *path, const char *plugin_dir_override)
{
	struct cfg *c = cfg_new();
	if (!c)
		return NULL;
	parse_file(c, path, true, NULL);
	if (c->global)
		read_includes(c, path);
	validate_global(c, plugin_dir_override);
	return c;
}

struct cfg *cfg_load_buffer(const char *name, const char *buf, size_t len)
{
	struct cfg *c = cfg_new();
	if (!c)
		return NULL;
	const char *file = cfg_keep_name(c, name);
	if (!file)
		cfg_error(c, name, 0, "out of memory");
	else
		parse_buffer(c, file, buf, len, true);
	validate_global(c, NULL);
	return c;
}

/* Also frees the private copies instances keep (section.c). */
void section_free(struct cfg_section *s)
{
	if (!s)
		return;
	while (s->kvs) {
		struct cfg_kv *kv = s->kvs;
		s->kvs = kv->next;
		free(kv->key);
		free(kv->value);
		free(kv);
	}
	free(s->name);
	free(s);
}

void cfg_free(struct cfg *c)
{
	if (!c)
		return;
	while (c->sections) {
		struct cfg_section *s = c->sections;
		c->sections = s->next;
		section_free(s);
	}
	if (c->global)
		section_free(c->global);
	while (c->errors) {
		struct cfg_error *e = c->errors;
		c->errors = e->next;
		free(e->msg);
		free(e);
	}
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c->plugin_dir);
	free_words(c->plugin_path);
	free(c->user);
	free(c->group);
	free(c->pidfile);
	free(c->control_socket);
	free(c);
}
