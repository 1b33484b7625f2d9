/* nlevctl: the command-line client of nlevd's control socket (nlevctl(8)).
 *
 * One request line, one reply line (newline-delimited JSON, parsed with
 * jansson); `monitor` then streams.  Every wait for the daemon has a
 * deadline except monitor's stream, so a stuck daemon never hangs a script. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctltable.h"

#ifndef NLEVD_CONTROL_SOCKET
#define NLEVD_CONTROL_SOCKET "/run/nlevd/control"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

#define EX_OK_ 0
#define EX_FAIL 1
#define EX_USAGE_ 64
#define EX_CONFIG_ 78
#define REPLY_TIMEOUT_MS 10000
#define LINE_MAX_ (64u << 20) /* a reply longer than this is not nlevd's */

struct conn {
	int fd;
	const char *path;
	char *buf;
	size_t len, used; /* bytes in buf; the next line starts at buf[0] */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: nlevctl [-s SOCKET] COMMAND [ARG]...\n"
		"Query and control a running nlevd over its control socket.\n\n"
		"  status [--json] [INSTANCE]  the daemon, interfaces, addresses and instances\n"
		"  push [INSTANCE]             verify and push DNS state now, ignoring back-off\n"
		"  reload                      reload the configuration like SIGHUP; print the result\n"
		"  monitor [--json] [EVENT]... stream routed events (all, or those named)\n"
		"  metrics                     Prometheus text exposition\n\n"
		"  -s, --socket SOCKET  the control socket (default " NLEVD_CONTROL_SOCKET ")\n"
		"  -V, --version        print the version\n"
		"  -h, --help           print this help\n\n"
		"Exit status: 0 ok, 1 failure (nlevd not running, an error reply),\n"
		"64 usage error, 78 configuration refused by reload.\n");
}

static int usage_error(const char *arg, const char *msg)
{
	fprintf(stderr, "nlevctl: %s%s%s\nTry 'nlevctl -h'.\n", arg ? arg : "", arg ? ": " : "",
		msg);
	return EX_USAGE_;
}

/* An argument must be UTF-8 to travel in JSON: a usage error, never a
 * silently dropped instance or event name. */
static int utf8_args(int argc, char **argv, int first)
{
	for (int i = first; i < argc; i++) {
		json_t *v = json_string(argv[i]);
		if (!v)
			return usage_error(NULL, "an argument is not valid UTF-8");
		json_decref(v);
	}
	return 0;
}

/* Connects when the first request is sent: a usage error is found first,
 * whether nlevd runs or not. */
static int conn_open(struct conn *c)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	const char *path = c->path;
	size_t n = strlen(path);
	if (!n || n >= sizeof(sa.sun_path)) {
		fprintf(stderr, "nlevctl: %s: socket path empty or longer than %zu bytes\n", path,
			sizeof(sa.sun_path) - 1);
		return EX_USAGE_;
	}
	memcpy(sa.sun_path, path, n + 1);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		fprintf(stderr, "nlevctl: socket: %s\n", strerror(errno));
		return EX_FAIL;
	}
	/* A local stream connect() does not wait for accept(): the backlog
	 * takes it, or it fails at once (EAGAIN only when non-blocking). */
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		if (e == ENOENT)
			fprintf(stderr, "nlevd is not running (no control socket at %s)\n", path);
		else if (e == ECONNREFUSED)
			fprintf(stderr, "nlevd is not running (connection refused at %s)\n", path);
		else
			fprintf(stderr, "nlevctl: connecting to %s: %s\n", path, strerror(e));
		close(c->fd);
		c->fd = -1;
		return EX_FAIL;
	}
	return EX_OK_;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Sends a request object as one line; takes the reference. */
static int conn_send(struct conn *c, json_t *req)
{
	char *s = req ? json_dumps(req, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	json_decref(req);
	if (!s) {
		fprintf(stderr, "nlevctl: out of memory\n");
		return EX_FAIL;
	}
	size_t n = strlen(s), off = 0;
	s[n] = '\n'; /* over the NUL: the length is known */
	n++;
	while (off < n) {
		ssize_t w = send(c->fd, s + off, n - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		/* The daemon may have answered and closed first (a refused
		 * peer): its reply is still there to read. */
		if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
			break;
		if (w < 0) {
			fprintf(stderr, "nlevctl: sending to %s: %s\n", c->path, strerror(errno));
			free(s);
			return EX_FAIL;
		}
		off += (size_t)w;
	}
	free(s);
	return EX_OK_;
}

/* Drops the line handed out last (ending at buf[skip - 1]). */
static void conn_consume(struct conn *c, size_t skip)
{
	memmove(c->buf, c->buf + skip, c->used - skip);
	c->used -= skip;
}

/* The next line, NUL-terminated without its newline, in *line (valid until
 * the next call); *skip is what conn_consume must drop.  timeout_ms < 0
 * waits forever.  Returns 0, or EX_FAIL with the reason printed. */
static int conn_line(struct conn *c, int timeout_ms, char **line, size_t *skip)
{
	long long deadline = timeout_ms < 0 ? 0 : now_ms() + timeout_ms;
	size_t scanned = 0;
	for (;;) {
		char *nl = c->used > scanned ? memchr(c->buf + scanned, '\n', c->used - scanned) : NULL;
		if (nl) {
			*nl = 0;
			*line = c->buf;
			*skip = (size_t)(nl - c->buf) + 1;
			return EX_OK_;
		}
		scanned = c->used;
		if (c->used >= LINE_MAX_) {
			fprintf(stderr, "nlevctl: a reply line from %s longer than %u bytes\n", c->path,
				LINE_MAX_);
			return EX_FAIL;
		}
		if (c->len - c->used < 4096) {
			size_t len = c->len ? c->len * 2 : 65536;
			char *b = realloc(c->buf, len + 1);
			if (!b) {
				fprintf(stderr, "nlevctl: out of memory\n");
				return EX_FAIL;
			}
			c->buf = b;
			c->len = len;
		}
		int wait = -1;
		if (timeout_ms >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0) {
				fprintf(stderr, "nlevctl: no reply from nlevd within %d s (%s)\n",
					timeout_ms / 1000, c->path);
				return EX_FAIL;
			}
			wait = (int)left;
		}
		struct pollfd p = {.fd = c->fd, .events = POLLIN};
		int r = poll(&p, 1, wait);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			fprintf(stderr, "nlevctl: poll: %s\n", strerror(errno));
			return EX_FAIL;
		}
		if (r == 0)
			continue; /* the deadline check above reports it */
		ssize_t n = read(c->fd, c->buf + c->used, c->len - c->used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "nlevctl: reading from %s: %s\n", c->path, strerror(errno));
			return EX_FAIL;
		}
		if (n == 0) {
			fprintf(stderr, "nlevctl: nlevd closed the connection (%s)\n", c->path);
			return EX_FAIL;
		}
		c->used += (size_t)n;
	}
}

/* Sends req and reads its reply: *result is the reply's "result" (a new
 * reference), or the error is printed and EX_FAIL returned.  A refused
 * reload's "errors" go to stderr, and EX_CONFIG_ is returned. */
static int request(struct conn *c, json_t *req, json_t **result)
{
	char *line;
	size_t skip;
	json_error_t jerr;
	*result = NULL;
	int rc = c->fd < 0 ? conn_open(c) : EX_OK_;
	if (rc) {
		json_decref(req);
		return rc;
	}
	rc = conn_send(c, req);
	if (rc || (rc = conn_line(c, REPLY_TIMEOUT_MS, &line, &skip)))
		return rc;
	json_t *reply = json_loadb(line, skip - 1, 0, &jerr);
	if (!reply) /* an integer beyond int64: jansson's are signed */
		reply = json_loadb(line, skip - 1, JSON_DECODE_INT_AS_REAL, &jerr);
	conn_consume(c, skip);
	if (!json_is_object(reply)) {
		fprintf(stderr, "nlevctl: a reply that is not a JSON object from %s: %s\n", c->path,
			reply ? "not an object" : jerr.text);
		json_decref(reply);
		return EX_FAIL;
	}
	if (json_is_true(json_object_get(reply, "ok"))) {
		json_t *r = json_object_get(reply, "result");
		*result = r ? json_incref(r) : json_object();
		json_decref(reply);
		return EX_OK_;
	}
	const char *msg = json_string_value(json_object_get(reply, "error"));
	json_t *errors = json_object_get(reply, "errors");
	rc = EX_FAIL;
	if (json_is_array(errors)) {
		size_t i;
		json_t *e;
		json_array_foreach(errors, i, e)
			if (json_is_string(e))
				fprintf(stderr, "%s\n", json_string_value(e));
		rc = EX_CONFIG_;
	}
	fprintf(stderr, "nlevctl: %s\n", msg ? msg : "nlevd replied with an error");
	json_decref(reply);
	return rc;
}

static int out_flush(void)
{
	if (fflush(stdout) || ferror(stdout)) {
		fprintf(stderr, "nlevctl: writing the output: %s\n", strerror(errno));
		return EX_FAIL;
	}
	return EX_OK_;
}

/* Parses [--json] (anywhere before "--") for status and monitor, moving the
 * operands to argv[first..argc-1]; *json NULL: the command has no options. */
static int cmd_args(int argc, char **argv, bool *json, int *first)
{
	int n = 1;
	bool opts = true;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (opts && !strcmp(a, "--"))
			opts = false;
		else if (opts && json && !strcmp(a, "--json"))
			*json = true;
		else if (opts && a[0] == '-' && a[1])
			return -usage_error(a, "unknown option");
		else
			argv[n++] = a;
	}
	*first = 1;
	return n;
}

static int cmd_status(struct conn *c, int argc, char **argv)
{
	bool json = false;
	int first, rc;
	if ((argc = cmd_args(argc, argv, &json, &first)) < 0)
		return EX_USAGE_;
	if (argc - first > 1)
		return usage_error(argv[first + 1], "status takes at most one instance");
	if (utf8_args(argc, argv, first))
		return EX_USAGE_;
	json_t *req = json_pack("{s:s}", "command", "status"), *res;
	if (req && first < argc)
		json_object_set_new(req, "instance", json_string(argv[first]));
	if ((rc = request(c, req, &res)))
		return rc;
	if (json) {
		rc = json_dumpf(res, stdout, JSON_COMPACT | JSON_ENSURE_ASCII) ? EX_FAIL : EX_OK_;
		putchar('\n');
	} else {
		ctltable_status(res, stdout);
	}
	json_decref(res);
	return rc ? rc : out_flush();
}

static int cmd_push(struct conn *c, int argc, char **argv)
{
	int first, rc;
	if ((argc = cmd_args(argc, argv, NULL, &first)) < 0)
		return EX_USAGE_;
	if (argc - first > 1)
		return usage_error(argv[first + 1], "push takes at most one instance");
	if (utf8_args(argc, argv, first))
		return EX_USAGE_;
	json_t *req = json_pack("{s:s}", "command", "push"), *res;
	if (req && first < argc)
		json_object_set_new(req, "instance", json_string(argv[first]));
	if ((rc = request(c, req, &res)))
		return rc;
	json_t *pushed = json_object_get(res, "pushed"), *p;
	size_t i, n = 0;
	json_array_foreach(pushed, i, p)
		if (json_is_string(p)) {
			printf("pushed %s\n", json_string_value(p));
			n++;
		}
	if (!n)
		printf("no instance can push\n");
	json_decref(res);
	return out_flush();
}

static int cmd_plain(struct conn *c, int argc, char **argv)
{
	const char *cmd = argv[0];
	if (argc > 1)
		return usage_error(cmd, "takes no arguments");
	json_t *res;
	int rc = request(c, json_pack("{s:s}", "command", cmd), &res);
	if (rc)
		return rc;
	if (!strcmp(cmd, "reload")) {
		printf("ok\n");
	} else {
		const char *t = json_string_value(json_object_get(res, "text"));
		size_t n = t ? strlen(t) : 0;
		fwrite(t ? t : "", 1, n, stdout);
		if (n && t[n - 1] != '\n')
			putchar('\n');
	}
	json_decref(res);
	return out_flush();
}

/* Streams until the daemon goes; text asks nlevd for the log plugin's text
 * lines, so the client never re-implements their quoting. */
static int cmd_monitor(struct conn *c, int argc, char **argv)
{
	bool json = false;
	int first, rc;
	if ((argc = cmd_args(argc, argv, &json, &first)) < 0)
		return EX_USAGE_;
	if (utf8_args(argc, argv, first))
		return EX_USAGE_;
	json_t *req = json_pack("{s:s,s:s}", "command", "monitor", "format", json ? "json" : "text");
	if (req && first < argc) {
		json_t *ev = json_array();
		for (int i = first; i < argc; i++)
			json_array_append_new(ev, json_string(argv[i]));
		json_object_set_new(req, "events", ev);
	}
	json_t *res;
	if ((rc = request(c, req, &res)))
		return rc;
	json_decref(res);
	for (;;) {
		char *line;
		size_t skip;
		if ((rc = conn_line(c, -1, &line, &skip)))
			return rc;
		fwrite(line, 1, skip - 1, stdout);
		putchar('\n');
		conn_consume(c, skip);
		if ((rc = out_flush()))
			return rc;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"socket", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'V'},
		{NULL, 0, NULL, 0},
	};
	static const struct {
		const char *name;
		int (*run)(struct conn *c, int argc, char **argv);
	} cmds[] = {
		{"status", cmd_status}, {"push", cmd_push},	  {"reload", cmd_plain},
		{"metrics", cmd_plain}, {"monitor", cmd_monitor},
	};
	const char *path = NLEVD_CONTROL_SOCKET;
	int o;
	/* '+': options stop at the command; its own follow it. */
	while ((o = getopt_long(argc, argv, "+s:hV", opts, NULL)) != -1) {
		switch (o) {
		case 's': path = optarg; break;
		case 'h': usage(stdout); return out_flush();
		case 'V': printf("nlevctl %s\n", PACKAGE_VERSION); return out_flush();
		default: usage(stderr); return EX_USAGE_;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE_;
	}
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		if (strcmp(argv[optind], cmds[i].name))
			continue;
		struct conn c = {.fd = -1, .path = path};
		int rc = cmds[i].run(&c, argc - optind, argv + optind);
		conn_close(&c);
		return rc;
	}
	return usage_error(argv[optind], "unknown command");
}
