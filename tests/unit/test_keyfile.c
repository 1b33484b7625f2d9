/* The BIND key-file parser. */
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
	return tap_done();
}
