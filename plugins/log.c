/* log: write each event as a line of text or JSON. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <nlevd/plugin.h>

enum { FMT_TEXT, FMT_JSON };
enum { OUT_LOG, OUT_SYSLOG, OUT_STDERR, OUT_STDOUT, OUT_FILE };

struct lg {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	int format, output;
	const char *path;
	int fd;
	unsigned long long lines, failed;
	int last_errno;
	bool torn; /* a line was cut short where it cannot be truncated */
};

static const char *const keys[] = {"format", "output", NULL};

/* What the start will find, checked without creating the file (so -t
 * catches it): an existing output must be a regular file (a FIFO would
 * block, a device is not "a file appended to"; stdout and stderr have their
 * own keywords), a new one needs a writable directory. */
static int lg_check_path(struct lg *l)
{
	struct stat st;
	if (stat(l->path, &st) == 0) {
		if (!S_ISREG(st.st_mode)) {
			l->host->cfg_error(l->inst, "output", "'%s' is not a regular file", l->path);
			return -EINVAL;
		}
		return 0;
	}
	if (errno != ENOENT) {
		l->host->cfg_error(l->inst, "output", "'%s': %s", l->path, strerror(errno));
		return -EINVAL;
	}
	char dir[4096];
	const char *slash = strrchr(l->path, '/');
	size_t n = slash == l->path ? 1 : (size_t)(slash - l->path);
	if (n >= sizeof(dir)) {
		l->host->cfg_error(l->inst, "output", "'%s': path too long", l->path);
		return -EINVAL;
	}
	memcpy(dir, l->path, n);
	dir[n] = 0;
	if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
		l->host->cfg_error(l->inst, "output", "'%s': directory %s does not exist", l->path,
				   dir);
		return -EINVAL;
	}
	if (access(dir, W_OK | X_OK) < 0) {
		l->host->cfg_error(l->inst, "output", "'%s': directory %s is not writable (%s)",
				   l->path, dir, strerror(errno));
		return -EINVAL;
	}
	return 0;
}

static int lg_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	static const char *const formats[] = {"text", "json", NULL};
	struct lg *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->host = host;
	l->inst = inst;
	l->fd = -1;
	const char *out;
	int rc = host->cfg_enum(inst, "format", formats, FMT_TEXT, &l->format);
	host->cfg_string(inst, "output", NULL, &out);
	if (!out)
		l->output = OUT_LOG;
	else if (!strcmp(out, "syslog"))
		l->output = OUT_SYSLOG;
	else if (!strcmp(out, "stderr"))
		l->output = OUT_STDERR;
	else if (!strcmp(out, "stdout"))
		l->output = OUT_STDOUT;
	else if (out[0] == '/') {
		l->output = OUT_FILE;
		l->path = out;
		if (lg_check_path(l) < 0)
			rc = -EINVAL;
	} else {
		host->cfg_error(inst, "output",
				"'%s' is not syslog, stderr, stdout or an absolute path", out);
		rc = -EINVAL;
	}
	if (rc < 0) {
		free(l);
		return rc;
	}
	*priv = l;
	return 0;
}

static int lg_open(struct lg *l)
{
	/* O_NONBLOCK: opening a FIFO would wait for a reader; it is refused
	 * below instead (as the config check does), and cleared again for the
	 * regular file, whose writes must not come back short. */
	int fd = open(l->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		      0640);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0) {
		int e = errno;
		l->host->log(l->inst, NLEVD_LOG_ERR, "cannot open %s: %s", l->path, strerror(e));
		if (fd >= 0)
			close(fd);
		return -e;
	}
	int fl = fcntl(fd, F_GETFL);
	if (!S_ISREG(st.st_mode) || fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		int e = S_ISREG(st.st_mode) ? errno : EINVAL;
		l->host->log(l->inst, NLEVD_LOG_ERR, "cannot open %s: %s", l->path,
			     S_ISREG(st.st_mode) ? strerror(e) : "not a regular file");
		close(fd);
		return -e;
	}
	if (l->fd >= 0)
		close(l->fd);
	l->fd = fd;
	l->torn = false; /* a new file starts with a whole line */
	return 0;
}

static int lg_start(struct nlevd_instance *inst, void *priv)
{
	struct lg *l = priv;
	(void)inst;
	if (l->output == OUT_FILE)
		return lg_open(l);
	l->fd = l->output == OUT_STDOUT ? STDOUT_FILENO : STDERR_FILENO;
	return 0;
}

static void lg_reopen(struct nlevd_instance *inst, void *priv)
{
	struct lg *l = priv;
	(void)inst;
	if (l->output == OUT_FILE)
		lg_open(l); /* on failure the old file stays open */
}

/* A line that could be written only in part (a full disk) is cut off again,
 * so the output stays whole lines: a regular file is truncated back to where
 * the line began; elsewhere (a pipe) the next write first ends the torn line. */
static void tear_off(struct lg *l, size_t written)
{
	int e = errno; /* the write's error, for the caller to report */
	off_t end = lseek(l->fd, 0, SEEK_CUR);
	if (end >= (off_t)written && ftruncate(l->fd, end - (off_t)written) == 0)
		/* without O_APPEND (stdout redirected with >), also move back */
		lseek(l->fd, end - (off_t)written, SEEK_SET);
	else
		l->torn = true;
	errno = e;
}

static void write_line(struct lg *l, const char *buf, size_t len)
{
	size_t off = 0;
	if (l->torn) {
		ssize_t n;
		do
			n = write(l->fd, "\n", 1);
		while (n < 0 && errno == EINTR);
		if (n != 1) {
			if (n == 0)
				errno = EIO;
			goto failed;
		}
		l->torn = false;
	}
	while (off < len) {
		ssize_t n = write(l->fd, buf + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			if (off)
				tear_off(l, off);
			goto failed;
		}
		off += (size_t)n;
	}
	if (l->last_errno) {
		l->host->log(l->inst, NLEVD_LOG_NOTICE, "writing works again (%llu lines lost)",
			     l->failed);
		l->last_errno = 0;
	}
	l->lines++;
	return;
failed:;
	int e = errno;
	l->failed++;
	/* Report the first failure of a streak, not every line. */
	if (e != l->last_errno)
		l->host->log(l->inst, NLEVD_LOG_ERR, "writing %s: %s (%llu lines lost)",
			     l->path ? l->path : "output", strerror(e), l->failed);
	l->last_errno = e;
}

static void lg_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct lg *l = priv;
	char stack[1024], *buf = stack;
	size_t prefix = 0;
	if (l->format == FMT_TEXT && (l->output >= OUT_STDERR)) {
		struct tm tm;
		time_t sec = ev->time.tv_sec;
		gmtime_r(&sec, &tm);
		prefix = strftime(stack, sizeof(stack), "%Y-%m-%dT%H:%M:%S", &tm);
		prefix += (size_t)snprintf(stack + prefix, sizeof(stack) - prefix, ".%03ldZ ",
					   ev->time.tv_nsec / 1000000);
	}
	size_t (*enc)(const struct nlevd_event *, char *, size_t) =
		l->format == FMT_JSON ? l->host->event_json : l->host->event_text;
	size_t need = prefix + enc(ev, NULL, 0) + 2;
	if (need > sizeof(stack)) {
		if (!(buf = malloc(need))) {
			l->host->log(inst, NLEVD_LOG_ERR, "out of memory: event not logged");
			return;
		}
		memcpy(buf, stack, prefix);
	}
	size_t n = prefix + enc(ev, buf + prefix, need - prefix);
	switch (l->output) {
	case OUT_LOG:
		/* notice, not info: what this instance exists for must not vanish
		 * with log_level = notice. */
		l->host->log(inst, NLEVD_LOG_NOTICE, "%s", buf);
		l->lines++;
		break;
	case OUT_SYSLOG:
		syslog(LOG_DAEMON | LOG_NOTICE, "%s", buf);
		l->lines++;
		break;
	default:
		buf[n++] = '\n';
		write_line(l, buf, n);
	}
	if (buf != stack)
		free(buf);
}

static void lg_report(struct nlevd_instance *inst, void *priv, struct nlevd_status *st)
{
	(void)inst;
	struct lg *l = priv;
	const struct nlevd_host *h = l->host;
	h->status_string(st, "summary", "%llu lines written, %llu lost%s%s", l->lines, l->failed,
			 l->path ? " to " : "", l->path ? l->path : "");
	h->status_uint(st, "lines_written", l->lines);
	h->status_uint(st, "lines_lost", l->failed);
}

static void lg_destroy(struct nlevd_instance *inst, void *priv)
{
	struct lg *l = priv;
	(void)inst;
	if (l->output == OUT_FILE && l->fd >= 0)
		close(l->fd);
	free(l);
}

const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "log",
	.version = PACKAGE_VERSION,
	.keys = keys,
	.create = lg_create,
	.start = lg_start,
	.event = lg_event,
	.reopen = lg_reopen,
	.report = lg_report,
	.destroy = lg_destroy,
};
