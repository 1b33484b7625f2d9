/* ownership = dhcid: the host's DUID-UUID from its machine id, and DHCID RDATA (RFC 4701). */
#ifndef NLEVD_DHCID_H
#define NLEVD_DHCID_H
#include <stddef.h>
#include <stdint.h>

#define DNS_DUID_MAX 130      /* RFC 8415 11.1: a 2-byte type and at most 128 bytes */
#define DNS_DUID_UUID_LEN 18  /* RFC 6355: type 4, then a 16-byte UUID */
#define DNS_DHCID_ID_MAX 255  /* the most any identifier type carries (a DHCPv4 option) */
#define DNS_DHCID_LEN 35      /* identifier type, digest type, SHA-256 */
#define DNS_DHCID_B64_LEN 49  /* its base64 (48 characters) and the NUL */

/* RFC 4701 3.3 identifier types */
#define DNS_DHCID_ID_CHADDR 0x0000   /* DHCPv4 htype, then chaddr */
#define DNS_DHCID_ID_CLIENTID 0x0001 /* the DHCPv4 client identifier option's data */
#define DNS_DHCID_ID_DUID 0x0002     /* a DHCPv6 DUID */

/* The host's DUID-UUID (RFC 6355: DUID type 4, then a 16-byte UUID), the UUID
 * derived from the machine id as systemd's sd_id128_get_machine_app_specific()
 * does: HMAC-SHA256 keyed by the 16-byte machine id over a fixed 16-byte
 * application id of nlevd, the first 16 bytes, made a version-4 UUID
 * (byte 6 = (b6 & 0x0f) | 0x40, byte 8 = (b8 & 0x3f) | 0x80).
 * Returns the DUID length (18), -ENOBUFS if len is less, or -EIO if
 * libcrypto fails. */
int dns_duid_uuid(const uint8_t machine_id[16], uint8_t *duid, size_t len);

/* Read an /etc/machine-id style file: exactly 32 lowercase hex digits and a
 * newline; anything else (all zero, "uninitialized" during a first boot, a
 * wrong length, not a regular file) is refused.  0, or -errno with
 * "PATH: reason" in err. */
int dns_machine_id_read(const char *path, uint8_t id[16], char *err, size_t errlen);
/* The same over the file's contents, pure (for fuzzing): 0 or -EINVAL with
 * the reason in err. */
int dns_machine_id_parse(const char *buf, size_t n, uint8_t id[16], char *err, size_t errlen);

/* RFC 4701 DHCID RDATA for a DHCPv6-style identifier: identifier type 0x0002
 * (DUID), digest type 1 (SHA-256), digest = SHA-256(DUID || FQDN in canonical
 * wire form, i.e. lower case).  The FQDN is in presentation form, with or
 * without the trailing dot, of labels of letters, digits, '-' and '_' (as
 * dns_name_normalize() accepts).  The DUID is 3 to DNS_DUID_MAX bytes.
 * dns_dhcid_rdata() writes the raw RDATA and returns its length (35);
 * dns_dhcid_b64() writes the base64 presentation form (as in zone files and
 * nsupdate), NUL-terminated, and returns 0.  -EINVAL: a bad fqdn or DUID;
 * -ENOBUFS: len is less than DNS_DHCID_LEN or DNS_DHCID_B64_LEN. */
int dns_dhcid_rdata(const uint8_t *duid, size_t duid_len, const char *fqdn, uint8_t *rdata,
		    size_t len);
int dns_dhcid_b64(const uint8_t *duid, size_t duid_len, const char *fqdn, char *b64, size_t len);

/* The same for any identifier type (RFC 4701 3.3), 1 to DNS_DHCID_ID_MAX
 * bytes of identifier: the RFC's DHCPv4 examples use types 0 and 1. */
int dns_dhcid_rdata_id(uint16_t id_type, const uint8_t *id, size_t id_len, const char *fqdn,
		       uint8_t *rdata, size_t len);
int dns_dhcid_b64_id(uint16_t id_type, const uint8_t *id, size_t id_len, const char *fqdn,
		     char *b64, size_t len);
#endif
