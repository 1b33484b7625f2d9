#!/bin/bash
# IPv4 address events with every field checked, a peer address, a hostile
# interface name, and the interfaces/family/events filters of a second
# instance; format = text to a file and the default output (the daemon's
# log) with log_level = notice.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init basic

EV=$T/events.json
FV=$T/filtered.json
cat >"$T/nlevd.conf" <<EOF
[nlevd]
log_level = info

[all]
plugin = log
format = json
output = $EV

[filtered]
plugin = log
format = json
output = $FV
interfaces = v* !v1
family = ipv4
events = addr-add addr-del
EOF

start_nlevd "$T/nlevd.conf"

veth_pair v0 v1
wait_event "$EV" '.event == "link-up" and .ifname == "v0"'
wait_event "$EV" '.event == "link-up" and .ifname == "v1"'
IDX0=$(ifindex v0)
IDX1=$(ifindex v1)

# ---- addr-add, every field ----
t0=$(now_ms)
ip -n "$NS" addr add 10.1.0.1/24 dev v0 || fail "ip addr add"
wait_event "$EV" '.event == "addr-add" and .address == "10.1.0.1"'
t1=$(now_ms)
ev=$(ev_one "$EV" '.event == "addr-add" and .address == "10.1.0.1"') || fail "addr-add 10.1.0.1"
note "addr-add: $ev"
assert_jq "$ev" '.ifname == "v0"' "addr-add ifname"
assert_jq "$ev" '.ifindex == $i' "addr-add ifindex" --argjson i "$IDX0"
assert_jq "$ev" '.initial == false' "addr-add initial"
assert_jq "$ev" '.family == "ipv4"' "addr-add family"
assert_jq "$ev" '.prefixlen == 24' "addr-add prefixlen"
assert_jq "$ev" '.scope == "global"' "addr-add scope"
assert_jq "$ev" '.flags == "permanent"' "addr-add flags"
assert_jq "$ev" '.valid_lft == "forever" and .preferred_lft == "forever"' "addr-add lifetimes"
assert_jq "$ev" 'has("peer") | not' "addr-add of a plain address has no peer"
assert_jq "$ev" '.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")' \
	"addr-add time is RFC 3339 with milliseconds"
assert_jq "$ev" 'keys | sort == ["address","event","family","flags","ifindex","ifname","initial","preferred_lft","prefixlen","scope","time","valid_lft"]' \
	"addr-add has exactly the documented fields"
ts=$(time_ms "$(jq -r .time <<<"$ev")") || fail "cannot parse time"
# The daemon stamps the event between our two clock readings (1 s of slack
# for clock granularity).
[ "$ts" -ge $((t0 - 1000)) ] && [ "$ts" -le $((t1 + 1000)) ] ||
	fail "addr-add time $ts is not between $t0 and $t1"

# ---- addr-del ----
ip -n "$NS" addr del 10.1.0.1/24 dev v0 || fail "ip addr del"
wait_event "$EV" '.event == "addr-del" and .address == "10.1.0.1"'
ev=$(ev_one "$EV" '.event == "addr-del" and .address == "10.1.0.1"') || fail "addr-del 10.1.0.1"
assert_jq "$ev" '.ifname == "v0" and .ifindex == $i and .initial == false and .family == "ipv4"
	and .prefixlen == 24 and .scope == "global"' "addr-del fields" --argjson i "$IDX0"

# ---- a point-to-point address ----
ip -n "$NS" addr add 10.9.9.1 peer 10.9.9.2 dev v0 || fail "ip addr add peer"
wait_event "$EV" '.event == "addr-add" and .address == "10.9.9.1"'
ev=$(ev_one "$EV" '.event == "addr-add" and .address == "10.9.9.1"') || fail "peer addr-add"
assert_jq "$ev" '.peer == "10.9.9.2" and .prefixlen == 32 and .ifname == "v0" and .family == "ipv4"' \
	"peer address"

# ---- other interfaces, scopes and families (the filter checks below) ----
ip -n "$NS" addr add 10.1.1.1/24 dev v1 || fail "ip addr add on v1"
ip -n "$NS" addr add 10.1.2.1/24 dev v0 scope link || fail "ip addr add scope link"
ip -n "$NS" addr add 2001:db8:1::1/64 dev v0 nodad || fail "ip -6 addr add"
wait_event "$EV" '.event == "addr-add" and .address == "10.1.1.1" and .ifname == "v1"'
wait_event "$EV" '.event == "addr-add" and .address == "10.1.2.1" and .scope == "link"'
wait_event "$EV" '.event == "addr-add" and .address == "2001:db8:1::1" and .family == "ipv6"'
ev=$(ev_one "$EV" '.address == "2001:db8:1::1"') || fail "IPv6 addr-add"
assert_jq "$ev" '.prefixlen == 64 and .scope == "global" and (.flags | split(" ") | index("nodad") != null)' \
	"IPv6 nodad address fields"

# ---- a hostile interface name ----
HOSTILE='a$(id)'
QUOTED='q"\x`id`'
ip -n "$NS" link add "$HOSTILE" type veth peer name b1 || fail "cannot create $HOSTILE"
ip -n "$NS" link add "$QUOTED" type veth peer name b2 || fail "cannot create $QUOTED"
ip -n "$NS" addr add 10.3.0.1/24 dev "$HOSTILE" || fail "ip addr add on $HOSTILE"
wait_event "$EV" '.event == "link-add" and .ifname == $n' 1 10 --arg n "$HOSTILE"
wait_event "$EV" '.event == "link-add" and .ifname == $n' 1 10 --arg n "$QUOTED"
wait_event "$EV" '.event == "addr-add" and .address == "10.3.0.1" and .ifname == $n' 1 10 --arg n "$HOSTILE"
ev=$(ev_one "$EV" '.event == "link-add" and .ifname == $n' --arg n "$HOSTILE") || fail "link-add $HOSTILE"
assert_jq "$ev" '.ifindex == $i' "hostile link ifindex" --argjson i "$(ifindex "$HOSTILE")"
grep -qF '"ifname":"a$(id)"' "$EV" || fail "the name is not written verbatim"
grep -qF '"ifname":"q\"\\x`id`"' "$EV" || fail "quote and backslash are not escaped as JSON"
grep -q 'uid=' "$EV" "$NLEVD_ERR" && fail "something ran id"

marker v0 "$EV" "$FV"

# ---- the whole file ----
check_event_file "$EV"
check_event_file "$FV"
assert_count "$EV" '.initial != false' 0 "nothing existed at start-up but lo"
assert_count "$EV" '.ifname == "lo"' 0 "lo is excluded by default"
assert_count "$EV" '.event == "addr-add" and .address == "10.1.0.1"' 1 "one addr-add"
assert_count "$EV" '.event == "addr-del"' 1 "one addr-del"
assert_count "$EV" '.event == "link-add" and .ifname == "v0" and .ifindex == $i' 1 "link-add v0" \
	--argjson i "$IDX0"
assert_count "$EV" '.event == "link-add" and .ifname == "v1" and .ifindex == $i' 1 "link-add v1" \
	--argjson i "$IDX1"
assert_count "$EV" '.event == "link-del" or .event == "link-rename"' 0 "no link removed or renamed"
ev=$(ev_one "$EV" '.event == "link-up" and .ifname == "v0"') || fail "link-up v0"
assert_jq "$ev" '.operstate == "up" and .mtu == 1500 and (.flags | split(" ") | index("up") != null)
	and (.mac | test("^[0-9a-f]{2}(:[0-9a-f]{2}){5}$"))' "link-up fields"
mac=$(ip -n "$NS" -j link show dev v0 | jq -r '.[0].address')
assert_jq "$ev" '.mac == $m' "link-up mac" --arg m "$mac"

# ---- the filtered instance: v* but not v1, IPv4, addr-add/addr-del ----
wait_event "$FV" '.event == "addr-add" and .address == "10.1.0.1" and .ifname == "v0"'
assert_count "$FV" '.event == "addr-add" and .address == "10.1.0.1"' 1 "filtered: addr-add"
assert_count "$FV" '.event == "addr-del" and .address == "10.1.0.1"' 1 "filtered: addr-del"
assert_count "$FV" '.address == "10.9.9.1"' 1 "filtered: peer address on v0"
assert_count "$FV" '.address == "10.1.2.1"' 1 "filtered: all scopes by default"
assert_count "$FV" '.ifname != "v0"' 0 "filtered: interfaces = v* !v1"
assert_count "$FV" '.family != "ipv4"' 0 "filtered: family = ipv4"
assert_count "$FV" '.event != "addr-add" and .event != "addr-del"' 0 "filtered: events"
assert_count "$FV" '.address == "10.1.1.1"' 0 "filtered: v1 excluded"
assert_count "$FV" '.address == "10.3.0.1"' 0 "filtered: hostile name not matched by v*"
assert_count "$FV" '.initial' 0 "filtered: nothing initial"
# The same addr-add, field for field (but for the time).
a=$(ev_one "$EV" '.event == "addr-add" and .address == "10.1.0.1"' | jq -c 'del(.time)')
b=$(ev_one "$FV" '.event == "addr-add" and .address == "10.1.0.1"' | jq -c 'del(.time)')
[ "$a" = "$b" ] || fail "the two instances logged different events: $a / $b"

assert_running
stop_nlevd

# ---- format = text to a file; the default output (the daemon's log) at
# log_level = notice ----
TX=$T/text.log
cat >"$T/text.conf" <<EOF
[nlevd]
log_level = notice

[text]
plugin = log
format = text
output = $TX

[tolog]
plugin = log
interfaces = v0
EOF
: >"$NLEVD_ERR"
start_nlevd "$T/text.conf"
ip -n "$NS" addr add 10.2.0.1/24 dev v0 || fail "ip addr add"
TS='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z'
wait_for "grep -q 'address=10.2.0.1 ' '$TX'" || fail "format = text: no line for 10.2.0.1 in $TX"
line=$(grep 'address=10.2.0.1 ' "$TX")
[ "$(printf '%s\n' "$line" | grep -c .)" -eq 1 ] || fail "format = text: not one line per event: $line"
note "text: $line"
printf '%s\n' "$line" | matches -E "^$TS addr-add ifname=v0 ifindex=$IDX0 initial=false family=ipv4 address=10.2.0.1 prefixlen=24 scope=global flags=permanent valid_lft=forever preferred_lft=forever$" ||
	fail "format = text: unexpected line: $line"
# Initial events in text too, and no JSON.
grep -Eq "^$TS link-add ifname=v0 ifindex=$IDX0 initial=true " "$TX" || fail "format = text: no initial link-add v0"
grep -q '^{' "$TX" && fail "format = text wrote JSON"
# A value with a quote or backslash is quoted and escaped.
ip -n "$NS" link del "$QUOTED" || fail "link del"
wait_for "grep -q '^[^ ]* link-del ' '$TX'" || fail "format = text: no link-del"
grep -Fq ' link-del ifname="q\"\\x`id`" ' "$TX" || fail "format = text: quoted name: $(grep link-del "$TX")"
# The default output: the daemon's log (stderr with -f), at notice.
wait_for "grep -q '\[tolog\] addr-add ifname=v0 .*address=10.2.0.1 ' '$NLEVD_ERR'" ||
	fail "output = (default): the event is not in the daemon's log with log_level = notice"
grep -Eq "^nlevd: notice: \[tolog\] addr-add ifname=v0 ifindex=$IDX0 initial=false family=ipv4 address=10.2.0.1 prefixlen=24 " "$NLEVD_ERR" ||
	fail "output = (default): unexpected log line: $(grep '\[tolog\] addr-add' "$NLEVD_ERR")"
grep -q '\[tolog\] link-add ifname=v0 .*initial=true' "$NLEVD_ERR" || fail "output = (default): no initial link-add v0"
grep -q '\[tolog\] .*ifname=v1 ' "$NLEVD_ERR" && fail "output = (default): interfaces = v0 not applied"
assert_running
stop_nlevd
pass
