#!/bin/bash
# exec plugin: hook safety.  A hooks directory, or a directory above it,
# that is writable by group or others or owned by another user is refused
# by `nlevd -t` (FILE:LINE) and at each run; so is a symbolic link whose
# target lies in such a directory, and a hook replaced by an unsafe file
# between two events.  Scripts run through the checked descriptor
# (fexecve), as `command` does.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init execsafety
[ -e "$NLEVD_PLUGINS/exec.la" ] || fail "no exec plugin in $NLEVD_PLUGINS"
safe_dir safety
H=$REPLY
NOBODY=$(id -u nobody) || fail "no user nobody"

# ---- configure time: nlevd -t, exit 78 and FILE:LINE of `directory` ----
tconf()
{
	printf '[hooks]\nplugin = exec\ndirectory = %s\n' "$1"
	[ -z "${2:-}" ] || printf 'user = %s\n' "$2"
}
# t_refused DIR REASON [USER]
t_refused()
{
	tconf "$1" "${3:-}" >"$T/t.conf"
	"$NLEVD" -t -c "$T/t.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>"$T/t.err" </dev/null
	local rc=$?
	[ "$rc" -eq 78 ] || fail "nlevd -t with directory $1: exit $rc, wanted 78: $(cat "$T/t.err")"
	grep -qF "$T/t.conf:3: " "$T/t.err" || fail "no FILE:LINE of directory for $1: $(cat "$T/t.err")"
	grep -qF "unsafe: $2" "$T/t.err" || fail "directory $1: wanted reason [$2]: $(cat "$T/t.err")"
}
t_ok()
{
	tconf "$1" "${2:-}" >"$T/t.conf"
	"$NLEVD" -t -c "$T/t.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>"$T/t.err" </dev/null ||
		fail "nlevd -t with directory $1: exit $?: $(cat "$T/t.err")"
}
mkdir -m 755 "$H/ok.d" "$H/gw.d" "$H/ow.d" "$H/wp" "$H/wp/hooks.d" "$H/own.d" "$T/tmp.d"
chmod 775 "$H/gw.d"
chmod 757 "$H/ow.d"
chmod 777 "$H/wp"
chown nobody "$H/own.d"
ln -s "$T/tmp.d" "$H/link.d"
t_ok "$H/ok.d"
t_refused "$H/gw.d" "$H/gw.d is writable by group or others"
t_refused "$H/ow.d" "$H/ow.d is writable by group or others"
t_refused "$H/wp/hooks.d" "$H/wp is writable by group or others"
t_refused "$H/own.d" "$H/own.d is owned by uid $NOBODY, not root or the hook's user"
t_ok "$H/own.d" nobody
# Under /tmp, itself or through a link: sticky, but writable by everyone.
t_refused "$T/tmp.d" "/tmp is writable by group or others"
t_refused "$H/link.d" "/tmp is writable by group or others"

# ---- at run time ----
D=$H/hooks.d
LOG=$T/runs.log
mkdir -m 755 "$D" "$H/good" "$H/bad" "$H/bad/sub"
chmod 777 "$H/bad"
# hook NAME FILE: a script that logs its name, the address and its $0.
hook()
{
	printf '#!/bin/sh\necho "%s $NLEVD_ADDRESS $0" >>%s\n' "$1" "$LOG" >"$2"
	chmod 755 "$2"
}
hook cmd "$H/cmd-hook"
hook 10 "$D/10-script"
hook 20 "$D/20-swap"
hook 30 "$T/tmp-target"
ln -s "$T/tmp-target" "$D/30-tmplink"
hook 35 "$H/bad/sub/hook"
ln -s "$H/bad/sub/hook" "$D/35-parentlink"
hook 40 "$H/good/hook"
ln -s "$H/good/hook" "$D/40-goodlink"
hook 99 "$D/99-last"
cat >"$T/nlevd.conf" <<EOF
[hooks]
plugin = exec
command = $H/cmd-hook
directory = $D
events = addr-add
startup = no
EOF
start_nlevd "$T/nlevd.conf"
veth_pair v0 v1
N=0
# event: one address; waits until the run's command and last hook ran
# (serial: the whole run is over).
event()
{
	N=$((N + 1))
	A=10.30.0.$N
	ip -n "$NS" addr add "$A/32" dev v0 || fail "addr add $A"
	wait_for "grep -q '^99 $A ' $LOG" || fail "the run for $A did not end: $(cat "$LOG")"
}
ran() { grep -q "^$1 $A " "$LOG"; }
# refused PATH REASON: logged as an error
refused()
{
	grep -qF "error: [hooks] refusing $1: $2" "$NLEVD_ERR" ||
		fail "no error refusing $1 ($2): $(grep refusing "$NLEVD_ERR")"
}

event
for h in cmd 10 20 40 99; do ran $h || fail "$h did not run for $A: $(cat "$LOG")"; done
for h in 30 35; do ! ran $h || fail "$h ran, its target is in an unsafe directory"; done
refused "$D/30-tmplink" "/tmp is writable by group or others"
refused "$D/35-parentlink" "$H/bad is writable by group or others"
# Scripts (command and directory) ran from the descriptor that was checked,
# not again by path: their $0 is that descriptor.
grep -q "^cmd $A /dev/fd/[0-9]*$" "$LOG" || fail "command script not run by descriptor: $(grep "^cmd $A" "$LOG")"
grep -q "^10 $A /dev/fd/[0-9]*$" "$LOG" || fail "hook script not run by descriptor: $(grep "^10 $A" "$LOG")"

# A hook replaced (renamed over) by a world-writable file, then by one of
# another owner, is refused at the next run; put right, it runs again.
printf '#!/bin/sh\necho "20 $NLEVD_ADDRESS unsafe" >>%s\n' "$LOG" >"$D/.new"
chmod 757 "$D/.new"
mv -f "$D/.new" "$D/20-swap"
event
! ran 20 || fail "a world-writable replacement ran"
ran 10 || fail "10 did not run"
refused "$D/20-swap" "writable by group or others"
printf '#!/bin/sh\necho "20 $NLEVD_ADDRESS nobody" >>%s\n' "$LOG" >"$D/.new"
chmod 755 "$D/.new"
chown nobody "$D/.new"
mv -f "$D/.new" "$D/20-swap"
event
! ran 20 || fail "a replacement owned by nobody ran"
refused "$D/20-swap" "owned by uid $NOBODY, not root or the hook's user"
hook 20 "$D/.new"
mv -f "$D/.new" "$D/20-swap"
event
ran 20 || fail "20 did not run once put right"

# The directory, then its parent, made group- or world-writable while the
# daemon runs: no hook of the directory runs; the command still does.
for bad in "$D:775" "$H:777"; do
	dir=${bad%:*}
	chmod "${bad#*:}" "$dir"
	N=$((N + 1))
	A=10.30.0.$N
	ip -n "$NS" addr add "$A/32" dev v0 || fail "addr add $A"
	wait_for "grep -q '^cmd $A ' $LOG" || fail "the command did not run for $A"
	refused "$D" "$dir is writable by group or others"
	chmod 755 "$dir"
	prev=$A
	event
	A=$prev
	for h in 10 20 40 99; do ! ran $h || fail "$h ran while $dir was writable"; done
done
assert_running
stop_nlevd
pass
