/* state.c: the table of links and addresses, and the events its changes make. */
#ifndef NLEVD_STATE_H
#define NLEVD_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nlevd/plugin.h"

struct nl_rec;

typedef void (*state_event_cb)(const struct nlevd_event *ev, void *arg);
void state_init(state_event_cb cb, void *arg);
void state_free(void);
/* True when rec refers to an object the table does not have (an address of
 * an unknown interface): a message was lost, the state must be read again. */
bool state_apply(const struct nl_rec *rec);
void state_mark(void);  /* begin a resync: everything unseen */
void state_sweep(void); /* end it: what was not seen is gone */
bool state_link_known(int ifindex);
const struct nlevd_link *state_link_get(int ifindex);
int state_link_foreach(nlevd_link_cb cb, void *arg);
int state_addr_foreach(int ifindex, nlevd_addr_cb cb, void *arg);
void state_replay(state_event_cb cb, void *arg); /* initial events */
void state_dump_log(void);
size_t state_count_links(void);
size_t state_count_addrs(void);
bool addr_usable(uint32_t flags);

#endif
