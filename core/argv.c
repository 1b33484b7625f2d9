/* A strict shell-style word splitter and exec's program lookup (host->cfg_command). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "argv.h"
#include "util.h"

char **argv_split(const char *s, size_t *argc, const char **err)
{
	size_t cap = 8, n = 0, len = strlen(s);
	char **v = calloc(cap, sizeof(*v));
	char *word = malloc(len + 1);
	*err = NULL;
	if (!v || !word) {
		*err = "out of memory";
		goto fail;
	}
	const char *p = s;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t w = 0;
		while (*p && *p != ' ' && *p != '\t') {
			if (*p == '\'') {
				const char *e = strchr(p + 1, '\'');
				if (!e) {
					*err = "unbalanced single quote";
					goto fail;
				}
				memcpy(word + w, p + 1, (size_t)(e - p - 1));
				w += (size_t)(e - p - 1);
				p = e + 1;
			} else if (*p == '"') {
				p++;
				while (*p && *p != '"') {
					if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
						p++;
					word[w++] = *p++;
				}
				if (*p != '"') {
					*err = "unbalanced double quote";
					goto fail;
				}
				p++;
			} else if (*p == '\\') {
				if (!p[1]) {
					*err = "backslash at the end";
					goto fail;
				}
				word[w++] = p[1];
				p += 2;
			} else {
				word[w++] = *p++;
			}
		}
		if (n + 2 > cap) {
			char **nv = realloc(v, (cap *= 2) * sizeof(*v));
			if (!nv) {
				*err = "out of memory";
				goto fail;
			}
			v = nv;
		}
		if (!(v[n] = strndup(word, w))) {
			*err = "out of memory";
			goto fail;
		}
		v[++n] = NULL;
	}
	free(word);
	if (n == 0) {
		*err = "empty command";
		free_words(v);
		return NULL;
	}
	if (argc)
		*argc = n;
	return v;
fail:
	free(word);
	free_words(v);
	return NULL;
}

/* Looked up once, at configure time: the admin sees at -t what will run. */
char *argv_resolve(const char *prog)
{
	if (strchr(prog, '/'))
		return prog[0] == '/' ? strdup(prog) : NULL;
	const char *p = ARGV_SAFE_PATH;
	while (*p) {
		const char *e = strchr(p, ':');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char buf[4096];
		if ((size_t)snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, prog) < sizeof(buf) &&
		    access(buf, X_OK) == 0)
			return strdup(buf);
		p += n + (e ? 1 : 0);
	}
	return NULL;
}
