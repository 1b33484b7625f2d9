/* util.c: value parsers and small helpers, pure. */
#ifndef NLEVD_UTIL_H
#define NLEVD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define container_of(p, type, member)                                           \
	((type *)(void *)((char *)(p)-offsetof(type, member)))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

int parse_bool(const char *s, bool *out);
int parse_uint(const char *s, uint64_t max, uint64_t *out);
int parse_duration_ms(const char *s, uint64_t *out);
int parse_size(const char *s, uint64_t *out);
/* Split on blanks into a NULL-terminated vector of strdup'd words. */
char **split_words(const char *s, size_t *n);
void free_words(char **v);
struct prefix {
	uint8_t family;
	uint8_t len;
	uint8_t addr[16];
};
int parse_prefix(const char *s, struct prefix *p);
bool prefix_match(const struct prefix *p, int family, const uint8_t *addr);
bool name_valid(const char *s); /* [A-Za-z0-9_.-]+ */
int utf8_seq(const unsigned char *p, uint32_t *cp); /* valid UTF-8 sequence length or 0 */
uint64_t now_ms(void);

#endif
