/* hookcheck: whether a hook and the directories above it can be changed
 * only by root or the hook's user. */
#ifndef NLEVD_HOOKCHECK_H
#define NLEVD_HOOKCHECK_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* DIR (absolute) and every directory above it, after resolving symbolic
 * links.  0 and *st the directory's; -EPERM unsafe, or -errno; why says so. */
int hookcheck_dir(const char *dir, uid_t owner, struct stat *st, char *why, size_t len);

/* Opens NAME in the (checked) directory DFD, whose path is DIR, for
 * fexecve().  A symbolic link is followed, and then its target's directory
 * and the directories above it are checked too.  Returns the descriptor
 * (O_CLOEXEC), -EPERM when unsafe (why says why), -ENOEXEC when it is no
 * executable regular file, or -errno. */
int hookcheck_open(int dfd, const char *dir, const char *name, uid_t owner, char *why,
		   size_t len);

#endif
