/* Stands in for systemd's notification socket: binds an AF_UNIX datagram
 * socket at argv[1] and prints every message it gets, one per line (the
 * message's newlines become " | "), until killed. */
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
	int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("notify-listen");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
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
