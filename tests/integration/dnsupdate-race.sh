#!/bin/bash
# dnsupdate against an off-path forger racing the real server: tests/fake-dns
# in forge mode is the server dnsupdate talks to, a proxy to BIND that first
# answers each request with a forged unsigned error (REFUSED, NOTAUTH,
# NOTAUTH+BADKEY, NOTAUTH+BADSIG, NOERROR+BADKEY) and then relays BIND's
# signed answer.  RFC 8945 5.2/5.4: a forged answer can neither complete nor
# abort an update:
#   with the real answer relayed   the update succeeds (records in BIND,
#                                  success logged, no error logged)
#   forged answers only            the attempt runs to its timeout (every
#                                  retransmission sent), then counts as the
#                                  error, logged as unverified
#   an SOA of another tree         discovery (no zone given) refuses an SOA
#                                  whose owner is not the name or a parent
#                                  (xample.test. for host.example.test.):
#                                  no UPDATE goes out; example.test. is used
#   a flood of garbage datagrams   "ignoring a response" is logged once per
#                                  exchange, then summed up
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dnsupdate-race
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"
dns_require named dig tsig-keygen

D=$T/named
start_named "$D"
K=$D/nlevd.key
ERR=$NLEVD_ERR
. "$TESTS_SRCDIR/fake-dns-lib.sh"
P=5300
W='127\.0\.0\.1#5300'
veth_pair v0 v1

cat >"$T/nlevd.conf" <<EOF
[dns]
plugin = dnsupdate
name = host.example.test
zone = example.test
server = 127.0.0.1:$P
key_file = $K
family = ipv4
retry = 1s
retry_max = 30s
timeout = 3s
EOF
run_nlevd()
{
	[ -n "$NLEVD_PID" ] && stop_nlevd
	log_mark
	start_nlevd "$T/nlevd.conf" -v
}
# wait_log ERE [TIMEOUT_S]
wait_log()
{
	# shellcheck disable=SC2034 # read by the eval in wait_for
	WAIT_PAT=$1
	wait_for 'since_mark | grep -E -- "$WAIT_PAT"' "${2:-15}" ||
		fail "not logged within ${2:-15} s: [$1]; got: $(since_mark | grep '\[dns\]' | grep -v 'debug:' | tail -n 8)"
}

# ---- the forger races BIND: the signed answer wins ----
i=10
for how in badkey badsig refused notauth badkey-noerror; do
	i=$((i + 1))
	fake_start $P forge "$how" 53
	ip -n "$NS" addr add "198.51.100.$i/32" dev v0 || fail "addr add"
	run_nlevd
	wait_log 'info: \[dns\] updated: '
	wait_records host.example.test A "198.51.100.$i"
	fake_since $P | grep ' UPDATE ' | sed -n 1p | grep -E "udp: request #[0-9]+ .*UPDATE example\.test\., signed, MAC ok: $how" >/dev/null ||
		fail "$how: the fake sent no forged answer first: $(fake_since $P | head -n 3)"
	fake_since $P | grep 'udp: relayed the answer from the real server' >/dev/null ||
		fail "$how: BIND's answer was not relayed: $(fake_since $P | head -n 5)"
	if [ "$how" = badkey-noerror ]; then
		since_mark | grep -E "warning: \[dns\] ignoring a response from $W: BADSIG/BADKEY response without rcode NOTAUTH" >/dev/null ||
			fail "$how: not ignored: $(since_mark | grep '\[dns\]' | grep -v debug: | head -n 5)"
	else
		since_mark | grep -E "warning: \[dns\] unverified answer from $W: .*; waiting for a signed one" >/dev/null ||
			fail "$how: the forged answer was not logged as unverified: $(since_mark | grep '\[dns\]' | grep -v debug: | head -n 5)"
	fi
	since_mark | grep -E 'error: \[dns\]|update (refused|failed)' && fail "$how: the forged answer aborted the update"
	note "$how: forged answer first, update done"
	stop_nlevd
	ip -n "$NS" addr del "198.51.100.$i/32" dev v0
done

# ---- forged answers only: the attempt times out, then counts, unverified ----
# (an address to publish: with none, the read finds nothing to do)
ip -n "$NS" addr add 198.51.100.99/32 dev v0 || fail "addr add"
for how in badkey refused; do
	if [ $how = badkey ]; then
		what='BADKEY \(TSIG error, unsigned answer\)'
	else
		what='REFUSED \(unsigned answer\)'
	fi
	fake_start $P forge "$how"
	run_nlevd
	start=$SECONDS
	wait_log "error: \[dns\] update refused: zone [^ ]*: $what from $W for zone example\.test\., unverified: no signed answer within the timeout; retrying in [0-9.]+ s" 20
	n=$(fake_requests $P udp)
	note "$how only: refused as unverified after $((SECONDS - start)) s and $n transmissions"
	[ "$n" -ge 3 ] || fail "$how only: refused after $n transmissions, before the attempt's timeout"
	since_mark | grep 'info: \[dns\] updated: ' && fail "$how only: a forged answer completed the update"
	stop_nlevd
done

# ---- over TCP likewise: the stream is read on until the timeout ----
sed 's/^timeout = 3s$/timeout = 3s\ntcp = yes/' "$T/nlevd.conf" >"$T/tcp.conf"
fake_start $P forge badsig
[ -n "$NLEVD_PID" ] && stop_nlevd
log_mark
start=$SECONDS
start_nlevd "$T/tcp.conf" -v
wait_log "error: \[dns\] update refused: zone [^ ]*: BADSIG \(TSIG error, unsigned answer\) from $W for zone example\.test\., unverified: no signed answer within the timeout" 20
el=$((SECONDS - start))
note "badsig only, over TCP: refused as unverified after $el s"
[ "$(fake_requests $P tcp)" -ge 1 ] || fail "no request over TCP: $(fake_since $P | head -n 3)"
[ "$el" -ge 2 ] || fail "badsig over TCP: refused after $el s, before the 3 s timeout"
stop_nlevd

# ---- a flood of garbage: the log stays bounded ----
fake_start $P garbage 300
run_nlevd
wait_log "warning: \[dns\] update failed: zone [^ ]*: $W: timed out; retrying in" 20
wait_log "warning: \[dns\] [0-9]+ more responses ignored for example\.test\." 5
stop_nlevd
n=$(fake_requests $P udp)
lines=$(since_mark | grep -c 'ignoring a response')
note "garbage flood: $n requests x 300 datagrams, $lines 'ignoring a response' lines"
[ "$n" -ge 3 ] || fail "only $n requests"
[ "$lines" -le $(((n + 2) / 3 + 1)) ] || fail "$lines 'ignoring a response' lines for $n requests: not rate-limited"

# ---- discovery: an SOA whose owner is not in the name's ancestry ----
sed '/^zone = /d' "$T/nlevd.conf" >"$T/discover.conf"
fake_start $P soa xample.test.
[ -n "$NLEVD_PID" ] && stop_nlevd
log_mark
start_nlevd "$T/discover.conf" -v
wait_log "warning: \[dns\] cannot find the zone of host\.example\.test\.: no SOA found for host\.example\.test\. \(NOERROR\); retrying in" 10
fake_since $P | grep -E 'UPDATE' && fail "an UPDATE went out for the zone of a foreign SOA"
note "an SOA of xample.test. for host.example.test.: refused, no UPDATE sent"
stop_nlevd
fake_start $P soa example.test.
log_mark
start_nlevd "$T/discover.conf" -v
wait_log 'info: \[dns\] host\.example\.test\. is in zone example\.test\., primary ns\.example\.test\.'
wait_log 'info: \[dns\] updated: '
fake_since $P | grep -E 'request #[0-9]+ id [0-9]+ UPDATE example\.test\., signed, MAC ok: answered NOERROR, signed' >/dev/null ||
	fail "no UPDATE for example.test.: $(fake_since $P | tail -n 3)"
stop_nlevd
pass
