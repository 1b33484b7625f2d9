#!/bin/bash
# plugin_dir and -P are a search path: a plugin only in the second
# directory loads; one in both comes from the first (either order); a
# missing one is an error at FILE:LINE naming every directory (-t: 78).
# Versions are visible: -V -v lists each plugin of the path (name,
# version, ABI, file; a hidden one as not used), -t -v each instance's,
# the start-up log says "loaded plugin NAME VERSION (ABI x.y) from FILE",
# and SIGUSR1 lists each instance with its plugin and version.  -h shows
# the search path.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init plugin-path
: "${NLEVD_TEST_PLUGINS:=$_top/tests/unit}"

so()
{
	local f
	for f in "$2/.libs/$1.so" "$2/$1.so"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
LOG_SO=$(so log "$NLEVD_PLUGINS") || fail "no log plugin in $NLEVD_PLUGINS"
OLD_SO=$(so oldabi "$NLEVD_TEST_PLUGINS") ||
	fail "no oldabi plugin in $NLEVD_TEST_PLUGINS (make check builds it)"
VERSION=$("$NLEVD" -V | sed -n 's/^nlevd \([^ ]*\) .*/\1/p')
[ -n "$VERSION" ] || fail "nlevd -V prints no version"

# Copies: D1 has probe = the ABI 1.0 test plugin (oldabi 0); D2 has log
# and probe = the log plugin.
D1=$T/first
D2=$T/second
mkdir "$D1" "$D2"
cp "$OLD_SO" "$D1/probe.so"
cp "$LOG_SO" "$D2/log.so"
cp "$LOG_SO" "$D2/probe.so"

# run EXPECTED_STATUS ARGS...: stdout to $T/out, stderr to $T/err.
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
has() { grep -qF -- "$2" "$1" || { cat "$1"; fail "$3"; }; }

# ---- -h ----
run 0 -h
has "$T/out" "Plugin search path: " "-h does not show the search path"
has "$T/out" "the default" "-h does not say its search path is the default"
run 0 -h -P "$D1 $D2"
has "$T/out" "Plugin search path (-P): $D1 $D2" "-h -P does not show -P's search path"
run 64 -t -c /dev/null -P "$D1 relative/dir"

# ---- only in the second directory; in both, the first wins ----
EV=$T/events.json
cat >"$T/a.conf" <<EOF
[nlevd]
log_level = info

[out]
plugin = log
format = json
output = $EV

[p]
plugin = probe
EOF
run 0 -t -v -c "$T/a.conf" -P "$D1 $D2"
has "$T/out" "[out] plugin log $VERSION (ABI 1.1) from $D2/log.so" "-t -v: log is not from the second directory"
has "$T/out" "[p] plugin oldabi 0 (ABI 1.0) from $D1/probe.so" "-t -v: probe is not the first directory's"
run 0 -t -c "$T/a.conf" -P "$D1 $D2"
grep -q 'plugin ' "$T/out" && fail "-t without -v lists plugins"
# plugin_dir itself, not -P
sed "s|^log_level = info|&\nplugin_dir = $D1  $D2|" "$T/a.conf" >"$T/a-dir.conf"
run 0 -t -v -c "$T/a-dir.conf"
has "$T/out" "[p] plugin oldabi 0 (ABI 1.0) from $D1/probe.so" "plugin_dir as a search path: probe is not the first directory's"
# The other order: probe is the log plugin, with log's keys.
cat >"$T/b.conf" <<EOF
[p]
plugin = probe
format = json
output = $T/probe.json
EOF
run 0 -t -v -c "$T/b.conf" -P "$D2 $D1"
has "$T/out" "[p] plugin log $VERSION (ABI 1.1) from $D2/probe.so" "-P D2 D1: probe is not D2's"
run 78 -t -c "$T/b.conf" -P "$D1 $D2"
has "$T/err" "b.conf:3: [p] unknown key 'format' for plugin probe" "-P D1 D2: probe is not D1's (ABI 1.0, no keys)"

# ---- -V -v ----
run 0 -V -v -c /dev/null -P "$D1 $D2"
has "$T/out" "nlevd $VERSION (plugin ABI" "-V -v: no daemon version first"
has "$T/out" "plugin search path (-P): $D1 $D2" "-V -v: no search path"
has "$T/out" "probe: oldabi 0 (ABI 1.0) from $D1/probe.so" "-V -v: D1's probe is not listed"
has "$T/out" "log: log $VERSION (ABI 1.1) from $D2/log.so" "-V -v: D2's log is not listed"
has "$T/out" "probe: $D2/probe not used: $D1 comes first" "-V -v: D2's hidden probe is not said"
run 0 -V -v -c "$T/a-dir.conf"
has "$T/out" "plugin search path (plugin_dir): $D1  $D2" "-V -v: the config's plugin_dir is not used"
has "$T/out" "probe: oldabi 0" "-V -v -c: D1's probe is not listed"
run 0 -V -c "$T/a-dir.conf"
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "-V without -v prints more than the version"

# ---- a missing plugin ----
cat >"$T/c.conf" <<EOF
[out]
plugin = log
output = $T/c.log

[x]
plugin = no-such-plugin
EOF
run 78 -t -c "$T/c.conf" -P "$D1 $D2"
has "$T/err" "$T/c.conf:6: plugin 'no-such-plugin'" "missing plugin: no FILE:LINE error"
has "$T/err" "search path $D1 $D2" "missing plugin: the error does not name both directories"
run 78 -f -c "$T/c.conf" -P "$D1 $D2"
has "$T/err" "$T/c.conf:6: plugin 'no-such-plugin'" "missing plugin at start-up: no FILE:LINE error"

# ---- the daemon: start-up log, events, SIGUSR1 ----
veth_pair v0 v1
nsx ip addr add 10.9.0.1/24 dev v0 || fail "cannot add 10.9.0.1"
NLEVD_PLUGINS="$D1 $D2"
start_nlevd "$T/a.conf"
has "$NLEVD_ERR" "loaded plugin log $VERSION (ABI 1.1) from $D2/log.so" "start-up log: log is not said"
has "$NLEVD_ERR" "loaded plugin oldabi 0 (ABI 1.0) from $D1/probe.so" "start-up log: probe is not said"
wait_event "$EV" '.event == "addr-add" and .address == "10.9.0.1" and .initial'
kill -USR1 "$NLEVD_PID"
wait_for "grep -qF '[p] plugin oldabi, version 0,' '$NLEVD_ERR'" 10 || fail "USR1: [p] is not listed with its plugin and version"
has "$NLEVD_ERR" "[out] plugin log, version $VERSION," "USR1: [out] is not listed with its plugin and version"
assert_running "after USR1"
stop_nlevd
pass
