#!/bin/bash
# SIGHUP: a bad configuration is refused (FILE:LINE logged, the old one keeps
# running); a good one takes effect; an unchanged instance is kept and
# reopens its file.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init reload

CONF=$T/nlevd.conf
AV=$T/a.json   # unchanged throughout
BV=$T/b.json   # its events change
CV=$T/c.json   # added by the reload
DV=$T/d.json   # removed by the reload

instance_a()
{
	cat <<EOF
[a]
plugin = log
format = json
output = $AV
EOF
}

{
	echo "[nlevd]"
	echo "log_level = info"
	echo
	instance_a
	cat <<EOF

[b]
plugin = log
format = json
output = $BV
events = addr-add

[d]
plugin = log
format = json
output = $DV
EOF
} >"$CONF"

start_nlevd "$CONF"
veth_pair v0 v1
wait_event "$AV" '.event == "link-up" and .ifname == "v0"'
# Link-local addresses, once DAD is done, would be events in the middle.
wait_for no_tentative 40 || fail "addresses still tentative after 40 s"
ip -n "$NS" addr add 10.6.0.1/24 dev v0 || fail "addr add"
wait_event "$AV" '.event == "addr-add" and .address == "10.6.0.1"'
wait_event "$BV" '.event == "addr-add" and .address == "10.6.0.1"'
wait_event "$DV" '.event == "addr-add" and .address == "10.6.0.1"'

# hup_and_wait PATTERN: SIGHUP, then wait for PATTERN in stderr (new lines).
hup_and_wait()
{
	local before
	before=$(grep -c "$1" "$NLEVD_ERR")
	kill -HUP "$NLEVD_PID" || fail "kill -HUP"
	wait_for "[ \$(grep -c '$1' '$NLEVD_ERR') -gt $before ]" 10 ||
		fail "no '$1' in stderr after SIGHUP"
}

# ---- a bad configuration: an unknown key on line 8 ----
cp "$CONF" "$T/good.conf"
{
	echo "[nlevd]"
	echo "log_level = info"
	echo
	instance_a
	echo "no_such_key = 1"
	echo
	echo "[e]"
	echo "plugin = log"
	echo "format = json"
	echo "output = $T/e.json"
} >"$CONF"
[ "$(grep -n no_such_key "$CONF" | cut -d: -f1)" = 8 ] || fail "test bug: the bad key is not on line 8"
hup_and_wait 'reload failed'
assert_running "after a bad reload"
grep -q "error: $CONF:8: .*no_such_key" "$NLEVD_ERR" || fail "the error does not name $CONF:8: and the key"
grep 'reload failed' "$NLEVD_ERR" | tail -n 1 | grep 'old configuration stays' >/dev/null ||
	fail "no 'old configuration stays' after the failed reload"

# ---- a bad configuration: a syntax error and a bad value ----
{
	echo "[nlevd]"
	echo "log_level = loud"
	echo "[b"
	instance_a
} >"$CONF"
hup_and_wait 'reload failed'
assert_running "after a bad reload"
grep -q "$CONF:2: .*log_level" "$NLEVD_ERR" || fail "the bad log_level is not reported at $CONF:2"
grep -q "$CONF:3: " "$NLEVD_ERR" || fail "the bad section header is not reported at $CONF:3"

# ---- a bad configuration: a plugin that cannot be loaded ----
{
	cat "$T/good.conf"
	echo
	echo "[x]"
	echo "plugin = no_such_plugin"
} >"$CONF"
line=$(grep -n no_such_plugin "$CONF" | cut -d: -f1)
# logrotate moves the file and sends HUP whatever the config holds: a
# refused reload still reopens the running instances' files.
mv "$DV" "$DV.rotated"
hup_and_wait 'reload failed'
assert_running "after a bad reload"
wait_for "[ -e '$DV' ]" || fail "a refused reload did not reopen [d]'s log file"
grep -q "$CONF:$line: .*no_such_plugin" "$NLEVD_ERR" || fail "the unknown plugin is not reported at $CONF:$line"

# ---- the old configuration still works, all of it ----
ip -n "$NS" addr add 10.6.0.2/24 dev v0 || fail "addr add"
wait_event "$AV" '.event == "addr-add" and .address == "10.6.0.2"'
wait_event "$BV" '.event == "addr-add" and .address == "10.6.0.2"'
wait_event "$DV" '.event == "addr-add" and .address == "10.6.0.2"'
ip -n "$NS" addr del 10.6.0.2/24 dev v0 || fail "addr del"
wait_event "$AV" '.event == "addr-del" and .address == "10.6.0.2"'
marker v0 "$AV" "$BV" "$DV"
assert_count "$DV.rotated" '.address == "10.6.0.2"' 0 "[d] wrote to the rotated file"
assert_count "$BV" '.event != "addr-add"' 0 "[b] still has its old events filter"
[ -e "$T/e.json" ] && fail "an instance of a refused configuration ran"

# ---- a good configuration: [a] unchanged, [b] changed, [c] new, [d] gone ----
mv "$AV" "$T/a.json.1"
{
	echo "[nlevd]"
	echo "log_level = info"
	echo
	instance_a
	cat <<EOF

[b]
plugin = log
format = json
output = $BV
events = addr-del

[c]
plugin = log
format = json
output = $CV
family = ipv4
EOF
} >"$CONF"
$NLEVD -t -c "$CONF" -P "$NLEVD_PLUGINS" >/dev/null 2>&1 || fail "test bug: the new configuration does not check"
hup_and_wait 'reloaded'
assert_running "after a good reload"
# [a] reopened its file: the old one was moved away, a new one is created.
wait_for "[ -f '$AV' ]" 5 || fail "[a] did not reopen $AV on SIGHUP"
# [c] is new: it gets the current state, as initial events.
wait_event "$CV" '.event == "addr-add" and .address == "10.6.0.1" and .initial'

ip -n "$NS" addr add 10.6.3.1/24 dev v0 || fail "addr add"
ip -n "$NS" addr del 10.6.0.1/24 dev v0 || fail "addr del"
wait_event "$AV" '.event == "addr-del" and .address == "10.6.0.1"'
wait_event "$BV" '.event == "addr-del" and .address == "10.6.0.1"'
wait_event "$CV" '.event == "addr-del" and .address == "10.6.0.1"'
marker v0 "$AV" "$CV"
mark2=$MARKER
# [a]: kept, so no replay of the state; new events in the new file only.
assert_count "$AV" '.initial' 0 "[a] was kept, not restarted (no replay)"
assert_count "$AV" '.event == "addr-add" and .address == "10.6.3.1"' 1 "[a] logs to the reopened file"
assert_count "$T/a.json.1" '.address == "10.6.3.1" or .address == $m' 0 "[a] stopped writing the old file" \
	--arg m "$mark2"
# [b]: now addr-del only.
assert_count "$BV" '.event == "addr-add" and .address == "10.6.3.1"' 0 "[b] has its new events filter"
assert_count "$BV" '.event == "addr-del"' 1 "[b] logged the addr-del"
# [c]: family = ipv4, startup.
assert_count "$CV" '.family == "ipv6"' 0 "[c] family = ipv4"
assert_count "$CV" '.event == "addr-add" and .address == "10.6.3.1" and (.initial | not)' 1 "[c] live events"
# [d]: gone.
assert_count "$DV" '.address == "10.6.3.1" or .address == $m' 0 "[d] was removed" --arg m "$mark2"

# ---- HUP with the same configuration: everything kept, files reopened ----
mv "$AV" "$T/a.json.2"
mv "$CV" "$T/c.json.2"
hup_and_wait 'reloaded'
marker v0 "$AV" "$CV"
assert_count "$CV" '.initial' 0 "[c] unchanged: kept, not restarted"
assert_count "$AV" '.' 1 "[a] only the marker in its new file"

for f in "$T"/a.json* "$BV" "$T"/c.json* "$DV"; do
	check_event_file "$f"
done
assert_running
stop_nlevd
pass
