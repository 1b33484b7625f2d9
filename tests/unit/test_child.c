/* Unit tests for core/child.c with a real libev loop: the done contract of
 * plugin.h's child_spawn (NULL: never called; a child: exactly once, later,
 * from the loop, also when exec fails), copies taken before it returns, an
 * empty environment for envp NULL, disowning, and the idle callback. */
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "log.h"
#include "tap.h"

static struct ev_loop *loop;
static bool in_spawn;
static int idles;

struct rec {
	int calls;
	bool during_spawn;
	struct nlevd_child_result res;
	char lines[8][256];
	int nlines;
};

static void on_done(void *arg, const struct nlevd_child_result *res)
{
	struct rec *r = arg;
	r->calls++;
	r->during_spawn = r->during_spawn || in_spawn;
	r->res = *res;
}

static void on_line(void *arg, int fd, const char *line)
{
	struct rec *r = arg;
	if (fd == 1 && r->nlines < 8)
		snprintf(r->lines[r->nlines++], sizeof(r->lines[0]), "%s", line);
}

static void on_idle(void *arg)
{
	(void)arg;
	idles++;
}

static struct nlevd_child *spawn(void *owner, struct nlevd_child_spec *spec, struct rec *r)
{
	memset(r, 0, sizeof(*r));
	spec->done = on_done;
	spec->line = on_line;
	spec->arg = r;
	in_spawn = true;
	struct nlevd_child *c = child_spawn(owner, "test", spec);
	in_spawn = false;
	return c;
}

/* The loop until every child is gone (bounded: 10 s). */
static void run_until_idle(void)
{
	ev_tstamp end = ev_time() + 10.;
	while (child_count() && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	/* A little more, for a done that must not come. */
	for (int k = 0; k < 3; k++)
		ev_run(loop, EVRUN_NOWAIT);
}

int main(void)
{
	struct rec r, r2;
	const char *sh_exit[] = {"/bin/sh", "-c", "exit 3", NULL};
	struct nlevd_child_spec spec = {.argv = sh_exit};
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_ERR);
	loop = ev_default_loop(0);

	/* Before child_init(): refused, nothing called. */
	errno = 0;
	ok(!spawn(NULL, &spec, &r) && errno == EINVAL, "before child_init: NULL, EINVAL");
	child_init(loop, on_idle, NULL);

	/* A program that exits. */
	struct nlevd_child *c = spawn(NULL, &spec, &r);
	ok(c != NULL, "a program that exits: a child");
	is_int(r.calls, 0, "done not called inside child_spawn");
	is_int(child_count(), 1, "one child running");
	run_until_idle();
	is_int(r.calls, 1, "done called exactly once");
	ok(!r.during_spawn, "... from the loop");
	ok(WIFEXITED(r.res.status) && WEXITSTATUS(r.res.status) == 3 && !r.res.spawn_error &&
	   !r.res.timed_out, "exit status 3, no spawn_error");
	is_int(child_count(), 0, "gone once done");
	ok(idles >= 1, "idle called when the last child was reaped");

	/* A program that does not exist: exec fails in the child. */
	const char *missing[] = {"/nonexistent/nlevd-test-prog", NULL};
	spec.argv = missing;
	idles = 0;
	c = spawn(NULL, &spec, &r);
	ok(c != NULL, "a missing program: still a child (exec fails in the child)");
	is_int(r.calls, 0, "done not called inside child_spawn");
	child_kill(c); /* allowed until done: a no-op, its process is reaped */
	run_until_idle();
	is_int(r.calls, 1, "done called exactly once");
	ok(!r.during_spawn, "... from the loop");
	is_int(r.res.spawn_error, ENOENT, "spawn_error ENOENT");
	is_int(r.res.status, 0, "status 0 when spawn failed");
	is_int(idles, 1, "idle called once");

	/* Refused in the parent: NULL with errno, done never called. */
	const char *relative[] = {"sh", NULL};
	spec.argv = relative;
	errno = 0;
	ok(!spawn(NULL, &spec, &r) && errno == EINVAL, "a relative argv[0]: NULL, EINVAL");
	spec.argv = sh_exit;
	spec.user = "nlevd-no-such-user";
	errno = 0;
	ok(!spawn(NULL, &spec, &r) && errno != 0, "an unknown user: NULL, errno set (%d)", errno);
	spec.user = NULL;
	run_until_idle();
	is_int(r.calls, 0, "after NULL, done is never called");

	/* argv, envp and input are copied before child_spawn returns; envp
	 * NULL is an empty environment. */
	char a0[] = "/bin/sh", a1[] = "-c", a2[] = "read l; echo \"$l $#\"; env";
	char in[] = "hello";
	const char *argv[] = {a0, a1, a2, NULL};
	spec = (struct nlevd_child_spec){.argv = argv, .input = in, .input_len = 5};
	c = spawn(NULL, &spec, &r);
	ok(c != NULL, "sh reading its input");
	memset(a2, 'x', sizeof(a2) - 1);
	memset(in, 'z', sizeof(in) - 1);
	argv[0] = NULL;
	run_until_idle();
	is_int(r.calls, 1, "done once");
	is_int(r.nlines, 2, "two lines: its input and env's only variable");
	is_str(r.lines[0], "hello 0", "input and argv copied");
	is_str(r.lines[1], "PWD=/", "envp NULL: empty, no PATH (the shell exports PWD only)");

	char e0[] = "A=1";
	const char *envp[] = {e0, NULL};
	const char *envv[] = {"/usr/bin/env", NULL};
	spec = (struct nlevd_child_spec){.argv = envv, .envp = envp};
	c = spawn(NULL, &spec, &r);
	e0[2] = '2';
	envp[0] = NULL;
	run_until_idle();
	ok(r.nlines == 1 && !strcmp(r.lines[0], "A=1"), "envp copied: A=1 (%s)", r.lines[0]);

	/* Disowned: killed, done never called, idle still told. */
	int owner_a, owner_b;
	const char *sleeper[] = {"/bin/sleep", "30", NULL};
	spec = (struct nlevd_child_spec){.argv = sleeper};
	ok(spawn(&owner_a, &spec, &r) != NULL && spawn(&owner_b, &spec, &r2) != NULL,
	   "two sleepers of two owners");
	/* spawn() cleared r; r2 is the second's */
	idles = 0;
	child_disown_all(&owner_a);
	ev_tstamp end = ev_time() + 10.;
	while (child_count() > 1 && ev_time() < end)
		ev_run(loop, EVRUN_ONCE);
	is_int(child_count(), 1, "the disowned one is gone");
	is_int(r.calls + r2.calls, 0, "no done for it, none yet for the other");
	child_disown_all(&owner_b);
	run_until_idle();
	is_int(r.calls + r2.calls, 0, "no done after disowning");
	is_int(idles, 1, "idle once the last was reaped");
	return tap_done();
}
