/* Configuration parsing: inih on a buffer, through our line reader, plus
 * the [nlevd] validation. */
#include "cfg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cfg *c = cfg_load_buffer("fuzz.conf", (const char *)data, size);
	cfg_free(c);
	return 0;
}
