#ifndef NLEVD_NSUCLASS_H
#define NLEVD_NSUCLASS_H
#include <stdbool.h>
#include <stddef.h>
#include "engine.h"
/* What an nsupdate run's exit and output mean.  nsupdate exits 2 both for
 * NOTAUTH(BADSIG) and for "connection refused": only its messages tell. */
enum dns_result nsu_classify(int status, bool timed_out, const char *output, char *detail,
			     size_t len);
/* Whether the output tells of a Kerberos / GSS-API failure (the cache's
 * tickets are then not to be trusted: get new ones). */
bool nsu_gss_failure(const char *output);
#endif
