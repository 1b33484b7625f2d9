/* The two protocols' wire without I/O: dyndns2's query string, and what an
 * answer to either protocol means.  Pure functions over (buf, len), fuzzed. */
#ifndef NLEVD_HTTP_PROTO_H
#define NLEVD_HTTP_PROTO_H
#include <stddef.h>

/* What an answer means for the next try.  SLOW is transient, but the
 * provider asked for a pause (911, dnserr, HTTP 429): at least 5 minutes. */
enum http_class { HTTP_OK, HTTP_TRANSIENT, HTTP_SLOW, HTTP_PERMANENT };

#define DYNDNS2_SLOW_MS (5 * 60 * 1000)
#define DYNDNS2_WORD_MAX 48

/* "hostname=h1,h2&myip=A&myipv6=B", each value percent-encoded; myip or
 * myipv6 NULL leaves the parameter out.  The length, or -1 when buf (len
 * bytes) is too small. */
int dyndns2_query(const char *const *hosts, size_t nhosts, const char *myip,
		  const char *myipv6, char *buf, size_t len);

/* The answer to an update: the HTTP status and the body (any bytes).  Each
 * line of the body is one hostname's return code; the worst decides.
 * word gets the code that decided ("good", "badauth", "HTTP 500"), made
 * printable and cut to fit, for the log and the status. */
enum http_class dyndns2_classify(long status, const char *body, size_t len, char *word,
				 size_t wlen);

/* A webhook's answer: 2xx success; 5xx, 408 and 429 transient; any other
 * status (3xx, 4xx) permanent.  word as above ("HTTP 404"). */
enum http_class webhook_classify(long status, char *word, size_t wlen);

#endif
