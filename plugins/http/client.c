/* One HTTP request of the http plugin over libcurl, made safe by its
 * options, and its outcome classified: HTTP answers by the protocol, curl's
 * own failures (timeouts, refused connections, certificates) here. */
#include <dlfcn.h>
#include <errno.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client.h"

/* The answer kept for the classification and the log; more is read and
 * dropped, up to ANSWER_MAX, then the transfer is cut (a flooding server). */
#define ANSWER_KEEP 4096
#define ANSWER_MAX (1024 * 1024)

struct http_req {
	struct curlev *cev;
	const struct http_config *cfg;
	CURL *easy;
	struct curl_slist *hdrs;
	char *url, *body;
	http_req_cb cb;
	void *arg;
	char answer[ANSWER_KEEP + 1];
	size_t kept, total;
	char errbuf[CURL_ERROR_SIZE];
};

int http_client_global_init(void)
{
	static bool done;
	if (done)
		return 0;
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		return -1;
	/* A reload may unload this plugin; libcurl and OpenSSL keep global
	 * state that must stay with them. */
	dlopen("libcurl.so.4", RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
	done = true;
	return 0;
}

static size_t write_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_req *r = arg;
	size_t len = size * n;
	if (r->total + len > ANSWER_MAX)
		return 0; /* CURLE_WRITE_ERROR: "the answer is too long" */
	r->total += len;
	size_t take = len < ANSWER_KEEP - r->kept ? len : ANSWER_KEEP - r->kept;
	memcpy(r->answer + r->kept, p, take);
	r->kept += take;
	r->answer[r->kept] = 0;
	return len;
}

/* ca_file adds to the store libcurl's OpenSSL backend loaded (CURLOPT_CAINFO
 * would replace the system's CAs). */
static CURLcode ssl_ctx_cb(CURL *easy, void *ctx, void *arg)
{
	(void)easy;
	const char *ca = arg;
	if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1)
		return CURLE_SSL_CACERT_BADFILE;
	return CURLE_OK;
}

static void req_free(struct http_req *r)
{
	if (r->easy)
		curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->hdrs);
	free(r->url);
	free(r->body);
	free(r);
}

/* Printable, one line, for the log: what a server says is not trusted. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = ' ';
}

static void classify(struct http_req *r, CURLcode rc, struct http_res *res)
{
	const struct http_config *cfg = r->cfg;
	memset(res, 0, sizeof(*res));
	clean(r->errbuf);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &res->status);
		curl_off_t ra = 0;
		if (curl_easy_getinfo(r->easy, CURLINFO_RETRY_AFTER, &ra) == CURLE_OK && ra > 0)
			res->retry_after = ra > 86400 ? 86400 : (long)ra;
		res->cls = cfg->protocol == HTTP_DYNDNS2
				   ? dyndns2_classify(res->status, r->answer, r->kept, res->word,
						      sizeof(res->word))
				   : webhook_classify(res->status, res->word, sizeof(res->word));
		/* The first line of the answer, so the log says what the
		 * server said beyond the word. */
		char first[120];
		size_t l = strcspn(r->answer, "\r\n");
		snprintf(first, sizeof(first), "%.*s", (int)(l < 119 ? l : 119), r->answer);
		clean(first);
		if (cfg->protocol == HTTP_DYNDNS2 || res->cls == HTTP_OK || !*first)
			snprintf(res->msg, sizeof(res->msg), "%s", res->word);
		else
			snprintf(res->msg, sizeof(res->msg), "%s: %s", res->word, first);
		return;
	}
	res->cls = HTTP_TRANSIENT;
	const char *detail = *r->errbuf ? r->errbuf : curl_easy_strerror(rc);
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		snprintf(res->word, sizeof(res->word), "timed out");
		snprintf(res->msg, sizeof(res->msg), "timed out after %llu ms (%s)",
			 (unsigned long long)cfg->timeout_ms, detail);
		break;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		res->tls = true;
		snprintf(res->word, sizeof(res->word), "TLS: certificate not trusted");
		snprintf(res->msg, sizeof(res->msg),
			 "TLS: the server's certificate is not trusted (%s); nothing was sent%s", detail,
			 cfg->ca_file ? "" : "; ca_file adds a CA");
		break;
	case CURLE_COULDNT_RESOLVE_HOST:
		snprintf(res->word, sizeof(res->word), "cannot resolve");
		snprintf(res->msg, sizeof(res->msg), "cannot resolve %s (%s)", cfg->host, detail);
		break;
	case CURLE_COULDNT_CONNECT:
		snprintf(res->word, sizeof(res->word), "cannot connect");
		snprintf(res->msg, sizeof(res->msg), "cannot connect (%s)", detail);
		break;
	case CURLE_WRITE_ERROR:
		snprintf(res->word, sizeof(res->word), "answer too long");
		snprintf(res->msg, sizeof(res->msg), "the answer is longer than %d bytes; cut",
			 ANSWER_MAX);
		break;
	default:
		snprintf(res->word, sizeof(res->word), "%s", curl_easy_strerror(rc));
		snprintf(res->msg, sizeof(res->msg), "%s", detail);
		break;
	}
}

static void done_cb(CURL *easy, CURLcode rc, void *arg)
{
	(void)easy;
	struct http_req *r = arg;
	struct http_res res;
	classify(r, rc, &res);
	r->cb(r, &res, r->arg);
	req_free(r);
}

#define SET(opt, val)                                                                          \
	do {                                                                                   \
		if (curl_easy_setopt(r->easy, opt, val) != CURLE_OK)                          \
			goto fail;                                                             \
	} while (0)

int http_req_start(struct curlev *cev, const struct http_config *cfg, const char *payload,
		   size_t len, http_req_cb cb, void *arg, struct http_req **out)
{
	struct http_req *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r)
		return -ENOMEM;
	r->cev = cev;
	r->cfg = cfg;
	r->cb = cb;
	r->arg = arg;
	if (!(r->easy = curl_easy_init()))
		goto fail;
	if (cfg->protocol == HTTP_DYNDNS2) {
		size_t n = strlen(cfg->url) + 1 + len + 1;
		if (!(r->url = malloc(n)))
			goto fail;
		snprintf(r->url, n, "%s%c%.*s", cfg->url, strchr(cfg->url, '?') ? '&' : '?', (int)len,
			 payload);
		SET(CURLOPT_HTTPGET, 1L);
	} else {
		if (!(r->url = strdup(cfg->url)) || !(r->body = malloc(len + 1)))
			goto fail;
		memcpy(r->body, payload, len);
		r->body[len] = 0;
		SET(CURLOPT_POSTFIELDS, r->body);
		SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		if (cfg->method != HTTP_POST)
			SET(CURLOPT_CUSTOMREQUEST, cfg->method == HTTP_PUT ? "PUT" : "PATCH");
	}
	SET(CURLOPT_URL, r->url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 0L); /* a 3xx is an answer: the url is wrong */
	/* The daemon's behaviour never depends on who started it: no proxy,
	 * no .netrc from the environment. */
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_NOSIGNAL, 1L);
	/* Abandoning a transfer whose name is still being resolved must not
	 * wait for the resolver's thread (a reload, a timeout): let it finish
	 * on its own (CURLOPT_QUICK_EXIT, libcurl 7.87; older ones wait). */
	curl_easy_setopt(r->easy, CURLOPT_QUICK_EXIT, 1L);
	SET(CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	SET(CURLOPT_USERAGENT, "nlevd/" PACKAGE_VERSION);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
	/* The system's CAs from the bundle file alone: with a CA directory
	 * too (Debian's libcurl sets both) curl cannot cache the store, and
	 * OpenSSL would parse the whole bundle again on the loop for every
	 * connection (about 35 ms); cached, that happens once a day. */
	SET(CURLOPT_CAPATH, NULL);
	if (cfg->ca_file) {
		SET(CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
		SET(CURLOPT_SSL_CTX_DATA, (void *)cfg->ca_file);
	}
	SET(CURLOPT_WRITEFUNCTION, write_cb);
	SET(CURLOPT_WRITEDATA, r);
	SET(CURLOPT_ERRORBUFFER, r->errbuf);
	if (cfg->username) {
		/* Sent only once TLS has verified the server: the handshake fails
		 * before any request with an untrusted certificate. */
		SET(CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		SET(CURLOPT_USERNAME, cfg->username);
		SET(CURLOPT_PASSWORD, cfg->sec.password ? cfg->sec.password : "");
	}
	bool ctype = false;
	for (size_t i = 0; i < cfg->sec.nheaders; i++) {
		struct curl_slist *l = curl_slist_append(r->hdrs, cfg->sec.headers[i]);
		if (!l)
			goto fail;
		r->hdrs = l;
		ctype = ctype || !strncasecmp(cfg->sec.headers[i], "content-type:", 13);
	}
	if (cfg->protocol == HTTP_WEBHOOK) {
		static const char *const more[] = {"Content-Type: application/json", "Expect:"};
		for (size_t i = ctype ? 1 : 0; i < 2; i++) {
			struct curl_slist *l = curl_slist_append(r->hdrs, more[i]);
			if (!l)
				goto fail;
			r->hdrs = l;
		}
	}
	if (r->hdrs)
		SET(CURLOPT_HTTPHEADER, r->hdrs);
	if (curlev_add(cev, r->easy, done_cb, r) < 0)
		goto fail;
	*out = r;
	return 0;
fail:
	req_free(r);
	return -ENOMEM;
}

void http_req_cancel(struct http_req *r)
{
	if (!r)
		return;
	curlev_remove(r->cev, r->easy);
	req_free(r);
}
