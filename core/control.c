/* control.c: the control socket (nlevctl): peers, clients, NDJSON requests. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "control.h"
#include "event.h"
#include "log.h"
#include "util.h"

#define CTL_LINE_MAX 4096                  /* a request line, newline included */
#define CTL_REPLY_MAX (4u << 20)           /* output pending for a client */
#define CTL_MONITOR_MAX (256u << 10)       /* a monitor client's backlog */
#define CTL_CLIENTS_MAX 64
#define CTL_DROP_LOG_EVERY 10.0            /* s between "dropped" log lines */
#define CTL_ACCEPT_RETRY 1.0               /* s: out of descriptors, try later */
#define CTL_EVENT_MAX 65536                /* an event's line */
#define CTL_GROUPS_MAX 65536               /* NGROUPS_MAX of Linux */

#ifndef SO_PEERGROUPS
#define SO_PEERGROUPS 59 /* Linux 4.13; older headers lack it */
#endif
/* ms a non-monitor client may go without progress (a complete request
 * read, reply bytes written) before it is dropped: idle or stuck clients
 * would else hold their slot, and their reply, for ever. */
#define CTL_IDLE_MS 30000

struct client {
	struct client *next;
	struct control *ctl;
	int fd;
	ev_io rio, wio;
	ev_timer idle;      /* no progress for ctl->idle_s: dropped */
	ev_timer kick;      /* the next buffered request, next loop iteration */
	char in[CTL_LINE_MAX];
	size_t inlen;
	char *out;
	size_t outoff, outlen, outcap;
	bool monitor, text; /* streaming events; as text lines */
	bool closing;       /* close once the output is written */
	char **events;      /* the monitor's filter: names, NULL for all */
};

struct control {
	struct ev_loop *loop;
	struct control_ops ops;
	char *path;
	int fd;
	gid_t gid;
	ev_tstamp idle_s;
	ev_io lio;
	ev_timer retry;
	struct client *clients;
	size_t nclients, nmonitors;
	unsigned long drops_unlogged;
	ev_tstamp drop_logged;
};

json_t *control_ok(json_t *result)
{
	if (!result)
		return NULL;
	return json_pack("{s:b,s:o}", "ok", 1, "result", result);
}

json_t *control_string(const char *s)
{
	json_t *j = json_string(s);
	if (j)
		return j;
	size_t n = json_quote(s, NULL, 0);
	char *q = malloc(n + 1);
	if (!q)
		return NULL;
	json_quote(s, q, n + 1);
	j = json_loadb(q, n, JSON_DECODE_ANY, NULL);
	free(q);
	return j;
}

json_t *control_error(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return json_pack("{s:b,s:o}", "ok", 0, "error", control_string(msg));
}

static void client_free(struct client *c)
{
	struct control *ctl = c->ctl;
	for (struct client **p = &ctl->clients; *p; p = &(*p)->next)
		if (*p == c) {
			*p = c->next;
			break;
		}
	ctl->nclients--;
	if (c->monitor)
		ctl->nmonitors--;
	ev_io_stop(ctl->loop, &c->rio);
	ev_io_stop(ctl->loop, &c->wio);
	ev_timer_stop(ctl->loop, &c->idle);
	ev_timer_stop(ctl->loop, &c->kick);
	close(c->fd);
	free(c->out);
	free_words(c->events);
	free(c);
}

/* The client moved: its idle deadline starts again (monitors have none:
 * their backlog bound drops them). */
static void client_progress(struct client *c)
{
	if (c->monitor)
		ev_timer_stop(c->ctl->loop, &c->idle);
	else
		ev_timer_again(c->ctl->loop, &c->idle);
}

/* Input resumes only once the reply is written, one request per loop
 * iteration: a client pipelining requests can neither run the loop for
 * itself nor pile up replies it does not read. */
static void client_resume(struct client *c)
{
	struct ev_loop *loop = c->ctl->loop;
	if (c->closing) /* its input is over */
		return;
	if (c->outoff < c->outlen) { /* the write watcher resumes it */
		ev_io_stop(loop, &c->rio);
		ev_timer_stop(loop, &c->kick);
	} else if (memchr(c->in, '\n', c->inlen) || c->inlen == sizeof(c->in)) {
		ev_io_stop(loop, &c->rio);
		ev_timer_start(loop, &c->kick);
	} else {
		ev_timer_stop(loop, &c->kick);
		ev_io_start(loop, &c->rio);
	}
}

/* Write what is pending without blocking; false when the client is gone. */
static bool client_flush(struct client *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			client_free(c);
			return false;
		}
		c->outoff += (size_t)n;
		client_progress(c);
	}
	if (c->outoff == c->outlen) {
		c->outoff = c->outlen = 0;
		ev_io_stop(c->ctl->loop, &c->wio);
		if (c->closing) {
			client_free(c);
			return false;
		}
		client_resume(c);
	} else {
		ev_io_start(c->ctl->loop, &c->wio);
	}
	return true;
}

static void drop_log(struct control *ctl, const char *why);

/* Dropped for misbehaving: logged (rate-limited) and counted. */
static void client_drop(struct client *c, const char *why)
{
	struct control *ctl = c->ctl;
	drop_log(ctl, why);
	client_free(c);
	if (ctl->ops.dropped)
		ctl->ops.dropped(ctl->ops.arg);
}

static void drop_log(struct control *ctl, const char *why)
{
	ev_tstamp now = ev_now(ctl->loop);
	if (ctl->drop_logged && now - ctl->drop_logged < CTL_DROP_LOG_EVERY) {
		ctl->drops_unlogged++;
		return;
	}
	if (ctl->drops_unlogged)
		log_warn("control: a client dropped: %s (and %lu more since the last message)", why,
			 ctl->drops_unlogged);
	else
		log_warn("control: a client dropped: %s", why);
	ctl->drop_logged = now;
	ctl->drops_unlogged = 0;
}

/* Queue len bytes; over the client's bound it is dropped and counted.
 * false when the client is gone. */
static bool client_put(struct client *c, const char *buf, size_t len)
{
	size_t bound = c->monitor ? CTL_MONITOR_MAX : CTL_REPLY_MAX;
	size_t pending = c->outlen - c->outoff;
	if (len > bound || pending > bound - len) {
		client_drop(c, c->monitor ? "its monitor backlog is full"
					  : "its reply would not fit");
		return false;
	}
	if (c->outoff && c->outlen + len > c->outcap) {
		memmove(c->out, c->out + c->outoff, pending);
		c->outlen = pending;
		c->outoff = 0;
	}
	if (c->outlen + len > c->outcap) {
		size_t cap = c->outcap ? c->outcap : 4096;
		while (cap < c->outlen + len)
			cap *= 2;
		char *p = realloc(c->out, cap);
		if (!p) {
			log_err("control: out of memory");
			client_free(c);
			return false;
		}
		c->out = p;
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, buf, len);
	c->outlen += len;
	/* Only when nothing was waiting: else the write watcher is on. */
	if (pending == 0)
		return client_flush(c);
	return true;
}

/* One reply line (reply's reference taken); false when the client is gone. */
static bool client_reply(struct client *c, json_t *reply)
{
	if (!reply) {
		reply = control_error("out of memory");
		if (!reply) {
			client_free(c);
			return false;
		}
	}
	char *s = json_dumps(reply, JSON_COMPACT);
	json_decref(reply);
	if (!s) {
		client_free(c);
		return false;
	}
	size_t n = strlen(s);
	s[n] = '\n'; /* the NUL becomes the line's end: json_dumps gave n + 1 bytes */
	bool alive = client_put(c, s, n + 1);
	free(s);
	return alive;
}

/* An error reply, then the connection ends (after writing what it can). */
static void client_refuse(struct client *c, json_t *reply)
{
	c->closing = true;
	ev_io_stop(c->ctl->loop, &c->rio);
	if (!client_reply(c, reply))
		return;
	/* What the peer does not read now it never will: no waiting on it. */
	client_free(c);
}

static json_t *monitor_start(struct client *c, const json_t *req)
{
	const json_t *fmt = json_object_get(req, "format");
	const json_t *evs = json_object_get(req, "events");
	bool text = false;
	if (fmt) {
		const char *f = json_string_value(fmt);
		if (f && !strcmp(f, "text"))
			text = true;
		else if (!f || strcmp(f, "json"))
			return control_error("format: not \"json\" or \"text\"");
	}
	char **names = NULL;
	if (evs && !json_is_null(evs)) {
		if (!json_is_array(evs))
			return control_error("events: not a list of event names");
		size_t n = json_array_size(evs);
		names = calloc(n + 1, sizeof(*names));
		if (!names)
			return NULL;
		for (size_t i = 0; i < n; i++) {
			const char *s = json_string_value(json_array_get(evs, i));
			if (!s || !name_valid(s)) {
				free_words(names);
				return control_error("events: '%s' is not an event name",
						     s ? s : "(not a string)");
			}
			names[i] = strdup(s);
			if (!names[i]) {
				free_words(names);
				return NULL;
			}
		}
		if (n == 0) { /* [] selects nothing useful: take it as all */
			free(names);
			names = NULL;
		}
	}
	c->monitor = true;
	c->text = text;
	c->events = names;
	c->ctl->nmonitors++;
	ev_timer_stop(c->ctl->loop, &c->idle);
	return control_ok(json_pack("{s:b}", "monitoring", 1));
}

/* One request line (no newline); false when the client is gone. */
static bool client_line(struct client *c, char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0)
		return true;
	if (c->monitor) /* after "monitor" the connection only streams */
		return true;
	client_progress(c);
	json_error_t err;
	json_t *req = json_loadb(line, len, 0, &err);
	const char *cmd = json_is_object(req) ? json_string_value(json_object_get(req, "command"))
					      : NULL;
	if (!cmd) {
		client_refuse(c, control_error("not a JSON request: %s",
					       !req ? err.text
					       : !json_is_object(req) ? "not an object"
								      : "no string \"command\""));
		json_decref(req);
		return false;
	}
	struct control *ctl = c->ctl;
	control_cmd_cb cb = NULL;
	json_t *reply;
	if (!strcmp(cmd, "status"))
		cb = ctl->ops.status;
	else if (!strcmp(cmd, "push"))
		cb = ctl->ops.push;
	else if (!strcmp(cmd, "reload"))
		cb = ctl->ops.reload;
	else if (!strcmp(cmd, "metrics"))
		cb = ctl->ops.metrics;
	if (cb)
		reply = cb(req, ctl->ops.arg);
	else if (!strcmp(cmd, "monitor"))
		reply = monitor_start(c, req);
	else
		reply = control_error("unknown command '%.64s'", cmd);
	json_decref(req);
	return client_reply(c, reply);
}

/* At most one buffered request; false when the client is gone. */
static bool client_next(struct client *c)
{
	char *nl = memchr(c->in, '\n', c->inlen);
	if (nl) {
		size_t len = (size_t)(nl - c->in);
		if (!client_line(c, c->in, len))
			return false;
		memmove(c->in, nl + 1, c->inlen - len - 1);
		c->inlen -= len + 1;
	} else if (c->inlen == sizeof(c->in)) {
		if (!c->monitor) {
			client_refuse(c, control_error("request too long"));
			return false;
		}
		c->inlen = 0; /* ignored anyway: no need to keep it */
	}
	client_resume(c);
	return true;
}

static void client_kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	client_next(container_of(w, struct client, kick));
}

static void client_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct client *c = container_of(w, struct client, rio);
	ssize_t n;
	/* The watcher runs only with no complete line buffered and room. */
	do
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* The peer is done sending: what it asked for is still
		 * written before the connection ends. */
		ev_io_stop(c->ctl->loop, &c->rio);
		c->closing = true;
		if (c->outoff == c->outlen)
			client_free(c);
		return;
	}
	c->inlen += (size_t)n;
	client_next(c);
}

static void client_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	client_drop(container_of(w, struct client, idle), "it made no progress");
}

static void client_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	client_flush(container_of(w, struct client, wio));
}

/* Whether gid is among the peer's supplementary groups as the kernel
 * recorded them at connect() (SO_PEERGROUPS): no race with the peer
 * exiting, or its pid being reused, before the accept.  1 yes, 0 no, -1
 * when the kernel does not have SO_PEERGROUPS. */
static int peer_groups_have(int fd, gid_t gid)
{
	gid_t small[64], *buf = small;
	socklen_t len = sizeof(small);
	int found = 0;
	while (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len) < 0) {
		int e = errno;
		/* ERANGE: len is now the size needed (fixed at connect()). */
		if (e == ERANGE && buf == small && len > sizeof(small) &&
		    len <= CTL_GROUPS_MAX * sizeof(gid_t)) {
			buf = malloc(len);
			if (buf)
				continue;
		}
		if (buf != small)
			free(buf);
		return e == ENOPROTOOPT ? -1 : 0;
	}
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (buf[i] == gid)
			found = 1;
	if (buf != small)
		free(buf);
	return found;
}

/* Whether gid is among the supplementary groups in /proc/PID/status, for
 * kernels without SO_PEERGROUPS (never NSS: it may block on a network
 * directory). */
static bool proc_in_group(pid_t pid, gid_t gid)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;
	char *line = NULL;
	size_t cap = 0;
	bool found = false;
	while (getline(&line, &cap, f) > 0) {
		if (strncmp(line, "Groups:", 7))
			continue;
		for (char *p = line + 7, *end; *p; p = end) {
			unsigned long g = strtoul(p, &end, 10);
			if (end == p)
				break;
			if (g == (unsigned long)gid)
				found = true;
		}
		break;
	}
	free(line);
	fclose(f);
	return found;
}

static bool peer_allowed(const struct control *ctl, int fd)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0 || len != sizeof(cr))
		return false;
	if (cr.uid == 0 || cr.uid == geteuid() || cr.gid == ctl->gid)
		return true;
	int in = peer_groups_have(fd, ctl->gid);
	if (in >= 0)
		return in;
	return cr.pid > 0 && proc_in_group(cr.pid, ctl->gid);
}

/* A refused connection: one line, written if the socket takes it now. */
static void refuse_fd(int fd, const char *line)
{
	ssize_t n = send(fd, line, strlen(line), MSG_DONTWAIT | MSG_NOSIGNAL);
	(void)n;
	close(fd);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct control *ctl = container_of(w, struct control, lio);
	for (int rounds = 0; rounds < 64; rounds++) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				/* Level-triggered: waiting on the socket now
				 * would spin.  Try again a little later. */
				log_warn("control: cannot accept: %s", strerror(errno));
				ev_io_stop(loop, &ctl->lio);
				ev_timer_start(loop, &ctl->retry);
			}
			return;
		}
		if (!peer_allowed(ctl, fd)) {
			refuse_fd(fd, "{\"ok\":false,\"error\":\"permission denied\"}\n");
			continue;
		}
		if (ctl->nclients >= CTL_CLIENTS_MAX) {
			refuse_fd(fd, "{\"ok\":false,\"error\":\"too many clients\"}\n");
			continue;
		}
		struct client *c = calloc(1, sizeof(*c));
		if (!c) {
			refuse_fd(fd, "{\"ok\":false,\"error\":\"out of memory\"}\n");
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		ev_io_init(&c->rio, client_read_cb, fd, EV_READ);
		ev_io_init(&c->wio, client_write_cb, fd, EV_WRITE);
		ev_timer_init(&c->idle, client_idle_cb, 0., ctl->idle_s);
		ev_timer_init(&c->kick, client_kick_cb, 0., 0.);
		ev_timer_again(loop, &c->idle);
		ev_io_start(loop, &c->rio);
		c->next = ctl->clients;
		ctl->clients = c;
		ctl->nclients++;
	}
}

static void retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct control *ctl = container_of(w, struct control, retry);
	ev_io_start(loop, &ctl->lio);
}

/* path exists: a socket nobody listens on is a crashed daemon's. */
static int clear_stale(const char *path)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISSOCK(st.st_mode)) {
		log_err("control_socket %s exists and is not a socket", path);
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	memcpy(sa.sun_path, path, strlen(path) + 1);
	int rc = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	int e = errno;
	close(fd);
	if (rc == 0 || e == EAGAIN || e == EINPROGRESS) {
		log_err("another nlevd listens on %s", path);
		return -1;
	}
	if (e != ECONNREFUSED) {
		log_err("control_socket %s: %s", path, strerror(e));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		log_err("cannot remove the stale control socket %s: %s", path, strerror(errno));
		return -1;
	}
	log_info("replaced the stale control socket %s", path);
	return 0;
}

/* The socket's directory, made if missing; one anybody may write to
 * without the sticky bit is refused: anybody could replace the socket. */
static int make_dir(const char *path)
{
	char *tmp = strdup(path);
	if (!tmp)
		return -1;
	const char *dir = dirname(tmp);
	int rc = 0;
	struct stat st;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		log_err("cannot create %s for the control socket: %s", dir, strerror(errno));
		rc = -1;
	} else if (stat(dir, &st) < 0) {
		log_err("control_socket %s: %s: %s", path, dir, strerror(errno));
		rc = -1;
	} else if ((st.st_mode & S_IWOTH) && !(st.st_mode & S_ISVTX)) {
		log_err("control_socket %s: %s is writable by others and not sticky", path, dir);
		rc = -1;
	}
	free(tmp);
	return rc;
}

struct control *control_open(struct ev_loop *loop, const char *path, gid_t gid,
			     const struct control_ops *ops)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(sa.sun_path)) {
		log_err("control_socket %s: the path is too long", path);
		return NULL;
	}
	memcpy(sa.sun_path, path, len + 1);
	if (make_dir(path) < 0 || clear_stale(path) < 0)
		return NULL;
	struct control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl || !(ctl->path = strdup(path))) {
		free(ctl);
		log_err("control: out of memory");
		return NULL;
	}
	ctl->loop = loop;
	ctl->ops = *ops;
	ctl->gid = gid;
	ctl->idle_s = CTL_IDLE_MS / 1000.;
	/* For the test suite: a deadline it can wait for. */
	const char *ms = getenv("NLEVD_CONTROL_IDLE_MS");
	if (ms && *ms) {
		char *end;
		unsigned long v = strtoul(ms, &end, 10);
		if (*end || v == 0 || v > 86400000ul)
			log_warn("NLEVD_CONTROL_IDLE_MS=%s: not 1..86400000, using %d", ms,
				 CTL_IDLE_MS);
		else
			ctl->idle_s = (ev_tstamp)v / 1000.;
	}
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (ctl->fd < 0) {
		log_err("control: socket: %s", strerror(errno));
		goto fail;
	}
	/* Made 0660 at once: no chmod by path afterwards, which would
	 * follow whatever was swapped in under that name meanwhile. */
	mode_t old = umask(0117);
	int rc = bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc < 0) {
		log_err("cannot bind the control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	/* Not following a symlink put there since the bind. */
	if (fchownat(AT_FDCWD, path, (uid_t)-1, gid, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != EPERM || geteuid() == 0) {
			log_err("control socket %s: %s", path, strerror(errno));
			goto fail_unlink;
		}
		/* Not root: the daemon's own group it has to keep; say so,
		 * control_group's members would else wonder why not them. */
		log_warn("control socket %s: cannot give it group %u (%s): it keeps the "
			 "daemon's group %u", path, (unsigned)gid, strerror(errno),
			 (unsigned)getegid());
	}
	if (listen(ctl->fd, CTL_CLIENTS_MAX) < 0) {
		log_err("control socket %s: listen: %s", path, strerror(errno));
		goto fail_unlink;
	}
	ev_io_init(&ctl->lio, accept_cb, ctl->fd, EV_READ);
	ev_timer_init(&ctl->retry, retry_cb, CTL_ACCEPT_RETRY, 0.);
	ev_io_start(loop, &ctl->lio);
	log_info("control socket %s", path);
	return ctl;
fail_unlink:
	unlink(path);
fail:
	if (ctl->fd >= 0)
		close(ctl->fd);
	free(ctl->path);
	free(ctl);
	return NULL;
}

int control_chown(struct control *ctl, uid_t uid)
{
	if (!ctl)
		return 0;
	if (fchownat(AT_FDCWD, ctl->path, uid, ctl->gid, AT_SYMLINK_NOFOLLOW) < 0) {
		log_err("control socket %s: chown: %s", ctl->path, strerror(errno));
		return -1;
	}
	return 0;
}

void control_close(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	ev_io_stop(ctl->loop, &ctl->lio);
	ev_timer_stop(ctl->loop, &ctl->retry);
	close(ctl->fd);
	/* After a privilege drop the directory may not let us: the next
	 * start replaces the stale socket then. */
	unlink(ctl->path);
	free(ctl->path);
	free(ctl);
}

static bool selected(const struct client *c, const char *name)
{
	if (!c->events)
		return true;
	for (char **p = c->events; *p; p++)
		if (!strcmp(*p, name))
			return true;
	return false;
}

/* The line in buf (or malloc'd into *big when it does not fit); its length
 * with the newline, 0 on failure. */
static size_t render(const struct nlevd_event *ev, bool text, char *buf, size_t len, char **big)
{
	size_t n = text ? event_text(ev, buf, len) : event_json(ev, buf, len);
	if (n + 1 < len) {
		buf[n] = '\n';
		return n + 1;
	}
	if (n + 2 > CTL_EVENT_MAX || !(*big = malloc(n + 2)))
		return 0;
	n = text ? event_text(ev, *big, n + 2) : event_json(ev, *big, n + 2);
	(*big)[n] = '\n';
	return n + 1;
}

void control_event(struct control *ctl, const struct nlevd_event *ev)
{
	if (!ctl || !ctl->nmonitors)
		return;
	const char *name = event_name_of(ev);
	char jbuf[4096], tbuf[4096];
	char *jbig = NULL, *tbig = NULL;
	size_t jlen = 0, tlen = 0;
	bool jdone = false, tdone = false;
	struct client *next;
	for (struct client *c = ctl->clients; c; c = next) {
		next = c->next; /* c may be dropped */
		if (!c->monitor || c->closing || !selected(c, name ? name : ""))
			continue;
		if (c->text && !tdone) {
			tlen = render(ev, true, tbuf, sizeof(tbuf), &tbig);
			tdone = true;
		} else if (!c->text && !jdone) {
			jlen = render(ev, false, jbuf, sizeof(jbuf), &jbig);
			jdone = true;
		}
		size_t n = c->text ? tlen : jlen;
		const char *line = c->text ? (tbig ? tbig : tbuf) : (jbig ? jbig : jbuf);
		if (n)
			client_put(c, line, n);
	}
	free(jbig);
	free(tbig);
}
