#!/bin/bash
# ABI 1.0 compatibility, for real: tests/plugins/abi10.c is built against a
# copy of the 1.0 header (tests/abi10/nlevd/plugin.h, frozen from git) and
# loaded by this 1.1 daemon.  -t accepts it; its cfg_* lookups read its keys
# and report a bad value at FILE:LINE (78); it receives events and renders
# them (also from a 1.0-sized copy); its child runs from a 1.0-sized spec
# (exec_fd is never read from it), gets its input, environment and lines;
# SIGUSR1 calls its status(); a reload keeps it (reopen), replaces it when
# its section changes, and a refused reload keeps it running; TERM
# destroys it.  Nothing past its 1.0 descriptor is read (the plugin puts
# trap callbacks where 1.1's stop and report are).  A config naming a
# plugin event (dns-published) in its `events` is an error (exit 78): its
# struct nlevd_event has no name or fields.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init abi10
: "${NLEVD_TEST_EMITTER_DIR:=$_top/tests/plugins}"

so()
{
	local f
	for f in "$2/.libs/$1.so" "$2/$1.so"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
mkdir "$T/plugins"
f=$(so log "$NLEVD_PLUGINS") || fail "no log plugin in $NLEVD_PLUGINS"
ln -s "$f" "$T/plugins/log.so"
f=$(so abi10 "$NLEVD_TEST_EMITTER_DIR") ||
	fail "no abi10 plugin in $NLEVD_TEST_EMITTER_DIR (make check builds it)"
ln -s "$f" "$T/plugins/abi10.so"
NLEVD_PLUGINS=$T/plugins

REC=$T/old.rec
EV=$T/events.json
# The child: its argument, the environment it was given (envp: ABI10=yes
# alone), stdin.
cat >"$T/child" <<'EOF'
#!/bin/sh
echo "child $1 env=[$(/usr/bin/tr '\0' ' ' </proc/$$/environ)]"
read -r line
echo "stdin $line"
echo "to stderr" >&2
EOF
chmod 755 "$T/child"

# conf LIMIT [EVENTS]: the configuration, with [old]'s limit.
conf()
{
	cat <<EOF
[nlevd]
log_level = info

[old]
plugin = abi10
interfaces = v0
family = ipv4
events = ${2:-addr-add addr-del}
record = $REC
command = $T/child
limit = $1
delay = 1500ms
buffer = 4k
verbose = yes
mode = beta

[json]
plugin = log
format = json
output = $EV
interfaces = v0
EOF
}
conf 7 >"$T/nlevd.conf"

# ---- -t: accepted; its own bad value and a plugin event are refused ----
"$NLEVD" -t -c "$T/nlevd.conf" -P "$NLEVD_PLUGINS" >"$T/check.out" 2>&1 ||
	fail "-t refused the 1.0 plugin: $(cat "$T/check.out")"
[ ! -e "$REC" ] || fail "-t started the plugin: $(cat "$REC")"
# check_refused CONF PATTERN WHAT
check_refused()
{
	local out rc
	out=$("$NLEVD" -t -c "$1" -P "$NLEVD_PLUGINS" 2>&1)
	rc=$?
	[ "$rc" -eq 78 ] || fail "-t with $3 exited $rc, wanted 78: $out"
	printf '%s\n' "$out" | matches -- "$2" || fail "-t with $3: no [$2] in: $out"
}
conf 11 >"$T/limit.conf"
line=$(grep -n '^limit = 11$' "$T/limit.conf" | cut -d: -f1)
check_refused "$T/limit.conf" "limit.conf:$line: .*limit" "limit = 11 (max 10)"
sed 's/^mode = beta$/mode = delta/' "$T/nlevd.conf" >"$T/mode.conf"
line=$(grep -n '^mode = delta$' "$T/mode.conf" | cut -d: -f1)
check_refused "$T/mode.conf" "mode.conf:$line: .*mode" "mode = delta"
conf 7 "addr-add dns-published" >"$T/pev.conf"
line=$(grep -n '^events = addr-add dns-published$' "$T/pev.conf" | cut -d: -f1)
check_refused "$T/pev.conf" "pev.conf:$line: .*abi10 (ABI 1.0) cannot receive 'dns-published'" \
	"a plugin event for a 1.0 plugin"
[ ! -e "$REC" ] || fail "-t started the plugin: $(cat "$REC")"

# ---- start: its cfg lookups ----
start_nlevd "$T/nlevd.conf"
grep -qx "start old limit=7 delay=1500 buffer=4096 verbose=1 mode=beta" "$REC" ||
	fail "the 1.0 plugin's cfg lookups: $(cat "$REC")"

# ---- an event, its rendering from a 1.0-sized copy, its child ----
veth_pair v0 v1
ip -n "$NS" addr add 10.50.0.1/24 dev v0 || fail "ip addr add"
wait_for "grep -q 'done 10.50.0.1 ' '$REC'" ||
	fail "the 1.0 plugin's child did not finish: $(cat "$REC")"
ev=$(grep '^event addr-add .*address=10\.50\.0\.1\b' "$REC") ||
	fail "the 1.0 plugin did not get the addr-add: $(cat "$REC")"
grep -qxF "copy ${ev#event }" "$REC" ||
	fail "a 1.0-sized copy of the event renders differently: $(cat "$REC")"
grep -qx 'link v0' "$REC" || fail "link_get for the 1.0 plugin: $(cat "$REC")"
grep -qx 'line 1 child 10.50.0.1 env=\[ABI10=yes \]' "$REC" ||
	fail "the child's argv/environment: $(cat "$REC")"
grep -qx 'line 1 stdin input 10.50.0.1' "$REC" || fail "the child's stdin: $(cat "$REC")"
grep -qx 'line 2 to stderr' "$REC" || fail "the child's stderr: $(cat "$REC")"
grep -qx 'done 10.50.0.1 status=0 spawn_error=0 timed_out=0' "$REC" ||
	fail "the child's result: $(grep '^done\|^spawn' "$REC")"
ip -n "$NS" addr del 10.50.0.1/24 dev v0 || fail "ip addr del"
wait_for "grep -q '^event addr-del .*address=10\.50\.0\.1\b' '$REC'" ||
	fail "the 1.0 plugin did not get the addr-del: $(cat "$REC")"
ip -n "$NS" addr add 10.50.0.2/24 dev v0 || fail "ip addr add"
wait_for "grep -q 'done 10.50.0.2 status=0 ' '$REC'" || fail "second child: $(cat "$REC")"

# ---- SIGUSR1: its status() ----
kill -USR1 "$NLEVD_PID"
wait_for "grep -q '\[old\] abi10 status: events=3 children=2 selected=1' '$NLEVD_ERR'" ||
	fail "no status from the 1.0 plugin on SIGUSR1"

# hup_and_wait PATTERN: SIGHUP, then wait for one more PATTERN in stderr.
hup_and_wait()
{
	local before
	before=$(grep -c "$1" "$NLEVD_ERR")
	kill -HUP "$NLEVD_PID" || fail "kill -HUP"
	wait_for "[ \$(grep -c '$1' '$NLEVD_ERR') -gt $before ]" ||
		fail "no '$1' in stderr after SIGHUP"
}

# ---- reloads: kept, refused, replaced ----
hup_and_wait 'reloaded'
grep -qx reopen "$REC" || fail "a reload with the same section did not reopen it: $(cat "$REC")"
[ "$(grep -c '^start ' "$REC")" -eq 1 ] || fail "the kept instance was started again: $(cat "$REC")"
cp "$T/limit.conf" "$T/nlevd.conf"
hup_and_wait 'reload failed'
# (logged just before the old instances are reopened)
wait_for "[ \$(grep -cx reopen '$REC') -eq 2 ]" || fail "a refused reload did not reopen it: $(cat "$REC")"
conf 8 >"$T/nlevd.conf"
hup_and_wait 'reloaded'
grep -qx "start old limit=8 delay=1500 buffer=4096 verbose=1 mode=beta" "$REC" ||
	fail "a changed section did not start a new instance: $(cat "$REC")"
[ "$(grep -cx destroy "$REC")" -eq 1 ] || fail "the replaced instance was not destroyed: $(cat "$REC")"
ip -n "$NS" addr add 10.50.0.3/24 dev v0 || fail "ip addr add"
wait_for "grep -q 'done 10.50.0.3 status=0 ' '$REC'" ||
	fail "the new instance did not work: $(cat "$REC")"
assert_running "with the 1.0 plugin"

stop_nlevd
[ "$(grep -cx destroy "$REC")" -eq 2 ] || fail "TERM did not destroy it: $(cat "$REC")"
! grep -q TRAP "$REC" || fail "the daemon read past the 1.0 descriptor: $(grep TRAP "$REC")"
! grep -q 'spawn .* failed' "$REC" || fail "a child did not start: $(grep spawn "$REC")"
pass
