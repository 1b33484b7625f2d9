/* The BIND key-file parser. */
#include "../../plugins/dns/keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tsig_key k;
	char err[200];
	keyfile_parse((const char *)data, size, NULL, &k, err, sizeof(err));
	keyfile_parse((const char *)data, size, "nlevd-key", &k, err, sizeof(err));
	return 0;
}
