/* An instance's own copy of its [section], and its fingerprint: unchanged across a reload? */
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "section.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "type\nkey=value\n..." with the keys sorted: equal means unchanged. */
char *section_fingerprint(const char *type, const struct cfg_section *s)
{
	size_t n = 0, len = strlen(type) + 2;
	for (const struct cfg_kv *kv = s->kvs; kv; kv = kv->next, n++)
		len += strlen(kv->key) + strlen(kv->value) + 2;
	char **lines = calloc(n + 1, sizeof(*lines));
	char *out = malloc(len);
	bool ok = lines && out;
	n = 0;
	for (const struct cfg_kv *kv = s->kvs; ok && kv; kv = kv->next, n++) {
		size_t l = strlen(kv->key) + strlen(kv->value) + 3;
		if ((ok = (lines[n] = malloc(l)) != NULL))
			snprintf(lines[n], l, "%s=%s\n", kv->key, kv->value);
	}
	if (ok) {
		qsort(lines, n, sizeof(*lines), cmp_str);
		size_t pos = (size_t)sprintf(out, "%s\n", type);
		for (size_t k = 0; k < n; k++)
			pos += (size_t)sprintf(out + pos, "%s", lines[k]);
	}
	for (size_t k = 0; lines && k < n; k++)
		free(lines[k]);
	free(lines);
	if (!ok) {
		free(out);
		return NULL;
	}
	return out;
}

/* File names referenced by sections outlive any one cfg: interned here. */
static const char *intern_file(const char *f)
{
	static char **names;
	static size_t n;
	for (size_t k = 0; k < n; k++)
		if (!strcmp(names[k], f))
			return names[k];
	char **nn = realloc(names, (n + 1) * sizeof(*nn));
	if (!nn)
		return "?";
	names = nn;
	if (!(names[n] = strdup(f)))
		return "?";
	return names[n++];
}

struct cfg_section *section_copy(const struct cfg_section *s)
{
	struct cfg_section *c = calloc(1, sizeof(*c));
	if (!c || !(c->name = strdup(s->name))) {
		free(c);
		return NULL;
	}
	c->file = s->file; /* interned below, like the keys' */
	c->line = s->line;
	struct cfg_kv **tail = &c->kvs;
	for (const struct cfg_kv *kv = s->kvs; kv; kv = kv->next) {
		struct cfg_kv *n = calloc(1, sizeof(*n));
		if (!n)
			goto fail;
		*tail = n;
		tail = &n->next;
		n->key = strdup(kv->key);
		n->value = strdup(kv->value);
		n->file = kv->file;
		n->line = kv->line;
		if (!n->key || !n->value)
			goto fail;
	}
	c->file = intern_file(c->file);
	for (struct cfg_kv *kv = c->kvs; kv; kv = kv->next)
		kv->file = intern_file(kv->file);
	return c;
fail:
	section_free(c);
	return NULL;
}
