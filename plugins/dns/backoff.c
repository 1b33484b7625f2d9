/* Exponential back-off with jitter, shared by the DNS engine and the http
 * plugin (each links this file alone, without the other's libraries). */
#include "backoff.h"

uint64_t dns_backoff_ms(uint64_t retry, uint64_t retry_max, unsigned failures, bool permanent,
			double u)
{
	if (permanent)
		return retry_max;
	uint64_t d = retry;
	for (unsigned i = 1; i < failures && d < retry_max; i++)
		d *= 2;
	if (d > retry_max)
		d = retry_max;
	/* Jitter: 80% to 120%, never above retry_max. */
	double j = (double)d * (0.8 + 0.4 * u);
	d = (uint64_t)j;
	return d > retry_max ? retry_max : d;
}
