/* Exponential back-off with jitter, shared by the DNS engine and the http
 * plugin. */
#ifndef NLEVD_DNS_BACKOFF_H
#define NLEVD_DNS_BACKOFF_H
#include <stdbool.h>
#include <stdint.h>

/* The wait before the next try after failures consecutive ones: retry,
 * doubled per further failure up to retry_max, times 0.8 .. 1.2 (u uniform
 * in [0,1)), never above retry_max; permanent: retry_max. */
uint64_t dns_backoff_ms(uint64_t retry, uint64_t retry_max, unsigned failures, bool permanent,
			double u);

#endif
