/* hookcheck: unsafe directories and files are refused with their reason,
 * and a hook opened and checked is the one that runs even when another file
 * is renamed over its path before the exec (the race the descriptor
 * closes). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../plugins/hookcheck.h"
#include "tap.h"

static void put(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) < 0) {
		perror(path);
		exit(1);
	}
}

/* Runs FD (fexecve) or, with fd < 0, PATH; returns its first output line. */
static const char *run(int fd, const char *path, char *buf, size_t len)
{
	int p[2];
	if (pipe(p) < 0)
		return "pipe";
	pid_t pid = fork();
	if (pid == 0) {
		char *const argv[] = {(char *)path, NULL}, *const envp[] = {NULL};
		dup2(p[1], 1);
		if (fd >= 0) {
			fcntl(fd, F_SETFD, 0); /* the script's interpreter opens /dev/fd/N */
			fexecve(fd, argv, envp);
		} else {
			execve(path, argv, envp);
		}
		_exit(127);
	}
	close(p[1]);
	ssize_t n = read(p[0], buf, len - 1);
	close(p[0]);
	waitpid(pid, NULL, 0);
	buf[n > 0 ? n : 0] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

int main(void)
{
	char why[PATH_MAX + 128], cwd[PATH_MAX], dir[PATH_MAX + 32], path[PATH_MAX + 64],
		out[256];
	struct stat st;
	uid_t me = geteuid();
	if (!getcwd(cwd, sizeof(cwd)))
		return 1;
	snprintf(dir, sizeof(dir), "%s/hookcheck.XXXXXX", cwd);
	if (!mkdtemp(dir) || chmod(dir, 0755) < 0)
		return 1;
	/* Where the build tree itself is not safe, only what does not
	 * depend on it is checked. */
	bool safe_here = hookcheck_dir(dir, me, &st, why, sizeof(why)) == 0;
	if (!safe_here)
		diag("the build directory is not safe (%s): some checks skipped", why);

	if (stat("/tmp", &st) == 0 && (st.st_mode & 01777) == 01777) {
		char tmp[] = "/tmp/hookcheck.XXXXXX";
		ok(mkdtemp(tmp) && chmod(tmp, 0755) == 0, "made %s", tmp);
		is_int(hookcheck_dir(tmp, me, &st, why, sizeof(why)), -EPERM, "a directory under /tmp is unsafe");
		is_str(why, "/tmp is writable by group or others", "the reason names /tmp");
		rmdir(tmp);
	}
	is_int(hookcheck_dir("/nonexistent-hookcheck", me, &st, why, sizeof(why)), -ENOENT,
	       "a missing directory");
	chmod(dir, 0775);
	is_int(hookcheck_dir(dir, me, &st, why, sizeof(why)), -EPERM, "a group-writable directory");
	if (safe_here) {
		char want[PATH_MAX + 64];
		snprintf(want, sizeof(want), "%s is writable by group or others", dir);
		is_str(why, want, "the reason names the directory");
	}
	chmod(dir, 0755);
	if (safe_here) {
		is_int(hookcheck_dir(dir, me, &st, why, sizeof(why)), 0, "a safe directory");
		is_int(hookcheck_dir(dir, me + 1 ? me + 1 : 1, &st, why, sizeof(why)),
		       me == 0 ? 0 : -EPERM, "owned by root or the hook's user only");
	}

	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	ok(dfd >= 0, "opened %s", dir);
	snprintf(path, sizeof(path), "%s/hook", dir);
	put(path, "#!/bin/sh\necho checked\n", 0755);
	int fd = hookcheck_open(dfd, dir, "hook", me, why, sizeof(why));
	ok(fd >= 0, "a safe script opens (%s)", fd < 0 ? why : "ok");
	/* Another file renamed over the path after the check: the descriptor
	 * still runs what was checked; the path runs the new file. */
	snprintf(path, sizeof(path), "%s/new", dir);
	put(path, "#!/bin/sh\necho swapped\n", 0757);
	char hook[PATH_MAX + 64];
	snprintf(hook, sizeof(hook), "%s/hook", dir);
	ok(rename(path, hook) == 0, "renamed another file over the hook");
	is_str(run(fd, hook, out, sizeof(out)), "checked", "the checked descriptor runs the checked script");
	is_str(run(-1, hook, out, sizeof(out)), "swapped", "while the path runs the new one");
	if (fd >= 0)
		close(fd);
	is_int(hookcheck_open(dfd, dir, "hook", me, why, sizeof(why)), -EPERM,
	       "the world-writable replacement is refused");
	is_str(why, "writable by group or others", "with its reason");
	put(hook, "echo\n", 0644);
	is_int(hookcheck_open(dfd, dir, "hook", me, why, sizeof(why)), -ENOEXEC,
	       "a file that is not executable");
	unlink(hook);
	ok(mkfifo(hook, 0755) == 0, "a FIFO in its place");
	is_int(hookcheck_open(dfd, dir, "hook", me, why, sizeof(why)), -ENOEXEC,
	       "a FIFO is refused, without blocking");
	unlink(hook);
	is_int(hookcheck_open(dfd, dir, "hook", me, why, sizeof(why)), -ENOENT, "a missing file");

	/* A symbolic link to a file in an unsafe directory. */
	char sub[PATH_MAX + 64], target[PATH_MAX + 80];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	snprintf(target, sizeof(target), "%s/sub/t", dir);
	ok(mkdir(sub, 0777) == 0 && chmod(sub, 0777) == 0, "made a world-writable directory");
	put(target, "#!/bin/sh\necho t\n", 0755);
	ok(symlink(target, hook) == 0, "linked the hook to a file in it");
	is_int(hookcheck_open(dfd, dir, "hook", me, why, sizeof(why)), -EPERM,
	       "a link into an unsafe directory is refused");
	if (safe_here) {
		char want[PATH_MAX + 100];
		snprintf(want, sizeof(want), "%s is writable by group or others", sub);
		is_str(why, want, "the reason names the target's directory");
		chmod(sub, 0755);
		fd = hookcheck_open(dfd, dir, "hook", me, why, sizeof(why));
		ok(fd >= 0, "a link into a safe directory opens (%s)", fd < 0 ? why : "ok");
		if (fd >= 0)
			close(fd);
	}
	unlink(hook);
	unlink(target);
	rmdir(sub);
	close(dfd);
	rmdir(dir);
	return tap_done();
}
