/* The child output reader: one callback reads at most 64 KiB of a stream,
 * lines pass after a burst of 200 at 20 a second and the rest are counted,
 * reading stops after 4 MiB in one run, lines are cut at 1024 bytes, a
 * partial last line is kept. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../core/childout.h"
#include "tap.h"

static struct {
	unsigned lines[3];
	char last[3][CHILD_LINE_MAX + 1];
	char remark[64][256];
	int nremarks;
} got;

static void on_line(void *arg, int fd, const char *line)
{
	(void)arg;
	if (fd < 1 || fd > 2)
		return;
	got.lines[fd]++;
	snprintf(got.last[fd], sizeof(got.last[fd]), "%s", line);
}

static void on_remark(void *arg, const char *msg)
{
	(void)arg;
	if (got.nremarks < 64)
		snprintf(got.remark[got.nremarks], sizeof(got.remark[0]), "%s", msg);
	got.nremarks++;
}

static void reset(void)
{
	memset(&got, 0, sizeof(got));
}

/* Fill the pipe with "y\n" as far as it takes it now. */
static size_t fill(int fd)
{
	static char buf[65536];
	if (!buf[0])
		for (size_t k = 0; k < sizeof(buf); k += 2)
			buf[k] = 'y', buf[k + 1] = '\n';
	size_t put = 0;
	for (;;) {
		ssize_t n = write(fd, buf, sizeof(buf));
		if (n <= 0)
			return put;
		put += (size_t)n;
	}
}

static void flood(struct ev_loop *loop)
{
	int out[2], err[2];
	if (pipe2(out, O_NONBLOCK) || pipe2(err, O_NONBLOCK)) {
		ok(0, "pipe2: %s", strerror(errno));
		return;
	}
	/* Room for more than one callback's budget. */
	fcntl(out[1], F_SETPIPE_SZ, 1024 * 1024);
	size_t put = fill(out[1]);
	ok(put > 64 * 1024, "the pipe holds %zu bytes, more than the budget", put);

	reset();
	struct child_out o = {.line = on_line, .remark = on_remark};
	child_out_start(&o, loop, out[0], err[0]);
	ev_run(loop, EVRUN_NOWAIT);
	is_int((long long)o.total, 64 * 1024, "one callback reads 64 KiB, then returns");
	is_int(got.lines[1], 200, "a burst of 200 lines is passed");
	is_int((long long)o.suppressed, 32768 - 200, "the rest of them are counted");
	is_int(got.nremarks, 0, "nothing remarked yet");

	int turns = 0;
	while (!o.capped && turns++ < 1000) {
		fill(out[1]);
		ev_run(loop, EVRUN_NOWAIT);
	}
	ok(o.capped, "reading stops at the cap (after %d turns)", turns);
	ok(o.total >= 4 * 1024 * 1024 && o.total < 4 * 1024 * 1024 + 4096,
	   "the cap is 4 MiB (read %zu)", o.total);
	ok(!ev_is_active(&o.s[0].w) && !ev_is_active(&o.s[1].w), "both watchers stopped");
	/* Turns take time: a line may pass, with the count before it. */
	int capr = -1;
	for (int k = 0; k < got.nremarks && k < 64; k++)
		if (strstr(got.remark[k], "output passed 4 MiB: no longer read"))
			capr = k;
	ok(capr >= 0, "the cap is remarked");
	size_t before = o.total;
	fill(out[1]);
	ev_run(loop, EVRUN_NOWAIT);
	child_out_drain(&o);
	is_int((long long)o.total, (long long)before, "nothing is read after the cap, not even at exit");
	ok(got.lines[1] <= 210, "about 200 lines passed (%u)", got.lines[1]);

	unsigned long long sup = o.suppressed;
	child_out_close(&o);
	char want[64];
	snprintf(want, sizeof(want), "%llu output lines suppressed", sup);
	int n = got.nremarks;
	ok(n >= 2 && n <= 64, "close remarks the count");
	like(n >= 1 && n <= 64 ? got.remark[n - 1] : NULL, want, "the count is what was not passed");
	ok(o.s[0].w.fd < 0 && o.s[1].w.fd < 0, "both read ends closed");
	close(out[1]);
	close(err[1]);
}

/* At exit, what is left is read within the budget too. */
static void exit_drain(struct ev_loop *loop)
{
	int out[2], err[2];
	if (pipe2(out, O_NONBLOCK) || pipe2(err, O_NONBLOCK)) {
		ok(0, "pipe2: %s", strerror(errno));
		return;
	}
	fcntl(out[1], F_SETPIPE_SZ, 1024 * 1024);
	fill(out[1]);
	reset();
	struct child_out o = {.line = on_line, .remark = on_remark};
	child_out_start(&o, loop, out[0], err[0]);
	child_out_drain(&o);
	is_int((long long)o.total, 64 * 1024, "the exit drain reads 64 KiB of a full pipe");
	child_out_close(&o);
	close(out[1]);
	close(err[1]);
}

static void lines(struct ev_loop *loop)
{
	int out[2], err[2];
	if (pipe2(out, O_NONBLOCK) || pipe2(err, O_NONBLOCK)) {
		ok(0, "pipe2: %s", strerror(errno));
		return;
	}
	reset();
	struct child_out o = {.line = on_line, .remark = on_remark};
	child_out_start(&o, loop, out[0], err[0]);
	char longl[3001];
	memset(longl, 'x', 3000);
	longl[3000] = '\n';
	if (write(out[1], longl, sizeof(longl)) != (ssize_t)sizeof(longl) ||
	    write(out[1], "short\n", 6) != 6 || write(err[1], "on stderr\npartial", 17) != 17)
		ok(0, "write: %s", strerror(errno));
	close(out[1]);
	close(err[1]);
	for (int k = 0; k < 10 && (o.s[0].w.fd >= 0 || o.s[1].w.fd >= 0); k++)
		ev_run(loop, EVRUN_NOWAIT);
	ok(o.s[0].w.fd < 0 && o.s[1].w.fd < 0, "EOF closes both streams");
	is_int(got.lines[1], 3, "a long line is cut: its head, the marker, the next line");
	is_str(got.last[1], "short", "the line after the long one is whole");
	is_int(got.lines[2], 2, "stderr lines come as fd 2, the partial last one too");
	is_str(got.last[2], "partial", "the partial last line is kept");
	is_int(got.nremarks, 0, "no remark for a quiet child");
	child_out_close(&o);
}

int main(void)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	if (!loop) {
		ok(0, "ev_loop_new");
		return tap_done();
	}
	flood(loop);
	exit_drain(loop);
	lines(loop);
	ev_loop_destroy(loop);
	return tap_done();
}
