#!/bin/bash
# The state found at start-up is delivered as events marked initial; an
# instance with `startup = no` gets only what changes afterwards.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init startup

EV=$T/events.json
NV=$T/nostartup.json
cat >"$T/nlevd.conf" <<EOF
[all]
plugin = log
format = json
output = $EV

[nostartup]
plugin = log
format = json
output = $NV
startup = no

[withlo]
plugin = log
format = json
output = $T/withlo.json
interfaces = *
family = ipv4
EOF

# ---- the state before nlevd starts ----
veth_pair v0 v1
ip -n "$NS" link add d0 type veth peer name d1 || fail "ip link add d0"   # stays down
ip -n "$NS" addr add 10.5.0.1/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 10.5.1.1 peer 10.5.1.2 dev v0 || fail "addr add peer"
ip -n "$NS" addr add 10.5.2.1/24 dev d0 || fail "addr add on a down link"
ip -n "$NS" addr add 2001:db8:5::1/64 dev v0 nodad || fail "addr -6 add"
wait_for no_tentative 40 || fail "addresses still tentative after 40 s"
IDX0=$(ifindex v0)
LL0=$(ip -n "$NS" -6 -j addr show dev v0 scope link | jq -r '.[0].addr_info[] | select(.family == "inet6") | .local')
[ -n "$LL0" ] || fail "no link-local address on v0"
n_kernel=$(ip -n "$NS" -j addr show | jq '[.[] | select(.ifname != "lo") | .addr_info[]] | length')
[ "$n_kernel" -eq 6 ] || fail "expected 6 addresses besides lo's, the kernel has $n_kernel"

start_nlevd "$T/nlevd.conf"

# ---- initial events ----
wait_event "$EV" '.event == "addr-add" and .address == "10.5.0.1"'
marker v0 "$EV" "$NV"
ev=$(ev_one "$EV" '.event == "link-add" and .ifname == "v0"') || fail "initial link-add v0"
assert_jq "$ev" '.initial == true and .ifindex == $i and .operstate == "up"' "initial link-add v0" \
	--argjson i "$IDX0"
ev=$(ev_one "$EV" '.event == "link-up" and .ifname == "v0"') || fail "initial link-up v0"
assert_jq "$ev" '.initial == true' "initial link-up v0"
ev=$(ev_one "$EV" '.event == "addr-add" and .address == "10.5.0.1"') || fail "initial addr-add"
assert_jq "$ev" '.initial == true and .ifname == "v0" and .ifindex == $i and .prefixlen == 24
	and .family == "ipv4" and .scope == "global" and .flags == "permanent"' "initial addr-add 10.5.0.1" \
	--argjson i "$IDX0"
ev=$(ev_one "$EV" '.event == "addr-add" and .address == "10.5.1.1"') || fail "initial peer address"
assert_jq "$ev" '.initial == true and .peer == "10.5.1.2"' "initial peer address"
ev=$(ev_one "$EV" '.event == "addr-add" and .address == "2001:db8:5::1"') || fail "initial IPv6 address"
assert_jq "$ev" '.initial == true and .family == "ipv6" and .prefixlen == 64' "initial IPv6 address"
ev=$(ev_one "$EV" '.event == "addr-add" and .address == $a' --arg a "$LL0") || fail "initial link-local"
assert_jq "$ev" '.initial == true and .scope == "link"' "initial link-local address"
# A link that is down: link-add and its address, but no link-up.
assert_count "$EV" '.event == "link-add" and .ifname == "d0" and .initial' 1 "initial link-add d0"
assert_count "$EV" '.event == "link-up" and .ifname == "d0"' 0 "d0 is down"
assert_count "$EV" '.event == "addr-add" and .address == "10.5.2.1" and .initial' 1 "address on a down link"
assert_count "$EV" '.ifname == "lo"' 0 "lo is not selected by default"
# Exactly the kernel's state, each object once.
assert_count "$EV" '.initial and .event != "link-add" and .event != "link-up" and .event != "addr-add"' 0 \
	"only add/up events are initial"
assert_count "$EV" '.initial and .event == "link-add"' 4 "v0 v1 d0 d1"
assert_count "$EV" '.initial and .event == "link-up"' 2 "v0 v1"
assert_count "$EV" '.initial and .event == "addr-add"' "$n_kernel" "one initial addr-add per address"
# Initial events come first, each link before its addresses.
jq -s -e '(map(.initial) | . == sort_by(. | not))' "$EV" >/dev/null ||
	fail "a non-initial event came before an initial one"
jq -s -e --argjson i "$IDX0" '[to_entries[] | select(.value.ifindex == $i)] |
	(map(select(.value.event == "link-add"))[0].key) < (map(select(.value.event == "addr-add"))[0].key)' \
	"$EV" >/dev/null || fail "an address of v0 came before its link-add"

# The marker itself is not initial.
ev=$(ev_one "$EV" '.address == $m' --arg m "$MARKER") || fail "marker"
assert_jq "$ev" '.initial == false' "a change after start-up"

# ---- startup = no ----
assert_count "$NV" '.initial' 0 "startup = no: nothing initial"
assert_count "$NV" '.' 1 "startup = no: only the marker"

# ---- interfaces = * selects lo, with its initial state ----
wait_event "$T/withlo.json" '.event == "addr-add" and .address == "127.0.0.1" and .initial'
assert_count "$T/withlo.json" '.family == "ipv6"' 0 "family = ipv4"

# ---- a restart delivers the state again, now with the marker ----
stop_nlevd
mv "$EV" "$T/first.json"
start_nlevd "$T/nlevd.conf"
wait_event "$EV" '.event == "addr-add" and .address == $m and .initial' 1 10 --arg m "$MARKER"
marker v0 "$EV"
assert_count "$EV" '.initial and .event == "addr-add"' $((n_kernel + 1)) "the state after a restart"
assert_count "$EV" '.initial | not' 1 "only the new marker is not initial"

check_event_file "$EV"
check_event_file "$NV"
check_event_file "$T/first.json"
assert_running
stop_nlevd
pass
