#!/bin/bash
# dnsupdate without `server` and without `zone`: the plugin reads the
# namespace's resolv.conf (ip netns exec bind-mounts
# /etc/netns/NS/resolv.conf over /etc/resolv.conf), finds each owner's zone
# and primary by an SOA query to that resolver (BIND, authoritative for the
# test zones), resolves the SOA MNAME ns1.example.test through it, and
# sends the UPDATEs there: forward and reverse (ptr = yes) records converge
# and the log names each zone and primary.  When the primary moves (the
# SOA MNAME changes) the next failure makes the plugin discover it afresh.
# Then `server` by host name, looked up through the same resolver at each
# batch: the SOA query and the UPDATE fail over through the name's
# addresses and on to the next server; a name with no address (NXDOMAIN,
# no A or AAAA, the resolver not answering) is a transient failure naming
# it while the loop goes on, and the records converge once it resolves.
# nlevd -t refuses an invalid server name, and a name without a nameserver
# in resolv.conf.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dnsupdate-discovery
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
dns_require named dig nsupdate tsig-keygen

# The namespace's resolv.conf, removed whatever happens: the EXIT trap
# removes it, then runs lib.sh's clean-up with the test's exit status.
NETNS_ETC=/etc/netns/$NS
_made_netns_dir=
[ -d /etc/netns ] || _made_netns_dir=1
_discovery_cleanup()
{
	local rc=$?
	rm -f "$NETNS_ETC/resolv.conf"
	rmdir "$NETNS_ETC" 2>/dev/null
	[ -n "$_made_netns_dir" ] && rmdir /etc/netns 2>/dev/null
	(exit "$rc")
	_cleanup
}
trap _discovery_cleanup EXIT
mkdir -p "$NETNS_ETC" || fail "cannot create $NETNS_ETC"
echo "nameserver 127.0.0.1" >"$NETNS_ETC/resolv.conf" || fail "cannot write $NETNS_ETC/resolv.conf"
[ "$(nsx cat /etc/resolv.conf)" = "nameserver 127.0.0.1" ] ||
	fail "ip netns exec does not show $NETNS_ETC/resolv.conf as /etc/resolv.conf"

D=$T/named
start_named "$D"
# The primary's name resolves through that server.
wait_records ns1.example.test A 127.0.0.1 5
EV=$T/events.json
ERR=$NLEVD_ERR
cat >"$T/nlevd.conf" <<EOF
[events]
plugin = log
format = json
output = $EV

[dns]
plugin = dnsupdate
name = host.example.test other.example.test
key_file = $D/nlevd.key
ptr = yes
retry = 1s
retry_max = 5s
timeout = 2s
EOF

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
t0=$(now_ms)
start_nlevd "$T/nlevd.conf"
for h in host other; do
	wait_records $h.example.test A 198.51.100.10
	wait_records $h.example.test AAAA 2001:db8::10
done
wait_records "$(ptr_name 198.51.100.10)" PTR host.example.test.
wait_records "$(ptr_name 2001:db8::10)" PTR host.example.test.
note "published through discovery in $(($(now_ms) - t0)) ms"
for h in host other; do
	grep "info: \[dns\] $h.example.test. is in zone example.test., primary ns1.example.test.\$" "$ERR" >/dev/null ||
		fail "no '$h.example.test. is in zone example.test., primary ns1.example.test.' logged: $(grep '\[dns\]' "$ERR")"
done
grep "info: \[dns\] $(ptr_name 198.51.100.10) is in zone 100.51.198.in-addr.arpa., primary ns1.example.test.\$" "$ERR" >/dev/null ||
	fail "the IPv4 reverse zone was not discovered: $(grep '\[dns\]' "$ERR")"
grep "info: \[dns\] $(ptr_name 2001:db8::10) is in zone 8.b.d.0.1.0.0.2.ip6.arpa., primary ns1.example.test.\$" "$ERR" >/dev/null ||
	fail "the IPv6 reverse zone was not discovered: $(grep '\[dns\]' "$ERR")"

# Later changes converge too (zones known by now).
ip -n "$NS" addr add 198.51.100.11/32 dev v0
ip -n "$NS" addr del 2001:db8::10/64 dev v0
wait_records host.example.test A $'198.51.100.10\n198.51.100.11'
wait_records other.example.test A $'198.51.100.10\n198.51.100.11'
wait_records host.example.test AAAA ""
wait_records other.example.test AAAA ""
wait_records "$(ptr_name 198.51.100.11)" PTR host.example.test.
wait_records "$(ptr_name 2001:db8::10)" PTR ""
grep -E '(error|warning): ' "$ERR" >/dev/null && fail "errors or warnings logged: $(grep -E '(error|warning): ' "$ERR" | head -n 5)"

# ---- the primary moves: after a failure the zone's primary is found afresh ----
# Every zone in use names ns2.example.test (127.0.0.1) as its primary now;
# the old primary's name points where no server listens.
for z in example.test 100.51.198.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa; do
	s=$(soa_serial "$z") || fail "no SOA for $z"
	dns_update "$D" "zone $z
update add $z. 300 SOA ns2.example.test. hostmaster.example.test. $((s + 10)) 3600 600 86400 60" >/dev/null ||
		fail "cannot change $z's SOA"
	wait_for "dns_query $z SOA | grep '^ns2\.example\.test\. '" 5 || fail "$z's SOA: $(dns_query "$z" SOA)"
done
dns_update "$D" "update add ns2.example.test 300 A 127.0.0.1
update delete ns1.example.test A
update delete ns1.example.test AAAA
update add ns1.example.test 300 A 127.0.0.3" >/dev/null || fail "cannot move ns1.example.test"
wait_records ns1.example.test A 127.0.0.3 5
MARK=$(grep -c '' "$ERR")
ip -n "$NS" addr add 198.51.100.12/32 dev v0
wait_records host.example.test A $'198.51.100.10\n198.51.100.11\n198.51.100.12' 20
wait_records "$(ptr_name 198.51.100.12)" PTR host.example.test.
tail -n +"$((MARK + 1))" "$ERR" | grep -E "warning: \[dns\] (read|update) failed: zone [^ ]*: .*127\.0\.0\.3#53: Connection refused.*; retrying in" >/dev/null ||
	fail "the old primary was not tried first: $(tail -n +"$((MARK + 1))" "$ERR" | grep '\[dns\]')"
tail -n +"$((MARK + 1))" "$ERR" | grep -E "info: \[dns\] (host\.)?example\.test\. is in zone example\.test\., primary ns2\.example\.test\.\$" >/dev/null ||
	fail "the new primary was not discovered: $(tail -n +"$((MARK + 1))" "$ERR" | grep '\[dns\]')"
stop_nlevd
grep -E 'error: ' "$ERR" >/dev/null && fail "errors logged: $(grep -E 'error: ' "$ERR" | head -n 5)"
check_event_file "$EV"

# ---- `server` by host name ----
# ns1.example.test is 127.0.0.3 (no server there) and ::1 (BIND) now: the
# SOA query and the UPDATE go to 127.0.0.3 first, then to ::1.  [late]'s
# server does not exist yet.  [noaddr]'s first server has no address
# (example.test has an SOA, no A or AAAA): the next one is used.
dns_update "$D" "update add ns1.example.test 300 AAAA ::1" >/dev/null || fail "cannot add ns1's AAAA"
wait_records ns1.example.test AAAA ::1 5
EV2=$T/events2.json
cat >"$T/byname.conf" <<EOF
[events]
plugin = log
format = json
output = $EV2

[byname]
plugin = dnsupdate
name = byname.example.test
server = ns1.example.test
key_file = $D/nlevd.key
retry = 1s
retry_max = 2s
timeout = 1s

[late]
plugin = dnsupdate
name = late.example.test
zone = example.test
server = late-ns.example.test:53
key_file = $D/nlevd.key
retry = 1s
retry_max = 2s
timeout = 1s

[noaddr]
plugin = dnsupdate
name = noaddr.example.test
zone = example.test
server = example.test 127.0.0.1
key_file = $D/nlevd.key
retry = 1s
retry_max = 2s
timeout = 1s
EOF
nsx "$NLEVD" -t -c "$T/byname.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>&1 ||
	fail "-t refuses server names: $(cat "$T/t.out")"
A3=$'198.51.100.10\n198.51.100.11\n198.51.100.12'
MARK=$(grep -c '' "$ERR")
since() { tail -n +"$((MARK + 1))" "$ERR"; }
start_nlevd "$T/byname.conf"
wait_records byname.example.test A "$A3"
wait_records noaddr.example.test A "$A3"
since | grep 'info: \[byname\] byname.example.test. is in zone example.test., primary ns2.example.test.$' >/dev/null ||
	fail "no SOA discovery through the server's name: $(since | grep '\[byname\]')"
since | grep 'warning: \[byname\]' >/dev/null &&
	fail "ns1.example.test's second address was not tried at once: $(since | grep '\[byname\]')"
since | grep 'warning: \[noaddr\] cannot resolve server example.test: no A or AAAA record; trying the other servers$' >/dev/null ||
	fail "no warning for the server name without an address: $(since | grep '\[noaddr\]')"
# NXDOMAIN: a transient failure naming the server, retried; nlevd runs on.
wait_for "[ \$(since | grep -Ec 'warning: \[late\] (read|update) failed: zone [^ ]*: cannot resolve server late-ns.example.test: NXDOMAIN; retrying in') -ge 2 ]" 10 ||
	fail "NXDOMAIN for late-ns.example.test not logged twice: $(since | grep '\[late\]')"
assert_running "after NXDOMAIN"
[ -z "$(dns_query late.example.test A)" ] || fail "late.example.test published without a server"
dns_update "$D" "update add late-ns.example.test 300 A 127.0.0.1" >/dev/null || fail "cannot add late-ns"
wait_records late.example.test A "$A3"
since | grep 'info: \[late\] updated: ' >/dev/null || fail "[late] logged no update"

# The resolver stops answering (BIND stopped): a resolver time-out naming
# the server, and meanwhile the loop goes on (an event is logged); once
# BIND answers again every instance converges.
MARK=$(grep -c '' "$ERR")
kill -STOP "$NAMED_PID"
ip -n "$NS" addr add 198.51.100.13/32 dev v0
sleep 0.3
ip -n "$NS" addr add 198.51.100.14/32 dev v0
wait_event "$EV2" '.event == "addr-add" and .address == "198.51.100.14"' 1 1
wait_for "since | grep -E 'warning: \[late\] (read|update) failed: zone [^ ]*: cannot resolve server late-ns.example.test: no answer from the resolver \(127.0.0.1#53: timed out\); retrying in'" 10 ||
	fail "no resolver time-out logged: $(since | grep '\[late\]')"
assert_running "after a resolver time-out"
kill -CONT "$NAMED_PID"
A5=$'198.51.100.10\n198.51.100.11\n198.51.100.12\n198.51.100.13\n198.51.100.14'
for h in byname late noaddr; do
	wait_records $h.example.test A "$A5"
done
stop_nlevd
since | grep 'error: ' >/dev/null && fail "errors logged: $(since | grep 'error: ' | head -n 5)"
check_event_file "$EV2"

# ---- nlevd -t: server names refused at configuration time ----
# (a name longer than 253 characters does not fit on a configuration line)
long=$(printf 'a%.0s' {1..64}).example.test
for bad in ns..example.test 192.0.2.300 -ns.example.test "$long"; do
	printf '[dns]\nplugin = dnsupdate\nname = h.example.test\nserver = 127.0.0.1 %s\n' "$bad" >"$T/bad.conf"
	out=$(nsx "$NLEVD" -t -c "$T/bad.conf" -P "$NLEVD_PLUGINS" 2>&1)
	rc=$?
	[ $rc -eq 78 ] || fail "-t with server $bad: exit $rc, want 78: $out"
	printf '%s\n' "$out" | grep -F "$T/bad.conf:4: [dns] server: '$bad' is neither an IP address nor a valid host name" >/dev/null ||
		fail "-t with server $bad: no clear error: $out"
done
# A name and no nameserver to look it up with; IP addresses need none.
echo "# no nameserver" >"$NETNS_ETC/resolv.conf" || fail "cannot write $NETNS_ETC/resolv.conf"
printf '[dns]\nplugin = dnsupdate\nname = h.example.test\nserver = 127.0.0.1 ns1.example.test\n' >"$T/nores.conf"
out=$(nsx "$NLEVD" -t -c "$T/nores.conf" -P "$NLEVD_PLUGINS" 2>&1)
rc=$?
[ $rc -eq 78 ] || fail "-t with a server name and no nameserver: exit $rc, want 78: $out"
printf '%s\n' "$out" | grep -F "$T/nores.conf:4: [dns] server: 'ns1.example.test' is a host name, and there is no nameserver in /etc/resolv.conf to look it up" >/dev/null ||
	fail "-t with a server name and no nameserver: no clear error: $out"
printf '[dns]\nplugin = dnsupdate\nname = h.example.test\nserver = 127.0.0.1 [::1]:53\n' >"$T/ips.conf"
nsx "$NLEVD" -t -c "$T/ips.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>&1 ||
	fail "-t with IP addresses and no nameserver: $(cat "$T/t.out")"
pass
