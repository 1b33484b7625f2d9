# shellcheck shell=bash
# The dnsupdate plugin's behaviour against a real authoritative server,
# the same cases for every server type.  A test script sets DNSU_SERVER
# (bind, knot or pdns) and sources this file, which runs everything:
#
#   start-up push (default TTL 300); IPv4 and IPv6 add and del, both at
#   once, addresses outside the selection ignored; on_empty = delete; a
#   flap storm (50 add/del pairs and a final add) converging in <= 20
#   UPDATEs counted from the SOA serial; an outage (server stopped with
#   SIGSTOP, addresses changed, SIGCONT) converging; UDP only unless
#   tcp = yes (the namespace's TCP PassiveOpens counter); two names, a TTL,
#   on_empty = keep; PTR records for IPv4 and IPv6 (ptr = yes) in several
#   reverse zones, found by SOA queries; tcp = yes; a wrong TSIG key
#   (permanent, logged as an error, retried only every retry_max, fixed
#   by a reload); no server on the port (transient, growing back-off,
#   converging once a server listens there).
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init "dnsupdate-$DNSU_SERVER"
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
case $DNSU_SERVER in
bind) dns_require named dig nsupdate tsig-keygen ;;
knot) dns_require knotd knotc dig nsupdate tsig-keygen ;;
pdns) dns_require pdns_server pdnsutil sqlite3 dig nsupdate tsig-keygen ;;
*) fail "DNSU_SERVER must be bind, knot or pdns, not '$DNSU_SERVER'" ;;
esac

# start_server DIR [PORT]: sets SERVER_PID and SERVER_LOG.
SERVER_PID=
SERVER_LOG=
start_server()
{
	case $DNSU_SERVER in
	bind)
		start_named "$@"
		SERVER_PID=$NAMED_PID
		SERVER_LOG=$1/named.log
		;;
	knot)
		start_knotd "$@"
		SERVER_PID=$KNOTD_PID
		SERVER_LOG=$1/knotd.log
		;;
	pdns)
		start_pdns "$@"
		SERVER_PID=$PDNS_PID
		SERVER_LOG=$1/pdns.log
		;;
	esac
}

D=$T/server
start_server "$D"
EV=$T/events.json
ERR=$NLEVD_ERR

# conf FILE LINE...: the log instance and a [dns] dnsupdate instance with
# short timings; the LINEs are added to [dns].
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
plugin = dnsupdate
retry = 1s
retry_max = 5s
timeout = 2s
EOF
		for l in "$@"; do echo "$l"; done
	} >"$f"
}
USUAL=("zone = example.test" "server = 127.0.0.1" "key_file = $D/nlevd.key")

updates_logged() { grep -c 'info: \[dns\] updated: ' "$ERR"; }
# log lines written since the mark (a line count of $ERR)
log_mark() { MARK=$(grep -c '' "$ERR"); }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }

# TCP connections accepted in the namespace (the server is the only
# listener; dig and nsupdate by hand use UDP).
tcp_accepts() { nsx awk '/^Tcp:/ && ++n == 2 { print $7 }' /proc/net/snmp; }

# quiet_serial [QUIET_S]: wait until example.test's serial has not moved
# for QUIET_S seconds; prints it.
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

wait_ptr() { wait_records "$(ptr_name "$1")" PTR "$2" "${3:-15}"; }

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
tcp0=$(tcp_accepts)

# ---- start-up push: the addresses present before nlevd starts ----
conf "$T/one.conf" "name = host.example.test" "${USUAL[@]}"
t0=$(now_ms)
start_nlevd "$T/one.conf"
wait_records host.example.test A 198.51.100.10
wait_records host.example.test AAAA 2001:db8::10
note "start-up push published in $(($(now_ms) - t0)) ms"
[ "$(dns_ttl host.example.test A)" = 300 ] || fail "default TTL: $(dns_ttl host.example.test A)"
[ "$(dns_ttl host.example.test AAAA)" = 300 ] || fail "default TTL: $(dns_ttl host.example.test AAAA)"
wait_for "[ \$(updates_logged) -ge 1 ]" 5 || fail "no 'updated' line logged"

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
# Outside the selection (link scope, lo) nothing is published; the same
# address on two interfaces is published once.
ip -n "$NS" addr add 169.254.7.7/16 dev v0 scope link
ip -n "$NS" addr add 198.51.100.99/32 dev lo
ip -n "$NS" addr add 2001:db8::12/64 dev v1 nodad
ip -n "$NS" addr add 198.51.100.13/32 dev v1
wait_records host.example.test A $'198.51.100.12\n198.51.100.13'
wait_records host.example.test AAAA $'2001:db8::11\n2001:db8::12'
ip -n "$NS" addr del 169.254.7.7/16 dev v0
ip -n "$NS" addr del 198.51.100.99/32 dev lo
ip -n "$NS" addr del 2001:db8::12/64 dev v1
ip -n "$NS" addr del 198.51.100.13/32 dev v1
wait_records host.example.test A 198.51.100.12
# A deprecated address is still usable (SPEC): it stays in the AAAA set
# when the next change sends both RRsets again.
ip -n "$NS" addr change 2001:db8::12/64 dev v0 preferred_lft 0 valid_lft 600 nodad ||
	fail "deprecate 2001:db8::12"
ip -n "$NS" -6 addr show dev v0 | grep '2001:db8::12/64.*deprecated' >/dev/null ||
	fail "the kernel did not deprecate 2001:db8::12"
ip -n "$NS" addr add 198.51.100.14/32 dev v0
wait_records host.example.test A $'198.51.100.12\n198.51.100.14'
wait_records host.example.test AAAA $'2001:db8::11\n2001:db8::12'
ip -n "$NS" addr del 198.51.100.14/32 dev v0
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

# ---- flap storm: 50 add/del pairs and a final add, few UPDATEs ----
s0=$(quiet_serial 2)
u0=$(updates_logged)
t0=$(now_ms)
for i in $(seq 1 50); do
	ip -n "$NS" addr add 198.51.100.30/32 dev v0 || fail "storm add $i"
	# Now and then a pause longer than the settle window (200ms), so that
	# updates go out while the storm goes on.
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
[ "$(($(updates_logged) - u0))" -le 20 ] || fail "flap storm: $(($(updates_logged) - u0)) updates logged"
dns_has host.example.test A $'198.51.100.12\n198.51.100.30' || fail "state changed after the storm"
assert_running "after the storm"

# ---- outage: the server stopped, addresses change, back: convergence ----
log_mark
kill -STOP "$SERVER_PID" || fail "kill -STOP the server"
note "$DNSU_SERVER stopped"
ip -n "$NS" addr add 198.51.100.14/32 dev v0
ip -n "$NS" addr add 2001:db8::14/64 dev v0 nodad
ip -n "$NS" addr del 198.51.100.30/32 dev v0
sleep 4
ip -n "$NS" addr del 198.51.100.12/32 dev v0
sleep 2
# The attempts made meanwhile time out: transient, a warning, back-off.
wait_for "since_mark | grep -E 'warning: \[dns\] (read|update) failed: zone [^ ]*: .*127.0.0.1#53: timed out.*; retrying in [0-9.]* s'" 10 ||
	fail "no transient failure logged while the server was stopped: $(since_mark | grep '\[dns\]')"
since_mark | grep -E 'error: \[dns\]' >/dev/null && fail "an outage was logged as an error: $(since_mark | grep 'error: \[dns\]')"
assert_running "during the outage"
kill -CONT "$SERVER_PID" || fail "kill -CONT the server"
note "$DNSU_SERVER continued"
t0=$(now_ms)
wait_records host.example.test A 198.51.100.14 20
wait_records host.example.test AAAA 2001:db8::14 20
note "converged $(($(now_ms) - t0)) ms after the outage"
# Late copies of the UPDATEs sent during the outage must not win.
sleep 2
dns_has host.example.test A 198.51.100.14 || fail "A changed after convergence: $(dns_query host.example.test A)"
dns_has host.example.test AAAA 2001:db8::14 || fail "AAAA changed after convergence: $(dns_query host.example.test AAAA)"
stop_nlevd
ip -n "$NS" addr flush dev v0 scope global
tcp1=$(tcp_accepts)
[ "$tcp1" = "$tcp0" ] || fail "tcp = no, yet $((tcp1 - tcp0)) TCP connection(s) were accepted"

# ---- two names, a TTL, on_empty = keep ----
conf "$T/two.conf" "name = a.example.test B.Example.Test." "ttl = 120" "on_empty = keep" "${USUAL[@]}"
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
ip -n "$NS" addr add 198.51.100.22/32 dev v0
wait_records a.example.test A 198.51.100.22
wait_records b.example.test A 198.51.100.22
stop_nlevd
ip -n "$NS" addr flush dev v0 scope global

# ---- ptr = yes: PTR records for IPv4 and IPv6 in the reverse zones ----
ip -n "$NS" -batch - <<EOF || fail "ip -batch"
addr add 198.51.100.40/32 dev v0
addr add 2001:db8::40/64 dev v0 nodad
EOF
conf "$T/ptr.conf" "name = ptr.example.test other.example.test" "ptr = yes" "ttl = 600" "${USUAL[@]}"
start_nlevd "$T/ptr.conf"
wait_records ptr.example.test A 198.51.100.40
wait_records other.example.test AAAA 2001:db8::40
wait_ptr 198.51.100.40 ptr.example.test.
wait_ptr 2001:db8::40 ptr.example.test.
[ "$(dns_ttl "$(ptr_name 198.51.100.40)" PTR)" = 600 ] || fail "PTR TTL: $(dns_ttl "$(ptr_name 198.51.100.40)" PTR)"
[ "$(dns_ttl "$(ptr_name 2001:db8::40)" PTR)" = 600 ] || fail "PTR TTL (IPv6)"
ip -n "$NS" -batch - <<EOF || fail "ip -batch"
addr add 198.51.100.41/32 dev v0
addr add 203.0.113.5/32 dev v0
addr add 2001:db8::41/64 dev v0 nodad
addr add 2001:db8:0:1::5/64 dev v0 nodad
EOF
wait_ptr 198.51.100.41 ptr.example.test.
wait_ptr 203.0.113.5 ptr.example.test.
wait_ptr 2001:db8::41 ptr.example.test.
wait_ptr 2001:db8:0:1::5 ptr.example.test.
wait_records ptr.example.test A $'198.51.100.40\n198.51.100.41\n203.0.113.5'
wait_records other.example.test AAAA $'2001:db8::40\n2001:db8::41\n2001:db8:0:1::5'
ip -n "$NS" addr del 198.51.100.40/32 dev v0
wait_ptr 198.51.100.40 ""
wait_ptr 198.51.100.41 ptr.example.test.
wait_ptr 203.0.113.5 ptr.example.test.
ip -n "$NS" addr del 2001:db8::40/64 dev v0
wait_ptr 2001:db8::40 ""
wait_ptr 2001:db8::41 ptr.example.test.
wait_ptr 2001:db8:0:1::5 ptr.example.test.
wait_records other.example.test AAAA $'2001:db8::41\n2001:db8:0:1::5'
# Two reverse groups (/64s) of one reverse zone changed together: one
# UPDATE for that zone (SPEC: one UPDATE per zone), not one per group.
z6=8.b.d.0.1.0.0.2.ip6.arpa
sleep 1
s0=$(soa_serial $z6) || fail "no SOA for $z6"
ip -n "$NS" -batch - <<EOF || fail "ip -batch"
addr add 2001:db8::42/64 dev v0 nodad
addr add 2001:db8:0:1::6/64 dev v0 nodad
EOF
wait_ptr 2001:db8::42 ptr.example.test.
wait_ptr 2001:db8:0:1::6 ptr.example.test.
sleep 1
s1=$(soa_serial $z6) || fail "no SOA for $z6"
[ $((s1 - s0)) -eq 1 ] || fail "two /64s of $z6 changed together took $((s1 - s0)) UPDATEs, want 1"
ip -n "$NS" addr del 2001:db8::42/64 dev v0
ip -n "$NS" addr del 2001:db8:0:1::6/64 dev v0
wait_ptr 2001:db8::42 ""
wait_ptr 2001:db8:0:1::6 ""
# on_empty = delete takes every PTR with the last address.
ip -n "$NS" addr flush dev v0 scope global
for a in 198.51.100.41 203.0.113.5 2001:db8::41 2001:db8:0:1::5; do
	wait_ptr "$a" ""
done
wait_records ptr.example.test A ""
wait_records other.example.test AAAA ""
stop_nlevd

# ---- tcp = yes: every UPDATE over TCP ----
tcp0=$(tcp_accepts)
ip -n "$NS" addr add 198.51.100.50/32 dev v0
conf "$T/tcp.conf" "name = tcp.example.test" "tcp = yes" "${USUAL[@]}"
start_nlevd "$T/tcp.conf"
wait_records tcp.example.test A 198.51.100.50
ip -n "$NS" addr add 2001:db8::50/64 dev v0 nodad
wait_records tcp.example.test AAAA 2001:db8::50
stop_nlevd
tcp1=$(tcp_accepts)
note "tcp = yes: $((tcp1 - tcp0)) TCP connection(s) accepted"
[ "$((tcp1 - tcp0))" -ge 2 ] || fail "tcp = yes: $((tcp1 - tcp0)) TCP connection(s) for 2 UPDATEs"
ip -n "$NS" addr flush dev v0 scope global

# ---- an UPDATE over 1232 bytes goes over TCP, without tcp = yes ----
# 60 AAAA records (about 1.7 kB) would be fragmented over UDP.
for i in $(seq 1 60); do printf 'addr add 2001:db8:0:2::%x/64 dev v0 nodad\n' "$i"; done |
	ip -n "$NS" -batch - || fail "ip -batch"
# TCP is counted before any query: dig itself retries the 60-record answer
# over TCP.
tcp0=$(tcp_accepts)
conf "$T/big.conf" "name = big.example.test" "${USUAL[@]}"
log_mark
start_nlevd "$T/big.conf"
wait_for "since_mark | matches 'info: \[dns\] updated: '" 15 || fail "the big UPDATE was not answered"
tcp1=$(tcp_accepts)
[ "$((tcp1 - tcp0))" -ge 1 ] || fail "a 1.7 kB UPDATE went over UDP"
wait_for "[ \$(dns_query big.example.test AAAA | grep -c '^2001:db8:0:2::') -eq 60 ]" 15 ||
	fail "60 AAAA records not published: $(dns_query big.example.test AAAA | wc -l)"
stop_nlevd
ip -n "$NS" addr flush dev v0 scope global
ip -n "$NS" addr add 198.51.100.60/32 dev v0
ip -n "$NS" addr add 2001:db8::60/64 dev v0 nodad
grep -E 'error: ' "$ERR" >/dev/null && fail "errors logged: $(grep -E 'error: ' "$ERR" | head -n 5)"

# ---- a wrong key: a permanent error, retried at retry_max only ----
conf "$T/wrong.conf" "name = key.example.test" "zone = example.test" "server = 127.0.0.1" \
	"key_file = $D/wrong.key"
log_mark
t0=$SECONDS
start_nlevd "$T/wrong.conf" -v
# The server's BADSIG is unsigned: it counts only once no signed answer
# came within the attempt's timeout (2 s), and is logged as unverified.
# PowerDNS answers a bad signature not with NOTAUTH/BADSIG (RFC 8945 5.2.2)
# but with a bare REFUSED and no TSIG at all (packethandler.cc, citing RFC
# 3007), which is as unsigned and as permanent.
if [ "$DNSU_SERVER" = pdns ]; then
	WRONG_KEY_ERR='(REFUSED|NOTAUTH) \(unsigned answer\)'
else
	WRONG_KEY_ERR='BADSIG \(TSIG error, unsigned answer\)'
fi
wait_for "since_mark | grep -E 'error: \[dns\] (read|update) refused: zone example\.test\.: $WRONG_KEY_ERR from 127\.0\.0\.1#53 for [^;]*, unverified: no signed answer within the timeout; retrying in 5\.0 s'" 6 ||
	fail "the wrong key was not logged as 'update refused: $WRONG_KEY_ERR ..., unverified: ...; retrying in 5.0 s': $(since_mark | grep '\[dns\]')"
sleep $((t0 + 14 - SECONDS))
n=$(since_mark | grep -Ec 'error: \[dns\] (read|update) refused: zone [^ ]*: ')
note "wrong key: $n attempts refused in the first 14 s"
[ "$n" -ge 2 ] || fail "wrong key: only $n attempt(s) in 14 s: not retried at retry_max = 5s?"
[ "$n" -le 3 ] || fail "wrong key: $n attempts in 14 s (hot loop; want <= 3 with timeout 2s, retry_max 5s)"
if [ "$DNSU_SERVER" = bind ]; then
	# and the server saw as many: up to 3 transmissions per attempt
	ns=$(grep -c 'tsig verify failure (BADSIG)' "$SERVER_LOG")
	note "named logged $ns BADSIG request(s)"
	[ "$ns" -le "$((3 * (n + 1)))" ] || fail "named saw $ns bad requests for $n refusals"
elif [ "$DNSU_SERVER" = pdns ]; then
	ns=$(grep -c "Signature with TSIG key 'nlevd-key' failed to validate" "$SERVER_LOG")
	note "pdns_server logged $ns bad signature(s)"
	[ "$ns" -ge 1 ] || fail "pdns_server logged no bad signature"
	[ "$ns" -le "$((3 * (n + 1)))" ] || fail "pdns_server saw $ns bad requests for $n refusals"
fi
since_mark | grep 'warning: \[dns\] update failed' >/dev/null &&
	fail "a BADSIG was also logged as a transient failure: $(since_mark | grep 'warning: \[dns\]' | head -n 3)"
[ -z "$(dns_query key.example.test A)" ] || fail "published with the wrong key?"
for k in "$D/wrong.key" "$D/nlevd.key"; do
	s=$(dns_key_secret "$k")
	[ -n "$s" ] || fail "no secret in $k"
	grep -F -- "$s" "$ERR" "$T/nlevd.out" "$EV" >/dev/null && fail "the secret of $(basename "$k") was logged"
done
# The operator fixes the key: a reload recovers at once.
conf "$T/wrong.conf" "name = key.example.test" "${USUAL[@]}"
kill -HUP "$NLEVD_PID"
wait_records key.example.test A 198.51.100.60 10
wait_records key.example.test AAAA 2001:db8::60
stop_nlevd

# ---- --once: push the current state, wait for the answer, exit 0; 1 if refused ----
conf "$T/once.conf" "name = once.example.test" "${USUAL[@]}"
out=$(timeout 20 ip netns exec "$NS" "$NLEVD" --once -f -c "$T/once.conf" -P "$NLEVD_PLUGINS" 2>&1)
rc=$?
[ "$rc" -eq 0 ] || fail "--once: exit $rc, want 0: $out"
dns_has once.example.test A 198.51.100.60 ||
	fail "--once exited before the record was published: [$(dns_query once.example.test A)]"
dns_has once.example.test AAAA 2001:db8::60 || fail "--once: AAAA [$(dns_query once.example.test AAAA)]"
conf "$T/once-bad.conf" "name = once2.example.test" "zone = example.test" "server = 127.0.0.1" \
	"key_file = $D/wrong.key"
out=$(timeout 20 ip netns exec "$NS" "$NLEVD" --once -f -c "$T/once-bad.conf" -P "$NLEVD_PLUGINS" 2>&1)
rc=$?
[ "$rc" -eq 1 ] || fail "--once with a refused update: exit $rc, want 1: $out"
printf '%s\n' "$out" | grep -E "error: \[dns\] (read|update) refused: zone [^ ]*: $WRONG_KEY_ERR" >/dev/null ||
	fail "--once: the refusal is not logged: $out"
[ -z "$(dns_query once2.example.test A)" ] || fail "--once published with the wrong key?"

# ---- no server at that port: transient, back-off, converges later ----
conf "$T/none.conf" "name = late.example.test" "zone = example.test" "server = 127.0.0.1:5399" \
	"key_file = $D/nlevd.key"
log_mark
start_nlevd "$T/none.conf"
wait_for "[ \$(since_mark | grep -Ec 'warning: \[dns\] (read|update) failed: zone [^ ]*: .*; retrying in') -ge 4 ]" 20 ||
	fail "not 4 transient failures logged in 20 s: $(since_mark | grep '\[dns\]')"
since_mark | grep -E 'warning: \[dns\] (read|update) failed: zone [^ ]*: .*127.0.0.1#5399: Connection refused.*; retrying in' >/dev/null ||
	fail "the failure does not say 'Connection refused': $(since_mark | grep '\[dns\]' | head -n 2)"
since_mark | grep -E 'error: \[dns\]' >/dev/null && fail "a refused connection was logged as an error"
delays=$(since_mark | sed -En 's/.*warning: \[dns\] (read|update) failed: zone [^ ]*: .*; retrying in ([0-9.]*) s$/\2/p' | head -n 4)
note "back-off delays: $(echo $delays)"
echo "$delays" | awk '
	{ d[NR] = $1 }
	END {
		lo[1] = 0.8; hi[1] = 1.2; lo[2] = 1.6; hi[2] = 2.4; lo[3] = 3.2; hi[3] = 4.8; lo[4] = 4.0; hi[4] = 5.0
		for (i = 1; i <= 4; i++) if (d[i] < lo[i] - 0.05 || d[i] > hi[i] + 0.05) exit 1
	}' || fail "back-off delays not 1s, 2s, 4s, 5s +-20%: $(echo $delays)"
assert_running "with no server"
mkdir -p "$T/server2" && cp -p "$D/nlevd.key" "$D/wrong.key" "$T/server2/" || fail "cp keys"
start_server "$T/server2" 5399
# shellcheck disable=SC2034 # read by dns-lib.sh
DNS_PORT=5399
t0=$(now_ms)
wait_records late.example.test A 198.51.100.60 15
wait_records late.example.test AAAA 2001:db8::60
note "converged $(($(now_ms) - t0)) ms after the server appeared"
since_mark | grep 'info: \[dns\] updated: ' >/dev/null || fail "the success was not logged"
stop_nlevd

check_event_file "$EV"
pass
