/* Stands in for systemd's notification socket: binds an AF_UNIX datagram
 * socket at argv[1] (a path, or "@name" for an abstract one) and prints
 * every message it gets, one per line (the message's newlines become "|"),
 * until killed. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (argc != 2 || strlen(argv[1]) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "usage: notify-listen PATH\n");
		return 64;
	}
	strcpy(sa.sun_path, argv[1]);
	socklen_t len = sizeof(sa);
	if (argv[1][0] == '@') {
		sa.sun_path[0] = 0;
		len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(argv[1]));
	} else {
		unlink(argv[1]);
	}
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) < 0) {
		perror("notify-listen");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("listening\n");
	char buf[4096];
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
		if (n < 0)
			continue;
		buf[n] = 0;
		for (char *p = buf; *p; p++)
			if (*p == '\n')
				*p = '|';
		printf("%s\n", buf);
	}
}
