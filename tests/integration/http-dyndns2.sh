#!/bin/bash
# The http plugin's dyndns2 protocol (issue 17) against real HTTPS servers
# (tests/http-server.py) in the test namespace: one GET per state with both
# families (hostname=a,b&myip=..&myipv6=..), basic auth, the first address
# of each family; good and nochg are success and an unchanged state is
# never sent again; every permanent answer (the eight words, HTTP 401, 403,
# 404) blocks the instance (even a new state is not sent) until `nlevctl
# push` or SIGHUP; 911, dnserr and HTTP 429 back off at least 5 minutes
# (Retry-After if longer; checked in the status, not waited for) and hold a
# new state back; 5xx and garbage retry at `retry`; each attempt emits
# dns-published or dns-failed (zone = the URL's host); the absent-family rule
# (family = ipv4 sends myipv6=preserve; a selected family with no address
# is left out); an untrusted certificate fails before any request; a server
# that never answers times out while SIGUSR1 and nlevctl status answer at
# once; SIGHUP reads the password file again; --once exits 0 on good and
# nochg, 1 otherwise; the password is in no log, no process's argv, not in
# nlevd's environment.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/http-lib.sh"
test_init http-dyndns2
http_require
NLEVCTL=${NLEVCTL:-$(dirname "$NLEVD")/nlevctl}
[ -x "$NLEVCTL" ] || fail "NLEVCTL=$NLEVCTL is not executable"
CTL=$T/run/control
ctl() { "$NLEVCTL" -s "$CTL" "$@"; }
ERR=$NLEVD_ERR
EV=$T/events.json
PEV=$T/dns-events.json

# The servers: dd (the instance under test), probe (an instance whose
# requests prove that nlevd handled an event that dd must ignore), fam
# (family = ipv4 / ipv6 instances), bad (a certificate of another CA).
http_certs
http_start dd 8443
http_start probe 8444
http_start fam 8445
http_start bad 8446 untrusted
for s in dd probe fam bad; do http_script "$s" '{"body": "good"}'; done
http_script dd '{"body": "good 198.51.100.10\ngood 198.51.100.10"}'

PASSWORD="pw-$$-Zq7x:secret"
PASSWORD2="pw2-$$-Kd3v-secret"
printf '%s\n' "$PASSWORD" >"$T/dd.pass"
chmod 600 "$T/dd.pass"

cat >"$T/nlevd.conf" <<EOF
[nlevd]
control_socket = $CTL
log_level = info

[events]
plugin = log
format = json
output = $EV

[pev]
plugin = log
format = json
output = $PEV
events = dns-published dns-failed

[dd]
plugin = http
protocol = dyndns2
url = https://127.0.0.1:8443/
hostname = a.example.test b.example.test
username = user1
password_file = $T/dd.pass
header = X-Client: nlevd-test
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
settle = 100ms
timeout = 2s
retry = 1s
retry_max = 2s
delete_delay = 1s

[probe]
plugin = http
protocol = dyndns2
url = https://localhost:8444/probe/update
hostname = probe.example.test
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
addresses = 198.51.100.30/32 198.51.100.5/32 198.51.100.4/32
settle = 100ms
retry = 1s
retry_max = 2s

; a second probe, for after a reload
[p2]
plugin = http
protocol = dyndns2
url = https://127.0.0.1:8444/?system=dyndns
hostname = p2.example.test
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
addresses = 198.51.100.201/32
settle = 100ms

[d4]
plugin = http
protocol = dyndns2
url = https://127.0.0.1:8445
hostname = four.example.test
username = user4
password_file = $T/dd.pass
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
family = ipv4
settle = 100ms
retry = 1s
retry_max = 2s
delete_delay = 1s

[d6]
plugin = http
protocol = dyndns2
url = https://127.0.0.1:8445
hostname = six.example.test
username = user6
password_file = $T/dd.pass
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
family = ipv6
settle = 100ms
retry = 1s
retry_max = 2s
delete_delay = 1s

[du]
plugin = http
protocol = dyndns2
url = https://127.0.0.1:8446/
hostname = untrusted.example.test
username = userU
password_file = $T/dd.pass
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
settle = 100ms
timeout = 2s
retry = 1s
retry_max = 3s
EOF

# st NAME: the instance's structured status (one line)
st() { ctl status "$1" --json | jq -c '.instances[0].status'; }
# st_is NAME JQ: JQ is true of that status
st_is() { ctl status "$1" --json | jq -e ".instances[0].status | $2" >/dev/null 2>&1; }
# wait_st NAME JQ [TIMEOUT_S]: wait until st_is, or fail with the status
wait_st()
{
	_wn=$1 _we=$2
	wait_for 'st_is "$_wn" "$_we"' "${3:-10}" || fail "[$1]: status never had [$2]: $(st "$1")"
}
# retry_in as a number of seconds (0 when absent)
RETRY_S='((.retry_in // "0 s") | tostring | split(" ")[0] | tonumber)'
log_mark() { MARK=$(grep -c "" "$ERR" 2>/dev/null); MARK=${MARK:-0}; }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }
# log_wait REGEX [TIMEOUT_S]: a line since the mark matches (grep -E)
log_wait()
{
	_lr=$1
	wait_for 'since_mark | matches -E -- "$_lr"' "${2:-10}" || fail "no log line matching [$1] since the mark: $(since_mark | tail -n 20)"
}
# dd's requests: count, Nth (1-based)
ddn() { http_count dd; }
dd_req() { http_requests dd | sed -n "$1p"; }
# push NAME: nlevctl push, which prints "pushed NAME"
push()
{
	local out
	out=$(ctl push "$1" 2>&1) || fail "nlevctl push $1 failed: $out"
	[ "$out" = "pushed $1" ] || fail "nlevctl push $1 printed [$out]"
}

veth_pair v0 v1
# Address order is not insertion order: .20 comes first, .10 is the lowest.
ip -n "$NS" addr add 198.51.100.20/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 198.51.100.10/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::20/64 dev v0 nodad || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
log_mark
start_nlevd "$T/nlevd.conf"

# ---- 1. good: both families in one request, auth, the first addresses ----
http_wait dd 1
r=$(dd_req 1)
assert_jq "$r" '.method == "GET" and .path == "/nic/update" and .tls' "the first request"
assert_jq "$r" '[.query_pairs[][0]] == ["hostname", "myip", "myipv6"]' "parameters and their order"
assert_jq "$r" '.query == {"hostname": "a.example.test,b.example.test", "myip": "198.51.100.10", "myipv6": "2001:db8::10"}' \
	"the first state"
assert_jq "$r" '.user == "user1" and .password == $p' "basic auth" --arg p "$PASSWORD"
assert_jq "$r" '.headers["user-agent"] | startswith("nlevd/")' "User-Agent"
assert_jq "$r" '.headers["x-client"] == "nlevd-test"' "the header line"
wait_st dd '.state == "idle" and .last_result == "good" and .protocol == "dyndns2" and
	.published.a == ["198.51.100.10"] and .published.aaaa == ["2001:db8::10"] and
	.desired.a == ["198.51.100.10"] and .desired.aaaa == ["2001:db8::10"] and
	(.url | startswith("https://127.0.0.1:8443/nic/update"))'
st_is dd '.metrics.updates_sent_total >= 1' || fail "[dd] metrics: $(st dd)"
log_wait '\[dd\].*127\.0\.0\.1: .*a\.example\.test.*: good'
ctl metrics | matches -E '^nlevd_updates_sent_total\{instance="dd"[,}].* [1-9]' ||
	fail "no nlevd_updates_sent_total for dd: $(ctl metrics | grep dd)"

# the absent-family rule: a family the instance does not select is preserved
http_wait fam 2
r=$(http_last fam '.query.hostname == "four.example.test"')
assert_jq "$r" '.query_pairs == [["hostname", "four.example.test"], ["myip", "198.51.100.10"], ["myipv6", "preserve"]]' \
	"family = ipv4"
assert_jq "$r" '.user == "user4"' "family = ipv4: auth"
r=$(http_last fam '.query.hostname == "six.example.test"')
assert_jq "$r" '.query_pairs == [["hostname", "six.example.test"], ["myip", "preserve"], ["myipv6", "2001:db8::10"]]' \
	"family = ipv6"
# probe selects none of v0's addresses: nothing to send
wait_st probe '.state == "empty"'
# and nlevctl push has nothing to send either (a request would show as
# sending in the status the same loop answers next)
push probe
st_is probe '.state == "empty" and .metrics.updates_sent_total == 0' || fail "[probe] pushed without an address: $(st probe)"
[ "$(http_count probe)" -eq 0 ] || fail "probe sent without an address: $(http_last probe)"

# an untrusted certificate: an error naming it, no request (the handshake
# failed: the server saw the connection and the refusal)
wait_for '[ "$(http_conns bad tls-error)" -ge 1 ]' 10 || fail "no TLS handshake at the untrusted server"
log_wait '\[du\].*certificate'
since_mark | grep '\[du\].*certificate' | matches 'error' ||
	fail "the certificate failure is not logged at error level: $(since_mark | grep '\[du\]')"
wait_st du '(.last_result | tostring | startswith("TLS")) and (.error | tostring | test("certificate"))'
[ "$(http_count bad)" -eq 0 ] || fail "a request reached the untrusted server: $(http_last bad)"
note "untrusted: $(since_mark | grep -m1 '\[du\].*certificate')"
# retried at retry_max (3 s, jitter 80-120 %), not at retry
since_mark | grep '\[du\].*certificate' | sed -n 1p | matches -E 'retrying in (2\.[4-9]|3\.[0-5]|3\.6)[0-9]* s' ||
	fail "the certificate failure is not retried at retry_max: $(since_mark | grep -m1 '\[du\]')"

# ---- 2. nochg: success, and an unchanged state is not sent again ----
http_script dd '{"body": "nochg 198.51.100.20\nnochg 198.51.100.20"}'
ip -n "$NS" addr del 198.51.100.10/24 dev v0 || fail "addr del"
http_wait dd 2
assert_jq "$(dd_req 2)" '.query == {"hostname": "a.example.test,b.example.test", "myip": "198.51.100.20", "myipv6": "2001:db8::10"}' \
	"the second state"
wait_st dd '.state == "idle" and .last_result == "nochg" and .published.a == ["198.51.100.20"]'
log_wait '\[dd\].*: nochg'
# An address dd selects but that changes nothing for it (.30 is not its
# first); probe's request for it proves nlevd handled the event, and the
# status (answered by the same loop) that dd sends nothing.
ip -n "$NS" addr add 198.51.100.30/24 dev v0 || fail "addr add"
http_wait probe 1
r=$(http_last probe)
assert_jq "$r" '.path == "/probe/update" and .query_pairs == [["hostname", "probe.example.test"], ["myip", "198.51.100.30"]]' \
	"a selected family without an address is left out"
assert_jq "$r" '.user == null and (.headers.authorization == null)' "probe: no auth without username"
st_is dd '.state == "idle" and .desired.a == ["198.51.100.20"]' || fail "[dd] after .30: $(st dd)"
[ "$(ddn)" -eq 2 ] || fail "an unchanged state was sent again: $(dd_req 3)"

# ---- 3. permanent answers block until push or SIGHUP ----
n=2
want=198.51.100.20
for w in badauth '!donator' notfqdn nohost numhost abuse badagent '!yours'; do
	http_script dd "$(jq -nc --arg w "$w" '{body: ($w + "\n" + $w)}')"
	log_mark
	push dd
	n=$((n + 1))
	http_wait dd $n
	assert_jq "$(http_last dd)" '.query.myip == $a' "$w: push sends the desired state" --arg a "$want"
	wq=$(jq -nc --arg w "$w" '$w')
	wait_st dd ".state == \"blocked\" and .last_result == $wq and (.error | type == \"string\") and
		((.retry_in // null) == null)"
	_w=$w
	wait_for 'since_mark | grep -F "[dd]" | grep -F -- "$_w" | matches permanent' 10 ||
		fail "$w: no error line with 'permanent': $(since_mark | grep -F '[dd]')"
	since_mark | grep -F "[dd]" | grep -F -- "$w" | matches 'nothing is sent until a reload or nlevctl push' ||
		fail "$w: the log does not say what unblocks: $(since_mark | grep -F '[dd]')"
	if [ "$w" = badauth ]; then
		# a new state while blocked: not sent (probe proves the event
		# was handled)
		ip -n "$NS" addr add 198.51.100.5/24 dev v0 || fail "addr add"
		want=198.51.100.5
		http_wait probe 1 10 '.query.myip == "198.51.100.5"'
		st_is dd '.state == "blocked" and .desired.a == ["198.51.100.5"]' ||
			fail "[dd] blocked, after a new address: $(st dd)"
		[ "$(ddn)" -eq $n ] || fail "sent while blocked: $(http_last dd)"
	fi
	note "$w: blocked ($(st dd | jq -r '.error'))"
done
# HTTP 401 and 403 are badauth, other 4xx permanent too
for code in 401 403 404; do
	http_script dd "{\"status\": $code, \"body\": \"no\"}"
	push dd
	n=$((n + 1))
	http_wait dd $n
	wait_st dd ".state == \"blocked\" and (.last_result | tostring | test(\"$code\"))"
done
# SIGHUP unblocks: the desired state (published is still .20) goes out,
# with the password file read again
http_script dd '{"body": "good 198.51.100.5\ngood 198.51.100.5"}'
printf '%s\n' "$PASSWORD2" >"$T/dd.pass"
log_mark
kill -HUP "$NLEVD_PID"
log_wait 'notice: reloaded'
n=$((n + 1))
http_wait dd $n
assert_jq "$(http_last dd)" '.query.myip == "198.51.100.5" and .password == $p' "after SIGHUP: the new password" --arg p "$PASSWORD2"
wait_st dd '.state == "idle" and .last_result == "good" and .published.a == ["198.51.100.5"]'
# another reload, nothing changed: the published state is not sent again
# (p2's request for an address added after it proves the reload and the
# settle are done)
log_mark
kill -HUP "$NLEVD_PID"
log_wait 'notice: reloaded'
ip -n "$NS" addr add 198.51.100.201/24 dev v0 || fail "addr add"
http_wait probe 1 10 '.query.hostname == "p2.example.test"'
# (its URL's own query first, the path defaulted)
assert_jq "$(http_last probe '.query.hostname == "p2.example.test"')" '.path == "/nic/update" and
	.query_pairs == [["system", "dyndns"], ["hostname", "p2.example.test"], ["myip", "198.51.100.201"]]' \
	"a URL with a query"
st_is dd '.state == "idle" and .published.a == ["198.51.100.5"]' || fail "[dd] after a second reload: $(st dd)"
[ "$(ddn)" -eq $n ] || fail "a reload sent the unchanged state again: $(http_last dd)"

# ---- 4. transient answers ----
# 911 and dnserr: at least 5 minutes, whatever retry says, and a new state
# waits too; push goes through.
http_script dd '{"body": "911"}'
log_mark
push dd
n=$((n + 1))
http_wait dd $n
wait_st dd ".state == \"backoff\" and .last_result == \"911\" and $RETRY_S >= 290"
log_wait '\[dd\].*retrying in (29[0-9]|[3-9][0-9][0-9]|[0-9]{4,})'
note "911: retry_in $(st dd | jq -r .retry_in)"
ip -n "$NS" addr add 198.51.100.4/24 dev v0 || fail "addr add"
http_wait probe 1 10 '.query.myip == "198.51.100.4"'
st_is dd ".state == \"backoff\" and .desired.a == [\"198.51.100.4\"] and $RETRY_S >= 250" ||
	fail "[dd] a new state during 911's pause: $(st dd)"
[ "$(ddn)" -eq $n ] || fail "911 not honoured: a new state was sent at once: $(http_last dd)"
http_script dd '{"body": "dnserr\ndnserr"}'
log_mark
push dd
n=$((n + 1))
http_wait dd $n
assert_jq "$(http_last dd)" '.query.myip == "198.51.100.4"' "push after 911"
wait_st dd ".state == \"backoff\" and .last_result == \"dnserr\" and $RETRY_S >= 290"
log_wait '\[dd\].*retrying in (29[0-9]|[3-9][0-9][0-9]|[0-9]{4,})'
# 429: at least 5 minutes, or Retry-After if longer
http_script dd '{"status": 429, "body": "slow down"}'
push dd
n=$((n + 1))
http_wait dd $n
wait_st dd ".state == \"backoff\" and (.last_result | tostring | test(\"429\")) and $RETRY_S >= 290"
http_script dd '{"status": 429, "body": "slow down", "headers": {"Retry-After": "900"}}'
push dd
n=$((n + 1))
http_wait dd $n
wait_st dd ".state == \"backoff\" and $RETRY_S >= 890"
note "429 with Retry-After: 900: retry_in $(st dd | jq -r .retry_in)"
# HTTP 500, then an answer that means nothing: retried at `retry` (1 s), by
# itself, then good
for bad in '{"status": 500, "body": "oops"}' '{"body": "wat"}'; do
	http_script dd "[$bad, {\"body\": \"good\\ngood\"}]"
	log_mark
	t0=$(now_ms)
	push dd
	n=$((n + 1))
	http_wait dd $n
	log_wait '\[dd\].*retrying in [0-9.]+ ?s'
	n=$((n + 1))
	http_wait dd $n 10
	dt=$(($(now_ms) - t0))
	wait_st dd '.state == "idle" and .last_result == "good" and .published.a == ["198.51.100.4"]'
	assert_jq "$(dd_req $((n - 1)))" '.query.myip == "198.51.100.4"' "$bad: the failed request"
	assert_jq "$(http_last dd)" '.query.myip == "198.51.100.4"' "$bad: the retry"
	note "$bad: retried, good after $dt ms"
done

# ---- 5. a server that never answers: timeout; SIGUSR1 and status meanwhile;
#      the password nowhere while the request is in flight ----
http_script dd '{"hang": true}'
log_mark
push dd
n=$((n + 1))
http_wait dd $n
t_req=$(now_ms)
t0=$(now_ms)
kill -USR1 "$NLEVD_PID"
wait_for 'since_mark | matches "\[dd\] plugin http"' 5 || fail "no status on SIGUSR1 while a request hangs"
dt=$(($(now_ms) - t0))
note "SIGUSR1 answered in $dt ms while the request hangs"
[ "$dt" -le 1000 ] || fail "SIGUSR1 took $dt ms while a request hangs"
t0=$(now_ms)
s=$(timeout 5 "$NLEVCTL" -s "$CTL" status dd --json) || fail "nlevctl status while a request hangs"
dt=$(($(now_ms) - t0))
note "nlevctl status answered in $dt ms while the request hangs"
[ "$dt" -le 1000 ] || fail "nlevctl status took $dt ms while a request hangs"
assert_jq "$s" '.instances[0].status.state == "sending"' "status while the request hangs"
for p in "$PASSWORD" "$PASSWORD2"; do secret_hidden "$p" "$ERR" "$T/nlevd.out" "$EV" "$PEV"; done
printf '%s\n' "$s" | matches -F -- "$PASSWORD" && fail "the password is in the status"
ctl metrics | matches -F -- "$PASSWORD" && fail "the password is in the metrics"
log_wait '\[dd\].*timed out' 10
dt=$(($(now_ms) - t_req))
note "timed out after $dt ms (timeout = 2s)"
[ "$dt" -ge 1500 ] || fail "timed out after $dt ms, before timeout = 2s"
wait_st dd '.state == "backoff" or .state == "sending"'
# the server answers again: the retry gets through
http_script dd '{"body": "good\ngood"}'
n=$((n + 1))
http_wait dd $n 10
wait_st dd '.state == "idle" and .last_result == "good"'

# ---- 6. IPv6 gone: after delete_delay the family is left out ----
log_mark
t0=$(now_ms)
ip -n "$NS" -6 addr flush dev v0 scope global || fail "addr flush"
n=$((n + 1))
http_wait dd $n 10
dt=$(($(now_ms) - t0))
r=$(http_last dd)
assert_jq "$r" '.query_pairs == [["hostname", "a.example.test,b.example.test"], ["myip", "198.51.100.4"]]' \
	"no IPv6 address: myipv6 left out"
note "myipv6 left out $dt ms after the last IPv6 address went (delete_delay = 1s)"
[ "$dt" -ge 800 ] || fail "the IPv6 address was dropped after $dt ms, before delete_delay = 1s"
# family = ipv6 with no address: nothing to send
wait_st d6 '.state == "empty"'
c6=$(http_count fam '.query.hostname == "six.example.test"')
[ "$c6" -eq 1 ] || fail "d6 sent without an address: $(http_last fam '.query.hostname == "six.example.test"')"

assert_running
stop_nlevd
for p in "$PASSWORD" "$PASSWORD2"; do secret_hidden "$p" "$ERR" "$T/nlevd.out" "$EV" "$PEV"; done
check_event_file "$EV"

# the events each attempt emitted
wait_event "$PEV" '.event == "dns-published" and .source == "dd" and .zone == "127.0.0.1" and
	.names == "a.example.test b.example.test"'
wait_event "$PEV" '.event == "dns-failed" and .source == "dd" and (.error | test("badauth"))'
wait_event "$PEV" '.event == "dns-failed" and .source == "du" and (.error | test("certificate"))'
wait_event "$PEV" '.event == "dns-published" and .source == "probe" and .zone == "localhost"'
np=$(ev_count "$PEV" '.event == "dns-published" and .source == "dd"')
nf=$(ev_count "$PEV" '.event == "dns-failed" and .source == "dd"')
[ $((np + nf)) -eq "$n" ] || fail "[dd]: $n requests but $np dns-published and $nf dns-failed"
# every one with time, zone, names and error (empty on success)
[ "$(jq -c 'select((.time | type) == "string" and (.zone | type) == "string" and
	(.names | type) == "string" and (.error | type) == "string")' "$PEV" | grep -c '')" -eq "$(grep -c '' "$PEV")" ] ||
	fail "dns-events.json: an event without time, zone, names or error"

# ---- 7. --once: the current state, exit 0 on good/nochg, 1 otherwise ----
printf '%s\n' "[nlevd]" "control_socket = none" "" "[o]" "plugin = http" "protocol = dyndns2" \
	"url = https://127.0.0.1:8443/" "hostname = once.example.test" "username = user1" \
	"password_file = $T/dd.pass" "ca_file = $HTTP_PKI/ca.pem" "interfaces = v0" \
	"timeout = 2s" "retry = 1s" "retry_max = 2s" >"$T/once.conf"
for w in good nochg badauth 911; do
	http_script dd "{\"body\": \"$w\"}"
	c0=$(http_count dd '.query.hostname == "once.example.test"')
	ip netns exec "$NS" timeout 20 "$NLEVD" --once -c "$T/once.conf" -P "$NLEVD_PLUGINS" >>"$T/once.err" 2>&1
	rc=$?
	case $w in good | nochg) want=0 ;; *) want=1 ;; esac
	[ "$rc" -eq "$want" ] || fail "--once answered $w: exit $rc, not $want: $(tail -n 5 "$T/once.err")"
	[ "$(http_count dd '.query.hostname == "once.example.test"')" -eq $((c0 + 1)) ] ||
		fail "--once ($w): not exactly one request"
	assert_jq "$(http_last dd)" '.query_pairs == [["hostname", "once.example.test"], ["myip", "198.51.100.4"]]' \
		"--once ($w): the current state"
done
secret_hidden "$PASSWORD2" "$T/once.err"
pass
