#!/bin/bash
# A plugin written in C++ (tests/plugins/cxx.cc, built by make check with
# -Wall -Wextra -Werror -pedantic and -fvisibility=hidden): as C++11 with
# the descriptor filled by a function at load time, and as C++20 with
# designated initializers.  Each exports nlevd_plugin alone, unmangled,
# because plugin.h declares it; each loads, passes -t, and records the
# addr-add of an address added in the test's namespace.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init cxx-plugin
: "${NLEVD_TEST_EMITTER_DIR:=$_top/tests/plugins}"

so()
{
	local f
	for f in "$2/.libs/$1.so" "$2/$1.so"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
command -v nm >/dev/null 2>&1 || fail "nm (binutils) is required"
mkdir "$T/plugins"
for p in cxx cxx20; do
	f=$(so "$p" "$NLEVD_TEST_EMITTER_DIR") ||
		fail "no $p plugin in $NLEVD_TEST_EMITTER_DIR (make check builds it)"
	syms=$(nm -D --defined-only "$f" | awk '{print $NF}' | tr '\n' ' ')
	[ "$syms" = "nlevd_plugin " ] || fail "$p.so should export nlevd_plugin alone, exports: $syms"
	ln -s "$f" "$T/plugins/$p.so"
done
NLEVD_PLUGINS=$T/plugins

cat >"$T/nlevd.conf" <<EOF
[nlevd]
log_level = info

[old-cxx]
plugin = cxx
interfaces = v0
family = ipv4
record = $T/cxx.rec

[new-cxx]
plugin = cxx20
interfaces = v0
family = ipv4
record = $T/cxx20.rec
EOF
"$NLEVD" -t -c "$T/nlevd.conf" -P "$NLEVD_PLUGINS" >"$T/check.out" 2>&1 ||
	fail "-t refused the C++ plugins: $(cat "$T/check.out")"
# Its own config error, at FILE:LINE, from C++.
sed '/^record = .*cxx20.rec$/d' "$T/nlevd.conf" >"$T/bad.conf"
out=$("$NLEVD" -t -c "$T/bad.conf" -P "$NLEVD_PLUGINS" 2>&1)
rc=$?
[ "$rc" -eq 78 ] || fail "-t without record exited $rc, wanted 78: $out"
printf '%s\n' "$out" | matches 'bad.conf:[0-9]*: \[new-cxx\] record = FILE is required' ||
	fail "no FILE:LINE error from the C++ plugin: $out"

start_nlevd "$T/nlevd.conf"
veth_pair v0 v1
ip -n "$NS" addr add 10.40.0.1/24 dev v0 || fail "ip addr add"
for r in old-cxx:cxx new-cxx:cxx20; do
	wait_for "grep -q '^${r%%:*} addr-add .*address=10\.40\.0\.1\b' '$T/${r#*:}.rec'" ||
		fail "${r#*:} did not record the addr-add: $(cat "$T/${r#*:}.rec" 2>&1)"
done
assert_running "after the C++ plugins' events"
stop_nlevd
pass
