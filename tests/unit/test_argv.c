/* The command splitter (core/argv.c, exec's and host->cfg_command's): quoting, escapes, no expansion. */
#include <stdlib.h>

#include "../../core/argv.h"
#include "../../core/util.h"
#include "tap.h"

static void check(const char *in, const char *const *want, const char *what)
{
	const char *err = NULL;
	size_t n = 0;
	char **v = argv_split(in, &n, &err);
	if (!v) {
		ok(0, "%s: split failed: %s", what, err);
		return;
	}
	size_t k = 0;
	for (; want[k]; k++)
		if (!v[k] || strcmp(v[k], want[k]))
			break;
	bool same = !want[k] && !v[k] && n == k;
	ok(same, "%s", what);
	if (!same)
		for (size_t j = 0; v[j]; j++)
			printf("#   word %zu: [%s]\n", j, v[j]);
	free_words(v);
}

static void check_err(const char *in, const char *want_err)
{
	const char *err = NULL;
	char **v = argv_split(in, NULL, &err);
	ok(v == NULL && err && !strcmp(err, want_err), "error for [%s]: %s", in,
	   err ? err : "(none)");
	free_words(v);
}

int main(void)
{
	check("/bin/echo a b", (const char *[]){"/bin/echo", "a", "b", NULL}, "plain words");
	check("  /bin/echo \t a  ", (const char *[]){"/bin/echo", "a", NULL}, "blanks collapse");
	check("x 'a b' \"c d\"", (const char *[]){"x", "a b", "c d", NULL}, "quotes group");
	check("x 'it''s'", (const char *[]){"x", "its", NULL}, "adjacent quotes join");
	check("x a\\ b", (const char *[]){"x", "a b", NULL}, "backslash escapes a blank");
	check("x \"a\\\"b\\\\c\\n\"", (const char *[]){"x", "a\"b\\c\\n", NULL},
	      "in double quotes only \\\" and \\\\ are escapes");
	check("x '\\n'", (const char *[]){"x", "\\n", NULL}, "single quotes are literal");
	check("x $(id) `id` ${HOME} *", (const char *[]){"x", "$(id)", "`id`", "${HOME}", "*", NULL},
	      "no expansion of any kind");
	check("x a;b|c&&d>e", (const char *[]){"x", "a;b|c&&d>e", NULL}, "no shell operators");
	check("x ''", (const char *[]){"x", "", NULL}, "an empty quoted word is kept");
	check("x ~", (const char *[]){"x", "~", NULL}, "no tilde expansion");
	check_err("x 'abc", "unbalanced single quote");
	check_err("x \"abc", "unbalanced double quote");
	check_err("x \"a\\\"", "unbalanced double quote");
	check_err("x abc\\", "backslash at the end");
	check_err("   ", "empty command");
	check_err("", "empty command");
	return tap_done();
}
