#!/bin/bash
# What makes an object one object.  IPv4 addresses that differ only by peer
# are two addresses (the kernel keys them by local, prefix and peer):
# deleting one leaves the other, in the table and in a settling instance.
# A link deleted and created again with the same ifindex under another name
# within a settle window is a link-del and a link-add, and its addresses are
# the new link's, not merged into the old one's.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init identity

EV=$T/events.json
SV=$T/settle.json
cat >"$T/nlevd.conf" <<EOF2
[all]
plugin = log
format = json
output = $EV
family = ipv4

[settle]
plugin = log
format = json
output = $SV
family = ipv4
interfaces = v0 a0 b0
settle = 1s
EOF2

start_nlevd "$T/nlevd.conf"
veth_pair m0 m1
veth_pair v0 v1
wait_event "$EV" '.event == "link-up" and .ifname == "v0"'
wait_event "$SV" '.event == "link-up" and .ifname == "v0"' 1 15

# ---- two peers of one local address; the first deleted ----
cat >"$T/peers" <<EOF2
addr add 10.0.0.1 peer 10.0.0.2 dev v0
addr add 10.0.0.1 peer 10.0.0.3 dev v0
addr del 10.0.0.1 peer 10.0.0.2 dev v0
EOF2
ip -n "$NS" -batch "$T/peers" || fail "ip -batch (peers)"
[ "$(ip -n "$NS" -4 -o addr show dev v0 | grep -c 'inet 10.0.0.1 peer 10.0.0.3/32')" -eq 1 ] ||
	fail "the kernel does not have 10.0.0.1 peer 10.0.0.3"
wait_event "$EV" '.event == "addr-del" and .address == "10.0.0.1"'
marker m0 "$EV"
p='.address == "10.0.0.1" and .peer == $p'
assert_count "$EV" ".event == \"addr-add\" and $p" 1 "addr-add 10.0.0.1 peer 10.0.0.2" --arg p 10.0.0.2
assert_count "$EV" ".event == \"addr-add\" and $p" 1 "addr-add 10.0.0.1 peer 10.0.0.3" --arg p 10.0.0.3
assert_count "$EV" ".event == \"addr-del\" and $p" 1 "addr-del 10.0.0.1 peer 10.0.0.2" --arg p 10.0.0.2
assert_count "$EV" ".event == \"addr-del\" and $p" 0 "no addr-del of peer 10.0.0.3" --arg p 10.0.0.3
# The table still has it: SIGUSR1 lists it.
kill -USR1 "$NLEVD_PID"
wait_for "grep -q 'state: [0-9]* interfaces' '$NLEVD_ERR'" 10 || fail "USR1: no state dump"
grep -E ' 10\.0\.0\.1( peer 10\.0\.0\.3)?/32 ' "$NLEVD_ERR" >/dev/null ||
	fail "the state dump lost 10.0.0.1 peer 10.0.0.3"
# The settling instance ends with it too, however the window fell.
wait_event "$SV" ".event == \"addr-add\" and $p" 1 15 --arg p 10.0.0.3
last=$(ev_select "$SV" "$p" --arg p 10.0.0.3 | tail -n 1)
assert_jq "$last" '.event == "addr-add" and .ifname == "v0"' "[settle]: the last event of peer 10.0.0.3"

# ---- a link re-created with its ifindex, under another name, within the window ----
IDX=4242
ip -n "$NS" link add name a0 index $IDX type veth peer name a1 || fail "ip link add a0 index $IDX"
ip -n "$NS" addr add 10.9.0.1/24 dev a0 || fail "ip addr add on a0"
wait_event "$SV" '.event == "addr-add" and .ifname == "a0"' 1 15
cat >"$T/relink" <<EOF2
link del a0
link add name b0 index $IDX type veth peer name b1
addr add 10.9.0.1/24 dev b0
EOF2
ip -n "$NS" -batch "$T/relink" || fail "ip -batch (relink)"
[ "$(ifindex b0)" = $IDX ] || fail "b0 did not get ifindex $IDX"
wait_event "$EV" '.event == "addr-add" and .ifname == "b0"'
wait_event "$SV" '.event == "addr-add" and .ifname == "b0"' 1 15
marker m0 "$EV"
got=$(ev_select "$SV" '.ifindex == $i' --argjson i $IDX | jq -r '[.event, .ifname, .address // ""] | join(" ")' | paste -sd, -)
note "[settle] for ifindex $IDX: $got"
[ "$got" = "link-add a0 ,addr-add a0 10.9.0.1,addr-del a0 10.9.0.1,link-del a0 ,link-add b0 ,addr-add b0 10.9.0.1" ] ||
	fail "[settle]: wanted a0's end then b0's start, got: $got"

check_event_file "$EV"
check_event_file "$SV"
assert_running
stop_nlevd
pass
