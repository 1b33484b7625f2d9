/* Minimal TAP helpers for the unit tests: every check can fail.
 *
 *   ok(cond, fmt, ...)          a boolean check
 *   is_str(got, want, fmt, ...) string equality (NULL-safe), shows both on failure
 *   is_int(got, want, fmt, ...) integer equality, shows both on failure
 *   like(got, needle, fmt, ...) got contains needle (NULL-safe)
 *   diag(fmt, ...)              a "# " comment line
 *   tap_done()                  prints the plan; main() returns its value
 *
 * Each argument is evaluated exactly once. */
#ifndef NLEVD_TAP_H
#define NLEVD_TAP_H
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

static inline bool tap_vok(bool cond, const char *file, int line, const char *fmt, va_list ap)
{
	tap_n++;
	if (cond) {
		printf("ok %d - ", tap_n);
	} else {
		tap_fail++;
		printf("not ok %d - %s:%d: ", tap_n, file, line);
	}
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

__attribute__((format(printf, 4, 5))) static inline bool
tap_ok(bool cond, const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	bool r = tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	return r;
}

__attribute__((format(printf, 5, 6))) static inline bool
tap_is_str(const char *got, const char *want, const char *file, int line, const char *fmt, ...)
{
	bool cond = got && want ? strcmp(got, want) == 0 : got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got  '%s'\n#   want '%s'\n", got ? got : "(null)",
		       want ? want : "(null)");
	return cond;
}

__attribute__((format(printf, 5, 6))) static inline bool
tap_like(const char *got, const char *needle, const char *file, int line, const char *fmt, ...)
{
	bool cond = got && needle && strstr(got, needle);
	va_list ap;
	va_start(ap, fmt);
	tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got  '%s'\n#   lacks '%s'\n", got ? got : "(null)",
		       needle ? needle : "(null)");
	return cond;
}

__attribute__((format(printf, 5, 6))) static inline bool
tap_is_int(long long got, long long want, const char *file, int line, const char *fmt, ...)
{
	bool cond = got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_vok(cond, file, line, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got %lld want %lld\n", got, want);
	return cond;
}

#define ok(cond, ...) tap_ok(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
#define is_str(a, b, ...) tap_is_str((a), (b), __FILE__, __LINE__, __VA_ARGS__)
#define like(a, b, ...) tap_like((a), (b), __FILE__, __LINE__, __VA_ARGS__)
#define is_int(a, b, ...)                                                      \
	tap_is_int((long long)(a), (long long)(b), __FILE__, __LINE__, __VA_ARGS__)
#define diag(...) (printf("# "), printf(__VA_ARGS__), printf("\n"))

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_fail)
		printf("# %d of %d failed\n", tap_fail, tap_n);
	fflush(stdout);
	return tap_fail ? 1 : 0;
}
#endif
