/* A child's stdout and stderr read into bounded lines, within a read budget
 * per callback, a line rate limit and a cap on one run's output. */
#ifndef NLEVD_CHILDOUT_H
#define NLEVD_CHILDOUT_H

#include <ev.h>
#include <stdbool.h>
#include <stddef.h>

#define CHILD_LINE_MAX 1024

struct child_stream {
	ev_io w;
	char buf[CHILD_LINE_MAX + 1];
	size_t len;
	bool skipping; /* rest of an over-long line */
};

struct child_out {
	struct child_stream s[2]; /* stdout, stderr */
	struct ev_loop *loop;
	/* A line that passed the rate limit (fd 1 or 2), and the reader's own
	 * remarks (lines suppressed, cap reached). */
	void (*line)(void *arg, int fd, const char *line);
	void (*remark)(void *arg, const char *msg);
	void *arg;
	size_t total; /* bytes read in this run */
	bool capped; /* total reached the cap: the pipes are no longer read */
	double tokens; /* the rate limit's bucket */
	ev_tstamp last; /* when it was last filled */
	unsigned long long suppressed;
};

/* Takes the two (non-blocking) read ends and starts reading them. */
void child_out_start(struct child_out *o, struct ev_loop *loop, int out_fd, int err_fd);
/* The child exited: read what is left, within the budget. */
void child_out_drain(struct child_out *o);
/* Close both ends: a partial last line is emitted, suppressed lines counted. */
void child_out_close(struct child_out *o);

#endif
