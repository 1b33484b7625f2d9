#!/bin/bash
# Replay every fuzz target's seed corpus (and any crash inputs kept there)
# as an ordinary test: no crash, no sanitizer report.
set -u
dir=${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/fuzz
bin=${FUZZ_BIN:-$(dirname "$NLEVD")/tests/fuzz}
fail=0
for t in nlmsg config keyfile verify update dhcid query status tkey http; do
	if ! "$bin/fuzz_$t" "$dir/corpus/$t"; then
		echo "FAIL: fuzz_$t on its corpus"
		fail=1
	fi
done
exit $fail
