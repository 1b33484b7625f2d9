/* The BIND key-file parser; loading a key file (a FIFO must not hang it);
 * the owner and mode warning. */
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../plugins/dns/keyfile.h"
#include "tap.h"

static int parse(const char *s, const char *want, struct tsig_key *k, char *err)
{
	return keyfile_parse(s, strlen(s), want, k, err, 200);
}

static void bad(const char *s, const char *want, const char *msg)
{
	struct tsig_key k;
	char err[200];
	int rc = parse(s, want, &k, err);
	ok(rc < 0 && strstr(err, msg), "refused: %s (%s)", msg, err);
}

static void hang(int sig)
{
	(void)sig;
	static const char m[] = "not ok - keyfile_load blocked for 5 s (a FIFO opened blocking)\n";
	if (write(1, m, sizeof(m) - 1) < 0)
		_exit(2);
	_exit(1);
}

static void test_load(void)
{
	char dir[] = "/tmp/test_keyfile.XXXXXX", path[64], err[300];
	struct tsig_key k;
	int at_name;
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/k.key", dir);
	FILE *f = fopen(path, "w");
	fputs("key \"a\" { algorithm hmac-sha256; secret \"YWFh\"; };\n", f);
	fclose(f);
	ok(keyfile_load(path, NULL, &k, err, sizeof(err), &at_name) == 0 && k.secret_len == 3,
	   "a key file is loaded (%s)", err);
	ok(keyfile_load(path, "b", &k, err, sizeof(err), &at_name) < 0 && at_name,
	   "no such key: the name is at fault (%s)", err);
	unlink(path);
	/* A FIFO with no writer: an open without O_NONBLOCK would wait forever. */
	if (mkfifo(path, 0600) < 0) {
		ok(0, "mkfifo");
	} else {
		signal(SIGALRM, hang);
		alarm(5);
		char want[100];
		snprintf(want, sizeof(want), "%s is not a regular file", path);
		ok(keyfile_load(path, NULL, &k, err, sizeof(err), &at_name) < 0 && !strcmp(err, want),
		   "a FIFO is refused at once: %s", err);
		struct stat st;
		ok(keyfile_open(path, &st, err, sizeof(err)) < 0 && !strcmp(err, want),
		   "keyfile_open: a FIFO is refused");
		alarm(0);
		unlink(path);
	}
	ok(keyfile_load(dir, NULL, &k, err, sizeof(err), &at_name) < 0 && strstr(err, "not a regular file"),
	   "a directory is refused: %s", err);
	ok(keyfile_load("/dev/null", NULL, &k, err, sizeof(err), &at_name) < 0 &&
	   !strcmp(err, "/dev/null is not a regular file"), "a device is refused: %s", err);
	snprintf(path, sizeof(path), "%s/none", dir);
	ok(keyfile_load(path, NULL, &k, err, sizeof(err), &at_name) < 0 &&
	   strstr(err, "cannot open") && strstr(err, "No such file"), "a missing file: %s", err);
	rmdir(dir);
}

static void mode(unsigned m, unsigned uid, unsigned euid, const char *want)
{
	struct stat st;
	char warn[300];
	memset(&st, 0, sizeof(st));
	st.st_mode = S_IFREG | m;
	st.st_uid = uid;
	int rc = keyfile_mode_check("/x", &st, euid, warn, sizeof(warn));
	if (want)
		ok(rc == 1 && !strcmp(warn, want), "mode %04o uid %u: %s", m, uid, warn);
	else
		ok(rc == 0 && !warn[0], "mode %04o uid %u euid %u: no warning (%s)", m, uid, euid, warn);
}

static void test_mode(void)
{
	mode(0600, 0, 0, NULL);
	mode(0400, 0, 0, NULL);
	mode(0600, 108, 108, NULL); /* the daemon's own user (user = ...) */
	mode(0640, 0, 0, NULL); /* root:bind 0640, as BIND's keys: group read is accepted */
	mode(0644, 0, 0, "key file /x is readable by others (mode 0644); it holds a secret");
	mode(0660, 0, 0, "key file /x is writable by group (mode 0660); it holds a secret");
	mode(0602, 0, 0, "key file /x is writable by others (mode 0602); it holds a secret");
	mode(0600, 1000, 0,
	     "key file /x is owned by uid 1000, not root or the daemon's uid 0 (mode 0600); it holds a secret");
	mode(0666, 1000, 108,
	     "key file /x is owned by uid 1000, not root or the daemon's uid 108, writable by group, "
	     "readable by others, writable by others (mode 0666); it holds a secret");
}

int main(void)
{
	struct tsig_key k;
	char err[200];
	/* as tsig-keygen writes it */
	ok(parse("key \"nlevd-key\" {\n\talgorithm hmac-sha256;\n\tsecret \"T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE=\";\n};\n",
		 NULL, &k, err) == 0, "tsig-keygen output (%s)", err);
	is_str(k.name, "nlevd-key", "name");
	is_str(k.algorithm, "hmac-sha256", "algorithm");
	is_int(k.secret_len, 32, "secret decoded to 32 bytes");
	ok(k.secret[0] == 0x4f && k.secret[31] == 0x01, "secret bytes");
	/* ddns-confgen -q: same shape; comments of all three kinds; no quotes */
	ok(parse("# a comment\n// another\n/* and\n a block */ key host.example. { algorithm HMAC-SHA512; "
		 "secret \"AAAA\"; };", NULL, &k, err) == 0 && !strcmp(k.name, "host.example") &&
	   !strcmp(k.algorithm, "hmac-sha512") && k.secret_len == 3,
	   "comments, an unquoted name with a trailing dot, upper-case algorithm (%s)", err);
	const char *two = "key \"a\" { algorithm hmac-sha1; secret \"YWFh\"; };\n"
			  "key \"b\" { algorithm hmac-sha224; secret \"YmJi\"; };\n";
	ok(parse(two, "b", &k, err) == 0 && !strcmp(k.name, "b") && k.secret[0] == 'b',
	   "two keys: the one asked for");
	ok(parse(two, "a.", &k, err) == 0 && !strcmp(k.name, "a") && k.secret[0] == 'a',
	   "a trailing dot in the wanted name is ignored");
	bad(two, NULL, "2 keys in the file");
	bad(two, "c", "no key \"c\" in the file");
	bad("", NULL, "no key in the file");
	bad("key \"a\" { algorithm hmac-sha256; };", NULL, "lacks a secret");
	bad("key \"a\" { secret \"YWFh\"; };", NULL, "lacks an algorithm");
	bad("key \"a\" { algorithm hmac-sha256; secret \"YWF\"; };", NULL, "not valid base64");
	bad("key \"a\" { algorithm hmac-sha256; secret \"YW=h\"; };", NULL, "not valid base64");
	bad("key \"a\" { algorithm hmac-sha256; secret \"YWFh\" };", NULL, "line 1: expected ';'");
	bad("key \"a\" { algorithm hmac-sha256;\n secret \"YWFh\"; }", NULL, "line 2: expected ';' after '}'");
	bad("key \"a\" { algorithm hmac-sha256; secret \"YWFh\"; owner x; };", NULL, "unknown statement 'owner'");
	bad("key \"a\" { algorithm hmac-sha256; algorithm hmac-sha1; };", NULL, "algorithm given twice");
	bad("key \"a\" { algorithm hmac-sha256; secret \"YWFh\"; };\nkey \"a\" { algorithm hmac-sha256; secret \"YWFh\"; };",
	    "a", "defined twice");
	bad("options { };", NULL, "expected 'key'");
	bad("key \"a\n\" {", NULL, "bad character in a quoted string");
	bad("key \"a\" { algorithm hmac-sha256; secret \"YWFh", NULL, "unterminated string");
	bad("/* open", NULL, "unterminated comment");
	bad("key a { algorithm hmac-sha256; secret \"YWFh\"; }; $", NULL, "unexpected character '$'");
	{
		static const char nul[] = "key \"a\" {\0 algorithm hmac-sha256; secret \"YWFh\"; };";
		ok(keyfile_parse(nul, sizeof(nul) - 1, NULL, &k, err, sizeof(err)) < 0 && strstr(err, "NUL"),
		   "a NUL byte is refused");
	}
	/* every prefix of a valid file: refused or parsed, never a crash */
	const char *good = "key \"nlevd-key\" { algorithm hmac-sha256; secret \"T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE=\"; };";
	int refused = 0;
	for (size_t n = 0; n < strlen(good); n++)
		refused += keyfile_parse(good, n, NULL, &k, err, sizeof(err)) < 0;
	is_int(refused, (int)strlen(good), "every truncation is refused");
	test_load();
	test_mode();
	return tap_done();
}
