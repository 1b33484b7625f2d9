#!/bin/bash
# nlevctl push against BIND (issue 15): a record deleted by hand behind the
# dnsupdate instance's back (verify = 0: nothing else would read the zone
# again) is put back by `nlevctl push`, a new UPDATE moving the SOA serial,
# and by `nlevctl push dns` likewise; the push shows in metrics
# (nlevd_updates_total) and status (the instance's structured status and
# lines); an unknown instance is exit 1.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init ctl-push
dns_require named dig nsupdate tsig-keygen
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
NLEVCTL=${NLEVCTL:-$(dirname "$NLEVD")/nlevctl}
[ -x "$NLEVCTL" ] || fail "NLEVCTL=$NLEVCTL is not executable"
CTL=$T/run/control
ctl() { "$NLEVCTL" -s "$CTL" "$@"; }

D=$T/server
start_named "$D"
EV=$T/events.json
cat >"$T/nlevd.conf" <<EOF
[nlevd]
control_socket = $CTL
log_level = info

[events]
plugin = log
format = json
output = $EV

[dns]
plugin = dnsupdate
name = host.example.test
zone = example.test
server = 127.0.0.1
key_file = $D/nlevd.key
verify = 0
retry = 1s
retry_max = 5s
timeout = 2s
EOF

# updates_ok: nlevd_updates_total{instance="dns",...,result="ok"}
updates_ok()
{
	ctl metrics | awk '/^nlevd_updates_total\{/ && /instance="dns"/ && /result="ok"/ { print $2 }'
}

veth_pair v0 v1
ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
start_nlevd "$T/nlevd.conf"
wait_records host.example.test A 198.51.100.10
wait_for "[ \"\$(updates_ok)\" -ge 1 ]" || fail "no ok update in the metrics: $(ctl metrics)"
ctl status dns --json | jq -e '.instances | length == 1 and .[0].plugin == "dnsupdate" and
	(.[0].status | type) == "object" and (.[0].lines | length) >= 1' >/dev/null ||
	fail "status dns: $(ctl status dns --json)"
ctl status dns --json | jq -e '.instances[0].status |
	(.names[0] | .name == "host.example.test." and .desired.a == ["198.51.100.10"] and
	 .published.a == ["198.51.100.10"]) and
	(.zones[0] | .zone == "example.test." and .state == "published" and .last == "ok")' >/dev/null ||
	fail "status dns: $(ctl status dns --json | jq -c '.instances[0].status')"
# the table: per name desired and published, per zone state and last result
ctl status dns >"$T/status.txt" || fail "status dns"
grep -Eq '^dns +dnsupdate ' "$T/status.txt" || fail "no dns row: $(cat "$T/status.txt")"
grep -q '^    name host.example.test.: desired a 198.51.100.10 .*; published a 198.51.100.10 ' \
	"$T/status.txt" || fail "no name line: $(cat "$T/status.txt")"
grep -q '^    zone example.test.: .*state published; last ok' "$T/status.txt" ||
	fail "no zone line: $(cat "$T/status.txt")"

# ---- deleted by hand, put back by push, not by waiting ----
for round in all dns; do
	ok0=$(updates_ok)
	s0=$(soa_serial example.test) || fail "no SOA"
	dns_update "$D" "update delete host.example.test A" || fail "nsupdate by hand"
	wait_records host.example.test A ""
	s1=$(soa_serial example.test) || fail "no SOA"
	[ "$s1" -gt "$s0" ] || fail "the deletion by hand did not move the serial ($s0 -> $s1)"
	if [ "$round" = all ]; then
		out=$(ctl push) || fail "push failed: $out"
	else
		out=$(ctl push dns) || fail "push dns failed: $out"
	fi
	[ "$out" = "pushed dns" ] || fail "push printed [$out]"
	wait_records host.example.test A 198.51.100.10 10
	s2=$(soa_serial example.test) || fail "no SOA"
	[ "$s2" -gt "$s1" ] || fail "push: the serial did not move ($s1 -> $s2)"
	wait_for "[ \"\$(updates_ok)\" -gt $ok0 ]" || fail "push: updates ok stayed at $(updates_ok)"
	note "push ($round): serial $s0 -> $s1 (by hand) -> $s2 (push)"
done

# ---- the log instance has no push; an unknown instance is an error ----
out=$(ctl push events 2>&1)
rc=$?
[ $rc -eq 0 ] || [ $rc -eq 1 ] || fail "push of the log instance: exit $rc"
printf '%s\n' "$out" | matches 'pushed' && fail "the log instance was pushed: $out"
ctl push nosuch 2>"$T/nosuch.err" >/dev/null
[ $? -eq 1 ] || fail "push of an unknown instance is not exit 1"
grep -q "nosuch" "$T/nosuch.err" || fail "push nosuch: $(cat "$T/nosuch.err")"
assert_running

pass
