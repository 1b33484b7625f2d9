#!/bin/bash
# Netlink messages that do not come from the kernel are dropped.  A local
# process sends forged dump replies (RTM_NEWLINK of a made-up interface,
# NLMSG_DONE) for every likely sequence number to both of the daemon's
# netlink sockets; then an overrun forces a resync.  Accepted, the forged
# DONE would end the dump early and sweep every link and address, and the
# forged link would appear.  The daemon's sockets are connected to the
# kernel, which refuses the forged datagrams; any that get through are
# dropped on receipt and counted as foreign.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init netlink-forged
command -v python3 >/dev/null || fail "python3 is required"

EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF2
[nlevd]
netlink_rcvbuf = 64K

[all]
plugin = log
format = json
output = $EV
family = ipv4
interfaces = !x*
EOF2

start_nlevd "$T/nlevd.conf"
veth_pair m0 m1
veth_pair v0 v1
ip -n "$NS" addr add 10.5.0.1/24 dev v0 || fail "ip addr add"
ip -n "$NS" link add x0 type veth peer name x1 || fail "ip link add x0"
wait_event "$EV" '.event == "addr-add" and .address == "10.5.0.1"'

COPIES=4
forged=$(nsx python3 "$TESTS_SRCDIR/nl-forge.py" "$NLEVD_PID" $COPIES) || fail "nl-forge.py"
read -r nports sent refused ports <<<"$forged"
note "forged datagrams to ports $ports: $sent delivered, $refused refused by the kernel"
[ "$nports" -eq 2 ] || fail "wanted the daemon's two netlink sockets, found: $ports"
[ $((sent + refused)) -eq $((2 * COPIES)) ] || fail "nl-forge.py: $forged"

# ---- an overrun, so that the daemon dumps again ----
resyncs() { grep -c 're-reading the kernel.s state' "$NLEVD_ERR"; }
r0=$(resyncs)
for ((i = 0; i < 2000; i++)); do
	echo "addr add 10.6.$((i / 250)).$((i % 250 + 1))/32 dev x0"
done >"$T/flood"
kill -STOP "$NLEVD_PID"
ip -n "$NS" -batch "$T/flood" || { kill -CONT "$NLEVD_PID"; fail "ip -batch"; }
kill -CONT "$NLEVD_PID"
wait_for '[ "$(resyncs)" -gt "$r0" ]' 20 || fail "no resync after an overrun"
marker m0 "$EV"

kill -USR1 "$NLEVD_PID"
wait_for "grep -q 'netlink: [0-9]* messages' '$NLEVD_ERR'" 10 || fail "USR1: no netlink statistics"
stats=$(grep 'netlink: [0-9]* messages' "$NLEVD_ERR" | tail -n 1)
note "$stats"

assert_count "$EV" '.ifname == "forged0" or .ifindex == 9999' 0 "no event of the forged link"
assert_count "$EV" '.event == "link-del"' 0 "no link swept by a forged DONE"
assert_count "$EV" '.event == "addr-del"' 0 "no address swept by a forged DONE"
grep -q 'forged0' "$NLEVD_ERR" && fail "the forged link reached the state"
# Refused by the kernel (the sockets are connected to it), or delivered,
# and then read, counted and dropped.
foreign=$(sed -n 's/.* \([0-9]*\) foreign.*/\1/p' <<<"$stats")
[ "${foreign:-0}" -ge "$sent" ] ||
	fail "$sent forged datagrams delivered, wanted as many counted foreign: $stats"
[ "$sent" -eq 0 ] || matches 'not from the kernel' "$NLEVD_ERR" ||
	fail "no notice of the dropped messages"
check_event_file "$EV"
assert_running
stop_nlevd
pass
