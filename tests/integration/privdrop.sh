#!/bin/bash
# user/group: privileges are dropped once the netlink socket is open; events,
# USR1 and HUP keep working afterwards.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init privdrop

EV=$T/events.json
: >"$EV"
chmod 666 "$EV"
cat >"$T/nlevd.conf" <<EOF
[nlevd]
user = nobody
group = nogroup

[all]
plugin = log
format = json
output = $EV
EOF
chmod 644 "$T/nlevd.conf"
start_nlevd "$T/nlevd.conf"
uid=$(id -u nobody); gid=$(getent group nogroup | cut -d: -f3)
read -r _ u1 u2 u3 u4 < <(grep '^Uid:' "/proc/$NLEVD_PID/status")
read -r _ g1 g2 g3 g4 < <(grep '^Gid:' "/proc/$NLEVD_PID/status")
[ "$u1 $u2 $u3 $u4" = "$uid $uid $uid $uid" ] || fail "uids after the drop: $u1 $u2 $u3 $u4"
[ "$g1 $g2 $g3 $g4" = "$gid $gid $gid $gid" ] || fail "gids after the drop: $g1 $g2 $g3 $g4"
groups=$(sed -n 's/^Groups:[[:space:]]*//p' "/proc/$NLEVD_PID/status")
for g in $groups; do [ "$g" = "$gid" ] || fail "supplementary group $g kept"; done
grep -E '^CapEff:[[:space:]]*0+$' "/proc/$NLEVD_PID/status" >/dev/null || fail "capabilities kept: $(grep CapEff "/proc/$NLEVD_PID/status")"

veth_pair v0 v1
ip -n "$NS" addr add 10.20.0.1/24 dev v0
wait_event "$EV" '.event == "addr-add" and .address == "10.20.0.1"'
kill -USR1 "$NLEVD_PID"
wait_for "grep -q '10.20.0.1/24 scope global' '$NLEVD_ERR'" || fail "USR1 after the drop"
kill -HUP "$NLEVD_PID"
wait_for "grep -q 'reloaded' '$NLEVD_ERR'" || fail "HUP after the drop"
ip -n "$NS" addr del 10.20.0.1/24 dev v0
wait_event "$EV" '.event == "addr-del" and .address == "10.20.0.1"'
assert_running
stop_nlevd
pass
