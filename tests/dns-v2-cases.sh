# shellcheck shell=bash
# The DNS engine's cases (zones independent, read before update) against a
# real authoritative server, for either DNS plugin.  A wrapper sets
# DNSV2_SERVER (bind, knot or pdns) and DNSV2_PLUGIN (dnsupdate or
# nsupdate) and sources this file.  DNSV2_CASES (default: all) picks cases
# by number, e.g. "3 5".  Each case runs in a subshell with its own server
# (port 53), directory and log; a failing case is reported and the others
# still run; the test fails if any did.
#
#   1 ptr = yes and no ip6.arpa zone on the server: A, AAAA and the IPv4
#     PTR are published; a warning names the reverse /64; USR1 shows it
#   2 two names, the second in a zone whose UPDATEs are refused: the first
#     is published and follows address changes, the second keeps failing
#     with an error naming its zone
#   3 verify = 1s: a record deleted or changed by hand comes back; reads
#     that find DNS right send nothing
#   4 a restart (and --once) sends nothing when DNS is right, ptr = yes
#   5 delete_delay = 2s: a flap keeps the A record; the last address gone
#     for good empties it later; one address of two goes at once
#   6 ownership = dhcid: a fresh name is claimed (DHCID), a name another
#     host claimed is left alone (error, dns-conflict to an exec hook),
#     the claim survives a restart
#   7 ipv6_suffix: the derived AAAA follows the /64; ptr = yes gives the
#     derived address a PTR, never the host's own
#   8 scale: 3000 IPv6 addresses on one interface with ptr = yes: the
#     name's 84 kB of AAAA fit no message (a clear permanent error), the
#     3000 PTRs converge in split UPDATEs, no crash
#   9 scale: 4 names x 1000 IPv6 addresses (about 112 kB): likewise
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
: "${DNSV2_PLUGIN:=dnsupdate}"
test_init "dnsv2-$DNSV2_PLUGIN-$DNSV2_SERVER"
[ -e "$NLEVD_PLUGINS/$DNSV2_PLUGIN.la" ] || [ -e "$NLEVD_PLUGINS/$DNSV2_PLUGIN.so" ] ||
	fail "no $DNSV2_PLUGIN plugin in $NLEVD_PLUGINS"
case $DNSV2_PLUGIN in
dnsupdate | nsupdate) ;;
*) fail "DNSV2_PLUGIN must be dnsupdate or nsupdate, not '$DNSV2_PLUGIN'" ;;
esac
case $DNSV2_SERVER in
bind) dns_require named named-compilezone dig nsupdate tsig-keygen ;;
knot) dns_require knotd knotc dig nsupdate tsig-keygen ;;
pdns) dns_require pdns_server pdnsutil sqlite3 dig nsupdate tsig-keygen ;;
*) fail "DNSV2_SERVER must be bind, knot or pdns, not '$DNSV2_SERVER'" ;;
esac
: "${DNSV2_CASES:=1 2 3 4 5 6 7 8 9}"
TOP_T=$T

# The exec hook of case 6: outside /tmp (the exec plugin refuses it there).
safe_dir dnsv2
HOOKDIR=$REPLY
cat >"$HOOKDIR/hook.sh" <<'EOF'
#!/bin/sh
# One block per event: the hook's NLEVD_ variables.
{ echo "---"; env | grep '^NLEVD_' | LC_ALL=C sort; } >>"$1"
EOF
chmod 755 "$HOOKDIR/hook.sh"

# ---- helpers used inside a case ----

# start_server DIR: the server on port 53 (its pid joins _PIDS).
start_server()
{
	case $DNSV2_SERVER in
	bind) start_named "$1" ;;
	knot) start_knotd "$1" ;;
	pdns) start_pdns "$1" ;;
	esac
}

# conf FILE LINE...: a log instance and a [dns] instance of the plugin with
# short timings; the LINEs are added to [dns].  A case may set CONF_TIMEOUT
# (default 2s, room for the large UPDATEs of cases 8 and 9).
CONF_TIMEOUT=2s
conf()
{
	local f=$1 l
	shift
	{
		cat <<EOF
[nlevd]
log_level = info

[events]
plugin = log
format = json
output = $T/events.json

[dns]
plugin = $DNSV2_PLUGIN
retry = 1s
retry_max = 5s
timeout = $CONF_TIMEOUT
EOF
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

# The usual [dns] lines: the zone given, the server, the key.
usual() { USUAL=("zone = example.test" "server = 127.0.0.1" "key_file = $D/nlevd.key"); }

log_mark() { MARK=$(grep -c '' "$NLEVD_ERR" 2>/dev/null); MARK=${MARK:-0}; }
since_mark() { tail -n +"$((MARK + 1))" "$NLEVD_ERR"; }

# status_shows REGEX: ask for the status (USR1) and wait until a line
# logged since then matches.
# shellcheck disable=SC2034 # read by the eval in wait_for
STATUS_RE=
status_shows()
{
	# shellcheck disable=SC2034 # read by the eval in wait_for
	STATUS_RE=$1
	log_mark
	kill -USR1 "$NLEVD_PID" || fail "kill -USR1"
	wait_for 'since_mark | grep -E -- "$STATUS_RE"' 5
}

# quiet_serial ZONE [QUIET_S]: wait until ZONE's serial has not moved for
# QUIET_S seconds; prints it.
quiet_serial()
{
	local z=$1 quiet=${2:-2} s prev since=$SECONDS deadline=$((SECONDS + $(_scaled 40)))
	prev=$(soa_serial "$z") || fail "no SOA for $z"
	while [ $((SECONDS - since)) -lt "$quiet" ]; do
		[ "$SECONDS" -ge "$deadline" ] && fail "$z's serial never settled"
		sleep 0.2
		s=$(soa_serial "$z") || fail "no SOA for $z"
		if [ "$s" != "$prev" ]; then
			prev=$s
			since=$SECONDS
		fi
	done
	echo "$prev"
}

# verified_since_mark ZONE: how many reads of ZONE found every record as
# desired (and so sent nothing) since log_mark.
verified_since_mark()
{
	since_mark | grep -cE "info: \[dns\] zone ${1//./\\.}\.?: verified: "
}

# quiet_serials ZONE...: wait until none of the zones' serials has moved
# for a second (one window for all of them, not one each).
quiet_serials()
{
	local z s changed since deadline=$((SECONDS + $(_scaled 40)))
	local -A prev
	for z in "$@"; do prev[$z]=$(soa_serial "$z") || fail "no SOA for $z"; done
	since=$(now_ms)
	while [ $(($(now_ms) - since)) -lt 1000 ]; do
		[ "$SECONDS" -ge "$deadline" ] && fail "the serials of $* never settled"
		sleep 0.2
		changed=
		for z in "$@"; do
			s=$(soa_serial "$z") || fail "no SOA for $z"
			[ "$s" = "${prev[$z]}" ] || { prev[$z]=$s; changed=1; }
		done
		[ -z "$changed" ] || since=$(now_ms)
	done
}

wait_ptr() { wait_records "$(ptr_name "$1")" PTR "$2" "${3:-20}"; }

# server_count NAME TYPE: how many records of TYPE the server holds at NAME,
# read from the server's own store (an RRset over 64 KiB cannot be
# answered by any query, even over TCP, and the test servers allow no
# AXFR).
server_count()
{
	local name=${1%.}. type=$2 z=example.test
	case $DNSV2_SERVER in
	bind)
		# the zone file with the journal applied
		named-compilezone -q -j -f text -F text -s full -o - "$z" "$D/$z.zone" 2>/dev/null |
			awk -v n="$name" -v t="$type" 'tolower($1) == tolower(n) && toupper($4) == t' | wc -l
		;;
	knot)
		knotc -c "$D/knot.conf" zone-read "$z" "$name" "$type" 2>/dev/null |
			awk -v t="$type" 'toupper($4) == t || toupper($5) == t' | wc -l
		;;
	pdns)
		sqlite3 "$D/pdns.sqlite3" "select count(*) from records where name = '${name%.}' and type = '$type';"
		;;
	esac
}

# zone_type_count ZONE TYPE: the records of TYPE in the whole zone, from
# the server's own store (as server_count).
zone_type_count()
{
	local z=$1 type=$2
	case $DNSV2_SERVER in
	bind)
		named-compilezone -q -j -f text -F text -s full -o - "$z" "$D/$z.zone" 2>/dev/null |
			awk -v t="$type" 'toupper($4) == t' | wc -l
		;;
	knot)
		knotc -c "$D/knot.conf" zone-read "$z" 2>/dev/null |
			awk -v t="$type" 'toupper($4) == t || toupper($5) == t' | wc -l
		;;
	pdns)
		sqlite3 "$D/pdns.sqlite3" "select count(*) from records r join domains d on r.domain_id = d.id where d.name = '$z' and r.type = '$type';"
		;;
	esac
}

# start_big DIR: start_server, for RRsets of thousands of records.  BIND
# (9.18.28 and later) refuses more than 100 records of a type at a name
# (max-records-per-type, the CVE-2024-1737 fix) with SERVFAIL; the test
# lifts that limit by starting named again on a config without it.
start_big()
{
	start_server "$1"
	[ "$DNSV2_SERVER" = bind ] || return 0
	kill -TERM "$NAMED_PID" || fail "kill named"
	wait_exit "$NAMED_PID" 10 || fail "named did not stop"
	sed -i 's/^options {$/options {\n\tmax-records-per-type 0;/' "$1/named.conf" || fail "sed"
	grep -q 'max-records-per-type 0;' "$1/named.conf" || fail "max-records-per-type not set"
	named-checkconf "$1/named.conf" >"$1/checkconf.out" 2>&1 ||
		fail "named-checkconf: $(cat "$1/checkconf.out")"
	ip netns exec "$NS" named -f -n 1 -c "$1/named.conf" >>"$1/named.out" 2>&1 &
	NAMED_PID=$!
	_PIDS+=("$NAMED_PID")
	_dns_wait_up named "$NAMED_PID" 53 "$1/named.log"
}

# ---- the cases ----

# 1: the server has no ip6.arpa zone.
case_1()
{
	DNS_ZONES="example.test 100.51.198.in-addr.arpa 113.0.203.in-addr.arpa"
	start_server "$D"
	veth_pair v0 v1
	ip -n "$NS" addr add 198.51.100.10/32 dev v0 || fail "addr add"
	ip -n "$NS" addr add 2001:db8::10/64 dev v0 nodad || fail "addr add"
	usual
	conf "$T/c.conf" "name = r.example.test" "ptr = yes" "${USUAL[@]}"
	start_nlevd "$T/c.conf"
	wait_records r.example.test A 198.51.100.10 20
	wait_records r.example.test AAAA 2001:db8::10 20
	wait_ptr 198.51.100.10 r.example.test.
	wait_for "grep -E 'warning: \[dns\] .*(2001:db8::/64|ip6\.arpa)' '$NLEVD_ERR'" 20 ||
		fail "no warning naming the reverse zone or prefix of 2001:db8::10: $(grep '\[dns\]' "$NLEVD_ERR")"
	grep -E 'error: \[dns\]' "$NLEVD_ERR" >/dev/null &&
		fail "a missing reverse zone was logged as an error: $(grep 'error: \[dns\]' "$NLEVD_ERR")"
	status_shows '\[dns\] .*(2001:db8::/64|ip6\.arpa).*(cannot|fail|refused|not found|NOTAUTH|REFUSED|NXDOMAIN)' ||
		fail "USR1 does not show the failing reverse part: $(since_mark | grep '\[dns\]')"
	# The forward records keep following while the reverse part fails.
	ip -n "$NS" addr add 198.51.100.11/32 dev v0 || fail "addr add"
	wait_records r.example.test A $'198.51.100.10\n198.51.100.11' 20
	wait_ptr 198.51.100.11 r.example.test.
	assert_running
	stop_nlevd
}

# 2: b.other.test's zone refuses every UPDATE.
case_2()
{
	DNS_REFUSE_ZONES=other.test
	# Knot answers the reads of the refused zone unsigned (NOTAUTH/BADKEY),
	# which the plugin ignores: each error comes when the read times out.
	CONF_TIMEOUT=1s
	start_server "$D"
	veth_pair v0 v1
	ip -n "$NS" addr add 198.51.100.20/32 dev v0 || fail "addr add"
	conf "$T/c.conf" "name = a.example.test b.other.test" "server = 127.0.0.1" \
		"key_file = $D/nlevd.key"
	start_nlevd "$T/c.conf"
	wait_records a.example.test A 198.51.100.20 20
	wait_for "grep -E 'error: \[dns\] .*other\.test' '$NLEVD_ERR'" 20 ||
		fail "no error naming other.test: $(grep '\[dns\]' "$NLEVD_ERR")"
	[ -z "$(dns_query b.other.test A)" ] || fail "b.other.test published in a refused zone?"
	local i n
	for i in 21 22; do
		n=$(grep -cE 'error: \[dns\] .*other\.test' "$NLEVD_ERR")
		ip -n "$NS" addr add 198.51.100.$i/32 dev v0 || fail "addr add"
		ip -n "$NS" addr del 198.51.100.$((i - 1))/32 dev v0 || fail "addr del"
		wait_records a.example.test A 198.51.100.$i 20
		wait_for "[ \$(grep -cE 'error: \[dns\] .*other\.test' '$NLEVD_ERR') -gt $n ]" 20 ||
			fail "other.test was not tried again (and refused) after the change"
		[ -z "$(dns_query b.other.test A)" ] || fail "b.other.test published in a refused zone?"
	done
	status_shows '\[dns\] .*other\.test.*(fail|refused|REFUSED|NOTAUTH)' ||
		fail "USR1 does not show other.test failing: $(since_mark | grep '\[dns\]')"
	assert_running
	stop_nlevd
}

# 3: verify = 1s puts back what was changed by hand.
case_3()
{
	start_server "$D"
	veth_pair v0 v1
	ip -n "$NS" addr add 198.51.100.30/32 dev v0 || fail "addr add"
	ip -n "$NS" addr add 2001:db8::30/64 dev v0 nodad || fail "addr add"
	usual
	conf "$T/c.conf" "name = d.example.test" "verify = 1s" "${USUAL[@]}"
	start_nlevd "$T/c.conf"
	wait_records d.example.test A 198.51.100.30 20
	wait_records d.example.test AAAA 2001:db8::30 20
	# (not waited for empty: verify may put it back before a query sees it)
	dns_update "$D" "update delete d.example.test A" || fail "dns_update delete"
	wait_records d.example.test A 198.51.100.30 20
	dns_update "$D" $'update delete d.example.test A\nupdate add d.example.test 300 A 198.51.100.99\nupdate delete d.example.test AAAA\nupdate add d.example.test 300 AAAA 2001:db8::99' ||
		fail "dns_update change"
	wait_records d.example.test A 198.51.100.30 20
	wait_records d.example.test AAAA 2001:db8::30 20
	# and once right, verify sends nothing: from a read that found every
	# record right (so nothing was in flight), two more such reads, and
	# the serial has not moved
	local s0 s1
	log_mark
	wait_for '[ "$(verified_since_mark example.test)" -ge 1 ]' 20 ||
		fail "no read found example.test as desired: $(since_mark | grep '\[dns\]' | tail -n 5)"
	s0=$(soa_serial example.test) || fail "no SOA for example.test"
	log_mark
	wait_for '[ "$(verified_since_mark example.test)" -ge 2 ]' 20 ||
		fail "verify = 1s: not 2 reads of example.test in 20 s: $(since_mark | grep '\[dns\]' | tail -n 5)"
	s1=$(soa_serial example.test) || fail "no SOA for example.test"
	[ "$s1" = "$s0" ] || fail "verify sent $((s1 - s0)) UPDATE(s) while DNS was right"
	assert_running
	stop_nlevd
}

# 4: a restart sends nothing.
case_4()
{
	start_server "$D"
	veth_pair v0 v1
	ip -n "$NS" addr add 198.51.100.40/32 dev v0 || fail "addr add"
	ip -n "$NS" addr add 2001:db8::40/64 dev v0 nodad || fail "addr add"
	usual
	conf "$T/c.conf" "name = s.example.test t.example.test" "ptr = yes" "${USUAL[@]}"
	start_nlevd "$T/c.conf"
	local h z
	for h in s t; do
		wait_records $h.example.test A 198.51.100.40 20
		wait_records $h.example.test AAAA 2001:db8::40 20
	done
	wait_ptr 198.51.100.40 s.example.test.
	wait_ptr 2001:db8::40 s.example.test.
	stop_nlevd
	local -A before
	quiet_serials example.test 100.51.198.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa
	for z in example.test 100.51.198.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa; do
		before[$z]=$(soa_serial $z) || fail "no SOA for $z"
	done
	# --once: reads, finds everything right, exits 0
	local out rc
	out=$(timeout "$(_scaled 30)" ip netns exec "$NS" "$NLEVD" -1 -f -c "$T/c.conf" -P "$NLEVD_PLUGINS" 2>&1)
	rc=$?
	printf '%s\n' "$out" >"$T/once.out"
	[ "$rc" -eq 0 ] || fail "--once: exit $rc: $out"
	for z in "${!before[@]}"; do
		[ "$(soa_serial $z)" = "${before[$z]}" ] ||
			fail "--once after a restart changed $z's serial ${before[$z]} -> $(soa_serial $z): $out"
	done
	# the daemon: the start-up read finds every zone up to date
	local r0
	r0=$(grep -c '' "$NLEVD_ERR")
	start_nlevd "$T/c.conf"
	wait_for "status_shows 'zone example\.test\.?: .*; state published; last up to date' &&
		status_shows 'zone 100\.51\.198\.in-addr\.arpa\.?: .*; state published; last up to date' &&
		status_shows 'zone 8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa\.?: .*; state published; last up to date'" 20 ||
		fail "the zones are not reported up to date after the restart: $(grep '\[dns\]' "$NLEVD_ERR" | tail -n 20)"
	sleep 3
	for z in "${!before[@]}"; do
		[ "$(soa_serial $z)" = "${before[$z]}" ] ||
			fail "a restart changed $z's serial ${before[$z]} -> $(soa_serial $z)"
	done
	tail -n +"$((r0 + 1))" "$NLEVD_ERR" | grep -E 'info: \[dns\] updated: ' &&
		fail "updates logged after the restart"
	# and it still works
	ip -n "$NS" addr add 198.51.100.41/32 dev v0 || fail "addr add"
	wait_records s.example.test A $'198.51.100.40\n198.51.100.41' 20
	wait_ptr 198.51.100.41 s.example.test.
	assert_running
	stop_nlevd
}

# a_never_empty NAME MS: poll NAME's A for MS milliseconds: never empty.
a_never_empty()
{
	local end=$(($(now_ms) + $2)) got
	while [ "$(now_ms)" -lt "$end" ]; do
		got=$(dns_query "$1" A) || fail "no answer for $1 A"
		[ -n "$got" ] || fail "$1's A record was removed (delete_delay)"
		sleep 0.1
	done
}

# held_since_mark SECONDS: the daemon logged, since log_mark, that it holds
# the A records for SECONDS (its last IPv4 address went).
held_since_mark()
{
	since_mark | grep -E "info: \[dns\] no IPv4 address left: deleting the records in $1 s" >/dev/null
}

# 5: delete_delay = 2s.
case_5()
{
	start_server "$D"
	veth_pair v0 v1
	ip -n "$NS" addr add 198.51.100.50/32 dev v0 || fail "addr add"
	usual
	conf "$T/c.conf" "name = f.example.test" "delete_delay = 2s" "${USUAL[@]}"
	start_nlevd "$T/c.conf"
	wait_records f.example.test A 198.51.100.50 20
	# a flap: the address is gone for half a second from when the daemon
	# holds the record (so the hold is what keeps it, not two events read
	# together); the record stays for twice the delay
	log_mark
	ip -n "$NS" addr del 198.51.100.50/32 dev v0 || fail "addr del"
	wait_for 'held_since_mark "2\.0"' 10 ||
		fail "the last address went, no hold logged: $(since_mark | grep '\[dns\]')"
	a_never_empty f.example.test 500
	ip -n "$NS" addr add 198.51.100.50/32 dev v0 || fail "addr add"
	a_never_empty f.example.test 4000
	dns_has f.example.test A 198.51.100.50 || fail "after the flap: [$(dns_query f.example.test A)]"
	# gone for good: still there for a second, gone later
	log_mark
	ip -n "$NS" addr del 198.51.100.50/32 dev v0 || fail "addr del"
	a_never_empty f.example.test 1000
	wait_records f.example.test A "" 20
	held_since_mark "2\.0" ||
		fail "the delay is not logged: $(since_mark | grep '\[dns\]')"
	stop_nlevd
	# one address of two goes at once (a long delay shows it is not used)
	ip -n "$NS" addr add 198.51.100.51/32 dev v0 || fail "addr add"
	ip -n "$NS" addr add 198.51.100.52/32 dev v0 || fail "addr add"
	conf "$T/c2.conf" "name = f.example.test" "delete_delay = 120s" "${USUAL[@]}"
	start_nlevd "$T/c2.conf"
	wait_records f.example.test A $'198.51.100.51\n198.51.100.52' 20
	ip -n "$NS" addr del 198.51.100.52/32 dev v0 || fail "addr del"
	wait_records f.example.test A 198.51.100.51 20
	# the last one is held: logged, and still there a while after
	log_mark
	ip -n "$NS" addr del 198.51.100.51/32 dev v0 || fail "addr del"
	wait_for 'held_since_mark "120\.0"' 10 ||
		fail "the last address went, no 120 s hold logged: $(since_mark | grep '\[dns\]')"
	a_never_empty f.example.test 2000
	assert_running
	stop_nlevd
}

# the hook's output: blocks of NLEVD_ lines, "---" before each
HOOKOUT=
hook_has()
{
	# an event block with all of the given lines
	awk -v want="$*" '
		BEGIN { n = split(want, w, " ") }
		/^---$/ { if (ok(b)) found = 1; b = ""; next }
		{ b = b "\n" $0 }
		function ok(s,   i) { for (i = 1; i <= n; i++) if (index(s, "\n" w[i]) == 0) return 0; return 1 }
		END { if (ok(b)) found = 1; exit !found }' "$HOOKOUT"
}

# 6: ownership = dhcid.  BIND 9.18, Knot 3.2 and PowerDNS 4.7 all store
# and serve DHCID (the hand-made claim below checks it first).
FOREIGN_DHCID=AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=
case_6()
{
	start_server "$D"
	HOOKOUT=$HOOKDIR/env.$DNSV2_PLUGIN.$DNSV2_SERVER
	rm -f "$HOOKOUT"
	_DIAG_FILES+=("$HOOKOUT")
	# someone else's name, claimed by hand
	dns_update "$D" "update add taken.example.test 300 DHCID $FOREIGN_DHCID
update add taken.example.test 300 A 198.51.100.200" ||
		fail "$DNSV2_SERVER does not take a DHCID record (dns_update)"
	wait_records taken.example.test DHCID "$FOREIGN_DHCID" 5
	veth_pair v0 v1
	ip -n "$NS" addr add 198.51.100.60/32 dev v0 || fail "addr add"
	ip -n "$NS" addr add 2001:db8::60/64 dev v0 nodad || fail "addr add"
	usual
	conf "$T/c.conf" "name = mine.example.test taken.example.test" "ownership = dhcid" "${USUAL[@]}"
	cat >>"$T/c.conf" <<EOF

[hook]
plugin = exec
events = dns-conflict dns-published
command = $HOOKDIR/hook.sh $HOOKOUT
EOF
	start_nlevd "$T/c.conf"
	wait_records mine.example.test A 198.51.100.60 20
	wait_records mine.example.test AAAA 2001:db8::60 20
	local ours
	ours=$(dns_query mine.example.test DHCID)
	[ "$(printf '%s\n' "$ours" | grep -c .)" -eq 1 ] || fail "mine.example.test: DHCID [$ours], want one"
	[ "$ours" != "$FOREIGN_DHCID" ] || fail "our DHCID is the foreign one?"
	wait_for "grep -E 'error: \[dns\] .*taken\.example\.test' '$NLEVD_ERR'" 20 ||
		fail "no error naming taken.example.test: $(grep '\[dns\]' "$NLEVD_ERR")"
	dns_has taken.example.test A 198.51.100.200 || fail "taken.example.test's A was changed: [$(dns_query taken.example.test A)]"
	dns_has taken.example.test AAAA "" || fail "taken.example.test got AAAA: [$(dns_query taken.example.test AAAA)]"
	dns_has taken.example.test DHCID "$FOREIGN_DHCID" || fail "taken.example.test's DHCID changed"
	wait_for "hook_has NLEVD_EVENT=dns-conflict NLEVD_SOURCE=dns NLEVD_ZONE=example.test NLEVD_NAMES=taken.example.test" 20 ||
		fail "no dns-conflict event with NLEVD_SOURCE/ZONE/NAMES reached the hook: $(cat "$HOOKOUT" 2>/dev/null)"
	wait_for "hook_has NLEVD_EVENT=dns-published NLEVD_SOURCE=dns NLEVD_ZONE=example.test" 20 ||
		fail "no dns-published event reached the hook: $(cat "$HOOKOUT" 2>/dev/null)"
	status_shows '\[dns\] name taken\.example\.test\.?: .*; ownership conflict' ||
		fail "USR1 does not show the conflict: $(since_mark | grep '\[dns\]')"
	# the other name still follows
	ip -n "$NS" addr add 198.51.100.61/32 dev v0 || fail "addr add"
	wait_records mine.example.test A $'198.51.100.60\n198.51.100.61' 20
	stop_nlevd
	# a restart: our claim is ours still
	ip -n "$NS" addr add 198.51.100.62/32 dev v0 || fail "addr add"
	ip -n "$NS" addr del 198.51.100.60/32 dev v0 || fail "addr del"
	start_nlevd "$T/c.conf"
	wait_records mine.example.test A $'198.51.100.61\n198.51.100.62' 20
	dns_has mine.example.test DHCID "$ours" || fail "our DHCID changed across a restart: [$(dns_query mine.example.test DHCID)]"
	ip -n "$NS" addr add 2001:db8::61/64 dev v0 nodad || fail "addr add"
	wait_records mine.example.test AAAA $'2001:db8::60\n2001:db8::61' 20
	dns_has taken.example.test A 198.51.100.200 || fail "taken.example.test's A was changed after the restart"
	dns_has taken.example.test DHCID "$FOREIGN_DHCID" || fail "taken.example.test's DHCID changed after the restart"
	assert_running
	stop_nlevd
}

# 7: ipv6_suffix.
case_7()
{
	start_server "$D"
	veth_pair v0 v1
	ip -n "$NS" addr add 2001:db8:0:1::5/64 dev v0 nodad || fail "addr add"
	ip -n "$NS" addr add 198.51.100.70/32 dev v0 || fail "addr add"
	usual
	conf "$T/c.conf" "name = sfx.example.test" "ipv6_suffix = ::211:32ff:fe12:3456" "ptr = yes" \
		"${USUAL[@]}"
	start_nlevd "$T/c.conf"
	wait_records sfx.example.test AAAA 2001:db8:0:1:211:32ff:fe12:3456 20
	wait_records sfx.example.test A 198.51.100.70 20
	wait_ptr 2001:db8:0:1:211:32ff:fe12:3456 sfx.example.test.
	wait_ptr 198.51.100.70 sfx.example.test.
	dns_has "$(ptr_name 2001:db8:0:1::5)" PTR "" || fail "the host's own address got a PTR"
	# a second address in the /64: still one AAAA
	ip -n "$NS" addr add 2001:db8:0:1::6/64 dev v0 nodad || fail "addr add"
	ip -n "$NS" addr add 198.51.100.71/32 dev v0 || fail "addr add"
	wait_records sfx.example.test A $'198.51.100.70\n198.51.100.71' 20
	dns_has sfx.example.test AAAA 2001:db8:0:1:211:32ff:fe12:3456 ||
		fail "two addresses in one /64: AAAA [$(dns_query sfx.example.test AAAA)]"
	# the prefix changes
	ip -n "$NS" addr del 2001:db8:0:1::5/64 dev v0 || fail "addr del"
	ip -n "$NS" addr del 2001:db8:0:1::6/64 dev v0 || fail "addr del"
	ip -n "$NS" addr add 2001:db8:0:2::5/64 dev v0 nodad || fail "addr add"
	wait_records sfx.example.test AAAA 2001:db8:0:2:211:32ff:fe12:3456 20
	wait_ptr 2001:db8:0:2:211:32ff:fe12:3456 sfx.example.test.
	wait_ptr 2001:db8:0:1:211:32ff:fe12:3456 ""
	dns_has "$(ptr_name 2001:db8:0:2::5)" PTR "" || fail "the host's own new address got a PTR"
	assert_running
	stop_nlevd
}

# 8: scale: one interface with 3000 IPv6 addresses and ptr = yes.  The
# name's 3000 AAAA (about 84 kB) fit no DNS message (65535 bytes): no
# UPDATE can carry them and no server could serve them, so that is a
# permanent error naming the name and the size, while the 3000 PTRs (one
# name each, in one reverse zone: about 300 kB of changes) are split into
# UPDATEs of whole names under 64 KiB and converge.
case_8()
{
	start_big "$D"
	veth_pair v0 v1
	local i
	for ((i = 1; i <= 3000; i++)); do
		printf 'addr add 2001:db8:3::%x/64 dev v0 nodad\n' "$i"
	done | ip -n "$NS" -batch - || fail "ip -batch"
	[ "$(ip -n "$NS" -6 addr show dev v0 scope global | grep -c inet6)" -eq 3000 ] || fail "3000 addresses"
	usual
	conf "$T/c.conf" "name = big.example.test" "ptr = yes" "verify = 0" "${USUAL[@]}"
	start_nlevd "$T/c.conf"
	local too_big='the records of big\.example\.test\. alone need [0-9]+ bytes, over the 65535 of a DNS message'
	[ "$DNSV2_PLUGIN" = nsupdate ] && too_big='ran out of space'
	wait_for "grep -E 'error: \[dns\] update refused: zone example\.test\.: .*$too_big' '$NLEVD_ERR'" 90 ||
		fail "the 84 kB RRset was not refused clearly: $(grep '\[dns\]' "$NLEVD_ERR" | tail -n 5)"
	wait_for "[ \$(zone_type_count 8.b.d.0.1.0.0.2.ip6.arpa PTR) -eq 3000 ]" 120 ||
		fail "3000 PTRs not published: the server holds $(zone_type_count 8.b.d.0.1.0.0.2.ip6.arpa PTR): $(grep '\[dns\]' "$NLEVD_ERR" | tail -n 5)"
	grep -E 'info: \[dns\] zone 8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa\.: [0-9]+ changes do not fit one UPDATE' "$NLEVD_ERR" >/dev/null ||
		fail "the split was not logged: $(grep '\[dns\]' "$NLEVD_ERR" | tail -n 5)"
	grep -E 'error: \[dns\] .*8\.b\.d\.0\.1\.0\.0\.2\.ip6\.arpa' "$NLEVD_ERR" && fail "the reverse zone failed"
	# still answering: a status
	local n0
	n0=$(grep -c 'updates_sent ' "$NLEVD_ERR")
	kill -USR1 "$NLEVD_PID"
	wait_for "[ \$(grep -c 'updates_sent ' '$NLEVD_ERR') -gt $n0 ]" 10 || fail "no status after SIGUSR1"
	assert_running "after 3000 addresses"
	stop_nlevd
}

# 9 (the second half of the issue's case 8): 4 names x 1000 addresses.
case_9()
{
	start_big "$D"
	veth_pair v0 v1
	local i
	usual
	for ((i = 1; i <= 1000; i++)); do
		printf 'addr add 2001:db8:4::%x/64 dev v0 nodad\n' "$i"
	done | ip -n "$NS" -batch - || fail "ip -batch"
	conf "$T/c2.conf" "name = n1.example.test n2.example.test n3.example.test n4.example.test" \
		"verify = 0" "${USUAL[@]}"
	local s0 s1
	s0=$(soa_serial example.test) || fail "no SOA"
	log_mark
	start_nlevd "$T/c2.conf"
	local h
	for h in n1 n2 n3 n4; do
		wait_for "[ \$(server_count $h.example.test AAAA) -eq 1000 ]" 90 ||
			fail "$h: 1000 AAAA not published: the server holds $(server_count $h.example.test AAAA): $(grep '\[dns\]' "$NLEVD_ERR" | tail -n 10)"
	done
	s1=$(quiet_serial example.test 2)
	note "4 x 1000 AAAA: $((s1 - s0)) UPDATE(s)"
	[ $((s1 - s0)) -ge 2 ] || fail "4 x 1000 AAAA (about 112 kB) in $((s1 - s0)) UPDATE(s)"
	[ "$DNSV2_PLUGIN" = nsupdate ] ||
		since_mark | grep -E 'info: \[dns\] zone example\.test\.?: [0-9]+ changes do not fit one UPDATE' >/dev/null ||
		fail "4 x 1000 AAAA (about 112 kB) split, but not logged"
	# a query over TCP sees them too (28 kB each)
	[ "$(ip netns exec "$NS" dig @127.0.0.1 +tcp +norecurse +noall +answer n1.example.test AAAA | grep -c AAAA)" -eq 1000 ] ||
		fail "dig +tcp does not give 1000 AAAA for n1"
	# one address goes: every name follows
	ip -n "$NS" addr del 2001:db8:4::1/64 dev v0 || fail "addr del"
	for h in n1 n2 n3 n4; do
		wait_for "[ \$(server_count $h.example.test AAAA) -eq 999 ]" 60 ||
			fail "$h: not 999 AAAA after a delete: $(server_count $h.example.test AAAA)"
	done
	assert_running "after 4 x 1000"
	grep -E 'error: \[dns\]' "$NLEVD_ERR" && fail "errors logged"
	stop_nlevd
}

# ---- running them ----

# Every process left in the namespace (a case's server and daemons, all
# started here): TERM, then KILL, by pid.
_ns_reap()
{
	local pids pid i
	pids=$(ip netns pids "$NS" 2>/dev/null)
	[ -n "$pids" ] || return 0
	for pid in $pids; do kill -TERM "$pid" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		[ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	sleep 0.2
}

FAILED=()
for c in $DNSV2_CASES; do
	declare -F "case_$c" >/dev/null || fail "no case $c"
	note "---- case $c ($DNSV2_PLUGIN, $DNSV2_SERVER) ----"
	t0=$(now_ms)
	(
		T=$TOP_T/case$c
		mkdir -p "$T" || exit 1
		NLEVD_ERR=$T/nlevd.err
		D=$T/server
		TEST_NAME="$TEST_NAME case $c"
		"case_$c"
	)
	rc=$?
	_ns_reap
	ip -n "$NS" link del v0 2>/dev/null
	# (the time, to see where a run's minutes go)
	t0=$(($(now_ms) - t0))
	t0="$((t0 / 1000)).$((t0 % 1000 / 100)) s"
	if [ "$rc" -eq 0 ]; then
		note "case $c: PASS ($t0)"
	else
		note "case $c: FAIL ($t0)"
		FAILED+=("$c")
	fi
done
[ "${#FAILED[@]}" -eq 0 ] || fail "case(s) failed: ${FAILED[*]}"
pass
