#!/bin/bash
# The nsupdate plugin against faulty servers: the fake server
# (tests/fake-dns), one per port on the namespace's loopback, and a real
# BIND.  Every nsupdate run is counted (a wrapper records its pid).
#   REFUSED, signed             a permanent error, retried at retry_max only
#   garbage (random bytes)      nsupdate gives up: transient, back-off
#   malformed (cut short)       likewise
#   slow 1500 ms (timeout 3s)   the UPDATE succeeds
#   slow 4000 ms (> timeout)    each run times out: transient, back-off
# In one daemon, for 11 s: runs and requests stay within what
# retry/retry_max/timeout allow, the daemon's CPU time stays low, and it
# stays up.  Then each server behaves (the fake restarted in ok mode, or
# the instance pointed at BIND by a reload): every instance converges, and
# keeps up with a later change.
#   named stopped (SIGSTOP)     runs time out meanwhile, bounded; when it
#                               continues the records converge, and no run
#                               follows
#   SIGTERM while nsupdate waits for the stopped named: nlevd exits with
#                               status 0 within 5 s, and no nsupdate is
#                               left running
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dns-faults-nsupdate
[ -e "$NLEVD_PLUGINS/nsupdate.la" ] || [ -e "$NLEVD_PLUGINS/nsupdate.so" ] ||
	fail "no nsupdate plugin in $NLEVD_PLUGINS"
: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"
dns_require named nsupdate dig tsig-keygen
NSUPDATE=$(command -v nsupdate)

D=$T/named
start_named "$D"
K=$D/nlevd.key
EV=$T/events.json
ERR=$NLEVD_ERR
HZ=$(getconf CLK_TCK)

. "$TESTS_SRCDIR/fake-dns-lib.sh"

# ---- nsupdate runs: a wrapper per instance records each one's pid ----
declare -A RUN_MARK=()
wrapper()
{
	cat >"$T/nsupdate-$1" <<EOF
#!/bin/sh
echo "\$\$ \$(date +%s.%N)" >>$T/runs-$1.out
exec $NSUPDATE "\$@"
EOF
	chmod 755 "$T/nsupdate-$1"
	: >"$T/runs-$1.out"
	RUN_MARK[$1]=0
}
run_mark() { RUN_MARK[$1]=$(grep -c '' "$T/runs-$1.out"); }
runs() { echo $(($(grep -c '' "$T/runs-$1.out") - RUN_MARK[$1])); }
last_run_pid() { tail -n 1 "$T/runs-$1.out" | cut -d' ' -f1; }


# instance NAME SERVER HOST TIMEOUT: an nsupdate section with its wrapper
instance()
{
	[ -x "$T/nsupdate-$1" ] || wrapper "$1"
	cat <<EOF

[$1]
plugin = nsupdate
nsupdate = $T/nsupdate-$1
name = $3
zone = example.test
server = $2
key_file = $K
retry = 1s
retry_max = 5s
timeout = $4
EOF
}
head_conf()
{
	cat <<EOF
[nlevd]
log_level = info

[events]
plugin = log
format = json
output = $EV
EOF
}

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
A=(198.51.100.10 2001:db8::10)

# ---- faulty servers, all at once for 11 s ----
fake_start 5311 refused
fake_start 5312 garbage
fake_start 5313 malformed cut
fake_start 5314 slow 1500
fake_start 5315 slow 4000
faulty_conf()
{
	head_conf
	instance refused 127.0.0.1:5311 refused.example.test 2s
	if [ "$1" = named ]; then
		instance garbage 127.0.0.1 garbage.example.test 2s
	else
		instance garbage 127.0.0.1:5312 garbage.example.test 2s
	fi
	instance malformed 127.0.0.1:5313 malformed.example.test 2s
	instance slow 127.0.0.1:5314 slow.example.test 3s
	instance slower 127.0.0.1:5315 slower.example.test 3s
}
faulty_conf fake >"$T/faulty.conf"
log_mark
t0=$SECONDS
start_nlevd "$T/faulty.conf"
cpu0=$(cpu_ticks "$NLEVD_PID")
wait_converged 5314 slow 10 slow.example.test "${A[@]}"
sleep $((t0 + 11 - SECONDS))
assert_running "after 11 s of faulty servers"
cpu=$(($(cpu_ticks "$NLEVD_PID") - cpu0))

e=$(log_count 'error: \[refused\] update refused: zone [^ ]*: REFUSED; retrying in 5\.0 s$')
n=$(runs refused)
r=$(fake_requests 5311)
note "REFUSED: $n nsupdate runs, $r requests, $e refusals logged"
between "$e" 2 3 || fail "REFUSED: $e refusals in 11 s (retry_max = 5s: want 2 or 3)"
between "$n" "$e" $((e + 1)) || fail "REFUSED: $n runs for $e refusals"
[ "$r" -le "$n" ] || fail "REFUSED: $r requests in $n runs"
[ "$(log_count 'warning: \[refused\] update failed')" -eq 0 ] || fail "REFUSED logged as transient"

f=$(log_count 'warning: \[garbage\] update failed: zone [^ ]*: .*; retrying in [0-9.]+ s$')
n=$(runs garbage)
r=$(fake_requests 5312)
note "garbage: $n nsupdate runs, $r requests, $f failures logged: $(since_mark | sed -n 's/.*warning: \[garbage\] update failed: zone [^ ]*: \(.*\); retrying in.*/\1/p' | head -n 1)"
between "$f" 2 6 || fail "garbage: $f failures in 11 s (back-off from 1s: want 2 to 6)"
between "$n" "$f" $((f + 1)) || fail "garbage: $n runs for $f failures"
[ "$r" -le $((3 * n)) ] || fail "garbage: $r requests in $n runs"

f=$(log_count 'warning: \[malformed\] update failed: zone [^ ]*: .*; retrying in [0-9.]+ s$')
n=$(runs malformed)
r=$(fake_requests 5313)
note "malformed: $n nsupdate runs, $r requests, $f failures logged: $(since_mark | sed -n 's/.*warning: \[malformed\] update failed: zone [^ ]*: \(.*\); retrying in.*/\1/p' | head -n 1)"
between "$f" 2 6 || fail "malformed: $f failures in 11 s (back-off from 1s: want 2 to 6)"
between "$n" "$f" $((f + 1)) || fail "malformed: $n runs for $f failures"
[ "$r" -le $((3 * n)) ] || fail "malformed: $r requests in $n runs"

n=$(runs slow)
note "slow 1500 ms, timeout 3s: $n nsupdate run(s)"
[ "$n" -eq 1 ] || fail "slow 1500 ms: $n runs for one UPDATE"

f=$(log_count 'warning: \[slower\] update failed: zone [^ ]*: .*timed out; retrying in [0-9.]+ s$')
n=$(runs slower)
r=$(fake_requests 5315)
note "slow 4000 ms, timeout 3s: $n nsupdate runs, $r requests, $f timeouts logged"
between "$f" 1 3 || fail "slow 4000 ms: $f timeouts in 11 s (runs of 3 s: want 1 to 3)"
between "$n" "$f" $((f + 1)) || fail "slow 4000 ms: $n runs for $f failures"
[ "$r" -le $((3 * n)) ] || fail "slow 4000 ms: $r requests in $n runs"
for i in garbage malformed slower; do
	[ "$(log_count "error: \[$i\]")" -eq 0 ] || fail "[$i]: errors: $(since_mark | grep "error: \[$i\]" | head -n 3)"
	[ "$(log_count "info: \[$i\] updated")" -eq 0 ] || fail "[$i] succeeded against a faulty server"
done
note "daemon CPU time over the 11 s: $((cpu * 1000 / HZ)) ms"
[ "$cpu" -le $((2 * HZ)) ] || fail "the daemon used $((cpu * 1000 / HZ)) ms of CPU in 11 s (hot loop?)"

# ---- ... then the servers behave: every instance converges ----
log_mark
fake_start 5311 ok
fake_start 5313 ok
fake_start 5315 slow 1500
faulty_conf named >"$T/faulty.conf"
kill -HUP "$NLEVD_PID"
wait_records garbage.example.test A 198.51.100.10 10
wait_records garbage.example.test AAAA 2001:db8::10
wait_converged 5311 refused 10 refused.example.test "${A[@]}"
wait_converged 5313 malformed 10 malformed.example.test "${A[@]}"
wait_converged 5315 slower 15 slower.example.test "${A[@]}"
# and they keep up
log_mark
for p in 5311 5313 5314 5315; do fake_mark $p; done
ip -n "$NS" addr add 198.51.100.11/32 dev v0 || fail "addr add"
A+=(198.51.100.11)
wait_records garbage.example.test A $'198.51.100.10\n198.51.100.11' 10
for i in refused:5311 malformed:5313 slow:5314 slower:5315; do
	wait_converged "${i#*:}" "${i%:*}" 10 "${i%:*}.example.test" "${A[@]}"
done
[ "$(log_count 'error: |warning: ')" -eq 0 ] || fail "warnings after recovery: $(since_mark | grep -E 'error: |warning: ' | head -n 5)"
stop_nlevd
for p in 5311 5312 5313 5314 5315; do fake_stop $p; done

# ---- named stopped (SIGSTOP), then continued ----
{ head_conf; instance dns 127.0.0.1 host.example.test 2s; } >"$T/stop.conf"
start_nlevd "$T/stop.conf"
wait_records host.example.test A $'198.51.100.10\n198.51.100.11'
wait_records host.example.test AAAA 2001:db8::10
log_mark
run_mark dns
kill -STOP "$NAMED_PID" || fail "kill -STOP named"
ip -n "$NS" addr add 198.51.100.20/32 dev v0 || fail "addr add"
sleep 3
ip -n "$NS" addr add 2001:db8::20/64 dev v0 nodad || fail "addr add"
sleep 3
wait_for "[ \$(log_count 'warning: \[dns\] update failed: zone [^ ]*: ') -ge 1 ]" 10 ||
	fail "named stopped: no failure logged in 6 s (+10 s)"
[ "$(log_count 'error: ')" -eq 0 ] || fail "an outage was logged as an error: $(since_mark | grep 'error: ')"
assert_running "while named is stopped"
kill -CONT "$NAMED_PID" || fail "kill -CONT named"
wait_records host.example.test A $'198.51.100.10\n198.51.100.11\n198.51.100.20' 15
wait_records host.example.test AAAA $'2001:db8::10\n2001:db8::20'
wait_for "[ \$(log_count 'info: \[dns\] updated: ') -ge 1 ]" 5 || fail "no success logged"
# A timed-out run's UPDATE may still be applied after a later one: one more
# push, max(retry, timeout) = 2 s after the success.
wait_for "since_mark | grep 'info: \[dns\] zone example.test.: an earlier attempt may still be applied late: reading the records again in 2.0 s'" 5 ||
	fail "no confirming push announced after the outage: $(since_mark | grep '\[dns\]' | tail -n 3)"
wait_for "[ \$(log_count 'info: \[dns\] zone example\.test\.: verified: the records are as desired') -ge 1 ]" 6 ||
	fail "the confirming read did not happen: $(since_mark | grep '\[dns\]' | tail -n 3)"
sleep 0.5
f=$(log_count 'warning: \[dns\] update failed: zone [^ ]*: ')
n=$(runs dns)
note "named stopped 6 s: $n nsupdate runs, $f failures logged"
[ "$f" -le 4 ] || fail "named stopped: $f failed runs (of about 2 s) in 6 s"
[ "$n" -le $((f + 3)) ] || fail "named stopped: $n runs for $f failures"
sleep 3
[ "$(runs dns)" -eq "$n" ] || fail "nsupdate runs after convergence and its confirmation"
dns_has host.example.test A $'198.51.100.10\n198.51.100.11\n198.51.100.20' || fail "A changed after convergence"
stop_nlevd

# ---- SIGTERM while nsupdate waits for the stopped named ----
{ head_conf; instance dns 127.0.0.1 host.example.test 10s; } >"$T/term.conf"
# Published first (the records read, then updated), so that the next change
# goes straight to nsupdate, which then waits for the stopped named.
start_nlevd "$T/term.conf"
wait_for "[ \$(log_count 'info: \[dns\] (updated: |zone example\.test\.: verified: )') -ge 1 ]" 10 ||
	fail "not published before the test: $(since_mark | grep '\[dns\]' | tail -n 3)"
run_mark dns
kill -STOP "$NAMED_PID" || fail "kill -STOP named"
ip -n "$NS" addr add 198.51.100.21/32 dev v0 || fail "addr add"
wait_for "[ \$(runs dns) -ge 1 ]" 5 || fail "nsupdate was not run"
pid=$(last_run_pid dns)
sleep 0.5
pid_running "$pid" || fail "nsupdate (pid $pid) is not waiting for the stopped named"
t0=$(now_ms)
kill -TERM "$NLEVD_PID"
wait_exit "$NLEVD_PID" 5 || fail "nlevd did not stop within 5 s of SIGTERM with nsupdate running"
[ "$EXIT_STATUS" -eq 0 ] || fail "nlevd exited with status $EXIT_STATUS after SIGTERM"
note "SIGTERM with nsupdate running: exit 0 in $(($(now_ms) - t0)) ms"
NLEVD_PID=
wait_for "! pid_running $pid" 2 || fail "nsupdate (pid $pid) still runs after nlevd exited"
[ "$(runs dns)" -eq 1 ] || fail "$(runs dns) nsupdate runs"
left=$(pgrep -f -- "^$NSUPDATE -k $K " || true)
[ -z "$left" ] || fail "nsupdate processes left behind: $left"
kill -CONT "$NAMED_PID"

grep -F -- "$(dns_key_secret "$K")" "$ERR" "$T"/fake-*.out >/dev/null && fail "the secret was logged"
check_event_file "$EV"
pass
