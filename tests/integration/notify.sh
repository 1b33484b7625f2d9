#!/bin/bash
# systemd notification (built --with-systemd; Type=notify): READY=1 with a
# STATUS summary once started, RELOADING=1 then READY=1 around a reload (a
# failed one too), STOPPING=1 on TERM.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init notify
if ! "$NLEVD" -V | grep -F '+systemd' >/dev/null; then
	[ "${CI:-}" = true ] && fail "nlevd is not built --with-systemd (CI builds it so)"
	echo "SKIP: notify: nlevd built without --with-systemd"
	exit 77
fi
LISTEN=${NOTIFY_LISTEN:-$(dirname "$NLEVD")/tests/notify-listen}
[ -x "$LISTEN" ] || fail "$LISTEN is not built"
"$LISTEN" "$T/notify.sock" >"$T/notify.out" 2>&1 &
_PIDS+=("$!")
wait_for "[ -S '$T/notify.sock' ]" || fail "the listener did not start"
cat >"$T/nlevd.conf" <<EOF
[all]
plugin = log
format = json
output = $T/events.json
EOF
export NOTIFY_SOCKET=$T/notify.sock
start_nlevd "$T/nlevd.conf"
wait_for "grep -q '^READY=1|STATUS=[0-9]* interfaces, [0-9]* addresses, 1 instances$' '$T/notify.out'" ||
	fail "no READY=1 with a status: $(cat "$T/notify.out")"
kill -HUP "$NLEVD_PID"
wait_for "[ \$(grep -c '^READY=1' '$T/notify.out') -ge 2 ]" || fail "no READY=1 after HUP: $(cat "$T/notify.out")"
grep "^RELOADING=1|STATUS=reloading $T/nlevd.conf$" "$T/notify.out" >/dev/null || fail "no RELOADING=1"
echo "[broken" >>"$T/nlevd.conf"
kill -HUP "$NLEVD_PID"
wait_for "grep -q 'STATUS=reload failed (1 errors), old configuration running' '$T/notify.out'" ||
	fail "a failed reload is not reported: $(cat "$T/notify.out")"
stop_nlevd
wait_for "grep -q '^STOPPING=1' '$T/notify.out'" || fail "no STOPPING=1"
# In order: READY, RELOADING, READY, RELOADING, READY, STOPPING
order=$(cut -d'|' -f1 "$T/notify.out" | tr '\n' ' ')
[ "$order" = "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 " ] || fail "order: $order"
pass
