/* Plugin modules: loaded once per path with libltdl, descriptor and ABI checked, refcounted. */
#include <ltdl.h>
#include <stdlib.h>
#include <string.h>

#include "nlevd.h"

struct module {
	struct module *next;
	char *path; /* plugin_dir/TYPE, without extension */
	lt_dlhandle h;
	const struct nlevd_plugin *p;
	int refs;
};

static struct module *modules;
static bool ltdl_ready;

struct module *module_get(struct cfg *cfg, const char *dir, const char *type, const char *file,
			  int line)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, type);
	for (struct module *m = modules; m; m = m->next)
		if (!strcmp(m->path, path)) {
			m->refs++;
			return m;
		}
	if (!ltdl_ready) {
		if (lt_dlinit()) {
			cfg_error(cfg, file, line, "libltdl: %s", lt_dlerror());
			return NULL;
		}
		ltdl_ready = true;
	}
	lt_dladvise adv;
	lt_dlhandle h = NULL;
	if (!lt_dladvise_init(&adv) && !lt_dladvise_ext(&adv) && !lt_dladvise_local(&adv))
		h = lt_dlopenadvise(path, adv); /* a path: plugin_dir only, never a search */
	lt_dladvise_destroy(&adv);
	if (!h) {
		cfg_error(cfg, file, line, "plugin '%s': cannot load from %s: %s", type, dir,
			  lt_dlerror());
		return NULL;
	}
	const lt_dlinfo *info = lt_dlgetinfo(h);
	const char *fname = info && info->filename ? info->filename : path;
	const struct nlevd_plugin *p = lt_dlsym(h, "nlevd_plugin");
	const char *why = NULL;
	char msg[512];
	if (!p) {
		why = "exports no 'nlevd_plugin' descriptor";
	} else if (p->abi_major != NLEVD_ABI_MAJOR) {
		snprintf(msg, sizeof(msg),
			 "plugin ABI version %u.%u is not compatible with nlevd's %u.%u",
			 p->abi_major, p->abi_minor, NLEVD_ABI_MAJOR, NLEVD_ABI_MINOR);
		why = msg;
	} else if (p->size < offsetof(struct nlevd_plugin, destroy) + sizeof(p->destroy)) {
		snprintf(msg, sizeof(msg), "descriptor of %u bytes is too small", p->size);
		why = msg;
	} else if (!p->create || !p->event || !p->destroy) {
		why = "descriptor lacks create, event or destroy";
	}
	if (why) {
		cfg_error(cfg, file, line, "plugin '%s': %s: %s", type, fname, why);
		lt_dlclose(h);
		return NULL;
	}
	struct module *m = calloc(1, sizeof(*m));
	if (!m || !(m->path = strdup(path))) {
		free(m);
		lt_dlclose(h);
		cfg_error(cfg, file, line, "out of memory");
		return NULL;
	}
	m->h = h;
	m->p = p;
	m->refs = 1;
	m->next = modules;
	modules = m;
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
	free(m);
}

const struct nlevd_plugin *module_plugin(const struct module *m)
{
	return m->p;
}
