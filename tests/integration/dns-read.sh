#!/bin/bash
# Reading a zone's records from its primary (plugins/dns/query.c, through
# tests/dns-read) as dnsupdate does before it updates:
#   BIND and Knot, queries signed with the key: A (two), AAAA, DHCID,
#   PTR (lower-cased), a CNAME at the name, NXDOMAIN, NODATA, over UDP
#   and TCP; the answers must be signed (an unsigned one is ignored), so
#   a read that succeeds shows the server signs its answers
#   a wrong key: the read fails, naming the TSIG error, reports nothing
#   tests/fake-dns: an unsigned NOERROR to a signed query is ignored (the
#   read times out, reports nothing); a signed answer without AA is not
#   the primary's (error); a signed REFUSED is an error naming the server
#   and the question; an unsigned REFUSED to a signed query counts only
#   when no signed answer comes, so one racing BIND's real answer does not
#   stop the read
#   fail-over: an address where nothing listens, then ::1
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dns-read
dns_require named knotd knotc dig nsupdate tsig-keygen
: "${DNS_READ:=$(dirname "$NLEVD")/tests/dns-read}"
: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
[ -x "$DNS_READ" ] || fail "DNS_READ=$DNS_READ is not built (make tests/dns-read, or make check)"
[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"

B=$T/bind
KN=$T/knot
BPORT=53
KPORT=5354
FPORT=5300
start_named "$B" "$BPORT"
mkdir -p "$KN"
cp "$B/nlevd.key" "$B/wrong.key" "$KN/" # one key for both servers
start_knotd "$KN" "$KPORT"
K=$B/nlevd.key
DHCID=AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=

for port in $BPORT $KPORT; do
	dns_update "$B" "update add h.example.test. 300 A 192.0.2.2
update add h.example.test. 300 A 192.0.2.1
update add h.example.test. 600 AAAA 2001:DB8:0:0::1
update add h.example.test. 300 DHCID $DHCID
update add c.example.test. 300 CNAME h.example.test." "$port" ||
		fail "nsupdate to port $port failed"
	dns_update "$B" "update add 1.100.51.198.in-addr.arpa. 300 PTR H.Example.Test." "$port" ||
		fail "nsupdate (PTR) to port $port failed"
done
# nsupdate waits for each answer: the records are in both servers now

OUT=$T/read.out
RERR=$T/read.err
_DIAG_FILES+=("$OUT" "$RERR")
# rd ARGS...: dns-read in the namespace; its status in RC, output in $OUT
rd()
{
	note "dns-read $*"
	ip netns exec "$NS" "$DNS_READ" "$@" >"$OUT" 2>"$RERR"
	RC=$?
}

WANT="h.example.test. A FOUND 300 192.0.2.1 192.0.2.2
h.example.test. AAAA FOUND 600 2001:db8::1
h.example.test. DHCID FOUND 300 $DHCID
c.example.test. A CNAME 300 h.example.test.
nx.example.test. A NXDOMAIN 0
h.example.test. PTR NODATA 0"
QS=(h.example.test/A h.example.test/AAAA H.EXAMPLE.test./DHCID c.example.test/A
	nx.example.test/A h.example.test/PTR)

for srv in bind:$BPORT knot:$KPORT; do
	port=${srv#*:}
	name=${srv%:*}
	for tcp in "" -t; do
		rd -k "$K" $tcp 127.0.0.1:"$port" example.test "${QS[@]}"
		[ "$RC" -eq 0 ] || fail "$name${tcp:+ (TCP)}: signed read failed: $(cat "$RERR")"
		[ "$(cat "$OUT")" = "$WANT" ] ||
			fail "$name${tcp:+ (TCP)}: read [$(cat "$OUT")], wanted [$WANT]"
		[ ! -s "$RERR" ] || fail "$name${tcp:+ (TCP)}: warnings: $(cat "$RERR")"
	done
	rd -k "$K" 127.0.0.1:"$port" 100.51.198.in-addr.arpa 1.100.51.198.in-addr.arpa/PTR
	[ "$RC" -eq 0 ] && [ "$(cat "$OUT")" = \
		"1.100.51.198.in-addr.arpa. PTR FOUND 300 h.example.test." ] ||
		fail "$name: PTR read: [$(cat "$OUT")] $(cat "$RERR")"
	note "$name signs its answers to signed queries: the signed reads were accepted"
	# fail-over: nothing listens on 127.0.0.1#5399 (refused), then ::1
	rd -k "$K" "127.0.0.1:5399,[::1]:$port" example.test h.example.test/A
	[ "$RC" -eq 0 ] && [ "$(cat "$OUT")" = "h.example.test. A FOUND 300 192.0.2.1 192.0.2.2" ] ||
		fail "$name: read failing over to ::1: [$(cat "$OUT")] $(cat "$RERR")"

	rd -k "$B/wrong.key" -T 1000 127.0.0.1:"$port" example.test \
		h.example.test/A
	[ "$RC" -eq 1 ] || fail "$name: a read with the wrong key gave status $RC: $(cat "$OUT")"
	[ ! -s "$OUT" ] || fail "$name: a read with the wrong key reported records: $(cat "$OUT")"
	grep -q "dns-read: BADSIG (TSIG error, unsigned answer) from 127.0.0.1#$port for the query h.example.test. A" "$RERR" ||
		fail "$name: wrong key: not the error expected: $(cat "$RERR")"
	note "$name, wrong key: $(tail -n 1 "$RERR")"
done

# ---- fake-dns: answers a primary would not give ----
FOUT=$T/fake.out
_DIAG_FILES+=("$FOUT")
FAKE_PID=
fake()
{
	[ -n "$FAKE_PID" ] && { kill -TERM "$FAKE_PID"; wait_exit "$FAKE_PID" 5 || fail "fake-dns did not stop"; }
	local before
	before=$(grep -c 'listening on' "$FOUT" 2>/dev/null)
	echo "---- fake-dns $*" >>"$FOUT"
	ip netns exec "$NS" "$FAKE_DNS" --port "$FPORT" --key "$K" --reads "$@" >>"$FOUT" 2>&1 &
	FAKE_PID=$!
	_PIDS+=("$FAKE_PID")
	wait_for "[ \$(grep -c 'listening on' '$FOUT') -gt ${before:-0} ]" 5 ||
		fail "fake-dns $* did not start: $(tail -n 3 "$FOUT")"
}
# must_fail WHAT PATTERN: the read failed, said PATTERN, reported nothing
must_fail()
{
	[ "$RC" -eq 1 ] || fail "$1: status $RC, not 1: $(cat "$OUT") $(cat "$RERR")"
	[ ! -s "$OUT" ] || fail "$1: records reported: $(cat "$OUT")"
	grep -qF -- "$2" "$RERR" || fail "$1: [$2] not said: $(cat "$RERR")"
	note "$1: $(tail -n 1 "$RERR")"
}

fake unsigned
rd -k "$K" -T 1000 127.0.0.1:$FPORT example.test h.example.test/A
must_fail "an unsigned NOERROR to a signed query" \
	"dns-read: no answer for the query h.example.test. A (127.0.0.1#$FPORT: timed out)"
grep -qF "unsigned response to a signed request" "$RERR" ||
	fail "the unsigned answer was not logged as ignored: $(cat "$RERR")"

fake ok
rd -k "$K" -T 1000 127.0.0.1:$FPORT example.test h.example.test/A
must_fail "a signed answer without AA" \
	"dns-read: not authoritative (AA not set) from 127.0.0.1#$FPORT for the query h.example.test. A"

fake refused
rd -k "$K" -T 1000 127.0.0.1:$FPORT example.test h.example.test/A
must_fail "a signed REFUSED" "dns-read: REFUSED from 127.0.0.1#$FPORT for the query h.example.test. A"

fake forge refused
rd -k "$K" -T 1000 127.0.0.1:$FPORT example.test h.example.test/A
must_fail "only a forged unsigned REFUSED" \
	"dns-read: REFUSED (unsigned answer) from 127.0.0.1#$FPORT for the query h.example.test. A"

fake forge refused "$BPORT"
rd -k "$K" -T 2000 127.0.0.1:$FPORT example.test h.example.test/A nx.example.test/A
[ "$RC" -eq 0 ] || fail "a forged REFUSED before BIND's answer stopped the read: $(cat "$RERR")"
[ "$(cat "$OUT")" = "h.example.test. A FOUND 300 192.0.2.1 192.0.2.2
nx.example.test. A NXDOMAIN 0" ] || fail "through the forging proxy: [$(cat "$OUT")]"
grep -qF "unverified answer from 127.0.0.1#$FPORT: REFUSED (unsigned answer)" "$RERR" ||
	fail "the forged REFUSED was not logged: $(cat "$RERR")"

pass
