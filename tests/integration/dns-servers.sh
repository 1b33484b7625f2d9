#!/bin/bash
# The DNS test servers of dns-lib.sh (no nlevd here): BIND's named and
# Knot's knotd start in the namespace, serve the test zones, accept an
# UPDATE signed with DIR/nlevd.key and refuse one signed with
# DIR/wrong.key, and add one to the serial per UPDATE (the nsupdate and
# dnsupdate tests count UPDATEs that way).
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dns-servers
dns_require named knotd nsupdate dig tsig-keygen

[ "$(ptr_name 198.51.100.7)" = 7.100.51.198.in-addr.arpa. ] || fail "ptr_name v4: $(ptr_name 198.51.100.7)"
[ "$(ptr_name 2001:db8:1:2:3:4:5:6)" = 6.0.0.0.5.0.0.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. ] ||
	fail "ptr_name v6: $(ptr_name 2001:db8:1:2:3:4:5:6)"
[ "$(ptr_name 2001:db8::a:1)" = 1.0.0.0.a.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. ] ||
	fail "ptr_name v6 with ::: $(ptr_name 2001:db8::a:1)"

# check NAME DIR PORT: the server on PORT, whose files are in DIR
check()
{
	local what=$1 dir=$2 port=$3 z r
	# shellcheck disable=SC2034 # read by dns-lib.sh
	DNS_PORT=$port
	for z in $DNS_ZONES; do
		[ "$(soa_serial "$z")" = 1 ] || fail "$what: $z serial $(soa_serial "$z")"
	done
	wait_records ns1.example.test A 127.0.0.1 1
	wait_records ns1.example.test AAAA ::1 1
	[ "$(stat -c %a "$dir/nlevd.key")" = 600 ] || fail "$dir/nlevd.key is not mode 600"
	dns_update "$dir" "update add h.example.test 60 A 198.51.100.1
update add h.example.test 60 AAAA 2001:db8::1" || fail "$what: signed update failed"
	wait_records h.example.test A 198.51.100.1 2
	wait_records h.example.test AAAA 2001:db8::1 2
	[ "$(dns_ttl h.example.test A)" = 60 ] || fail "$what: TTL $(dns_ttl h.example.test A)"
	[ "$(soa_serial example.test)" = 2 ] || fail "$what: serial after one update: $(soa_serial example.test)"
	dns_update "$dir" "update delete h.example.test A
update add h.example.test 60 A 198.51.100.2" || fail "$what: second update failed"
	wait_records h.example.test A 198.51.100.2 2
	[ "$(soa_serial example.test)" = 3 ] || fail "$what: serial after two updates: $(soa_serial example.test)"
	r=$(dns_update "$dir" "update add x.example.test 60 A 198.51.100.3" "$port" "$dir/wrong.key" 2>&1) &&
		fail "$what: accepted an update signed with the wrong key"
	printf '%s\n' "$r" | grep 'update failed: NOTAUTH(BADSIG)' >/dev/null ||
		fail "$what: the wrong key gave [$r], not NOTAUTH(BADSIG)"
	[ -z "$(dns_query x.example.test A)" ] || fail "$what: the wrong key's record is there"
	# No zone given: nsupdate finds the reverse zones.
	dns_update "$dir" "update add $(ptr_name 2001:db8::1) 60 PTR h.example.test.
send
update add $(ptr_name 198.51.100.1) 60 PTR h.example.test." || fail "$what: PTR updates failed"
	wait_records "$(ptr_name 2001:db8::1)" PTR h.example.test. 2
	wait_records "$(ptr_name 198.51.100.1)" PTR h.example.test. 2
	note "$what on port $port: ok"
}

start_named "$T/named" 53
check named "$T/named" 53
start_knotd "$T/knot" 5300
check knotd "$T/knot" 5300
# Both at once, independent.
[ "$(soa_serial example.test 53)" = 3 ] || fail "named's serial moved"
pass
