/* The DHCID identity and ipv6_suffix: the input as a machine-id file, as
 * an ipv6_suffix value, and as a length byte, a DUID and an owner name.
 * Besides not crashing: the RDATA is 35 bytes, its base64 decodes back to
 * it, and upper case or a trailing dot never changes it. */
#include <ctype.h>
#include <errno.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/dns/dhcid.h"
#include "../../plugins/dns/suffix.h"

static void check(int cond)
{
	if (!cond)
		abort();
}

/* A NUL-terminated heap copy, exactly sized, so a read past the end shows. */
static char *str(const uint8_t *d, size_t n)
{
	char *s = malloc(n + 1);
	if (s) {
		memcpy(s, d, n);
		s[n] = 0;
	}
	return s;
}

static void name_case(const uint8_t *duid, size_t dl, const char *fqdn)
{
	uint8_t *r = malloc(DNS_DHCID_LEN), r2[DNS_DHCID_LEN];
	char *b = malloc(DNS_DHCID_B64_LEN);
	size_t n = strlen(fqdn);
	char *up = malloc(n + 2);
	if (!r || !b || !up)
		goto out;
	int rc = dns_dhcid_rdata(duid, dl, fqdn, r, DNS_DHCID_LEN);
	check(rc == DNS_DHCID_LEN || rc == -EINVAL);
	for (size_t i = 0; i <= n; i++)
		up[i] = (char)toupper((unsigned char)fqdn[i]);
	check(dns_dhcid_rdata(duid, dl, up, r2, sizeof(r2)) == rc);
	if (rc < 0)
		goto out;
	check(!memcmp(r, r2, DNS_DHCID_LEN));
	check(r[0] == 0 && r[1] == 2 && r[2] == 1);
	if (n && fqdn[n - 1] != '.') {
		up[n] = '.';
		up[n + 1] = 0;
		check(dns_dhcid_rdata(duid, dl, up, r2, sizeof(r2)) == DNS_DHCID_LEN);
		check(!memcmp(r, r2, DNS_DHCID_LEN));
	}
	check(dns_dhcid_b64(duid, dl, fqdn, b, DNS_DHCID_B64_LEN - 1) == -ENOBUFS);
	check(dns_dhcid_rdata(duid, dl, fqdn, r2, DNS_DHCID_LEN - 1) == -ENOBUFS);
	check(dns_dhcid_b64(duid, dl, fqdn, b, DNS_DHCID_B64_LEN) == 0);
	check(strlen(b) == DNS_DHCID_B64_LEN - 1);
	uint8_t dec[DNS_DHCID_B64_LEN];
	/* 36 bytes: EVP_DecodeBlock counts the padding as zero bytes. */
	check(EVP_DecodeBlock(dec, (const unsigned char *)b, DNS_DHCID_B64_LEN - 1) == 36);
	check(!memcmp(dec, r, DNS_DHCID_LEN));
out:
	free(up);
	free(b);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t id[16], duid[DNS_DUID_UUID_LEN], s6[16], a[16], out[16];
	char err[200];

	if (dns_machine_id_parse((const char *)data, size, id, err, sizeof(err)) == 0) {
		check(size == 33);
		check(dns_duid_uuid(id, duid, sizeof(duid)) == DNS_DUID_UUID_LEN);
		check(duid[0] == 0 && duid[1] == 4 && duid[8] >> 4 == 4 && duid[10] >> 6 == 2);
	}

	char *s = str(data, size);
	if (!s)
		return 0;
	if (dns_suffix_parse(s, s6) == 0) {
		static const uint8_t zero[8];
		check(!memcmp(s6, zero, 8) && memcmp(s6 + 8, zero, 8));
		memset(a, 0xa5, sizeof(a));
		dns_suffix_apply(a, s6, out);
		check(!memcmp(out, a, 8) && !memcmp(out + 8, s6 + 8, 8));
	}
	free(s);

	/* A length byte, that many bytes of DUID, the rest an owner name. */
	if (size < 1)
		return 0;
	size_t dl = data[0];
	if (dl > size - 1)
		dl = size - 1;
	uint8_t *d = malloc(dl ? dl : 1);
	char *fqdn = str(data + 1 + dl, size - 1 - dl);
	if (d && fqdn) {
		memcpy(d, data + 1, dl);
		if (dl < 3 || dl > DNS_DUID_MAX)
			check(dns_dhcid_rdata(d, dl, fqdn, duid, 0) == -EINVAL);
		else
			name_case(d, dl, fqdn);
	}
	free(fqdn);
	free(d);
	return 0;
}
