/* One HTTP request of the http plugin over libcurl: the options that make
 * it safe (TLS verified, no proxy from the environment, no redirects,
 * credentials only in memory, a bounded answer), and what came of it. */
#ifndef NLEVD_HTTP_CLIENT_H
#define NLEVD_HTTP_CLIENT_H
#include <stdbool.h>
#include <stddef.h>

#include "curlev.h"
#include "hconfig.h"
#include "proto.h"

struct http_res {
	enum http_class cls;
	bool tls;         /* the certificate was not trusted: an error, retried at retry_max */
	long status;      /* the HTTP status; 0 when none came */
	long retry_after; /* seconds, from Retry-After; 0 when none */
	char word[DYNDNS2_WORD_MAX]; /* for the status: "good", "HTTP 500", "timed out" */
	char msg[600];               /* for the log */
};

struct http_req;
typedef void (*http_req_cb)(struct http_req *r, const struct http_res *res, void *arg);

/* Start a request: dyndns2 GETs cfg->url with payload as the query,
 * webhook sends payload (len bytes) with cfg->method.  cb is called once,
 * from the loop; the request is freed when it returns.  0, or -ENOMEM with
 * nothing started. */
int http_req_start(struct curlev *cev, const struct http_config *cfg, const char *payload,
		   size_t len, http_req_cb cb, void *arg, struct http_req **out);
/* Abandon a request: no callback; freed. */
void http_req_cancel(struct http_req *r);
/* Once per process: curl_global_init, and libcurl kept loaded (its global
 * state must outlive the plugin, which a reload may unload).  0 or -1. */
int http_client_global_init(void);

#endif
