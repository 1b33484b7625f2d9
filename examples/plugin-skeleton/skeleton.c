/* skeleton: a complete out-of-tree nlevd plugin.  It appends one line per
 * event to `file`, and shows the ABI's pieces: the descriptor, its keys,
 * typed configuration with FILE:LINE errors, the host table, status. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nlevd/plugin.h>

struct skel {
	const struct nlevd_host *host;
	struct nlevd_instance *inst;
	const char *path;
	bool json;
	int fd;
	unsigned long long events;
};

/* Keys of this plugin; the core rejects any other (besides its own). */
static const char *const keys[] = {"file", "json", NULL};

static int skel_create(const struct nlevd_host *host, struct nlevd_instance *inst, void **priv)
{
	/* Check the host's ABI: a newer minor only appends fields. */
	if (host->abi_major != NLEVD_ABI_MAJOR)
		return -ENOTSUP;
	struct skel *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host = host;
	s->inst = inst;
	s->fd = -1;
	int rc = host->cfg_string(inst, "file", NULL, &s->path);
	if (rc == 0 && host->cfg_bool(inst, "json", true, &s->json) < 0)
		rc = -EINVAL;
	if (rc == 0 && (!s->path || s->path[0] != '/')) {
		host->cfg_error(inst, "file", "an absolute path is required");
		rc = -EINVAL;
	}
	if (rc < 0) {
		free(s); /* create() cleans up after itself: destroy() is not called */
		return rc;
	}
	*priv = s;
	return 0;
}

static int skel_start(struct nlevd_instance *inst, void *priv)
{
	struct skel *s = priv;
	s->fd = open(s->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (s->fd < 0) {
		s->host->log(inst, NLEVD_LOG_ERR, "cannot open %s: %s", s->path, strerror(errno));
		return -errno;
	}
	return 0;
}

static void skel_event(struct nlevd_instance *inst, void *priv, const struct nlevd_event *ev)
{
	struct skel *s = priv;
	char line[2048];
	size_t n = s->json ? s->host->event_json(ev, line, sizeof(line) - 1)
			   : s->host->event_text(ev, line, sizeof(line) - 1);
	if (n >= sizeof(line) - 1) {
		s->host->log(inst, NLEVD_LOG_WARNING, "event too long, dropped");
		return;
	}
	line[n++] = '\n';
	/* A regular file: a write does not block the loop for long. */
	if (write(s->fd, line, n) != (ssize_t)n)
		s->host->log(inst, NLEVD_LOG_ERR, "writing %s: %s", s->path, strerror(errno));
	s->events++;
}

static void skel_status(struct nlevd_instance *inst, void *priv)
{
	struct skel *s = priv;
	s->host->log(inst, NLEVD_LOG_NOTICE, "%llu events written to %s", s->events, s->path);
}

static void skel_destroy(struct nlevd_instance *inst, void *priv)
{
	struct skel *s = priv;
	(void)inst;
	if (s->fd >= 0)
		close(s->fd);
	free(s);
}

/* The one exported symbol. */
NLEVD_PLUGIN_EXPORT const struct nlevd_plugin nlevd_plugin = {
	NLEVD_PLUGIN_INIT,
	.name = "skeleton",
	.version = "1.0",
	.keys = keys,
	.create = skel_create,
	.start = skel_start,
	.event = skel_event,
	.status = skel_status,
	.destroy = skel_destroy,
};
