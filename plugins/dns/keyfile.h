/* BIND key files, as written by tsig-keygen and ddns-confgen -q:
 *     key "name" { algorithm hmac-sha256; secret "base64"; };
 * A strict parser, a pure function over (buf, len), so it can be fuzzed. */
#ifndef NLEVD_KEYFILE_H
#define NLEVD_KEYFILE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#define KEY_NAME_MAX 256
#define KEY_SECRET_MAX 256

struct tsig_key {
	char name[KEY_NAME_MAX];      /* as written, without a trailing dot */
	char algorithm[32];           /* e.g. "hmac-sha256" */
	char secret_b64[KEY_SECRET_MAX * 2];
	uint8_t secret[KEY_SECRET_MAX];
	size_t secret_len;
};

/* Parse buf; pick the key called `want` (NULL: the only key in the file).
 * Returns 0, or -1 with a message "LINE: ..." in err. */
int keyfile_parse(const char *buf, size_t len, const char *want, struct tsig_key *out, char *err,
		  size_t errlen);

/* Open a configured key file for reading without blocking on a FIFO or a
 * device, and require a regular file.  The fd (O_CLOEXEC), st filled; or -1
 * with "cannot open PATH: reason" or "PATH is not a regular file" in err. */
int keyfile_open(const char *path, struct stat *st, char *err, size_t errlen);

/* Is the key file (st from keyfile_open) safe to hold a secret: owned by
 * root or euid, not writable by group, no access for others?  0, or 1 with
 * "key file PATH is readable by others (mode 0644); it holds a secret" in
 * warn.  Group read is accepted (root:bind 0640, as BIND's own keys). */
int keyfile_mode_check(const char *path, const struct stat *st, uid_t euid, char *warn,
		       size_t len);

/* Read the file at path (at most 64 kB; opened with keyfile_open) and parse
 * it as above.  Returns 0,
 * or -1 with "PATH: ..." in err; *name_at_fault is set when the file is
 * fine but has no key called `want`.  Buffers holding the secret are wiped;
 * on failure so is *out. */
int keyfile_load(const char *path, const char *want, struct tsig_key *out, char *err,
		 size_t errlen, int *name_at_fault);

#endif
