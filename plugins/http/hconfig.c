/* The http plugin's configuration: its keys read and checked, the URL
 * parsed with libcurl's own parser, and the secrets loaded from files. */
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../dns/keyfile.h"
#include "hconfig.h"
#include "hdrs.h"

const char *const http_keys[] = {"protocol", "url", "hostname", "username", "password_file",
				 "method", "body", "header", "header_file", "ca_file", "queue",
				 "timeout", "retry", "retry_max", "delete_delay", NULL};

/* A secret file, whole: opened without blocking on a FIFO, a regular file
 * of at most max bytes.  The malloc'd content (NUL-terminated, *len bytes)
 * or NULL with the reason in err.  The caller wipes it. */
static char *secret_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	struct stat st;
	int fd = keyfile_open(path, &st, err, errlen);
	if (fd < 0)
		return NULL;
	char *buf = malloc(max + 1);
	size_t n = 0;
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		close(fd);
		return NULL;
	}
	for (;;) {
		ssize_t r = read(fd, buf + n, max + 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
			goto fail;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n > max) {
			snprintf(err, errlen, "%s: longer than %zu bytes", path, max);
			goto fail;
		}
	}
	close(fd);
	buf[n] = 0;
	*len = n;
	return buf;
fail:
	close(fd);
	explicit_bzero(buf, max + 1);
	free(buf);
	return NULL;
}

static void mode_warn(const struct nlevd_host *host, struct nlevd_instance *inst, const char *path)
{
	char err[300], warn[400];
	struct stat st;
	int fd = keyfile_open(path, &st, err, sizeof(err));
	if (fd < 0)
		return;
	close(fd);
	if (keyfile_mode_check(path, &st, geteuid(), warn, sizeof(warn)))
		host->log(inst, NLEVD_LOG_WARNING, "%s", warn);
}

static void secrets_free(struct http_secrets *s)
{
	if (s->password) {
		explicit_bzero(s->password, strlen(s->password));
		free(s->password);
	}
	hdrs_free(s->headers, s->nheaders);
	memset(s, 0, sizeof(*s));
}

/* Load the secrets into s; NULL, or the key at fault with the reason in
 * err (nothing left allocated). */
static const char *secrets_load(const struct http_config *cfg, struct http_secrets *s,
				char *err, size_t errlen)
{
	char why[400];
	memset(s, 0, sizeof(*s));
	if (cfg->password_file) {
		size_t n;
		char *buf = secret_read(cfg->password_file, 4096, &n, err, errlen);
		if (!buf)
			return "password_file";
		size_t l = strcspn(buf, "\r\n");
		bool bad = memchr(buf, 0, l) != NULL || l == 0;
		for (size_t i = 0; i < l && !bad; i++)
			bad = (unsigned char)buf[i] < ' ' || buf[i] == 0x7f;
		if (bad) {
			explicit_bzero(buf, n);
			free(buf);
			snprintf(err, errlen, "%s: the first line must hold the password%s",
				 cfg->password_file, l ? " (no control characters)" : "");
			return "password_file";
		}
		buf[l] = 0;
		s->password = strdup(buf);
		explicit_bzero(buf, n);
		free(buf);
		if (!s->password) {
			snprintf(err, errlen, "out of memory");
			return "password_file";
		}
	}
	char **file = NULL;
	size_t nfile = 0;
	if (cfg->header_file) {
		size_t n;
		char *buf = secret_read(cfg->header_file, HDRS_FILE_MAX, &n, err, errlen);
		if (!buf) {
			secrets_free(s);
			return "header_file";
		}
		int r = hdrs_parse(buf, n, &file, &nfile, why, sizeof(why));
		explicit_bzero(buf, n);
		free(buf);
		if (r < 0) {
			snprintf(err, errlen, "%s: %s", cfg->header_file, why);
			secrets_free(s);
			return "header_file";
		}
	}
	size_t total = nfile + (cfg->header ? 1 : 0);
	if (total) {
		s->headers = calloc(total, sizeof(*s->headers));
		if (!s->headers) {
			hdrs_free(file, nfile);
			secrets_free(s);
			snprintf(err, errlen, "out of memory");
			return "header_file";
		}
	}
	if (cfg->header) {
		char out[HDRS_LINE_MAX + 1];
		if (hdr_check(cfg->header, strlen(cfg->header), out, sizeof(out), why,
			      sizeof(why)) < 0 ||
		    !(s->headers[s->nheaders] = strdup(out))) {
			snprintf(err, errlen, "%s", s->headers ? why : "out of memory");
			hdrs_free(file, nfile);
			secrets_free(s);
			return "header";
		}
		s->nheaders++;
	}
	for (size_t i = 0; i < nfile; i++)
		s->headers[s->nheaders++] = file[i];
	free(file); /* the lines moved to s */
	return NULL;
}

/* url: http:// or https://, no credentials, no fragment; dyndns2's path
 * defaults to /nic/update.  Sets cfg->url, host, https. */
static int url_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		    struct http_config *cfg, const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *h = NULL, *user = NULL, *pass = NULL, *frag = NULL, *path = NULL;
	int ret = -EINVAL;
	if (!u)
		return -ENOMEM;
	if (strlen(url) > 2048) {
		host->cfg_error(inst, "url", "longer than 2048 characters");
		goto out;
	}
	CURLUcode rc = curl_url_set(u, CURLUPART_URL, url, 0);
	if (rc) {
		host->cfg_error(inst, "url", "'%s' is not a URL: %s", url, curl_url_strerror(rc));
		goto out;
	}
	curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
	curl_url_get(u, CURLUPART_HOST, &h, 0);
	curl_url_get(u, CURLUPART_USER, &user, 0);
	curl_url_get(u, CURLUPART_PASSWORD, &pass, 0);
	curl_url_get(u, CURLUPART_FRAGMENT, &frag, 0);
	curl_url_get(u, CURLUPART_PATH, &path, 0);
	if (!scheme || (strcmp(scheme, "https") && strcmp(scheme, "http"))) {
		host->cfg_error(inst, "url", "must start with https:// (or http://)");
		goto out;
	}
	if (user || pass) {
		/* It would be in the log and the status; the password has its
		 * own file. */
		host->cfg_error(inst, "url", "has credentials in it: use username and "
					     "password_file (or header_file)");
		goto out;
	}
	if (frag) {
		host->cfg_error(inst, "url", "has a fragment (#...), which is never sent");
		goto out;
	}
	if (!h || !*h || strlen(h) >= sizeof(cfg->host)) {
		host->cfg_error(inst, "url", "has no host");
		goto out;
	}
	if (cfg->protocol == HTTP_DYNDNS2 && (!path || !strcmp(path, "/")) &&
	    curl_url_set(u, CURLUPART_PATH, "/nic/update", 0)) {
		ret = -ENOMEM;
		goto out;
	}
	char *full = NULL;
	if (curl_url_get(u, CURLUPART_URL, &full, 0) || !full) {
		ret = -ENOMEM;
		goto out;
	}
	cfg->url = strdup(full);
	curl_free(full);
	if (!cfg->url) {
		ret = -ENOMEM;
		goto out;
	}
	snprintf(cfg->host, sizeof(cfg->host), "%s", h);
	cfg->https = !strcmp(scheme, "https");
	ret = 0;
out:
	curl_free(scheme);
	curl_free(h);
	curl_free(user);
	curl_free(pass);
	curl_free(frag);
	curl_free(path);
	curl_url_cleanup(u);
	return ret;
}

/* A host name as providers take it: letters, digits, '-', '_' and dots. */
static bool hostname_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 253 || *s == '.' || *s == '-')
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '-' || *s == '.' || *s == '_'))
			return false;
	return true;
}

static bool file_readable(const struct nlevd_host *host, struct nlevd_instance *inst,
			  const char *key, const char *path)
{
	char err[300];
	struct stat st;
	if (path[0] != '/') {
		host->cfg_error(inst, key, "'%s' is not an absolute path", path);
		return false;
	}
	int fd = keyfile_open(path, &st, err, sizeof(err));
	if (fd < 0) {
		host->cfg_error(inst, key, "%s", err);
		return false;
	}
	close(fd);
	return true;
}

int http_config_read(const struct nlevd_host *host, struct nlevd_instance *inst,
		     struct http_config *cfg)
{
	static const char *const methods[] = {"POST", "PUT", "PATCH", NULL};
	static const char *const bodies[] = {"event", "state", NULL};
	const char *protocol = NULL, *url = NULL, *hostnames = NULL;
	int bad = 0;
	memset(cfg, 0, sizeof(*cfg));
	if (host->cfg_string_required(inst, "protocol", &protocol) < 0)
		return -EINVAL;
	if (!strcmp(protocol, "dyndns2")) {
		cfg->protocol = HTTP_DYNDNS2;
	} else if (!strcmp(protocol, "webhook")) {
		cfg->protocol = HTTP_WEBHOOK;
	} else {
		host->cfg_error(inst, "protocol", "'%s': dyndns2 or webhook", protocol);
		return -EINVAL;
	}
	bool dd = cfg->protocol == HTTP_DYNDNS2;
	if (host->cfg_string_required(inst, "url", &url) < 0)
		bad = -EINVAL;
	host->cfg_string(inst, "hostname", NULL, &hostnames);
	host->cfg_string(inst, "username", NULL, &cfg->username);
	host->cfg_string(inst, "password_file", NULL, &cfg->password_file);
	host->cfg_string(inst, "header", NULL, &cfg->header);
	host->cfg_string(inst, "header_file", NULL, &cfg->header_file);
	host->cfg_string(inst, "ca_file", NULL, &cfg->ca_file);
	if (host->cfg_enum(inst, "method", methods, HTTP_POST, &cfg->method) < 0 ||
	    host->cfg_enum(inst, "body", bodies, HTTP_BODY_EVENT, &cfg->body) < 0)
		bad = -EINVAL;
	if (host->cfg_duration_range(inst, "timeout", 10000, 100, 3600000, &cfg->timeout_ms) < 0 ||
	    host->cfg_duration_range(inst, "retry", 5000, 100, 86400000, &cfg->retry_ms) < 0 ||
	    host->cfg_duration_range(inst, "retry_max", 600000, 100, 86400000,
				     &cfg->retry_max_ms) < 0 ||
	    host->cfg_duration_ms(inst, "delete_delay", 10000, &cfg->delete_delay_ms) < 0 ||
	    host->cfg_uint(inst, "queue", 1024, 1, 1000000, &cfg->queue) < 0)
		bad = -EINVAL;
	if (!bad && cfg->retry_max_ms < cfg->retry_ms) {
		host->cfg_error(inst, "retry_max", "is less than retry");
		bad = -EINVAL;
	}
	unsigned fam = host->families(inst);
	cfg->want4 = fam & NLEVD_FAMILY_IPV4;
	cfg->want6 = fam & NLEVD_FAMILY_IPV6;

	/* Keys for the other protocol are mistakes, not options. */
	static const char *const dd_only[] = {"hostname", "username", "password_file", NULL};
	static const char *const wh_only[] = {"method", "body", "queue", NULL};
	for (const char *const *k = dd ? wh_only : dd_only; *k; k++) {
		const char *v = NULL;
		host->cfg_string(inst, *k, NULL, &v);
		if (v) {
			host->cfg_error(inst, *k, "is for protocol = %s", dd ? "webhook" : "dyndns2");
			bad = -EINVAL;
		}
	}
	if (dd) {
		if (!hostnames) {
			host->cfg_error(inst, "hostname", "required for protocol = dyndns2");
			bad = -EINVAL;
		} else if (host->cfg_words(inst, "hostname", NULL, &cfg->hostnames,
					   &cfg->nhostnames) < 0) {
			bad = -EINVAL;
		} else if (!cfg->nhostnames) {
			host->cfg_error(inst, "hostname", "empty: a value is required");
			bad = -EINVAL;
		} else {
			for (size_t i = 0; i < cfg->nhostnames; i++)
				if (!hostname_ok(cfg->hostnames[i])) {
					host->cfg_error(inst, "hostname", "'%s' is not a host name",
							cfg->hostnames[i]);
					bad = -EINVAL;
				}
		}
		if (cfg->password_file && !cfg->username) {
			host->cfg_error(inst, "password_file", "needs username");
			bad = -EINVAL;
		}
		if (cfg->username) {
			bool ok = *cfg->username && strlen(cfg->username) < 256 &&
				  !strchr(cfg->username, ':');
			for (const char *c = cfg->username; ok && *c; c++)
				ok = (unsigned char)*c >= ' ' && *c != 0x7f;
			if (!ok) {
				host->cfg_error(inst, "username", "must be printable, without ':'");
				bad = -EINVAL;
			}
		}
	}
	if (url) {
		int r = url_read(host, inst, cfg, url);
		if (r == -ENOMEM)
			return r;
		if (r < 0)
			bad = r;
	}
	if (cfg->url && !cfg->https && (cfg->password_file || cfg->header_file)) {
		host->cfg_error(inst, cfg->password_file ? "password_file" : "header_file",
				"would be sent in clear over http://; use https://");
		bad = -EINVAL;
	}
	if (cfg->ca_file) {
		if (file_readable(host, inst, "ca_file", cfg->ca_file)) {
			const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
			if (!v->ssl_version || strncmp(v->ssl_version, "OpenSSL", 7)) {
				host->cfg_error(inst, "ca_file", "needs libcurl built with OpenSSL "
								 "(this one has %s)",
						v->ssl_version ? v->ssl_version : "no TLS");
				bad = -EINVAL;
			}
		} else {
			bad = -EINVAL;
		}
	}
	if (cfg->password_file && !file_readable(host, inst, "password_file", cfg->password_file))
		bad = -EINVAL;
	if (cfg->header_file && !file_readable(host, inst, "header_file", cfg->header_file))
		bad = -EINVAL;
	if (bad)
		return bad;
	char err[600];
	const char *key = secrets_load(cfg, &cfg->sec, err, sizeof(err));
	if (key) {
		host->cfg_error(inst, key, "%s", err);
		return -EINVAL;
	}
	if (cfg->password_file)
		mode_warn(host, inst, cfg->password_file);
	if (cfg->header_file)
		mode_warn(host, inst, cfg->header_file);
	return 0;
}

int http_config_reload(const struct nlevd_host *host, struct nlevd_instance *inst,
		       struct http_config *cfg)
{
	if (!cfg->password_file && !cfg->header_file)
		return 0;
	struct http_secrets s;
	char err[600];
	const char *key = secrets_load(cfg, &s, err, sizeof(err));
	if (key) {
		host->log(inst, NLEVD_LOG_ERR, "%s: %s; the old one is kept", key, err);
		return -1;
	}
	secrets_free(&cfg->sec);
	cfg->sec = s;
	if (cfg->password_file)
		mode_warn(host, inst, cfg->password_file);
	if (cfg->header_file)
		mode_warn(host, inst, cfg->header_file);
	return 0;
}

void http_config_free(struct http_config *cfg)
{
	secrets_free(&cfg->sec);
	free(cfg->url);
	memset(cfg, 0, sizeof(*cfg));
}
