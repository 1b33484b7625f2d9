/* Child processes for plugins: no shell, own session and process group, no
 * ambient capabilities, stdin fed from memory, stdout/stderr read line by
 * line into the log or the plugin (childout.c, which bounds what a flooding
 * child costs), a timeout that sends TERM and then KILL to the whole group,
 * and completion reported when the child itself exits, so a hook that
 * leaves a daemon behind does not hold its queue.  A child that could not
 * exec is reported the same way, from the loop: once child_spawn() has
 * returned a child, its done is called exactly once, and never from inside
 * child_spawn() (plugin.h). */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/close_range.h>
#include <sys/syscall.h>

#include "child.h"
#include "childout.h"
#include "log.h"
#include "util.h"

#define KILL_GRACE 2.0

struct nlevd_child {
	struct nlevd_child *next, *prev;
	void *owner;  /* whose it is, for child_disown_all() */
	char *prefix; /* the owner's name, for the log (a copy: it outlives the owner) */
	struct ev_loop *loop;
	pid_t pid;
	char *name; /* argv[0], for the log */
	ev_child cw;
	ev_timer tw;
	ev_io in_w;
	struct child_out out;
	char *input;
	size_t in_len, in_off;
	int kill_stage; /* 0 none, 1 TERM sent, 2 KILL sent */
	bool timed_out;
	int spawn_error; /* exec failed (already reaped): reported by tw */
	void (*line)(void *arg, int fd, const char *line);
	void (*done)(void *arg, const struct nlevd_child_result *res);
	void *arg;
};

/* What a plugin writes to a child's stdin may be a secret (the nsupdate
 * plugin's key line): wiped before it is freed. */
static void child_input_free(struct nlevd_child *c)
{
	if (c->input)
		explicit_bzero(c->input, c->in_len);
	free(c->input);
	c->input = NULL;
}

static struct nlevd_child *children;
static int nchildren;
/* ev_child watchers work on libev's default loop only: main passes it. */
static struct ev_loop *child_loop;
static void (*idle_cb)(void *arg);
static void *idle_arg;

void child_init(struct ev_loop *loop, void (*idle)(void *arg), void *arg)
{
	child_loop = loop;
	idle_cb = idle;
	idle_arg = arg;
}

int child_count(void)
{
	return nchildren;
}

static const char *owner_name(const struct nlevd_child *c)
{
	return c->prefix ? c->prefix : "-";
}

static void child_line_cb(void *arg, int fd, const char *line)
{
	struct nlevd_child *c = arg;
	if (c->line) {
		c->line(c->arg, fd, line);
		return;
	}
	log_msg(NLEVD_LOG_NOTICE, "[%s] %s%s: %s", owner_name(c), c->name,
		fd == 2 ? " (stderr)" : "", line);
}

static void child_remark_cb(void *arg, const char *msg)
{
	struct nlevd_child *c = arg;
	log_msg(NLEVD_LOG_WARNING, "[%s] %s (pid %d): %s", owner_name(c), c->name, (int)c->pid,
		msg);
}

static void in_close(struct nlevd_child *c)
{
	if (c->in_w.fd < 0)
		return;
	ev_io_stop(c->loop, &c->in_w);
	close(c->in_w.fd);
	c->in_w.fd = -1;
}

static void in_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct nlevd_child *c = w->data;
	while (c->in_off < c->in_len) {
		ssize_t n = write(w->fd, c->input + c->in_off, c->in_len - c->in_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0) /* EPIPE: the child does not read its input */
			break;
		c->in_off += (size_t)n;
	}
	in_close(c);
}

static void child_free(struct nlevd_child *c)
{
	ev_child_stop(c->loop, &c->cw);
	ev_timer_stop(c->loop, &c->tw);
	in_close(c);
	child_out_close(&c->out);
	if (c->prev)
		c->prev->next = c->next;
	else
		children = c->next;
	if (c->next)
		c->next->prev = c->prev;
	nchildren--;
	child_input_free(c);
	free(c->prefix);
	free(c->name);
	free(c);
}

/* c is freed before done runs: done may spawn again, and c is invalid. */
static void child_finish(struct nlevd_child *c, const struct nlevd_child_result *res)
{
	void (*done)(void *, const struct nlevd_child_result *) = c->done;
	void *arg = c->arg;
	child_free(c);
	if (done)
		done(arg, res);
	if (nchildren == 0 && idle_cb)
		idle_cb(idle_arg);
}

static void child_exit_cb(struct ev_loop *loop, ev_child *w, int revents)
{
	(void)loop;
	(void)revents;
	struct nlevd_child *c = w->data;
	/* Take what the child wrote before it exited, within the read budget;
	 * whatever a grandchild still holds open is not waited for. */
	child_out_drain(&c->out);
	struct nlevd_child_result res = {
		.pid = c->pid, .status = w->rstatus, .timed_out = c->timed_out,
	};
	child_finish(c, &res);
}

static void spawn_failed_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct nlevd_child *c = w->data;
	struct nlevd_child_result res = {.pid = c->pid, .spawn_error = c->spawn_error};
	child_finish(c, &res);
}

static void signal_group(struct nlevd_child *c, int sig)
{
	if (kill(-c->pid, sig) < 0 && errno == ESRCH)
		kill(c->pid, sig);
}

static void timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct nlevd_child *c = w->data;
	if (c->kill_stage == 0) {
		c->timed_out = true;
		log_msg(NLEVD_LOG_WARNING, "[%s] %s (pid %d) timed out; sending TERM",
			owner_name(c), c->name, (int)c->pid);
		signal_group(c, SIGTERM);
		c->kill_stage = 1;
		ev_timer_set(w, KILL_GRACE, 0.);
		ev_timer_start(loop, w);
	} else if (c->kill_stage == 1) {
		log_msg(NLEVD_LOG_WARNING, "[%s] %s (pid %d) ignored TERM; sending KILL",
			owner_name(c), c->name, (int)c->pid);
		signal_group(c, SIGKILL);
		c->kill_stage = 2;
	}
}

void child_kill(struct nlevd_child *c)
{
	/* A child that could not exec is reaped already: its pid may be
	 * another process's by now. */
	if (!c || c->kill_stage || c->spawn_error)
		return;
	signal_group(c, SIGTERM);
	c->kill_stage = 1;
	ev_timer_stop(c->loop, &c->tw);
	ev_timer_set(&c->tw, KILL_GRACE, 0.);
	ev_timer_start(c->loop, &c->tw);
}

void child_disown_all(const void *owner)
{
	for (struct nlevd_child *c = children; c; c = c->next) {
		if (c->owner != owner)
			continue;
		c->done = NULL;
		c->line = NULL;
		child_kill(c);
	}
	for (struct nlevd_child *c = children; c; c = c->next)
		if (c->owner == owner)
			c->owner = NULL; /* the prefix stays: its last lines still say whose */
}

void child_kill_all(void)
{
	for (struct nlevd_child *c = children; c; c = c->next)
		child_kill(c);
}

static void child_link(struct nlevd_child *c)
{
	c->next = children;
	if (children)
		children->prev = c;
	children = c;
	nchildren++;
}

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* sysconf(_SC_OPEN_MAX), taken before fork() for child_exec()'s fallback. */
static long fd_limit;

/* In the child, between fork and exec: async-signal-safe calls only.  Every
 * signal is blocked across fork(), so none of the daemon's (libev's)
 * handlers can run in the child before they are reset here. */
static void __attribute__((noreturn))
child_exec(const struct nlevd_child_spec *spec, int in, int out, int err, int errpipe,
	   const uid_t *uid, gid_t gid, const gid_t *groups, int ngroups)
{
	int e;
	sigset_t none;
	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (setsid() < 0)
		goto fail;
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		goto fail;
	/* Nothing of the daemon's leaks into the hook.  close_range() with
	 * CLOSE_RANGE_CLOEXEC needs Linux 5.11: older kernels get the loop. */
	if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (long fd = 3; fd < fd_limit; fd++)
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	if (uid) {
		if (setgroups((size_t)ngroups, groups) < 0 || setgid(gid) < 0 ||
		    setuid(*uid) < 0)
			goto fail;
		if (*uid != 0 && setuid(0) == 0) {
			errno = EPERM;
			goto fail;
		}
	}
	/* The daemon may hold ambient capabilities (systemd's
	 * AmbientCapabilities=, given for its own netlink work): no hook gets
	 * them.  EINVAL is a kernel without ambient capabilities (before 4.3):
	 * nothing to clear. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		goto fail;
	/* A hook run as another user cannot gain privileges back through a
	 * set-user-ID program or file capabilities. */
	if (uid && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		goto fail;
	if (chdir(spec->cwd ? spec->cwd : "/") < 0)
		goto fail;
	static const char *const empty[] = {NULL};
	char *const *envp = (char *const *)(spec->envp ? spec->envp : empty);
	if (spec->exec_fd > 0) {
		/* A script's interpreter opens /dev/fd/N after exec: keep it. */
		if (fcntl(spec->exec_fd, F_SETFD, 0) < 0)
			goto fail;
		fexecve(spec->exec_fd, (char *const *)spec->argv, envp);
	} else {
		execve(spec->argv[0], (char *const *)spec->argv, envp);
	}
fail:
	e = errno;
	if (write(errpipe, &e, sizeof(e)) < 0) {
		/* the parent sees EOF and a 127 exit */
	}
	_exit(127);
}

struct nlevd_child *child_spawn(void *owner, const char *prefix,
				const struct nlevd_child_spec *spec)
{
	if (!child_loop || !spec || !spec->argv || !spec->argv[0] || spec->argv[0][0] != '/') {
		errno = EINVAL;
		return NULL;
	}
	uid_t uid = 0;
	gid_t gid = 0, groups[256];
	int ngroups = (int)ARRAY_SIZE(groups);
	if (spec->user) {
		struct passwd pw, *pwp = NULL;
		char pbuf[4096];
		int rc = getpwnam_r(spec->user, &pw, pbuf, sizeof(pbuf), &pwp);
		if (!pwp) {
			errno = rc ? rc : ENOENT;
			return NULL;
		}
		uid = pw.pw_uid;
		gid = pw.pw_gid;
		if (getgrouplist(spec->user, gid, groups, &ngroups) < 0) {
			errno = E2BIG;
			return NULL;
		}
	}
	struct nlevd_child *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	int pin[2] = {-1, -1}, pout[2] = {-1, -1}, perr[2] = {-1, -1}, pe[2] = {-1, -1};
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 ||
	    pipe2(perr, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0)
		goto fail;
	if (spec->input_len) {
		if (!(c->input = malloc(spec->input_len)))
			goto fail;
		memcpy(c->input, spec->input, spec->input_len);
		c->in_len = spec->input_len;
	}
	const char *base = strrchr(spec->argv[0], '/');
	if (!(c->name = strdup(base ? base + 1 : spec->argv[0])) ||
	    (prefix && !(c->prefix = strdup(prefix))))
		goto fail;
	if ((fd_limit = sysconf(_SC_OPEN_MAX)) <= 0)
		fd_limit = 65536;
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	pid_t pid = fork();
	if (pid == 0)
		child_exec(spec, pin[0], pout[1], perr[1], pe[1], spec->user ? &uid : NULL, gid,
			   groups, ngroups);
	int fork_errno = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	if (pid < 0) {
		errno = fork_errno;
		goto fail;
	}
	close(pin[0]);
	close(pout[1]);
	close(perr[1]);
	close(pe[1]);
	pin[0] = pout[1] = perr[1] = pe[1] = -1;
	/* exec (or its failure) closes the other end at once. */
	int child_errno = 0;
	ssize_t n;
	do
		n = read(pe[0], &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	close(pe[0]);
	c->pid = pid;
	c->owner = owner;
	c->loop = child_loop;
	c->line = spec->line;
	c->done = spec->done;
	c->arg = spec->arg;
	ev_child_init(&c->cw, child_exit_cb, pid, 0);
	c->cw.data = c;
	ev_timer_init(&c->tw, timer_cb, 0., 0.);
	c->tw.data = c;
	if (n == (ssize_t)sizeof(child_errno)) {
		/* It could not exec: reaped here (it exits at once), reported
		 * from the loop with spawn_error, like any other end. */
		int st;
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
		close(pin[1]);
		close(pout[0]);
		close(perr[0]);
		child_input_free(c);
		c->spawn_error = child_errno ? child_errno : EIO;
		ev_io_init(&c->in_w, in_cb, -1, EV_WRITE);
		c->out.s[0].w.fd = c->out.s[1].w.fd = -1;
		ev_timer_init(&c->tw, spawn_failed_cb, 0., 0.);
		ev_timer_start(c->loop, &c->tw);
		child_link(c);
		return c;
	}
	set_nonblock(pin[1]);
	set_nonblock(pout[0]);
	set_nonblock(perr[0]);
	ev_child_start(c->loop, &c->cw);
	ev_io_init(&c->in_w, in_cb, pin[1], EV_WRITE);
	c->in_w.data = c;
	if (c->in_len)
		ev_io_start(c->loop, &c->in_w);
	else
		in_close(c);
	c->out.line = child_line_cb;
	c->out.remark = child_remark_cb;
	c->out.arg = c;
	child_out_start(&c->out, c->loop, pout[0], perr[0]);
	if (spec->timeout_ms) {
		ev_timer_set(&c->tw, (double)spec->timeout_ms / 1000., 0.);
		ev_timer_start(c->loop, &c->tw);
	}
	child_link(c);
	return c;
fail:;
	int e = errno;
	for (int i = 0; i < 2; i++) {
		if (pin[i] >= 0) close(pin[i]);
		if (pout[i] >= 0) close(pout[i]);
		if (perr[i] >= 0) close(perr[i]);
		if (pe[i] >= 0) close(pe[i]);
	}
	child_input_free(c);
	free(c->prefix);
	free(c->name);
	free(c);
	errno = e;
	return NULL;
}
