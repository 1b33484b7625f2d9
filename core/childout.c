/* A child's stdout and stderr, read into bounded lines without letting a
 * flooding child (`yes`, `tail -f` of a busy file) hold the daemon:
 *  - each callback reads at most OUT_READ_BUDGET bytes of a stream, then
 *    returns to the loop, so timers, signals and netlink keep their turn;
 *  - lines pass at LINE_RATE a second after a burst of LINE_BURST; the rest
 *    are counted, and the count is logged when lines pass again or at the
 *    end of the run;
 *  - after OUT_CAP bytes in one run the pipes are no longer read: the child
 *    blocks on its full pipe, costing no CPU, until it exits or its timeout
 *    kills it.  Reading on and discarding would burn a core for the whole
 *    timeout; closing the pipes would kill it by SIGPIPE in mid-work.
 * At exit what is left is read within the same budget, then dropped. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "childout.h"

#define OUT_READ_BUDGET (64 * 1024)
#define OUT_CAP (4 * 1024 * 1024)
#define LINE_BURST 200
#define LINE_RATE 20.0

static bool line_allowed(struct child_out *o)
{
	ev_tstamp now = ev_now(o->loop);
	o->tokens += (now - o->last) * LINE_RATE;
	if (o->tokens > LINE_BURST)
		o->tokens = LINE_BURST;
	o->last = now;
	if (o->tokens < 1.0)
		return false;
	o->tokens -= 1.0;
	return true;
}

static void report_suppressed(struct child_out *o)
{
	if (!o->suppressed)
		return;
	char msg[128];
	snprintf(msg, sizeof(msg), "%llu output lines suppressed (more than %d, then %d a second)",
		 o->suppressed, LINE_BURST, (int)LINE_RATE);
	o->suppressed = 0;
	o->remark(o->arg, msg);
}

static void emit(struct child_out *o, int i, const char *text)
{
	if (!line_allowed(o)) {
		o->suppressed++;
		return;
	}
	report_suppressed(o);
	o->line(o->arg, i + 1, text);
}

static void stream_close(struct child_out *o, int i)
{
	struct child_stream *s = &o->s[i];
	if (s->w.fd < 0)
		return;
	ev_io_stop(o->loop, &s->w);
	close(s->w.fd);
	s->w.fd = -1;
	if (s->len) {
		s->buf[s->len] = 0;
		emit(o, i, s->buf);
		s->len = 0;
	}
}

static void split(struct child_out *o, int i, const char *p, size_t n)
{
	struct child_stream *s = &o->s[i];
	for (size_t k = 0; k < n; k++) {
		char ch = p[k];
		if (ch == '\n') {
			if (!s->skipping) {
				s->buf[s->len] = 0;
				emit(o, i, s->buf);
			}
			s->len = 0;
			s->skipping = false;
		} else if (s->skipping) {
			continue;
		} else if (s->len == CHILD_LINE_MAX) {
			s->buf[s->len] = 0;
			emit(o, i, s->buf);
			emit(o, i, "(line truncated)");
			s->len = 0;
			s->skipping = true;
		} else {
			s->buf[s->len++] = ch;
		}
	}
}

static void cap_reached(struct child_out *o)
{
	o->capped = true;
	for (int i = 0; i < 2; i++)
		if (o->s[i].w.fd >= 0)
			ev_io_stop(o->loop, &o->s[i].w);
	char msg[128];
	snprintf(msg, sizeof(msg), "output passed %d MiB: no longer read until it exits",
		 OUT_CAP / (1024 * 1024));
	o->remark(o->arg, msg);
}

/* What is there now, within the budget. */
static void stream_read(struct child_out *o, int i)
{
	struct child_stream *s = &o->s[i];
	char tmp[4096];
	size_t budget = OUT_READ_BUDGET;
	while (s->w.fd >= 0 && budget && !o->capped) {
		size_t want = budget < sizeof(tmp) ? budget : sizeof(tmp);
		ssize_t n = read(s->w.fd, tmp, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			stream_close(o, i);
			return;
		}
		if (n < 0)
			return;
		budget -= (size_t)n;
		o->total += (size_t)n;
		split(o, i, tmp, (size_t)n);
		if (o->total >= OUT_CAP)
			cap_reached(o);
	}
}

static void child_out_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct child_out *o = w->data;
	stream_read(o, w == &o->s[0].w ? 0 : 1);
}

void child_out_start(struct child_out *o, struct ev_loop *loop, int out_fd, int err_fd)
{
	o->loop = loop;
	o->total = 0;
	o->capped = false;
	o->tokens = LINE_BURST;
	o->last = ev_now(loop);
	o->suppressed = 0;
	for (int i = 0; i < 2; i++) {
		struct child_stream *s = &o->s[i];
		s->len = 0;
		s->skipping = false;
		ev_io_init(&s->w, child_out_cb, i ? err_fd : out_fd, EV_READ);
		s->w.data = o;
		ev_io_start(loop, &s->w);
	}
}

void child_out_drain(struct child_out *o)
{
	for (int i = 0; i < 2; i++)
		stream_read(o, i);
}

void child_out_close(struct child_out *o)
{
	for (int i = 0; i < 2; i++)
		stream_close(o, i);
	report_suppressed(o);
}
