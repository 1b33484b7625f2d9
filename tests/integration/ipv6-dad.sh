#!/bin/bash
# IPv6 duplicate address detection: an address is announced once DAD has
# succeeded (never while tentative), a nodad address at once, and a
# DAD-failed address never.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init dad

EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF
[nlevd]
log_level = info

[all]
plugin = log
format = json
output = $EV
EOF

# A second namespace holds the duplicate for the DAD failure.
new_netns dadpeer
NS2=$REPLY
for ns in "$NS" "$NS2"; do
	ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.accept_dad=1 net.ipv6.conf.default.accept_dad=1 \
		net.ipv6.conf.default.dad_transmits=1 >/dev/null || fail "sysctl in $ns"
done

start_nlevd "$T/nlevd.conf"
veth_pair v0 v1
wait_event "$EV" '.event == "link-up" and .ifname == "v0"'
wait_for no_tentative 40 || fail "link-local addresses still tentative after 40 s"

is_tentative() # ADDR DEV: ip lists it as tentative
{
	ip -n "$NS" -6 addr show dev "$2" | grep "inet6 $1/.* tentative" >/dev/null
}

# ---- DAD succeeds: announced only once it is no longer tentative ----
A1=2001:db8::1
t0=$(now_ms)
ip -n "$NS" addr add $A1/64 dev v0 || fail "ip addr add $A1"
saw_tentative=0
last_tentative=0
deadline=$((SECONDS + 40))
while [ $SECONDS -lt $deadline ]; do
	# The file first, then the kernel: if the event was already logged and
	# the address is still tentative afterwards, it was announced too early.
	t=$(now_ms)
	logged=$(ev_count "$EV" '.address == $a' --arg a $A1)
	is_tentative $A1 v0 || break
	saw_tentative=1
	last_tentative=$t
	[ "$logged" -eq 0 ] || fail "$A1 was announced while ip still lists it as tentative"
	sleep 0.05
done
[ $saw_tentative -eq 1 ] || fail "$A1 was never seen tentative: DAD did not run, the test proves nothing"
is_tentative $A1 v0 && fail "$A1 still tentative after 40 s"
ip -n "$NS" -6 addr show dev v0 | grep "inet6 $A1/64 .*dadfailed" >/dev/null && fail "$A1: unexpected DAD failure"
wait_event "$EV" '.event == "addr-add" and .address == $a' 1 40 --arg a $A1
ev=$(ev_one "$EV" '.address == $a' --arg a $A1) || fail "one event for $A1"
note "after DAD: $ev"
assert_jq "$ev" '.event == "addr-add" and .family == "ipv6" and .ifname == "v0" and .prefixlen == 64
	and .scope == "global" and .initial == false' "addr-add after DAD"
assert_jq "$ev" '.flags | split(" ") | (index("tentative") == null and index("dadfailed") == null
	and index("permanent") != null)' "flags after DAD"
ts=$(time_ms "$(jq -r .time <<<"$ev")") || fail "cannot parse time"
[ "$ts" -ge "$last_tentative" ] || fail "announced at $ts, but still tentative at $last_tentative"
# DAD takes at least one retransmission interval (1 s).
[ $((ts - t0)) -ge 900 ] || fail "announced $((ts - t0)) ms after the add: too early for DAD"

# ---- nodad: announced at once, before an address added just before it ----
A2=2001:db8::2 A3=2001:db8::3
ip -n "$NS" addr add $A3/64 dev v0 || fail "ip addr add $A3"
ip -n "$NS" addr add $A2/64 dev v0 nodad || fail "ip addr add $A2 nodad"
is_tentative $A3 v0 || note "warning: $A3 no longer tentative right after adding it"
wait_event "$EV" '.event == "addr-add" and .address == $a' 1 40 --arg a $A2
ev=$(ev_one "$EV" '.address == $a' --arg a $A2) || fail "one event for $A2"
assert_jq "$ev" '.flags | split(" ") | (index("nodad") != null and index("tentative") == null)' "nodad flags"
wait_event "$EV" '.event == "addr-add" and .address == $a' 1 40 --arg a $A3
order=$(jq -r 'select(.event == "addr-add" and (.address == $a2 or .address == $a3)) | .address' \
	--arg a2 $A2 --arg a3 $A3 "$EV" | tr '\n' ' ')
[ "$order" = "$A2 $A3 " ] || fail "the nodad address was not announced first: $order"

# ---- DAD fails: never announced ----
A4=2001:db8:2::1
ip -n "$NS" link add v2 type veth peer name p2 netns "$NS2" || fail "cannot create v2/p2"
ip -n "$NS2" link set p2 up || fail "p2 up"
ip -n "$NS" link set v2 up || fail "v2 up"
ip -n "$NS2" addr add $A4/64 dev p2 nodad || fail "ip addr add $A4 in $NS2"
wait_event "$EV" '.event == "link-up" and .ifname == "v2"'
ip -n "$NS" addr add $A4/64 dev v2 || fail "ip addr add $A4"
wait_for "ip -n '$NS' -6 addr show dev v2 | grep 'inet6 $A4/64 .*dadfailed' >/dev/null" 40 ||
	fail "DAD did not detect $A4 (held by $NS2): the test proves nothing"
note "$(ip -n "$NS" -6 addr show dev v2 | grep "$A4")"
kill -USR1 "$NLEVD_PID"
wait_for "grep -q '$A4/64 .*(held back)' '$NLEVD_ERR'" 40 ||
	fail "USR1 does not show $A4 as held back"
marker v0 "$EV"
assert_count "$EV" '.address == $a' 0 "a DAD-failed address is never announced" --arg a $A4
ip -n "$NS" addr del $A4/64 dev v2 || fail "ip addr del $A4"
marker v0 "$EV"
assert_count "$EV" '.address == $a' 0 "removing a never-announced address is no event" --arg a $A4

# ---- and, in the whole file, nothing tentative or DAD-failed ----
check_event_file "$EV"
assert_count "$EV" '.family == "ipv6" and (.flags | split(" ") | index("tentative") != null)' 0 \
	"no event with a tentative address"
assert_count "$EV" '.family == "ipv6" and (.flags | split(" ") | index("dadfailed") != null)' 0 \
	"no event with a DAD-failed address"
assert_count "$EV" '.event == "addr-del" or .event == "addr-change"' 0 "nothing removed or changed"
# Link-local addresses went through DAD too, and were announced once each.
wait_for no_tentative 40 || fail "link-local addresses still tentative after 40 s"
marker v0 "$EV"
for dev in v0 v1 v2; do
	ll=$(ip -n "$NS" -6 -j addr show dev $dev scope link | jq -r '.[0].addr_info[] | select(.family == "inet6") | .local')
	[ -n "$ll" ] || fail "no link-local address on $dev"
	assert_count "$EV" '.event == "addr-add" and .address == $a and .ifname == $d and .scope == "link"' 1 \
		"link-local address of $dev" --arg a "$ll" --arg d $dev
done

assert_running
stop_nlevd
pass
