#!/bin/bash
# 100 reloads (SIGHUP) during a burst of 5,000 address events, and again
# under valgrind: no final state is lost, nothing leaks, memory does not
# grow with reloads.
# - [kept], whose section never changes, sees every address added exactly
#   once, then every one removed exactly once;
# - [flip], whose section changes at every reload (so it is destroyed and
#   created again, with the start-up replay each time, writing to a new
#   file), tells the kernel's final state: in the latest instance's file,
#   every address present has addr-add as its last event, and after the
#   flush none has;
# - the anonymous memory after another 100 reloads is what it was after
#   the first 100;
# - under valgrind (memcheck, 1,000 addresses, 100 reloads, with dnsupdate
#   and exec instances kept across the reloads: dnsupdate re-reads its key
#   at each), no invalid access and nothing definitely or indirectly lost
#   at exit, and the record is published.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init reload-storm
command -v valgrind >/dev/null 2>&1 || {
	[ "${CI:-}" = true ] && fail "valgrind is required"
	echo "SKIP: reload-storm: valgrind is not installed"
	exit 77
}
N=5000
RELOADS=100
# An ASan build: its quarantine holds freed memory (no growth check), and
# valgrind cannot run it (LeakSanitizer checks the exit instead).
ASAN=
ldd "$NLEVD" 2>/dev/null | grep libasan >/dev/null && ASAN=1
CONF=$T/nlevd.conf
KV=$T/kept.json
# [flip] writes to a new file at each reload ($FV, set by conf): what the
# latest instance said is its own file, its start-up replay then events.
GEN=0
FV=

conf() # SETTLE-OF-FLIP
{
	GEN=$((GEN + 1))
	FV=$T/flip-$GEN.json
	cat >"$CONF.new" <<EOF
[nlevd]
log_level = info

[kept]
plugin = log
format = json
output = $KV
events = addr-add addr-del

[flip]
plugin = log
format = json
output = $FV
events = addr-add addr-del
settle = $1
EOF
	printf '%s\n' "${EXTRA:-}" >>"$CONF.new"
	mv "$CONF.new" "$CONF"
}

burst() # FIRST COUNT OP: "ip -batch" lines for 10.20.x.y/32 on v0
{
	local i
	for ((i = $1; i < $1 + $2; i++)); do
		echo "addr $3 10.20.$((i / 250)).$((i % 250 + 1))/32 dev v0"
	done
}

# hup_storm COUNT PID: rewrite the config (flip's settle alternates) and HUP,
# every 20 ms, waiting for each reload to be logged so none coalesce.
hup_storm()
{
	local k n
	for ((k = 1; k <= $1; k++)); do
		conf "$((k % 2))ms"
		n=$(grep -c 'notice: reloaded$' "$NLEVD_ERR")
		kill -HUP "$2" || return 1
		wait_for "[ \$(grep -c 'notice: reloaded\$' $NLEVD_ERR) -gt $n ]" 20 || return 1
		sleep 0.02
	done
}

anon_kb() { awk '$1 == "RssAnon:" { print $2 }' "/proc/$1/status"; }

# last_is FILE EVENT: how many addresses of the burst have EVENT as their
# last event in FILE.
last_is()
{
	jq -s -r --arg e "$2" '[.[] | select(.address | startswith("10.20."))] |
		group_by(.address) | map(select(last.event == $e)) | length' "$1"
}

veth_pair v0 v1
conf 0
burst 0 "$N" add >"$T/add"

# ---- natively: 5,000 events, 100 reloads during the burst ----
start_nlevd "$CONF"
ip -n "$NS" -batch "$T/add" &
batch=$!
hup_storm "$RELOADS" "$NLEVD_PID" || fail "a reload was not logged within 20 s"
wait "$batch" || fail "ip -batch failed"
wait_event "$KV" '.event == "addr-add" and (.address | startswith("10.20."))' "$N" 60
marker v0 "$KV" "$FV"
grep 'reload failed' "$NLEVD_ERR" && fail "a reload failed"
assert_running "after $RELOADS reloads"
n=$(ev_count "$KV" '.event == "addr-add" and (.address | startswith("10.20."))')
d=$(ev_select "$KV" '.event == "addr-add" and (.address | startswith("10.20."))' | jq -r .address | sort -u | wc -l)
[ "$n" -eq "$N" ] && [ "$d" -eq "$N" ] ||
	fail "[kept]: $n addr-add events for $d distinct addresses, wanted $N each"
f=$(last_is "$FV" addr-add)
[ "$f" -eq "$N" ] || fail "[flip] (re-created $RELOADS times): $f of $N addresses end added"
note "$(grep -c 'notice: reloaded$' "$NLEVD_ERR") reloads during the burst; the last [flip] was given $(ev_count "$FV" '.initial') replayed events"

# Another 100 reloads, the state steady: anonymous memory stays put.
a0=$(anon_kb "$NLEVD_PID")
hup_storm "$RELOADS" "$NLEVD_PID" || fail "a reload was not logged within 20 s"
a1=$(anon_kb "$NLEVD_PID")
note "anonymous memory: $a0 kB after the first $RELOADS reloads, $a1 kB after $RELOADS more"
[ -n "$ASAN" ] && note "ASan build: its quarantine keeps freed memory, so growth is not judged here"
[ -n "$ASAN" ] || [ "$a1" -le $((a0 + 64)) ] || fail "memory grew by $((a1 - a0)) kB over $RELOADS reloads"

# Removal during reloads: the final state again.
ip -n "$NS" -4 addr flush dev v0 &
batch=$!
hup_storm 20 "$NLEVD_PID" || fail "a reload was not logged within 20 s"
wait "$batch" || fail "ip addr flush failed"
wait_event "$KV" '.event == "addr-del" and (.address | startswith("10.20."))' "$N" 60
n=$(ev_count "$KV" '.event == "addr-del" and (.address | startswith("10.20."))')
[ "$n" -eq "$N" ] || fail "[kept]: $n addr-del events, wanted $N"
sleep 0.5
stale=$(last_is "$FV" addr-add)
[ "$stale" -eq 0 ] || fail "[flip]: $stale removed addresses end added in $(basename "$FV")"
stop_nlevd
check_event_file "$KV"
for f in "$T"/flip-*.json; do check_event_file "$f"; done

# ---- under valgrind: 1,000 events, 100 reloads, then SIGTERM ----
# stop_nlevd above wanted status 0: under ASan, a leak would have made it 23.
if [ -n "$ASAN" ]; then
	note "built with AddressSanitizer: LeakSanitizer checked the run above, not valgrind"
	pass
fi
M=1000
rm -f "$KV" "$T"/flip-*.json
D=$T/named
start_named "$D"
EXTRA="
[dns]
plugin = dnsupdate
name = host.example.test
zone = example.test
server = 127.0.0.1
key_file = $D/nlevd.key
addresses = 10.20.0.1/32 10.20.0.2/32

[hooks]
plugin = exec
command = /bin/true
events = link-down"
conf 0
burst 0 "$M" add >"$T/add"
VG=$T/valgrind.log
_DIAG_FILES+=("$VG")
NLEVD_ERR=$T/valgrind.err
ip netns exec "$NS" valgrind --tool=memcheck --leak-check=full \
	--errors-for-leak-kinds=definite,indirect --show-leak-kinds=definite,indirect \
	--error-exitcode=99 --log-file="$VG" \
	"$NLEVD" -f -c "$CONF" -P "$NLEVD_PLUGINS" 2>"$NLEVD_ERR" &
NLEVD_PID=$!
_PIDS+=("$NLEVD_PID")
wait_for "grep 'started:' $NLEVD_ERR" 60 || fail "nlevd under valgrind did not start: $(cat "$NLEVD_ERR")"
ip -n "$NS" -batch "$T/add" &
batch=$!
hup_storm "$RELOADS" "$NLEVD_PID" || fail "a reload under valgrind was not logged within 20 s"
wait "$batch" || fail "ip -batch failed"
wait_event "$KV" '.event == "addr-add" and (.address | startswith("10.20."))' "$M" 120
f=$(last_is "$FV" addr-add)
[ "$f" -eq "$M" ] || fail "under valgrind, [flip]: $f of $M addresses end added"
wait_records host.example.test A $'10.20.0.1\n10.20.0.2' 30
grep 'error: \[dns\]' "$NLEVD_ERR" && fail "under valgrind, [dns] logged an error"
kill -TERM "$NLEVD_PID"
wait_exit "$NLEVD_PID" 60 || fail "nlevd under valgrind did not stop within 60 s"
NLEVD_PID=
grep -E 'ERROR SUMMARY|definitely lost|indirectly lost' "$VG" | sed 's/^==[0-9]*== /# valgrind: /'
[ "$EXIT_STATUS" -eq 0 ] || fail "under valgrind: exit status $EXIT_STATUS (99: errors or leaks)"
grep -q 'ERROR SUMMARY: 0 errors' "$VG" || fail "valgrind reported errors"
pass
