# shellcheck shell=bash
# An MIT Kerberos realm and a BIND that accepts GSS-TSIG (RFC 3645), in the
# test namespace, for the DNS plugins' gss-tsig tests.  Source it after
# lib.sh and dns-lib.sh, and after test_init.  Everything lives under the
# directory given (normally $T); the KDC's and named's pids join lib.sh's
# _PIDS, and /etc/netns/$NS (hosts, resolv.conf) is removed by the EXIT
# trap whatever happens.
#
#   krb5_net                 a veth krb0/krb1 in $NS with KRB5_ADDR on krb0
#                            (only loopback: getaddrinfo's AI_ADDRCONFIG
#                            finds nothing and libkrb5 reaches no KDC; the
#                            dummy module is not available here), and
#                            /etc/netns/$NS/hosts (ns1, kdc.example.test =
#                            KRB5_ADDR) and resolv.conf (nameserver
#                            KRB5_ADDR), which ip netns exec mounts on /etc
#   krb5_realm DIR           realm EXAMPLE.TEST: DIR/kdc.conf (exported as
#                            KRB5_KDC_PROFILE), DIR/krb5.conf (exported as
#                            KRB5_CONFIG; no DNS lookups, no reverse or
#                            canonicalised names, default cache
#                            DIR/default.cc, which nothing should create),
#                            a database with a throwaway master password,
#                            the principals below (random keys) and their
#                            keytabs:
#                              host/client.example.test  DIR/client.keytab
#                              host/other.example.test   DIR/other.keytab
#                              host/gone.example.test    DIR/gone.keytab
#                                (deleted from the KDC after its export: a
#                                principal in a keytab the KDC does not know)
#                              DNS/ns1.example.test      DIR/dns.keytab
#                            KRB5_DIR=DIR.  Keytab paths: KRB5_CLIENT_KT,
#                            KRB5_OTHER_KT, KRB5_GONE_KT, KRB5_DNS_KT
#   krb5_maxlife PRINC TIME  kadmin.local modprinc -maxlife TIME (the KDC
#                            reads the database at each request).  MIT has
#                            no floor: "20 seconds" on host/client gives a
#                            20 s TGT, and service tickets end with it
#                            (nsupdate -g then fails "Ticket expired")
#   start_kdc                krb5kdc -n in $NS on DIR's realm; waits until it
#                            answers (a kinit of host/client into a scratch
#                            cache); sets KDC_PID
#   kdc_stop / kdc_cont      SIGSTOP / SIGCONT the KDC (the EXIT trap and
#                            krb5_reap send CONT before TERM)
#   start_named_gss DIR      named in $NS on 127.0.0.1 and KRB5_ADDR (port
#                            53), tkey-gssapi-keytab DIR's dns.keytab, the
#                            zones of DNS_ZONES (dns-lib.sh's files, with
#                            ns1.example.test = KRB5_ADDR); example.test:
#                              grant EXAMPLE.TEST krb5-self . A AAAA;
#                            each reverse zone:
#                              grant host/client.example.test@EXAMPLE.TEST
#                                  wildcard *.ZONE PTR;
#                            (BIND 9.18 takes a principal as the identity
#                            of a wildcard rule); sets NAMED_PID.  The
#                            nlevd-key TSIG key still works (zonesub ANY),
#                            for dns_update by hand.
#   restart_named_gss DIR    TERM named and start it again on the same
#                            files: it forgets every GSS-TSIG context
#   gss_kinit CCACHE [KEYTAB [PRINCIPAL]]  kinit -k in $NS into CCACHE
#   gss_nsupdate CCACHE "COMMANDS"   nsupdate -g in $NS with that cache
#   krb5_reap                what dns-v2-cases.sh's _ns_reap does, CONT first
#
# By hand (what proved this set-up; $T is the test's directory):
#   KRB5CCNAME=FILE:$T/cc ip netns exec $NS \
#       kinit -k -t $T/krb5/client.keytab host/client.example.test
#   printf 'update add client.example.test 300 A 198.51.100.10\nsend\n' |
#       KRB5CCNAME=FILE:$T/cc ip netns exec $NS nsupdate -g
#   ip netns exec $NS dig @127.0.0.1 +short client.example.test A
# nsupdate finds the zone with an SOA query to resolv.conf's nameserver,
# its primary from the SOA MNAME (ns1.example.test, from the namespace's
# hosts file) and asks for a ticket for DNS/ns1.example.test.

: "${KRB5_ADDR:=10.53.0.53}"
KRB5_REALM=EXAMPLE.TEST
KRB5_DIR=
KDC_PID=
_KRB5_NETNS_DIRS=()

# The EXIT trap: /etc/netns/NAME goes too (and safe_dir's directories, if
# any; its trap is replaced by this one).
_krb5_cleanup()
{
	local rc=$? d
	for d in "${_KRB5_NETNS_DIRS[@]}"; do
		rm -rf "$d"
	done
	[ "${#_SAFE_DIRS[@]}" -eq 0 ] || rm -rf "${_SAFE_DIRS[@]}"
	(exit "$rc")
	_cleanup
}

krb5_require()
{
	dns_require krb5kdc kdb5_util kadmin.local kinit klist named nsupdate dig
}

krb5_net()
{
	local d=/etc/netns/$NS
	_KRB5_NETNS_DIRS+=("$d")
	trap _krb5_cleanup EXIT
	mkdir -p "$d" || fail "mkdir $d"
	cat >"$d/hosts" <<EOF
127.0.0.1 localhost
$KRB5_ADDR ns1.example.test kdc.example.test
EOF
	echo "nameserver $KRB5_ADDR" >"$d/resolv.conf"
	ip -n "$NS" link add krb0 type veth peer name krb1 || fail "cannot create veth krb0/krb1"
	ip -n "$NS" link set krb0 up || fail "krb0 up"
	ip -n "$NS" link set krb1 up || fail "krb1 up"
	ip -n "$NS" addr add "$KRB5_ADDR/24" dev krb0 || fail "addr add $KRB5_ADDR"
	[ "$(ip netns exec "$NS" getent ahostsv4 ns1.example.test | awk 'NR == 1 { print $1 }')" = "$KRB5_ADDR" ] ||
		fail "ns1.example.test does not resolve to $KRB5_ADDR in $NS"
}

# _kadmin QUERY: kadmin.local on the realm; its output in DIR/kadmin.out.
_kadmin()
{
	kadmin.local -r "$KRB5_REALM" -q "$1" >>"$KRB5_DIR/kadmin.out" 2>&1 ||
		fail "kadmin.local -q '$1': $(tail -n 5 "$KRB5_DIR/kadmin.out")"
	# (kadmin.local exits 0 after many failed queries)
	! tail -n 3 "$KRB5_DIR/kadmin.out" | matches -iE 'error|cannot|not found|failed' ||
		fail "kadmin.local -q '$1': $(tail -n 3 "$KRB5_DIR/kadmin.out")"
}

krb5_realm()
{
	local dir=$1
	krb5_require
	mkdir -p "$dir" || fail "mkdir $dir"
	KRB5_DIR=$dir
	cat >"$dir/kdc.conf" <<EOF
[kdcdefaults]
	kdc_ports = 88
	kdc_tcp_ports = 88

[realms]
	$KRB5_REALM = {
		database_name = $dir/principal
		key_stash_file = $dir/stash
		acl_file = $dir/kadm5.acl
		max_life = 10h
		max_renewable_life = 0
		supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
	}

[logging]
	kdc = FILE:$dir/kdc.log
	admin_server = FILE:$dir/kadmin.log
	default = FILE:$dir/krb5lib.log
EOF
	cat >"$dir/krb5.conf" <<EOF
[libdefaults]
	default_realm = $KRB5_REALM
	dns_lookup_kdc = false
	dns_lookup_realm = false
	rdns = false
	dns_canonicalize_hostname = false
	default_ccache_name = FILE:$dir/default.cc
	kdc_timesync = 0

[realms]
	$KRB5_REALM = {
		kdc = $KRB5_ADDR
	}

[domain_realm]
	.example.test = $KRB5_REALM
	example.test = $KRB5_REALM
EOF
	: >"$dir/kadm5.acl"
	KRB5_CONFIG=$dir/krb5.conf
	KRB5_KDC_PROFILE=$dir/kdc.conf
	export KRB5_CONFIG KRB5_KDC_PROFILE
	_DIAG_FILES+=("$dir/kdc.log" "$dir/kadmin.out")
	# a throwaway master password (the database lives and dies with $T)
	kdb5_util -r "$KRB5_REALM" create -s -W -P "nlevd-test-$$-$RANDOM" >"$dir/kdb5_util.out" 2>&1 ||
		fail "kdb5_util create: $(cat "$dir/kdb5_util.out")"
	local p
	for p in host/client.example.test host/other.example.test host/gone.example.test DNS/ns1.example.test; do
		_kadmin "addprinc -randkey $p"
	done
	KRB5_CLIENT_KT=$dir/client.keytab
	KRB5_OTHER_KT=$dir/other.keytab
	KRB5_GONE_KT=$dir/gone.keytab
	KRB5_DNS_KT=$dir/dns.keytab
	_kadmin "ktadd -k $KRB5_CLIENT_KT host/client.example.test"
	_kadmin "ktadd -k $KRB5_OTHER_KT host/other.example.test"
	_kadmin "ktadd -k $KRB5_GONE_KT host/gone.example.test"
	_kadmin "ktadd -k $KRB5_DNS_KT DNS/ns1.example.test"
	_kadmin "delprinc -force host/gone.example.test"
	chmod 600 "$dir"/*.keytab
}

krb5_maxlife() { _kadmin "modprinc -maxlife \"$2\" $1"; }

gss_kinit()
{
	local cc=$1 kt=${2:-$KRB5_CLIENT_KT} p=${3:-host/client.example.test}
	KRB5CCNAME=FILE:$cc ip netns exec "$NS" kinit -k -t "$kt" "$p"
}

gss_nsupdate()
{
	printf '%s\nsend\n' "$2" | KRB5CCNAME=FILE:$1 ip netns exec "$NS" nsupdate -t 5 -g
}

start_kdc()
{
	[ -n "$KRB5_DIR" ] || fail "start_kdc before krb5_realm"
	note "starting krb5kdc for $KRB5_REALM on $KRB5_ADDR"
	ip netns exec "$NS" krb5kdc -n -r "$KRB5_REALM" -P "$KRB5_DIR/kdc.pid" >>"$KRB5_DIR/kdc.out" 2>&1 &
	KDC_PID=$!
	_PIDS+=("$KDC_PID")
	_DIAG_FILES+=("$KRB5_DIR/kdc.out")
	local deadline=$((SECONDS + $(_scaled 20)))
	until gss_kinit "$KRB5_DIR/probe.cc" >"$KRB5_DIR/probe.out" 2>&1; do
		pid_running "$KDC_PID" || fail "krb5kdc exited: $(tail -n 20 "$KRB5_DIR/kdc.out" "$KRB5_DIR/kdc.log" 2>/dev/null)"
		[ "$SECONDS" -ge "$deadline" ] && fail "krb5kdc did not answer within 20 s: $(cat "$KRB5_DIR/probe.out")"
		sleep 0.1
	done
	rm -f "$KRB5_DIR/probe.cc"
}

kdc_stop() { kill -STOP "$KDC_PID" || fail "kill -STOP krb5kdc"; }
kdc_cont() { kill -CONT "$KDC_PID" || fail "kill -CONT krb5kdc"; }

# _named_gss_conf DIR: named.conf for GSS-TSIG.
_named_gss_conf()
{
	local dir=$1 z
	{
		cat <<EOF
options {
	directory "$dir";
	pid-file "$dir/named.pid";
	session-keyfile "$dir/session.key";
	managed-keys-directory "$dir";
	dump-file "$dir/named.dump";
	statistics-file "$dir/named.stats";
	listen-on port 53 { 127.0.0.1; $KRB5_ADDR; };
	listen-on-v6 { none; };
	recursion no;
	notify no;
	dnssec-validation no;
	allow-transfer { none; };
	tkey-gssapi-keytab "$KRB5_DNS_KT";
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
			echo "zone \"$z\" {"
			echo "	type primary;"
			echo "	file \"$dir/$z.zone\";"
			echo "	update-policy {"
			echo "		grant nlevd-key zonesub ANY;"
			case $z in
			*.arpa) echo "		grant \"host/client.example.test@$KRB5_REALM\" wildcard *.$z. PTR;" ;;
			*) echo "		grant $KRB5_REALM krb5-self . A AAAA;" ;;
			esac
			echo "	};"
			echo "};"
		done
	} >"$dir/named.conf"
}

_named_gss_run()
{
	local dir=$1
	ip netns exec "$NS" named -f -n 1 -c "$dir/named.conf" >>"$dir/named.out" 2>&1 &
	NAMED_PID=$!
	_PIDS+=("$NAMED_PID")
	_dns_wait_up named "$NAMED_PID" 53 "$dir/named.log"
}

start_named_gss()
{
	local dir=$1
	[ -n "$KRB5_DIR" ] || fail "start_named_gss before krb5_realm"
	dns_require named named-checkconf tsig-keygen dig
	_dns_files "$dir"
	# ns1 is the namespace's address: the KDC and named must be reached
	# on an address that is not loopback's.
	sed -i "s/^ns1 IN A 127\.0\.0\.1\$/ns1 IN A $KRB5_ADDR/; /^ns1 IN AAAA /d" "$dir/example.test.zone" 2>/dev/null
	_named_gss_conf "$dir"
	named-checkconf "$dir/named.conf" >"$dir/checkconf.out" 2>&1 ||
		fail "named-checkconf: $(cat "$dir/checkconf.out")"
	note "starting named (GSS-TSIG) in $dir"
	_DIAG_FILES+=("$dir/named.log" "$dir/named.out")
	_named_gss_run "$dir"
}

restart_named_gss()
{
	local dir=$1
	kill -TERM "$NAMED_PID" || fail "kill named"
	wait_exit "$NAMED_PID" 10 || fail "named did not stop"
	_named_gss_run "$dir"
}

krb5_reap()
{
	local pids pid i
	pids=$(ip netns pids "$NS" 2>/dev/null)
	[ -n "$pids" ] || return 0
	for pid in $pids; do kill -CONT "$pid" 2>/dev/null; kill -TERM "$pid" 2>/dev/null; done
	for ((i = 0; i < 50; i++)); do
		[ -z "$(ip netns pids "$NS" 2>/dev/null)" ] && return 0
		sleep 0.1
	done
	for pid in $(ip netns pids "$NS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
	sleep 0.2
}
