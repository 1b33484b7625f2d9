#!/bin/bash
# dnsupdate without `server` and without `zone`: the plugin reads the
# namespace's resolv.conf (ip netns exec bind-mounts
# /etc/netns/NS/resolv.conf over /etc/resolv.conf), finds each owner's zone
# and primary by an SOA query to that resolver (BIND, authoritative for the
# test zones), resolves the SOA MNAME ns1.example.test through it, and
# sends the UPDATEs there: forward and reverse (ptr = yes) records converge
# and the log names each zone and primary.  When the primary moves (the
# SOA MNAME changes) the next failure makes the plugin discover it afresh.
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
tail -n +"$((MARK + 1))" "$ERR" | grep 'warning: \[dns\] update failed: 127\.0\.0\.3#53: Connection refused; retrying in' >/dev/null ||
	fail "the old primary was not tried first: $(tail -n +"$((MARK + 1))" "$ERR" | grep '\[dns\]')"
tail -n +"$((MARK + 1))" "$ERR" | grep "info: \[dns\] host.example.test. is in zone example.test., primary ns2.example.test.\$" >/dev/null ||
	fail "the new primary was not discovered: $(tail -n +"$((MARK + 1))" "$ERR" | grep '\[dns\]')"
stop_nlevd
grep -E 'error: ' "$ERR" >/dev/null && fail "errors logged: $(grep -E 'error: ' "$ERR" | head -n 5)"
check_event_file "$EV"
pass
