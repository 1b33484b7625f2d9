#!/bin/bash
# The command line: -h, -V, bad options, -t, --once, the pid file, the
# daemon mode, SIGTERM/SIGINT and SIGUSR1, [nlevd] pidfile and plugin_dir,
# -v and -q.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init cli

EV=$T/events.json
GOOD=$T/good.conf
cat >"$GOOD" <<EOF
# a comment
[nlevd]
log_level = info

[all]
plugin = log
format = json
output = $EV
EOF

# run EXPECTED_STATUS ARGS...: run the daemon (outside the loop, no netns
# needed), stdout to $T/out, stderr to $T/err; the status must match.
run()
{
	local want=$1 rc
	shift
	"$NLEVD" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	[ "$rc" -eq "$want" ] || {
		echo "stdout:"; cat "$T/out"; echo "stderr:"; cat "$T/err"
		fail "nlevd $*: exit status $rc, wanted $want"
	}
}

# ---- help, version, usage errors ----
run 0 -h
grep -q '^Usage: nlevd' "$T/out" || fail "-h prints no usage to stdout"
grep -q -- '--config' "$T/out" || fail "-h does not list --config"
run 0 --help
grep -q '^Usage: nlevd' "$T/out" || fail "--help prints no usage"
run 0 -V
grep -Eq '^nlevd [0-9]+\.[0-9]+' "$T/out" || fail "-V: '$(cat "$T/out")' is not 'nlevd VERSION'"
run 0 --version
grep -Eq '^nlevd [0-9]+\.[0-9]+' "$T/out" || fail "--version prints no version"
run 64 --no-such-option
grep -q 'Usage' "$T/err" || fail "a bad option prints no usage to stderr"
run 64 -Z
run 64 -c "$GOOD" extra-argument
run 64 -c
run 64 -t -c "$GOOD" -P relative/dir

# ---- -t ----
run 0 -t -c "$GOOD" -P "$NLEVD_PLUGINS"
[ -e "$EV" ] && fail "-t started an instance (the log file was created)"
run 0 --check --config "$GOOD" --plugin-dir "$NLEVD_PLUGINS"

cat >"$T/badkey.conf" <<EOF
[nlevd]
log_level = info
no_such_global = 1

[all]
plugin = log
format = json
output = $EV
EOF
run 78 -t -c "$T/badkey.conf" -P "$NLEVD_PLUGINS"
grep -q "^$T/badkey.conf:3: .*no_such_global" "$T/err" ||
	fail "-t: the unknown key is not reported as FILE:3: ..."

cat >"$T/badinst.conf" <<EOF
[all]
plugin = log
format = yaml
output = relative.json
EOF
run 78 -t -c "$T/badinst.conf" -P "$NLEVD_PLUGINS"
grep -q "^$T/badinst.conf:3: .*format.*yaml" "$T/err" || fail "-t: the bad format is not reported at FILE:3"
grep -q "^$T/badinst.conf:4: .*output" "$T/err" || fail "-t: the bad output is not reported at FILE:4"

cat >"$T/instkey.conf" <<EOF
[all]
plugin = log
colour = blue
EOF
run 78 -t -c "$T/instkey.conf" -P "$NLEVD_PLUGINS"
grep -q "^$T/instkey.conf:3: .*colour" "$T/err" || fail "-t: the unknown instance key is not reported at FILE:3"

run 78 -t -c "$T/does-not-exist.conf" -P "$NLEVD_PLUGINS"
grep -q "$T/does-not-exist.conf" "$T/err" || fail "a missing config file is not named"
run 78 -f -c "$T/does-not-exist.conf" -P "$NLEVD_PLUGINS"

cat >"$T/badplugin.conf" <<EOF
[nlevd]

[thing]
plugin = no_such_plugin_type
EOF
run 78 -t -c "$T/badplugin.conf" -P "$NLEVD_PLUGINS"
grep -q "^$T/badplugin.conf:4: .*no_such_plugin_type" "$T/err" || fail "the unknown plugin type is not named at FILE:4"
cat >"$T/impliedplugin.conf" <<EOF
[no_such_type2]
EOF
run 78 -t -c "$T/impliedplugin.conf" -P "$NLEVD_PLUGINS"
grep -q "no_such_type2" "$T/err" || fail "the implied plugin type is not named"

# A configuration error stops the daemon before it starts.
run 78 -f -c "$T/badkey.conf" -P "$NLEVD_PLUGINS"

# ---- --once ----
veth_pair v0 v1
ip -n "$NS" addr add 10.7.0.1/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8:7::1/64 dev v0 nodad || fail "addr add"
# The state must not change between the two --once runs below.
wait_for no_tentative 40 || fail "addresses still tentative after 40 s"
start=$(now_ms)
ip netns exec "$NS" timeout 20 "$NLEVD" --once -c "$GOOD" -P "$NLEVD_PLUGINS" >"$T/once.out" 2>"$T/once.err"
rc=$?
[ $rc -eq 0 ] || { cat "$T/once.err"; fail "--once: exit status $rc"; }
note "--once took $(($(now_ms) - start)) ms"
check_event_file "$EV"
assert_count "$EV" '.initial | not' 0 "--once: only initial events"
assert_count "$EV" '.event == "addr-add" and .address == "10.7.0.1" and .ifname == "v0" and .prefixlen == 24' 1 \
	"--once: the IPv4 address"
assert_count "$EV" '.event == "addr-add" and .address == "2001:db8:7::1"' 1 "--once: the IPv6 address"
assert_count "$EV" '.event == "link-add" and (.ifname == "v0" or .ifname == "v1")' 2 "--once: the links"
assert_count "$EV" '.event == "link-up" and .ifname == "v0"' 1 "--once: v0 is up"
assert_count "$EV" '.ifname == "lo"' 0 "--once: lo excluded"
assert_count "$EV" '.event == "addr-add" and .scope == "link"' 2 "--once: the link-local addresses"
mv "$EV" "$T/once.json"
ip netns exec "$NS" timeout 20 "$NLEVD" -1 -c "$GOOD" -P "$NLEVD_PLUGINS" 2>>"$T/once.err" ||
	fail "-1: exit status $?"
[ "$(grep -c '^' "$EV")" -eq "$(grep -c '^' "$T/once.json")" ] || fail "-1 and --once disagree"
mv "$EV" "$T/once2.json"

# ---- a pid file, SIGUSR1, SIGTERM ----
PIDFILE=$T/nlevd.pid
start_nlevd "$GOOD" -p "$PIDFILE"
wait_for "[ -s '$PIDFILE' ]" 5 || fail "no pid file"
[ "$(cat "$PIDFILE")" = "$NLEVD_PID" ] || fail "pid file has '$(cat "$PIDFILE")', the daemon is $NLEVD_PID"
wait_event "$EV" '.event == "addr-add" and .address == "10.7.0.1" and .initial'

kill -USR1 "$NLEVD_PID"
wait_for "grep -q '\\[all\\] .*lines written' '$NLEVD_ERR'" 10 || fail "USR1: no instance status"
grep -q 'state: [0-9]* interfaces, [0-9]* addresses' "$NLEVD_ERR" || fail "USR1: no 'state:' line"
grep -q ' v0: up ' "$NLEVD_ERR" || fail "USR1: v0 is not listed as up"
grep -q '10.7.0.1/24 scope global' "$NLEVD_ERR" || fail "USR1: 10.7.0.1 is not listed"
grep -q 'netlink: [0-9]* messages' "$NLEVD_ERR" || fail "USR1: no netlink statistics"
grep -q '\[all\] plugin log' "$NLEVD_ERR" || fail "USR1: the instance is not listed"
assert_running "after USR1"

t0=$(now_ms)
kill -TERM "$NLEVD_PID"
wait_exit "$NLEVD_PID" 5 || fail "nlevd did not stop within 5 s of SIGTERM"
[ "$EXIT_STATUS" -eq 0 ] || fail "exit status $EXIT_STATUS after SIGTERM"
note "SIGTERM: stopped in $(($(now_ms) - t0)) ms"
NLEVD_PID=
[ -e "$PIDFILE" ] && fail "the pid file is still there after SIGTERM"

# ---- SIGINT ----
start_nlevd "$GOOD"
kill -INT "$NLEVD_PID"
wait_exit "$NLEVD_PID" 5 || fail "nlevd did not stop within 5 s of SIGINT"
[ "$EXIT_STATUS" -eq 0 ] || fail "exit status $EXIT_STATUS after SIGINT"
NLEVD_PID=

# ---- daemon mode: the parent returns once the daemon runs ----
DPID=$T/daemon.pid
cat >"$T/daemon.conf" <<EOF
[nlevd]
log_target = stderr

[all]
plugin = log
format = json
output = $T/daemon.json
EOF
ip netns exec "$NS" timeout 20 "$NLEVD" -c "$T/daemon.conf" -P "$NLEVD_PLUGINS" -p "$DPID" \
	>"$T/daemon.out" 2>"$T/daemon.err" || fail "daemon mode: the parent exited with status $?"
[ -s "$DPID" ] || fail "daemon mode: no pid file once the parent returned"
dpid=$(cat "$DPID")
_PIDS+=("$dpid")
kill -0 "$dpid" 2>/dev/null || fail "daemon mode: pid $dpid is not running"
grep -q nlevd "/proc/$dpid/cmdline" || fail "daemon mode: pid $dpid is not nlevd"
[ "$(readlink "/proc/$dpid/cwd")" = / ] || fail "daemon mode: the daemon did not chdir to /"
wait_for "[ -s '$T/daemon.json' ]" 10 || fail "daemon mode: no events"
kill -TERM "$dpid"
wait_for "! pid_running $dpid" 5 || fail "daemon mode: still running 5 s after SIGTERM"
[ -e "$DPID" ] && fail "daemon mode: the pid file is still there after SIGTERM"
check_event_file "$T/daemon.json"

# A pid file that cannot be written: failure, status 1.
ip netns exec "$NS" timeout 20 "$NLEVD" -f -c "$GOOD" -P "$NLEVD_PLUGINS" -p "$T/no/such/dir/pid" \
	>/dev/null 2>"$T/pidfail.err"
rc=$?
[ $rc -eq 1 ] || fail "an unwritable pid file: exit status $rc, wanted 1"
grep -q "$T/no/such/dir/pid" "$T/pidfail.err" || fail "an unwritable pid file is not named"

# ---- [nlevd] pidfile and plugin_dir, without -p and -P ----
CPID=$T/cfg.pid
cat >"$T/keys.conf" <<EOF
[nlevd]
pidfile = $CPID
plugin_dir = $NLEVD_PLUGINS

[all]
plugin = log
format = json
output = $T/keys.json
EOF
ip netns exec "$NS" "$NLEVD" -f -c "$T/keys.conf" >"$T/keys.out" 2>"$T/keys.err" &
kpid=$!
_PIDS+=("$kpid")
wait_for "grep -q 'started:' '$T/keys.err' || ! pid_running $kpid" 10
pid_running "$kpid" || fail "[nlevd] plugin_dir: the daemon exited during start-up"
grep -q 'started:' "$T/keys.err" || fail "[nlevd] plugin_dir: the daemon did not report 'started'"
wait_event "$T/keys.json" '.event == "addr-add" and .address == "10.7.0.1" and .initial'
[ -s "$CPID" ] || fail "[nlevd] pidfile: no pid file"
[ "$(cat "$CPID")" = "$kpid" ] || fail "[nlevd] pidfile has '$(cat "$CPID")', the daemon is $kpid"
kill -TERM "$kpid"
wait_exit "$kpid" 5 || fail "[nlevd] pidfile: still running 5 s after SIGTERM"
[ "$EXIT_STATUS" -eq 0 ] || fail "[nlevd] pidfile: exit status $EXIT_STATUS after SIGTERM"
[ -e "$CPID" ] && fail "[nlevd] pidfile: the pid file is still there after SIGTERM"
# plugin_dir is where plugins come from: an empty one fails, -P overrides it.
mkdir "$T/noplugins"
sed "s|^plugin_dir = .*|plugin_dir = $T/noplugins|" "$T/keys.conf" >"$T/keys-empty.conf"
run 78 -t -c "$T/keys-empty.conf"
grep -q "$T/keys-empty.conf:[0-9]*: .*log" "$T/err" || fail "plugin_dir without the plugin: no FILE:LINE error naming it"
run 0 -t -c "$T/keys-empty.conf" -P "$NLEVD_PLUGINS"

# ---- -v and -q ----
# A world-writable hook in an exec directory is refused: first as an
# error, then (each later run) at debug level.
safe_dir cli
VH=$REPLY/vhooks.d
mkdir "$VH"
printf '#!/bin/sh\necho "$NLEVD_ADDRESS" >>%s/v.log\n' "$T" >"$VH/10-ok"
chmod 755 "$VH/10-ok"
printf '#!/bin/sh\nexit 0\n' >"$VH/20-unsafe"
chmod 757 "$VH/20-unsafe"
vconf()
{
	cat <<EOF
[nlevd]
log_level = $1

[ev]
plugin = log
format = json
output = $T/v.json

[d]
plugin = exec
directory = $VH
events = addr-add
addresses = 10.16.0.0/24
startup = no
EOF
}
vconf info >"$T/v-info.conf"
vconf notice >"$T/v-notice.conf"
VN=0
# two_runs: two events for [d]; waits until its hook ran for both.
two_runs()
{
	local _i
	rm -f "$T/v.log"
	for _i in 1 2; do
		VN=$((VN + 1))
		ip -n "$NS" addr add "10.16.0.$VN/32" dev v0 || fail "addr add"
		wait_for "grep -qx 10.16.0.$VN '$T/v.log'" 10 || fail "the [d] hook did not run for 10.16.0.$VN"
	done
}
# -v: debug lines
NLEVD_ERR=$T/verbose.err
start_nlevd "$T/v-info.conf" -v
two_runs
grep -q "^nlevd: error: \[d\] refusing $VH/20-unsafe" "$NLEVD_ERR" || fail "-v: the first refusal is not an error"
grep -q "^nlevd: debug: \[d\] refusing $VH/20-unsafe" "$NLEVD_ERR" || fail "-v: no debug line"
stop_nlevd
# without -v: none
NLEVD_ERR=$T/default.err
start_nlevd "$T/v-info.conf"
two_runs
grep -q "^nlevd: error: \[d\] refusing $VH/20-unsafe" "$NLEVD_ERR" || fail "no refusal logged"
grep -q 'debug:' "$NLEVD_ERR" && fail "debug lines without -v"
stop_nlevd
# -q with log_level = notice, and -q -q with the default (info): no notice
# lines ('started', 'stopping', 'stopped'), errors still logged.
for args in "-q v-notice" "-q -q v-info"; do
	conf=${args##* }
	opts=${args% *}
	rm -f "$T/v.json"
	qerr=$T/quiet-${opts// /}.err
	# shellcheck disable=SC2086
	ip netns exec "$NS" "$NLEVD" -f -c "$T/$conf.conf" -P "$NLEVD_PLUGINS" $opts >"$T/quiet.out" 2>"$qerr" &
	qpid=$!
	_PIDS+=("$qpid")
	NLEVD_PID=$qpid
	wait_event "$T/v.json" '.event == "link-add" and .ifname == "v0" and .initial'
	two_runs
	grep -q "^nlevd: error: \[d\] refusing $VH/20-unsafe" "$qerr" || fail "$opts ($conf): errors are not logged any more"
	grep -q 'started' "$qerr" && fail "$opts ($conf): the notice 'started' is logged"
	kill -TERM "$qpid"
	wait_exit "$qpid" 5 || fail "$opts: still running 5 s after SIGTERM"
	[ "$EXIT_STATUS" -eq 0 ] || fail "$opts: exit status $EXIT_STATUS after SIGTERM"
	NLEVD_PID=
	grep -q 'notice:\|info:\|debug:' "$qerr" && fail "$opts ($conf): lines below warning logged: $(grep 'notice:\|info:\|debug:' "$qerr")"
done

pass
