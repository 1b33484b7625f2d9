#ifndef NLEVD_NSUCLASS_H
#define NLEVD_NSUCLASS_H
#include <stdbool.h>
#include <stddef.h>
#include "engine.h"
/* What an nsupdate run's exit and output mean.  nsupdate exits 2 both for
 * NOTAUTH(BADSIG) and for "connection refused": only its messages tell. */
enum dns_result nsu_classify(int status, bool timed_out, const char *output, char *detail,
			     size_t len);
#endif
