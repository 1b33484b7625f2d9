/* systemd's service notification protocol (Type=notify), spoken directly.
 *
 * The protocol is one AF_UNIX datagram per message, "KEY=VALUE" lines, sent
 * to the socket that $NOTIFY_SOCKET names: an absolute path, or an abstract
 * name written with a leading '@'.  systemd documents it as a stable
 * interface meant to be reimplemented (sd_notify(3), "Notes"), and doing so
 * keeps libsystemd and the six libraries it pulls in (compression, gcrypt,
 * libcap: about 1 MB of RSS and 120 kB of anonymous memory) out of a
 * daemon that only ever sends these few datagrams.
 *
 * Sending never blocks the loop (MSG_DONTWAIT) and never raises SIGPIPE. A
 * message that cannot be sent is logged once per failure streak: the
 * service manager may be gone or restarting, and the daemon goes on. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "log.h"
#include "notify.h"

static struct {
	int fd;
	struct sockaddr_un sa;
	socklen_t salen;
	bool failing;
} n = {.fd = -1};

int notify_init(void)
{
	const char *e = getenv("NOTIFY_SOCKET");
	if (!e || !*e)
		return 0;
	size_t len = strlen(e);
	int r = -1;
	memset(&n.sa, 0, sizeof(n.sa));
	n.sa.sun_family = AF_UNIX;
	if ((e[0] != '/' && e[0] != '@') || len >= sizeof(n.sa.sun_path)) {
		log_warn("NOTIFY_SOCKET=%s is neither an absolute path nor an abstract '@' name "
			 "that fits in a socket address; not notifying the service manager", e);
		goto out;
	}
	memcpy(n.sa.sun_path, e, len);
	if (e[0] == '@') {
		n.sa.sun_path[0] = 0; /* abstract: no terminating NUL counted */
		n.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
	} else {
		n.salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len + 1);
	}
	n.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (n.fd < 0) {
		log_warn("cannot notify the service manager: socket: %s", strerror(errno));
		goto out;
	}
	r = 1;
out:
	/* As sd_notify(unset_environment = 1): what the daemon starts (nsupdate,
	 * hooks) must not talk to the service manager in its name. */
	unsetenv("NOTIFY_SOCKET");
	return r;
}

int notify(const char *fmt, ...)
{
	if (n.fd < 0)
		return 0;
	char buf[4096 + 256];
	va_list ap;
	va_start(ap, fmt);
	int len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0)
		return -1;
	if ((size_t)len >= sizeof(buf))
		len = sizeof(buf) - 1; /* a long STATUS= is cut, the message still goes */
	ssize_t w;
	do
		w = sendto(n.fd, buf, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL,
			   (struct sockaddr *)&n.sa, n.salen);
	while (w < 0 && errno == EINTR);
	if (w < 0) {
		if (!n.failing)
			log_warn("cannot notify the service manager: %s", strerror(errno));
		n.failing = true;
		return -1;
	}
	n.failing = false;
	return 1;
}

void notify_close(void)
{
	if (n.fd >= 0)
		close(n.fd);
	n.fd = -1;
}
