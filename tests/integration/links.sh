#!/bin/bash
# Link events: link-add, link-up (operational state, not just admin up),
# link-down, link-rename, link-del; and a bridge, whose AF_BRIDGE port
# messages must not look like links coming or going.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init links

EV=$T/events.json
LV=$T/links.json
cat >"$T/nlevd.conf" <<EOF
[all]
plugin = log
format = json
output = $EV

[links]
plugin = log
format = json
output = $LV
events = link-add link-del link-rename
interfaces = v1 br*
EOF

start_nlevd "$T/nlevd.conf"

# A device for markers, so that markers add no link events of their own.
veth_pair m0 m1
wait_event "$EV" '.event == "link-up" and .ifname == "m0"'

# ---- link-add ----
ip -n "$NS" link add v0 type veth peer name v1 || fail "ip link add"
wait_event "$EV" '.event == "link-add" and .ifname == "v0"'
wait_event "$EV" '.event == "link-add" and .ifname == "v1"'
IDX0=$(ifindex v0)
IDX1=$(ifindex v1)
ev=$(ev_one "$EV" '.event == "link-add" and .ifname == "v0"') || fail "link-add v0"
note "link-add: $ev"
mac0=$(ip -n "$NS" -j link show dev v0 | jq -r '.[0].address')
assert_jq "$ev" '.ifindex == $i and .initial == false and .operstate == "down" and .mtu == 1500
	and .mac == $m and (.flags | split(" ") | index("up") == null)' "link-add v0" \
	--argjson i "$IDX0" --arg m "$mac0"
assert_jq "$ev" 'has("address") or has("family") or has("old_ifname") | not' "link-add has no address fields"

# ---- admin up without carrier is not link-up ----
ip -n "$NS" link set v0 up || fail "v0 up"
wait_for "ip -n '$NS' link show dev v0 | grep NO-CARRIER >/dev/null" 5 || fail "v0 has a carrier without its peer"
marker m0 "$EV"
assert_count "$EV" '.event == "link-up" and .ifindex == $i' 0 "v0 up, peer down: not operationally up" \
	--argjson i "$IDX0"

# ---- link-up: both ends once the peer is up ----
ip -n "$NS" link set v1 up || fail "v1 up"
wait_event "$EV" '.event == "link-up" and .ifname == "v0"'
wait_event "$EV" '.event == "link-up" and .ifname == "v1"'
ev=$(ev_one "$EV" '.event == "link-up" and .ifname == "v0"') || fail "link-up v0"
assert_jq "$ev" '.ifindex == $i and .operstate == "up"
	and (.flags | split(" ") | (index("up") != null and index("running") != null and index("lower_up") != null))' \
	"link-up v0" --argjson i "$IDX0"

# ---- link-down: v1 down takes v0's carrier too ----
ip -n "$NS" link set v1 down || fail "v1 down"
wait_event "$EV" '.event == "link-down" and .ifname == "v1"'
wait_event "$EV" '.event == "link-down" and .ifname == "v0"'
ev=$(ev_one "$EV" '.event == "link-down" and .ifname == "v1"') || fail "link-down v1"
assert_jq "$ev" '.ifindex == $i and .operstate == "down" and (.flags | split(" ") | index("up") == null)' \
	"link-down v1" --argjson i "$IDX1"
ev=$(ev_one "$EV" '.event == "link-down" and .ifname == "v0"') || fail "link-down v0"
assert_jq "$ev" '.operstate == "lowerlayerdown" and (.flags | split(" ") | index("up") != null)' \
	"link-down v0 (carrier lost)"

# ---- an MTU change is no event of these kinds ----
ip -n "$NS" link set v0 mtu 1400 || fail "mtu"

# ---- link-rename ----
ip -n "$NS" link set v1 name v1new || fail "rename v1"
wait_event "$EV" '.event == "link-rename"'
ev=$(ev_one "$EV" '.event == "link-rename"') || fail "one link-rename"
note "link-rename: $ev"
assert_jq "$ev" '.ifname == "v1new" and .old_ifname == "v1" and .ifindex == $i and .initial == false' \
	"link-rename" --argjson i "$IDX1"
[ "$(ifindex v1new)" = "$IDX1" ] || fail "the kernel changed the ifindex?"
# A rename away from a selected name is still delivered to [links].
wait_event "$LV" '.event == "link-rename" and .ifname == "v1new" and .old_ifname == "v1"'

# ---- link-del: the peer goes too ----
ip -n "$NS" link del v0 || fail "ip link del v0"
wait_event "$EV" '.event == "link-del" and .ifindex == $i' 1 10 --argjson i "$IDX0"
wait_event "$EV" '.event == "link-del" and .ifindex == $i' 1 10 --argjson i "$IDX1"
ev=$(ev_one "$EV" '.event == "link-del" and .ifindex == $i' --argjson i "$IDX0") || fail "link-del v0"
assert_jq "$ev" '.ifname == "v0" and .initial == false and .mtu == 1400' "link-del v0"
ev=$(ev_one "$EV" '.event == "link-del" and .ifindex == $i' --argjson i "$IDX1") || fail "link-del v1new"
assert_jq "$ev" '.ifname == "v1new"' "link-del of the renamed peer carries its new name"

# ---- a bridge ----
ip -n "$NS" link add br0 type bridge || fail "ip link add br0 type bridge"
wait_event "$EV" '.event == "link-add" and .ifname == "br0"'
IDXB=$(ifindex br0)
veth_pair p0 p1
wait_event "$EV" '.event == "link-up" and .ifname == "p0"'
IDXP=$(ifindex p0)
ip -n "$NS" link set p0 master br0 || fail "enslave p0"
wait_for "ip -n '$NS' link show dev p0 | grep 'master br0' >/dev/null" 5 || fail "p0 not enslaved"
ip -n "$NS" link set br0 up || fail "br0 up"
marker m0 "$EV"
assert_count "$EV" '.ifindex == $i and (.event == "link-del" or .event == "link-add")' 1 \
	"enslaving p0 is no link-add/link-del" --argjson i "$IDXP"
# Out of the bridge: the kernel sends an AF_BRIDGE RTM_DELLINK for the port.
ip -n "$NS" link set p0 nomaster || fail "release p0"
marker m0 "$EV"
assert_count "$EV" '.ifindex == $i and (.event == "link-del" or .event == "link-add")' 1 \
	"releasing p0 is no link-add/link-del" --argjson i "$IDXP"
ip -n "$NS" link set p0 master br0 || fail "enslave p0 again"
# p0 is still tracked: an address on it is an event (of a known link).
ip -n "$NS" addr add 10.4.0.1/24 dev p0 || fail "ip addr add on p0"
wait_event "$EV" '.event == "addr-add" and .address == "10.4.0.1" and .ifindex == $i' 1 10 --argjson i "$IDXP"
ip -n "$NS" link del br0 || fail "ip link del br0"
wait_event "$EV" '.event == "link-del" and .ifname == "br0"'
ev=$(ev_one "$EV" '.event == "link-del" and .ifname == "br0"') || fail "link-del br0"
assert_jq "$ev" '.ifindex == $i' "link-del br0" --argjson i "$IDXB"
marker m0 "$EV"
assert_count "$EV" '.ifindex == $i and (.event == "link-del" or .event == "link-add")' 1 \
	"deleting the bridge does not delete its port" --argjson i "$IDXP"
assert_count "$EV" '.event == "addr-del" and .address == "10.4.0.1"' 0 "p0 keeps its address"

# The AF_BRIDGE messages did arrive, and were recognised and ignored.
kill -USR1 "$NLEVD_PID"
wait_for "grep -q 'netlink: [0-9]* messages' '$NLEVD_ERR'" 10 || fail "USR1: no netlink statistics"
stats=$(grep 'netlink: [0-9]* messages' "$NLEVD_ERR" | tail -n 1)
note "$stats"
ignored=$(sed -n 's/.* \([0-9]*\) ignored.*/\1/p' <<<"$stats")
malformed=$(sed -n 's/.* \([0-9]*\) malformed.*/\1/p' <<<"$stats")
[ "${ignored:-0}" -ge 2 ] || fail "no AF_BRIDGE message was seen (ignored=${ignored:-?}): the bridge checks prove nothing"
[ "${malformed:-1}" -eq 0 ] || fail "the kernel's messages were counted as malformed: $stats"

# ---- totals ----
check_event_file "$EV"
check_event_file "$LV"
for n in v0 v1 m0 m1 br0 p0 p1; do
	assert_count "$EV" '.event == "link-add" and .ifname == $n' 1 "one link-add for $n" --arg n $n
done
assert_count "$EV" '.event == "link-del"' 3 "link-del: v0, v1new, br0"
assert_count "$EV" '.event == "link-rename"' 1 "one rename"
assert_count "$EV" '(.event == "link-up" or .event == "link-down") and .ifindex == $i' 2 \
	"v0: one up, one down" --argjson i "$IDX0"
assert_count "$EV" '.initial' 0 "nothing initial"
# [links]: link-add/del/rename of v1 and br* only.
assert_count "$LV" '.event != "link-add" and .event != "link-del" and .event != "link-rename"' 0 \
	"[links] events filter"
assert_count "$LV" '.ifindex != $a and .ifindex != $b' 0 "[links] interfaces filter" \
	--argjson a "$IDX1" --argjson b "$IDXB"
assert_count "$LV" '.event == "link-add" and .ifname == "v1"' 1 "[links] link-add v1"
assert_count "$LV" '.event == "link-del" and .ifname == "v1new"' 0 \
	"[links] v1new matches neither v1 nor br*"
assert_count "$LV" '.ifname == "br0"' 2 "[links] br0 add and del"

assert_running
stop_nlevd
pass
