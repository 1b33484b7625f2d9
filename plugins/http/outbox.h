/* An http instance's outbox: what waits to be sent, the one request in
 * flight, back-off, the block after a permanent answer, the counters and
 * the status.  It knows payloads, not what they mean. */
#ifndef NLEVD_HTTP_OUTBOX_H
#define NLEVD_HTTP_OUTBOX_H
#include <stdbool.h>
#include <stddef.h>

#include <nlevd/plugin.h>

#include "client.h"
#include "curlev.h"
#include "hconfig.h"

struct outbox;

/* A request ended.  meta: what the caller put with the payload. */
typedef void (*outbox_result_cb)(void *arg, const char *meta, const struct http_res *res);

/* latest: only the newest payload matters (a state): a new one replaces
 * the one waiting, one equal to what was last delivered is not sent, and a
 * permanent answer blocks everything until outbox_unblock().  Otherwise a
 * queue of cfg->queue payloads (events), each sent once, in order. */
/* label starts every log line of a result ("HOST: NAMES"). */
struct outbox *outbox_new(const struct nlevd_host *host, struct nlevd_instance *inst,
			  const struct http_config *cfg, const char *label, bool latest,
			  outbox_result_cb cb, void *arg);
void outbox_free(struct outbox *o); /* abandons what is in flight */
/* Queue payload (len bytes) with meta (a short string for the caller,
 * may be NULL).  0 or -ENOMEM. */
int outbox_put(struct outbox *o, const char *payload, size_t len, const char *meta);
/* nlevctl push: send now, whatever back-off or block; with latest,
 * nothing waiting and again set, the last payload again. */
void outbox_push(struct outbox *o, bool again);
/* A reload: a block after a permanent answer ends, back-off stays. */
void outbox_unblock(struct outbox *o);
/* Nothing waiting, nothing in flight. */
bool outbox_idle(const struct outbox *o);
bool outbox_blocked(const struct outbox *o);
/* state (the given one, or NULL: outbox_state()), last_result, error,
 * retry_in, queue, and the metrics. */
void outbox_report(struct outbox *o, struct nlevd_status *st, const char *state);
/* "idle", "sending", "backoff", "blocked". */
const char *outbox_state(const struct outbox *o);

#endif
