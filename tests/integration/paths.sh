#!/bin/bash
# Configured paths: a FIFO as config, include, log output or pid file is
# refused instead of hanging; the pid file is locked (a second daemon is
# refused), owner-checked and gone (or, after user=, empty) on every exit;
# -t catches a log output in a missing directory and user=/group= without
# root; the daemon is not dumpable (NLEVD_DUMPABLE=1 keeps it so).
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init paths
# start_nlevd counts 'started:' lines in NLEVD_ERR, which its background job
# may not have created yet: an absent file ends its wait at once.
: >"$NLEVD_ERR"

EV=$T/events.json
mkfifo "$T/fifo"
cat >"$T/good.conf" <<EOF
[all]
plugin = log
format = json
output = $EV
EOF

# refused STATUS TEXT ARGS...: nlevd ARGS (in $NS, at most 10 s) must exit
# with STATUS and print TEXT (a fixed string) on stderr.
refused()
{
	local want=$1 text=$2 rc
	shift 2
	ip netns exec "$NS" timeout -k 5 "$(_scaled 10)" "$NLEVD" "$@" -P "$NLEVD_PLUGINS" \
		>"$T/out" 2>"$T/err" </dev/null
	rc=$?
	{ [ $rc -eq 124 ] || [ $rc -eq 137 ]; } && fail "nlevd $*: still running after 10 s (it hangs), wanted exit $want"
	[ $rc -eq "$want" ] || { cat "$T/err"; fail "nlevd $*: exit status $rc, wanted $want"; }
	grep -qF -- "$text" "$T/err" || { cat "$T/err"; fail "nlevd $*: no '$text' on stderr"; }
}

# ---- a FIFO where a file is expected ----
refused 78 "$T/fifo: not a regular file" -t -c "$T/fifo"
cat >"$T/inc.conf" <<EOF
[nlevd]
include = fifo

[all]
plugin = log
output = $EV
EOF
refused 78 "$T/inc.conf:2: include: $T/fifo: not a regular file" -t -c "$T/inc.conf"
refused 78 "$T/inc.conf:2: include: $T/fifo: not a regular file" -f -c "$T/inc.conf"

for out in "$T/fifo" /dev/null; do
	cat >"$T/out.conf" <<EOF
[all]
plugin = log
output = $out
EOF
	refused 78 "$T/out.conf:3: [all] output: '$out' is not a regular file" -t -c "$T/out.conf"
	refused 78 "$T/out.conf:3: [all] output: '$out' is not a regular file" -f -c "$T/out.conf"
done

refused 1 "pid file $T/fifo: not a regular file" -f -c "$T/good.conf" -p "$T/fifo"
ln -s "$T/target.pid" "$T/link.pid"
refused 1 "pid file $T/link.pid: " -f -c "$T/good.conf" -p "$T/link.pid"
[ -e "$T/target.pid" ] && fail "the pid file was written through a symlink"

# A running daemon whose log file is replaced by a FIFO: HUP reopens it,
# which fails (no reader; the old file stays open), and the daemon answers.
cat >"$T/text.conf" <<EOF
[all]
plugin = log
output = $T/text.log
EOF
start_nlevd "$T/text.conf"
mv "$T/text.log" "$T/text.log.1"
mkfifo "$T/text.log"
kill -HUP "$NLEVD_PID"
wait_for "grep -qF '[all] cannot open $T/text.log' '$NLEVD_ERR'" 10 ||
	fail "HUP with a FIFO as output: no 'cannot open' naming it"
kill -USR1 "$NLEVD_PID"
wait_for "grep -q 'lines written' '$NLEVD_ERR'" 10 || fail "the daemon does not answer USR1 after the HUP"
stop_nlevd
rm -f "$T/text.log"

# ---- -t: a log output in a missing directory, user= without root ----
cat >"$T/nodir.conf" <<EOF
[all]
plugin = log
output = $T/no/such/dir/ev.log
EOF
refused 78 "$T/nodir.conf:3: [all] output: '$T/no/such/dir/ev.log': directory $T/no/such/dir does not exist" \
	-t -c "$T/nodir.conf"
[ -e "$T/no" ] && fail "-t created the log directory"

nobody=$(id -u nobody)
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
chmod 777 "$T" # nobody writes its events there
cat >"$T/user.conf" <<EOF
[nlevd]
user = root
group = root

[all]
plugin = log
format = json
output = $T/nobody.json
EOF
chmod 644 "$T/user.conf"
asnobody "$NLEVD" -t -c "$T/user.conf" -P "$NLEVD_PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 78 ] || { cat "$T/err"; fail "user=root as uid $nobody: -t exit status $rc, wanted 78"; }
grep -qxF "$T/user.conf:2: user=root needs root (nlevd runs as uid $nobody)" "$T/err" ||
	{ cat "$T/err"; fail "user=root as uid $nobody: no 'needs root' at FILE:2"; }
grep -qxF "$T/user.conf:3: group=root needs root (nlevd runs as uid $nobody)" "$T/err" ||
	{ cat "$T/err"; fail "group=root as uid $nobody: no 'needs root' at FILE:3"; }
# The identity it already has is fine (a reload after the drop reads it).
sed -i 's/^user = root/user = nobody/; s/^group = root/group = nogroup/' "$T/user.conf"
asnobody "$NLEVD" -t -c "$T/user.conf" -P "$NLEVD_PLUGINS" >"$T/out" 2>"$T/err" ||
	{ cat "$T/err"; fail "user=nobody as nobody: -t refused"; }
# A hook's user= needs root too (the child's setgroups()), even its own.
cat >"$T/hookuser.conf" <<EOF
[hook]
plugin = exec
command = /bin/true
user = nobody
EOF
chmod 644 "$T/hookuser.conf"
asnobody "$NLEVD" -t -c "$T/hookuser.conf" -P "$NLEVD_PLUGINS" >"$T/out" 2>"$T/err"
rc=$?
[ $rc -eq 78 ] || { cat "$T/err"; fail "exec user=nobody as uid $nobody: -t exit status $rc, wanted 78"; }
grep -qxF "$T/hookuser.conf:4: [hook] user: user=nobody needs root (nlevd runs as uid $nobody)" "$T/err" ||
	{ cat "$T/err"; fail "exec user= as uid $nobody: no 'needs root' at FILE:4"; }

# ---- not dumpable: /proc/PID belongs to root even for a daemon run by
# another user (it would be that user's when dumpable) ----
sed -i '/^user\|^group/d' "$T/user.conf"
for dumpable in 0 1; do
	: >"$T/dump.err"
	# (no control socket: nobody may not create one in root's $T/ctl)
	NLEVD_CONTROL_SOCKET=none NLEVD_DUMPABLE=$dumpable ip netns exec "$NS" setpriv --reuid=nobody --regid=nogroup \
		--clear-groups "$NLEVD" -f -c "$T/user.conf" -P "$NLEVD_PLUGINS" 2>"$T/dump.err" &
	pid=$!
	_PIDS+=("$pid")
	wait_for "grep -q 'started:' '$T/dump.err' || ! pid_running $pid" 10
	grep -q 'started:' "$T/dump.err" || { cat "$T/dump.err"; fail "nlevd as nobody did not start"; }
	# ip netns exec and setpriv exec nlevd: the pid is the daemon's
	grep -q nlevd "/proc/$pid/cmdline" || fail "pid $pid is not nlevd"
	owner=$(stat -c %u "/proc/$pid/status")
	want=0
	[ $dumpable = 1 ] && want=$nobody
	[ "$owner" = "$want" ] || fail "NLEVD_DUMPABLE=$dumpable: /proc/$pid owned by uid $owner, wanted $want"
	kill -TERM "$pid"
	wait_exit "$pid" 5 || fail "nlevd as nobody did not stop"
done
chmod 755 "$T"

# ---- the pid file ----
PID=$T/nlevd.pid
start_nlevd "$T/good.conf" -p "$PID"
[ "$(cat "$PID")" = "$NLEVD_PID" ] || fail "pid file has '$(cat "$PID")', the daemon is $NLEVD_PID"
refused 1 "another nlevd (pid $NLEVD_PID) holds $PID" -f -c "$T/good.conf" -p "$PID"
[ "$(cat "$PID")" = "$NLEVD_PID" ] || fail "a refused second daemon changed the pid file: '$(cat "$PID")'"
assert_running "after a second daemon was refused"
stop_nlevd
[ -e "$PID" ] && fail "the pid file is still there after SIGTERM"

# Started with stdin and stdout closed: no file or socket gets fd 0-2 (the
# pid file and the netlink socket are above, /dev/null fills the gap).
ip netns exec "$NS" sh -c 'exec "$0" "$@" <&- >&-' "$NLEVD" -f -c "$T/good.conf" -P "$NLEVD_PLUGINS" \
	-p "$PID" 2>>"$NLEVD_ERR" &
NLEVD_PID=$!
_PIDS+=("$NLEVD_PID")
wait_for "[ \"\$(cat '$PID' 2>/dev/null)\" = $NLEVD_PID ]" 10 || fail "fds 0, 1 closed: no pid file"
for fd in 0 1; do
	to=$(readlink "/proc/$NLEVD_PID/fd/$fd")
	[ "$to" = /dev/null ] || fail "fds 0, 1 closed: fd $fd is $to, not /dev/null"
done
pfd=$(for f in /proc/$NLEVD_PID/fd/*; do [ "$(readlink "$f")" = "$PID" ] && basename "$f"; done)
[ -n "$pfd" ] && [ "$pfd" -gt 2 ] || fail "fds 0, 1 closed: the pid file is on fd '$pfd'"
stop_nlevd

# Daemon mode: the lock is taken before forking, so the second daemon's
# refusal is on the terminal (stderr), not only in syslog.
ip netns exec "$NS" timeout "$(_scaled 20)" "$NLEVD" -c "$T/good.conf" -P "$NLEVD_PLUGINS" -p "$PID" \
	</dev/null >/dev/null 2>"$T/daemon.err" || { cat "$T/daemon.err"; fail "daemon mode: exit status $?"; }
dpid=$(cat "$PID")
_PIDS+=("$dpid")
pid_running "$dpid" || fail "daemon mode: pid file has '$dpid', which is not running"
refused 1 "nlevd: another nlevd (pid $dpid) holds $PID" -c "$T/good.conf" -p "$PID"
[ "$(cat "$PID")" = "$dpid" ] || fail "daemon mode: a refused second daemon changed the pid file"
kill -TERM "$dpid"
wait_for "! pid_running $dpid" 5 || fail "daemon mode: still running 5 s after SIGTERM"
[ -e "$PID" ] && fail "daemon mode: the pid file is still there after SIGTERM"
# Locked before the daemon changes to /, removed after: a relative path
# would name two files.
refused 64 "nlevd: --pidfile must be an absolute path" -f -c "$T/good.conf" -p nlevd.pid

# A file of another user is refused and left alone.
echo keep >"$T/other.pid"
chown nobody "$T/other.pid"
refused 1 "pid file $T/other.pid: owned by another user" -f -c "$T/good.conf" -p "$T/other.pid"
[ "$(cat "$T/other.pid")" = keep ] || fail "another user's pid file was written"
# A stale (unlocked) pid file of ours is reused.
echo 999999 >"$PID"
start_nlevd "$T/good.conf" -p "$PID"
[ "$(cat "$PID")" = "$NLEVD_PID" ] || fail "a stale pid file was not rewritten"
stop_nlevd
[ -e "$PID" ] && fail "the reused pid file is still there after SIGTERM"

# --once: no pid file left.
ip netns exec "$NS" timeout "$(_scaled 20)" "$NLEVD" --once -c "$T/good.conf" -P "$NLEVD_PLUGINS" \
	-p "$PID" 2>"$T/once.err" || { cat "$T/once.err"; fail "--once: exit status $?"; }
[ -e "$PID" ] && fail "--once left its pid file"

# An instance that cannot start (its log file is not writable after the
# drop to nobody): exit 1, no pid file.
mkdir -m 0777 "$T/piddir"
mkdir -m 0700 "$T/secret"
cat >"$T/drop.conf" <<EOF
[nlevd]
user = nobody
group = nogroup

[all]
plugin = log
format = json
output = $T/secret/ev.json
EOF
refused 1 "cannot open $T/secret/ev.json" -f -c "$T/drop.conf" -p "$T/piddir/nlevd.pid"
[ -e "$T/piddir/nlevd.pid" ] && fail "a daemon that failed to start left its pid file"

# After user= the daemon cannot remove its pid file from a root-owned
# directory: it is left empty and unlocked, and the next start reuses it.
: >"$EV"
chmod 666 "$EV"
sed -i "s|^output = .*|output = $EV|" "$T/drop.conf"
start_nlevd "$T/drop.conf" -p "$PID"
[ "$(cat "$PID")" = "$NLEVD_PID" ] || fail "user=: pid file has '$(cat "$PID")'"
stop_nlevd
[ -s "$PID" ] && fail "user=: a stale pid ($(cat "$PID")) is left after SIGTERM"
grep -q "pid file $PID: cannot remove" "$NLEVD_ERR" || fail "user=: the left pid file is not logged"
start_nlevd "$T/good.conf" -p "$PID"
[ "$(cat "$PID")" = "$NLEVD_PID" ] || fail "the emptied pid file was not reused"
stop_nlevd
[ -e "$PID" ] && fail "the pid file is still there after SIGTERM"

pass
