/* filter.c: an instance's filter: the core's per-instance keys, parsed and matched. */
#ifndef NLEVD_FILTER_H
#define NLEVD_FILTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

struct cfg_kv;
struct cfg_section;
struct prefix;

struct filter {
	uint32_t events; /* bit per enum nlevd_event_type */
	uint32_t pevents; /* bit per plugin_event_parse() id; none by default */
	char **ifpat;    /* patterns; "!" prefix excludes */
	uint8_t families; /* 1 = ipv4, 2 = ipv6 */
	uint8_t scopes;   /* NLEVD_SCOPE_* */
	struct prefix *prefixes;
	bool *prefix_neg;
	size_t nprefixes;
	bool temporary;
	bool startup;
	uint64_t settle_ms;
};
/* The core's per-instance keys that filter_parse() reads (NULL-terminated). */
extern const char *const filter_keys[];
/* An error about key kv (NULL: the section), msg already formatted. */
typedef void (*filter_error_cb)(void *arg, const struct cfg_kv *kv, const char *msg);
/* The keys of s into f, with p's defaults; every bad key goes to err.
 * 0 or -EINVAL; either way f is filter_free()'d by the caller. */
int filter_parse(struct filter *f, struct cfg_section *s, const struct nlevd_plugin *p,
		 filter_error_cb err, void *arg);
bool filter_ifname(const struct filter *f, const char *ifname);
bool filter_addr(const struct filter *f, const struct nlevd_addr *a);
bool filter_event(const struct filter *f, const struct nlevd_event *ev);
bool filter_plugin_event(const struct filter *f, int id); /* plugin_event_parse() id */
void filter_free(struct filter *f);

#endif
