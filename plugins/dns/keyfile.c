#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keyfile.h"

struct lex {
	const char *p, *end;
	int line;
	char *err;
	size_t errlen;
	bool failed;
};

enum tok { T_EOF, T_WORD, T_STRING, T_LBRACE, T_RBRACE, T_SEMI, T_ERR };

static void fail(struct lex *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(struct lex *l, const char *fmt, ...)
{
	if (l->failed)
		return;
	l->failed = true;
	int n = snprintf(l->err, l->errlen, "line %d: ", l->line);
	va_list ap;
	va_start(ap, fmt);
	if (n >= 0 && (size_t)n < l->errlen)
		vsnprintf(l->err + n, l->errlen - (size_t)n, fmt, ap);
	va_end(ap);
}

static void skip_space(struct lex *l)
{
	while (l->p < l->end) {
		char c = *l->p;
		if (c == '\n') {
			l->line++;
			l->p++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			l->p++;
		} else if (c == '#' || (c == '/' && l->p + 1 < l->end && l->p[1] == '/')) {
			while (l->p < l->end && *l->p != '\n')
				l->p++;
		} else if (c == '/' && l->p + 1 < l->end && l->p[1] == '*') {
			l->p += 2;
			while (l->p + 1 < l->end && !(l->p[0] == '*' && l->p[1] == '/')) {
				if (*l->p == '\n')
					l->line++;
				l->p++;
			}
			if (l->p + 1 >= l->end) {
				fail(l, "unterminated comment");
				l->p = l->end;
				return;
			}
			l->p += 2;
		} else {
			return;
		}
	}
}

static enum tok next(struct lex *l, char *buf, size_t len)
{
	skip_space(l);
	if (l->failed)
		return T_ERR;
	if (l->p >= l->end)
		return T_EOF;
	char c = *l->p;
	if (c == '{' || c == '}' || c == ';') {
		l->p++;
		return c == '{' ? T_LBRACE : c == '}' ? T_RBRACE : T_SEMI;
	}
	size_t n = 0;
	if (c == '"') {
		l->p++;
		while (l->p < l->end && *l->p != '"') {
			if (*l->p == '\n' || *l->p == '\\' || !*l->p) {
				fail(l, "bad character in a quoted string");
				return T_ERR;
			}
			if (n + 1 >= len) {
				fail(l, "string too long");
				return T_ERR;
			}
			buf[n++] = *l->p++;
		}
		if (l->p >= l->end) {
			fail(l, "unterminated string");
			return T_ERR;
		}
		l->p++;
		buf[n] = 0;
		return T_STRING;
	}
	while (l->p < l->end && (isalnum((unsigned char)*l->p) || strchr("-_.", *l->p))) {
		if (n + 1 >= len) {
			fail(l, "word too long");
			return T_ERR;
		}
		buf[n++] = *l->p++;
	}
	if (n == 0) {
		fail(l, "unexpected character '%c'", isprint((unsigned char)c) ? c : '?');
		return T_ERR;
	}
	buf[n] = 0;
	return T_WORD;
}

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Strict base64: length a multiple of 4, padding only at the end. */
static int b64decode(const char *s, uint8_t *out, size_t outlen, size_t *n)
{
	size_t len = strlen(s), o = 0;
	if (len == 0 || len % 4)
		return -1;
	for (size_t i = 0; i < len; i += 4) {
		int v[4];
		int pad = 0;
		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=') {
				if (i + 4 != len || k < 2)
					return -1;
				v[k] = 0;
				pad++;
			} else {
				if (pad || (v[k] = b64val(s[i + k])) < 0)
					return -1;
			}
		}
		uint32_t w = ((uint32_t)v[0] << 18) | ((uint32_t)v[1] << 12) | ((uint32_t)v[2] << 6) |
			     (uint32_t)v[3];
		uint8_t b[3] = {(uint8_t)(w >> 16), (uint8_t)(w >> 8), (uint8_t)w};
		for (int k = 0; k < 3 - pad; k++) {
			if (o >= outlen)
				return -1;
			out[o++] = b[k];
		}
	}
	*n = o;
	return 0;
}

static void strip_dot(char *s)
{
	size_t n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = 0;
}

enum { TOK_MAX = KEY_SECRET_MAX * 2 };

/* tok and kk are the caller's, so that it can wipe the secret they held. */
static int parse(const char *buf, size_t len, const char *want, struct tsig_key *out, char *err,
		 size_t errlen, char *tok, struct tsig_key *kk)
{
	struct lex l = {buf, buf + len, 1, err, errlen, false};
	int found = 0, nkeys = 0;
	char want_n[KEY_NAME_MAX] = "";
	if (want) {
		snprintf(want_n, sizeof(want_n), "%s", want);
		strip_dot(want_n);
	}
	if (errlen)
		err[0] = 0;
	if (memchr(buf, 0, len)) {
		snprintf(err, errlen, "NUL byte in the key file");
		return -1;
	}
	for (;;) {
		enum tok t = next(&l, tok, TOK_MAX);
		if (t == T_EOF)
			break;
		if (t != T_WORD || strcmp(tok, "key")) {
			fail(&l, "expected 'key'");
			return -1;
		}
		memset(kk, 0, sizeof(*kk));
		t = next(&l, tok, TOK_MAX);
		if ((t != T_WORD && t != T_STRING) || !tok[0] || strlen(tok) >= sizeof(kk->name)) {
			fail(&l, "expected a key name");
			return -1;
		}
		snprintf(kk->name, sizeof(kk->name), "%s", tok);
		strip_dot(kk->name);
		if (next(&l, tok, TOK_MAX) != T_LBRACE) {
			fail(&l, "expected '{' after the key name");
			return -1;
		}
		bool have_alg = false, have_secret = false;
		for (;;) {
			t = next(&l, tok, TOK_MAX);
			if (t == T_RBRACE)
				break;
			if (t != T_WORD) {
				fail(&l, "expected 'algorithm', 'secret' or '}'");
				return -1;
			}
			if (!strcmp(tok, "algorithm")) {
				t = next(&l, tok, TOK_MAX);
				if ((t != T_WORD && t != T_STRING) || have_alg ||
				    strlen(tok) >= sizeof(kk->algorithm)) {
					fail(&l, have_alg ? "algorithm given twice" : "expected an algorithm");
					return -1;
				}
				for (char *c = tok; *c; c++)
					*c = (char)tolower((unsigned char)*c);
				snprintf(kk->algorithm, sizeof(kk->algorithm), "%s", tok);
				have_alg = true;
			} else if (!strcmp(tok, "secret")) {
				t = next(&l, tok, TOK_MAX);
				if (t != T_STRING || have_secret) {
					fail(&l, have_secret ? "secret given twice" : "expected a quoted secret");
					return -1;
				}
				if (strlen(tok) >= sizeof(kk->secret_b64) ||
				    b64decode(tok, kk->secret, sizeof(kk->secret), &kk->secret_len) < 0) {
					fail(&l, "the secret is not valid base64");
					return -1;
				}
				snprintf(kk->secret_b64, sizeof(kk->secret_b64), "%s", tok);
				have_secret = true;
			} else {
				fail(&l, "unknown statement '%s' in a key", tok);
				return -1;
			}
			if (next(&l, tok, TOK_MAX) != T_SEMI) {
				fail(&l, "expected ';'");
				return -1;
			}
		}
		if (next(&l, tok, TOK_MAX) != T_SEMI) {
			fail(&l, "expected ';' after '}'");
			return -1;
		}
		if (!have_alg || !have_secret) {
			fail(&l, "key \"%s\" lacks %s", kk->name, have_alg ? "a secret" : "an algorithm");
			return -1;
		}
		nkeys++;
		if (!want || !strcasecmp(kk->name, want_n)) {
			if (found && want) {
				fail(&l, "key \"%s\" defined twice", kk->name);
				return -1;
			}
			found++;
			*out = *kk;
		}
	}
	if (!want && nkeys != 1) {
		snprintf(err, errlen, nkeys ? "%d keys in the file: say which with key_name" :
					      "no key in the file", nkeys);
		return -1;
	}
	if (want && !found) {
		snprintf(err, errlen, "no key \"%s\" in the file", want_n);
		return -1;
	}
	return 0;
}

int keyfile_parse(const char *buf, size_t len, const char *want, struct tsig_key *out, char *err,
		  size_t errlen)
{
	char tok[TOK_MAX];
	struct tsig_key k;
	int rc = parse(buf, len, want, out, err, errlen, tok, &k);
	explicit_bzero(tok, sizeof(tok));
	explicit_bzero(&k, sizeof(k));
	return rc;
}

int keyfile_open(const char *path, struct stat *st, char *err, size_t errlen)
{
	/* O_NONBLOCK: a FIFO (or a device) opened blocking would hang the
	 * daemon until a writer came; its type is known only once it is open. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode)) {
		snprintf(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -1;
	}
	return fd;
}

int keyfile_mode_check(const char *path, const struct stat *st, uid_t euid, char *warn,
		       size_t len)
{
	const char *what[4];
	size_t n = 0;
	char owner[64] = "";
	if (st->st_uid != 0 && st->st_uid != euid) {
		snprintf(owner, sizeof(owner), "owned by uid %u, not root or the daemon's uid %u",
			 (unsigned)st->st_uid, (unsigned)euid);
		what[n++] = owner;
	}
	/* Group read is accepted: a key shared with named is root:bind 0640,
	 * as BIND installs its own, and root:nlevd 0640 gives it to a daemon
	 * running as `user = nlevd`. */
	if (st->st_mode & S_IWGRP)
		what[n++] = "writable by group";
	if (st->st_mode & S_IROTH)
		what[n++] = "readable by others";
	if (st->st_mode & S_IWOTH)
		what[n++] = "writable by others";
	if (len)
		warn[0] = 0;
	if (!n)
		return 0;
	size_t o = (size_t)snprintf(warn, len, "key file %s is ", path);
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(warn + o, len - o, "%s%s", i ? ", " : "", what[i]);
	if (o < len)
		snprintf(warn + o, len - o, " (mode %04o); it holds a secret",
			 (unsigned)(st->st_mode & 07777));
	return 1;
}

int keyfile_load(const char *path, const char *want, struct tsig_key *out, char *err,
		 size_t errlen, int *name_at_fault)
{
	enum { KEY_FILE_MAX = 65536 };
	char perr[200];
	int rc = -1;
	*name_at_fault = 0;
	char *buf = malloc(KEY_FILE_MAX);
	struct stat st;
	int fd = -1;
	size_t len = 0;
	ssize_t r = 0;
	if (!buf)
		snprintf(err, errlen, "cannot read %s: %s", path, strerror(ENOMEM));
	else if ((fd = keyfile_open(path, &st, err, errlen)) >= 0) {
		/* A regular file: reads do not block, O_NONBLOCK or not. */
		while (len < KEY_FILE_MAX &&
		       ((r = read(fd, buf + len, KEY_FILE_MAX - len)) > 0 || (r < 0 && errno == EINTR)))
			if (r > 0)
				len += (size_t)r;
		if (r < 0)
			snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
		else if (len == KEY_FILE_MAX)
			snprintf(err, errlen, "%s: larger than %d bytes: not a key file", path,
				 KEY_FILE_MAX - 1);
		else if (keyfile_parse(buf, len, want, out, perr, sizeof(perr)) < 0) {
			snprintf(err, errlen, "%s: %s", path, perr);
			*name_at_fault = want && strstr(perr, "no key") != NULL;
		} else
			rc = 0;
		close(fd);
	}
	if (buf)
		explicit_bzero(buf, KEY_FILE_MAX);
	free(buf);
	if (rc < 0)
		explicit_bzero(out, sizeof(*out));
	return rc;
}
