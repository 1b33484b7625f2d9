#!/bin/bash
# dns-lib.sh's zone choices on all three servers (no nlevd here): BIND,
# Knot and PowerDNS serve other.test, leave out a zone DNS_ZONES omits
# (the ip6.arpa one) and refuse every UPDATE to a zone of DNS_REFUSE_ZONES;
# PowerDNS passes the checks dns-servers.sh makes of the other two (serial
# +1 per changing UPDATE, none for one that changes nothing); and each
# server's answer to a signed query or UPDATE (rcode, AA, signed or not),
# which the plugins' verification and error handling depend on, is pinned
# down per server.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dns-zones
dns_require named knotd pdns_server pdnsutil sqlite3 nsupdate dig tsig-keygen

# shellcheck disable=SC2034 # read by dns-lib.sh
DNS_ZONES="example.test other.test 100.51.198.in-addr.arpa"
# shellcheck disable=SC2034 # read by dns-lib.sh
DNS_REFUSE_ZONES="113.0.203.in-addr.arpa"
UNSERVED=8.b.d.0.1.0.0.2.ip6.arpa
REFUSED=113.0.203.in-addr.arpa

# _summary: "RCODE AA TSIG" of dig's or nsupdate -d's reply, AA "aa" or
# "-", TSIG "signed" (a MAC, no TSIG error, verified by dig), "none" (no
# TSIG record) or "unsigned-ERROR" (a TSIG record with an error and no MAC).
_summary()
{
	awk '
	/->>HEADER<<-/ { if (match($0, /status: [A-Z]+/)) st = substr($0, RSTART + 8, RLENGTH - 8) }
	/^;; flags:/ { aa = ($0 ~ /flags:[a-z ]* aa[ ;]/) ? "aa" : "-" }
	/Couldn.t verify/ { bad = 1 }
	$4 == "TSIG" { tsig = 1; mac = $8; err = $(NF - 1) }
	END {
		t = "none"
		if (tsig) t = (mac > 0 && err == "NOERROR" && !bad) ? "signed" : "unsigned-" err
		print st, aa, t
	}'
}

# sq KEY PORT NAME TYPE: the summary of a signed query
sq()
{
	nsx dig -k "$1" @127.0.0.1 -p "$2" +norec +time=1 +tries=2 "$3" "$4" 2>&1 | _summary
}

# su KEY PORT ZONE "COMMANDS": the summary of the reply to a signed UPDATE
su()
{
	printf 'server 127.0.0.1 %s\nzone %s\n%s\nsend\n' "$2" "$3" "$4" |
		nsx nsupdate -d -t 3 -k "$1" 2>&1 | sed -n '/Reply from update query/,$p' | _summary
}

# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: got [$2], want [$3]"; }

# check NAME DIR PORT: the server on PORT, with its files in DIR; the
# expected answers are in the variables the caller sets (see below).
check()
{
	local what=$1 dir=$2 port=$3 z k=$2/nlevd.key w=$2/wrong.key r
	# shellcheck disable=SC2034 # read by dns-lib.sh
	DNS_PORT=$port
	for z in example.test other.test 100.51.198.in-addr.arpa $REFUSED; do
		[ "$(soa_serial "$z")" = 1 ] || fail "$what: $z serial [$(soa_serial "$z")]"
	done
	[ "$(dns_query other.test SOA)" = "ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60" ] ||
		fail "$what: other.test SOA [$(dns_query other.test SOA)]"
	[ "$(dns_query other.test NS)" = "ns1.example.test." ] || fail "$what: other.test NS [$(dns_query other.test NS)]"
	wait_records ns1.example.test A 127.0.0.1 1
	wait_records ns1.example.test AAAA ::1 1
	# The omitted zone is not served: an unsigned SOA query is REFUSED.
	r=$(nsx dig @127.0.0.1 -p "$port" +norec +time=1 +tries=2 "$UNSERVED" SOA 2>&1 | _summary)
	expect "$what: unsigned SOA query for $UNSERVED (not served)" "$r" "REFUSED - none"

	# Updates: one per zone that accepts them, the serial counts them.
	expect "$what: UPDATE example.test" \
		"$(su "$k" "$port" example.test "update add h.example.test 60 A 198.51.100.1
update add h.example.test 60 AAAA 2001:db8::1")" "NOERROR $U_AA signed"
	wait_records h.example.test A 198.51.100.1 2
	wait_records h.example.test AAAA 2001:db8::1 2
	[ "$(dns_ttl h.example.test A)" = 60 ] || fail "$what: TTL $(dns_ttl h.example.test A)"
	[ "$(soa_serial example.test)" = 2 ] || fail "$what: serial after one update: $(soa_serial example.test)"
	dns_update "$dir" "update delete h.example.test A
update add h.example.test 60 A 198.51.100.2" || fail "$what: second update failed"
	wait_records h.example.test A 198.51.100.2 2
	[ "$(soa_serial example.test)" = 3 ] || fail "$what: serial after two updates: $(soa_serial example.test)"
	# An UPDATE that changes nothing: NOERROR, the serial stays.
	expect "$what: UPDATE changing nothing" \
		"$(su "$k" "$port" example.test "update add h.example.test 60 A 198.51.100.2")" "NOERROR $U_AA signed"
	[ "$(soa_serial example.test)" = 3 ] || fail "$what: serial after a no-op update: $(soa_serial example.test)"
	expect "$what: UPDATE other.test" \
		"$(su "$k" "$port" other.test "update add h.other.test 60 A 198.51.100.3")" "NOERROR $U_AA signed"
	wait_records h.other.test A 198.51.100.3 2
	[ "$(soa_serial other.test)" = 2 ] || fail "$what: other.test serial $(soa_serial other.test)"
	[ "$(soa_serial example.test)" = 3 ] || fail "$what: other.test's UPDATE moved example.test's serial"
	# No zone given: nsupdate finds the reverse zone by SOA queries.
	dns_update "$dir" "update add $(ptr_name 198.51.100.1) 60 PTR h.example.test." ||
		fail "$what: PTR update failed"
	wait_records "$(ptr_name 198.51.100.1)" PTR h.example.test. 2

	# Refused zone: served, every UPDATE refused, nothing changes.
	expect "$what: UPDATE to refused $REFUSED" \
		"$(su "$k" "$port" "$REFUSED" "update add 5.113.0.203.in-addr.arpa 60 PTR h.example.test.")" "$U_REFUSED"
	r=$(dns_update "$dir" "update add 6.113.0.203.in-addr.arpa 60 PTR h.example.test." 2>&1) &&
		fail "$what: nsupdate (zone found by SOA query) succeeded on refused $REFUSED"
	[ -z "$(dns_query 5.113.0.203.in-addr.arpa PTR)$(dns_query 6.113.0.203.in-addr.arpa PTR)" ] ||
		fail "$what: a PTR was added to refused $REFUSED"
	[ "$(soa_serial "$REFUSED")" = 1 ] || fail "$what: refused $REFUSED serial $(soa_serial "$REFUSED")"
	# Not served, or not a zone apex, or a record outside the zone.
	expect "$what: UPDATE to unserved $UNSERVED" \
		"$(su "$k" "$port" "$UNSERVED" "update add $(ptr_name 2001:db8::1) 60 PTR h.example.test.")" "$U_UNSERVED"
	expect "$what: UPDATE to sub.example.test (no apex)" \
		"$(su "$k" "$port" sub.example.test "update add h.sub.example.test 60 A 198.51.100.4")" "$U_UNSERVED"
	expect "$what: UPDATE to example.test of h.other.test" \
		"$(su "$k" "$port" example.test "update add h.other.test 60 A 198.51.100.4")" "NOTZONE $U_AA signed"
	expect "$what: UPDATE signed with the wrong key" \
		"$(su "$w" "$port" example.test "update add w.example.test 60 A 198.51.100.5")" "$U_WRONG"
	[ -z "$(dns_query w.example.test A)" ] || fail "$what: the wrong key's record is there"
	[ "$(soa_serial example.test)" = 3 ] || fail "$what: a refused UPDATE moved the serial"

	# Signed queries.
	expect "$what: signed A query" "$(sq "$k" "$port" h.example.test A)" "NOERROR aa signed"
	expect "$what: signed query, NXDOMAIN" "$(sq "$k" "$port" nx.example.test A)" "NXDOMAIN aa signed"
	expect "$what: signed query, NODATA" "$(sq "$k" "$port" h.example.test TXT)" "NOERROR aa signed"
	expect "$what: signed SOA query, other.test" "$(sq "$k" "$port" other.test SOA)" "NOERROR aa signed"
	expect "$what: signed SOA query, refused $REFUSED" "$(sq "$k" "$port" "$REFUSED" SOA)" "$Q_REFUSED_SOA"
	expect "$what: signed query, NXDOMAIN in refused $REFUSED" \
		"$(sq "$k" "$port" "7.$REFUSED" PTR)" "$Q_REFUSED_NX"
	expect "$what: signed SOA query, unserved $UNSERVED" "$(sq "$k" "$port" "$UNSERVED" SOA)" "$Q_UNSERVED"
	expect "$what: query signed with the wrong key" "$(sq "$w" "$port" h.example.test A)" "$Q_WRONG"
	note "$what on port $port: ok"
}

start_named "$T/named" 53
mkdir -p "$T/knot" "$T/pdns" || fail "mkdir"
cp -p "$T/named/nlevd.key" "$T/named/wrong.key" "$T/knot/" || fail "cp keys"
cp -p "$T/named/nlevd.key" "$T/named/wrong.key" "$T/pdns/" || fail "cp keys"
start_knotd "$T/knot" 5300
start_pdns "$T/pdns" 5301

# What each server answers ("RCODE AA TSIG", see _summary).  BIND signs
# every answer to a good signature, even REFUSED; Knot only knows a key in
# a zone that has an ACL with it (a refused zone has none: NOTAUTH with
# TSIG error BADKEY, for queries too) and leaves answers outside its zones
# unsigned; PowerDNS signs everything but answers a bad signature with a
# bare NOTAUTH (query) or REFUSED (UPDATE) without TSIG, sets AA in UPDATE
# answers, and refuses an UPDATE for any zone without ALLOW-DNSUPDATE-FROM
# (checked before the zone is looked up) where the others say NOTAUTH.
U_AA=- U_REFUSED="REFUSED - signed" U_UNSERVED="NOTAUTH - signed" U_WRONG="NOTAUTH - unsigned-BADSIG"
Q_REFUSED_SOA="NOERROR aa signed" Q_REFUSED_NX="NXDOMAIN aa signed" Q_UNSERVED="REFUSED - signed"
Q_WRONG="NOTAUTH - unsigned-BADSIG"
check named "$T/named" 53

U_REFUSED="NOTAUTH - unsigned-BADKEY" U_UNSERVED="NOTAUTH - none"
Q_REFUSED_SOA="NOTAUTH - unsigned-BADKEY" Q_REFUSED_NX="NOTAUTH - unsigned-BADKEY" Q_UNSERVED="REFUSED - none"
check knotd "$T/knot" 5300

U_AA=aa U_REFUSED="REFUSED aa signed" U_UNSERVED="REFUSED aa signed" U_WRONG="REFUSED aa none"
Q_REFUSED_SOA="NOERROR aa signed" Q_REFUSED_NX="NXDOMAIN aa signed" Q_UNSERVED="REFUSED - signed"
Q_WRONG="NOTAUTH aa none"
check pdns_server "$T/pdns" 5301
# start_pdns again in the same DIR keeps the database, so the updates.
kill -TERM "$PDNS_PID" && wait_exit "$PDNS_PID" 10 || fail "pdns_server did not stop"
start_pdns "$T/pdns" 5301
wait_records h.example.test A 198.51.100.2 2
[ "$(soa_serial example.test)" = 3 ] || fail "pdns_server restarted: serial [$(soa_serial example.test)], want 3"

# Independent servers: BIND's zones did not move.
[ "$(soa_serial example.test 53)" = 3 ] || fail "named's serial moved"
pass
