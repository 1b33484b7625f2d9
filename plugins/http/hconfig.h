/* The http plugin's configuration: its keys read and checked, the URL
 * parsed, and the secrets (password_file, header_file) loaded. */
#ifndef NLEVD_HTTP_HCONFIG_H
#define NLEVD_HTTP_HCONFIG_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nlevd/plugin.h>

enum { HTTP_DYNDNS2, HTTP_WEBHOOK };
enum { HTTP_POST, HTTP_PUT, HTTP_PATCH };
enum { HTTP_BODY_EVENT, HTTP_BODY_STATE };

struct http_secrets {
	char *password;  /* dyndns2: the first line of password_file */
	char **headers;  /* header then header_file's lines, "Name: value" */
	size_t nheaders;
};

struct http_config {
	int protocol, method, body;
	char *url;       /* as sent (dyndns2: the path defaulted), no query added */
	char host[256];  /* the URL's host, for the log and events */
	bool https;
	const char *const *hostnames; /* dyndns2 */
	size_t nhostnames;
	const char *username, *password_file, *header, *header_file, *ca_file;
	struct http_secrets sec;
	uint64_t timeout_ms, retry_ms, retry_max_ms, delete_delay_ms, queue;
	bool want4, want6; /* from the instance's `family` */
};

/* The plugin's own keys (nlevd_plugin.keys). */
extern const char *const http_keys[];

/* Read and check everything; errors go to host->cfg_error.  0 or -EINVAL. */
int http_config_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		     struct http_config *cfg);
/* SIGHUP: read the secret files again; a broken one is logged and the old
 * secrets kept.  0, or -1 when they were kept. */
int http_config_reload(const struct nlevd_host *host, struct nlevd_instance *inst,
		       struct http_config *cfg);
void http_config_free(struct http_config *cfg);

#endif
