/* The DHCID identity (RFC 4701 vectors, the DUID-UUID against systemd, the
 * machine-id reader) and ipv6_suffix parsing and joining. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../plugins/dns/dhcid.h"
#include "../../plugins/dns/suffix.h"
#include "tap.h"

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
	out[2 * n] = 0;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2)
		sscanf(s, "%2hhx", &out[n++]);
	return n;
}

/* RFC 4701 3.6: the three examples, one per identifier type. */
static void test_rfc_vectors(void)
{
	static const struct {
		uint16_t type;
		const char *id, *fqdn, *b64;
	} v[] = {
		{ DNS_DHCID_ID_DUID, "000100064" "12df1660102030405" "06", "chi6.example.com",
		  "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=" },
		{ DNS_DHCID_ID_CLIENTID, "010708090a0b0c", "chi.example.com",
		  "AAEBOSD+XR3Os/0LozeXVqcNc7FwCfQdWL3b/NaiUDlW2No=" },
		{ DNS_DHCID_ID_CHADDR, "01" "010203040506", "client.example.com",
		  "AAABxLmlskllE0MVjd57zHcWmEH3pCQ6VytcKD//7es/deY=" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t id[32];
		char b64[DNS_DHCID_B64_LEN];
		size_t n = unhex(v[i].id, id);
		int rc = dns_dhcid_b64_id(v[i].type, id, n, v[i].fqdn, b64, sizeof(b64));
		is_int(rc, 0, "RFC 4701 3.6.%zu: type %u", i + 1, v[i].type);
		is_str(rc == 0 ? b64 : "", v[i].b64, "RFC 4701 3.6.%zu: %s", i + 1, v[i].fqdn);
	}
	/* The DUID entry points give the same as type 2. */
	uint8_t duid[14], rdata[DNS_DHCID_LEN];
	char b64[DNS_DHCID_B64_LEN], h[2 * DNS_DHCID_LEN + 1];
	size_t n = unhex("00010006412df1660102030405" "06", duid);
	is_int(dns_dhcid_b64(duid, n, "chi6.example.com", b64, sizeof(b64)), 0, "dns_dhcid_b64");
	is_str(b64, "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", "dns_dhcid_b64: 3.6.1");
	is_int(dns_dhcid_rdata(duid, n, "chi6.example.com", rdata, sizeof(rdata)), DNS_DHCID_LEN,
	       "dns_dhcid_rdata returns 35");
	hex(rdata, sizeof(rdata), h);
	/* RFC 4701 3.6.1's "\# 35" form of the same record */
	is_str(h, "000201636fc0b8271c82825bb1ac5c41cf5351aa69b4febd94e8f17cdb95000da48c40",
	       "dns_dhcid_rdata: the raw RDATA of 3.6.1");
}

/* The name is hashed in canonical form: case and the trailing dot do not matter. */
static void test_names(void)
{
	uint8_t duid[DNS_DUID_UUID_LEN], mid[16] = { 1, 2, 3 };
	char a[DNS_DHCID_B64_LEN], b[DNS_DHCID_B64_LEN];
	dns_duid_uuid(mid, duid, sizeof(duid));
	static const char *const same[] = { "host.example.test.", "HOST.Example.TEST.",
					    "host.example.test", "HoSt.ExAmPlE.tEsT" };
	dns_dhcid_b64(duid, sizeof(duid), same[0], a, sizeof(a));
	for (size_t i = 1; i < sizeof(same) / sizeof(same[0]); i++) {
		int rc = dns_dhcid_b64(duid, sizeof(duid), same[i], b, sizeof(b));
		ok(rc == 0 && !strcmp(a, b), "%s hashes as %s", same[i], same[0]);
	}
	dns_dhcid_b64(duid, sizeof(duid), "other.example.test", b, sizeof(b));
	ok(strcmp(a, b), "another name, another DHCID");
	dns_dhcid_b64(duid, sizeof(duid), "host.example.tes", b, sizeof(b));
	ok(strcmp(a, b), "a name one letter shorter, another DHCID");
	/* Labels are length-prefixed: "ab.c" and "a.bc" differ. */
	dns_dhcid_b64(duid, sizeof(duid), "ab.c", a, sizeof(a));
	dns_dhcid_b64(duid, sizeof(duid), "a.bc", b, sizeof(b));
	ok(strcmp(a, b), "the label boundaries are hashed");
	dns_dhcid_b64(duid, sizeof(duid), "x_1-y.example.test", a, sizeof(a));
	ok(strlen(a) == 48, "digits, '-' and '_' are accepted");

	static const char *const bad[] = {
		"", ".", "..", "a..b", ".a", "a.b..", "a b", "a\\.b", "h\xc3\xa9.test", "a/b",
		"host.example.test\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		is_int(dns_dhcid_b64(duid, sizeof(duid), bad[i], a, sizeof(a)), -EINVAL,
		       "bad name '%s' refused", bad[i]);
	is_int(dns_dhcid_b64(duid, sizeof(duid), NULL, a, sizeof(a)), -EINVAL, "NULL name refused");

	/* 63 bytes a label, 255 the wire form with the root label. */
	char name[400], l63[64];
	memset(l63, 'a', 63);
	l63[63] = 0;
	snprintf(name, sizeof(name), "%s.test", l63);
	is_int(dns_dhcid_b64(duid, sizeof(duid), name, a, sizeof(a)), 0, "a 63-byte label");
	snprintf(name, sizeof(name), "%sa.test", l63);
	is_int(dns_dhcid_b64(duid, sizeof(duid), name, a, sizeof(a)), -EINVAL, "a 64-byte label");
	/* 3 * 64 + 62 + 1 = 255 bytes of wire form */
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	is_int(strlen(name), 253, "the longest name is 253 characters");
	is_int(dns_dhcid_b64(duid, sizeof(duid), name, a, sizeof(a)), 0, "a 255-byte name");
	strcat(name, ".");
	is_int(dns_dhcid_b64(duid, sizeof(duid), name, a, sizeof(a)), 0,
	       "a 255-byte name with its trailing dot");
	snprintf(name, sizeof(name), "%s.%s.%s.%.62s", l63, l63, l63, l63);
	is_int(dns_dhcid_b64(duid, sizeof(duid), name, a, sizeof(a)), -EINVAL, "a 256-byte name");
	snprintf(name, sizeof(name), "%s.%s.%s.%.60s.a", l63, l63, l63, l63);
	is_int(dns_dhcid_b64(duid, sizeof(duid), name, a, sizeof(a)), -EINVAL,
	       "a 256-byte name ending in a short label");
}

static void test_limits(void)
{
	uint8_t duid[DNS_DUID_MAX + 1] = { 0, 4 }, rdata[DNS_DHCID_LEN + 1];
	char b64[DNS_DHCID_B64_LEN + 1];
	memset(rdata, 0xee, sizeof(rdata));
	is_int(dns_dhcid_rdata(duid, 18, "h.test", rdata, DNS_DHCID_LEN - 1), -ENOBUFS,
	       "rdata: 34 bytes of room is too little");
	ok(rdata[0] == 0xee, "rdata: nothing written on -ENOBUFS");
	is_int(dns_dhcid_rdata(duid, 18, "h.test", rdata, DNS_DHCID_LEN), DNS_DHCID_LEN,
	       "rdata: 35 bytes of room is enough");
	ok(rdata[DNS_DHCID_LEN] == 0xee, "rdata: nothing written past 35 bytes");
	memset(b64, 'x', sizeof(b64));
	is_int(dns_dhcid_b64(duid, 18, "h.test", b64, DNS_DHCID_B64_LEN - 1), -ENOBUFS,
	       "b64: 48 bytes of room is too little (the NUL)");
	ok(b64[0] == 'x', "b64: nothing written on -ENOBUFS");
	is_int(dns_dhcid_b64(duid, 18, "h.test", b64, DNS_DHCID_B64_LEN), 0,
	       "b64: 49 bytes of room is enough");
	ok(strlen(b64) == 48 && b64[DNS_DHCID_B64_LEN] == 'x', "b64: 48 characters, the NUL, no more");
	is_int(dns_dhcid_b64(duid, 18, "bad..name", b64, 0), -EINVAL,
	       "a bad name is -EINVAL whatever the room");

	is_int(dns_dhcid_rdata(duid, 2, "h.test", rdata, sizeof(rdata)), -EINVAL,
	       "a DUID of its type alone is refused");
	is_int(dns_dhcid_rdata(duid, 3, "h.test", rdata, sizeof(rdata)), DNS_DHCID_LEN,
	       "a 3-byte DUID is accepted");
	is_int(dns_dhcid_rdata(duid, DNS_DUID_MAX, "h.test", rdata, sizeof(rdata)), DNS_DHCID_LEN,
	       "a 130-byte DUID is accepted");
	is_int(dns_dhcid_rdata(duid, DNS_DUID_MAX + 1, "h.test", rdata, sizeof(rdata)), -EINVAL,
	       "a 131-byte DUID is refused");
	is_int(dns_dhcid_b64(duid, DNS_DUID_MAX + 1, "h.test", b64, sizeof(b64)), -EINVAL,
	       "b64: a 131-byte DUID is refused");
	is_int(dns_dhcid_rdata(NULL, 18, "h.test", rdata, sizeof(rdata)), -EINVAL, "a NULL DUID");
	uint8_t id[DNS_DHCID_ID_MAX + 1] = { 1 };
	is_int(dns_dhcid_rdata_id(1, id, 0, "h.test", rdata, sizeof(rdata)), -EINVAL,
	       "an empty identifier is refused");
	is_int(dns_dhcid_rdata_id(1, id, DNS_DHCID_ID_MAX, "h.test", rdata, sizeof(rdata)),
	       DNS_DHCID_LEN, "a 255-byte identifier is accepted");
	is_int(dns_dhcid_rdata_id(1, id, DNS_DHCID_ID_MAX + 1, "h.test", rdata, sizeof(rdata)),
	       -EINVAL, "a 256-byte identifier is refused");
	/* A 255-byte identifier and a 255-byte name: the largest hash input. */
	char name[300], l63[64];
	memset(l63, 'b', 63);
	l63[63] = 0;
	snprintf(name, sizeof(name), "%s.%s.%s.%.61s", l63, l63, l63, l63);
	is_int(dns_dhcid_rdata_id(0xffff, id, DNS_DHCID_ID_MAX, name, rdata, sizeof(rdata)),
	       DNS_DHCID_LEN, "the largest identifier with the longest name");
	ok(rdata[0] == 0xff && rdata[1] == 0xff && rdata[2] == 1, "type 0xffff, digest type 1");
}

/* The fixed vectors came from `systemd-id128 machine-id
 * --app-specific=eab1d75b6ee549c08795b15728af2afd` (systemd 252), run in a
 * private mount namespace with the id bind-mounted over /etc/machine-id,
 * and agree with Python's hmac; the live check below repeats it on this
 * host's own id. */
static void test_duid_uuid(void)
{
	uint8_t mid[16], duid[DNS_DUID_UUID_LEN + 2];
	char h[2 * sizeof(duid) + 1];
	unhex("0123456789abcdeffedcba9876543210", mid);
	memset(duid, 0xee, sizeof(duid));
	is_int(dns_duid_uuid(mid, duid, DNS_DUID_UUID_LEN - 1), -ENOBUFS, "17 bytes: -ENOBUFS");
	ok(duid[0] == 0xee, "nothing written on -ENOBUFS");
	is_int(dns_duid_uuid(mid, duid, DNS_DUID_UUID_LEN), DNS_DUID_UUID_LEN, "18 bytes");
	ok(duid[DNS_DUID_UUID_LEN] == 0xee, "nothing written past 18 bytes");
	hex(duid, DNS_DUID_UUID_LEN, h);
	is_str(h, "0004" "2fbed2bfabac4e65ba0e4c29029ab416", "DUID-UUID as systemd-id128 derives it");
	/* Another machine, another UUID, still version 4 of the RFC 4122 variant */
	mid[15] ^= 1;
	dns_duid_uuid(mid, duid, sizeof(duid));
	hex(duid, DNS_DUID_UUID_LEN, h);
	ok(strcmp(h, "00042fbed2bfabac4e65ba0e4c29029ab416") && (duid[2 + 6] >> 4) == 4 &&
		   (duid[2 + 8] >> 6) == 2,
	   "another machine id: another v4 UUID (%s)", h);
	/* A second vector, all 0x11 bytes */
	memset(mid, 0x11, sizeof(mid));
	dns_duid_uuid(mid, duid, sizeof(duid));
	hex(duid, DNS_DUID_UUID_LEN, h);
	is_str(h, "0004" "ffca8c138878430a95f06f7e3eb45a5d", "DUID-UUID for 1111...11, as systemd-id128");

	/* This host, against systemd itself, where both exist. */
	uint8_t here[16];
	char err[200] = "", line[64] = "";
	FILE *p;
	if (dns_machine_id_read("/etc/machine-id", here, err, sizeof(err)) < 0 ||
	    access("/usr/bin/systemd-id128", X_OK) < 0 ||
	    !(p = popen("/usr/bin/systemd-id128 machine-id "
			"--app-specific=eab1d75b6ee549c08795b15728af2afd 2>/dev/null",
			"r"))) {
		diag("no valid /etc/machine-id or no systemd-id128: the live check is not run (%s)",
		     err);
		return;
	}
	if (!fgets(line, sizeof(line), p))
		line[0] = 0;
	pclose(p);
	line[strcspn(line, "\n")] = 0;
	dns_duid_uuid(here, duid, sizeof(duid));
	hex(duid + 2, 16, h);
	is_str(h, line, "this host's DUID-UUID is systemd-id128's app-specific id");
}

static int write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	size_t w = fwrite(s, 1, n, f);
	return fclose(f) == 0 && w == n ? 0 : -1;
}

static void test_machine_id(void)
{
	uint8_t id[16];
	char err[300], h[33];
	static const char good[] = "0123456789abcdeffedcba9876543210\n";
	is_int(dns_machine_id_parse(good, strlen(good), id, err, sizeof(err)), 0, "a machine id");
	hex(id, 16, h);
	is_str(h, "0123456789abcdeffedcba9876543210", "its 16 bytes");
	static const struct {
		const char *s, *why;
	} bad[] = {
		{ "", "is 0 bytes" },
		{ "uninitialized\n", "uninitialized" },
		{ "00000000000000000000000000000000\n", "all zero" },
		{ "0123456789abcdeffedcba9876543210", "is 32 bytes" },
		{ "0123456789abcdeffedcba9876543210\n\n", "is 34 bytes" },
		{ "0123456789abcdeffedcba987654321\n", "is 32 bytes" },
		{ "0123456789ABCDEFFEDCBA9876543210\n", "lowercase" },
		{ "01234567-89ab-cdef-fedc-ba987654\n", "lowercase hexadecimal" },
		{ "0123456789abcdeffedcba987654321g\n", "lowercase hexadecimal" },
		{ " 0123456789abcdeffedcba987654321\n", "lowercase hexadecimal" },
		{ "0123456789abcdeffedcba9876543210 ", "and a newline" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(id, 0xee, sizeof(id));
		err[0] = 0;
		int rc = dns_machine_id_parse(bad[i].s, strlen(bad[i].s), id, err, sizeof(err));
		ok(rc == -EINVAL && strstr(err, bad[i].why) && id[0] == 0 && id[15] == 0,
		   "refused: '%.*s' (%s)", (int)strcspn(bad[i].s, "\n"), bad[i].s, err);
	}
	/* An embedded NUL is not a digit. */
	ok(dns_machine_id_parse("0123456789abcdef\0edcba987654321\n", 33, id, err, sizeof(err)) ==
		   -EINVAL, "an embedded NUL is refused");
	ok(dns_machine_id_parse(good, 33, id, NULL, 0) == 0 &&
		   dns_machine_id_parse("x", 1, id, NULL, 0) == -EINVAL,
	   "err may be NULL");

	char dir[] = "/tmp/test_dhcid.XXXXXX", path[64];
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/machine-id", dir);
	write_file(path, good, strlen(good));
	memset(id, 0, sizeof(id));
	is_int(dns_machine_id_read(path, id, err, sizeof(err)), 0, "read a machine-id file");
	hex(id, 16, h);
	is_str(h, "0123456789abcdeffedcba9876543210", "read its 16 bytes");
	char want[300];
	write_file(path, "uninitialized\n", 14);
	snprintf(want, sizeof(want), "%s is \"uninitialized\"", path);
	ok(dns_machine_id_read(path, id, err, sizeof(err)) == -EINVAL && strstr(err, want),
	   "an uninitialized file: %s", err);
	write_file(path, "00000000000000000000000000000000\n", 33);
	snprintf(want, sizeof(want), "%s is all zero", path);
	ok(dns_machine_id_read(path, id, err, sizeof(err)) == -EINVAL && !strcmp(err, want),
	   "an all-zero file: %s", err);
	write_file(path, "", 0);
	ok(dns_machine_id_read(path, id, err, sizeof(err)) == -EINVAL && strstr(err, "0 bytes"),
	   "an empty file: %s", err);
	/* Longer than the read buffer: still refused, never a prefix taken. */
	char big[200];
	memset(big, 'a', sizeof(big));
	memcpy(big, good, 33);
	write_file(path, big, sizeof(big));
	ok(dns_machine_id_read(path, id, err, sizeof(err)) == -EINVAL && strstr(err, "is over 63 bytes"),
	   "a 200-byte file: %s", err);
	unlink(path);
	ok(dns_machine_id_read(path, id, err, sizeof(err)) == -ENOENT &&
		   strstr(err, "cannot open") && strstr(err, path),
	   "a missing file: -ENOENT (%s)", err);
	ok(dns_machine_id_read(dir, id, err, sizeof(err)) == -EINVAL &&
		   strstr(err, "not a regular file"),
	   "a directory: %s", err);
	/* A FIFO with no writer: a blocking open would never return. */
	if (mkfifo(path, 0600) == 0) {
		alarm(5);
		ok(dns_machine_id_read(path, id, err, sizeof(err)) == -EINVAL &&
			   strstr(err, "not a regular file"),
		   "a FIFO is refused at once: %s", err);
		alarm(0);
		unlink(path);
	} else {
		ok(0, "mkfifo");
	}
	rmdir(dir);
}

static void test_suffix(void)
{
	uint8_t s[16], out[16], addr[16];
	char buf[INET6_ADDRSTRLEN];
	is_int(dns_suffix_parse("::211:32ff:fe12:3456", s), 0, "the SPEC's example");
	inet_pton(AF_INET6, "2001:db8:1:2:aaaa:bbbb:cccc:dddd", addr);
	dns_suffix_apply(addr, s, out);
	is_str(inet_ntop(AF_INET6, out, buf, sizeof(buf)), "2001:db8:1:2:211:32ff:fe12:3456",
	       "joined with a /64 prefix");
	dns_suffix_apply(addr, s, addr);
	is_str(inet_ntop(AF_INET6, addr, buf, sizeof(buf)), "2001:db8:1:2:211:32ff:fe12:3456",
	       "out may be addr");
	inet_pton(AF_INET6, "fe80::1", addr);
	dns_suffix_apply(addr, s, out);
	is_str(inet_ntop(AF_INET6, out, buf, sizeof(buf)), "fe80::211:32ff:fe12:3456",
	       "a zero second half of the prefix stays zero");
	is_int(dns_suffix_parse("::1", s), 0, "::1, interface id 1");
	inet_pton(AF_INET6, "2001:db8::ffff:ffff:ffff:ffff", addr);
	dns_suffix_apply(addr, s, out);
	is_str(inet_ntop(AF_INET6, out, buf, sizeof(buf)), "2001:db8::1",
	       "every bit of the address's identifier replaced");
	is_int(dns_suffix_parse("::ffff:ffff:ffff:ffff", s), 0, "an all-ones identifier");
	is_int(dns_suffix_parse("0:0:0:0:211:32ff:fe12:3456", s), 0, "the long form");
	is_int(dns_suffix_parse("::FFFF:1.2.3.4", s), 0, "upper case, a dotted tail");
	static const char *const bad[] = {
		"::", "::0", "0:0:0:0:0:0:0:0", "1::211:32ff:fe12:3456",
		"0:0:0:1::1", "2001:db8::1", "::211:32ff:fe12:3456/64", "::211:32ff:fe12:3456%eth0",
		" ::1", "::1 ", "211:32ff:fe12:3456", "1.2.3.4", "", "::1::2", "::10000", "eui64",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(s, 0xee, sizeof(s));
		ok(dns_suffix_parse(bad[i], s) == -EINVAL && s[0] == 0xee, "refused: '%s'", bad[i]);
	}
	is_int(dns_suffix_parse(NULL, s), -EINVAL, "NULL refused");
}

int main(void)
{
	test_rfc_vectors();
	test_names();
	test_limits();
	test_duid_uuid();
	test_machine_id();
	test_suffix();
	return tap_done();
}
