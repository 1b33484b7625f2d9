#!/bin/bash
# exec plugin: a hook that hangs (and ignores TERM, with a grandchild) is
# killed as a process group at its timeout while another instance keeps
# receiving events; a hook that leaves a background process behind does
# not hold its serial queue.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init exectimeout

EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF
[events]
plugin = log
format = json
output = $EV

[slow]
plugin = exec
command = /bin/sh -c 'trap "" TERM; echo \$\$ >$T/slow.pid; sleep 1000 & echo \$! >$T/grandchild.pid; wait; wait'
events = addr-add
family = ipv4
addresses = 10.10.0.0/24
timeout = 1s
startup = no

[bg]
plugin = exec
command = /bin/sh -c 'sleep 20 & echo "\$NLEVD_ADDRESS" >>$T/bg.log'
events = addr-add
addresses = 10.11.0.0/24
startup = no
EOF
start_nlevd "$T/nlevd.conf"
veth_pair v0 v1

t0=$(now_ms)
ip -n "$NS" addr add 10.10.0.1/24 dev v0
wait_for "[ -s $T/grandchild.pid ]" || fail "slow hook did not start"
GC=$(cat "$T/grandchild.pid")
HOOK=$(cat "$T/slow.pid")
pid_running "$GC" || fail "grandchild not running"

# While the hook hangs, the loop keeps going: other events arrive at once.
for i in 1 2 3; do
	t1=$(now_ms)
	ip -n "$NS" addr add 10.12.0.$i/32 dev v0
	wait_event "$EV" '.event == "addr-add" and .address == $a' 1 2 --arg a "10.12.0.$i"
	note "event $i logged after $(($(now_ms) - t1)) ms while the hook hangs"
done
pid_running "$HOOK" || fail "the hook ended before its timeout"

# TERM at 1 s is ignored; KILL 2 s later takes the whole group.
wait_for "! pid_running $GC && ! pid_running $HOOK" 8 || fail "hook group still alive after timeout + grace"
t2=$(now_ms)
el=$((t2 - t0))
note "hook and grandchild gone after $el ms"
[ "$el" -ge 2500 ] || fail "killed too early ($el ms): TERM should be ignored, KILL comes 2 s later"
grep -q '\[slow\] sleep.*timed out\|\[slow\] sh (pid [0-9]*) timed out' "$NLEVD_ERR" || fail "timeout not logged"
grep -q 'ignored TERM; sending KILL' "$NLEVD_ERR" || fail "KILL escalation not logged"
grep -q '\[slow\] .*timed out after 1000 ms' "$NLEVD_ERR" || fail "plugin warning for the timeout missing"

# A hook that leaves a background job (holding its stdout) does not hold
# the serial queue: three runs complete quickly.
for i in 1 2 3; do ip -n "$NS" addr add 10.11.0.$i/32 dev v0; done
wait_for "[ \$(grep -c . $T/bg.log) -ge 3 ]" 5 || fail "background jobs held the queue: $(cat "$T/bg.log" 2>/dev/null)"
assert_running
stop_nlevd
pkill -f '^sleep 20$' 2>/dev/null
pass
