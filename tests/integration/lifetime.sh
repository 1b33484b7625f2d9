#!/bin/bash
# Lifetimes: a refresh that only renews lifetimes is no event; a change of
# flags (deprecated) is one addr-change.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init lifetime

EV=$T/events.json
AV=$T/addr.json
cat >"$T/nlevd.conf" <<EOF
[all]
plugin = log
format = json
output = $EV

[addr]
plugin = log
format = json
output = $AV
events = addr-add addr-del addr-change
settle = 300ms
EOF

start_nlevd "$T/nlevd.conf"
veth_pair v0 v1
wait_event "$EV" '.event == "link-up" and .ifname == "v0"'

for fam in 4 6; do
	if [ $fam = 4 ]; then
		A=10.2.0.1 P=24 NODAD=
	else
		A=2001:db8:2::1 P=64 NODAD=nodad
	fi
	sel='.address == $a'

	# ---- an address with finite lifetimes ----
	ip -n "$NS" addr add $A/$P dev v0 valid_lft 300 preferred_lft 200 $NODAD || fail "ip addr add $A"
	wait_event "$EV" '.event == "addr-add" and .address == $a' 1 10 --arg a $A
	ev=$(ev_one "$EV" "$sel" --arg a $A) || fail "addr-add $A"
	note "addr-add: $ev"
	assert_jq "$ev" '(.valid_lft | type == "number" and . > 250 and . <= 300) and
		(.preferred_lft | type == "number" and . > 150 and . <= 200)' "lifetimes of $A"
	assert_jq "$ev" '.flags | split(" ") | (index("permanent") == null and index("deprecated") == null)' \
		"flags of $A (not permanent: it has a lifetime)"
	assert_jq "$ev" ".family == \"ipv$fam\" and .prefixlen == $P" "addr-add $A"

	# ---- renewing the lifetimes: no event ----
	ip -n "$NS" addr change $A/$P dev v0 valid_lft 600 preferred_lft 500 $NODAD || fail "ip addr change $A"
	ip -n "$NS" addr show dev v0 | grep -A1 "$A/$P" | grep -E 'valid_lft (59[0-9]|60[0-9])sec' >/dev/null ||
		fail "the kernel did not take the new lifetime of $A"
	ip -n "$NS" addr change $A/$P dev v0 valid_lft 900 preferred_lft 800 $NODAD || fail "ip addr change $A"
	marker v0 "$EV" "$AV"
	assert_count "$EV" "$sel" 1 "renewing the lifetimes of $A is no event" --arg a $A
	assert_count "$AV" "$sel" 1 "renewing the lifetimes of $A is no event (settle)" --arg a $A

	# ---- preferred_lft 0: deprecated, one addr-change ----
	ip -n "$NS" addr change $A/$P dev v0 valid_lft 900 preferred_lft 0 $NODAD || fail "ip addr change $A"
	ip -n "$NS" addr show dev v0 | grep "$A/$P.*deprecated" >/dev/null || fail "the kernel did not deprecate $A"
	wait_event "$EV" '.event == "addr-change" and .address == $a' 1 10 --arg a $A
	wait_event "$AV" '.event == "addr-change" and .address == $a' 1 10 --arg a $A
	marker v0 "$EV" "$AV"
	for f in "$EV" "$AV"; do
		ev=$(ev_one "$f" '.event == "addr-change" and .address == $a' --arg a $A) ||
			fail "one addr-change for $A in $(basename "$f")"
		assert_jq "$ev" '(.flags | split(" ") | index("deprecated") != null) and .preferred_lft == 0
			and .ifname == "v0" and .prefixlen == $p' "addr-change to deprecated" --argjson p $P
		assert_count "$f" "$sel" 2 "only addr-add and addr-change for $A" --arg a $A
	done

	# ---- usable again: one more addr-change, without deprecated ----
	ip -n "$NS" addr change $A/$P dev v0 valid_lft 900 preferred_lft 800 $NODAD || fail "ip addr change $A"
	wait_event "$EV" '.event == "addr-change" and .address == $a' 2 10 --arg a $A
	marker v0 "$EV" "$AV"
	ev=$(ev_select "$EV" '.event == "addr-change" and .address == $a' --arg a $A | tail -n 1)
	assert_jq "$ev" '(.flags | split(" ") | index("deprecated") == null) and .preferred_lft > 700' \
		"addr-change back from deprecated"
	assert_count "$EV" "$sel" 3 "add, change, change for $A" --arg a $A

	# ---- removing it ----
	ip -n "$NS" addr del $A/$P dev v0 || fail "ip addr del $A"
	wait_event "$EV" '.event == "addr-del" and .address == $a' 1 10 --arg a $A
	wait_event "$AV" '.event == "addr-del" and .address == $a' 1 10 --arg a $A
done

check_event_file "$EV"
check_event_file "$AV"
assert_count "$EV" '.event == "addr-add" and (.address == "10.2.0.1" or .address == "2001:db8:2::1")' 2 \
	"no second addr-add for a known address"
assert_running
stop_nlevd
pass
