/* Plugin modules: found in the search path, loaded once per file with libltdl, checked, refcounted. */
#include <dirent.h>
#include <errno.h>
#include <ltdl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "log.h"
#include "module.h"
#include "util.h"

struct module {
	struct module *next;
	char *path; /* DIR/TYPE of the search path's first match, without extension */
	char *file; /* what libltdl opened */
	lt_dlhandle h;
	const struct nlevd_plugin *p;
	int refs;
	bool announced; /* module_log_loaded() said it */
};

static struct module *modules;
static bool ltdl_ready;

static const char *ltdl_init(void)
{
	if (!ltdl_ready) {
		if (lt_dlinit())
			return lt_dlerror();
		ltdl_ready = true;
	}
	return NULL;
}

/* What libltdl's ext advice opens for DIR/TYPE: TYPE.la, else TYPE.so.
 * A directory that has neither is no match, and the search goes on. */
static bool has_module(const char *dir, const char *type)
{
	static const char *const exts[] = {".la", ".so"};
	char buf[4096];
	for (size_t k = 0; k < ARRAY_SIZE(exts); k++)
		if ((size_t)snprintf(buf, sizeof(buf), "%s/%s%s", dir, type, exts[k]) < sizeof(buf) &&
		    access(buf, F_OK) == 0)
			return true;
	return false;
}

/* Open path (no extension) and check its descriptor.  NULL and *h set, or
 * why it was refused (in msg, or static); *file is the file's name. */
static const char *open_checked(const char *path, lt_dlhandle *h, const struct nlevd_plugin **pp,
				const char **file, char *msg, size_t len)
{
	lt_dladvise adv;
	*h = NULL;
	*file = path;
	if (!lt_dladvise_init(&adv) && !lt_dladvise_ext(&adv) && !lt_dladvise_local(&adv))
		*h = lt_dlopenadvise(path, adv); /* a path, never libltdl's own search */
	lt_dladvise_destroy(&adv);
	if (!*h) {
		snprintf(msg, len, "%s", lt_dlerror());
		return msg;
	}
	const lt_dlinfo *info = lt_dlgetinfo(*h);
	if (info && info->filename)
		*file = info->filename;
	const struct nlevd_plugin *p = lt_dlsym(*h, "nlevd_plugin");
	const char *why = NULL;
	if (!p) {
		why = "exports no 'nlevd_plugin' descriptor";
	} else if (p->abi_major != NLEVD_ABI_MAJOR) {
		snprintf(msg, len, "plugin ABI version %u.%u is not compatible with nlevd's %u.%u",
			 p->abi_major, p->abi_minor, NLEVD_ABI_MAJOR, NLEVD_ABI_MINOR);
		why = msg;
	} else if (p->size < offsetof(struct nlevd_plugin, destroy) + sizeof(p->destroy)) {
		snprintf(msg, len, "descriptor of %u bytes is too small", p->size);
		why = msg;
	} else if (!p->create || !p->event || !p->destroy) {
		why = "descriptor lacks create, event or destroy";
	}
	*pp = p;
	return why;
}

/* "DIR1 DIR2 ...", cut with "..." when it does not fit. */
static void path_str(const char *const *dirs, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = 0;
	for (const char *const *d = dirs; d && *d && n < len; d++)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? " " : "", *d);
	if (n >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

struct module *module_get(struct cfg *cfg, const char *const *dirs, const char *type,
			  const char *file, int line)
{
	const char *dir = NULL;
	for (const char *const *d = dirs; d && *d && !dir; d++)
		if (has_module(*d, type))
			dir = *d;
	if (!dir) {
		char all[2048];
		path_str(dirs, all, sizeof(all));
		cfg_error(cfg, file, line, "plugin '%s': cannot load: not in the plugin search path %s",
			  type, all);
		return NULL;
	}
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, type) >= sizeof(path)) {
		cfg_error(cfg, file, line, "plugin '%s': %s: path too long", type, dir);
		return NULL;
	}
	for (struct module *m = modules; m; m = m->next)
		if (!strcmp(m->path, path)) {
			m->refs++;
			return m;
		}
	const char *err = ltdl_init();
	if (err) {
		cfg_error(cfg, file, line, "libltdl: %s", err);
		return NULL;
	}
	lt_dlhandle h;
	const struct nlevd_plugin *p = NULL;
	const char *fname;
	char msg[512];
	const char *why = open_checked(path, &h, &p, &fname, msg, sizeof(msg));
	if (why && !h) {
		cfg_error(cfg, file, line, "plugin '%s': cannot load from %s: %s", type, dir, why);
		return NULL;
	}
	if (why) {
		cfg_error(cfg, file, line, "plugin '%s': %s: %s", type, fname, why);
		lt_dlclose(h);
		return NULL;
	}
	struct module *m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path)) || !(m->file = strdup(fname))) {
		if (m)
			free(m->path);
		free(m);
		lt_dlclose(h);
		cfg_error(cfg, file, line, "out of memory");
		return NULL;
	}
	m->h = h;
	m->p = p;
	m->refs = 1;
	/* At the end: the start-up log lists modules in the order they came. */
	struct module **tail = &modules;
	while (*tail)
		tail = &(*tail)->next;
	*tail = m;
	return m;
}

void module_put(struct module *m)
{
	if (!m || --m->refs > 0)
		return;
	for (struct module **pp = &modules; *pp; pp = &(*pp)->next)
		if (*pp == m) {
			*pp = m->next;
			break;
		}
	lt_dlclose(m->h);
	free(m->path);
	free(m->file);
	free(m);
}

const struct nlevd_plugin *module_plugin(const struct module *m)
{
	return m->p;
}

static void describe(const struct nlevd_plugin *p, const char *file, char *buf, size_t len)
{
	snprintf(buf, len, "%s %s (ABI %u.%u) from %s", p->name ? p->name : "(unnamed)",
		 p->version ? p->version : "(no version)", p->abi_major, p->abi_minor, file);
}

void module_describe(const struct module *m, char *buf, size_t len)
{
	describe(m->p, m->file, buf, len);
}

void module_log_loaded(void)
{
	for (struct module *m = modules; m; m = m->next) {
		if (m->announced)
			continue;
		char d[4096 + 128];
		module_describe(m, d, sizeof(d));
		log_info("loaded plugin %s", d);
		m->announced = true;
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The plugin types in dir (from NAME.la and NAME.so), sorted, unique. */
static char **dir_types(const char *dir, size_t *n)
{
	size_t cnt = 0, cap = 16;
	char **v = calloc(cap, sizeof(*v));
	DIR *d = v ? opendir(dir) : NULL;
	if (v && !d) {
		free(v);
		return NULL; /* errno from opendir() */
	}
	struct dirent *de;
	while (d && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		if (len < 4 || (strcmp(de->d_name + len - 3, ".la") &&
				strcmp(de->d_name + len - 3, ".so")))
			continue;
		if (cnt + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		if (!(v[cnt] = strndup(de->d_name, len - 3)))
			break;
		cnt++;
	}
	if (d)
		closedir(d);
	if (!v)
		return NULL;
	v[cnt] = NULL;
	qsort(v, cnt, sizeof(*v), cmp_str);
	size_t u = 0;
	for (size_t k = 0; k < cnt; k++) {
		if (u && !strcmp(v[u - 1], v[k])) {
			free(v[k]);
			continue;
		}
		v[u++] = v[k];
	}
	v[u] = NULL;
	*n = u;
	return v;
}

/* -V -v: each plugin of the search path, as module_get() would take it. */
void module_list(const char *const *dirs, FILE *out)
{
	const char *err = ltdl_init();
	if (err) {
		fprintf(out, "libltdl: %s\n", err);
		return;
	}
	for (const char *const *d = dirs; d && *d; d++) {
		size_t n = 0;
		char **types = dir_types(*d, &n);
		if (!types)
			fprintf(out, "%s: %s\n", *d, strerror(errno));
		else if (!n)
			fprintf(out, "%s: no plugins\n", *d);
		for (size_t k = 0; k < n; k++) {
			const char *first = NULL;
			for (const char *const *e = dirs; e < d && !first; e++)
				if (has_module(*e, types[k]))
					first = *e;
			if (first) {
				fprintf(out, "%s: %s/%s not used: %s comes first\n", types[k], *d,
					types[k], first);
				continue;
			}
			char path[4096], msg[512], desc[4096 + 128];
			lt_dlhandle h;
			const struct nlevd_plugin *p = NULL;
			const char *fname, *why;
			if ((size_t)snprintf(path, sizeof(path), "%s/%s", *d, types[k]) >= sizeof(path))
				continue;
			why = open_checked(path, &h, &p, &fname, msg, sizeof(msg));
			if (why) {
				fprintf(out, "%s: %s: %s\n", types[k], h ? fname : path, why);
			} else {
				describe(p, fname, desc, sizeof(desc));
				fprintf(out, "%s: %s\n", types[k], desc);
			}
			if (h)
				lt_dlclose(h);
		}
		free_words(types);
	}
}
