#!/bin/sh
# Config corpus: `nlevd -t` on every file of tests/config/bad and good.
#
#   bad/*.conf   must exit 78 and print every `# expect: TEXT` of the file
#                (a fixed substring of stderr+stdout; trailing blanks are
#                ignored); `# errors: N` also checks the summary line
#                "nlevd: FILE: N error(s)", so nothing else was reported.
#   good/*.conf  must exit 0 and print "configuration ok".
# Files in subdirectories (include targets) are not run on their own.
#
# Environment (set by make check; defaulted relative to this script):
#   NLEVD          the daemon            (default: ../../nlevd)
#   NLEVD_PLUGINS  directory with log.la (default: ../../plugins)
#   TESTS_SRCDIR   the tests directory   (default: ..)
# Output is TAP; exit status 0 when everything passed, 1 otherwise.

set -u

here=$(cd "$(dirname "$0")" && pwd)
: "${TESTS_SRCDIR:=$(cd "$here/.." && pwd)}"
top=$(cd "$here/../.." && pwd)
: "${NLEVD:=$top/nlevd}"
: "${NLEVD_PLUGINS:=$top/plugins}"
corpus="$TESTS_SRCDIR/config"

n=0
failed=0
out=$(mktemp "${TMPDIR:-/tmp}/nlevd-corpus.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT HUP INT TERM

ok() {
	n=$((n + 1))
	echo "ok $n - $*"
}

not_ok() {
	n=$((n + 1))
	failed=$((failed + 1))
	echo "not ok $n - $*"
	sed 's/^/#   /' "$out"
}

if [ ! -x "$NLEVD" ]; then
	echo "1..1"
	echo "not ok 1 - $NLEVD is not an executable (build it first)"
	exit 1
fi
if [ ! -d "$corpus/bad" ] || [ ! -d "$corpus/good" ]; then
	echo "1..1"
	echo "not ok 1 - no corpus in $corpus"
	exit 1
fi

for f in "$corpus"/bad/*.conf; do
	[ -e "$f" ] || continue
	name=bad/$(basename "$f")
	"$NLEVD" -t -c "$f" -P "$NLEVD_PLUGINS" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 78 ]; then
		not_ok "$name: exit status $rc, want 78"
		continue
	fi
	nexpect=0
	bad=
	# `# expect: TEXT` lines; TEXT up to the last non-blank character
	while IFS= read -r line; do
		case $line in
		"# expect: "*)
			want=${line#"# expect: "}
			want=$(printf '%s' "$want" | sed 's/[[:space:]]*$//')
			nexpect=$((nexpect + 1))
			grep -qF -e "$want" "$out" || bad="$bad [missing: $want]"
			;;
		"# errors: "*)
			count=${line#"# errors: "}
			count=$(printf '%s' "$count" | tr -d '[:space:]')
			grep -qE ": $count errors?\$" "$out" || bad="$bad [not $count errors]"
			;;
		esac
	done <"$f"
	if [ "$nexpect" -eq 0 ]; then
		not_ok "$name: has no '# expect:' line"
	elif [ -n "$bad" ]; then
		not_ok "$name:$bad"
	else
		ok "$name: exit 78, $nexpect expected message(s)"
	fi
done

for f in "$corpus"/good/*.conf; do
	[ -e "$f" ] || continue
	name=good/$(basename "$f")
	"$NLEVD" -t -c "$f" -P "$NLEVD_PLUGINS" >"$out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		not_ok "$name: exit status $rc, want 0"
	elif ! grep -qF "configuration ok" "$out"; then
		not_ok "$name: no 'configuration ok'"
	else
		ok "$name: exit 0"
	fi
done

echo "1..$n"
if [ "$n" -eq 0 ]; then
	echo "# no corpus files found in $corpus"
	exit 1
fi
[ "$failed" -eq 0 ] || {
	echo "# $failed of $n failed"
	exit 1
}
exit 0
