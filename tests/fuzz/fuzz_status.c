/* The structured-status builder and its renderers: any sequence of calls
 * a plugin can make (bad keys, NULL keys, unbalanced ends, deep nesting,
 * any bytes in values) gives bounded log lines and one JSON object made of
 * printable ASCII. */
#include <stdlib.h>
#include <string.h>

#include "status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A key from the input: NULL (0xff), or up to 40 bytes as they come. */
static const char *take_key(const uint8_t **p, const uint8_t *end, char *buf)
{
	if (*p >= end)
		return "k";
	uint8_t n = *(*p)++;
	if (n == 0xff)
		return NULL;
	n %= 41;
	size_t k = 0;
	while (k < n && *p < end) {
		char c = (char)*(*p)++;
		if (c)
			buf[k++] = c;
	}
	buf[k] = 0;
	return buf;
}

static void line_cb(const char *line, void *arg)
{
	size_t n = strlen(line);
	if (n > STATUS_LINE_MAX + 3)
		abort(); /* a log line longer than the bound */
	(void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct nlevd_status *st = status_new();
	if (!st)
		return 0;
	const uint8_t *p = data, *end = data + size;
	char key[48], val[300];
	while (p < end) {
		uint8_t op = *p++;
		const char *k = take_key(&p, end, key);
		switch (op % 7) {
		case 0:
			status_object(st, k);
			break;
		case 1:
			status_list(st, k);
			break;
		case 2:
			status_end(st);
			break;
		case 3: {
			size_t n = p < end ? *p++ : 0, i = 0;
			while (i < n && p < end && i < sizeof(val) - 1)
				val[i++] = (char)(*p ? *p : '0'), p++;
			val[i] = 0;
			status_string(st, k, "%s", val);
			break;
		}
		case 4:
			status_uint(st, k, (uint64_t)op * 0x0101010101010101ull);
			break;
		case 5:
			status_bool(st, k, op & 8);
			break;
		default: /* many values at once, towards the byte bound */
			for (int i = 0; i < 64; i++)
				status_string(st, k, "%0200d", i);
			break;
		}
	}
	status_text(st, line_cb, NULL);
	char *json = status_json(st);
	if (json) {
		size_t n = strlen(json);
		if (n < 2 || json[0] != '{' || json[n - 1] != '}')
			abort();
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)json[i] < 0x20 || (unsigned char)json[i] > 0x7e)
				abort(); /* json_quote writes ASCII only */
		free(json);
	}
	(void)status_summary(st);
	status_free(st);
	return 0;
}
