/* event.c: the one encoder of events for text, JSON and env. */
#ifndef NLEVD_EVENT_H
#define NLEVD_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

const char *event_name(enum nlevd_event_type t);
const char *event_name_of(const struct nlevd_event *ev); /* a plugin event's own name too */
int event_parse(const char *s);
/* The plugin events the core knows: an id 0 .. 31 for a name, or -1. */
int plugin_event_parse(const char *s);
const char *plugin_event_name(int id); /* NULL past the last */
void event_fields(const struct nlevd_event *ev, nlevd_field_cb cb, void *arg);
size_t event_json(const struct nlevd_event *ev, char *buf, size_t len);
size_t event_text(const struct nlevd_event *ev, char *buf, size_t len);
/* str as a JSON string, quotes included, ASCII only (\uXXXX), as snprintf. */
size_t json_quote(const char *str, char *buf, size_t len);
size_t addr_flags_str(uint32_t flags, int family, char *buf, size_t len);
size_t link_flags_str(uint32_t flags, char *buf, size_t len);
const char *scope_name(uint8_t scope);
const char *operstate_name(uint8_t op);

#endif
