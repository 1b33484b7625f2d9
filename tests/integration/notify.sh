#!/bin/bash
# systemd notification (Type=notify, spoken by nlevd itself): READY=1 with a
# STATUS summary once started, RELOADING=1 then READY=1 around a reload (a
# failed one too), STOPPING=1 on TERM; an abstract socket ('@name'); a
# socket nobody listens on and an unusable address cost one warning, not
# the daemon.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init notify
LISTEN=${NOTIFY_LISTEN:-$(dirname "$NLEVD")/tests/notify-listen}
[ -x "$LISTEN" ] || fail "$LISTEN is not built"
"$LISTEN" "$T/notify.sock" >"$T/notify.out" 2>&1 &
_PIDS+=("$!")
wait_for "grep -q '^listening$' '$T/notify.out'" || fail "the listener did not start"
cat >"$T/nlevd.conf" <<EOF
[all]
plugin = log
format = json
output = $T/events.json
EOF
export NOTIFY_SOCKET=$T/notify.sock
start_nlevd "$T/nlevd.conf"
wait_for "grep -q '^READY=1|STATUS=[0-9]* interfaces, [0-9]* addresses, 1 instances; all: [0-9]* lines written, 0 lost to $T/events.json$' '$T/notify.out'" ||
	fail "no READY=1 with a status and the instance's summary: $(cat "$T/notify.out")"
# The instance's summary changes with its work: STATUS= follows (checked
# every 5 s), without READY=1.
veth_pair v0 v1
ip -n "$NS" addr add 10.61.0.1/24 dev v0 || fail "addr add"
wait_event "$T/events.json" '.event == "addr-add" and .address == "10.61.0.1"'
# (IPv6 link-local addresses may still come: compare with the file as is.)
status_follows()
{
	local n
	n=$(grep -c . "$T/events.json")
	grep -q "^STATUS=[0-9]* interfaces, [0-9]* addresses, 1 instances; all: $n lines written, 0 lost" "$T/notify.out"
}
wait_for status_follows 20 ||
	fail "STATUS= does not follow the instance's summary: $(cat "$T/notify.out")"
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
order=$(grep -v -e '^listening$' -e '^STATUS=' "$T/notify.out" | cut -d'|' -f1 | tr '\n' ' ')
[ "$order" = "READY=1 RELOADING=1 READY=1 RELOADING=1 READY=1 STOPPING=1 " ] || fail "order: $order"
grep -q 'cannot notify' "$NLEVD_ERR" && fail "notification failures logged: $(grep 'cannot notify' "$NLEVD_ERR")"

# An abstract socket: its name lives in the network namespace, so the
# listener runs in nlevd's.
ip netns exec "$NS" "$LISTEN" "@nlevd-notify-$$" >"$T/abstract.out" 2>&1 &
_PIDS+=("$!")
wait_for "grep -q '^listening$' '$T/abstract.out'" || fail "the abstract listener did not start"
sed -i '$d' "$T/nlevd.conf" # the "[broken" line
export NOTIFY_SOCKET=@nlevd-notify-$$
start_nlevd "$T/nlevd.conf"
wait_for "grep -q '^READY=1|STATUS=' '$T/abstract.out'" || fail "no READY=1 on the abstract socket"
stop_nlevd
wait_for "grep -q '^STOPPING=1' '$T/abstract.out'" || fail "no STOPPING=1 on the abstract socket"

# Nobody listening: one warning for the failure streak, and the daemon runs,
# reloads and stops as usual.
: >"$NLEVD_ERR"
export NOTIFY_SOCKET=$T/nobody.sock
start_nlevd "$T/nlevd.conf"
kill -HUP "$NLEVD_PID"
wait_for "[ \$(grep -c 'reloaded' '$NLEVD_ERR') -ge 1 ]" || fail "no reload without a listener"
assert_running "with nobody on NOTIFY_SOCKET"
[ "$(grep -c 'cannot notify the service manager' "$NLEVD_ERR")" -eq 1 ] ||
	fail "expected one warning for the failure streak: $(grep notify "$NLEVD_ERR")"
stop_nlevd

# An address that is neither a path nor an abstract name.
: >"$NLEVD_ERR"
export NOTIFY_SOCKET=relative/notify.sock
start_nlevd "$T/nlevd.conf"
grep -q 'NOTIFY_SOCKET=relative/notify.sock is neither an absolute path' "$NLEVD_ERR" ||
	fail "no warning for a relative NOTIFY_SOCKET: $(cat "$NLEVD_ERR")"
stop_nlevd
unset NOTIFY_SOCKET
pass
