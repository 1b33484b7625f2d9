#!/bin/bash
# dnsupdate against faulty servers: the fake server (tests/fake-dns), one
# per port on the namespace's loopback, and a real BIND for the records.
#   slow 1500 ms (timeout 3s)   every UPDATE succeeds: the answer to the
#                               first transmission, arriving after the
#                               retransmission (1 s), is accepted; the one
#                               to the retransmission finds the exchange
#                               closed and is no error; a change made while
#                               one is in flight follows it
#   slow 4000 ms (> timeout)    each attempt times out (a warning), retried
#                               with back-off; once the server is faster,
#                               the records converge
#   garbage (random bytes)      each answer logged and ignored, the attempt
#                               times out and is retried
#   malformed (right ID, body   likewise (cut short, header only, junk after
#   spoilt), over UDP and TCP   the end); over TCP the attempt fails at once
#   REFUSED, signed             a permanent error, retried at retry_max only
# In one daemon, for 12 s: the fake's request counts stay within what
# retry/retry_max/timeout allow, the daemon's CPU time stays low (no hot
# loop), and it stays up.  Then each server behaves (the fake restarted in
# ok mode, or the instance pointed at BIND by a reload): every instance
# converges, and keeps up with a later change.
#   server stopped (SIGSTOP)    attempts time out meanwhile, bounded; when
#                               it continues it answers the backlog of
#                               stale requests: the records converge, and
#                               nothing is sent after that
#   SIGTERM while UPDATEs (UDP, TCP) wait for the stopped server: exit 0
#                               at once
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dns-faults
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"
dns_require named dig tsig-keygen

D=$T/named
start_named "$D"
K=$D/nlevd.key
EV=$T/events.json
ERR=$NLEVD_ERR
HZ=$(getconf CLK_TCK)

. "$TESTS_SRCDIR/fake-dns-lib.sh"

# wait_log ERE [TIMEOUT_S]
wait_log()
{
	# shellcheck disable=SC2034 # read by the eval in wait_for
	WAIT_PAT=$1
	# shellcheck disable=SC2016 # expanded by the eval in wait_for
	wait_for 'since_mark | grep -E -- "$WAIT_PAT"' "${2:-10}" ||
		fail "not logged within ${2:-10} s: [$1]; got: $(since_mark | grep -v 'debug: ' | tail -n 15)"
}

# instance NAME PORT HOST TIMEOUT [LINE...]: a dnsupdate section
instance()
{
	local l
	cat <<EOF

[$1]
plugin = dnsupdate
name = $3
zone = example.test
server = 127.0.0.1:$2
key_file = $K
retry = 1s
retry_max = 5s
timeout = $4
EOF
	shift 4
	for l in "$@"; do echo "$l"; done
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
ip -n "$NS" addr add 198.51.100.11/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
ADDRS=(198.51.100.10 198.51.100.11 2001:db8::10)

# ---- slow (1.5 s, timeout 3s): every UPDATE succeeds ----
fake_start 5301 slow 1500
{ head_conf; instance dns 5301 host.example.test 3s; } >"$T/slow.conf"
log_mark
start_nlevd "$T/slow.conf" -v
wait_converged 5301 dns 10 host.example.test "${ADDRS[@]}"
# A change; once its UPDATE reached the server, another one: it waits
# for the answer (1.5 s), then goes out on its own.
ip -n "$NS" addr add 198.51.100.12/32 dev v0 || fail "addr add"
wait_for "fake_since 5301 | grep -F '198.51.100.12'" 5 || fail "no UPDATE with 198.51.100.12"
ip -n "$NS" addr add 2001:db8::12/64 dev v0 nodad || fail "addr add"
ADDRS+=(198.51.100.12 2001:db8::12)
wait_for "converged 5301 dns host.example.test ${ADDRS[*]}" 15 ||
	fail "slow: no convergence: acked [$(fake_acked 5301 | tr '\n' ' ')]"
wait_for "[ \$(log_count 'info: \[dns\] updated: ') -ge 3 ]" 5 || fail "slow: fewer than 3 updates logged"
sleep 2 # the late answers to the retransmissions go out
ups=$(log_count 'info: \[dns\] updated: ')
ids=$(fake_since 5301 | sed -n 's/^fake-dns: udp: request #[0-9]* id \([0-9]*\) UPDATE .*/\1/p' | sort -u | wc -l)
req=$(fake_since 5301 | grep -c "^fake-dns: [a-z]*: request #.* UPDATE ")
late=$(fake_since 5301 | grep -c 'answer to request #[0-9]* sent')
note "slow 1500 ms: $ups updates, $ids UPDATE IDs, $req requests, $late late answers sent"
between "$ups" 3 4 || fail "slow: $ups updates for 3 changes"
[ "$ids" -eq "$ups" ] || fail "slow: $ids UPDATEs sent for $ups successes (an attempt failed?)"
[ "$req" -le $((3 * ids)) ] || fail "slow: $req transmissions for $ids UPDATEs (want <= 3 each)"
[ "$req" -gt "$ids" ] || note "slow: no retransmission at all (expected one per UPDATE, 1 s in)"
[ "$late" -eq "$req" ] || fail "slow: $late of $req answers sent"
since_mark | grep -E '(warning|error): \[dns\]' >/dev/null &&
	fail "slow: warnings or errors: $(since_mark | grep -E '(warning|error): \[dns\]' | head -n 5)"
stop_nlevd

# ---- faulty servers, all at once for 12 s ----
fake_start 5301 slow 4000
fake_start 5302 garbage
fake_start 5303 malformed
fake_start 5304 malformed
fake_start 5305 refused
faulty_conf()
{
	head_conf
	instance slow 5301 slow.example.test 3s
	if [ "$1" = named ]; then
		instance garbage 53 garbage.example.test 2s
	else
		instance garbage 5302 garbage.example.test 2s
	fi
	instance malformed 5303 malformed.example.test 2s
	instance malformed-tcp 5304 mtcp.example.test 2s "tcp = yes"
	instance refused 5305 refused.example.test 2s
}
faulty_conf fake >"$T/faulty.conf"
log_mark
t0=$SECONDS
start_nlevd "$T/faulty.conf" -v
cpu0=$(cpu_ticks "$NLEVD_PID")
sleep $((t0 + 12 - SECONDS))
assert_running "after 12 s of faulty servers"
cpu=$(($(cpu_ticks "$NLEVD_PID") - cpu0))
kill -USR1 "$NLEVD_PID"
wait_log 'notice: \[garbage\] .*responses_ignored [1-9][0-9]*' 5
wait_log 'notice: \[malformed\] .*responses_ignored [1-9][0-9]*' 5
W='127\.0\.0\.1#'

f=$(log_count "warning: \[slow\] update failed: zone [^ ]*: ${W}5301: timed out; retrying in [0-9.]+ s\$")
r=$(fake_requests 5301)
note "slow 4000 ms, timeout 3s: $r requests, $f attempts timed out"
[ "$f" -ge 2 ] || fail "slow 4000: $f timeouts logged in 12 s (want >= 2)"
[ "$f" -le 4 ] || fail "slow 4000: $f attempts of 3 s in 12 s"
[ "$r" -le $((3 * (f + 1))) ] || fail "slow 4000: $r requests for $f attempts (3 each)"
[ "$r" -ge 3 ] || fail "slow 4000: only $r requests (no retransmission?)"

f=$(log_count "warning: \[garbage\] update failed: zone [^ ]*: ${W}5302: timed out; retrying in [0-9.]+ s\$")
ign=$(log_count "warning: \[garbage\] ignoring a response from ${W}5302: ")
r=$(fake_requests 5302)
note "garbage: $r requests, $ign answers ignored, $f attempts timed out"
between "$f" 2 5 || fail "garbage: $f timeouts in 12 s (want 2 to 5)"
between "$ign" 1 "$r" || fail "garbage: $ign answers ignored for $r requests"
[ "$r" -le $((3 * (f + 1))) ] || fail "garbage: $r requests for $f attempts (hot loop?)"

f=$(log_count "warning: \[malformed\] update failed: zone [^ ]*: ${W}5303: timed out; retrying in [0-9.]+ s\$")
ign=$(log_count "warning: \[malformed\] ignoring a response from ${W}5303: malformed message\$")
other=$(log_count "warning: \[malformed\] ignoring a response from ${W}5303: ")
r=$(fake_requests 5303)
note "malformed (UDP): $r requests, $ign answers ignored, $f attempts timed out"
for how in 'cut in half' 'the header alone' '7 bytes of junk after the end'; do
	fake_since 5303 | grep -F "spoilt: $how" >/dev/null || fail "malformed: the fake never sent '$how'"
done
[ "$other" -eq "$ign" ] || fail "malformed: ignored for another reason: $(since_mark | grep 'ignoring a response' | grep -v 'malformed message' | head -n 3)"
between "$f" 2 5 || fail "malformed: $f timeouts in 12 s (want 2 to 5)"
between "$ign" 2 "$r" || fail "malformed: $ign answers ignored for $r requests"
[ "$r" -le $((3 * (f + 1))) ] || fail "malformed: $r requests for $f attempts (hot loop?)"

f=$(log_count "warning: \[malformed-tcp\] update failed: zone [^ ]*: ${W}5304: malformed message; retrying in [0-9.]+ s\$")
r=$(fake_requests 5304 tcp)
note "malformed (TCP): $r requests, $f attempts failed"
[ "$(fake_requests 5304 udp)" -eq 0 ] || fail "tcp = yes, yet UDP requests"
between "$f" 3 6 || fail "malformed over TCP: $f failures in 12 s (back-off 1, 2, 4, 5 s: want 3 to 6)"
[ "$r" -le $((f + 1)) ] || fail "malformed over TCP: $r requests for $f failures"

e=$(log_count "error: \[refused\] update refused: zone [^ ]*: REFUSED from the server for zone example\.test\.; retrying in 5\.0 s\$")
r=$(fake_requests 5305)
note "REFUSED: $r requests, $e refusals logged"
between "$e" 2 3 || fail "REFUSED: $e refusals in 12 s (retry_max = 5s: want 2 or 3)"
between "$r" "$e" $((e + 1)) || fail "REFUSED: $r requests for $e refusals"
[ "$(log_count 'warning: \[refused\] update failed')" -eq 0 ] || fail "REFUSED logged as transient"
for i in slow garbage malformed malformed-tcp; do
	[ "$(log_count "error: \[$i\]")" -eq 0 ] || fail "[$i]: errors: $(since_mark | grep "error: \[$i\]" | head -n 3)"
	[ "$(log_count "info: \[$i\] updated")" -eq 0 ] || fail "[$i] succeeded against a faulty server"
done
note "daemon CPU time over the 12 s: $((cpu * 1000 / HZ)) ms"
[ "$cpu" -le $((2 * HZ)) ] || fail "the daemon used $((cpu * 1000 / HZ)) ms of CPU in 12 s (hot loop?)"

# ---- ... then the servers behave: every instance converges ----
log_mark
fake_start 5301 slow 1500
fake_start 5303 ok
fake_start 5304 ok
fake_start 5305 ok
faulty_conf named >"$T/faulty.conf"
kill -HUP "$NLEVD_PID"
A4=(198.51.100.10 198.51.100.11 198.51.100.12)
A6=(2001:db8::10 2001:db8::12)
wait_records garbage.example.test A "$(printf '%s\n' "${A4[@]}")" 10
wait_records garbage.example.test AAAA "$(printf '%s\n' "${A6[@]}")"
wait_converged 5301 slow 15 slow.example.test "${A4[@]}" "${A6[@]}"
wait_converged 5303 malformed 15 malformed.example.test "${A4[@]}" "${A6[@]}"
wait_converged 5304 malformed-tcp 15 mtcp.example.test "${A4[@]}" "${A6[@]}"
wait_converged 5305 refused 10 refused.example.test "${A4[@]}" "${A6[@]}"
# and they keep up
log_mark
for p in 5301 5303 5304 5305; do fake_mark $p; done
ip -n "$NS" addr del 198.51.100.11/32 dev v0 || fail "addr del"
A4=(198.51.100.10 198.51.100.12)
wait_records garbage.example.test A "$(printf '%s\n' "${A4[@]}")" 10
wait_converged 5301 slow 10 slow.example.test "${A4[@]}" "${A6[@]}"
wait_converged 5303 malformed 10 malformed.example.test "${A4[@]}" "${A6[@]}"
wait_converged 5304 malformed-tcp 10 mtcp.example.test "${A4[@]}" "${A6[@]}"
wait_converged 5305 refused 10 refused.example.test "${A4[@]}" "${A6[@]}"
[ "$(log_count 'error: |warning: ')" -eq 0 ] || fail "warnings after recovery: $(since_mark | grep -E 'error: |warning: ' | head -n 5)"
stop_nlevd
for p in 5301 5302 5303 5304 5305; do fake_stop $p; done

# ---- the server stopped (SIGSTOP), then continued ----
fake_start 5306 ok
{ head_conf; instance dns 5306 stop.example.test 2s; } >"$T/stop.conf"
log_mark
start_nlevd "$T/stop.conf"
wait_converged 5306 dns 10 stop.example.test "${A4[@]}" "${A6[@]}"
log_mark
fake_mark 5306
kill -STOP "${FAKE_PID[5306]}" || fail "kill -STOP the fake"
ip -n "$NS" addr add 198.51.100.20/32 dev v0 || fail "addr add"
sleep 3
ip -n "$NS" addr add 2001:db8::20/64 dev v0 nodad || fail "addr add"
sleep 3
A4+=(198.51.100.20)
A6+=(2001:db8::20)
[ "$(log_count "warning: \[dns\] update failed: zone [^ ]*: ${W}5306: timed out; retrying in [0-9.]+ s\$")" -ge 1 ] ||
	fail "server stopped: no timeout logged in 6 s"
[ "$(log_count 'error: ')" -eq 0 ] || fail "an outage was logged as an error"
assert_running "while the server is stopped"
kill -CONT "${FAKE_PID[5306]}" || fail "kill -CONT the fake"
wait_converged 5306 dns 15 stop.example.test "${A4[@]}" "${A6[@]}"
# A timed-out UPDATE may still be applied after a later one: once the
# backlog is answered, everything is pushed once more, max(retry, timeout)
# = 2 s later.
wait_for "since_mark | grep 'info: \[dns\] zone example.test.: an earlier attempt may still be applied late: reading the records again in 2.0 s'" 5 ||
	fail "no confirming push announced after the outage: $(since_mark | grep '\[dns\]' | tail -n 3)"
sleep 3.5
f=$(log_count "warning: \[dns\] update failed: zone [^ ]*: ${W}5306: timed out; retrying in [0-9.]+ s\$")
r=$(fake_requests 5306)
ids=$(fake_since 5306 | sed -n 's/^fake-dns: udp: request #[0-9]* id \([0-9]*\) UPDATE .*/\1/p' | sort -u | wc -l)
note "server stopped 6 s: $f attempts timed out; $r requests ($ids UPDATEs) answered after SIGCONT"
[ "$f" -le 4 ] || fail "server stopped: $f attempts of 2 s in 6 s"
[ "$r" -le $((3 * (f + 2))) ] || fail "server stopped: $r requests for $f failed attempts (hot loop?)"
[ "$ids" -le $((f + 3)) ] || fail "server stopped: $ids UPDATEs for $f failures"
# The backlog answered and confirmed, nothing more goes out, and the last
# word stands.
sleep 2
[ "$(fake_requests 5306)" -eq "$r" ] || fail "requests after convergence: $(fake_since 5306 | tail -n 3)"
[ "$(fake_acked 5306)" = "$(records stop.example.test "${A4[@]}" "${A6[@]}")" ] || fail "the last acknowledged UPDATE is stale"
stop_nlevd

# ---- SIGTERM while UPDATEs wait for the stopped server (UDP and TCP) ----
{
	head_conf
	instance dns 5306 stop.example.test 30s
	instance tcp 5306 tcp.example.test 30s "tcp = yes"
} >"$T/term.conf"
kill -STOP "${FAKE_PID[5306]}" || fail "kill -STOP the fake"
log_mark
start_nlevd "$T/term.conf"
in_flight()
{
	kill -USR1 "$NLEVD_PID"
	sleep 0.3
	[ "$(log_count 'notice: \[dns\] zone example\.test\.: names stop\.example\.test\.; state (reading|updating); ')" -ge 1 ] &&
		[ "$(log_count 'notice: \[tcp\] zone example\.test\.: names tcp\.example\.test\.; state (reading|updating); ')" -ge 1 ]
}
wait_for in_flight 5 || fail "no UPDATEs in flight: $(since_mark | grep -E 'notice: \[(dns|tcp)\]' | tail -n 4)"
t0=$(now_ms)
kill -TERM "$NLEVD_PID"
wait_exit "$NLEVD_PID" 5 || fail "nlevd did not stop within 5 s of SIGTERM with an UPDATE in flight"
[ "$EXIT_STATUS" -eq 0 ] || fail "nlevd exited with status $EXIT_STATUS after SIGTERM"
note "SIGTERM with UPDATEs in flight: exit 0 in $(($(now_ms) - t0)) ms"
NLEVD_PID=
fake_stop 5306

grep -F -- "$(dns_key_secret "$K")" "$ERR" "$T"/fake-*.out >/dev/null && fail "the secret was logged"
check_event_file "$EV"
pass
