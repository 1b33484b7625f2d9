/* Request header lines from the configuration (`header`) and from a
 * secret file (`header_file`): checked so that nothing a file holds can
 * split a request or smuggle a second one.  Pure, fuzzed. */
#ifndef NLEVD_HTTP_HDRS_H
#define NLEVD_HTTP_HDRS_H
#include <stddef.h>

#define HDRS_MAX 64            /* header lines in one file */
#define HDRS_FILE_MAX 65536    /* bytes of a header file */
#define HDRS_LINE_MAX 8192     /* bytes of one header line */

/* Check one "Name: value" line (len bytes, no newline) and write it
 * normalised as "Name: value" (blanks around the value trimmed) to out.
 * The name is an RFC 9110 token and not one nlevd or libcurl set
 * (Host, Content-Length, Transfer-Encoding, Connection, Expect); the value
 * has no control characters but tab.  0, or -1 with the reason in err. */
int hdr_check(const char *line, size_t len, char *out, size_t outlen, char *err,
	      size_t errlen);

/* Every line of a header file: blank lines and lines starting with '#' are
 * skipped, every other one must pass hdr_check.  *lines (malloc'd, each
 * line malloc'd; hdrs_free) and *n.  0, or -1 with "line N: reason" in err
 * (nothing allocated then).  Secrets: the caller wipes buf. */
int hdrs_parse(const char *buf, size_t len, char ***lines, size_t *n, char *err,
	       size_t errlen);
/* Wipe and free what hdrs_parse allocated. */
void hdrs_free(char **lines, size_t n);

#endif
