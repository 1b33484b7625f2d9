#!/bin/bash
# nsupdate plugin, the messages whose zone nsupdate must find, against a
# real BIND.  ptr = yes: PTR records for IPv4 and IPv6 addresses appear in
# the reverse zones pointing to the first name, at the instance's TTL,
# across several reverse groups (/24, /64); a removed address takes its PTR
# with it, the others stay.  No `zone`: the forward zone is found too.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init nsupdate-ptr
[ -e "$NLEVD_PLUGINS/nsupdate.la" ] || [ -e "$NLEVD_PLUGINS/nsupdate.so" ] ||
	fail "no nsupdate plugin in $NLEVD_PLUGINS"
dns_require named nsupdate dig tsig-keygen

D=$T/named
start_named "$D"
EV=$T/events.json
ERR=$NLEVD_ERR
cat >"$T/nlevd.conf" <<EOF
[events]
plugin = log
format = json
output = $EV

[dns]
plugin = nsupdate
name = ptr.example.test other.example.test
zone = example.test
server = 127.0.0.1
key_file = $D/nlevd.key
ptr = yes
ttl = 600
retry = 1s
retry_max = 5s
timeout = 2s
verify = 2s
delete_delay = 0
EOF

# wait_ptr ADDRESS TARGET: the PTR of ADDRESS is exactly TARGET ("" = none).
wait_ptr() { wait_records "$(ptr_name "$1")" PTR "$2"; }

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.40/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::40/64 dev v0 nodad || fail "addr add"

# ---- start-up: forward and reverse records ----
start_nlevd "$T/nlevd.conf"
wait_records ptr.example.test A 198.51.100.40
wait_records other.example.test AAAA 2001:db8::40
wait_ptr 198.51.100.40 ptr.example.test.
wait_ptr 2001:db8::40 ptr.example.test.
[ "$(dns_ttl "$(ptr_name 198.51.100.40)" PTR)" = 600 ] || fail "PTR TTL: $(dns_ttl "$(ptr_name 198.51.100.40)" PTR)"
[ "$(dns_ttl "$(ptr_name 2001:db8::40)" PTR)" = 600 ] || fail "PTR TTL (IPv6)"

# ---- more addresses, in other reverse groups too ----
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
wait_ptr 198.51.100.40 ptr.example.test.
wait_ptr 2001:db8::40 ptr.example.test.

# ---- removing an address removes its PTR, not its neighbours' ----
ip -n "$NS" addr del 198.51.100.40/32 dev v0
wait_ptr 198.51.100.40 ""
wait_ptr 198.51.100.41 ptr.example.test.
wait_ptr 203.0.113.5 ptr.example.test.
wait_records ptr.example.test A $'198.51.100.41\n203.0.113.5'
ip -n "$NS" addr del 2001:db8::40/64 dev v0
wait_ptr 2001:db8::40 ""
wait_ptr 2001:db8::41 ptr.example.test.
wait_ptr 2001:db8:0:1::5 ptr.example.test.
ip -n "$NS" addr del 2001:db8:0:1::5/64 dev v0
wait_ptr 2001:db8:0:1::5 ""
wait_ptr 2001:db8::41 ptr.example.test.
wait_records other.example.test AAAA 2001:db8::41

# ---- a PTR someone else changed is put back at the next verify (2 s) ----
dns_update "$D" "update delete $(ptr_name 198.51.100.41) PTR
update add $(ptr_name 198.51.100.41) 60 PTR elsewhere.example.test." || fail "nsupdate by hand"
# Seen in named's log, not by polling: verify may put it back within ms.
wait_for "grep -qF \"41.100.51.198.in-addr.arpa' PTR elsewhere.example.test.\" '$D/named.log'" 10 ||
	fail "the hand UPDATE is not in named's log"
ip -n "$NS" addr add 198.51.100.42/32 dev v0
wait_ptr 198.51.100.42 ptr.example.test.
wait_ptr 198.51.100.41 ptr.example.test.

# ---- on_empty = delete: every PTR goes with the last address ----
ip -n "$NS" addr flush dev v0 scope global
for a in 198.51.100.41 198.51.100.42 203.0.113.5 2001:db8::41; do
	wait_ptr "$a" ""
done
wait_records ptr.example.test A ""
wait_records other.example.test AAAA ""
stop_nlevd

# ---- no zone configured: nsupdate finds it (SOA query to the server) ----
sed -e '/^zone = /d' -e 's/^name = .*/name = disc.example.test/' "$T/nlevd.conf" >"$T/nozone.conf"
ip -n "$NS" addr add 198.51.100.60/32 dev v0
ip -n "$NS" addr add 2001:db8::60/64 dev v0 nodad
start_nlevd "$T/nozone.conf"
wait_records disc.example.test A 198.51.100.60
wait_records disc.example.test AAAA 2001:db8::60
wait_ptr 198.51.100.60 disc.example.test.
wait_ptr 2001:db8::60 disc.example.test.
ip -n "$NS" addr del 198.51.100.60/32 dev v0
wait_records disc.example.test A ""
wait_ptr 198.51.100.60 ""
wait_ptr 2001:db8::60 disc.example.test.
stop_nlevd
grep -E 'error: ' "$ERR" >/dev/null && fail "errors logged: $(grep -E 'error: ' "$ERR" | head -n 5)"
check_event_file "$EV"
pass
