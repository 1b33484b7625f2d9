#!/bin/bash
# A child that writes endlessly (`yes`) does not hold the daemon: while it
# floods, a later address event still reaches a log instance at once,
# SIGUSR1 is answered, its timeout fires, the lines it floods are rate
# limited and counted ("N output lines suppressed"), its output is no
# longer read after the per-run cap, the daemon's log stays small and its
# CPU time low, and SIGTERM stops it with status 0.  Once as an exec hook
# (`command = /usr/bin/yes`), once as the nsupdate plugin's program
# (`nsupdate = ` a script that execs yes), whose lines the plugin takes.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init execflood
YES=$(command -v yes) || fail "no yes(1)"
HZ=$(getconf CLK_TCK)
EV=$T/events.json
veth_pair v0 v1

# cpu_ticks PID: user + system time so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# flood INST ADDR PROG LINE: trigger the flooding child of [INST] with ADDR
# and check everything the header promises; the child is PROG in the log,
# LINE (a grep pattern) one of its lines as logged.
flood()
{
	local inst=$1 addr=$2 prog=$3 line=$4 t0 el n size ticks
	ip -n "$NS" addr add "$addr/32" dev v0 || fail "addr add $addr"
	wait_for "grep -q '$line' '$NLEVD_ERR'" 5 ||
		fail "[$inst]: the flooding child's output never reached the log"
	t0=$(now_ms)

	# The loop turns while the child floods: an event, then SIGUSR1.
	ip -n "$NS" addr add 10.99.0.$((++MARK))/32 dev v0 || fail "addr add marker"
	wait_event "$EV" '.event == "addr-add" and .address == $a' 1 2 --arg a "10.99.0.$MARK"
	note "[$inst] flooding: an event logged after $(($(now_ms) - t0)) ms"
	n=$(grep -c 'plugin log, ' "$NLEVD_ERR")
	kill -USR1 "$NLEVD_PID"
	wait_for "[ \$(grep -c 'plugin log, ' '$NLEVD_ERR') -gt $n ]" 2 ||
		fail "[$inst]: SIGUSR1 not answered while the child floods"

	# Its timeout fires, its output was capped, the lines suppressed counted.
	wait_for "grep -q '\\[$inst\\] $prog (pid [0-9]*) timed out; sending TERM' '$NLEVD_ERR'" 8 ||
		fail "[$inst]: the flooding child's timeout did not fire"
	el=$(($(now_ms) - t0))
	note "[$inst] timed out $el ms after its first line"
	wait_for "grep -q '\\[$inst\\] $prog (pid [0-9]*): [0-9]* output lines suppressed' '$NLEVD_ERR'" 4 ||
		fail "[$inst]: no 'lines suppressed' summary"
	grep -q "\\[$inst\\] $prog (pid [0-9]*): output passed [0-9]* MiB: no longer read" "$NLEVD_ERR" ||
		fail "[$inst]: the output cap was not reached or not logged"
	grep "\\[$inst\\] $prog (pid [0-9]*): [0-9]* output lines suppressed" "$NLEVD_ERR" |
		sed 's/^/# /'
	n=$(grep -c "$line" "$NLEVD_ERR")
	note "[$inst] $n lines of output logged"
	[ "$n" -le 1000 ] || fail "[$inst]: $n flood lines logged: not rate limited"
	size=$(stat -c %s "$NLEVD_ERR")
	[ "$size" -le 1000000 ] || fail "[$inst]: the daemon's log grew to $size bytes"
	ticks=$(cpu_ticks "$NLEVD_PID")
	note "[$inst] daemon CPU so far: $((ticks * 1000 / HZ)) ms, log $size bytes"
	[ "$ticks" -le "$HZ" ] || fail "[$inst]: the daemon used $((ticks * 1000 / HZ)) ms of CPU"
	assert_running
}
MARK=0

# ---- an exec hook ----
cat >"$T/exec.conf" <<EOF
[events]
plugin = log
format = json
output = $EV

[flood]
plugin = exec
command = $YES
events = addr-add
addresses = 10.30.0.0/24
timeout = 2s
startup = no

[burst]
plugin = exec
command = /bin/sh -c 'i=0; while [ \$i -lt 500 ]; do echo "line \$i"; i=\$((i + 1)); done; sleep 1; echo after'
events = addr-add
addresses = 10.31.0.0/24
startup = no
EOF
# start_nlevd counts "started:" lines in a log that must exist already:
# without it, it may return before the daemon has started.
: >"$NLEVD_ERR"
start_nlevd "$T/exec.conf"
flood flood 10.30.0.1 yes 'notice: \[flood\] yes: y$'

# A burst of 500 lines: the first 200 are logged, the count of the rest
# comes with the next line that passes, a second later.
ip -n "$NS" addr add 10.31.0.1/32 dev v0 || fail "addr add"
wait_for "grep -q 'notice: \\[burst\\] sh: after\$' '$NLEVD_ERR'" 5 || fail "[burst]: last line not logged"
n=$(grep -c 'notice: \[burst\] sh: line [0-9]*$' "$NLEVD_ERR")
note "[burst] $n of 500 lines logged"
grep -q 'notice: \[burst\] sh: line 199$' "$NLEVD_ERR" || fail "[burst]: the first 200 lines were not all logged"
[ "$n" -ge 200 ] && [ "$n" -le 210 ] || fail "[burst]: $n of 500 lines logged, not about 200"
sum=$(grep -A1 '\[burst\] sh (pid [0-9]*): [0-9]* output lines suppressed' "$NLEVD_ERR")
printf '%s\n' "$sum" | sed 's/^/# /'
printf '%s\n' "$sum" | tail -n 1 | matches 'notice: \[burst\] sh: after$' ||
	fail "[burst]: the suppressed count was not logged just before the next line"
m=$(printf '%s\n' "$sum" | sed -n 's/.*: \([0-9]*\) output lines suppressed.*/\1/p')
[ $((n + m)) -eq 500 ] || fail "[burst]: $n logged + $m suppressed is not 500"

# SIGTERM while a hook floods: the daemon stops with status 0 (in the usual
# grace time, then TERM to the hook), and the hook is gone with it.
# (Its pid comes with the cap's line.)
cap='\[flood\] yes (pid [0-9]*): output passed'
ip -n "$NS" addr add 10.30.0.2/32 dev v0 || fail "addr add"
wait_for "[ \$(grep -c '$cap' '$NLEVD_ERR') -ge 2 ]" 5 || fail "[flood]: the second run did not reach the cap"
pid=$(grep "$cap" "$NLEVD_ERR" | tail -n 1 | sed 's/.*(pid \([0-9]*\)).*/\1/')
pid_running "$pid" || fail "[flood]: the second run (pid $pid) is not running"
stop_nlevd
! pid_running "$pid" || fail "the flooding hook (pid $pid) survived the daemon's stop"

# ---- the nsupdate plugin's program (its lines go to the plugin, logged
# at debug) ----
if [ -e "$NLEVD_PLUGINS/nsupdate.la" ] || [ -e "$NLEVD_PLUGINS/nsupdate.so" ]; then
	printf '#!/bin/sh\nexec %s\n' "$YES" >"$T/flood-nsupdate"
	chmod 755 "$T/flood-nsupdate"
	# The plugin reads the zone's records before it runs nsupdate: a
	# server that answers "nothing there" (tests/fake-dns).
	: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
	[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"
	ip netns exec "$NS" "$FAKE_DNS" --port 5300 ok >"$T/fake.out" 2>&1 &
	_PIDS+=("$!")
	wait_for "grep -q 'listening on' '$T/fake.out'" 5 || fail "fake-dns did not start: $(cat "$T/fake.out")"
	: >"$NLEVD_ERR"
	cat >"$T/nsu.conf" <<EOF
[nlevd]
log_level = debug

[events]
plugin = log
format = json
output = $EV

[dns]
plugin = nsupdate
nsupdate = $T/flood-nsupdate
name = host.example.test
zone = example.test
server = 127.0.0.1:5300
addresses = 10.40.0.0/24
settle = 0
timeout = 1s
retry = 1h
retry_max = 1h
EOF
	start_nlevd "$T/nsu.conf"
	flood dns 10.40.0.1 flood-nsupdate 'debug: \[dns\] nsupdate: y$'
	stop_nlevd
else
	fail "no nsupdate plugin in $NLEVD_PLUGINS"
fi
pass
