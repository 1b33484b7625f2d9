#!/bin/bash
# exec plugin: environment and stdin JSON per event type, hostile interface
# names, serial order, run-parts directories, queue overflow, running as
# another user, order = parallel, command plus directory.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init exec
[ -e "$NLEVD_PLUGINS/exec.la" ] || fail "no exec plugin in $NLEVD_PLUGINS"

OUT=$T/out
# Hook directories live where only root can change them, not under /tmp.
safe_dir exec
H=$REPLY
mkdir -p "$OUT" "$H/hooks.d"
# The hook records its argv, environment and stdin, one file per run.
cat >"$T/hook" <<'EOF'
#!/bin/bash
d=$1; shift
n=$(date +%s%N)-$$
{
	printf 'ARGV'; printf ' [%s]' "$@"; echo
	env | grep -E '^(NLEVD_|PATH=)' | sort
	echo "STDIN $(cat)"
} >"$d/.$n" && mv "$d/.$n" "$d/$n"
EOF
chmod 755 "$T/hook"

EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF
[nlevd]
log_level = info

[events]
plugin = log
format = json
output = $EV

[hook]
plugin = exec
command = $T/hook $OUT 'a b' "\$(id)" x;y
timeout = 5s
EOF

start_nlevd "$T/nlevd.conf"
runs() { ls "$OUT" | wc -l; }
# the one run whose environment has LINE; prints its file
run_with() { grep -lxF -- "$1" "$OUT"/* 2>/dev/null | head -n 1; }
wait_run() {
	WANT=$1
	wait_for '[ -n "$(run_with "$WANT")" ]' 10 || fail "no hook run with [$1]"
	run_with "$1"
}

veth_pair v0 v1
f=$(wait_run "NLEVD_EVENT=link-add") || exit 1
grep -qxF "ARGV [a b] [\$(id)] [x;y]" "$f" || fail "argv not passed verbatim: $(head -n 1 "$f")"
grep -qx 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' "$f" || fail "no safe PATH"
grep -q '^NLEVD_MAC=..:..:..:..:..:..$' "$f" || fail "no NLEVD_MAC"
grep -q '^NLEVD_MTU=1500$' "$f" || fail "no NLEVD_MTU"
grep -qx 'NLEVD_INSTANCE=hook' "$f" || fail "no NLEVD_INSTANCE"
grep -q '^NLEVD_OPERSTATE=' "$f" || fail "no NLEVD_OPERSTATE"
grep -q '^NLEVD_INITIAL=false$' "$f" || fail "no NLEVD_INITIAL"
# The daemon's own environment does not leak.
! grep -q '^HOME=\|^TESTS_SRCDIR=\|^NLEVD_PLUGINS=' "$f" || fail "daemon environment leaked"
wait_run "NLEVD_EVENT=link-up" >/dev/null

ip -n "$NS" addr add 10.5.0.1/24 dev v0
f=$(wait_run "NLEVD_ADDRESS=10.5.0.1") || exit 1
for kv in NLEVD_EVENT=addr-add NLEVD_IFNAME=v0 NLEVD_FAMILY=ipv4 NLEVD_PREFIXLEN=24 \
	NLEVD_SCOPE=global NLEVD_FLAGS=permanent "NLEVD_ADDRESSES=10.5.0.1/24" \
	"NLEVD_IFINDEX=$(ifindex v0)"; do
	grep -qxF "$kv" "$f" || fail "addr-add run lacks $kv"
done
json=$(sed -n 's/^STDIN //p' "$f")
assert_jq "$json" '.event == "addr-add" and .address == "10.5.0.1" and .ifname == "v0"' "stdin JSON"
ip -n "$NS" addr add 10.5.0.2/24 dev v0
f=$(wait_run "NLEVD_ADDRESS=10.5.0.2") || exit 1
v4=$(sed -n 's/^NLEVD_ADDRESSES=//p' "$f" | tr ' ' '\n' | grep '^10\.' | tr '\n' ' ')
[ "$v4" = "10.5.0.1/24 10.5.0.2/24 " ] || fail "NLEVD_ADDRESSES after a second add: $(grep ADDRESSES= "$f")"
ip -n "$NS" addr del 10.5.0.2/24 dev v0
wait_for "grep -lx NLEVD_EVENT=addr-del $OUT/* | xargs grep -lx NLEVD_ADDRESS=10.5.0.2" ||
	fail "no addr-del run"
f=$(grep -lx NLEVD_EVENT=addr-del "$OUT"/* | xargs grep -lx NLEVD_ADDRESS=10.5.0.2)
v4=$(sed -n 's/^NLEVD_ADDRESSES=//p' "$f" | tr ' ' '\n' | grep '^10\.' | tr '\n' ' ')
[ "$v4" = "10.5.0.1/24 " ] || fail "NLEVD_ADDRESSES after del: $(grep ADDRESSES= "$f")"

ip -n "$NS" link set v1 name w1
f=$(wait_run "NLEVD_EVENT=link-rename") || exit 1
grep -qx NLEVD_OLD_IFNAME=v1 "$f" && grep -qx NLEVD_IFNAME=w1 "$f" || fail "rename env: $(cat "$f")"
ip -n "$NS" link set w1 down
wait_run "NLEVD_EVENT=link-down" >/dev/null
ip -n "$NS" addr add 10.5.0.9/24 dev v0
ip -n "$NS" addr change 10.5.0.9/24 dev v0 preferred_lft 0
f=$(wait_run "NLEVD_EVENT=addr-change") || exit 1
grep -q '^NLEVD_FLAGS=.*deprecated' "$f" || fail "addr-change flags"
ip -n "$NS" link del v0
wait_run "NLEVD_EVENT=link-del" >/dev/null

# ---- hostile interface names reach the hook verbatim, run nothing ----
cd "$T" || fail "cd"
for name in 'a;mkdir${IFS}Z' '$(id)' "x'y\"z" '-rf'; do
	ip -n "$NS" link add "$name" type veth peer name hpeer || fail "cannot create [$name]"
	f=$(wait_run "NLEVD_IFNAME=$name") || exit 1
	json=$(sed -n 's/^STDIN //p' "$f")
	assert_jq "$json" '.ifname == $n' "JSON ifname for [$name]" --arg n "$name"
	ip -n "$NS" link del "$name"
done
[ ! -e "$T/Z" ] && [ ! -e /Z ] && [ ! -e "$OUT/Z" ] || fail "a hostile name executed something"
stop_nlevd

# ---- serial order: 50 rapid events arrive in order ----
rm -f "$OUT"/*
cat >"$T/serial.conf" <<EOF
[hook]
plugin = exec
command = /bin/sh -c 'cat >>$T/serial.log; sleep 0.01'
events = addr-add
startup = no
EOF
start_nlevd "$T/serial.conf"
ip -n "$NS" link add s0 type veth peer name s1
for i in $(seq 1 50); do echo "addr add 10.6.0.$i/32 dev s0"; done >"$T/batch"
ip -n "$NS" -batch "$T/batch" || fail "ip -batch"
wait_for "[ \$(grep -c . $T/serial.log) -ge 50 ]" 20 || fail "not 50 serial runs: $(grep -c . "$T/serial.log")"
got=$(jq -r .address "$T/serial.log" | tr '\n' ' ')
want=$(seq 1 50 | sed 's/^/10.6.0./' | tr '\n' ' ')
[ "$got" = "$want" ] || fail "serial runs out of order: $got"
stop_nlevd

# ---- directory: run-parts order, unsafe and backup files refused ----
for n in 20-second 10-first 30-third; do
	printf '#!/bin/sh\necho %s >>%s/order\n' "$n" "$T" >"$H/hooks.d/$n"
	chmod 755 "$H/hooks.d/$n"
done
printf '#!/bin/sh\necho unsafe >>%s/order\n' "$T" >"$H/hooks.d/15-unsafe"
chmod 757 "$H/hooks.d/15-unsafe"
printf '#!/bin/sh\necho backup >>%s/order\n' "$T" >"$H/hooks.d/25-old~"
chmod 755 "$H/hooks.d/25-old~"
printf '#!/bin/sh\necho dot >>%s/order\n' "$T" >"$H/hooks.d/.hidden"
chmod 755 "$H/hooks.d/.hidden"
# Symbolic links count as their targets: one to a good hook runs, one to a
# world-writable file is refused, a dangling one is skipped.
printf '#!/bin/sh\necho 40-linked >>%s/order\n' "$T" >"$H/linked-hook"
chmod 755 "$H/linked-hook"
ln -s "$H/linked-hook" "$H/hooks.d/40-linked"
printf '#!/bin/sh\necho unsafe-link >>%s/order\n' "$T" >"$H/unsafe-target"
chmod 757 "$H/unsafe-target"
ln -s "$H/unsafe-target" "$H/hooks.d/45-unsafe-link"
ln -s "$T/nowhere" "$H/hooks.d/50-dangling"
cat >"$T/dir.conf" <<EOF
[hooks]
plugin = exec
directory = $H/hooks.d
events = addr-add
startup = no
EOF
start_nlevd "$T/dir.conf"
ip -n "$NS" addr add 10.7.0.1/32 dev s0
wait_for "[ \$(grep -c . $T/order) -ge 4 ]" || fail "directory hooks did not run: $(cat "$T/order")"
sleep 0.3
[ "$(tr '\n' ' ' <"$T/order")" = "10-first 20-second 30-third 40-linked " ] ||
	fail "directory order: $(cat "$T/order")"
grep -q "refusing $H/hooks.d/15-unsafe: writable by group or others" "$NLEVD_ERR" ||
	fail "no log line refusing the world-writable hook"
grep -q "refusing $H/hooks.d/45-unsafe-link: writable by group or others" "$NLEVD_ERR" ||
	fail "no log line refusing the link to a world-writable file"
stop_nlevd

# ---- queue overflow: the oldest is dropped, the next run is told ----
cat >"$T/queue.conf" <<EOF
[q]
plugin = exec
command = /bin/sh -c 'echo "\$NLEVD_ADDRESS \${NLEVD_DROPPED:-0}" >>$T/queue.log; sleep 0.5'
events = addr-add
queue = 3
startup = no
EOF
start_nlevd "$T/queue.conf"
for i in $(seq 1 10); do echo "addr add 10.8.0.$i/32 dev s0"; done >"$T/batch"
ip -n "$NS" -batch "$T/batch"
wait_for "grep -q '^10.8.0.10 ' $T/queue.log" 20 || fail "last event never ran: $(cat "$T/queue.log")"
[ "$(grep -c . "$T/queue.log")" -lt 10 ] || fail "nothing was dropped with queue = 3"
awk '{s += $2} END {exit !(s > 0)}' "$T/queue.log" || fail "no run was told NLEVD_DROPPED: $(cat "$T/queue.log")"
grep -q 'queue full (3): dropped the oldest event' "$NLEVD_ERR" || fail "overflow not logged"
head -n 1 "$T/queue.log" | grep '^10.8.0.1 0$' >/dev/null || fail "the first event should run: $(head -n 1 "$T/queue.log")"
stop_nlevd

# ---- user: the hook runs as that user ----
cat >"$T/user.conf" <<EOF
[u]
plugin = exec
command = /bin/sh -c 'id -u >>$T/user.log'
events = addr-add
user = nobody
startup = no
EOF
touch "$T/user.log"; chmod 666 "$T/user.log"
start_nlevd "$T/user.conf"
ip -n "$NS" addr add 10.9.0.1/32 dev s0
wait_for "grep -q . $T/user.log" || fail "hook as nobody did not run"
[ "$(head -n 1 "$T/user.log")" = "$(id -u nobody)" ] || fail "hook ran as uid $(cat "$T/user.log")"
stop_nlevd

# ---- order = parallel: runs for two events overlap ----
# ---- command and directory together: the command, then the directory ----
mkdir "$H/both.d"
for n in 10-a 20-b; do
	printf '#!/bin/sh\necho "%s $NLEVD_ADDRESS" >>%s/both.log\n' "$n" "$T" >"$H/both.d/$n"
	chmod 755 "$H/both.d/$n"
done
cat >"$T/par.conf" <<EOF
[par]
plugin = exec
command = /bin/sh -c 'echo "start \$NLEVD_ADDRESS \$(date +%s%N)" >>$T/par.log; sleep 1; echo "end \$NLEVD_ADDRESS \$(date +%s%N)" >>$T/par.log'
order = parallel
events = addr-add
addresses = 10.14.0.0/24
startup = no

[both]
plugin = exec
command = /bin/sh -c 'echo "cmd \$NLEVD_ADDRESS" >>$T/both.log'
directory = $H/both.d
events = addr-add
addresses = 10.15.0.0/24
startup = no
EOF
start_nlevd "$T/par.conf"
printf 'addr add 10.14.0.1/32 dev s0\naddr add 10.14.0.2/32 dev s0\n' >"$T/batch"
ip -n "$NS" -batch "$T/batch" || fail "ip -batch"
wait_for "[ \$(grep -c '^end ' $T/par.log) -ge 2 ]" 10 || fail "parallel runs did not both end: $(cat "$T/par.log")"
[ "$(grep -c '^start ' "$T/par.log")" -eq 2 ] || fail "parallel: not 2 runs: $(cat "$T/par.log")"
last_start=$(awk '$1 == "start" {print $3}' "$T/par.log" | sort -n | tail -n 1)
first_end=$(awk '$1 == "end" {print $3}' "$T/par.log" | sort -n | head -n 1)
[ "$last_start" -lt "$first_end" ] ||
	fail "order = parallel: the second run started only after the first ended: $(cat "$T/par.log")"
note "parallel: both started $(( (first_end - last_start) / 1000000 )) ms before the first ended"

ip -n "$NS" addr add 10.15.0.1/32 dev s0
ip -n "$NS" addr add 10.15.0.2/32 dev s0
wait_for "[ \$(grep -c . $T/both.log) -ge 6 ]" 10 || fail "command + directory: not 6 runs: $(cat "$T/both.log")"
sleep 0.3
want="cmd 10.15.0.1,10-a 10.15.0.1,20-b 10.15.0.1,cmd 10.15.0.2,10-a 10.15.0.2,20-b 10.15.0.2,"
got=$(tr '\n' , <"$T/both.log")
[ "$got" = "$want" ] || fail "command + directory: wanted [$want], got [$got]"
stop_nlevd
pass
