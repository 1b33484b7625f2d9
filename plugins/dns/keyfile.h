/* BIND key files, as written by tsig-keygen and ddns-confgen -q:
 *     key "name" { algorithm hmac-sha256; secret "base64"; };
 * A strict parser, a pure function over (buf, len), so it can be fuzzed. */
#ifndef NLEVD_KEYFILE_H
#define NLEVD_KEYFILE_H
#include <stddef.h>
#include <stdint.h>

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

/* Read the file at path (at most 64 kB) and parse it as above.  Returns 0,
 * or -1 with "PATH: ..." in err; *name_at_fault is set when the file is
 * fine but has no key called `want`.  Buffers holding the secret are wiped;
 * on failure so is *out. */
int keyfile_load(const char *path, const char *want, struct tsig_key *out, char *err,
		 size_t errlen, int *name_at_fault);

#endif
