#!/bin/bash
# dnsupdate against a fake server (tests/fake-dns) on the namespace's
# loopback, answering in ways a real server would not:
#   ok        signed NOERROR: accepted (the fake's TSIG is right, so what
#             follows is about the fault, not the signing)
#   unsigned  an unsigned NOERROR to a signed UPDATE: ignored, logged, the
#             update times out and is retried, not counted as done
#   wrong-id  a signed answer with another message ID: ignored likewise
#   badtime   a signed BADTIME answer from a server whose clock is off by
#             +-1000 s: a permanent error whose log line names the skew
#   tc        a UDP answer with TC set: the UPDATE goes again over TCP
#             and succeeds there
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
test_init dnsupdate-forged
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"
command -v tsig-keygen >/dev/null 2>&1 || fail "tsig-keygen (bind9) is required"

PORT=5300
K=$T/nlevd.key
tsig-keygen -a hmac-sha256 nlevd-key >"$K" || fail "tsig-keygen"
chmod 600 "$K"
FAKE_OUT=$T/fake-dns.out
_DIAG_FILES+=("$FAKE_OUT")
EV=$T/events.json
ERR=$NLEVD_ERR
FAKE_PID=

# fake_start MODE [ARG]: the fake server on 127.0.0.1#$PORT in $NS.
fake_start()
{
	local before
	before=$(grep -c 'listening on' "$FAKE_OUT" 2>/dev/null)
	echo "---- fake-dns $*" >>"$FAKE_OUT"
	ip netns exec "$NS" "$FAKE_DNS" --port "$PORT" --key "$K" "$@" >>"$FAKE_OUT" 2>&1 &
	FAKE_PID=$!
	_PIDS+=("$FAKE_PID")
	wait_for "[ \$(grep -c 'listening on' '$FAKE_OUT') -gt ${before:-0} ]" 5 ||
		fail "fake-dns $* did not start: $(tail -n 3 "$FAKE_OUT")"
	FAKE_MARK=$(grep -c '' "$FAKE_OUT")
}
fake_stop()
{
	kill -TERM "$FAKE_PID" 2>/dev/null
	wait_exit "$FAKE_PID" 5 || fail "fake-dns did not stop"
	FAKE_PID=
}
fake_since() { tail -n +"$((FAKE_MARK + 1))" "$FAKE_OUT"; }

cat >"$T/nlevd.conf" <<EOF
[events]
plugin = log
format = json
output = $EV

[dns]
plugin = dnsupdate
name = host.example.test
zone = example.test
server = 127.0.0.1:$PORT
key_file = $K
retry = 1s
retry_max = 5s
timeout = 2s
EOF

log_mark() { MARK=$(grep -c '' "$ERR" 2>/dev/null); }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }
# wait_log PATTERN [TIMEOUT_S]: a line matching PATTERN logged since the mark
wait_log()
{
	# shellcheck disable=SC2034 # read by the eval in wait_for
	WAIT_PAT=$1
	wait_for 'since_mark | grep -E -- "$WAIT_PAT"' "${2:-10}" ||
		fail "not logged within ${2:-10} s: [$1]; got: $(since_mark | grep '\[dns\]' | head -n 10)"
}
# run_nlevd: a fresh daemon (debug log) for the next case
run_nlevd()
{
	[ -n "$NLEVD_PID" ] && stop_nlevd
	log_mark
	start_nlevd "$T/nlevd.conf" -v
}
no_success() { ! since_mark | grep 'info: \[dns\] updated: ' >/dev/null; }

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
W='127\.0\.0\.1#5300'

# ---- ok: the fake's signed answers are accepted ----
fake_start ok
run_nlevd
wait_log 'info: \[dns\] updated: zone example\.test\.: 1 UPDATE message$'
fake_since | grep ' UPDATE ' | sed -n 1p | grep -E "udp: request #[0-9]+ id [0-9]+ UPDATE example\.test\., signed, MAC ok: answered NOERROR, signed" >/dev/null ||
	fail "fake-dns did not see a signed UPDATE: $(fake_since)"
since_mark | grep 'ignoring a response' >/dev/null && fail "a proper answer was ignored"
fake_stop

# ---- unsigned: ignored, times out, retried; counts once proper ----
fake_start unsigned
run_nlevd
wait_log "warning: \[dns\] ignoring a response from $W: unsigned response to a signed request\$"
wait_log "warning: \[dns\] update failed: zone [^ ]*: $W: timed out; retrying in [0-9.]+ s\$"
no_success || fail "an unsigned answer counted as success"
n=$(fake_since | grep -c 'answered NOERROR, unsigned')
[ "$n" -ge 3 ] || fail "the UPDATE was not retransmitted after an ignored answer ($n sent)"
kill -USR1 "$NLEVD_PID"
wait_log 'notice: \[dns\] .*responses_ignored [1-9][0-9]*' 5
# A retry may be in flight when the signal is handled: "reading", "updating".
kill -USR1 "$NLEVD_PID"
wait_log 'notice: \[dns\] zone example\.test\.: names host\.example\.test\.; state (failed|reading|updating); last (read|update) failed: ' 5
# The real server comes back: the next retry succeeds.
fake_stop
fake_start ok
wait_log 'info: \[dns\] updated: zone example\.test\.: 1 UPDATE message$' 10
fake_stop

# ---- wrong-id: ignored likewise ----
fake_start wrong-id
run_nlevd
wait_log "warning: \[dns\] ignoring a response from $W: wrong ID\$"
wait_log "warning: \[dns\] update failed: zone [^ ]*: $W: timed out; retrying in [0-9.]+ s\$"
no_success || fail "an answer with a wrong ID counted as success"
fake_since | grep 'answered NOERROR with a wrong ID, signed' >/dev/null || fail "fake-dns: $(fake_since)"
fake_stop

# ---- badtime: the server's clock is off; the skew is logged ----
for skew in -1000 1000; do
	fake_start badtime "$skew"
	run_nlevd
	wait_log "error: \[dns\] BADTIME: our clock differs from the server's by [-+][0-9]+ s \(fudge 300 s\)\$"
	got=$(since_mark | sed -n "s/.*error: \[dns\] BADTIME: our clock differs from the server's by \([-+][0-9]*\) s .*/\1/p" | head -n 1)
	want=$((-skew))
	note "server clock now$( ((skew > 0)) && echo +)$skew s: logged '$got s'"
	d=$((got - want))
	[ "${d#-}" -le 1 ] || fail "BADTIME skew: logged $got s, want $want s (+-1)"
	[ "${got:0:1}" = "$( ((want > 0)) && echo + || echo -)" ] || fail "BADTIME skew sign: $got"
	# Transient: NTP may set the clock moments later; back-off, not retry_max.
	wait_log "warning: \[dns\] update failed: zone [^ ]*: BADTIME: our clock differs from the server's by [-+][0-9]+ s \(fudge 300 s\); retrying in [0-9.]+ s\$"
	no_success || fail "BADTIME counted as success"
	since_mark | grep 'ignoring a response' >/dev/null &&
		fail "the signed BADTIME answer was not accepted as authentic: $(since_mark | grep ignoring)"
	fake_since | grep 'answered NOTAUTH/BADTIME, signed' >/dev/null || fail "fake-dns: $(fake_since)"
	fake_stop
done

# ---- tc: truncated over UDP, then over TCP on the same port ----
fake_start tc
run_nlevd
wait_log 'info: \[dns\] updated: zone example\.test\.: 1 UPDATE message$'
since_mark | grep "debug: \[dns\] $W: truncated, retrying over TCP\$" >/dev/null ||
	fail "no 'truncated, retrying over TCP' logged: $(since_mark | grep '\[dns\]')"
fake_since | grep ' UPDATE ' | sed -n 1p | grep -E '^fake-dns: udp: request #[0-9]+ .*: answered TC' >/dev/null || fail "fake-dns: no TC over UDP: $(fake_since)"
fake_since | grep -E '^fake-dns: tcp: request #[0-9]+ id [0-9]+ UPDATE example\.test\., signed, MAC ok: answered NOERROR, signed' >/dev/null ||
	fail "fake-dns: no signed answer over TCP: $(fake_since)"
# The next change goes out over UDP again (and is truncated again).
ip -n "$NS" addr add 198.51.100.11/32 dev v0
wait_for "[ \$(since_mark | grep -c 'info: \[dns\] updated: ') -ge 2 ]" 10 || fail "the second UPDATE failed"
[ "$(fake_since | grep -c '^fake-dns: udp: .*answered TC')" -eq 2 ] || fail "fake-dns: $(fake_since)"
[ "$(fake_since | grep -c '^fake-dns: tcp: .*answered NOERROR, signed')" -eq 2 ] || fail "fake-dns: $(fake_since)"
stop_nlevd
fake_stop

grep -F -- "$(sed -n 's/.*secret "\([^"]*\)".*/\1/p' "$K")" "$ERR" "$FAKE_OUT" >/dev/null && fail "the secret was logged"
check_event_file "$EV"

# Key files nlevd refuses at configuration time, with the reason.
for alg in hmac-md5 hmac-sha384; do
	printf 'key "k" {\n\talgorithm %s;\n\tsecret "YWFhYWFhYWFhYWFhYWFhYQ==";\n};\n' "$alg" >"$T/$alg.key"
	chmod 600 "$T/$alg.key"
	printf '[dns]\nplugin = dnsupdate\nname = h.example.test\nserver = 127.0.0.1\nkey_file = %s\n' \
		"$T/$alg.key" >"$T/$alg.conf"
	out=$("$NLEVD" -t -c "$T/$alg.conf" -P "$NLEVD_PLUGINS" 2>&1)
	rc=$?
	[ $rc -eq 78 ] || fail "-t with an $alg key: exit $rc, want 78: $out"
	printf '%s\n' "$out" | grep -F "$T/$alg.conf:5: [dns] key_file: $T/$alg.key: algorithm $alg is refused" >/dev/null ||
		fail "-t with an $alg key: no clear error: $out"
done
pass
