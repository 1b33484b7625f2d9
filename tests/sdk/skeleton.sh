#!/bin/bash
# The plugin SDK: build examples/plugin-skeleton against the INSTALLED nlevd
# (nlevd-dev's header and pkg-config file), load it into the installed
# daemon and see it receive an event.  Run by .ci/run after the packages
# are installed; not part of `make check`.
TESTS_SRCDIR=$(cd "$(dirname "$0")/.." && pwd)
export TESTS_SRCDIR
NLEVD=$(command -v nlevd || echo /usr/sbin/nlevd)
PLUGDIR=$(mktemp -d)
NLEVD_PLUGINS=$PLUGDIR
export NLEVD NLEVD_PLUGINS
installed=$(pkg-config --variable=plugindir nlevd) || { echo "FAIL: no nlevd.pc installed"; exit 1; }
cp "$installed/log.so" "$PLUGDIR/"
. "$TESTS_SRCDIR/lib.sh"
test_init sdk
trap 'rm -rf "$PLUGDIR"; _cleanup' EXIT
cp -r "$TESTS_SRCDIR/../examples/plugin-skeleton" "$T/src"
make -C "$T/src" >"$T/build.out" 2>&1 || { cat "$T/build.out"; fail "the skeleton does not build"; }
nm -D "$T/src/skeleton.so" | awk '$2 ~ /^[DTBR]$/ {print $3}' >"$T/exports"
[ "$(cat "$T/exports")" = nlevd_plugin ] || fail "the skeleton exports more than nlevd_plugin: $(cat "$T/exports")"
make -C "$T/src" install PLUGINDIR="$PLUGDIR" >/dev/null || fail "make install"
cat >"$T/nlevd.conf" <<EOF
[mine]
plugin = skeleton
file = $T/events.json
EOF
"$NLEVD" -t -c "$T/nlevd.conf" -P "$PLUGDIR" || fail "nlevd -t refuses the skeleton"
start_nlevd "$T/nlevd.conf"
veth_pair v0 v1
ip -n "$NS" addr add 10.77.0.1/24 dev v0
wait_event "$T/events.json" '.event == "addr-add" and .address == "10.77.0.1"'
kill -USR1 "$NLEVD_PID"
wait_for "grep -q '\\[mine\\] [0-9]* events written' '$NLEVD_ERR'" || fail "no status from the skeleton"
stop_nlevd
pass
