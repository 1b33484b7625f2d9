#!/bin/bash
# Thousands of addresses through a small netlink buffer: every address is
# announced exactly once, and removed exactly once.  While the daemon is
# stopped (SIGSTOP) the socket overruns for certain: the resync must then
# deliver the difference, no more and no less.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init overrun

N=5000
EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF
[nlevd]
netlink_rcvbuf = 64K

[all]
plugin = log
format = json
output = $EV
interfaces = v0 m0
family = ipv4
EOF

start_nlevd "$T/nlevd.conf"
# v0 stays down: no IPv6 link-local address, only our IPv4 ones.
ip -n "$NS" link add v0 type veth peer name v1 || fail "ip link add"
veth_pair m0 m1
wait_event "$EV" '.event == "link-add" and .ifname == "v0"'

# batch NET OP: N "addr OP 10.NET.x.y/32 dev v0" lines for ip -batch.
batch()
{
	local i
	for ((i = 0; i < N; i++)); do
		echo "addr $2 10.$1.$((i / 250)).$((i % 250 + 1))/32 dev v0"
	done >"$T/batch-$1-$2"
	echo "$T/batch-$1-$2"
}

# count_ev EVENT NET: lines, then distinct addresses, of EVENT for 10.NET/16.
count_ev()
{
	local sel='.event == $e and (.address | startswith($p)) and .ifname == "v0" and .prefixlen == 32'
	jq -r --arg e "$1" --arg p "10.$2." "select($sel) | .address" "$EV" >"$T/addrs" 2>/dev/null
	echo "$(wc -l <"$T/addrs") $(sort -u "$T/addrs" | wc -l)"
}

# expect_ev EVENT NET: wait (60 s) for N distinct addresses, then check
# (after a marker) that there are exactly N lines.
expect_ev()
{
	local deadline=$((SECONDS + $(_scaled 60))) c
	while :; do
		c=$(count_ev "$1" "$2")
		[ "${c#* }" -ge $N ] && break
		[ $SECONDS -ge $deadline ] && fail "$1 10.$2/16: wanted $N distinct addresses within 60 s, got ${c#* } (${c% *} lines)"
		pid_running "$NLEVD_PID" || fail "nlevd died"
		sleep 0.5
	done
	marker m0 "$EV"
	c=$(count_ev "$1" "$2")
	[ "$c" = "$N $N" ] || fail "$1 10.$2/16: wanted $N lines for $N addresses, got ${c% *} lines for ${c#* } addresses"
	note "$1 10.$2/16: $c"
}

resyncs() { grep -c 're-reading the kernel.s state' "$NLEVD_ERR"; }

# ---- N additions, the daemon running ----
t0=$SECONDS
ip -n "$NS" -batch "$(batch 50 add)" || fail "ip -batch add"
[ "$(ip -n "$NS" -4 -o addr show dev v0 | wc -l)" -eq $N ] || fail "the kernel does not have $N addresses"
expect_ev addr-add 50
note "$N additions: $((SECONDS - t0)) s, $(resyncs) resync(s)"

# ---- N removals while the daemon is stopped: an overrun for certain ----
r0=$(resyncs)
kill -STOP "$NLEVD_PID"
ip -n "$NS" -4 addr flush dev v0 || { kill -CONT "$NLEVD_PID"; fail "ip addr flush"; }
kill -CONT "$NLEVD_PID"
[ -z "$(ip -n "$NS" -4 -o addr show dev v0)" ] || fail "flush left addresses"
expect_ev addr-del 50
[ "$(resyncs)" -gt "$r0" ] || fail "no resync notice after an overrun"

# ---- N other additions while stopped ----
r0=$(resyncs)
kill -STOP "$NLEVD_PID"
ip -n "$NS" -batch "$(batch 51 add)" || { kill -CONT "$NLEVD_PID"; fail "ip -batch add"; }
kill -CONT "$NLEVD_PID"
expect_ev addr-add 51
[ "$(resyncs)" -gt "$r0" ] || fail "no resync notice after an overrun"

# ---- half removed, and N/2 re-added elsewhere, while stopped: the difference ----
kill -STOP "$NLEVD_PID"
head -n $((N / 2)) "$(batch 51 del)" >"$T/half-del"
head -n $((N / 2)) "$(batch 52 add)" >"$T/half-add"
ip -n "$NS" -batch "$T/half-del" || { kill -CONT "$NLEVD_PID"; fail "ip -batch del"; }
ip -n "$NS" -batch "$T/half-add" || { kill -CONT "$NLEVD_PID"; fail "ip -batch add"; }
kill -CONT "$NLEVD_PID"
N=$((N / 2))
expect_ev addr-del 51
expect_ev addr-add 52
jq -r 'select(.event == "addr-del" and (.address | startswith("10.51."))) | .address' "$EV" | sort >"$T/got-del"
sed 's#addr del \([^/]*\)/.*#\1#' "$T/half-del" | sort >"$T/want-del"
cmp -s "$T/got-del" "$T/want-del" || fail "the addresses reported removed are not the ones removed"

# ---- the statistics agree ----
kill -USR1 "$NLEVD_PID"
wait_for "grep -q 'netlink: [0-9]* messages' '$NLEVD_ERR'" 10 || fail "USR1: no netlink statistics"
stats=$(grep 'netlink: [0-9]* messages' "$NLEVD_ERR" | tail -n 1)
note "$stats"
overruns=$(sed -n 's/.* \([0-9]*\) overruns.*/\1/p' <<<"$stats")
nresync=$(sed -n 's/.* \([0-9]*\) resyncs.*/\1/p' <<<"$stats")
[ "${overruns:-0}" -ge 3 ] || fail "fewer overruns counted than forced: $stats"
[ "${nresync:-0}" -ge 3 ] || fail "fewer resyncs than overruns: $stats"

check_event_file "$EV"
assert_count "$EV" '.initial' 0 "nothing initial"
assert_count "$EV" '.event == "addr-change"' 0 "no addr-change"
assert_count "$EV" '.event == "link-del"' 0 "no link removed by a resync"
assert_count "$EV" '.event == "link-add"' 2 "no link added twice by a resync"
assert_running
stop_nlevd
pass
