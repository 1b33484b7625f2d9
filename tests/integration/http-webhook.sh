#!/bin/bash
# The http plugin's webhook protocol (issue 17) against real HTTPS servers
# (tests/http-server.py) in the test namespace: body = event posts every
# event as the log plugin's JSON (compared field by field with a log
# instance writing json), in order, with the `header` line and the
# header_file's lines; body = state PUTs the instance's sorted addresses
# once at start and at each change, only the newest waiting; 500 is
# retried with the same body, 404 dropped and the next body sent; a server
# stopped and started again gets everything that waited (state: only the
# final one); a server that never answers times out (timeout = 2s) while
# SIGUSR1 and nlevctl status answer at once and later bodies queue; a full
# queue drops the oldest (counted); nlevctl push retries at once during a
# long back-off; plain http:// works without secrets
# and -t refuses secrets over it, a bad header_file line, credentials in
# the URL; the header_file's secret is in no log, argv or nlevd's
# environment.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/http-lib.sh"
test_init http-webhook
http_require
NLEVCTL=${NLEVCTL:-$(dirname "$NLEVD")/nlevctl}
[ -x "$NLEVCTL" ] || fail "NLEVCTL=$NLEVCTL is not executable"
CTL=$T/run/control
ctl() { "$NLEVCTL" -s "$CTL" "$@"; }
ERR=$NLEVD_ERR
EV=$T/events.json

http_certs
http_start wh 8443
http_start ws 8444
http_start wq 8445
http_start plain 8080 plain
http_start wr 8446
http_script wh '{"status": 200, "body": "ok"}'
http_script ws '{"status": 204}'
http_script wq '{"hang": true}'
http_script plain '{"status": 200}'
http_script wr '[{"status": 503}, {"status": 200}]'

TOKEN="tok-$$-Hx9w-secret"
cat >"$T/headers" <<EOF
# the webhook's secret headers

Authorization: Bearer $TOKEN
X-From-File: file-value
EOF
chmod 600 "$T/headers"

cat >"$T/nlevd.conf" <<EOF
[nlevd]
control_socket = $CTL
log_level = info

; the reference: the same selection and settle as [wh]
[events]
plugin = log
format = json
output = $EV
interfaces = v0
scope = global
temporary = no
settle = 200ms

[wh]
plugin = http
protocol = webhook
url = https://127.0.0.1:8443/hook?src=nlevd
header = X-Static: static-value
header_file = $T/headers
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
timeout = 2s
retry = 1s
retry_max = 2s

[ws]
plugin = http
protocol = webhook
url = https://localhost:8444/state
method = PUT
body = state
header = X-Kind: state
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
settle = 100ms
timeout = 2s
retry = 1s
retry_max = 2s
delete_delay = 500ms

; a server that never answers and a queue of 2: the oldest are dropped
[wq]
plugin = http
protocol = webhook
url = https://127.0.0.1:8445/
events = addr-add
queue = 2
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
timeout = 10m

; a back-off of an hour: only nlevctl push gets the state out
[wr]
plugin = http
protocol = webhook
url = https://127.0.0.1:8446/
body = state
ca_file = $HTTP_PKI/ca.pem
interfaces = v0
retry = 1h
retry_max = 2h

; plain http:// without secrets is allowed
[wp]
plugin = http
protocol = webhook
url = http://127.0.0.1:8080/plain
method = PATCH
body = state
header = X-Plain: yes
interfaces = v0
settle = 100ms
delete_delay = 0s
EOF

st() { ctl status "$1" --json | jq -c '.instances[0].status'; }
st_is() { ctl status "$1" --json | jq -e ".instances[0].status | $2" >/dev/null 2>&1; }
wait_st()
{
	_wn=$1 _we=$2
	wait_for 'st_is "$_wn" "$_we"' "${3:-10}" || fail "[$1]: status never had [$2]: $(st "$1")"
}
log_mark() { MARK=$(grep -c "" "$ERR" 2>/dev/null); MARK=${MARK:-0}; }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }
log_wait()
{
	_lr=$1
	wait_for 'since_mark | matches -E -- "$_lr"' "${2:-10}" || fail "no log line matching [$1] since the mark: $(since_mark | tail -n 20)"
}
# the bodies [wh] delivered (answered 2xx), one per line
delivered() { http_requests wh '(.answer | type == "number") and .answer < 300' | jq -c '.body'; }
ndelivered() { http_count wh '(.answer | type == "number") and .answer < 300'; }
nevents() { grep -c '' "$EV" 2>/dev/null || echo 0; }
# wh_for ADDRESS: wh's requests whose body is an event for ADDRESS
wh_for() { http_requests wh '(.body | fromjson? | .address) == $a' --arg a "$1"; }
# compare_events [EXCLUDE_ADDRESS]: the delivered bodies are the log
# instance's events, in order, field by field (time apart: checked close)
compare_events()
{
	local ex=${1:-none} a b t1 t2 d
	a=$(jq -c --arg x "$ex" 'select(.address != $x) | del(.time)' "$EV") || fail "$EV is not JSON"
	b=$(delivered | jq -c 'fromjson | del(.time)') || fail "a delivered body is not JSON: $(delivered | head -n 3)"
	[ "$a" = "$b" ] || fail "webhook bodies differ from the log plugin's events:
--- log plugin (without time)
$a
--- webhook bodies (without time)
$b"
	# and byte for byte the log plugin's lines (the body is its event_json)
	# but for the time: each instance stamps the time it delivers at, and
	# two instances' settle timers may fire a millisecond apart
	a=$(grep -vF "\"address\":\"$ex\"" "$EV" | sed 's/"time":"[^"]*"/"time":"T"/')
	b=$(delivered | jq -r . | sed 's/"time":"[^"]*"/"time":"T"/')
	[ "$a" = "$b" ] || fail "webhook bodies are not byte for byte the log plugin's lines (time apart):
--- log plugin
$a
--- webhook bodies
$b"
	# the times: each within a second of the log plugin's
	while read -r t1 t2; do
		d=$(($(time_ms "$t1") - $(time_ms "$t2")))
		[ "${d#-}" -le 1000 ] || fail "event time $t1 vs body time $t2"
	done < <(paste -d ' ' <(jq -r --arg x "$ex" 'select(.address != $x) | .time' "$EV") \
		<(delivered | jq -r 'fromjson | .time'))
}
# check_wh_request JSON: what every [wh] request carries
check_wh_request()
{
	assert_jq "$1" '.method == "POST" and .path == "/hook" and .query == {"src": "nlevd"}' "wh: method and URL"
	assert_jq "$1" '.headers["content-type"] | startswith("application/json")' "wh: Content-Type"
	assert_jq "$1" '.headers["x-static"] == "static-value" and .headers["x-from-file"] == "file-value" and
		.headers.authorization == ("Bearer " + $t)' "wh: header and header_file" --arg t "$TOKEN"
	assert_jq "$1" '.headers["user-agent"] | startswith("nlevd/")' "wh: User-Agent"
}
# state_is JSON IPV4-LIST IPV6-LIST (jq arrays): a body = state request
state_is()
{
	assert_jq "$1" '.method == "PUT" and .path == "/state" and .headers["x-kind"] == "state" and
		(.headers["content-type"] | startswith("application/json"))' "ws: the request"
	assert_jq "$1" '.body | fromjson | (keys == ["instance", "ipv4", "ipv6", "time"]) and .instance == "ws" and
		(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$"))' "ws: the state's fields"
	assert_jq "$1" "(.body | fromjson | .ipv4 == $2 and .ipv6 == $3)" "ws: the state"
}
# ws_with IPV4-LIST: ws's requests whose state has exactly these IPv4s
ws_with() { http_requests ws '(.body | fromjson? | .ipv4) == $v' --argjson v "$1"; }

# ---- 0. nlevd -t: secrets never over http://, header_file lines checked ----
# check_conf NAME KEY MESSAGE: -t of $T/NAME.conf is exit 78 with MESSAGE
# on FILE:LINE of KEY
check_conf()
{
	local conf=$T/$1.conf line out rc
	line=$(grep -n "^$2 *=" "$conf" | head -n 1 | cut -d: -f1)
	out=$("$NLEVD" -t -c "$conf" -P "$NLEVD_PLUGINS" 2>&1)
	rc=$?
	[ "$rc" -eq 78 ] || fail "$1: -t exit $rc, not 78: $out"
	printf '%s\n' "$out" | grep -F "$conf:$line:" | matches -F -- "$3" ||
		fail "$1: no '$3' on $conf:$line: $out"
	note "$1: $(printf '%s\n' "$out" | grep -F "$conf:$line:" | head -n 1)"
}
printf '%s\n' "Authorization: Bearer x" "this line has no colon" >"$T/bad-headers"
chmod 600 "$T/bad-headers"
printf '%s\n' "$TOKEN" >"$T/pass"
chmod 600 "$T/pass"
printf '%s\n' "[h]" "plugin = http" "protocol = webhook" "url = http://127.0.0.1:8080/" \
	"header_file = $T/headers" >"$T/clear1.conf"
check_conf clear1 header_file "would be sent in clear over http://; use https://"
printf '%s\n' "[h]" "plugin = http" "protocol = dyndns2" "url = http://127.0.0.1:8080/" \
	"hostname = h.example.test" "username = u" "password_file = $T/pass" >"$T/clear2.conf"
check_conf clear2 password_file "would be sent in clear over http://; use https://"
printf '%s\n' "[h]" "plugin = http" "protocol = webhook" "url = https://127.0.0.1:8443/" \
	"header_file = $T/bad-headers" >"$T/badhdr.conf"
check_conf badhdr header_file "$T/bad-headers: line 2"
printf '%s\n' "[h]" "plugin = http" "protocol = webhook" "url = https://user:$TOKEN@127.0.0.1:8443/" >"$T/cred.conf"
check_conf cred url "credentials"
"$NLEVD" -t -c "$T/cred.conf" -P "$NLEVD_PLUGINS" 2>&1 | matches -F -- "$TOKEN" &&
	fail "-t repeats the password of a URL with credentials"
rm -f "$T/cred.conf"
"$NLEVD" -t -c "$T/nlevd.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>&1 || fail "-t of the test's config: $(cat "$T/t.out")"

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
log_mark
start_nlevd "$T/nlevd.conf"

# ---- 1. start-up: the initial events, the initial state ----
wait_event "$EV" '.event == "addr-add" and .address == "198.51.100.10"'
wait_event "$EV" '.event == "addr-add" and .address == "2001:db8::10"'
wait_for '[ "$(ndelivered)" -ge "$(nevents)" ]' 10 || fail "wh delivered $(ndelivered) of $(nevents) events"
compare_events
check_wh_request "$(http_last wh)"
http_wait ws 1
r=$(http_last ws)
state_is "$r" '["198.51.100.10"]' '["2001:db8::10"]'
[ "$(http_count ws)" -eq 1 ] || fail "ws sent $(http_count ws) states at start-up"
wait_st ws '.state == "idle" and .protocol == "webhook" and (.queue // 0) == 0'
wait_st wh '.state == "idle" and .metrics.updates_total.result.ok >= 1'
note "start-up: $(nevents) events delivered; first body: $(http_requests wh | head -n 1 | jq -r .body)"
# plain http://: the state arrives, PATCH, the header
http_wait plain 1
assert_jq "$(http_last plain)" '.tls == false and .method == "PATCH" and .path == "/plain" and
	.headers["x-plain"] == "yes" and (.body | fromjson | .instance == "wp" and .ipv4 == ["198.51.100.10"])' \
	"plain http://"

# push: the state that failed goes again at once, not in an hour
http_wait wr 1
wait_st wr '.state == "backoff" and ((.retry_in // "0 s") | split(" ")[0] | tonumber) >= 2800'
out=$(ctl push wr 2>&1) || fail "nlevctl push wr: $out"
http_wait wr 2 5
[ "$(http_requests wr | jq -r .body | sort -u | grep -c '')" -eq 1 ] || fail "wr: push sent another body: $(http_requests wr | jq -c .body)"
wait_st wr '.state == "idle" and .last_result == "HTTP 200"'

# ---- 2. body = state follows changes, addresses sorted ----
ip -n "$NS" addr add 198.51.100.30/24 dev v0 || fail "addr add"
ip -n "$NS" addr add 198.51.100.20/24 dev v0 || fail "addr add"
wait_for '[ -n "$(ws_with "[\"198.51.100.10\",\"198.51.100.20\",\"198.51.100.30\"]")" ]' 10 ||
	fail "ws: no state with .10 .20 .30 (sorted): $(http_requests ws | jq -c '.body')"
state_is "$(http_last ws)" '["198.51.100.10","198.51.100.20","198.51.100.30"]' '["2001:db8::10"]'
wait_event "$EV" '.event == "addr-add" and .address == "198.51.100.20"'
wait_for '[ "$(ndelivered)" -ge "$(nevents)" ]' 10 || fail "wh delivered $(ndelivered) of $(nevents) events"

# ---- 3. 500: retried with the same body ----
http_script wh '[{"status": 500, "body": "oops"}, {"status": 200}]'
log_mark
ip -n "$NS" addr add 198.51.100.40/24 dev v0 || fail "addr add"
wait_for '[ "$(wh_for 198.51.100.40 | grep -c "")" -ge 2 ]' 10 || fail "the body after 500 was not sent again: $(wh_for 198.51.100.40)"
a1=$(wh_for 198.51.100.40 | sed -n 1p)
a2=$(wh_for 198.51.100.40 | sed -n 2p)
assert_jq "$a1" '.answer == 500' "the first try"
assert_jq "$a2" '.answer == 200 and .body == $b' "the retry: the same body" --arg b "$(jq -r .body <<<"$a1")"
check_wh_request "$a2"
log_wait '\[wh\].*retrying in'
note "500 retried after $(jq -n --argjson a "$a1" --argjson b "$a2" '($b.time - $a.time) * 1000 | floor') ms"
wait_event "$EV" '.event == "addr-add" and .address == "198.51.100.40"'
wait_for '[ "$(ndelivered)" -ge "$(nevents)" ]' 10 || fail "wh delivered $(ndelivered) of $(nevents) events"
compare_events

# ---- 4. 404: dropped, not retried, the next body goes ----
http_script wh '[{"status": 404, "body": "no such hook"}, {"status": 200}]'
log_mark
ip -n "$NS" addr add 198.51.100.50/24 dev v0 || fail "addr add"
wait_for '[ -n "$(wh_for 198.51.100.50)" ]' 10 || fail "no request for .50"
wait_st wh '.metrics.updates_total.result.failed >= 1'
log_wait '\[wh\].*404'
since_mark | grep '\[wh\].*404' | matches error || fail "404 not logged at error level: $(since_mark | grep '\[wh\]')"
ip -n "$NS" addr add 198.51.100.60/24 dev v0 || fail "addr add"
wait_for '[ -n "$(wh_for 198.51.100.60)" ]' 10 || fail "no request for .60 after the 404"
[ "$(wh_for 198.51.100.50 | grep -c '')" -eq 1 ] || fail "the body answered 404 was sent again: $(wh_for 198.51.100.50)"
assert_jq "$(http_last wh)" '(.body | fromjson | .address) == "198.51.100.60" and .answer == 200' \
	"after the 404, the next body"
wait_event "$EV" '.event == "addr-add" and .address == "198.51.100.60"'
wait_for '[ "$(ndelivered)" -ge "$(($(nevents) - 1))" ]' 10 || fail "wh delivered $(ndelivered) of $(nevents) events"
compare_events 198.51.100.50

# ---- 5. the servers go away and come back: everything converges ----
# (a restarted server starts its script's list again: a plain answer)
http_script wh '{"status": 200}'
http_stop wh
http_stop ws
nws=$(http_count ws)
log_mark
ip -n "$NS" addr add 198.51.100.70/24 dev v0 || fail "addr add"
wait_event "$EV" '.event == "addr-add" and .address == "198.51.100.70"'
wait_st ws '.state == "backoff"'
log_wait '\[ws\].*retrying in'
ip -n "$NS" addr del 198.51.100.20/24 dev v0 || fail "addr del"
wait_event "$EV" '.event == "addr-del" and .address == "198.51.100.20"'
wait_st wh '.state == "backoff"'
# ws's state without .20 (delete_delay) before the servers come back, so
# the state with .20 is one that never gets sent
wait_st ws '(.desired.a | index("198.51.100.20")) == null and (.desired.a | index("198.51.100.70")) != null'
http_start wh 8443
http_start ws 8444
final='["198.51.100.10","198.51.100.30","198.51.100.40","198.51.100.50","198.51.100.60","198.51.100.70"]'
wait_for '[ -n "$(ws_with "$final")" ]' 15 || fail "ws: the final state never arrived: $(http_requests ws | jq -c '.body')"
first=$(http_requests ws | sed -n "$((nws + 1))p")
state_is "$first" "$final" '["2001:db8::10"]'
wait_st ws '.state == "idle" and (.queue // 0) == 0'
wait_for '[ "$(ndelivered)" -ge "$(($(nevents) - 1))" ]' 15 || fail "wh delivered $(ndelivered) of $(nevents) events after the restart"
compare_events 198.51.100.50
wait_st wh '.state == "idle" and .queue == 0'
note "after the restart: ws sent $(($(http_count ws) - nws)) state(s), wh caught up"

# ---- 6. a server that never answers: timeout, SIGUSR1, status, queue ----
http_script wh '{"hang": true}'
log_mark
ip -n "$NS" addr add 198.51.100.80/24 dev v0 || fail "addr add"
wait_for '[ -n "$(wh_for 198.51.100.80)" ]' 10 || fail "no request for .80"
t_req=$(now_ms)
t0=$(now_ms)
kill -USR1 "$NLEVD_PID"
wait_for 'since_mark | matches "\[wh\] plugin http"' 5 || fail "no status on SIGUSR1 while a request hangs"
dt=$(($(now_ms) - t0))
note "SIGUSR1 answered in $dt ms while the request hangs"
[ "$dt" -le 1000 ] || fail "SIGUSR1 took $dt ms while a request hangs"
t0=$(now_ms)
s=$(timeout 5 "$NLEVCTL" -s "$CTL" status wh --json) || fail "nlevctl status while a request hangs"
dt=$(($(now_ms) - t0))
note "nlevctl status answered in $dt ms while the request hangs"
[ "$dt" -le 1000 ] || fail "nlevctl status took $dt ms while a request hangs"
assert_jq "$s" '.instances[0].status.state == "sending"' "status while the request hangs"
secret_hidden "$TOKEN" "$ERR" "$T/nlevd.out" "$EV"
printf '%s\n' "$s" | matches -F -- "$TOKEN" && fail "the token is in the status"
# a second event waits behind the one in flight
ip -n "$NS" addr add 198.51.100.90/24 dev v0 || fail "addr add"
wait_event "$EV" '.event == "addr-add" and .address == "198.51.100.90"'
wait_st wh '.queue >= 1'
log_wait '\[wh\].*timed out' 10
dt=$(($(now_ms) - t_req))
note "timed out after $dt ms (timeout = 2s)"
[ "$dt" -ge 1500 ] || fail "timed out after $dt ms, before timeout = 2s"
http_script wh '{"status": 200}'
wait_for '[ -n "$(wh_for 198.51.100.90)" ]' 15 || fail "no request for .90 after the timeout"
d80=$(wh_for 198.51.100.80 | jq -c 'select(.answer == 200)')
[ -n "$d80" ] || fail "the body that timed out was not sent again: $(wh_for 198.51.100.80)"
[ "$(wh_for 198.51.100.80 | jq -r .body | sort -u | grep -c '')" -eq 1 ] || fail "the retried body changed: $(wh_for 198.51.100.80)"
assert_jq "$d80" '.n < $n' "the timed-out body before the next" --argjson n "$(wh_for 198.51.100.90 | head -n 1 | jq .n)"
wait_for '[ "$(ndelivered)" -ge "$(($(nevents) - 1))" ]' 10 || fail "wh delivered $(ndelivered) of $(nevents) events"
compare_events 198.51.100.50
check_wh_request "$(http_last wh)"

# ---- 7. [wq]: one request hung all along, a queue of 2, the oldest dropped ----
[ "$(http_count wq)" -eq 1 ] || fail "wq: $(http_count wq) requests, not the one that hangs"
wait_st wq '.state == "sending" and .queue == 2 and .metrics.queue_dropped_total >= 1'
grep -q '\[wq\].*queue full.*dropping' "$ERR" || fail "wq: no warning about the dropped events"
ctl metrics | matches -E '^nlevd_queue_dropped_total\{instance="wq"[,}].* [1-9]' ||
	fail "no nlevd_queue_dropped_total for wq: $(ctl metrics | grep wq)"
note "wq: $(st wq | jq -c '{queue, dropped: .metrics.queue_dropped_total}')"

assert_running
# stops at once with a request hanging ([wq])
stop_nlevd
secret_hidden "$TOKEN" "$ERR" "$T/nlevd.out" "$EV"
check_event_file "$EV"
pass
