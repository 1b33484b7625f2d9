/* Request header lines from the configuration and from secret files,
 * checked before libcurl ever sees them. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hdrs.h"

/* RFC 9110 tchar. */
static bool tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

int hdr_check(const char *line, size_t len, char *out, size_t outlen, char *err,
	      size_t errlen)
{
	/* Headers the request itself defines: one from a file would make it
	 * ambiguous (two lengths) or point it elsewhere. */
	static const char *const reserved[] = {"host", "content-length", "transfer-encoding",
					       "connection", "expect", "te", "upgrade"};
	if (len > HDRS_LINE_MAX) {
		snprintf(err, errlen, "a header line is longer than %d bytes", HDRS_LINE_MAX);
		return -1;
	}
	size_t n = 0;
	while (n < len && tchar((unsigned char)line[n]))
		n++;
	if (!n || n >= len || line[n] != ':') {
		snprintf(err, errlen, "not a header line 'Name: value'%s",
			 n && n < len && (line[n] == ' ' || line[n] == '\t')
				 ? " (no blank before the colon)"
				 : "");
		return -1;
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strlen(reserved[i]) == n && !strncasecmp(line, reserved[i], n)) {
			snprintf(err, errlen, "header %.*s is set by nlevd, not by the configuration",
				 (int)n, line);
			return -1;
		}
	size_t v = n + 1, e = len;
	while (v < e && (line[v] == ' ' || line[v] == '\t'))
		v++;
	while (e > v && (line[e - 1] == ' ' || line[e - 1] == '\t'))
		e--;
	for (size_t i = v; i < e; i++) {
		unsigned char c = (unsigned char)line[i];
		if ((c < ' ' && c != '\t') || c == 0x7f) {
			/* CR or LF would end the header and start another. */
			snprintf(err, errlen, "header %.*s: a control character (0x%02x) in the value",
				 (int)n, line, c);
			return -1;
		}
	}
	if (e == v) {
		snprintf(err, errlen, "header %.*s: empty value", (int)n, line);
		return -1;
	}
	if (n + 2 + (e - v) + 1 > outlen) {
		snprintf(err, errlen, "header %.*s: too long", (int)n, line);
		return -1;
	}
	memcpy(out, line, n);
	memcpy(out + n, ": ", 2);
	memcpy(out + n + 2, line + v, e - v);
	out[n + 2 + (e - v)] = 0;
	return 0;
}

void hdrs_free(char **lines, size_t n)
{
	if (!lines)
		return;
	for (size_t i = 0; i < n; i++) {
		explicit_bzero(lines[i], strlen(lines[i]));
		free(lines[i]);
	}
	free(lines);
}

int hdrs_parse(const char *buf, size_t len, char ***lines, size_t *n, char *err,
	       size_t errlen)
{
	char **v = NULL;
	size_t nv = 0;
	char tmp[HDRS_LINE_MAX + 1], why[200];
	*lines = NULL;
	*n = 0;
	if (len > HDRS_FILE_MAX) {
		snprintf(err, errlen, "longer than %d bytes", HDRS_FILE_MAX);
		return -1;
	}
	unsigned lineno = 0;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && buf[e] != '\n')
			e++;
		lineno++;
		size_t l = e - i;
		if (l && buf[i + l - 1] == '\r')
			l--; /* a file written on Windows */
		size_t s = 0;
		while (s < l && (buf[i + s] == ' ' || buf[i + s] == '\t'))
			s++;
		if (s < l && buf[i + s] != '#') {
			if (s) {
				/* obs-fold: a continuation is not allowed (RFC 9110). */
				snprintf(err, errlen, "line %u: starts with a blank", lineno);
				goto fail;
			}
			if (memchr(buf + i, 0, l)) {
				snprintf(err, errlen, "line %u: a NUL byte", lineno);
				goto fail;
			}
			if (nv == HDRS_MAX) {
				snprintf(err, errlen, "line %u: more than %d headers", lineno, HDRS_MAX);
				goto fail;
			}
			if (hdr_check(buf + i, l, tmp, sizeof(tmp), why, sizeof(why)) < 0) {
				snprintf(err, errlen, "line %u: %s", lineno, why);
				goto fail;
			}
			char **nvp = realloc(v, (nv + 1) * sizeof(*v));
			if (!nvp || !(nvp[nv] = strdup(tmp))) {
				if (nvp)
					v = nvp;
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			v = nvp;
			nv++;
		}
		i = e + 1;
	}
	explicit_bzero(tmp, sizeof(tmp));
	*lines = v;
	*n = nv;
	return 0;
fail:
	explicit_bzero(tmp, sizeof(tmp));
	hdrs_free(v, nv);
	return -1;
}
