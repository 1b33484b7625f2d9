/* A strict shell-style word splitter and exec's program lookup (host->cfg_command). */
#ifndef NLEVD_ARGV_H
#define NLEVD_ARGV_H
#include <stddef.h>

/* The PATH that a bare program name is looked up in: fixed, so that what
 * runs never depends on the daemon's environment. */
#define ARGV_SAFE_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* Split s into a NULL-terminated vector (free with free_words(), util.h).  Single
 * quotes keep everything literally; inside double quotes a backslash
 * escapes only '"' and '\'; outside quotes a backslash escapes any
 * character.  '$', '`', globs, '~', ';', '|' and the like are ordinary
 * characters.  On error returns NULL and sets *err to a static message. */
char **argv_split(const char *s, size_t *argc, const char **err);
/* The absolute path of prog (malloc'd): prog itself when it is absolute,
 * else the first executable ARGV_SAFE_PATH/prog.  NULL for a relative
 * path with a '/', a name found nowhere, or no memory. */
char *argv_resolve(const char *prog);

#endif
