#!/bin/bash
# exec plugin: a hook that hangs (and ignores TERM, with a grandchild) is
# killed as a process group at its timeout while another instance keeps
# receiving events; a hook that leaves a background process behind does
# not hold its serial queue; on SIGTERM running hooks get a 2 s grace time,
# then TERM, then KILL 2 s later, and the daemon exits 0.
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
command = /bin/sh -c 'sleep 20.$$ & echo "\$NLEVD_ADDRESS" >>$T/bg.log'
events = addr-add
addresses = 10.11.0.0/24
startup = no

[loud]
plugin = exec
command = /bin/sh -c 'echo "out \$NLEVD_ADDRESS"; echo "err \$NLEVD_ADDRESS" >&2; head -c 5000 /dev/zero | tr "\\0" x; echo; exit 3'
events = addr-add
addresses = 10.13.0.0/24
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
# Output lines go to the log with the instance's name, bounded in length;
# a non-zero exit is a warning.
ip -n "$NS" addr add 10.13.0.1/32 dev v0
wait_for "grep -q 'exited with status 3' '$NLEVD_ERR'" || fail "non-zero exit not logged"
grep -q 'notice: \[loud\] sh: out 10.13.0.1$' "$NLEVD_ERR" || fail "stdout line not logged with the instance name"
grep -q 'notice: \[loud\] sh (stderr): err 10.13.0.1$' "$NLEVD_ERR" || fail "stderr line not logged"
grep -q 'warning: \[loud\] /bin/sh exited with status 3' "$NLEVD_ERR" || fail "exit warning"
long=$(grep '\[loud\] sh: xxxx' "$NLEVD_ERR" | head -n 1)
[ -n "$long" ] || fail "long line not logged"
n=$(printf '%s' "$long" | tr -cd x | wc -c)
[ "$n" -le 1024 ] && [ "$n" -ge 1000 ] || fail "long line not bounded to 1024 bytes ($n)"
grep -q '\[loud\] sh: (line truncated)' "$NLEVD_ERR" || fail "truncation not marked"
assert_running
stop_nlevd
pkill -f "^sleep 20\.$$$" 2>/dev/null # only this run's (20.PID: unique)

# ---- stopping with hooks running (nlevd(8) SIGNALS: 2 s grace, TERM, KILL
# 2 s later) ----
# A hook that ends within the grace time finishes; one that exits on TERM
# is still running during the grace time and gone with the daemon, ~2 s
# after its SIGTERM.
cat >"$T/stop.conf" <<EOF
[quick]
plugin = exec
command = /bin/sh -c 'sleep 1; echo done >$T/quick.done'
events = addr-add
addresses = 10.20.0.0/24
timeout = 60s
startup = no

[polite]
plugin = exec
command = /bin/sh -c 'echo \$\$ >$T/polite.pid; exec sleep 60'
events = addr-add
addresses = 10.20.0.0/24
timeout = 60s
startup = no
EOF
start_nlevd "$T/stop.conf"
ip -n "$NS" addr add 10.20.0.1/32 dev v0
wait_for "[ -s $T/polite.pid ]" || fail "polite hook did not start"
POLITE=$(cat "$T/polite.pid")
pid_running "$POLITE" || fail "polite hook not running"
t0=$(now_ms)
kill -TERM "$NLEVD_PID"
sleep 1.2
pid_running "$POLITE" || fail "a running hook was killed at once on SIGTERM, not after a grace time"
wait_exit "$NLEVD_PID" 4 || fail "nlevd still running 4 s after SIGTERM with a hook that exits on TERM"
el=$(($(now_ms) - t0))
[ "$EXIT_STATUS" -eq 0 ] || fail "exit status $EXIT_STATUS after SIGTERM with a running hook"
NLEVD_PID=
note "stopped with a TERM-abiding hook in $el ms"
[ "$el" -ge 1800 ] || fail "stopped after $el ms: the 2 s grace time was not given"
! pid_running "$POLITE" || fail "the hook (pid $POLITE) survived the daemon's stop"
[ -s "$T/quick.done" ] || fail "a hook that ends within the grace time was not let finish"

# A hook that ignores TERM (with a grandchild) is killed 2 s after the
# TERM; the daemon still exits 0 within 5 s.
cat >"$T/stop2.conf" <<EOF
[stubborn]
plugin = exec
command = /bin/sh -c 'trap "" TERM; echo \$\$ >$T/stubborn.pid; sleep 60 & echo \$! >$T/stubborn-gc.pid; wait; wait'
events = addr-add
addresses = 10.21.0.0/24
timeout = 60s
startup = no
EOF
start_nlevd "$T/stop2.conf"
ip -n "$NS" addr add 10.21.0.1/32 dev v0
wait_for "[ -s $T/stubborn-gc.pid ]" || fail "stubborn hook did not start"
STUB=$(cat "$T/stubborn.pid")
STUBGC=$(cat "$T/stubborn-gc.pid")
pid_running "$STUB" && pid_running "$STUBGC" || fail "stubborn hook not running"
t0=$(now_ms)
kill -TERM "$NLEVD_PID"
wait_exit "$NLEVD_PID" 5 || fail "nlevd still running 5 s after SIGTERM with a hook that ignores TERM"
el=$(($(now_ms) - t0))
[ "$EXIT_STATUS" -eq 0 ] || fail "exit status $EXIT_STATUS after SIGTERM with a TERM-ignoring hook"
NLEVD_PID=
note "stopped with a TERM-ignoring hook in $el ms"
[ "$el" -ge 3500 ] || fail "stopped after $el ms: grace (2 s) + TERM, KILL 2 s later takes ~4 s"
wait_for "! pid_running $STUB && ! pid_running $STUBGC" 1 ||
	fail "the TERM-ignoring hook (pid $STUB) or its child ($STUBGC) survived the daemon's stop"
pass
