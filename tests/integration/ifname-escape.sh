#!/bin/bash
# A hostile interface name (ESC sequences, a C1 control, a byte that is not
# UTF-8; the kernel refuses only '/', ':', blanks and NUL) reaches neither
# the text log nor the daemon's own log raw: such bytes are \xNN there, and
# JSON has them as \u escapes.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init ifname-escape
# start_nlevd counts 'started:' lines in NLEVD_ERR, which its background job
# may not have created yet: an absent file ends its wait at once.
: >"$NLEVD_ERR"

TXT=$T/events.txt
EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF
[text]
plugin = log
output = $TXT

[json]
plugin = log
format = json
output = $EV
EOF
start_nlevd "$T/nlevd.conf"

name=$'e\x1b[2J\xc2\x9b\xff'
ip -n "$NS" link add name "$name" type veth peer name p0 || fail "cannot create the interface"
wait_event "$EV" '.event == "link-add" and .ifname == "e\u001b[2J\u009b\ufffd"'
wait_for "grep -qF 'link-add ifname=\"e\\x1b[2J\\xc2\\x9b\\xff\" ' '$TXT'" 10 ||
	{ cat -v "$TXT"; fail "text log: the name is not written as \"e\\x1b[2J\\xc2\\x9b\\xff\""; }
LC_ALL=C grep -naP '[^\x20-\x7e]' "$TXT" | cat -v | head -3 | grep . &&
	fail "text log: raw control or non-ASCII bytes"

kill -USR1 "$NLEVD_PID"
wait_for "grep -q 'lines written' '$NLEVD_ERR'" 10 || fail "USR1: no instance status"
grep -qF ' e\x1b[2J\xc2\x9b\xff: down' "$NLEVD_ERR" ||
	{ grep -a ' p0' -B2 -A2 "$NLEVD_ERR" | cat -v; fail "USR1: the name is not listed escaped"; }
LC_ALL=C grep -naP '[^\x20-\x7e]' "$NLEVD_ERR" | cat -v | head -3 | grep . &&
	fail "daemon log: raw control or non-ASCII bytes"
stop_nlevd
pass
