/* hookcheck: whether a hook file and every directory above it can be changed
 * only by root or the hook's user, as OpenSSH's StrictModes: a hook that
 * someone else can replace runs their code as the hook's user. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hookcheck.h"

/* Owner root or OWNER, not writable by group or others.  PATH names a
 * directory in the reason; NULL is the hook itself. */
static int mode_ok(const struct stat *st, uid_t owner, const char *path, char *why, size_t len)
{
	char pre[PATH_MAX + 8] = "";
	if (path)
		snprintf(pre, sizeof(pre), "%s is ", path);
	/* No exception for sticky directories such as /tmp: anyone may create
	 * a name there first, and the rule stays one that is easy to state. */
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, len, "%swritable by group or others", pre);
		return -EPERM;
	}
	if (st->st_uid != 0 && st->st_uid != owner) {
		snprintf(why, len, "%sowned by uid %u, not root or the hook's user", pre,
			 (unsigned)st->st_uid);
		return -EPERM;
	}
	return 0;
}

/* REAL is canonical (realpath): no symbolic links, "." or "..". */
static int chain_ok(const char *real, uid_t owner, struct stat *first, char *why, size_t len)
{
	char p[PATH_MAX];
	size_t n = strlen(real);
	if (n >= sizeof(p) || real[0] != '/') {
		snprintf(why, len, "%s: not an absolute path", real);
		return -EINVAL;
	}
	memcpy(p, real, n + 1);
	for (;;) {
		struct stat st;
		if (stat(p, &st) < 0) {
			int e = errno;
			snprintf(why, len, "%s: %s", p, strerror(e));
			return -e;
		}
		if (!S_ISDIR(st.st_mode)) {
			snprintf(why, len, "%s is not a directory", p);
			return -ENOTDIR;
		}
		int rc = mode_ok(&st, owner, p, why, len);
		if (rc < 0)
			return rc;
		if (first) {
			*first = st;
			first = NULL;
		}
		if (!strcmp(p, "/"))
			return 0;
		char *slash = strrchr(p, '/');
		if (slash == p)
			slash[1] = 0;
		else
			*slash = 0;
	}
}

int hookcheck_dir(const char *dir, uid_t owner, struct stat *st, char *why, size_t len)
{
	char *real = realpath(dir, NULL);
	if (!real) {
		int e = errno;
		snprintf(why, len, "%s: %s", dir, strerror(e));
		return -e;
	}
	int rc = chain_ok(real, owner, st, why, len);
	free(real);
	return rc;
}

/* A symbolic link: its target's directory must be as safe as the hooks
 * directory, and the target must be the file that was opened. */
static int link_ok(const char *dir, const char *name, const struct stat *opened, uid_t owner,
		   char *why, size_t len)
{
	char path[PATH_MAX];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
		snprintf(why, len, "path too long");
		return -ENAMETOOLONG;
	}
	char *real = realpath(path, NULL);
	if (!real) {
		int e = errno;
		snprintf(why, len, "%s: %s", path, strerror(e));
		return -e;
	}
	struct stat st;
	int rc = 0;
	if (stat(real, &st) < 0 || st.st_dev != opened->st_dev || st.st_ino != opened->st_ino) {
		snprintf(why, len, "changed while it was checked");
		rc = -EPERM;
	} else {
		*strrchr(real, '/') = 0;
		rc = chain_ok(real[0] ? real : "/", owner, NULL, why, len);
	}
	free(real);
	return rc;
}

int hookcheck_open(int dfd, const char *dir, const char *name, uid_t owner, char *why,
		   size_t len)
{
	/* O_NONBLOCK: a FIFO put there meanwhile must not block the loop. */
	int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		snprintf(why, len, "%s", strerror(e));
		return -e;
	}
	struct stat st, lst;
	int rc = 0;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		snprintf(why, len, "%s", strerror(-rc));
	} else if (!S_ISREG(st.st_mode) || !(st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
		snprintf(why, len, "not an executable regular file");
		rc = -ENOEXEC;
	} else if ((rc = mode_ok(&st, owner, NULL, why, len)) < 0) {
		/* why says so */
	} else if (fstatat(dfd, name, &lst, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(lst.st_mode)) {
		rc = link_ok(dir, name, &st, owner, why, len);
	}
	if (rc < 0) {
		close(fd);
		return rc;
	}
	return fd;
}
