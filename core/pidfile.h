/* pidfile.c: the pid file, locked while the daemon runs. */
#ifndef NLEVD_PIDFILE_H
#define NLEVD_PIDFILE_H

#include <stdbool.h>

/* Open (or reuse a crashed daemon's) and lock path, before daemonizing;
 * errors are logged, and also printed on stderr when to_stderr.  0 or -1. */
int pidfile_lock(const char *path, bool to_stderr);
int pidfile_put(void);     /* write getpid(); 0 or -1 (logged) */
void pidfile_remove(void); /* on every exit; a no-op without a pid file */

#endif
