#!/bin/bash
# Fault injection around the core and the plugins' files:
# - the log plugin's file on a full disk (a small tmpfs): the error is
#   logged once, the daemon and the other instances go on, the file keeps
#   whole JSON lines, and writing resumes, with the lost lines counted;
# - an instance that cannot start: at start-up nlevd exits 1 naming it; at
#   a reload the reload is refused and the old configuration keeps running;
# - a key file that cannot be read (no CAP_DAC_OVERRIDE): -t names its
#   FILE:LINE, a reload that needs it is refused;
# - a key file replaced in place, then SIGHUP (a key rotation): dnsupdate
#   uses the new key at once, and one that no longer parses is logged while
#   the old key keeps working.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init faults
dns_require named tsig-keygen dig setpriv
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
ERR=$NLEVD_ERR
log_mark() { MARK=$(grep -c '' "$ERR" 2>/dev/null); }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }

veth_pair v0 v1

# ---- the log file on a full disk ----
FULL=$T/full
mkdir -p "$FULL" || fail "mkdir"
mount -t tmpfs -o size=64k,mode=755 nlevd-test-full "$FULL" || fail "cannot mount a tmpfs"
_CLEAN_MOUNT=$FULL
trap 'rc=$?; umount -l "$_CLEAN_MOUNT" 2>/dev/null; (exit $rc); _cleanup' EXIT
FEV=$FULL/events.json
OK=$T/ok.json
cat >"$T/full.conf" <<EOF
[nlevd]
log_level = info

[full]
plugin = log
format = json
output = $FEV
events = addr-add
family = ipv4

[ok]
plugin = log
format = json
output = $OK
events = addr-add
family = ipv4
EOF
# IPv4 only: the lines are then the markers and the 100 addresses,
# whenever the link-local addresses of v0/v1 finish DAD.
start_nlevd "$T/full.conf"
marker v0 "$FEV" "$OK"
# Fill the disk: every block but the events file's last one.
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
[ "$(df --output=avail "$FULL" | tail -n 1)" -eq 0 ] || fail "the tmpfs is not full"
for ((i = 1; i <= 100; i++)); do echo "addr add 10.9.0.$i/32 dev v0"; done >"$T/add100"
ip -n "$NS" -batch "$T/add100" || fail "ip -batch"
wait_event "$OK" '.address | startswith("10.9.0.")' 100 20
wait_for "grep 'error: \[full\] writing $FEV: No space left on device (1 lines lost)' $ERR" 10 ||
	fail "the full disk was not logged as 'writing $FEV: No space left on device (1 lines lost)'"
assert_running "on a full disk"
n=$(grep -c 'No space left on device' "$ERR")
[ "$n" -eq 1 ] || fail "the full disk was logged $n times, not once for the streak"
check_event_file "$FEV"   # whole JSON lines: a torn line was cut off again
written=$(ev_count "$FEV" '.address | startswith("10.9.0.")')
note "full disk: $written of 100 lines written before it filled"
[ "$written" -lt 100 ] || fail "all 100 lines fitted: the disk was not full"
# Space again: writing resumes, and says how much was lost.
rm -f "$FULL/filler"
marker v0 "$FEV"
lost=$((100 - written))
wait_for "grep 'notice: \[full\] writing works again ($lost lines lost)' $ERR" 5 ||
	fail "no 'writing works again ($lost lines lost)': $(grep '\[full\]' "$ERR" | tail -n 3)"
check_event_file "$FEV"
kill -USR1 "$NLEVD_PID"
wait_for "grep 'notice: \[full\] summary $((written + 2)) lines written, $lost lost to $FEV; ' $ERR" 5 ||
	fail "USR1: $(grep 'notice: \[full\]' "$ERR" | tail -n 1)"
stop_nlevd

# The same for stdout redirected with '>' (no O_APPEND): the torn line is
# cut off and the offset moved back, so no hole of NUL bytes is left.
rm -f "$FEV" "$FULL/filler"
ip -n "$NS" addr flush dev v0 || fail "addr flush"
cat >"$T/stdout.conf" <<EOF
[nlevd]
log_level = info

[out]
plugin = log
format = json
output = stdout
events = addr-add
EOF
SOUT=$FULL/stdout.json
ip netns exec "$NS" "$NLEVD" -f -c "$T/stdout.conf" -P "$NLEVD_PLUGINS" >"$SOUT" 2>"$T/stdout.err" &
NLEVD_PID=$!
_PIDS+=("$NLEVD_PID")
wait_for "grep 'started:' $T/stdout.err" 10 || fail "nlevd did not start: $(cat "$T/stdout.err")"
NLEVD_ERR=$T/stdout.err marker v0 "$SOUT"   # a page of the file in use: a write will tear
dd if=/dev/zero of="$FULL/filler" bs=4k 2>/dev/null
ip -n "$NS" -batch "$T/add100" || fail "ip -batch"
wait_for "grep 'error: \[out\] writing output: No space left on device' $T/stdout.err" 10 ||
	fail "stdout on a full disk: no error logged: $(cat "$T/stdout.err")"
rm -f "$FULL/filler"
NLEVD_ERR=$T/stdout.err marker v0 "$SOUT"
[ "$(tr -cd '\000' <"$SOUT" | wc -c)" -eq 0 ] || fail "stdout has NUL bytes: a hole where the torn line was"
check_event_file "$SOUT"
NLEVD_ERR=$T/stdout.err stop_nlevd
umount "$FULL" || fail "umount"

# ---- an instance that cannot start ----
# -t refuses a missing directory; a dangling symlink into one it cannot
# see (it never opens or creates the file).
ln -s "$T/no/such/dir/events.json" "$T/dangling.json"
ln -s "$T/no/such/dir/more.json" "$T/dangling-more.json"
cat >"$T/nostart.conf" <<EOF
[nlevd]
[out]
plugin = log
format = json
output = $T/dangling.json
EOF
"$NLEVD" -t -c "$T/nostart.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>&1 ||
	fail "-t refused a config whose file is only opened at start: $(cat "$T/t.out")"
ip netns exec "$NS" "$NLEVD" -f -c "$T/nostart.conf" -P "$NLEVD_PLUGINS" >"$T/nostart.out" 2>&1 &
pid=$!
_PIDS+=("$pid")
wait_exit "$pid" 10 || fail "nlevd kept running with an instance that cannot start"
[ "$EXIT_STATUS" -eq 1 ] || fail "exit status $EXIT_STATUS, not 1, for an instance that cannot start"
grep "error: \[out\] cannot start: No such file or directory" "$T/nostart.out" >/dev/null ||
	fail "the failure does not name the instance: $(cat "$T/nostart.out")"

# At a reload: refused, the old configuration keeps running, all of it.
EV=$T/events.json
cat >"$T/run.conf" <<EOF
[nlevd]
log_level = info

[events]
plugin = log
format = json
output = $EV
EOF
start_nlevd "$T/run.conf"
marker v0 "$EV"
cat >>"$T/run.conf" <<EOF

[more]
plugin = log
format = json
output = $T/dangling-more.json
EOF
sed -i 's/^format = json$/format = json\nevents = addr-add/' "$T/run.conf"
log_mark
kill -HUP "$NLEVD_PID"
wait_for "since_mark | grep 'error: reload failed: an instance cannot start; the old configuration stays'" 10 ||
	fail "no 'reload failed' after an instance could not start: $(since_mark)"
since_mark | grep 'error: \[more\] cannot start: No such file or directory' >/dev/null ||
	fail "the reload failure does not name [more]: $(since_mark)"
since_mark | grep 'notice: reloaded' >/dev/null && fail "'reloaded' logged for a refused reload"
assert_running "after a refused reload"
# [events] is the old one: it still logs link events, which the new one would not.
ip -n "$NS" link set v1 down || fail "link down"
wait_event "$EV" '.event == "link-down" and .ifname == "v1"'
ip -n "$NS" link set v1 up || fail "link up"
marker v0 "$EV"
stop_nlevd

# ---- key files: unreadable, replaced, broken ----
D=$T/named
start_named "$D"
KEY=$T/key/dns.key
mkdir -p "$T/key" || fail "mkdir"
cp "$D/wrong.key" "$KEY" || fail "cp"
chmod 600 "$KEY"
dnsconf()
{
	cat <<EOF
[nlevd]
log_level = info

[events]
plugin = log
format = json
output = $EV

[dns]
plugin = dnsupdate
name = host.example.test
zone = example.test
server = 127.0.0.1
key_file = $KEY
addresses = 198.51.100.0/24
settle = 0
retry = 1s
retry_max = 60s
timeout = 2s
${1:-}
EOF
}
dnsconf >"$T/dns.conf"
# Without the capabilities that let root read any file.
NOCAP=(setpriv --inh-caps=-dac_override,-dac_read_search --bounding-set=-dac_override,-dac_read_search)
chown 4242 "$KEY" || fail "chown"
kline=$(grep -n '^key_file' "$T/dns.conf" | cut -d: -f1)
"${NOCAP[@]}" "$NLEVD" -t -c "$T/dns.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>&1
rc=$?
[ "$rc" -eq 78 ] || fail "-t with an unreadable key file: status $rc, not 78: $(cat "$T/t.out")"
grep -F "$T/dns.conf:$kline: [dns] key_file: cannot open $KEY: Permission denied" "$T/t.out" >/dev/null ||
	fail "-t does not name FILE:LINE and the reason: $(cat "$T/t.out")"
chown 0 "$KEY" || fail "chown"

ip -n "$NS" addr add 198.51.100.60/32 dev v0 || fail "addr add"
rm -f "$EV"
: >"$ERR"
start_nlevd "$T/dns.conf"
wait_for "grep -E 'error: \[dns\] (read|update) refused: zone [^ ]*: .*BADSIG.*; retrying in 60.0 s' $ERR" 10 ||
	fail "the wrong key was not refused: $(grep '\[dns\]' "$ERR")"
# The key is rotated in place; SIGHUP with the same configuration.
cat "$D/nlevd.key" >"$KEY" || fail "replace the key"
log_mark
t0=$(now_ms)
kill -HUP "$NLEVD_PID"
wait_records host.example.test A 198.51.100.60 10
dt=$(($(now_ms) - t0))
note "key rotation: records $dt ms after SIGHUP (retry_max is 60 s)"
[ "$dt" -lt 8000 ] || fail "the new key was not used at once ($dt ms)"
since_mark | grep "notice: \[dns\] key nlevd-key reloaded from $KEY" >/dev/null ||
	fail "the key reload was not logged: $(since_mark | grep '\[dns\]')"
# A broken key file at the next SIGHUP: logged, the old key goes on.
echo 'key "nlevd-key" { algorithm hmac-sha256; secret "not base64!"; };' >"$KEY"
log_mark
kill -HUP "$NLEVD_PID"
wait_for "since_mark | grep 'error: \[dns\] $KEY: .*; keeping the key read before'" 10 ||
	fail "a broken key file at SIGHUP was not logged: $(since_mark | grep '\[dns\]')"
ip -n "$NS" addr add 198.51.100.61/32 dev v0 || fail "addr add"
wait_records host.example.test A "198.51.100.60
198.51.100.61" 10
# A changed section that needs the unreadable key: the reload is refused.
cat "$D/nlevd.key" >"$KEY"
chown 4242 "$KEY" || fail "chown"
dnsconf "ttl = 600" >"$T/dns.conf"
stop_nlevd
"${NOCAP[@]}" ip netns exec "$NS" "$NLEVD" -f -c "$T/dns.conf" -P "$NLEVD_PLUGINS" >/dev/null 2>"$T/nocap.err" &
pid=$!
_PIDS+=("$pid")
NLEVD_ERR=$T/nocap.err
# At start-up: a configuration error.
wait_for "grep 'Permission denied' $T/nocap.err" 5 ||
	fail "the unreadable key file was not reported at start-up: $(cat "$T/nocap.err")"
wait_exit "$pid" 5 || fail "nlevd started with an unreadable key file"
[ "$EXIT_STATUS" -eq 78 ] || fail "start-up with an unreadable key file: status $EXIT_STATUS, not 78"
chown 0 "$KEY" || fail "chown"
"${NOCAP[@]}" ip netns exec "$NS" "$NLEVD" -f -c "$T/dns.conf" -P "$NLEVD_PLUGINS" >/dev/null 2>>"$T/nocap.err" &
NLEVD_PID=$!
_PIDS+=("$NLEVD_PID")
wait_for "grep 'started:' $T/nocap.err" 10 || fail "nlevd did not start: $(cat "$T/nocap.err")"
wait_for '[ "$(dns_ttl host.example.test A | sort -u)" = 600 ]' 10 || fail "ttl 600 not published: $(dns_ttl host.example.test A)"
chown 4242 "$KEY" || fail "chown"
dnsconf "ttl = 900" >"$T/dns.conf"
ERR=$T/nocap.err
log_mark
kill -HUP "$NLEVD_PID"
wait_for "since_mark | grep 'reload failed: 1 error; the old configuration stays'" 10 ||
	fail "a reload with an unreadable key file was not refused: $(since_mark)"
since_mark | grep -F "$T/dns.conf:$kline: [dns] key_file: cannot open $KEY: Permission denied" >/dev/null ||
	fail "the refused reload does not name FILE:LINE: $(since_mark)"
ip -n "$NS" addr add 198.51.100.62/32 dev v0 || fail "addr add"
wait_records host.example.test A "198.51.100.60
198.51.100.61
198.51.100.62" 10
[ "$(dns_ttl host.example.test A | sort -u)" = 600 ] || fail "the old configuration (ttl 600) did not stay"
stop_nlevd
check_event_file "$EV"
pass
