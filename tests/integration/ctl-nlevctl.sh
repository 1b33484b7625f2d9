#!/bin/bash
# nlevctl against a real daemon (issue 15): status after address changes
# (text table and --json read with jq, one instance, an unknown one);
# monitor (--json filtered, and text) receiving events; metrics counters
# moving; reload refused (FILE:LINE on stderr, exit 78, the old
# configuration still routing) and accepted (a new instance routing); 50
# concurrent clients; usage errors (64); a bad event name to monitor and a
# user outside control_group (exit 1); a daemon that is not there (no
# socket, a stale socket: exit 1 and the message) and one that never
# answers (exit 1 after the reply deadline, no hang).
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init ctl-nlevctl

NLEVCTL=${NLEVCTL:-$(dirname "$NLEVD")/nlevctl}
[ -x "$NLEVCTL" ] || fail "NLEVCTL=$NLEVCTL is not executable"
command -v python3 >/dev/null || fail "python3 is required"
command -v setpriv >/dev/null || fail "setpriv (util-linux) is required"
CTL=$T/run/control
CONF=$T/nlevd.conf
EV=$T/ev.json
EV2=$T/ev2.json
ctl() { "$NLEVCTL" -s "$CTL" "$@"; }

write_conf()
{
	cat >"$CONF" <<EOF
[nlevd]
control_socket = $CTL

[all]
plugin = log
format = json
output = $EV
$1
EOF
}

# v0_has ADDRESS PREFIXLEN: status --json lists the address on v0.
v0_has()
{
	ctl status --json | jq -e --arg a "$1" --argjson l "$2" \
		'[.interfaces[] | select(.ifname == "v0") | .addresses[] |
		  select(.address == $a and .prefixlen == $l)] | length == 1'
}

veth_pair v0 v1
write_conf ""
start_nlevd "$CONF"

# ---- usage errors are 64, before any connection ----
"$NLEVCTL" -s "$T/nowhere" status --bogus 2>"$T/usage.err"
[ $? -eq 64 ] || fail "an unknown option is not exit 64"
grep -q -- '--bogus: unknown option' "$T/usage.err" || fail "usage message: $(cat "$T/usage.err")"
ctl frobnicate 2>/dev/null
[ $? -eq 64 ] || fail "an unknown command is not exit 64"
ctl status a b 2>/dev/null
[ $? -eq 64 ] || fail "two instances are not exit 64"
"$NLEVCTL" 2>/dev/null
[ $? -eq 64 ] || fail "no command is not exit 64"
"$NLEVCTL" -V | matches '^nlevctl [0-9]' || fail "-V: $("$NLEVCTL" -V)"
"$NLEVCTL" -h | matches 'monitor \[--json\] \[EVENT\]' || fail "-h lists no monitor"

# ---- status follows address changes (JSON) ----
ip -n "$NS" addr add 192.0.2.1/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::1/64 dev v0 nodad || fail "addr add"
wait_for "v0_has 192.0.2.1 24 && v0_has 2001:db8::1 64" || fail "status never showed v0's addresses"
j=$(ctl status --json) || fail "status --json failed"
[ "$(printf '%s\n' "$j" | wc -l)" -eq 1 ] || fail "status --json is not one line"
assert_jq "$j" '.daemon.pid == $p' "daemon pid" --argjson p "$NLEVD_PID"
assert_jq "$j" '.daemon.config == $c' "daemon config" --arg c "$CONF"
assert_jq "$j" '(.daemon.version | type) == "string" and (.daemon.uptime_s | type) == "number"' "daemon"
assert_jq "$j" '.daemon.netlink | (.messages > 0) and has("malformed") and has("ignored") and
	has("foreign") and has("resyncs") and has("overruns")' "netlink counters"
assert_jq "$j" '.interfaces[] | select(.ifname == "v0") | .operstate and .mtu == 1500 and
	(.ifindex | type) == "number" and (.mac | test(":")) and (.flags | test("up"))' "v0"
assert_jq "$j" '.interfaces[] | select(.ifname == "v0") | .addresses[] |
	select(.address == "192.0.2.1") | .family == "ipv4" and .scope == "global" and
	.valid_lft == "forever" and .preferred_lft == "forever" and (.flags | type) == "string"' "v0's address"
assert_jq "$j" '.instances | length == 1 and .[0].name == "all" and .[0].plugin == "log" and
	(.[0].version | type) == "string" and (.[0].lines | type) == "array" and
	(.[0].lines | length) >= 1 and (.[0] | has("settling") and has("status"))' "instances"
ip -n "$NS" addr del 192.0.2.1/24 dev v0 || fail "addr del"
wait_for "! v0_has 192.0.2.1 24" || fail "status still shows 192.0.2.1 after its removal"
v0_has 2001:db8::1 64 >/dev/null || fail "status lost 2001:db8::1"

# ---- status, the table ----
ip -n "$NS" addr add 192.0.2.1/24 dev v0 || fail "addr add"
wait_for "v0_has 192.0.2.1 24" || fail "status never showed 192.0.2.1 again"
ctl status >"$T/status.txt" || fail "status failed"
grep -Eq "^nlevd [^ ]+  pid $NLEVD_PID  up [0-9]+s  config $CONF\$" "$T/status.txt" ||
	fail "no daemon line: $(cat "$T/status.txt")"
grep -Eq '^netlink  messages [0-9]+  malformed 0 ' "$T/status.txt" || fail "no netlink line"
grep -Eq '^IFINDEX +IFNAME +STATE +MTU +MAC +FLAGS$' "$T/status.txt" || fail "no interface header"
grep -Eq "^$(ifindex v0) +v0 +[a-z]+ +1500 +[0-9a-f:]+ +.*up" "$T/status.txt" || fail "no v0 row"
grep -Eq '^    ipv4 +192\.0\.2\.1/24 +global +permanent +valid forever +preferred forever$' \
	"$T/status.txt" || fail "no 192.0.2.1 row: $(cat "$T/status.txt")"
grep -Eq '^    ipv6 +2001:db8::1/64 +global ' "$T/status.txt" || fail "no 2001:db8::1 row"
# the address rows follow their interface's row
awk '/^[0-9]+ +v0 /{v=1; next} /^[0-9]/{v=0} v && /192\.0\.2\.1\/24/{ok=1} END{exit !ok}' \
	"$T/status.txt" || fail "192.0.2.1 is not under v0: $(cat "$T/status.txt")"
grep -Eq '^INSTANCE +PLUGIN +VERSION +SETTLING$' "$T/status.txt" || fail "no instance header"
grep -Eq '^all +log +[^ ]+ +[0-9]+$' "$T/status.txt" || fail "no instance row"
# its status lines indented under it (the log plugin's start with "summary")
grep -A1 -E '^all +log ' "$T/status.txt" | matches -E '^    summary [0-9]+ lines written' ||
	fail "the instance's lines are not indented under it: $(cat "$T/status.txt")"

# ---- one instance; an unknown one ----
ctl status all --json | jq -e '.instances | length == 1 and .[0].name == "all"' >/dev/null ||
	fail "status all"
ctl status all --json | jq -e '.interfaces | length >= 2' >/dev/null || fail "status all: no interfaces"
ctl status nosuch 2>"$T/nosuch.err" >/dev/null
[ $? -eq 1 ] || fail "status of an unknown instance is not exit 1"
grep -q "unknown instance 'nosuch'" "$T/nosuch.err" || fail "unknown instance: $(cat "$T/nosuch.err")"

# ---- monitor --json, filtered ----
# Started in the background; it is listening once a fresh address shows up
# in its output (the request races the first addresses, so add until then).
ctl monitor --json addr-add >"$T/mon.json" 2>"$T/mon.err" &
MON=$!
_PIDS+=("$MON")
mon_seen() { grep -q "\"address\":\"$1\"" "$2"; }
n=0
until mon_seen "198.18.1.$n" "$T/mon.json"; do
	[ "$n" -ge 100 ] && fail "monitor --json never received an event: $(cat "$T/mon.err")"
	pid_running "$MON" || fail "monitor --json exited: $(cat "$T/mon.err")"
	n=$((n + 1))
	ip -n "$NS" addr add "198.18.1.$n/32" dev v0 || fail "addr add"
	wait_for "mon_seen 198.18.1.$n '$T/mon.json'" 1
done
ip -n "$NS" link set v0 mtu 1400 || fail "mtu"
ip -n "$NS" addr add 192.0.2.7/24 dev v0 || fail "addr add"
wait_for "mon_seen 192.0.2.7 '$T/mon.json'" || fail "monitor --json missed 192.0.2.7"
jq -e -s 'all(.[]; .event == "addr-add")' "$T/mon.json" >/dev/null ||
	fail "the filter let other events through: $(cat "$T/mon.json")"
ev=$(grep '"192.0.2.7"' "$T/mon.json")
assert_jq "$ev" '.ifname == "v0" and .prefixlen == 24 and .family == "ipv4" and
	.initial == false and (.time | test("Z$"))' "monitor's event"
# exactly what the log plugin wrote for it
wait_event "$EV" '.event == "addr-add" and .address == "192.0.2.7"'
[ "$(grep '"192.0.2.7"' "$EV")" = "$ev" ] || fail "monitor's line differs from the log plugin's"
kill "$MON"

# ---- monitor, text ----
ctl monitor >"$T/mon.txt" 2>"$T/mon.err" &
MON=$!
_PIDS+=("$MON")
mon_text() { grep -q "^addr-add ifname=v0 .*address=$1 " "$2"; }
n=0
until mon_text "198.18.2.$n" "$T/mon.txt"; do
	[ "$n" -ge 100 ] && fail "monitor never received an event: $(cat "$T/mon.err")"
	pid_running "$MON" || fail "monitor exited: $(cat "$T/mon.err")"
	n=$((n + 1))
	ip -n "$NS" addr add "198.18.2.$n/32" dev v0 || fail "addr add"
	wait_for "mon_text 198.18.2.$n '$T/mon.txt'" 1
done
ip -n "$NS" addr del 192.0.2.7/24 dev v0 || fail "addr del"
wait_for "grep -q '^addr-del ifname=v0 ifindex=[0-9]* initial=false family=ipv4 address=192.0.2.7 prefixlen=24 scope=global ' '$T/mon.txt'" ||
	fail "monitor (text) missed addr-del 192.0.2.7: $(tail -n 3 "$T/mon.txt")"
kill "$MON"

# ---- monitor of what cannot be an event name: an error, exit 1 ----
timeout 15 "$NLEVCTL" -s "$CTL" monitor "addr add" 2>"$T/monbad.err" >/dev/null
rc=$?
[ $rc -eq 1 ] || fail "monitor of a bad event name: exit $rc, not 1"
grep -q "'addr add' is not an event name" "$T/monbad.err" || fail "monitor 'addr add': $(cat "$T/monbad.err")"

# ---- a user outside control_group: refused, exit 1 with the reason ----
setpriv --reuid=nobody --regid=nogroup --clear-groups "$NLEVCTL" -s "$CTL" status \
	>/dev/null 2>"$T/nobody.err"
rc=$?
[ $rc -eq 1 ] || fail "a user outside control_group: exit $rc, not 1"
grep -qi "permission denied" "$T/nobody.err" || fail "nobody: $(cat "$T/nobody.err")"

# ---- metrics counters move ----
adds() { ctl metrics | awk '$1 == "nlevd_events_total{type=\"addr-add\"}" { print $2 }'; }
ctl metrics >"$T/metrics.txt" || fail "metrics failed"
[ "$(grep -c '^# TYPE nlevd_events_total counter$' "$T/metrics.txt")" -eq 1 ] ||
	fail "nlevd_events_total's TYPE is not there once: $(cat "$T/metrics.txt")"
grep -q '^# HELP nlevd_events_total ' "$T/metrics.txt" || fail "no HELP for nlevd_events_total"
grep -Eq '^nlevd_netlink_messages_total [0-9]+$' "$T/metrics.txt" || fail "no netlink messages"
grep -Eq '^nlevd_interfaces [0-9]+$' "$T/metrics.txt" || fail "no nlevd_interfaces"
a1=$(adds)
[ -n "$a1" ] && [ "$a1" -gt 0 ] || fail "addr-add count [$a1]"
ip -n "$NS" addr add 192.0.2.8/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 192.0.2.9/24 dev v0 || fail "addr add"
wait_for "[ \"\$(adds)\" -ge $((a1 + 2)) ]" || fail "nlevd_events_total{type=addr-add} stayed at $(adds) (was $a1)"

# ---- reload refused: FILE:LINE, exit 78, the old configuration routes ----
cp "$CONF" "$T/good.conf"
write_conf "bogus_key = 1"
bad_line=$(grep -n '^bogus_key' "$CONF" | cut -d: -f1)
ctl reload >"$T/reload.out" 2>"$T/reload.err"
rc=$?
[ $rc -eq 78 ] || fail "a refused reload is exit $rc, not 78: $(cat "$T/reload.err")"
grep -q "^$CONF:$bad_line: " "$T/reload.err" || fail "no $CONF:$bad_line on stderr: $(cat "$T/reload.err")"
[ -s "$T/reload.out" ] && fail "a refused reload printed on stdout: $(cat "$T/reload.out")"
ip -n "$NS" addr add 192.0.2.10/24 dev v0 || fail "addr add"
wait_event "$EV" '.event == "addr-add" and .address == "192.0.2.10"'
assert_running

# ---- reload accepted: a new instance routes ----
cp "$T/good.conf" "$CONF"
cat >>"$CONF" <<EOF

[second]
plugin = log
format = json
output = $EV2
EOF
out=$(ctl reload) || fail "reload failed: $out"
[ "$out" = ok ] || fail "reload printed [$out], not ok"
ctl status --json | jq -e '[.instances[].name] == ["all", "second"]' >/dev/null ||
	fail "after reload: $(ctl status --json | jq -c '[.instances[].name]')"
ip -n "$NS" addr add 192.0.2.11/24 dev v0 || fail "addr add"
wait_event "$EV2" '.event == "addr-add" and .address == "192.0.2.11"'
wait_event "$EV" '.event == "addr-add" and .address == "192.0.2.11"'

# ---- 50 concurrent clients ----
pids=()
for i in $(seq 1 50); do
	ctl status --json >"$T/c.$i" 2>"$T/c.$i.err" &
	pids+=($!)
done
for i in $(seq 1 50); do
	wait "${pids[$((i - 1))]}" || fail "client $i failed: $(cat "$T/c.$i.err")"
	jq -e '.daemon.pid and (.instances | length == 2)' "$T/c.$i" >/dev/null ||
		fail "client $i: $(head -c 300 "$T/c.$i")"
done
assert_running

# ---- a daemon that is not there ----
stop_nlevd
ctl status >"$T/down.out" 2>"$T/down.err"
[ $? -eq 1 ] || fail "no daemon: not exit 1"
[ "$(cat "$T/down.err")" = "nlevd is not running (no control socket at $CTL)" ] ||
	fail "no daemon: [$(cat "$T/down.err")]"
# a stale socket, as a killed daemon leaves it
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$CTL" ||
	fail "cannot make a stale socket"
ctl metrics >"$T/down.out" 2>"$T/down.err"
[ $? -eq 1 ] || fail "stale socket: not exit 1"
[ "$(cat "$T/down.err")" = "nlevd is not running (connection refused at $CTL)" ] ||
	fail "stale socket: [$(cat "$T/down.err")]"
rm -f "$CTL"

# ---- a listener that never answers: exit 1 after the deadline, no hang ----
python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
c, _ = s.accept(); time.sleep(60)' "$CTL" &
_PIDS+=($!)
wait_for "[ -S '$CTL' ]" || fail "the silent listener did not start"
t0=$(now_ms)
ctl status 2>"$T/silent.err" &
CLI=$!
wait_exit "$CLI" 15 || fail "nlevctl still waits for a silent daemon after 15 s"
[ "$EXIT_STATUS" -eq 1 ] || fail "silent daemon: exit $EXIT_STATUS, not 1"
grep -q 'no reply from nlevd within 10 s' "$T/silent.err" || fail "silent daemon: $(cat "$T/silent.err")"
note "gave up on a silent daemon after $(($(now_ms) - t0)) ms"

pass
