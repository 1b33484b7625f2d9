/* libcurl's multi-socket interface driven by the daemon's libev loop: curl
 * says which sockets and timeout it waits for, libev watches them, nothing
 * ever blocks (names are resolved by curl's threaded resolver). */
#ifndef NLEVD_HTTP_CURLEV_H
#define NLEVD_HTTP_CURLEV_H
#include <curl/curl.h>
#include <ev.h>

struct curlev;

/* Called from the loop when a transfer ends, never from curlev_add(). */
typedef void (*curlev_done_cb)(CURL *easy, CURLcode rc, void *arg);

struct curlev *curlev_new(struct ev_loop *loop);
/* Abandons every transfer (no callback) and frees. */
void curlev_free(struct curlev *c);
/* Start easy (its CURLOPT_PRIVATE is taken for arg).  0 or -ENOMEM. */
int curlev_add(struct curlev *c, CURL *easy, curlev_done_cb done, void *arg);
/* Abandon easy: no callback follows; the caller still owns and frees it. */
void curlev_remove(struct curlev *c, CURL *easy);

#endif
