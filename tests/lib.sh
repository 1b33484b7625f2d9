# shellcheck shell=bash
# Shared helpers for nlevd's integration tests (tests/integration/*.sh).
#
# A test sources this file, then calls `test_init NAME`, which checks the
# prerequisites, makes a temp dir ($T) and a network namespace ($NS) with lo
# up, and installs an EXIT trap that kills every nlevd the test started and
# removes the namespace(s) and $T, whatever happens.
#
# Environment (set by `make check`; defaulted from this file's location when
# a test is run by hand):
#   NLEVD           the daemon              (default: ../nlevd)
#   NLEVD_PLUGINS   directory with log.la   (default: ../plugins)
#   NLEVD_KINIT     the Kerberos helper     (default: ../nlevd-kinit)
#   TESTS_SRCDIR    this directory
#   CI=true         lacking root is a failure instead of a skip
#   NLEVD_TEST_TIMEOUT_FACTOR  multiply every timeout (slow machines)
# and exports NLEVD_CONTROL_SOCKET (the daemon's default control socket):
# $T/ctl/control, and $T/ctl/control.N for the Nth start_nlevd; and
# RUNTIME_DIRECTORY=$T/runtime (0700, made by test_init: the Kerberos caches).
#
# Exit status: 0 pass, 1 fail, 77 skip (only: not root and CI is not "true").

set -u
set -o pipefail

_lib_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${TESTS_SRCDIR:=$_lib_dir}"
_top=$(cd "$TESTS_SRCDIR/.." && pwd)
: "${NLEVD:=$_top/nlevd}"
: "${NLEVD_PLUGINS:=$_top/plugins}"
# The Kerberos helper of auth = gss-tsig, from the build tree.
: "${NLEVD_KINIT:=$_top/nlevd-kinit}"
export NLEVD NLEVD_PLUGINS NLEVD_KINIT TESTS_SRCDIR
: "${NLEVD_TEST_TIMEOUT_FACTOR:=1}"

TEST_NAME=$(basename "$0" .sh)
T=
NS=
NLEVD_PID=
NLEVD_ERR=
_NAMESPACES=()
_PIDS=()
_DIAG_FILES=()
_MARK_N=0
_CTL_N=0

# ---- messages ----

note() { printf '# %s\n' "$*"; }

diagnostics()
{
	echo "---- diagnostics for $TEST_NAME ----"
	local f
	if [ -n "$T" ] && [ -d "$T" ]; then
		for f in "$T"/*.json "$T"/*.err "$T"/*.out "${_DIAG_FILES[@]}"; do
			[ -f "$f" ] || continue
			echo "---- $f ($(wc -l <"$f") lines) ----"
			tail -n 200 "$f"
		done
	fi
	for f in "${_NAMESPACES[@]}"; do
		echo "---- ip addr in namespace $f ----"
		ip -n "$f" addr show 2>&1 | head -n 100
	done
	echo "---- end of diagnostics ----"
}

# matches GREP-ARGS...: "grep -q" for the right-hand side of a pipeline.
# grep -q exits at its first match; a writer with more to write then dies
# of SIGPIPE, and pipefail makes the whole pipeline fail although the line
# was there (nlevctl metrics under ASan, a long log).  This reads it all.
matches() { grep "$@" >/dev/null; }

_DIAG_DONE=
fail()
{
	echo "FAIL: $TEST_NAME: $*" >&2
	if [ -z "$_DIAG_DONE" ]; then
		_DIAG_DONE=1
		diagnostics >&2
	fi
	exit 1
}

pass()
{
	echo "PASS: $TEST_NAME${1:+: $*}"
	exit 0
}

# ---- prerequisites ----

require_root()
{
	if [ "$(id -u)" -ne 0 ]; then
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $TEST_NAME: must run as root in CI (network namespaces)"
			exit 1
		fi
		echo "SKIP: $TEST_NAME: needs root (network namespaces)"
		exit 77
	fi
}

require_tools()
{
	local t
	for t in ip jq mktemp; do
		command -v "$t" >/dev/null 2>&1 || {
			echo "FAIL: $TEST_NAME: '$t' is required"
			exit 1
		}
	done
	[ -x "$NLEVD" ] || { echo "FAIL: $TEST_NAME: NLEVD=$NLEVD is not executable"; exit 1; }
	[ -e "$NLEVD_PLUGINS/log.la" ] || [ -e "$NLEVD_PLUGINS/log.so" ] || {
		echo "FAIL: $TEST_NAME: no log plugin in NLEVD_PLUGINS=$NLEVD_PLUGINS"
		exit 1
	}
	# -P wants an absolute path.
	NLEVD_PLUGINS=$(cd "$NLEVD_PLUGINS" && pwd)
}

# ---- set-up and clean-up ----

_cleanup()
{
	local rc=$? pid ns i
	set +e
	trap - EXIT INT TERM HUP
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 77 ] && [ -z "$_DIAG_DONE" ]; then
		_DIAG_DONE=1
		echo "FAIL: $TEST_NAME: exited with status $rc" >&2
		diagnostics >&2
	fi
	for pid in "${_PIDS[@]}"; do
		if kill -0 "$pid" 2>/dev/null; then
			kill -CONT "$pid" 2>/dev/null
			kill -TERM "$pid" 2>/dev/null
		fi
	done
	for pid in "${_PIDS[@]}"; do
		for ((i = 0; i < 30; i++)); do
			pid_running "$pid" || break
			sleep 0.1
		done
		pid_running "$pid" && kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	for ns in "${_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$T" ] && rm -rf "$T"
	exit "$rc"
}

# new_netns SUFFIX: create namespace nlevd-test-PID-SUFFIX with lo up; prints
# its name.  Removed by the EXIT trap.
new_netns()
{
	local ns="nlevd-test-$$-$1"
	ip netns add "$ns" || fail "cannot create network namespace $ns"
	_NAMESPACES+=("$ns")
	ip -n "$ns" link set lo up || fail "cannot bring lo up in $ns"
	REPLY=$ns
}

# test_init NAME: prerequisites, $T, $NS, traps.
test_init()
{
	require_root
	require_tools
	trap _cleanup EXIT
	trap 'exit 1' INT TERM HUP
	T=$(mktemp -d "${TMPDIR:-/tmp}/nlevd-test-$1.XXXXXX") || fail "mktemp"
	chmod 755 "$T"
	new_netns "$1"
	NS=$REPLY
	NLEVD_ERR=$T/nlevd.err
	# A control socket of the test's own (the default, /run/nlevd/control,
	# is one per machine): daemons of other tests never collide on it.  In
	# a directory of its own, which stays 0755 whatever a test does to $T
	# (nlevd refuses a socket directory that others may write to).
	mkdir -m 755 "$T/ctl" || fail "mkdir $T/ctl"
	NLEVD_CONTROL_SOCKET=$T/ctl/control
	export NLEVD_CONTROL_SOCKET
	# The runtime directory systemd would give (RuntimeDirectory=): the
	# DNS plugins' Kerberos caches go there, not to the host's /run/nlevd.
	mkdir -m 700 "$T/runtime" || fail "mkdir $T/runtime"
	RUNTIME_DIRECTORY=$T/runtime
	export RUNTIME_DIRECTORY
	note "namespace $NS, temp dir $T, daemon $NLEVD"
}

# Run a command in the test namespace.
nsx() { ip netns exec "$NS" "$@"; }

# ---- timing ----

# Seconds, scaled by NLEVD_TEST_TIMEOUT_FACTOR.
_scaled() { echo $(($1 * NLEVD_TEST_TIMEOUT_FACTOR)); }

# wait_for 'COMMAND' [TIMEOUT_S]: poll COMMAND (eval'd) every 0.1 s until it
# succeeds; returns 1 after TIMEOUT_S (default 10) seconds.
wait_for()
{
	local cond=$1 timeout
	timeout=$(_scaled "${2:-10}")
	local deadline=$((SECONDS + timeout))
	while :; do
		eval "$cond" >/dev/null 2>&1 && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.1
	done
	eval "$cond" >/dev/null 2>&1
}

# Milliseconds since the epoch (the clock the daemon's "time" uses).
now_ms() { date +%s%3N; }

# RFC 3339 UTC with milliseconds -> milliseconds since the epoch.
time_ms()
{
	local t=$1 s
	s=$(date -u -d "${t%%.*}Z" +%s) || return 1
	local ms=${t#*.}
	ms=${ms%Z}
	echo $((s * 1000 + 10#$ms))
}

# ---- processes ----

# A child that exited but was not reaped still answers kill -0: look at
# its state.
pid_running()
{
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# wait_exit PID TIMEOUT_S: wait for a child to exit; sets EXIT_STATUS and
# returns 0, or returns 1 if it still runs after TIMEOUT_S.
EXIT_STATUS=
wait_exit()
{
	local pid=$1 deadline
	deadline=$(($(now_ms) + $(_scaled "$2") * 1000))
	while pid_running "$pid"; do
		[ "$(now_ms)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
	wait "$pid"
	EXIT_STATUS=$?
	return 0
}

# start_nlevd CONF [ARGS...]: run the daemon in the foreground in $NS, stderr
# appended to $NLEVD_ERR; waits until it reports "started".
_started_count()
{
	local n
	n=$(grep -c 'started:' "$NLEVD_ERR" 2>/dev/null)
	echo "${n:-0}"
}

start_nlevd()
{
	local conf=$1
	shift
	local before n
	before=$(_started_count)
	note "starting: ip netns exec $NS $NLEVD -f -c $conf -P $NLEVD_PLUGINS $*"
	# Each daemon its own socket: a test may run two at once.
	_CTL_N=$((_CTL_N + 1))
	NLEVD_CONTROL_SOCKET=$T/ctl/control.$_CTL_N ip netns exec "$NS" "$NLEVD" -f -c "$conf" \
		-P "$NLEVD_PLUGINS" "$@" >>"$T/nlevd.out" 2>>"$NLEVD_ERR" &
	NLEVD_PID=$!
	_PIDS+=("$NLEVD_PID")
	local deadline=$((SECONDS + $(_scaled 10)))
	# The daemon creates its log through the redirection above, maybe
	# after this loop first looks: a missing file counts 0, not an error
	# that would end the wait at once.
	while n=$(_started_count) && [ "$n" -le "$before" ]; do
		pid_running "$NLEVD_PID" || fail "nlevd exited during start-up"
		[ "$SECONDS" -ge "$deadline" ] && fail "nlevd did not report 'started' within 10 s"
		sleep 0.05
	done
}

# stop_nlevd: TERM, must exit with status 0 within 5 s.
stop_nlevd()
{
	[ -n "$NLEVD_PID" ] || return 0
	kill -TERM "$NLEVD_PID" 2>/dev/null || fail "nlevd (pid $NLEVD_PID) is not running"
	wait_exit "$NLEVD_PID" 5 || fail "nlevd did not stop within 5 s of SIGTERM"
	[ "$EXIT_STATUS" -eq 0 ] || fail "nlevd exited with status $EXIT_STATUS after SIGTERM"
	NLEVD_PID=
}

assert_running()
{
	pid_running "$NLEVD_PID" || fail "nlevd is not running any more${1:+ ($*)}"
}

# ---- event files (one JSON object per line) ----

# ev_select FILE FILTER [JQ ARGS...]: the matching events, one per line.
# Reading a line the daemon is still writing is harmless: polling retries.
ev_select()
{
	local file=$1 filter=$2
	shift 2
	[ -f "$file" ] || return 0
	jq -c "$@" "select($filter)" "$file" 2>/dev/null
}

# ev_count FILE FILTER [JQ ARGS...]: how many events match.
ev_count()
{
	local n
	n=$(ev_select "$@" | wc -l)
	echo $((n))
}

# wait_event FILE FILTER [N [TIMEOUT_S [JQ ARGS...]]]: wait until at least
# N (default 1) events match FILTER; fails the test otherwise.
wait_event()
{
	local file=$1 filter=$2 n=${3:-1} timeout=${4:-10}
	shift $(($# < 4 ? $# : 4))
	local deadline=$((SECONDS + $(_scaled "$timeout"))) c
	while :; do
		c=$(ev_count "$file" "$filter" "$@")
		[ "$c" -ge "$n" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		[ -z "$NLEVD_PID" ] || pid_running "$NLEVD_PID" || fail "nlevd died while waiting for $filter"
		sleep 0.1
	done
	fail "timeout (${timeout}s): wanted $n event(s) matching [$filter] in $(basename "$file"), got $c"
}

# assert_count FILE FILTER N MESSAGE [JQ ARGS...]
assert_count()
{
	local file=$1 filter=$2 n=$3 msg=$4 c
	shift 4
	c=$(ev_count "$file" "$filter" "$@")
	[ "$c" -eq "$n" ] || fail "$msg: wanted exactly $n event(s) matching [$filter] in $(basename "$file"), got $c"
}

# ev_one FILE FILTER [JQ ARGS...]: print the one matching event; returns 1
# (with a message) unless exactly one matches.  Use: ev=$(ev_one ...) || fail
ev_one()
{
	local file=$1 filter=$2 out c
	shift 2
	out=$(ev_select "$file" "$filter" "$@")
	c=$(printf '%s' "$out" | grep -c '^')
	if [ "$c" -ne 1 ]; then
		echo "wanted one event matching [$filter] in $(basename "$file"), got $c" >&2
		return 1
	fi
	printf '%s\n' "$out"
}

# assert_jq JSON EXPR MESSAGE [JQ ARGS...]: EXPR must be true for JSON.
assert_jq()
{
	local json=$1 expr=$2 msg=$3
	shift 3
	printf '%s\n' "$json" | jq -e "$@" "$expr" >/dev/null 2>&1 ||
		fail "$msg: [$expr] is not true for $json"
}

# check_event_file FILE: every line is one JSON object with the fields every
# event has, and a "time" in RFC 3339 UTC with milliseconds.
check_event_file()
{
	local file=$1 lines objs bad snap
	[ -f "$file" ] || fail "$(basename "$file") was not written"
	# One snapshot for both counts: the daemon may append an event (a
	# late link-local address) between them.
	snap=$(mktemp "$T/check.XXXXXX")
	cat "$file" >"$snap"
	lines=$(grep -c '^' "$snap")
	objs=$(jq -c . "$snap" | wc -l) || fail "$(basename "$file") is not valid JSON"
	[ "$lines" -eq "$objs" ] || fail "$(basename "$file"): $lines lines but $objs JSON values"
	bad=$(jq -c 'select((type != "object") or
		(.time | type != "string" or (test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$") | not)) or
		(.event | type != "string") or (.ifname | type != "string") or
		(.ifindex | type != "number") or (.initial | type != "boolean"))' "$snap" | head -n 3)
	rm -f "$snap"
	[ -z "$bad" ] || fail "$(basename "$file"): malformed event(s): $bad"
}

# ---- the network ----

# ifindex DEV [NS]
ifindex()
{
	ip -n "${2:-$NS}" -j link show dev "$1" | jq -r '.[0].ifindex'
}

# veth_pair A B: a veth pair in $NS, both ends up.
veth_pair()
{
	ip -n "$NS" link add "$1" type veth peer name "$2" || fail "cannot create veth $1/$2"
	ip -n "$NS" link set "$1" up || fail "cannot set $1 up"
	ip -n "$NS" link set "$2" up || fail "cannot set $2 up"
}

# no_tentative [NS]: no IPv6 address in the namespace is still in DAD.
no_tentative()
{
	[ -z "$(ip -n "${1:-$NS}" -6 addr show tentative 2>/dev/null)" ]
}

# marker DEV FILE...: add a fresh marker address (198.18.x.y/32) to DEV and
# wait until every FILE logged its addr-add.  Whatever happened before the
# marker change has been processed once it shows up.  Sets MARKER.
marker()
{
	local dev=$1 f
	shift
	_MARK_N=$((_MARK_N + 1))
	MARKER=198.18.$((_MARK_N / 250)).$((_MARK_N % 250 + 1))
	ip -n "$NS" addr add "$MARKER/32" dev "$dev" || fail "cannot add marker $MARKER"
	for f in "$@"; do
		wait_event "$f" '.event == "addr-add" and .address == $m' 1 10 --arg m "$MARKER"
	done
}

# safe_dir NAME: a new directory that only root can change, it and every
# directory above it (the exec plugin refuses hooks anywhere under /tmp);
# sets REPLY to its path.  Removed by the EXIT trap.
_SAFE_DIRS=()
safe_dir()
{
	local d
	d=$(mktemp -d "/run/nlevd-test-$1.XXXXXX") || fail "cannot make a directory in /run"
	chmod 755 "$d"
	_SAFE_DIRS+=("$d")
	trap _safe_dir_cleanup EXIT
	REPLY=$d
}
_safe_dir_cleanup()
{
	local rc=$?
	rm -rf "${_SAFE_DIRS[@]}"
	(exit "$rc")
	_cleanup
}
