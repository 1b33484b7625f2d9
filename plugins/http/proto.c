/* The two protocols' wire without I/O: dyndns2's query string, and what an
 * answer to either protocol means. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

/* Append s percent-encoded: all but RFC 3986's unreserved characters and
 * ':', which a query may hold as it is (IPv6 addresses stay readable, as
 * every dyndns2 client sends them); false when it does not fit. */
static bool put_enc(char *buf, size_t len, size_t *at, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~' || c == ':';
		size_t need = plain ? 1 : 3;
		if (*at + need >= len)
			return false;
		if (plain) {
			buf[(*at)++] = (char)c;
		} else {
			buf[(*at)++] = '%';
			buf[(*at)++] = hex[c >> 4];
			buf[(*at)++] = hex[c & 15];
		}
	}
	buf[*at] = 0;
	return true;
}

static bool put(char *buf, size_t len, size_t *at, const char *s)
{
	size_t n = strlen(s);
	if (*at + n >= len)
		return false;
	memcpy(buf + *at, s, n + 1);
	*at += n;
	return true;
}

int dyndns2_query(const char *const *hosts, size_t nhosts, const char *myip,
		  const char *myipv6, char *buf, size_t len)
{
	size_t at = 0;
	if (!len)
		return -1;
	buf[0] = 0;
	if (!put(buf, len, &at, "hostname="))
		return -1;
	for (size_t i = 0; i < nhosts; i++)
		/* The comma between names stays literal: providers split on it. */
		if ((i && !put(buf, len, &at, ",")) || !put_enc(buf, len, &at, hosts[i]))
			return -1;
	if (myip && (!put(buf, len, &at, "&myip=") || !put_enc(buf, len, &at, myip)))
		return -1;
	if (myipv6 && (!put(buf, len, &at, "&myipv6=") || !put_enc(buf, len, &at, myipv6)))
		return -1;
	return (int)at;
}

/* A word from the server, for the log: printable ASCII only, cut to fit. */
static void word_copy(char *word, size_t wlen, const char *s, size_t n)
{
	if (!wlen)
		return;
	size_t j = 0;
	for (size_t i = 0; i < n && j + 1 < wlen; i++) {
		unsigned char c = (unsigned char)s[i];
		word[j++] = c > ' ' && c < 0x7f ? (char)c : '?';
	}
	word[j] = 0;
}

static enum http_class code_class(const char *w, size_t n)
{
	static const char *const ok[] = {"good", "nochg"};
	/* The provider refuses this client or these names: trying again can
	 * only get the account blocked. */
	static const char *const perm[] = {"badauth", "!donator", "notfqdn", "nohost", "numhost",
					   "abuse", "badagent", "!yours", "badsys", "nofqdn"};
	static const char *const slow[] = {"911", "dnserr"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (n == strlen(ok[i]) && !memcmp(w, ok[i], n))
			return HTTP_OK;
	for (size_t i = 0; i < sizeof(perm) / sizeof(perm[0]); i++)
		if (n == strlen(perm[i]) && !memcmp(w, perm[i], n))
			return HTTP_PERMANENT;
	for (size_t i = 0; i < sizeof(slow) / sizeof(slow[0]); i++)
		if (n == strlen(slow[i]) && !memcmp(w, slow[i], n))
			return HTTP_SLOW;
	return HTTP_TRANSIENT; /* unknown: a broken or lying server, try later */
}

/* Order of badness: the worst line decides. */
static int rank(enum http_class c)
{
	return c == HTTP_PERMANENT ? 3 : c == HTTP_SLOW ? 2 : c == HTTP_TRANSIENT ? 1 : 0;
}

enum http_class dyndns2_classify(long status, const char *body, size_t len, char *word,
				 size_t wlen)
{
	if (wlen)
		word[0] = 0;
	if (status == 401 || status == 403) {
		snprintf(word, wlen, "badauth (HTTP %ld)", status);
		return HTTP_PERMANENT;
	}
	if (status == 429) {
		snprintf(word, wlen, "HTTP 429");
		return HTTP_SLOW;
	}
	bool body_counts = status >= 200 && status < 300;
	/* Some providers say 911 with a 5xx status: the word asks for the
	 * longer pause. */
	bool server_error = status >= 500 && status < 600;
	if (!body_counts && !server_error) {
		snprintf(word, wlen, "HTTP %ld", status);
		return status >= 300 && status < 500 ? HTTP_PERMANENT : HTTP_TRANSIENT;
	}
	enum http_class worst = HTTP_OK;
	bool any = false;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && body[e] != '\n')
			e++;
		size_t s = i;
		while (s < e && (body[s] == ' ' || body[s] == '\t' || body[s] == '\r'))
			s++;
		size_t w = s;
		while (w < e && body[w] != ' ' && body[w] != '\t' && body[w] != '\r')
			w++;
		if (w > s) {
			enum http_class c = code_class(body + s, w - s);
			if (server_error && c != HTTP_SLOW)
				c = HTTP_TRANSIENT;
			if (!any || rank(c) > rank(worst)) {
				worst = c;
				word_copy(word, wlen, body + s, w - s);
			}
			any = true;
		}
		i = e + 1;
	}
	if (!any) {
		if (server_error)
			snprintf(word, wlen, "HTTP %ld", status);
		else
			snprintf(word, wlen, "an empty answer");
		return HTTP_TRANSIENT;
	}
	if (server_error && worst != HTTP_SLOW) {
		snprintf(word, wlen, "HTTP %ld", status);
		return HTTP_TRANSIENT;
	}
	return worst;
}

enum http_class webhook_classify(long status, char *word, size_t wlen)
{
	snprintf(word, wlen, "HTTP %ld", status);
	if (status >= 200 && status < 300)
		return HTTP_OK;
	if ((status >= 500 && status < 600) || status == 408 || status == 429)
		return HTTP_TRANSIENT;
	if (status >= 300 && status < 500)
		return HTTP_PERMANENT;
	return HTTP_TRANSIENT; /* 1xx at the end, or nonsense */
}
