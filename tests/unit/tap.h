/* Minimal TAP-ish helpers for the unit tests: every check can fail. */
#ifndef NLEVD_TAP_H
#define NLEVD_TAP_H
#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

#define ok(cond, ...)                                                          \
	do {                                                                   \
		tap_n++;                                                       \
		if (cond) {                                                    \
			printf("ok %d - ", tap_n);                             \
		} else {                                                       \
			tap_fail++;                                            \
			printf("not ok %d - %s:%d: ", tap_n, __FILE__, __LINE__); \
		}                                                              \
		printf(__VA_ARGS__);                                           \
		printf("\n");                                                  \
	} while (0)
#define is_str(a, b, ...) ok(strcmp((a), (b)) == 0, __VA_ARGS__), \
	(strcmp((a), (b)) ? printf("#   got '%s'\n#   want '%s'\n", (a), (b)) : 0)
#define is_int(a, b, ...) ok((long long)(a) == (long long)(b), __VA_ARGS__), \
	((long long)(a) != (long long)(b) ? printf("#   got %lld want %lld\n", (long long)(a), (long long)(b)) : 0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_fail)
		printf("# %d of %d failed\n", tap_fail, tap_n);
	return tap_fail ? 1 : 0;
}
#endif
