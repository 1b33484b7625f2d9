#!/bin/bash
# UPDATEs over the 65535-byte limit of a DNS message: 4 names x 600 IPv6
# addresses (2,400 AAAA records, about 67 kB in one message) are sent as
# several UPDATEs of whole names, each under the limit, to BIND with a TSIG
# key (ldns used to assert in ldns_pkt_tsig_sign: the daemon aborted) and to
# a fake server without a key (the TCP length prefix used to wrap), and
# --once exits 0 with every record published.  A single name whose RRset
# alone exceeds the limit (2,400 AAAA) is a permanent error naming the name
# and the size, never a crash.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dnsupdate-large
[ -e "$NLEVD_PLUGINS/dnsupdate.la" ] || [ -e "$NLEVD_PLUGINS/dnsupdate.so" ] ||
	fail "no dnsupdate plugin in $NLEVD_PLUGINS"
dns_require named dig tsig-keygen
: "${FAKE_DNS:=$(dirname "$NLEVD")/tests/fake-dns}"
[ -x "$FAKE_DNS" ] || fail "FAKE_DNS=$FAKE_DNS is not built (make tests/fake-dns, or make check)"

D=$T/server
start_named "$D"
# BIND 9.18.28+ refuses RRsets of more than 100 records by default
# (max-records-per-type): lift it for this test and start it again.
kill -TERM "$NAMED_PID" && wait_exit "$NAMED_PID" 10 || fail "named did not stop"
sed -i 's/^\trecursion no;/\trecursion no;\n\tmax-records-per-type 0;\n\tmax-types-per-name 0;/' "$D/named.conf"
named-checkconf "$D/named.conf" || fail "named-checkconf after the edit"
ip netns exec "$NS" named -f -n 1 -c "$D/named.conf" >>"$D/named.out" 2>&1 &
NAMED_PID=$!
_PIDS+=("$NAMED_PID")
wait_for '[ -n "$(soa_serial example.test)" ]' 20 || fail "named did not come back"

veth_pair v0 v1
# addresses: the batch file for ip -b, N addresses 2001:db8:1::X (hex X from 1)
addrs()
{
	local i
	for ((i = $1; i <= $2; i++)); do
		printf 'address add 2001:db8:1::%x/64 dev v0 nodad\n' "$i"
	done >"$T/addrs.batch"
	ip -n "$NS" -b "$T/addrs.batch" || fail "ip -b: adding addresses $1..$2"
}
addrs 1 600

# once CONF: nlevd --once; sets RC, output in $T/once.err
once()
{
	RC=0
	ip netns exec "$NS" timeout 60 "$NLEVD" --once -f -v -c "$1" -P "$NLEVD_PLUGINS" \
		>"$T/once.out" 2>"$T/once.err" || RC=$?
	_DIAG_FILES+=("$T/once.err")
	note "--once: exit $RC; $(grep -c 'debug: \[dns\] UPDATE for zone' "$T/once.err") UPDATEs cut to fit"
	[ "$RC" -lt 128 ] && [ "$RC" -ne 124 ] || fail "nlevd --once died (exit $RC): $(grep -v debug "$T/once.err" | tail -n 5)"
}
conf()
{
	local f=$1 l
	shift
	{
		printf '[dns]\nplugin = dnsupdate\nfamily = ipv6\ntimeout = 10s\nzone = example.test\n'
		for l in "$@"; do echo "$l"; done
	} >"$f"
}
# count NAME: AAAA records of NAME, over TCP (600 do not fit in UDP)
count()
{
	ip netns exec "$NS" dig @127.0.0.1 +tcp +norecurse +noall +answer "$1" AAAA | grep -c -w AAAA
}

# ---- with a key, to BIND: several UPDATEs of whole names ----
conf "$T/bind.conf" "name = h1.example.test h2.example.test h3.example.test h4.example.test" \
	"server = 127.0.0.1" "key_file = $D/nlevd.key"
serial0=$(soa_serial example.test)
once "$T/bind.conf"
[ "$RC" -eq 0 ] || fail "--once with 2,400 AAAA records to BIND: exit $RC: $(grep -v debug "$T/once.err" | tail -n 5)"
for n in h1 h2 h3 h4; do
	c=$(count "$n.example.test")
	[ "$c" -eq 600 ] || fail "$n.example.test: $c AAAA records in BIND, want 600"
done
serial1=$(soa_serial example.test)
ups=$((serial1 - serial0))
note "BIND: $ups UPDATEs"
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
between "$ups" 2 4 || fail "$ups UPDATEs changed the zone, want 2 to 4 (whole names, each under 64 kB)"
grep -E "info: \[dns\] updated: zone [^ ]*: $ups UPDATE messages\$" "$T/once.err" >/dev/null ||
	fail "not logged as $ups UPDATE messages: $(grep 'updated: ' "$T/once.err")"
grep -E 'over the limit|bytes' "$T/once.err" | grep -v debug | grep -i error && fail "an error was logged"

# ---- without a key, to a fake server: the TCP length prefix is right ----
FPORT=5301
FAKE_OUT=$T/fake.out
_DIAG_FILES+=("$FAKE_OUT")
ip netns exec "$NS" "$FAKE_DNS" --port "$FPORT" ok >"$FAKE_OUT" 2>&1 &
_PIDS+=("$!")
wait_for "grep 'listening on' '$FAKE_OUT'" 5 || fail "fake-dns did not start"
conf "$T/fake.conf" "name = h1.example.test h2.example.test h3.example.test h4.example.test" \
	"server = 127.0.0.1:$FPORT"
once "$T/fake.conf"
[ "$RC" -eq 0 ] || fail "--once with 2,400 AAAA records, unsigned: exit $RC: $(grep -v debug "$T/once.err" | tail -n 5)"
grep 'malformed request' "$FAKE_OUT" && fail "the fake server got a malformed request"
total=$(sed -n 's/^fake-dns: tcp: update #[0-9]*: \([0-9]*\) adds.*/\1/p' "$FAKE_OUT" | awk '{ s += $1 } END { print s + 0 }')
[ "$total" -eq 2400 ] || fail "the fake server got $total AAAA additions, want 2400: $(grep -c 'update #' "$FAKE_OUT") UPDATEs"

# ---- one name with 2,400 addresses: over the limit on its own ----
addrs 601 2400
conf "$T/one.conf" "name = big.example.test" "server = 127.0.0.1" "key_file = $D/nlevd.key"
once "$T/one.conf"
[ "$RC" -ne 0 ] || fail "--once with one name over the limit exited 0"
note "$(grep 'error: \[dns\]' "$T/once.err" | head -n 1)"
grep -E 'error: \[dns\] .*big\.example\.test\..* [0-9]+ bytes.*65535' "$T/once.err" >/dev/null ||
	fail "no error naming the name and the size: $(grep -v debug "$T/once.err" | tail -n 5)"
c=$(count big.example.test)
[ "$c" -eq 0 ] || fail "big.example.test: $c AAAA records published, want none"
pass
