#!/bin/bash
# Every configuration key the parser accepts (the [nlevd] keys, the core's
# per-instance keys, each shipped plugin's keys) is documented in
# nlevd.conf(5), and every command-line option in nlevd(8).
set -u
top=${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/..
man5=$top/man/nlevd.conf.5.in
man8=$top/man/nlevd.8.in
fail=0
# The string literals of the key arrays in the sources.
keys=$(awk '/(known|core_keys|keys|dns_config_keys)\[\] = \{/ {on = 1} on {print} on && /NULL\}?;|\};/ {on = 0}' \
	"$top"/core/config.c "$top"/core/instcfg.c "$top"/plugins/*.c "$top"/plugins/dns/*.c \
	"$top"/plugins/http/*.c |
	grep -o '"[a-z_]*"' | tr -d '"' | sort -u)
n=0
for k in $keys; do
	n=$((n + 1))
	if ! grep -E "^\.(B|BR|TP) .*\b$k\b|^\.B $k\$|^\.BR $k " "$man5" >/dev/null; then
		echo "not documented in nlevd.conf(5): $k"
		fail=1
	fi
done
[ "$n" -ge 30 ] || { echo "found only $n keys in the sources: the extraction broke"; fail=1; }
for o in config plugin-dir foreground check once pidfile version help; do
	grep -F -- "\\-\\-$(echo "$o" | sed 's/-/\\-/g')" "$man8" >/dev/null || { echo "option --$o not in nlevd(8)"; fail=1; }
done
[ $fail -eq 0 ] && echo "PASS: $n keys documented"
exit $fail
