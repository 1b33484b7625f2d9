#!/bin/bash
# nsupdate plugin, failures against a real BIND: a wrong TSIG key is a
# permanent error, logged as such and retried only at retry_max (no hot
# loop), with the secret nowhere in argv, environment or logs, and a reload
# with the right key recovers; a server that is not there is a transient
# failure retried with growing back-off, and the records converge once a
# server listens on that port.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init nsupdate-faults
[ -e "$NLEVD_PLUGINS/nsupdate.la" ] || [ -e "$NLEVD_PLUGINS/nsupdate.so" ] ||
	fail "no nsupdate plugin in $NLEVD_PLUGINS"
dns_require named nsupdate dig tsig-keygen
NSUPDATE=$(command -v nsupdate)

D=$T/named
start_named "$D"
EV=$T/events.json
ERR=$NLEVD_ERR

# Every nsupdate run leaves its argv and environment behind.
SPAWNS=$T/spawns.out
cat >"$T/nsupdate-wrap" <<EOF
#!/bin/sh
echo "\$(date +%s.%N) argv: \$*" >>$SPAWNS
env | sed 's/^/  env: /' >>$SPAWNS
exec $NSUPDATE "\$@"
EOF
chmod 755 "$T/nsupdate-wrap"
spawns() { grep -c ' argv: ' "$SPAWNS" 2>/dev/null || echo 0; }

conf()
{
	local f=$1 l
	shift
	{
		cat <<EOF
[nlevd]
log_level = info

[events]
plugin = log
format = json
output = $EV

[dns]
plugin = nsupdate
name = host.example.test
zone = example.test
retry = 1s
retry_max = 5s
timeout = 2s
nsupdate = $T/nsupdate-wrap
EOF
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.50/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::50/64 dev v0 nodad || fail "addr add"

# ---- a wrong key: a permanent error, retried at retry_max only ----
conf "$T/wrong.conf" "server = 127.0.0.1" "key_file = $D/wrong.key"
t0=$(now_ms)
start_nlevd "$T/wrong.conf" -v   # debug: even then no secret is logged
# The records are read first, with signed queries: BIND's unsigned BADSIG
# counts once no signed answer came within the timeout, and nothing is
# run (there is no point in an UPDATE with a key the server refuses).
refusal='error: \[dns\] read refused: zone example\.test\.: BADSIG \(TSIG error, unsigned answer\) from 127\.0\.0\.1#53 for the query [^;]*, unverified: no signed answer within the timeout; retrying in 5\.0 s'
wait_for "grep -E '$refusal' $ERR" 10 ||
	fail "the wrong key was not logged as 'read refused: ... BADSIG ..., unverified ...; retrying in 5.0 s': $(grep '\[dns\]' "$ERR")"
# Count the attempts over the first 10 s: at 0 (+settle), 5 and 10 s at most.
left=$((t0 + 10000 - $(now_ms)))
[ "$left" -gt 0 ] && sleep "$((left / 1000)).$(printf %03d $((left % 1000)))"
refusals() { grep -c 'error: \[dns\] read refused: zone [^ ]*: ' "$ERR"; }
n=$(refusals)
note "wrong key: $n refused read(s) in the first 10 s, $(spawns) nsupdate run(s)"
[ "$n" -ge 2 ] || fail "wrong key: only $n attempt(s) in 10 s: not retried at retry_max = 5s?"
[ "$n" -le 3 ] || fail "wrong key: $n attempts in 10 s (hot loop; want <= 3 with retry_max = 5s)"
[ "$(spawns)" -eq 0 ] || fail "nsupdate was run although the key was refused"
[ -z "$(dns_query host.example.test A)" ] || fail "published with the wrong key?"
grep -E 'warning: \[dns\] (read|update) failed' "$ERR" >/dev/null &&
	fail "a BADSIG was also logged as a transient failure: $(grep 'warning: \[dns\]' "$ERR" | head -n 3)"
# The status (SIGUSR1) says what is going on, per name and per zone.  A
# retry may be in flight when the signal is handled (the zone is then
# "reading"): a second signal then sees the failure.
statuses() { grep -c 'notice: \[dns\] summary .*; updates_sent [0-9]*' "$ERR"; }
st='notice: \[dns\] name host\.example\.test\.: desired a 198\.51\.100\.50 aaaa 2001:db8::50; zone example\.test\.$'
zst='notice: \[dns\] zone example\.test\.: names host\.example\.test\.; state failed; last read refused: .*BADSIG.*; last_time [0-9T:-]+Z; next_try [0-9.]+ s; updates_sent 0; updates_ok 0; updates_failed [0-9]+$'
for try in 1 2 3; do
	s0=$(statuses) r0=$(refusals)
	kill -USR1 "$NLEVD_PID"
	wait_for "[ \$(statuses) -gt $s0 ]" 5 || fail "no SIGUSR1 status within 5 s"
	line=$(grep 'notice: \[dns\] name host\.example\.test\.: ' "$ERR" | tail -n 1)
	echo "$line" | grep -E -- "$st" >/dev/null || fail "SIGUSR1 status: $line"
	zline=$(grep 'notice: \[dns\] zone example\.test\.: ' "$ERR" | tail -n 1)
	echo "$zline" | grep -E -- "$zst" >/dev/null && break
	echo "$zline" | grep -E -- '; state reading; ' >/dev/null || fail "SIGUSR1 zone status: $zline"
	note "SIGUSR1 status taken during a retry: $zline"
	[ "$try" -lt 3 ] || fail "SIGUSR1 status: 3 times 'reading'"
	wait_for "[ \$(refusals) -gt $r0 ]" 10 || fail "the retry in flight did not end: $zline"
done
# The secrets appear nowhere: not in argv, the environment, or the logs.
for k in "$D/wrong.key" "$D/nlevd.key"; do
	s=$(dns_key_secret "$k")
	[ -n "$s" ] || fail "no secret in $k"
	for f in "$SPAWNS" "$ERR" "$EV" "$T/nlevd.out"; do
		[ -f "$f" ] || continue
		grep -F -- "$s" "$f" >/dev/null && fail "the secret of $(basename "$k") is in $(basename "$f")"
	done
done
# The operator fixes the key: a reload recovers at once.
conf "$T/wrong.conf" "server = 127.0.0.1" "key_file = $D/nlevd.key"
kill -HUP "$NLEVD_PID"
wait_records host.example.test A 198.51.100.50 10
wait_records host.example.test AAAA 2001:db8::50
grep -F -- "argv: -k $D/nlevd.key " "$SPAWNS" >/dev/null || fail "nsupdate not run with -k KEYFILE: $(grep argv "$SPAWNS" | head -n 1)"
grep -v '^  env: PATH=' "$SPAWNS" | grep '^  env: ' | grep -v -E '^  env: (PWD|SHLVL|_)=' >/dev/null &&
	fail "nsupdate got more than PATH in its environment: $(grep '^  env: ' "$SPAWNS" | sort -u | head)"
stop_nlevd

# ---- no server at that port: transient, back-off, converges later ----
: >"$SPAWNS"
conf "$T/none.conf" "server = 127.0.0.1:5399" "key_file = $D/nlevd.key"
mark=$(grep -c . "$ERR")
start_nlevd "$T/none.conf"
after() { tail -n +"$((mark + 1))" "$ERR"; }
wait_for "[ \$(after | grep -Ec 'warning: \[dns\] (read|update) failed: zone [^ ]*: .*; retrying in') -ge 4 ]" 20 ||
	fail "not 4 transient failures logged in 20 s: $(after | grep '\[dns\]')"
after | grep -Ei 'warning: \[dns\] (read|update) failed: zone [^ ]*: .*connection refused.*; retrying in' >/dev/null ||
	fail "the failure does not say 'connection refused': $(after | grep '\[dns\]' | head -n 2)"
after | grep -E 'error: \[dns\]' >/dev/null && fail "a refused connection was logged as an error"
# Exponential back-off with jitter (80% to 120%), capped at retry_max.
delays=$(after | sed -En 's/.*warning: \[dns\] (read|update) failed: zone [^ ]*: .*; retrying in ([0-9.]*) s$/\2/p' | head -n 4)
note "back-off delays: ${delays//$'\n'/ }"
echo "$delays" | awk '
	{ d[NR] = $1 }
	END {
		lo[1] = 0.8; hi[1] = 1.2; lo[2] = 1.6; hi[2] = 2.4; lo[3] = 3.2; hi[3] = 4.8; lo[4] = 4.0; hi[4] = 5.0
		for (i = 1; i <= 4; i++) if (d[i] < lo[i] - 0.05 || d[i] > hi[i] + 0.05) exit 1
	}' || fail "back-off delays not 1s, 2s, 4s, 5s +-20%: ${delays//$'\n'/ }"
assert_running "with no server"
# A server appears on that port: the records converge within retry_max.
mkdir -p "$T/named2" || fail "mkdir"
cp -p "$D/nlevd.key" "$D/wrong.key" "$T/named2/" || fail "cp keys"
start_named "$T/named2" 5399
# shellcheck disable=SC2034 # read by dns-lib.sh
DNS_PORT=5399
t0=$(now_ms)
wait_records host.example.test A 198.51.100.50 15
wait_records host.example.test AAAA 2001:db8::50
note "converged $(($(now_ms) - t0)) ms after the server appeared"
after | grep 'info: \[dns\] updated: ' >/dev/null || fail "the success was not logged"
stop_nlevd
check_event_file "$EV"
pass
