/* The pid file: created or reused, locked for the daemon's life, removed
 * on exit. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "pidfile.h"

/* The pid file is held open and locked (flock) for the daemon's life: a
 * second daemon with the same file fails at once instead of overwriting it,
 * and a file left by a crash (unlocked) is reused.  It must be a regular
 * file of ours with one link, never followed through a symlink, so a file
 * planted by another user (or a FIFO) is refused, not written into. */
static struct {
	const char *path;
	int fd;
} pidf = {NULL, -1};

/* Before daemonizing, the daemon's log may already be syslog: a refused
 * pid file is also told on stderr, to the user who started it. */
static bool tell_stderr;

static void __attribute__((format(printf, 1, 2))) pidfile_err(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_err("%s", msg);
	if (tell_stderr)
		fprintf(stderr, "nlevd: %s\n", msg);
}

static void pidfile_busy(const char *path, int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	long other = 0;
	buf[n > 0 ? n : 0] = 0;
	if (sscanf(buf, "%ld", &other) == 1 && other > 0)
		pidfile_err("another nlevd (pid %ld) holds %s", other, path);
	else
		pidfile_err("another nlevd holds %s", path);
}

/* Taken before daemonizing (the lock stays with the daemon, which
 * inherits the open file), so a refusal reaches the user's terminal. */
int pidfile_lock(const char *path, bool to_stderr)
{
	tell_stderr = to_stderr;
	/* A daemon that unlinks the file between our open() and flock() leaves
	 * us locking a removed file: check that the path still names ours. */
	for (int tries = 0; tries < 5; tries++) {
		int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY,
			      0644);
		struct stat st, now;
		if (fd < 0 || fstat(fd, &st) < 0) {
			pidfile_err("pid file %s: %s", path, strerror(errno));
			if (fd >= 0)
				close(fd);
			return -1;
		}
		if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || st.st_nlink != 1) {
			pidfile_err("pid file %s: %s", path,
				    !S_ISREG(st.st_mode) ? "not a regular file"
				    : st.st_nlink != 1   ? "has more than one link"
							 : "owned by another user");
			close(fd);
			return -1;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			if (errno == EWOULDBLOCK)
				pidfile_busy(path, fd);
			else
				pidfile_err("pid file %s: cannot lock: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		if (lstat(path, &now) < 0 || now.st_ino != st.st_ino || now.st_dev != st.st_dev) {
			close(fd);
			continue;
		}
		pidf.path = path;
		pidf.fd = fd;
		/* a pid left by a crash must not be read as this daemon's */
		if (ftruncate(fd, 0) < 0) {
			pidfile_err("pid file %s: %s", path, strerror(errno));
			return -1;
		}
		return 0;
	}
	pidfile_err("pid file %s: keeps being replaced", path);
	return -1;
}

/* The daemon's own pid, once it has one (after daemonizing). */
int pidfile_put(void)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (pwrite(pidf.fd, buf, (size_t)n, 0) != n) {
		log_err("pid file %s: %s", pidf.path, strerror(errno));
		return -1;
	}
	return 0;
}

/* On every exit once written.  After user= the directory (/run) may no
 * longer be writable: the file is then left empty and unlocked, which the
 * next start reuses and nobody mistakes for a running daemon. */
void pidfile_remove(void)
{
	if (pidf.fd < 0)
		return;
	if (unlink(pidf.path) < 0) {
		log_info("pid file %s: cannot remove (%s); left empty", pidf.path, strerror(errno));
		if (ftruncate(pidf.fd, 0) < 0)
			log_warn("pid file %s: cannot empty: %s", pidf.path, strerror(errno));
	}
	close(pidf.fd);
	pidf.fd = -1;
}
