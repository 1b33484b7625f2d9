#!/bin/bash
# Plugin events (host->emit): a test plugin (tests/plugins/emitter.c) emits
# dns-published on each addr-add; an exec hook that selects it with
# `events` gets NLEVD_EVENT NLEVD_SOURCE NLEVD_ZONE NLEVD_NAMES NLEVD_ERROR
# and its own NLEVD_INSTANCE, and the log plugin writes it as JSON and text;
# the emitter never receives its own events; hostile values come out
# escaped in the log and intact in the environment; an oversized event is
# refused; two emitters answering each other stop at the depth bound and
# the daemon keeps working.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init emit
: "${NLEVD_TEST_EMITTER_DIR:=$_top/tests/plugins}"

# One plugin directory with the shipped plugins and the test's.
so()
{
	local f
	for f in "$2/.libs/$1.so" "$2/$1.so"; do
		[ -e "$f" ] && { echo "$f"; return 0; }
	done
	return 1
}
mkdir "$T/plugins"
for p in log exec; do
	f=$(so "$p" "$NLEVD_PLUGINS") || fail "no $p plugin in $NLEVD_PLUGINS"
	ln -s "$f" "$T/plugins/$p.so"
done
f=$(so emitter "$NLEVD_TEST_EMITTER_DIR") ||
	fail "no emitter plugin in $NLEVD_TEST_EMITTER_DIR (make check builds it)"
ln -s "$f" "$T/plugins/emitter.so"
NLEVD_PLUGINS=$T/plugins

OUT=$T/out
mkdir "$OUT"
# The hook keeps its environment as it got it (NUL-separated) and stdin.
cat >"$T/hook" <<'EOF'
#!/bin/bash
n=$(date +%s%N)-$$
cat /proc/$$/environ >"$1/.$n.env"
cat >"$1/$n.in"
mv "$1/.$n.env" "$1/$n.env"
EOF
chmod 755 "$T/hook"

# env_get FILE NAME: the value of NAME in a NUL-separated environment.
env_get()
{
	local kv
	while IFS= read -r -d '' kv; do
		if [ "${kv%%=*}" = "$2" ]; then
			printf '%s' "${kv#*=}"
			return 0
		fi
	done <"$1"
	return 1
}
# run_from SOURCE: the environment file of a hook run for SOURCE's event.
run_from()
{
	local f
	for f in "$OUT"/*.env; do
		[ -f "$f" ] && [ "$(env_get "$f" NLEVD_SOURCE)" = "$1" ] && { echo "$f"; return 0; }
	done
	return 1
}
# assert_env FILE NAME VALUE
assert_env()
{
	local got
	got=$(env_get "$1" "$2"; echo x) || true
	[ "$got" = "${3}x" ] || fail "$2 in $(basename "$1"): [${got%x}], wanted [$3]"
}

EV=$T/events.json
TXT=$T/events.txt
cat >"$T/nlevd.conf" <<EOF
[nlevd]
log_level = info

[emitter]
plugin = emitter
events = addr-add dns-published
interfaces = v0
family = ipv4
record = $T/emitter.rec

[evil]
plugin = emitter
events = addr-add
interfaces = v1
family = ipv4
hostile = yes
big = yes

[hook]
plugin = exec
events = dns-published
command = $T/hook $OUT
timeout = 5s

[json]
plugin = log
format = json
output = $EV
events = addr-add dns-published

[text]
plugin = log
format = text
output = $TXT
events = dns-published
EOF

# A typo in `events` is still a configuration error at its line.
sed 's/^events = dns-published$/events = dns-publish/' "$T/nlevd.conf" >"$T/typo.conf"
out=$("$NLEVD" -t -c "$T/typo.conf" -P "$NLEVD_PLUGINS" 2>&1) && fail "-t accepted events = dns-publish"
line=$(grep -n '^events = dns-publish$' "$T/typo.conf" | cut -d: -f1)
printf '%s\n' "$out" | matches "typo.conf:$line: .*unknown event 'dns-publish'" ||
	fail "no FILE:LINE error for an unknown event: $out"
"$NLEVD" -t -c "$T/nlevd.conf" -P "$NLEVD_PLUGINS" >/dev/null 2>&1 || fail "-t refused the config"

start_nlevd "$T/nlevd.conf"
veth_pair v0 v1

# ---- an ordinary event: env, stdin, log ----
ip -n "$NS" addr add 10.20.0.1/24 dev v0 || fail "ip addr add"
wait_for 'run_from emitter' || fail "the hook never ran for the emitter's event"
f=$(run_from emitter)
assert_env "$f" NLEVD_EVENT dns-published
assert_env "$f" NLEVD_SOURCE emitter
assert_env "$f" NLEVD_ZONE example.test.
assert_env "$f" NLEVD_NAMES 10.20.0.1
assert_env "$f" NLEVD_ERROR ""
assert_env "$f" NLEVD_INSTANCE hook
! env_get "$f" NLEVD_ADDRESSES >/dev/null || fail "NLEVD_ADDRESSES for a plugin event"
! env_get "$f" NLEVD_IFNAME >/dev/null || fail "NLEVD_IFNAME for a plugin event"
json=$(cat "${f%.env}.in")
assert_jq "$json" '.event == "dns-published" and .source == "emitter" and
	.zone == "example.test." and .names == "10.20.0.1" and .error == "" and
	(.time | test("^[0-9-]{10}T[0-9:]{8}\\.[0-9]{3}Z$")) and (has("ifname") | not)' "hook stdin"
wait_event "$EV" '.event == "dns-published" and .source == "emitter" and .names == "10.20.0.1"'
ev=$(ev_one "$EV" '.event == "dns-published" and .source == "emitter"') || fail "JSON log"
assert_jq "$ev" 'keys_unsorted == ["time", "event", "source", "zone", "names", "error"]' "JSON field order"
# (a text line in a file starts with the time)
wait_for "grep -qE '^[0-9T:.-]+Z dns-published source=emitter zone=example\.test\. names=10\.20\.0\.1 error=\"\"\$' '$TXT'" ||
	fail "text log line: $(cat "$TXT")"

# ---- hostile values; an oversized event is refused ----
ZONE=$'ev"il\nzone\x01\x1b[31m\\end'
ERROR=$'it\'s \'bad\'\r\n$(id) `x` \x7f;'
BLOB=$(printf 'x%.0s' $(seq 1 60000))
ip -n "$NS" addr add 10.20.1.1/24 dev v1 || fail "ip addr add"
wait_for 'run_from evil' || fail "the hook never ran for the hostile event"
f=$(run_from evil)
assert_env "$f" NLEVD_ZONE "$ZONE"
assert_env "$f" NLEVD_ERROR "$ERROR"
assert_env "$f" NLEVD_BLOB "$BLOB"
assert_env "$f" NLEVD_NAMES 10.20.1.1
grep -q '\[evil\] oversized emit: -22' "$NLEVD_ERR" || fail "a 70000-byte field was not refused with -EINVAL"
wait_event "$EV" '.event == "dns-published" and .source == "evil"'
ev=$(ev_one "$EV" '.source == "evil"') || fail "JSON log of the hostile event"
assert_jq "$ev" '.zone == $z and .error == $e and .blob == $b' "hostile JSON values" \
	--arg z "$ZONE" --arg e "$ERROR" --arg b "$BLOB"
# Each event one line, valid JSON, no raw control byte.
[ "$(grep -c '^' "$EV")" -eq "$(jq -c . "$EV" | wc -l)" ] || fail "$EV is not one object per line"
! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$EV" || fail "raw control bytes in the JSON log"
wait_for "grep -q 'source=evil' '$TXT'" || fail "no text line for the hostile event"
line=$(grep 'source=evil' "$TXT")
[ "$(grep -c 'source=evil' "$TXT")" -eq 1 ] || fail "the hostile event is not one text line"
printf '%s\n' "$line" | matches -F 'zone="ev\"il\x0azone\x01\x1b[31m\\end"' || fail "text zone: $line"
printf '%s\n' "$line" | matches -F "error=\"it's 'bad'\\x0d\\x0a\$(id) \`x\` \\x7f;\"" || fail "text error: $line"
! LC_ALL=C grep -q $'[\x01-\x08\x0b-\x1f\x7f]' "$TXT" || fail "raw control bytes in the text log"

# ---- the emitter gets other instances' events, never its own ----
marker v0 "$EV"
grep -q '^dns-published source=evil ' "$T/emitter.rec" || fail "the emitter did not get evil's event"
! grep -q 'source=emitter' "$T/emitter.rec" || fail "the emitter received its own event"
grep -q '^addr-add ' "$T/emitter.rec" || fail "the emitter's record has no addr-add"
stop_nlevd

# ---- two instances answering each other: bounded ----
: >"$EV"
cat >"$T/loop.conf" <<EOF
[nlevd]
log_level = info

[ping]
plugin = emitter
events = addr-add dns-published
interfaces = v0
family = ipv4
reemit = yes

[pong]
plugin = emitter
events = addr-add dns-published
interfaces = v0
family = ipv4
reemit = yes

[json]
plugin = log
format = json
output = $EV
events = addr-add dns-published
EOF
start_nlevd "$T/loop.conf"
ip -n "$NS" addr add 10.20.2.1/24 dev v0 || fail "ip addr add"
# Each addr-add starts two chains (ping's and pong's), of depths 0 .. 3.
LOOP='.event == "dns-published" and .names == "10.20.2.1"'
wait_event "$EV" "$LOOP" 8
wait_for "grep -q 'dns-published not emitted: it answers a chain of 4 plugin events' '$NLEVD_ERR'" ||
	fail "the loop was not logged"
# Still serving kernel events, and the chains are over.
marker v0 "$EV"
marker v0 "$EV"
assert_running "after a loop of plugin events"
assert_count "$EV" "$LOOP" 8 "a loop between two instances"
[ "$(jq -r 'select(.names == "10.20.2.1") | .source' "$EV" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" = "4 4 " ] ||
	fail "ping and pong should emit 4 each: $(jq -c 'select(.names == "10.20.2.1")' "$EV")"
stop_nlevd
pass
