#!/bin/bash
# exec plugin with 8,000 addresses on one interface and a slow serial hook:
# every run starts (NLEVD_ADDRESSES is bounded, so no E2BIG), the list is
# cut at a whole address and flagged, and a full queue stays small (the
# list is built when a run starts, not kept per queued event).
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init execaddrs
N=8000
EV=$T/events.json
# The hook records: address, length of NLEVD_ADDRESSES, the count, the
# truncation flag; a list that ends in a blank (a cut item) is a failure.
cat >"$T/hook" <<'EOF'
#!/bin/sh
printf '%s %s %s %s\n' "$NLEVD_ADDRESS" "${#NLEVD_ADDRESSES}" "${NLEVD_ADDRESSES_COUNT:--}" \
	"${NLEVD_ADDRESSES_TRUNCATED:-0}" >>"$1"
case "$NLEVD_ADDRESSES" in *" " | *[!0-9a-f:./\ ]*) exit 9 ;; esac
sleep 0.05
EOF
chmod 755 "$T/hook"
cat >"$T/nlevd.conf" <<EOF
[ev]
plugin = log
format = json
output = $EV
events = addr-add
family = ipv4
startup = no

[slow]
plugin = exec
command = $T/hook $T/runs
events = addr-add
order = serial
queue = 1024
startup = no
EOF
start_nlevd "$T/nlevd.conf"
veth_pair d0 d1
for i in $(seq 1 $N); do
	printf 'addr add 2001:db8:%x:%x::1/128 dev d0 nodad\n' $((i / 65536)) $((i % 65536))
done >"$T/batch"
echo "addr add 10.20.0.1/32 dev d0" >>"$T/batch"
t0=$(now_ms)
ip -n "$NS" -batch "$T/batch" || fail "ip -batch"
note "$N addresses added in $(($(now_ms) - t0)) ms"
# The IPv4 marker comes last: when the log instance has it, the daemon has
# queued every event before it.
wait_event "$EV" '.event == "addr-add" and .address == "10.20.0.1"' 1 120
# Now the queue is full (1,024 events), and the runs from here on see every
# address.
hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$NLEVD_PID/status")
before=$(wc -l <"$T/runs")
wait_for "[ \$(wc -l <$T/runs) -ge $((before + 3)) ] || matches 'cannot run' $NLEVD_ERR" 60
note "daemon VmHWM ${hwm} kB with a full queue, $(wc -l <"$T/runs") runs so far"
! grep -q 'cannot run' "$NLEVD_ERR" || fail "a hook could not run: $(grep -m1 'cannot run' "$NLEVD_ERR")"
[ "$hwm" -lt 51200 ] || fail "daemon peak RSS ${hwm} kB with a full queue (want < 50 MB)"
[ "$(awk '$3 > '$N "$T/runs" | wc -l)" -ge 3 ] || fail "no 3 runs with all $N addresses: $(tail -n 3 "$T/runs")"
! grep -q 'exited with status' "$NLEVD_ERR" || fail "a hook failed: $(grep -m1 'exited with status' "$NLEVD_ERR")"
awk -v n=$N '$3 > n && !($4 == 1 && $2 <= 65536 && $2 > 65000) {bad = $0} END {if (bad) {print bad; exit 1}}' "$T/runs" ||
	fail "a run with all $N addresses is not cut to 64 KiB and flagged"
awk '$3 < 100 && $4 != 0 {exit 1}' "$T/runs" || fail "a short list is flagged as truncated"
stop_nlevd
pass
