/* ownership = dhcid: the host's DUID-UUID from its machine id, and DHCID RDATA (RFC 4701). */
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dhcid.h"

/* nlevd's application id, the message of the HMAC that derives the host's
 * UUID from its machine id (eab1d75b-6ee5-49c0-8795-b15728af2afd, made once
 * with a random generator).  It must never change: the DHCID records that
 * claim a host's names in DNS are made from it, and a new id would make
 * every host a stranger to its own names. */
static const uint8_t nlevd_app_id[16] = {
	0xea, 0xb1, 0xd7, 0x5b, 0x6e, 0xe5, 0x49, 0xc0,
	0x87, 0x95, 0xb1, 0x57, 0x28, 0xaf, 0x2a, 0xfd,
};

int dns_duid_uuid(const uint8_t machine_id[16], uint8_t *duid, size_t len)
{
	uint8_t md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	if (len < DNS_DUID_UUID_LEN)
		return -ENOBUFS;
	/* Keyed by the machine id, which machine-id(5) asks to keep secret:
	 * the UUID published in DNS must not reveal it. */
	if (!HMAC(EVP_sha256(), machine_id, 16, nlevd_app_id, sizeof(nlevd_app_id), md, &mdlen) ||
	    mdlen < 16)
		return -EIO;
	duid[0] = 0x00; /* DUID-UUID, RFC 6355 */
	duid[1] = 0x04;
	memcpy(duid + 2, md, 16);
	duid[2 + 6] = (uint8_t)((duid[2 + 6] & 0x0f) | 0x40); /* version 4, as systemd */
	duid[2 + 8] = (uint8_t)((duid[2 + 8] & 0x3f) | 0x80); /* the RFC 4122 variant */
	explicit_bzero(md, sizeof(md));
	return DNS_DUID_UUID_LEN;
}

static void put_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void put_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1; /* upper case too: machine-id(5) says lower case */
}

int dns_machine_id_parse(const char *buf, size_t n, uint8_t id[16], char *err, size_t errlen)
{
	static const char uninit[] = "uninitialized\n";
	memset(id, 0, 16);
	/* systemd writes this during a first boot until the id is committed;
	 * an id derived then would change at the next boot. */
	if (n == sizeof(uninit) - 1 && !memcmp(buf, uninit, n)) {
		put_err(err, errlen, "is \"uninitialized\" (the first boot has not finished)");
		return -EINVAL;
	}
	if (n != 33 || buf[32] != '\n') {
		put_err(err, errlen,
			"is %zu bytes, not 32 lowercase hexadecimal digits and a newline", n);
		return -EINVAL;
	}
	bool zero = true;
	for (size_t i = 0; i < 16; i++) {
		int hi = hexval(buf[2 * i]), lo = hexval(buf[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			memset(id, 0, 16);
			put_err(err, errlen, "is not 32 lowercase hexadecimal digits and a newline");
			return -EINVAL;
		}
		id[i] = (uint8_t)(hi << 4 | lo);
		zero = zero && id[i] == 0;
	}
	if (zero) {
		put_err(err, errlen, "is all zero");
		return -EINVAL;
	}
	return 0;
}

int dns_machine_id_read(const char *path, uint8_t id[16], char *err, size_t errlen)
{
	char buf[64], why[128];
	size_t len = 0;
	ssize_t r = 0;
	int rc;
	memset(id, 0, 16);
	/* O_NONBLOCK: a FIFO in its place must not hang the daemon. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		put_err(err, errlen, "cannot open %s: %s", path, strerror(-rc));
		return rc;
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		rc = -errno;
		put_err(err, errlen, "%s: %s", path, strerror(-rc));
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		put_err(err, errlen, "%s is not a regular file", path);
		close(fd);
		return -EINVAL;
	}
	while (len < sizeof(buf) &&
	       ((r = read(fd, buf + len, sizeof(buf) - len)) > 0 || (r < 0 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	rc = r < 0 ? -errno : 0;
	close(fd);
	if (rc < 0) {
		put_err(err, errlen, "cannot read %s: %s", path, strerror(-rc));
	} else if (len == sizeof(buf)) {
		rc = -EINVAL;
		put_err(err, errlen,
			"%s is over %zu bytes, not 32 lowercase hexadecimal digits and a newline",
			path, sizeof(buf) - 1);
	} else if ((rc = dns_machine_id_parse(buf, len, id, why, sizeof(why))) < 0) {
		put_err(err, errlen, "%s %s", path, why);
	}
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* The canonical wire form of a presentation-form name (RFC 4034 6.2:
 * uncompressed, ASCII letters in lower case), into out[255]; its length,
 * or -EINVAL.  Only the characters dns_name_normalize() lets into a
 * configured name, so no escapes to decode. */
static int fqdn_wire(const char *fqdn, uint8_t out[255])
{
	if (!fqdn || !fqdn[0] || !strcmp(fqdn, "."))
		return -EINVAL; /* the root owns no host's addresses */
	size_t o = 0, lenpos = 0;
	out[o++] = 0;
	for (const char *p = fqdn;; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '.' || c == 0) {
			size_t label = o - lenpos - 1;
			if (label == 0) {
				if (c == 0 && p > fqdn && p[-1] == '.')
					break; /* the trailing dot's root label */
				return -EINVAL; /* an empty label */
			}
			if (label > 63)
				return -EINVAL;
			out[lenpos] = (uint8_t)label;
			if (o >= 255)
				return -EINVAL; /* no room left for the root label */
			lenpos = o;
			out[o++] = 0;
			if (c == 0)
				break;
			continue;
		}
		if (c >= 'A' && c <= 'Z')
			c = (unsigned char)(c - 'A' + 'a');
		else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return -EINVAL;
		if (o >= 254)
			return -EINVAL; /* 255 bytes with the root label at most */
		out[o++] = c;
	}
	return (int)o;
}

int dns_dhcid_rdata_id(uint16_t id_type, const uint8_t *id, size_t id_len, const char *fqdn,
		       uint8_t *rdata, size_t len)
{
	uint8_t buf[DNS_DHCID_ID_MAX + 255];
	if (!id || id_len == 0 || id_len > DNS_DHCID_ID_MAX)
		return -EINVAL;
	int w = fqdn_wire(fqdn, buf + id_len);
	if (w < 0)
		return w;
	if (len < DNS_DHCID_LEN)
		return -ENOBUFS;
	memcpy(buf, id, id_len);
	rdata[0] = (uint8_t)(id_type >> 8);
	rdata[1] = (uint8_t)id_type;
	rdata[2] = 1; /* digest type: SHA-256 */
	if (!SHA256(buf, id_len + (size_t)w, rdata + 3))
		return -EIO;
	return DNS_DHCID_LEN;
}

int dns_dhcid_b64_id(uint16_t id_type, const uint8_t *id, size_t id_len, const char *fqdn,
		     char *b64, size_t len)
{
	uint8_t rdata[DNS_DHCID_LEN];
	int rc = dns_dhcid_rdata_id(id_type, id, id_len, fqdn, rdata, sizeof(rdata));
	if (rc < 0)
		return rc;
	if (len < DNS_DHCID_B64_LEN)
		return -ENOBUFS;
	/* EVP_EncodeBlock writes no newlines, and the NUL. */
	if (EVP_EncodeBlock((unsigned char *)b64, rdata, DNS_DHCID_LEN) != DNS_DHCID_B64_LEN - 1)
		return -EIO;
	return 0;
}

static bool duid_ok(const uint8_t *duid, size_t duid_len)
{
	/* RFC 8415 11.1: the type and 1 to 128 bytes */
	return duid && duid_len >= 3 && duid_len <= DNS_DUID_MAX;
}

int dns_dhcid_rdata(const uint8_t *duid, size_t duid_len, const char *fqdn, uint8_t *rdata,
		    size_t len)
{
	if (!duid_ok(duid, duid_len))
		return -EINVAL;
	return dns_dhcid_rdata_id(DNS_DHCID_ID_DUID, duid, duid_len, fqdn, rdata, len);
}

int dns_dhcid_b64(const uint8_t *duid, size_t duid_len, const char *fqdn, char *b64, size_t len)
{
	if (!duid_ok(duid, duid_len))
		return -EINVAL;
	return dns_dhcid_b64_id(DNS_DHCID_ID_DUID, duid, duid_len, fqdn, b64, len);
}
