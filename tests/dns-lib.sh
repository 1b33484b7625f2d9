# shellcheck shell=bash
# Real authoritative DNS servers for the DNS plugins' integration tests
# (nsupdate, dnsupdate).  Source it after lib.sh and test_init: the servers
# run in the test namespace ($NS) on its loopback, every file lives in the
# directory a test gives (normally under $T), and the servers' pids join
# lib.sh's _PIDS so the EXIT trap kills them whatever happens.
#
# All three servers serve the same zones, from zone files written into DIR,
# and accept RFC 2136 UPDATEs signed with the TSIG key DIR/nlevd.key
# (hmac-sha256, key name "nlevd-key", mode 600, in BIND's key-file syntax,
# as nsupdate -k and the plugins' key_file want it).  DIR/wrong.key has the
# same name and algorithm but another secret.  Keys and zone files already
# in DIR are kept: to give a second server the same key, copy nlevd.key
# (and wrong.key) into its DIR before starting it.
#
#   start_named DIR [PORT]   BIND's named, on 127.0.0.1 and ::1 at PORT (53);
#                            sets NAMED_PID
#   start_knotd DIR [PORT]   Knot's knotd likewise; sets KNOTD_PID
#   start_pdns DIR [PORT]    the PowerDNS Authoritative Server likewise, as
#                            root in the foreground, with a gsqlite3 database
#                            DIR/pdns.sqlite3 filled by pdnsutil from the
#                            zone files (kept if present, so a restart in DIR
#                            keeps the updates, as the others' journals do);
#                            its config is DIR/pdns.conf (pdnsutil
#                            --config-dir=DIR reads the same one); log
#                            DIR/pdns.log; sets PDNS_PID
#   dns_query NAME TYPE [PORT]      the answer's rdata, one per line, sorted
#   dns_ttl NAME TYPE [PORT]        the answer's TTLs, one per line, sorted
#   soa_serial ZONE [PORT]          the zone's SOA serial
#   wait_records NAME TYPE "LINES" [TIMEOUT_S]
#                            wait until dns_query gives exactly LINES
#                            (newline-separated, any order; "" = no record);
#                            fails the test with what it got
#   dns_update DIR "COMMANDS" [PORT] [KEY]  an nsupdate by hand, signed
#   ptr_name ADDRESS         the reverse owner name, with a trailing dot
#   dns_key_secret KEYFILE   the base64 secret of a BIND key file
#   dns_require PROG...      skip (77) unless PROG is installed (CI: fail)
#
# Queries go to 127.0.0.1 at PORT, or $DNS_PORT (default 53) when no port is
# given.  The zones (SOA serial 1; MNAME ns1.example.test, which is
# 127.0.0.1 and ::1 in example.test; NS ns1.example.test.; the key may
# change anything in the zone) are those of DNS_ZONES, by default:
: "${DNS_ZONES=example.test 100.51.198.in-addr.arpa 113.0.203.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa}"
# i.e. names under example.test, PTRs for 198.51.100.0/24, 203.0.113.0/24
# and 2001:db8::/32.  A test may set DNS_ZONES (before start_*) to any list
# of the zones of DNS_KNOWN_ZONES: the default ones, and other.test, a
# second forward zone (no records but its SOA and NS).  A zone left out is
# not served at all: its names are outside every zone of the server.
DNS_KNOWN_ZONES="example.test other.test 100.51.198.in-addr.arpa 113.0.203.in-addr.arpa 8.b.d.0.1.0.0.2.ip6.arpa"
# The zones of DNS_REFUSE_ZONES (known zones too, default none) are served
# as well, with the same records, but every UPDATE to them is refused
# whatever its key: BIND has allow-update { none; }, Knot no ACL for them,
# PowerDNS no ALLOW-DNSUPDATE-FROM (and no global allow-dnsupdate-from).
# A zone in both lists is refused.
: "${DNS_REFUSE_ZONES=}"
#
# All three add one to the serial per UPDATE that changes the zone (BIND:
# serial-update-method increment; Knot: serial-policy increment; PowerDNS:
# SOA-EDIT-DNSUPDATE INCREASE; its DEFAULT would, as documented, jump to
# YYYYMMDD01), so a serial difference counts UPDATEs.  An UPDATE that
# changes nothing leaves the serial alone on all three (dns-zones.sh).
#
# Their answers differ (dns-zones.sh pins them down): an UPDATE signed with
# wrong.key gets NOTAUTH with TSIG error BADSIG from BIND and Knot but a
# bare REFUSED without TSIG from PowerDNS; Knot answers a signed query for
# a refused zone NOTAUTH/BADKEY (it knows a key only in zones with an ACL
# for it; unsigned queries are answered); an UPDATE for a zone not served
# is NOTAUTH on BIND and Knot, REFUSED on PowerDNS (its ACL check comes
# first and such a zone has no ALLOW-DNSUPDATE-FROM).
#
# PowerDNS's setup, per served zone: pdnsutil load-zone of the zone file,
# metadata SOA-EDIT-DNSUPDATE INCREASE, and unless refused
# TSIG-ALLOW-DNSUPDATE nlevd-key and ALLOW-DNSUPDATE-FROM 127.0.0.0/8
# ::1/128; the key is imported with pdnsutil import-tsig-key; dnsupdate=yes
# and allow-dnsupdate-from empty (the global list is added to every zone's,
# so with its default 127.0.0.0/8 a refused zone would accept updates).
: "${DNS_PORT:=53}"
NAMED_PID=
KNOTD_PID=
PDNS_PID=

# dns_require PROGRAM...: the DNS tools a test needs (named, knotd, nsupdate,
# dig, tsig-keygen, ...).  They are test-only dependencies: a missing one
# skips the test, unless CI=true, where it fails.
dns_require()
{
	local p
	for p in "$@"; do
		command -v "$p" >/dev/null 2>&1 && continue
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $TEST_NAME: '$p' is required (bind9, bind9-dnsutils, knot, knot-dnsutils, pdns-server, pdns-backend-sqlite3)"
			exit 1
		fi
		echo "SKIP: $TEST_NAME: '$p' is not installed"
		exit 77
	done
}

# _dns_served: the zones to serve, DNS_ZONES then the other refused ones.
_dns_served()
{
	local z
	for z in $DNS_ZONES; do echo "$z"; done
	for z in $DNS_REFUSE_ZONES; do
		# shellcheck disable=SC2086 # a word list
		_dns_in "$z" $DNS_ZONES || echo "$z"
	done
}

# _dns_in WORD LIST...: WORD is one of LIST.
_dns_in()
{
	local w=$1 x
	shift
	for x in "$@"; do [ "$x" = "$w" ] && return 0; done
	return 1
}

# _dns_refused ZONE: UPDATEs to ZONE are to be refused.
# shellcheck disable=SC2086 # word lists
_dns_refused() { _dns_in "$1" $DNS_REFUSE_ZONES; }

# _dns_files DIR: the TSIG keys and the zone files (kept if present).
_dns_files()
{
	local dir=$1 z
	for z in $(_dns_served); do
		# shellcheck disable=SC2086 # a word list
		_dns_in "$z" $DNS_KNOWN_ZONES || fail "dns-lib.sh: unknown zone '$z' (not in DNS_KNOWN_ZONES)"
	done
	[ -n "$(_dns_served)" ] || fail "dns-lib.sh: DNS_ZONES and DNS_REFUSE_ZONES are both empty"
	mkdir -p "$dir" || fail "cannot create $dir"
	if [ ! -s "$dir/nlevd.key" ]; then
		tsig-keygen -a hmac-sha256 nlevd-key >"$dir/nlevd.key" || fail "tsig-keygen failed"
		tsig-keygen -a hmac-sha256 nlevd-key >"$dir/wrong.key" || fail "tsig-keygen failed"
		chmod 600 "$dir/nlevd.key" "$dir/wrong.key"
	fi
	for z in $(_dns_served); do
		[ -f "$dir/$z.zone" ] && continue
		{
			echo "\$ORIGIN $z."
			echo "\$TTL 300"
			echo "@ IN SOA ns1.example.test. hostmaster.example.test. 1 3600 600 86400 60"
			echo "@ IN NS ns1.example.test."
			if [ "$z" = example.test ]; then
				echo "ns1 IN A 127.0.0.1"
				echo "ns1 IN AAAA ::1"
			fi
		} >"$dir/$z.zone"
	done
}

# dns_key_secret KEYFILE: the base64 secret of a BIND key file.
dns_key_secret()
{
	sed -n 's/^[[:space:]]*secret[[:space:]]*"\([^"]*\)".*/\1/p' "$1"
}

# _dns_wait_up NAME PID PORT LOG: until the server answers the SOA query
# for every zone it serves.
_dns_wait_up()
{
	local what=$1 pid=$2 port=$3 log=$4 deadline z up
	deadline=$((SECONDS + $(_scaled 20)))
	while :; do
		pid_running "$pid" || fail "$what exited during start-up: $(tail -n 20 "$log" 2>/dev/null)"
		up=1
		for z in $(_dns_served); do
			[ -n "$(soa_serial "$z" "$port" 2>/dev/null)" ] || { up=; break; }
		done
		[ -n "$up" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && fail "$what did not answer on port $port within 20 s"
		sleep 0.1
	done
}

start_named()
{
	local dir=$1 port=${2:-53} z policy
	dns_require named named-checkconf tsig-keygen dig
	_dns_files "$dir"
	{
		cat <<EOF
options {
	directory "$dir";
	pid-file "$dir/named.pid";
	session-keyfile "$dir/session.key";
	managed-keys-directory "$dir";
	dump-file "$dir/named.dump";
	statistics-file "$dir/named.stats";
	listen-on port $port { 127.0.0.1; };
	listen-on-v6 port $port { ::1; };
	recursion no;
	notify no;
	dnssec-validation no;
	allow-transfer { none; };
};
controls { };
logging {
	channel main { file "$dir/named.log"; print-time yes; print-category yes; print-severity yes; severity info; };
	category default { main; };
	category lame-servers { null; };
};
include "$dir/nlevd.key";
EOF
		for z in $(_dns_served); do
			if _dns_refused "$z"; then
				policy="allow-update { none; };"
			else
				policy="update-policy { grant nlevd-key zonesub ANY; };"
			fi
			cat <<EOF
zone "$z" {
	type primary;
	file "$dir/$z.zone";
	$policy
};
EOF
		done
	} >"$dir/named.conf"
	named-checkconf "$dir/named.conf" >"$dir/checkconf.out" 2>&1 ||
		fail "named-checkconf: $(cat "$dir/checkconf.out")"
	note "starting named in $dir on port $port"
	ip netns exec "$NS" named -f -n 1 -c "$dir/named.conf" >>"$dir/named.out" 2>&1 &
	NAMED_PID=$!
	_PIDS+=("$NAMED_PID")
	_DIAG_FILES+=("$dir/named.log" "$dir/named.out")
	_dns_wait_up named "$NAMED_PID" "$port" "$dir/named.log"
}

start_knotd()
{
	local dir=$1 port=${2:-53} z secret t
	dns_require knotd knotc tsig-keygen dig
	_dns_files "$dir"
	secret=$(dns_key_secret "$dir/nlevd.key")
	[ -n "$secret" ] || fail "no secret in $dir/nlevd.key"
	mkdir -p "$dir/knot-db"
	{
		cat <<EOF
server:
    rundir: "$dir"
    pidfile: "$dir/knotd.pid"
    listen: [ 127.0.0.1@$port, ::1@$port ]
log:
  - target: "$dir/knotd.log"
    any: info
database:
    storage: "$dir/knot-db"
control:
    listen: "$dir/knot.sock"
key:
  - id: nlevd-key
    algorithm: hmac-sha256
    secret: $secret
acl:
  - id: nlevd-update
    key: nlevd-key
    action: update
template:
EOF
		# "refuse" is "default" without the ACL: Knot denies an UPDATE
		# that no ACL allows.
		for t in default refuse; do
			cat <<EOF
  - id: $t
    storage: "$dir"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    serial-policy: increment
    semantic-checks: off
EOF
			[ "$t" = default ] && echo "    acl: nlevd-update"
		done
		echo "zone:"
		for z in $(_dns_served); do
			echo "  - domain: $z"
			_dns_refused "$z" && echo "    template: refuse"
		done
	} >"$dir/knot.conf"
	knotc -c "$dir/knot.conf" conf-check >"$dir/checkconf.out" 2>&1 ||
		fail "knotc conf-check: $(cat "$dir/checkconf.out")"
	note "starting knotd in $dir on port $port"
	ip netns exec "$NS" knotd -c "$dir/knot.conf" >>"$dir/knotd.out" 2>&1 &
	KNOTD_PID=$!
	_PIDS+=("$KNOTD_PID")
	_DIAG_FILES+=("$dir/knotd.log" "$dir/knotd.out")
	_dns_wait_up knotd "$KNOTD_PID" "$port" "$dir/knotd.log"
}

# _pdnsutil DIR ARGS...: pdnsutil on DIR's config (and so its database).
_pdnsutil() { local dir=$1; shift; pdnsutil --config-dir="$dir" "$@"; }

start_pdns()
{
	local dir=$1 port=${2:-53} z secret
	dns_require pdns_server pdnsutil sqlite3 tsig-keygen dig
	_dns_files "$dir"
	secret=$(dns_key_secret "$dir/nlevd.key")
	[ -n "$secret" ] || fail "no secret in $dir/nlevd.key"
	local schema=/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
	[ -f "$schema" ] || schema=/usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
	[ -f "$schema" ] || fail "no gsqlite3 schema (pdns-backend-sqlite3)"
	# Nothing from /etc/powerdns: this file is the whole config, for
	# pdns_server and pdnsutil alike.  No setuid: root, like the others.
	# allow-dnsupdate-from is empty so that only the zones' metadata
	# allows; security-poll-suffix is empty so it makes no queries.
	cat >"$dir/pdns.conf" <<EOF
launch=gsqlite3
gsqlite3-database=$dir/pdns.sqlite3
local-address=127.0.0.1, ::1
local-port=$port
dnsupdate=yes
allow-dnsupdate-from=
security-poll-suffix=
primary=no
secondary=no
disable-axfr=yes
distributor-threads=1
receiver-threads=1
loglevel=6
log-dns-details=yes
disable-syslog=yes
log-timestamp=yes
EOF
	[ -s "$dir/pdns.sqlite3" ] || {
		sqlite3 "$dir/pdns.sqlite3" <"$schema" || return 1
		_pdnsutil "$dir" import-tsig-key nlevd-key hmac-sha256 "$secret" || return 1
		for z in $(_dns_served); do
			_pdnsutil "$dir" load-zone "$z" "$dir/$z.zone" || return 1
			_pdnsutil "$dir" set-meta "$z" SOA-EDIT-DNSUPDATE INCREASE || return 1
			_dns_refused "$z" && continue
			_pdnsutil "$dir" set-meta "$z" TSIG-ALLOW-DNSUPDATE nlevd-key || return 1
			_pdnsutil "$dir" set-meta "$z" ALLOW-DNSUPDATE-FROM 127.0.0.0/8 ::1/128 || return 1
		done
	} >>"$dir/pdnsutil.out" 2>&1 || {
		rm -f "$dir/pdns.sqlite3"
		fail "pdnsutil: $(tail -n 20 "$dir/pdnsutil.out")"
	}
	note "starting pdns_server in $dir on port $port"
	ip netns exec "$NS" pdns_server --daemon=no --guardian=no --config-dir="$dir" \
		--socket-dir="$dir" >>"$dir/pdns.log" 2>&1 &
	PDNS_PID=$!
	_PIDS+=("$PDNS_PID")
	_DIAG_FILES+=("$dir/pdns.log" "$dir/pdnsutil.out")
	_dns_wait_up pdns_server "$PDNS_PID" "$port" "$dir/pdns.log"
}

# _dns_dig PORT ARGS...: the answer section (+noall +answer), or status 1.
_dns_dig()
{
	local port=$1 out
	shift
	out=$(ip netns exec "$NS" dig @127.0.0.1 -p "$port" +time=1 +tries=2 +norecurse \
		+noall +answer "$@" 2>&1) || return 1
	printf '%s\n' "$out" | grep -v '^;' | grep -v '^$' || true
}

dns_query()
{
	local out
	out=$(_dns_dig "${3:-$DNS_PORT}" "$1" "$2") || return 1
	# owner TTL class type rdata...: the rdata, of the asked type only
	printf '%s\n' "$out" | awk -v t="$2" 'toupper($4) == toupper(t) {
		$1 = $2 = $3 = $4 = ""; sub(/^ +/, ""); print }' | LC_ALL=C sort
}

dns_ttl()
{
	local out
	out=$(_dns_dig "${3:-$DNS_PORT}" "$1" "$2") || return 1
	printf '%s\n' "$out" | awk -v t="$2" 'toupper($4) == toupper(t) { print $2 }' | LC_ALL=C sort -n
}

soa_serial()
{
	local out
	out=$(dns_query "$1" SOA "${2:-}") || return 1
	[ -n "$out" ] || return 1
	printf '%s\n' "$out" | awk 'NR == 1 { print $3 }'
}

# The expected lines, normalised like dns_query's output.
_dns_sorted() { printf '%s\n' "$1" | grep -v '^[[:space:]]*$' | LC_ALL=C sort; }

# dns_has NAME TYPE "LINES" [PORT]: the answer is exactly LINES (no output).
dns_has()
{
	local got
	got=$(dns_query "$1" "$2" "${4:-}") || return 1
	[ "$got" = "$(_dns_sorted "$3")" ]
}

wait_records()
{
	local name=$1 type=$2 want timeout=${4:-15} deadline got
	want=$(_dns_sorted "$3")
	deadline=$((SECONDS + $(_scaled "$timeout")))
	while :; do
		got=$(dns_query "$name" "$type") && [ "$got" = "$want" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		sleep 0.2
	done
	got=$(dns_query "$name" "$type" 2>&1) || got="(no answer from 127.0.0.1#$DNS_PORT) $got"
	fail "timeout (${timeout}s): $name $type wanted [${want//$'\n'/ }], got [${got//$'\n'/ }]"
}

dns_update()
{
	local dir=$1 cmds=$2 port=${3:-$DNS_PORT} key=${4:-$1/nlevd.key}
	printf 'server 127.0.0.1 %s\n%s\nsend\n' "$port" "$cmds" |
		ip netns exec "$NS" nsupdate -t 3 -k "$key"
}

ptr_name()
{
	local a=$1 head tail hex="" g i n
	case $a in
	*:*)
		head=${a%%::*}
		tail=
		[ "$head" != "$a" ] && tail=${a#*::}
		local -a hg=() tg=()
		IFS=: read -r -a hg <<<"$head"
		IFS=: read -r -a tg <<<"$tail"
		n=$((8 - ${#hg[@]} - ${#tg[@]}))
		for g in "${hg[@]}"; do hex+=$(printf '%04x' "0x${g:-0}"); done
		for ((i = 0; i < n; i++)); do hex+=0000; done
		for g in "${tg[@]}"; do hex+=$(printf '%04x' "0x${g:-0}"); done
		local out=
		for ((i = 31; i >= 0; i--)); do out+="${hex:i:1}."; done
		echo "${out}ip6.arpa."
		;;
	*)
		local o1 o2 o3 o4
		IFS=. read -r o1 o2 o3 o4 <<<"$a"
		echo "$o4.$o3.$o2.$o1.in-addr.arpa."
		;;
	esac
}
