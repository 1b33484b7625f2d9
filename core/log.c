/* Logging to stderr or syslog, with levels. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

static enum log_target target = LOG_TARGET_STDERR;
static int max_level = NLEVD_LOG_INFO;
static bool syslog_open;

static const char *const level_names[] = {
	[NLEVD_LOG_ERR] = "error",   [NLEVD_LOG_WARNING] = "warning",
	[NLEVD_LOG_NOTICE] = "notice", [NLEVD_LOG_INFO] = "info",
	[NLEVD_LOG_DEBUG] = "debug",
};

int log_level_parse(const char *s)
{
	for (int i = NLEVD_LOG_ERR; i <= NLEVD_LOG_DEBUG; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	return -1;
}

void log_setup(enum log_target t, int level)
{
	if (level < NLEVD_LOG_ERR)
		level = NLEVD_LOG_ERR;
	if (level > NLEVD_LOG_DEBUG)
		level = NLEVD_LOG_DEBUG;
	max_level = level;
	if (t == LOG_TARGET_SYSLOG && !syslog_open) {
		openlog("nlevd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		syslog_open = true;
	}
	target = t;
}

int log_level_get(void)
{
	return max_level;
}

void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap)
{
	if (level > max_level)
		return;
	/* Plugins pass any int (host->log): crit and above, or nonsense, are
	 * logged as errors instead of indexing past level_names. */
	if (level < NLEVD_LOG_ERR)
		level = NLEVD_LOG_ERR;
	char msg[2048];
	int n = 0;
	if (prefix)
		n = snprintf(msg, sizeof(msg), "[%s] ", prefix);
	if (n < 0 || (size_t)n >= sizeof(msg))
		n = 0;
	vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
	/* Never let a byte from the outside (an interface name, a hook's
	 * output) forge a log line or reach a terminal as an escape sequence:
	 * C0, DEL, C1 controls and bytes that are not UTF-8 become \xNN. */
	char safe[sizeof(msg) * 4];
	size_t o = 0;
	for (const unsigned char *p = (const unsigned char *)msg; *p && o + 5 < sizeof(safe);) {
		uint32_t cp = 0;
		int k = *p >= 0x20 && *p < 0x7f ? 1 : *p >= 0x80 ? utf8_seq(p, &cp) : 0;
		if (k > 1 && cp <= 0x9f)
			k = 0;
		if (!k) {
			o += (size_t)snprintf(safe + o, sizeof(safe) - o, "\\x%02x", *p++);
			continue;
		}
		while (k--)
			safe[o++] = (char)*p++;
	}
	safe[o] = 0;
	if (target == LOG_TARGET_SYSLOG) {
		syslog(level, "%s", safe);
		return;
	}
	char line[sizeof(safe) + 32];
	int len = snprintf(line, sizeof(line), "nlevd: %s: %s\n",
			   level_names[level], safe);
	if (len > (int)sizeof(line) - 1) {
		len = (int)sizeof(line) - 1;
		line[len - 1] = '\n';
	}
	/* One write() per line, so lines from hooks and events never mix. */
	if (write(STDERR_FILENO, line, (size_t)len) < 0) {
		/* nowhere left to report it */
	}
}

void log_msg(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	log_vmsg(level, NULL, fmt, ap);
	va_end(ap);
}
