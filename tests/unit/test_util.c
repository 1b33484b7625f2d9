/* Unit tests for core/util.c: the configuration value parsers. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "tap.h"
#include "util.h"

static void test_bool(void)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "YES", "True", "On"};
	static const char *const no[] = {"no", "false", "off", "0", "NO", "False", "oFF"};
	static const char *const bad[] = {"", "y", "n", "2", "yes ", " no", "enable", "tru",
					  "offf", "-1"};
	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		bool b = false;
		int rc = parse_bool(yes[i], &b);
		ok(rc == 0 && b, "parse_bool('%s') is true", yes[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(no); i++) {
		bool b = true;
		int rc = parse_bool(no[i], &b);
		ok(rc == 0 && !b, "parse_bool('%s') is false", no[i]);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		bool b = true;
		int rc = parse_bool(bad[i], &b);
		ok(rc == -EINVAL && b, "parse_bool('%s') refused, output untouched", bad[i]);
	}
}

static void test_uint(void)
{
	uint64_t v;
	ok(parse_uint("0", 10, &v) == 0 && v == 0, "parse_uint 0");
	ok(parse_uint("10", 10, &v) == 0 && v == 10, "parse_uint at max");
	ok(parse_uint("007", 10, &v) == 0 && v == 7, "parse_uint leading zeros");
	v = 99;
	is_int(parse_uint("11", 10, &v), -EINVAL, "parse_uint above max");
	is_int(v, 99, "parse_uint leaves output alone on error");
	ok(parse_uint("18446744073709551615", UINT64_MAX, &v) == 0 && v == UINT64_MAX,
	   "parse_uint UINT64_MAX");
	is_int(parse_uint("18446744073709551616", UINT64_MAX, &v), -EINVAL,
	       "parse_uint overflow by one");
	is_int(parse_uint("99999999999999999999999", UINT64_MAX, &v), -EINVAL,
	       "parse_uint large overflow");
	static const char *const bad[] = {"", "-1", "+1", " 1", "1 ", "1x", "0x10", "1.0", "x"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		is_int(parse_uint(bad[i], UINT64_MAX, &v), -EINVAL, "parse_uint('%s') refused",
		       bad[i]);
}

static void test_duration(void)
{
	static const struct {
		const char *s;
		uint64_t ms;
	} good[] = {
		{"0", 0},          {"5", 5000},         {"0ms", 0},
		{"250ms", 250},    {"1s", 1000},        {"30s", 30000},
		{"2m", 120000},    {"1h", 3600000},     {"10", 10000},
		{"8760h", (uint64_t)365 * 24 * 3600 * 1000},
		{"31536000s", (uint64_t)365 * 24 * 3600 * 1000},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t v = 12345;
		int rc = parse_duration_ms(good[i].s, &v);
		ok(rc == 0 && v == good[i].ms, "parse_duration_ms('%s') = %llu (got rc %d, %llu)",
		   good[i].s, (unsigned long long)good[i].ms, rc, (unsigned long long)v);
	}
	static const char *const bad[] = {"", "s", "ms", "-1s", "1.5s", "1 s", " 1s", "1S",
					  "1sec", "1d", "1mm", "1hs", "10x", "+1s", "0x10"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v;
		is_int(parse_duration_ms(bad[i], &v), -EINVAL, "parse_duration_ms('%s') refused",
		       bad[i]);
	}
	static const char *const range[] = {"8761h", "31536001s", "18446744073709551615h",
					    "18446744073709551615ms", "18446744073709551615"};
	for (size_t i = 0; i < ARRAY_SIZE(range); i++) {
		uint64_t v;
		int rc = parse_duration_ms(range[i], &v);
		ok(rc < 0, "parse_duration_ms('%s') out of range refused (rc %d)", range[i], rc);
	}
	uint64_t v;
	ok(parse_duration_ms("99999999999999999999999s", &v) < 0,
	   "parse_duration_ms digit overflow refused");
}

static void test_size(void)
{
	static const struct {
		const char *s;
		uint64_t v;
	} good[] = {
		{"0", 0}, {"512", 512}, {"1K", 1024}, {"64k", 65536}, {"4M", 4194304},
		{"1024M", 1073741824},
	};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		uint64_t v = 1;
		int rc = parse_size(good[i].s, &v);
		ok(rc == 0 && v == good[i].v, "parse_size('%s') = %llu (got %llu)", good[i].s,
		   (unsigned long long)good[i].v, (unsigned long long)v);
	}
	static const char *const bad[] = {"", "K", "1G", "1KB", "1 K", "-1", "1.5M", "1m",
					  "M4", "0x10"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		uint64_t v;
		ok(parse_size(bad[i], &v) < 0, "parse_size('%s') refused", bad[i]);
	}
	uint64_t v;
	is_int(parse_size("18446744073709551615K", &v), -ERANGE, "parse_size K overflow");
	is_int(parse_size("17592186044416M", &v), -ERANGE, "parse_size M overflow (2^44 M)");
	ok(parse_size("17592186044415M", &v) == 0 && v == 17592186044415ull * 1048576ull,
	   "parse_size largest M that fits");
}

static void test_split(void)
{
	size_t n = 99;
	char **w = split_words("  a \t bb\tccc   ", &n);
	ok(w != NULL, "split_words returns a vector");
	is_int(n, 3, "three words");
	if (w && n == 3) {
		is_str(w[0], "a", "word 0");
		is_str(w[1], "bb", "word 1");
		is_str(w[2], "ccc", "word 2");
		ok(w[3] == NULL, "vector NULL-terminated");
	}
	free_words(w);

	w = split_words("", &n);
	ok(w && n == 0 && w[0] == NULL, "empty string: no words");
	free_words(w);
	w = split_words(" \t  ", &n);
	ok(w && n == 0 && w[0] == NULL, "blanks only: no words");
	free_words(w);
	w = split_words("single", NULL);
	ok(w && w[0] && !strcmp(w[0], "single") && !w[1], "n may be NULL");
	free_words(w);
	w = split_words("a\nb", &n);
	ok(w && n == 1 && !strcmp(w[0], "a\nb"), "only blanks and tabs separate");
	free_words(w);

	/* Growth past the initial capacity. */
	char big[1200] = "";
	for (int i = 0; i < 200; i++) {
		char t[8];
		snprintf(t, sizeof(t), "w%d ", i);
		strcat(big, t);
	}
	w = split_words(big, &n);
	is_int(n, 200, "200 words");
	bool all = w != NULL;
	for (int i = 0; all && i < 200; i++) {
		char t[8];
		snprintf(t, sizeof(t), "w%d", i);
		all = w[i] && !strcmp(w[i], t);
	}
	ok(all && w[200] == NULL, "200 words in order");
	free_words(w);
	free_words(NULL);
	ok(1, "free_words(NULL) is harmless");
}

static void test_prefix(void)
{
	struct prefix p;
	uint8_t want4[4] = {192, 0, 2, 0};
	is_int(parse_prefix("192.0.2.0/24", &p), 0, "v4 /24");
	ok(p.family == AF_INET && p.len == 24 && !memcmp(p.addr, want4, 4), "v4 /24 fields");
	is_int(parse_prefix("192.0.2.1", &p), 0, "v4 without length");
	ok(p.family == AF_INET && p.len == 32, "v4 without length is /32");
	is_int(parse_prefix("0.0.0.0/0", &p), 0, "v4 /0");
	is_int(p.len, 0, "v4 /0 length");
	is_int(parse_prefix("10.0.0.0/08", &p), 0, "v4 length with leading zero");
	is_int(parse_prefix("2001:db8::/32", &p), 0, "v6 /32");
	uint8_t want6[16] = {0x20, 0x01, 0x0d, 0xb8};
	ok(p.family == AF_INET6 && p.len == 32 && !memcmp(p.addr, want6, 16), "v6 /32 fields");
	is_int(parse_prefix("2001:db8::1", &p), 0, "v6 without length");
	is_int(p.len, 128, "v6 without length is /128");
	is_int(parse_prefix("::/0", &p), 0, "v6 /0");
	is_int(parse_prefix("fe80::/10", &p), 0, "v6 /10");
	is_int(parse_prefix("::ffff:192.0.2.0/120", &p), 0, "v4-mapped v6 prefix");
	ok(p.family == AF_INET6, "v4-mapped is IPv6");

	static const char *const bad[] = {
		"192.0.2.1/24",     /* host bits set */
		"10.0.0.1/8",       "10.128.0.0/8", "2001:db8::1/64", "2001:db8:8000::/32",
		"fe80::1/10",
		"10.0.0.0/33",      /* too long */
		"2001:db8::/129",   "10.0.0.0/",    "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/8/8",
		"10.0.0.0/ 8",      "10.0.0.0/8 ",  " 10.0.0.0/8", "10.0.0.0/x", "/24", "", "/",
		"foo/8",            "10.0.0/24",    "256.0.0.0/8", "2001:db8:::/48", "10.0.0.0/99999999999999999999",
		"1111111111111111111111111111111111111111111111111111111111111111111111/8",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(parse_prefix(bad[i], &p) < 0, "parse_prefix('%s') refused", bad[i]);
}

static void test_match(void)
{
	struct prefix p;
	uint8_t a[16];
	parse_prefix("192.0.2.0/24", &p);
	inet_pton(AF_INET, "192.0.2.77", a);
	ok(prefix_match(&p, AF_INET, a), "192.0.2.77 in 192.0.2.0/24");
	inet_pton(AF_INET, "192.0.3.1", a);
	ok(!prefix_match(&p, AF_INET, a), "192.0.3.1 not in 192.0.2.0/24");
	memset(a, 0, sizeof(a));
	memcpy(a, p.addr, 4);
	ok(!prefix_match(&p, AF_INET6, a), "family mismatch never matches");

	parse_prefix("10.0.0.128/25", &p);
	inet_pton(AF_INET, "10.0.0.128", a);
	ok(prefix_match(&p, AF_INET, a), "/25 lower edge");
	inet_pton(AF_INET, "10.0.0.255", a);
	ok(prefix_match(&p, AF_INET, a), "/25 upper edge");
	inet_pton(AF_INET, "10.0.0.127", a);
	ok(!prefix_match(&p, AF_INET, a), "/25 just below");

	parse_prefix("0.0.0.0/0", &p);
	inet_pton(AF_INET, "203.0.113.9", a);
	ok(prefix_match(&p, AF_INET, a), "/0 matches any IPv4");
	parse_prefix("203.0.113.9", &p);
	ok(prefix_match(&p, AF_INET, a), "/32 matches itself");
	inet_pton(AF_INET, "203.0.113.8", a);
	ok(!prefix_match(&p, AF_INET, a), "/32 does not match a neighbour");

	parse_prefix("2001:db8:0:10::/60", &p);
	inet_pton(AF_INET6, "2001:db8:0:1f::1", a);
	ok(prefix_match(&p, AF_INET6, a), "v6 /60 inside (mid-byte)");
	inet_pton(AF_INET6, "2001:db8:0:20::1", a);
	ok(!prefix_match(&p, AF_INET6, a), "v6 /60 outside");
	parse_prefix("::/0", &p);
	ok(prefix_match(&p, AF_INET6, a), "v6 /0 matches any");
	inet_pton(AF_INET, "10.0.0.1", a);
	ok(!prefix_match(&p, AF_INET, a), "v6 /0 does not match IPv4");
	parse_prefix("2001:db8::1", &p);
	inet_pton(AF_INET6, "2001:db8::1", a);
	ok(prefix_match(&p, AF_INET6, a), "v6 /128 matches itself");
	a[15] ^= 1;
	ok(!prefix_match(&p, AF_INET6, a), "v6 /128 last bit differs");
}

static void test_name(void)
{
	static const char *const good[] = {"log", "a", "A-b_c.9", "dns.example-1", "_", "..."};
	static const char *const bad[] = {"", "a b", "a/b", "[x]", "a=b", "\xc3\xa9", "tab\t",
					  "x;y", "a:b"};
	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(name_valid(good[i]), "name_valid('%s')", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!name_valid(bad[i]), "!name_valid('%s')", bad[i]);
}

/* host->log hands log_vmsg() whatever level a plugin passes: levels above
 * error (crit, alert, emerg) and nonsense are logged as errors. */
static void test_log_levels(void)
{
	static const int levels[] = {2, 0, -1, -1000, NLEVD_LOG_ERR};
	FILE *tmp = tmpfile();
	int saved = dup(2);
	if (!tmp || saved < 0 || dup2(fileno(tmp), 2) < 0)
		abort();
	log_setup(LOG_TARGET_STDERR, NLEVD_LOG_INFO);
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		log_msg(levels[i], "level %d", levels[i]);
	log_msg(NLEVD_LOG_DEBUG, "not shown");
	dup2(saved, 2);
	close(saved);
	char buf[1024];
	size_t n = 0;
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = 0;
	fclose(tmp);
	for (size_t i = 0; i < ARRAY_SIZE(levels); i++) {
		char want[64];
		snprintf(want, sizeof(want), "nlevd: error: level %d\n", levels[i]);
		like(buf, want, "log level %d is written as an error", levels[i]);
	}
	ok(!strstr(buf, "not shown"), "a level above the threshold is not written");
}

int main(void)
{
	test_bool();
	test_uint();
	test_duration();
	test_size();
	test_split();
	test_prefix();
	test_match();
	test_name();
	test_log_levels();
	ok(now_ms() > 0, "now_ms is monotonic time, non-zero");
	return tap_done();
}
