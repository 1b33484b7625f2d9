/* A strict shell-style word splitter: quoting, no expansion of any kind. */
#ifndef NLEVD_ARGV_H
#define NLEVD_ARGV_H
#include <stddef.h>

/* Split s into a NULL-terminated vector (free with argv_free()).  Single
 * quotes keep everything literally; inside double quotes a backslash
 * escapes only '"' and '\'; outside quotes a backslash escapes any
 * character.  '$', '`', globs, '~', ';', '|' and the like are ordinary
 * characters.  On error returns NULL and sets *err to a static message. */
char **argv_split(const char *s, size_t *argc, const char **err);
void argv_free(char **v);

#endif
