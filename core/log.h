/* log.c: the daemon's log: stderr or syslog, one level. */
#ifndef NLEVD_LOG_H
#define NLEVD_LOG_H

#include <stdarg.h>

#include "nlevd/plugin.h"

enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };
void log_setup(enum log_target target, int level);
int log_level_get(void);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_vmsg(int level, const char *prefix, const char *fmt, va_list ap);
#define log_err(...) log_msg(NLEVD_LOG_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(NLEVD_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(NLEVD_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(NLEVD_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(NLEVD_LOG_DEBUG, __VA_ARGS__)
int log_level_parse(const char *s);

#endif
