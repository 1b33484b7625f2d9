/* The http plugin's parsers over untrusted bytes: a provider's answer
 * (dyndns2_classify), header lines and header files, and the query built
 * from whatever names a configuration holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../plugins/http/hdrs.h"
#include "../../plugins/http/proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	/* The first two bytes pick an HTTP status, the rest is the body. */
	long status = 100 + ((data[0] << 8 | data[1]) % 500);
	const char *body = (const char *)data + 2;
	size_t len = size - 2;
	char word[DYNDNS2_WORD_MAX];
	enum http_class c = dyndns2_classify(status, body, len, word, sizeof(word));
	if (c > HTTP_PERMANENT || strlen(word) >= sizeof(word))
		abort();
	webhook_classify(status, word, sizeof(word));

	char **lines;
	size_t n;
	char err[300];
	if (hdrs_parse(body, len, &lines, &n, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < n; i++)
			/* What libcurl gets never holds a line break. */
			if (strpbrk(lines[i], "\r\n"))
				abort();
		hdrs_free(lines, n);
	}

	/* The body as a host name: the query never holds a raw '&', '=' or
	 * blank from it, and always fits or says it does not. */
	char *name = malloc(len + 1);
	if (!name)
		return 0;
	memcpy(name, body, len);
	name[len] = 0;
	const char *hosts[] = {name};
	char q[512];
	int r = dyndns2_query(hosts, 1, name, NULL, q, sizeof(q));
	if (r >= 0 && ((size_t)r != strlen(q) || strchr(q + 9, ' ') ||
		       strchr(q + 9, '=') != strstr(q, "&myip=") + 5))
		abort();
	free(name);
	return 0;
}
