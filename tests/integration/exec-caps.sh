#!/bin/bash
# Hooks do not inherit the daemon's ambient capabilities: under a daemon
# started with an ambient CAP_NET_ADMIN (as systemd's AmbientCapabilities=
# gives it), every hook's CapAmb is 0, and a hook run with `user =` also has
# NoNewPrivs set (no set-user-ID program or file capability gives it
# privileges back).  Each hook prints its own /proc/self/status lines to the
# log.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init execcaps
command -v setpriv >/dev/null || fail "setpriv (util-linux) is required"
id nobody >/dev/null 2>&1 || fail "no user 'nobody'"
GREP=$(command -v grep)
veth_pair v0 v1

cat >"$T/nlevd.conf" <<EOF
[asroot]
plugin = exec
command = $GREP -E "^(CapAmb|NoNewPrivs):" /proc/self/status
events = addr-add
addresses = 10.50.0.0/24
startup = no

[asnobody]
plugin = exec
command = $GREP -E "^(CapAmb|NoNewPrivs):" /proc/self/status
user = nobody
events = addr-add
addresses = 10.50.0.0/24
startup = no
EOF
# The daemon with an ambient capability: setpriv execs it in place, so
# NLEVD_PID is the daemon's pid.
cat >"$T/nlevd-ambient" <<EOF
#!/bin/sh
exec setpriv --inh-caps +net_admin --ambient-caps +net_admin $NLEVD "\$@"
EOF
chmod 755 "$T/nlevd-ambient"
# start_nlevd counts "started:" lines in a log that must exist already:
# without it, it may return before the daemon has started.
: >"$NLEVD_ERR"
NLEVD=$T/nlevd-ambient start_nlevd "$T/nlevd.conf"
amb=$(sed -n 's/^CapAmb:[[:space:]]*//p' "/proc/$NLEVD_PID/status")
note "the daemon's CapAmb: $amb"
[ -n "$amb" ] && [ $((16#$amb)) -ne 0 ] || fail "the daemon was not started with an ambient capability ($amb)"

ip -n "$NS" addr add 10.50.0.1/32 dev v0 || fail "addr add"
for i in asroot asnobody; do
	wait_for "grep -q '\\[$i\\] grep: NoNewPrivs:' '$NLEVD_ERR'" 5 || fail "[$i]: the hook's status lines were not logged"
	grep "\\[$i\\] grep: " "$NLEVD_ERR" | sed 's/^/# /'
	# The daemon's log shows the tab after the colon as \x09.
	grep -qE "\\[$i\\] grep: CapAmb:(\\\\x09|[[:space:]])*0+\$" "$NLEVD_ERR" ||
		fail "[$i]: the hook inherited the daemon's ambient capabilities"
done
grep -qE '\[asnobody\] grep: NoNewPrivs:(\\x09|[[:space:]])*1$' "$NLEVD_ERR" ||
	fail "[asnobody]: a hook with user = runs without NoNewPrivs"
assert_running
stop_nlevd
pass
