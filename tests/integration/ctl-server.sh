#!/bin/bash
# The control socket's server side (issue 15), driven by a tiny NDJSON
# client (tests/ctl-client.py): the socket's directory, mode and group; a
# stale socket replaced, a live one refused; control_socket = none; status
# (daemon, interfaces following an address, instances); reload ok and
# refused (FILE:LINE, the old configuration still routes); garbage, 1 MiB
# without a newline, unknown commands; 50 concurrent clients; the 64-client
# limit; monitor (json and text, filtered); a monitor client that never
# reads while 4,000 address changes are routed (dropped and logged, the
# log instance gets every event); peers outside control_group refused;
# after user= the socket is that user's; push and the drop counter in
# metrics.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init ctl-server

command -v setpriv >/dev/null || fail "setpriv (util-linux) is required"
command -v python3 >/dev/null || fail "python3 is required"
CLIENT=$TESTS_SRCDIR/ctl-client.py
# Another user runs the client too: a python3 it can reach (not ~root's).
PY_OTHER=/usr/bin/python3
[ -x "$PY_OTHER" ] || PY_OTHER=$(command -v python3)
# A group that exists and is not root's, for control_group.
GROUP=$(getent group | awk -F: '$3 != 0 && $3 < 65534 {print $1; exit}')
GID=$(getent group "$GROUP" | cut -d: -f3)
[ -n "$GROUP" ] && [ -n "$GID" ] || fail "no group other than root found"

CTL=$T/run/control
CONF=$T/nlevd.conf
EV=$T/ev.json
# ctl [-t SECONDS] MODE ARGS...: the client on the daemon's socket
ctl()
{
	local t=(-t 10)
	[ "$1" = -t ] && { t=(-t "$2"); shift 2; }
	python3 "$CLIENT" "${t[@]}" "$CTL" "$@"
}

write_conf()
{
	cat >"$CONF" <<EOF
[nlevd]
control_socket = $CTL
control_group = $GROUP

[all]
plugin = log
format = json
output = $EV
$1
EOF
}

# ---- the directory is made, mode 0660 and the group; removed at stop ----
write_conf ""
start_nlevd "$CONF"
[ -S "$CTL" ] || fail "no socket at $CTL"
[ "$(stat -c %a "$T/run")" = 755 ] || fail "$T/run has mode $(stat -c %a "$T/run"), not 755"
[ "$(stat -c '%a %U %G' "$CTL")" = "660 root $GROUP" ] ||
	fail "the socket is $(stat -c '%a %U %G' "$CTL"), not 660 root $GROUP"
r=$(ctl req '{"command":"status"}') || fail "status: $r"
assert_jq "$r" '.ok == true' "status"
stop_nlevd
[ -e "$CTL" ] && fail "the socket outlived the daemon"

# ---- a directory others may write to, without the sticky bit: refused
# (anybody could replace the socket); with it, fine ----
mkdir -m 0777 "$T/ww"
chmod 0777 "$T/ww"
sed "s|^control_socket = .*|control_socket = $T/ww/control|" "$CONF" >"$T/ww.conf"
ip netns exec "$NS" "$NLEVD" -f -c "$T/ww.conf" -P "$NLEVD_PLUGINS" >/dev/null 2>"$T/ww.err" &
pid=$!
_PIDS+=("$pid")
wait_exit "$pid" 10 || fail "a daemon with a world-writable socket directory did not exit"
[ "$EXIT_STATUS" -eq 1 ] || fail "a world-writable socket directory: status $EXIT_STATUS, not 1"
grep -qF "control_socket $T/ww/control: $T/ww is writable by others and not sticky" "$T/ww.err" ||
	fail "a world-writable socket directory: $(cat "$T/ww.err")"
chmod 1777 "$T/ww"
start_nlevd "$T/ww.conf"
[ "$(stat -c '%a %U %G' "$T/ww/control")" = "660 root $GROUP" ] ||
	fail "in a sticky directory the socket is $(stat -c '%a %U %G' "$T/ww/control")"
stop_nlevd

# ---- control_socket = none: no socket anywhere ----
cat >"$T/none.conf" <<EOF
[nlevd]
control_socket = none
[all]
plugin = log
output = $T/none.log
EOF
start_nlevd "$T/none.conf"
[ -z "$(find "$T" -type s)" ] || fail "control_socket = none made $(find "$T" -type s)"
stop_nlevd

# ---- a stale socket (a crashed daemon's) is replaced ----
python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$CTL" ||
	fail "cannot make a stale socket"
[ -S "$CTL" ] || fail "no stale socket made"
start_nlevd "$CONF"
grep -q "replaced the stale control socket $CTL" "$NLEVD_ERR" || fail "the stale socket was not replaced"
r=$(ctl req '{"command":"status"}') || fail "status after replacing the stale socket: $r"
assert_jq "$r" '.ok == true' "status after replacing the stale socket"

# ---- a live one is another daemon's: refused ----
ip netns exec "$NS" "$NLEVD" -f -c "$CONF" -P "$NLEVD_PLUGINS" >/dev/null 2>"$T/second.err" &
pid=$!
_PIDS+=("$pid")
wait_exit "$pid" 10 || fail "a second daemon on the same socket did not exit"
[ "$EXIT_STATUS" -eq 1 ] || fail "a second daemon on the same socket: status $EXIT_STATUS, not 1"
grep -qF "another nlevd listens on $CTL" "$T/second.err" ||
	fail "the second daemon did not say why: $(cat "$T/second.err")"
r=$(ctl req '{"command":"status"}') || fail "status after the second daemon: $r"
assert_jq "$r" '.ok == true' "the first daemon's socket survived the second"

# ---- status: daemon, interfaces following the namespace, instances ----
veth_pair v0 v1
ip -n "$NS" addr add 192.0.2.10/24 dev v0 || fail "addr add"
wait_event "$EV" '.event == "addr-add" and .address == "192.0.2.10"'
r=$(ctl req '{"command":"status"}') || fail "status: $r"
assert_jq "$r" '.ok and .result.daemon.pid == $pid and .result.daemon.config == $conf and
	 (.result.daemon.version | type == "string") and (.result.daemon.uptime_s | type == "number") and
	 (.result.daemon.netlink.messages > 0) and (.result.daemon.netlink | has("resyncs") and has("overruns"))' \
	"status: daemon" --argjson pid "$NLEVD_PID" --arg conf "$CONF"
assert_jq "$r" '.result.interfaces[] | select(.ifname == "v0") | .ifindex == $ix and .mtu == 1500 and
	 (.flags | test("\\bup\\b")) and (.mac | test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")) and
	 (.addresses | any(.family == "ipv4" and .address == "192.0.2.10" and .prefixlen == 24 and
	  .scope == "global" and .flags == "permanent" and .valid_lft == "forever"))' \
	"status: v0 and its address" --argjson ix "$(ifindex v0)"
assert_jq "$r" '.result.instances | length == 1 and .[0].name == "all" and .[0].plugin == "log" and
	(.[0].version | type == "string") and .[0].settling == 0 and (.[0].status | type == "object") and
	(.[0].lines | length >= 1) and (.[0].lines[0] | startswith("[") | not)' "status: instances"
# An interface name is any bytes: not UTF-8, it is U+FFFD in the JSON
# (as event_json writes it), and the status is still given.
ip -n "$NS" link add name $'e\xff\x1b' type veth peer name p0 || fail "cannot create the interface"
wait_event "$EV" '.event == "link-add" and .ifname == "e\ufffd\u001b"'
r=$(ctl req '{"command":"status"}') || fail "status: $r"
assert_jq "$r" '.ok and any(.result.interfaces[]; .ifname == "e\ufffd\u001b")' "status: a name not UTF-8"
ip -n "$NS" addr del 192.0.2.10/24 dev v0 || fail "addr del"
wait_event "$EV" '.event == "addr-del" and .address == "192.0.2.10"'
r=$(ctl req '{"command":"status"}') || fail "status: $r"
assert_jq "$r" '[.result.interfaces[].addresses[] | select(.address == "192.0.2.10")] | length == 0' \
	"status after the address went"
r=$(ctl req '{"command":"status","instance":"all"}' '{"command":"status","instance":"nope"}' \
	'{"command":"status","instance":7}') || fail "status INSTANCE: $r"
assert_jq "$(sed -n 1p <<<"$r")" '.ok and (.result.instances | length == 1) and (.result.interfaces | length >= 2)' \
	"status all"
assert_jq "$(sed -n 2p <<<"$r")" '.ok == false and .error == "unknown instance '"'nope'"'"' \
	"status of an unknown instance"
assert_jq "$(sed -n 3p <<<"$r")" '. == {"ok": false, "error": "instance: not a string"}' \
	"status of an instance that is not a string"

# ---- reload: ok, then refused with FILE:LINE, the old configuration runs ----
write_conf "
[second]
plugin = log
format = json
output = $T/second.json"
r=$(ctl -t 30 req '{"command":"reload"}') || fail "reload: $r"
assert_jq "$r" '. == {"ok": true, "result": {"reloaded": true}}' "reload"
r=$(ctl req '{"command":"status"}')
assert_jq "$r" '[.result.instances[].name] == ["all", "second"]' "status after the reload"
cp "$CONF" "$T/good.conf"
printf '\n[broken]\nplugin = log\nformat = yaml\nno_such_key = 1\n' >>"$CONF"
r=$(ctl -t 30 req '{"command":"reload"}') || fail "refused reload: $r"
assert_jq "$r" '.ok == false and .error == "configuration refused" and
	(.errors | length == 2) and all(.errors[]; startswith($f + ":") and test("^[^:]+:[0-9]+: "))' \
	"refused reload" --arg f "$CONF"
assert_jq "$r" '.errors | any(test(":[0-9]+: .*no_such_key"))' \
	"refused reload names the key" --arg f "$CONF"
ip -n "$NS" addr add 192.0.2.20/24 dev v0 || fail "addr add"
wait_event "$EV" '.event == "addr-add" and .address == "192.0.2.20"'
wait_event "$T/second.json" '.event == "addr-add" and .address == "192.0.2.20"'
cp "$T/good.conf" "$CONF"
# control_group is used at start only: a reload does not look it up (a
# group lookup may block the loop), so an unknown one there is no error.
sed 's/^control_group = .*/control_group = no-such-group-nlevd/' "$T/good.conf" >"$CONF"
r=$(ctl -t 30 req '{"command":"reload"}') || fail "reload with another control_group: $r"
assert_jq "$r" '. == {"ok": true, "result": {"reloaded": true}}' "reload with another control_group"
cp "$T/good.conf" "$CONF"

# ---- push: no instance here has push(); an unknown one is an error ----
r=$(ctl req '{"command":"push"}' '{"command":"push","instance":"nope"}') || fail "push: $r"
assert_jq "$(sed -n 1p <<<"$r")" '. == {"ok": true, "result": {"pushed": []}}' "push"
assert_jq "$(sed -n 2p <<<"$r")" '. == {"ok": false, "error": "unknown instance '"'nope'"'"}' "push nope"

# ---- garbage, 1 MiB without a newline, unknown commands ----
r=$(ctl line 'hello') || fail "garbage line: $r"
assert_jq "$(sed -n 1p <<<"$r")" '.ok == false and (.error | startswith("not a JSON request: "))' "garbage line"
[ "$(sed -n 2p <<<"$r")" = closed ] || fail "garbage line: the connection stayed: $r"
r=$(ctl line '["command","status"]')
assert_jq "$(sed -n 1p <<<"$r")" '.ok == false and (.error | startswith("not a JSON request: "))' "a JSON list"
r=$(ctl line '{"command":7}')
assert_jq "$(sed -n 1p <<<"$r")" '.ok == false and (.error | startswith("not a JSON request: "))' "a command not a string"
r=$(ctl -t 30 garbage $((1024 * 1024))) || fail "1 MiB of garbage: $r"
# An error reply, or only the close (the daemon may close while we send).
[ "$(tail -n 1 <<<"$r")" = closed ] || fail "1 MiB of garbage: not closed: $r"
[ "$(wc -l <<<"$r")" -eq 1 ] || assert_jq "$(sed -n 1p <<<"$r")" '. == {"ok": false, "error": "request too long"}' \
	"1 MiB of garbage"
assert_running "after garbage"
r=$(ctl req '{"command":"frob","future":1}' '{"command":"status","unknown_member":[1]}') ||
	fail "unknown command: $r"
assert_jq "$(sed -n 1p <<<"$r")" '.ok == false and .error == "unknown command '"'frob'"'"' "unknown command"
assert_jq "$(sed -n 2p <<<"$r")" '.ok == true' "the connection stays after an unknown command"

# ---- 50 clients at once, all answered; at most 64 at a time ----
r=$(ctl -t 30 concurrent 50 '{"command":"status"}') || fail "50 clients: $r"
[ "$r" = "answered 50" ] || fail "50 clients: $r"
mkfifo "$T/hold.in"
python3 "$CLIENT" -t 30 "$CTL" hold 66 <"$T/hold.in" >"$T/hold.out" 2>&1 &
hold=$!
_PIDS+=("$hold")
exec 7>"$T/hold.in"
wait_for "[ \$(grep -c 'too many clients' '$T/hold.out') -ge 2 ]" 20 ||
	fail "66 clients: not 2 refused: $(cat "$T/hold.out")"
r=$(ctl line '{"command":"status"}')
assert_jq "$(sed -n 1p <<<"$r")" '.error == "too many clients"' "a 65th client while 64 are held"
exec 7>&-
wait_exit "$hold" 10 || fail "the holding client did not exit"
wait_for "ctl req '{\"command\":\"status\"}' | jq -e .ok" 10 || fail "status after the 64 went"

# ---- monitor: json as the log plugin writes it, text, filtered ----
ctl monitor '{"command":"monitor","events":["addr-add"]}' 1 >"$T/mon.out" 2>&1 &
mon=$!
_PIDS+=("$mon")
ctl monitor '{"command":"monitor","events":["addr-del"],"format":"text"}' 1 >"$T/mont.out" 2>&1 &
mont=$!
_PIDS+=("$mont")
wait_for "grep -q monitoring '$T/mon.out' && grep -q monitoring '$T/mont.out'" ||
	fail "monitor: no acknowledgement: $(cat "$T/mon.out" "$T/mont.out")"
ip -n "$NS" link add d1 type veth peer name d2 || fail "link add" # not an address event
ip -n "$NS" addr add 192.0.2.30/24 dev v0 || fail "addr add"
ip -n "$NS" addr del 192.0.2.30/24 dev v0 || fail "addr del"
wait_exit "$mon" 10 || fail "monitor json: no event"
wait_exit "$mont" 10 || fail "monitor text: no event"
assert_jq "$(sed -n 1p "$T/mon.out")" '. == {"ok": true, "result": {"monitoring": true}}' "monitor reply"
logged=$(ev_one "$EV" '.event == "addr-add" and .address == "192.0.2.30"') || fail "log: the addr-add"
[ "$(sed -n 2p "$T/mon.out")" = "$logged" ] ||
	fail "monitor json: '$(sed -n 2p "$T/mon.out")' is not the log plugin's line '$logged'"
line=$(sed -n 2p "$T/mont.out")
case $line in
"addr-del ifname=v0 "*" address=192.0.2.30 prefixlen=24 "*) ;;
*) fail "monitor text: '$line'" ;;
esac
r=$(ctl req '{"command":"monitor","format":"xml"}')
assert_jq "$r" '.ok == false' "monitor with an unknown format"

# ---- a monitor client that never reads: dropped, the routing unharmed ----
python3 "$CLIENT" -t 120 "$CTL" stall '{"command":"monitor"}' >"$T/stall.out" 2>&1 &
stall=$!
_PIDS+=("$stall")
wait_for "grep -q monitoring '$T/stall.out'" || fail "stalled monitor: no acknowledgement"
N=2000
for ((i = 0; i < N; i++)); do
	echo "addr add 10.200.$((i / 250)).$((i % 250 + 1))/32 dev v0"
done >"$T/add.batch"
sed 's/^addr add/addr del/' "$T/add.batch" >"$T/del.batch"
ip -n "$NS" -batch "$T/add.batch" || fail "ip -batch add"
wait_event "$EV" '.event == "addr-add" and (.address | startswith("10.200."))' $N 60
ip -n "$NS" -batch "$T/del.batch" || fail "ip -batch del"
wait_event "$EV" '.event == "addr-del" and (.address | startswith("10.200."))' $N 60
wait_exit "$stall" 30 || fail "the stalled monitor was not dropped"
grep -qx dropped "$T/stall.out" || fail "the stalled monitor: $(cat "$T/stall.out")"
grep -q "control: a client dropped: its monitor backlog is full" "$NLEVD_ERR" ||
	fail "the drop was not logged"
[ "$(grep -c 'control: a client dropped' "$NLEVD_ERR")" -eq 1 ] || fail "the drop was logged more than once"
r=$(ctl req '{"command":"metrics"}') || fail "metrics: $r"
assert_jq "$r" '.ok and (.result.text | split("\n") | any(. == "nlevd_control_clients_dropped_total 1"))' \
	"the drop was counted"
assert_running "after the stalled monitor"
r=$(ctl req '{"command":"status"}') || fail "status after the flood: $r"
assert_jq "$r" '.ok' "status after the flood"

# ---- peers: outside control_group refused, its members allowed ----
# The group may connect (0660), others not even that far.
asother() { setpriv --reuid 65534 "$@" "$PY_OTHER" "$CLIENT" "$CTL" req '{"command":"status"}'; }
r=$(asother --regid 65534 --clear-groups 2>&1) && fail "a peer outside the group connected: $r"
grep -q "Permission denied" <<<"$r" || fail "a peer outside the group: $r"
r=$(asother --regid "$GID" --clear-groups) || fail "a peer with the group as its gid: $r"
assert_jq "$r" '.ok == true' "a peer with the group as its gid"
r=$(asother --regid 65534 --groups "$GID") || fail "a peer with the group as a supplementary group: $r"
assert_jq "$r" '.ok == true' "a peer with the group as a supplementary group"
# The groups are the ones the peer had at connect(), whatever became of
# its pid before the accept (SO_PEERGROUPS, not /proc/PID/status): the
# daemon is stopped while the connecting process exits.
kill -STOP "$NLEVD_PID"
setpriv --reuid 65534 --regid 65534 --groups "$GID" "$PY_OTHER" "$CLIENT" "$CTL" orphan \
	'{"command":"status"}' >"$T/orphan.out" 2>&1 &
_PIDS+=("$!")
wait_for "grep -qx orphaned '$T/orphan.out'" 10 || { kill -CONT "$NLEVD_PID"; fail "orphan: $(cat "$T/orphan.out")"; }
kill -CONT "$NLEVD_PID"
wait_for "[ \$(wc -l <'$T/orphan.out') -ge 2 ]" 10 || fail "orphan: no reply: $(cat "$T/orphan.out")"
assert_jq "$(sed -n 2p "$T/orphan.out")" '.ok == true' "a peer whose connecting process exited before the accept"
# With the file open to all, the daemon's own check refuses.
chmod 666 "$CTL"
r=$(asother --regid 65534 --clear-groups) || fail "a peer outside the group, socket 0666: $r"
assert_jq "$r" '. == {"ok": false, "error": "permission denied"}' "a peer outside the group, socket 0666"
assert_running "after the refused peers"
stop_nlevd

# ---- user=: the socket is the dropped user's, who may connect ----
cat >"$T/user.conf" <<EOF
[nlevd]
control_socket = $CTL
control_group = $GROUP
user = nobody
group = $(id -gn nobody)
[all]
plugin = log
output = $T/user.log
EOF
: >"$T/user.log"
chmod 666 "$T/user.log"
chmod 644 "$T/user.conf"
start_nlevd "$T/user.conf"
[ "$(stat -c '%a %U %G' "$CTL")" = "660 nobody $GROUP" ] ||
	fail "after user=nobody the socket is $(stat -c '%a %U %G' "$CTL"), not 660 nobody $GROUP"
r=$(asother --regid 65534 --clear-groups) || fail "the daemon's own user: $r"
assert_jq "$r" '.ok == true and .result.daemon.pid == $pid' "the daemon's own user" --argjson pid "$NLEVD_PID"
stop_nlevd
# ---- idle and stuck clients are dropped (NLEVD_CONTROL_IDLE_MS for a
# deadline of 1 s instead of 30): 64 silent clients do not lock everyone
# out, and one that asked for replies and never reads loses its slot ----
write_conf ""
logged=$(wc -l <"$NLEVD_ERR")
NLEVD_CONTROL_IDLE_MS=1000 start_nlevd "$CONF"
# Pipelined requests, never read: the daemon stops reading while a reply
# is being written (one request per wakeup), so this is the idle drop, not
# the 4 MiB reply bound (the first drop of a daemon is always logged).
r=$(ctl -t 30 noread '{"command":"status"}' 100000) || fail "a pipelining client that never reads: $r"
[ "$r" = dropped ] || fail "a pipelining client that never reads: $r"
first=$(tail -n +$((logged + 1)) "$NLEVD_ERR" | grep -m1 "control: a client dropped")
[[ $first == *"control: a client dropped: it made no progress" ]] ||
	fail "a pipelining client that never reads: '$first', not the idle drop"
mkfifo "$T/idle.in"
python3 "$CLIENT" -t 30 "$CTL" hold 64 <"$T/idle.in" >"$T/idle.out" 2>&1 &
idle=$!
_PIDS+=("$idle")
exec 8>"$T/idle.in"
wait_for "[ \$(grep -cx closed '$T/idle.out') -ge 64 ]" 20 ||
	fail "64 idle clients were not dropped: $(sort "$T/idle.out" | uniq -c)"
exec 8>&-
wait_exit "$idle" 10 || fail "the idle clients did not exit"
r=$(ctl req '{"command":"status"}') || fail "status after the idle clients: $r"
assert_jq "$r" '.ok == true' "status after the idle clients"
r=$(ctl -t 30 noread '{"command":"status"}' 200) || fail "a client that never reads: $r"
[ "$r" = dropped ] || fail "a client that never reads: $r"
r=$(ctl req '{"command":"metrics"}') || fail "metrics: $r"
assert_jq "$r" '.ok and (.result.text | split("\n") | any(. == "nlevd_control_clients_dropped_total 66"))' \
	"the idle drops were counted"
stop_nlevd

# ---- no root, no control_socket: the default /run/nlevd/control cannot be
# made, and the daemon runs without it (a notice), rather than refusing to
# start for a user trying it out ----
cat >"$T/noroot.conf" <<EOF
[all]
plugin = log
output = $T/noroot.log
EOF
: >"$T/noroot.log"
chmod 666 "$T/noroot.log"
chmod 644 "$T/noroot.conf"
env -u NLEVD_CONTROL_SOCKET ip netns exec "$NS" setpriv --reuid 65534 --regid 65534 --clear-groups \
	"$NLEVD" -f -c "$T/noroot.conf" -P "$NLEVD_PLUGINS" 2>"$T/noroot.err" &
np=$!
_PIDS+=("$np")
wait_for "grep -q 'started' '$T/noroot.err'" 10 || fail "a daemon without root did not start: $(cat "$T/noroot.err")"
grep -q 'notice: no control socket: /run/nlevd is not writable by uid 65534' "$T/noroot.err" ||
	fail "no notice about the skipped control socket: $(cat "$T/noroot.err")"
kill -0 "$np" || fail "the daemon without root exited"
veth_pair nr0 nr1
ip -n "$NS" addr add 10.62.0.1/32 dev nr0 || fail "addr add"
wait_for "grep -q '10.62.0.1' '$T/noroot.log'" 10 || fail "the daemon without root does not route events"
kill "$np"
wait "$np" 2>/dev/null
# ---- no root, an explicit control_socket and control_group: the socket
# cannot get the group, and the daemon says so (once) ----
mkdir "$T/nr"
chown 65534:65534 "$T/nr"
cat >"$T/nrgroup.conf" <<EOF
[nlevd]
control_socket = $T/nr/control
control_group = $GROUP
[all]
plugin = log
output = $T/noroot.log
EOF
chmod 644 "$T/nrgroup.conf"
ip netns exec "$NS" setpriv --reuid 65534 --regid 65534 --clear-groups \
	"$NLEVD" -f -c "$T/nrgroup.conf" -P "$NLEVD_PLUGINS" 2>"$T/nrgroup.err" &
np=$!
_PIDS+=("$np")
wait_for "grep -q 'started' '$T/nrgroup.err'" 10 || fail "a daemon without root did not start: $(cat "$T/nrgroup.err")"
[ "$(grep -c "warning: control socket $T/nr/control: cannot give it group $GID" "$T/nrgroup.err")" -eq 1 ] ||
	fail "no single warning about the socket's group: $(cat "$T/nrgroup.err")"
[ "$(stat -c %g "$T/nr/control")" = 65534 ] || fail "the socket's group is $(stat -c %g "$T/nr/control")"
kill "$np"
wait "$np" 2>/dev/null
pass
