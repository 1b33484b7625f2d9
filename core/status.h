/* status.c: structured status (host->status_*). */
#ifndef NLEVD_STATUS_H
#define NLEVD_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include "nlevd/plugin.h"

#define STATUS_KEY_MAX 32
#define STATUS_DEPTH_MAX 8
#define STATUS_BYTES_MAX (1u << 20)
#define STATUS_LINE_MAX 1536 /* under log.c's line, with the prefix */
struct nlevd_status *status_new(void);
void status_free(struct nlevd_status *st);
void status_object(struct nlevd_status *st, const char *key);
void status_list(struct nlevd_status *st, const char *key);
void status_end(struct nlevd_status *st);
void status_string(struct nlevd_status *st, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void status_uint(struct nlevd_status *st, const char *key, uint64_t v);
void status_bool(struct nlevd_status *st, const char *key, bool v);
unsigned status_dropped(const struct nlevd_status *st); /* calls that broke a rule */
const char *status_summary(const struct nlevd_status *st); /* the root's "summary", or NULL */
typedef void (*status_line_cb)(const char *line, void *arg);
/* Lines: one per root object, one per element of a root list of objects
 * ("FIRSTKEY VALUE: key value; ..."), one for the root's values. */
void status_text(const struct nlevd_status *st, status_line_cb cb, void *arg);
char *status_json(const struct nlevd_status *st); /* malloc'd; NULL: out of memory */
/* The root's "metrics" object, read only (metrics.c): a uint member K is
 * cb(K, NULL, NULL, v); an object member K whose only member is an object
 * L of uints is cb(K, L, M, v) for each uint member M of L.  Any other
 * member is not a metric and is skipped. */
typedef void (*status_metric_cb)(const char *name, const char *label, const char *label_value,
				 uint64_t v, void *arg);
void status_metrics(const struct nlevd_status *st, status_metric_cb cb, void *arg);

#endif
