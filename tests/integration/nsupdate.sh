#!/bin/bash
# nsupdate plugin against a real BIND in the test namespace: the start-up
# push, IPv4/IPv6 add and del reaching A/AAAA, on_empty = delete and keep,
# two names and the TTL, a flap storm coalesced into few UPDATEs, a
# server outage (named stopped) that converges once it is back, and
# key_name picking one key of a file with several.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init nsupdate
[ -e "$NLEVD_PLUGINS/nsupdate.la" ] || [ -e "$NLEVD_PLUGINS/nsupdate.so" ] ||
	fail "no nsupdate plugin in $NLEVD_PLUGINS"
dns_require named nsupdate dig tsig-keygen

D=$T/named
start_named "$D"
EV=$T/events.json
ERR=$NLEVD_ERR

# conf FILE KEY=VALUE...: the log instance and a [dns] nsupdate instance
# with the test's short timings; extra lines override nothing, they add.
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
zone = example.test
server = 127.0.0.1
key_file = $D/nlevd.key
retry = 1s
retry_max = 5s
timeout = 2s
EOF
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# the number of "updated" lines the daemon logged for [dns]
updates_logged() { grep -c 'info: \[dns\] updated: ' "$ERR"; }

# wait until the zone's serial has not moved for QUIET_S seconds; prints it
quiet_serial()
{
	local quiet=${1:-2} s prev since=$SECONDS deadline=$((SECONDS + 30))
	prev=$(soa_serial example.test) || fail "no SOA"
	while [ $((SECONDS - since)) -lt "$quiet" ]; do
		[ "$SECONDS" -ge "$deadline" ] && fail "example.test's serial never settled"
		sleep 0.2
		s=$(soa_serial example.test) || fail "no SOA"
		if [ "$s" != "$prev" ]; then
			prev=$s
			since=$SECONDS
		fi
	done
	echo "$prev"
}

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"

# ---- start-up push: the addresses present before nlevd starts ----
conf "$T/one.conf" "name = host.example.test" "on_empty = delete"
t0=$(now_ms)
start_nlevd "$T/one.conf"
wait_records host.example.test A 198.51.100.10
wait_records host.example.test AAAA 2001:db8::10
note "start-up push published in $(($(now_ms) - t0)) ms"
[ "$(dns_ttl host.example.test A)" = 300 ] || fail "default TTL: $(dns_ttl host.example.test A)"
grep 'readable by everyone' "$ERR" >/dev/null && fail "warned about a key file with mode 600"
[ "$(updates_logged)" -ge 1 ] || fail "no 'updated' line logged"

# ---- IPv4 and IPv6 add and del ----
ip -n "$NS" addr add 198.51.100.11/32 dev v0
wait_records host.example.test A $'198.51.100.10\n198.51.100.11'
ip -n "$NS" addr add 2001:db8::11/64 dev v0 nodad
wait_records host.example.test AAAA $'2001:db8::10\n2001:db8::11'
wait_records host.example.test A $'198.51.100.10\n198.51.100.11'
ip -n "$NS" addr del 198.51.100.10/32 dev v0
wait_records host.example.test A 198.51.100.11
ip -n "$NS" addr del 2001:db8::10/64 dev v0
wait_records host.example.test AAAA 2001:db8::11
wait_records host.example.test A 198.51.100.11
# Both families in one change.
ip -n "$NS" -batch - <<EOF || fail "ip -batch"
addr add 198.51.100.12/32 dev v0
addr add 2001:db8::12/64 dev v0 nodad
addr del 198.51.100.11/32 dev v0
EOF
wait_records host.example.test A 198.51.100.12
wait_records host.example.test AAAA $'2001:db8::11\n2001:db8::12'
# Addresses outside the selection are not published: link scope, lo.
ip -n "$NS" addr add 169.254.7.7/16 dev v0 scope link
ip -n "$NS" addr add 198.51.100.99/32 dev lo
ip -n "$NS" addr add 2001:db8::12/64 dev v1 nodad   # the same address twice: once
ip -n "$NS" addr add 198.51.100.13/32 dev v1
wait_records host.example.test A $'198.51.100.12\n198.51.100.13'
wait_records host.example.test AAAA $'2001:db8::11\n2001:db8::12'
ip -n "$NS" addr del 169.254.7.7/16 dev v0
ip -n "$NS" addr del 198.51.100.99/32 dev lo
ip -n "$NS" addr del 2001:db8::12/64 dev v1
ip -n "$NS" addr del 198.51.100.13/32 dev v1
wait_records host.example.test A 198.51.100.12

# ---- on_empty = delete: the last address goes, so do the records ----
ip -n "$NS" addr del 198.51.100.12/32 dev v0
ip -n "$NS" addr del 2001:db8::11/64 dev v0
wait_records host.example.test A ""
wait_records host.example.test AAAA 2001:db8::12
ip -n "$NS" addr del 2001:db8::12/64 dev v0
wait_records host.example.test AAAA ""
wait_records host.example.test A ""
# and they come back
ip -n "$NS" addr add 198.51.100.12/32 dev v0
wait_records host.example.test A 198.51.100.12
wait_records host.example.test AAAA ""

# ---- flap storm: 50 add/del pairs and a final add converge in few UPDATEs ----
s0=$(quiet_serial 2)
u0=$(updates_logged)
t0=$(now_ms)
for i in $(seq 1 50); do
	ip -n "$NS" addr add 198.51.100.30/32 dev v0 || fail "storm add $i"
	# Now and then a pause longer than the settle window (200ms), so that
	# updates go out while the storm goes on: after an add, just long
	# enough that the next change comes while nsupdate is in flight.
	[ $((i % 10)) -eq 5 ] && sleep 0.25
	ip -n "$NS" addr del 198.51.100.30/32 dev v0 || fail "storm del $i"
	if [ $((i % 10)) -eq 0 ]; then sleep 0.4; else sleep 0.03; fi
done
ip -n "$NS" addr add 198.51.100.30/32 dev v0 || fail "storm final add"
note "storm took $(($(now_ms) - t0)) ms"
wait_records host.example.test A $'198.51.100.12\n198.51.100.30' 20
wait_records host.example.test AAAA ""
s1=$(quiet_serial 3)
n=$((s1 - s0))
note "flap storm: $n UPDATE(s) (serial $s0 -> $s1), $(($(updates_logged) - u0)) 'updated' lines"
[ "$n" -ge 1 ] || fail "the storm's final state was published without an UPDATE?"
[ "$n" -le 20 ] || fail "flap storm: $n UPDATEs for 101 changes (want <= 20)"
dns_has host.example.test A $'198.51.100.12\n198.51.100.30' || fail "state changed after the storm"
assert_running "after the storm"

# ---- outage: named stopped, addresses change, named back: convergence ----
kill -STOP "$NAMED_PID" || fail "kill -STOP named"
note "named stopped"
ip -n "$NS" addr add 198.51.100.14/32 dev v0
ip -n "$NS" addr add 2001:db8::14/64 dev v0 nodad
ip -n "$NS" addr del 198.51.100.30/32 dev v0
sleep 4
ip -n "$NS" addr del 198.51.100.12/32 dev v0
sleep 2
# The attempts made meanwhile fail as transient: a warning and a back-off.
wait_for "grep 'warning: \[dns\] update failed: zone [^ ]*: .*; retrying in [0-9.]* s' '$ERR'" 10 ||
	fail "no transient failure logged while named was stopped"
grep -E 'error: \[dns\]' "$ERR" >/dev/null && fail "an outage was logged as an error: $(grep 'error: \[dns\]' "$ERR")"
assert_running "during the outage"
kill -CONT "$NAMED_PID" || fail "kill -CONT named"
note "named continued"
t0=$(now_ms)
wait_records host.example.test A 198.51.100.14 20
wait_records host.example.test AAAA 2001:db8::14 20
note "converged $(($(now_ms) - t0)) ms after the outage"
sleep 1
dns_has host.example.test A 198.51.100.14 || fail "A changed after convergence: $(dns_query host.example.test A)"
dns_has host.example.test AAAA 2001:db8::14 || fail "AAAA changed after convergence"
stop_nlevd
ip -n "$NS" addr flush dev v0 scope global

# ---- two names, a TTL, on_empty = keep ----
conf "$T/two.conf" "name = a.example.test B.Example.Test." "ttl = 120" "on_empty = keep"
start_nlevd "$T/two.conf"
ip -n "$NS" addr add 198.51.100.20/32 dev v0
ip -n "$NS" addr add 2001:db8::20/64 dev v0 nodad
for h in a b; do
	wait_records $h.example.test A 198.51.100.20
	wait_records $h.example.test AAAA 2001:db8::20
	[ "$(dns_ttl $h.example.test A)" = 120 ] || fail "$h A TTL: $(dns_ttl $h.example.test A)"
	[ "$(dns_ttl $h.example.test AAAA)" = 120 ] || fail "$h AAAA TTL: $(dns_ttl $h.example.test AAAA)"
done
# One UPDATE for both names: the zone is the same.
s0=$(quiet_serial 1)
ip -n "$NS" addr add 198.51.100.21/32 dev v0
wait_records a.example.test A $'198.51.100.20\n198.51.100.21'
wait_records b.example.test A $'198.51.100.20\n198.51.100.21'
s1=$(quiet_serial 1)
[ $((s1 - s0)) -eq 1 ] || fail "two names in one zone took $((s1 - s0)) UPDATEs"
# With an address left, a withdrawn one still goes.
ip -n "$NS" addr del 2001:db8::20/64 dev v0
wait_records a.example.test AAAA ""
wait_records b.example.test AAAA ""
# The last addresses go: on_empty = keep leaves the records.
s0=$(quiet_serial 1)
ip -n "$NS" addr del 198.51.100.20/32 dev v0
ip -n "$NS" addr del 198.51.100.21/32 dev v0
wait_event "$EV" '.event == "addr-del" and .address == "198.51.100.21"'
sleep 2
for h in a b; do
	dns_has $h.example.test A $'198.51.100.20\n198.51.100.21' ||
		fail "on_empty = keep: $h A is now [$(dns_query $h.example.test A)]"
done
[ "$(soa_serial example.test)" = "$s0" ] || fail "on_empty = keep sent an UPDATE"
# The engine is still there: a new address replaces the kept records.
ip -n "$NS" addr add 198.51.100.22/32 dev v0
wait_records a.example.test A 198.51.100.22
wait_records b.example.test A 198.51.100.22
stop_nlevd

# ---- key_name: one key of a file with several, given to nsupdate on stdin ----
kname=$(sed -n 's/^key "\([^"]*\)".*/\1/p' "$D/nlevd.key")
[ -n "$kname" ] || fail "no key name in $D/nlevd.key"
{ tsig-keygen -a hmac-sha256 other-key; cat "$D/nlevd.key"; tsig-keygen -a hmac-sha512 third-key; } >"$T/keys"
chmod 600 "$T/keys"
conf "$T/keyname.conf" "name = k.example.test" "key_name = $kname"
sed -i "s|^key_file = .*|key_file = $T/keys|" "$T/keyname.conf"
start_nlevd "$T/keyname.conf" -v
wait_records k.example.test A 198.51.100.22
grep -F "nsupdate script: key hmac-sha256:$kname (secret not logged)" "$ERR" >/dev/null ||
	fail "the key line is not logged as such: $(grep 'nsupdate script' "$ERR" | head -n 3)"
secret=$(dns_key_secret "$D/nlevd.key")
grep -F -- "$secret" "$ERR" "$EV" >/dev/null && fail "the secret is in the log"
# A key file broken at SIGHUP: the error is logged, the key read before
# stays, and the next change is still published.
cp "$T/keys" "$T/keys.good"
echo 'key "broken" { algorithm' >"$T/keys"
kill -HUP "$NLEVD_PID"
wait_for "grep -q 'error: \[dns\] $T/keys: .*; keeping the key read before' '$ERR'" ||
	fail "a broken key file at HUP was not reported: $(grep '\[dns\]' "$ERR" | tail -n 3)"
ip -n "$NS" addr add 198.51.100.23/32 dev v0
wait_records k.example.test A $'198.51.100.22\n198.51.100.23'
ip -n "$NS" addr del 198.51.100.23/32 dev v0
wait_records k.example.test A 198.51.100.22
cp "$T/keys.good" "$T/keys"
stop_nlevd
# A name that is not in the file: a config error at key_name.
conf "$T/nokey.conf" "name = k.example.test" "key_name = no-such-key"
sed -i "s|^key_file = .*|key_file = $T/keys|" "$T/nokey.conf"
out=$("$NLEVD" -t -c "$T/nokey.conf" -P "$NLEVD_PLUGINS" 2>&1)
rc=$?
[ "$rc" -eq 78 ] || fail "key_name not in the file: exit $rc, want 78: $out"
line=$(grep -n '^key_name' "$T/nokey.conf" | cut -d: -f1)
printf '%s\n' "$out" | grep "$T/nokey.conf:$line: .*no key \"no-such-key\"" >/dev/null ||
	fail "the missing key is not reported at $T/nokey.conf:$line: $out"

check_event_file "$EV"
# (but the broken key file provoked above)
errs=$(grep -E 'error: ' "$ERR" | grep -v 'keeping the key read before')
[ -n "$errs" ] && fail "errors logged: $(printf '%s\n' "$errs" | head -n 5)"
pass
