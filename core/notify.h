/* notify.c: systemd's notification protocol ($NOTIFY_SOCKET), without libsystemd. */
#ifndef NLEVD_NOTIFY_H
#define NLEVD_NOTIFY_H

/* notify_init() reads and unsets $NOTIFY_SOCKET: 1 if notifying, 0 if not
 * asked to, -1 on an unusable address (logged).  notify() sends one message
 * ("READY=1\nSTATUS=..."), without blocking. */
int notify_init(void);
int notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void notify_close(void);

#endif
