# shellcheck shell=bash
# A Samba Active Directory domain controller with its internal DNS server,
# in the test namespace, for the GSS-TSIG integration tests.  Source it
# after lib.sh and test_init.  Everything Samba writes lives in one
# directory (default $T/samba): smb.conf sets every path (private, binddns,
# state, cache, lock, pid, ncalrpc, ntp_signd and winbindd socket
# directories, the log file), so nothing reaches the host's /run/samba,
# /var/lib/samba, /var/cache/samba or /var/log/samba (samba_host_untouched
# checks it; samba itself also needs -l, or it creates an empty
# /var/log/samba/log.samba before reading smb.conf).  The DC runs in the
# foreground (samba -F -M single, TDB_NO_FSYNC=1, only its kdc and dns
# services); its pid joins lib.sh's _PIDS, and the EXIT trap stops it and
# every Samba process left in the namespace, and removes /etc/netns/$NS,
# whatever happens.
#
#   samba_require            skip (77) unless Samba, MIT kinit, nsupdate and
#                            dig are installed (CI: fail)
#   samba_start [DIR]        provision domain SAMBA / realm SAMBA.TEST / zone
#                            samba.test with DC dc1.samba.test at SAMBA_IP
#                            (10.53.16.1 on veth sdc0 in $NS; peer sdc1 has
#                            no address), start it and wait until its DNS
#                            answers the zone's SOA and its KDC issues a
#                            ticket; exports KRB5_CONFIG ($DIR/krb5.conf:
#                            KDC SAMBA_IP, dns_lookup_kdc, rdns and
#                            dns_canonicalize_hostname false) and writes
#                            /etc/netns/$NS/hosts (dc1.samba.test) and
#                            resolv.conf (nameserver SAMBA_IP); sets
#                            SAMBA_DIR SAMBA_PID SAMBA_LOG SAMBA_START_MS
#                            (provisioning + start, in ms)
#   samba_computer NAME KEYTAB   a computer account NAME (its principal is
#                            NAME$@SAMBA.TEST, which is all the AD KDC knows
#                            it by: no host/ principal), random password,
#                            enabled; its keys exported to KEYTAB
#   samba_kinit KEYTAB PRINCIPAL CCACHE   a TGT from the keytab into CCACHE
#   samba_nsupdate -g|-o CCACHE "COMMANDS"   nsupdate (GSS-TSIG, or -o the
#                            Windows variant) to SAMBA_IP for the zone;
#                            sets NSU_RC and NSU_ERR (its stderr)
#   samba_query NAME TYPE    the answer's rdata from the DC, sorted
#   samba_serial             the zone's SOA serial
#   samba_wait_records NAME TYPE "LINES" [TIMEOUT_S]   as dns-lib.sh's
#                            wait_records, against the DC
#   samba_host_untouched     fails the test if anything under the host's
#                            Samba directories changed since samba_start
#
# What Samba 4.17 (Debian 12) does, seen by hand with these functions and
# BIND 9.18's nsupdate (tests/integration/samba-gss.sh pins it down):
# - Its signed answers fail verification.  Every nsupdate -g and -o, even
#   one whose update was applied, prints on stderr
#       ; TSIG error with server: tsig verify failure
#   and exits 2 (stdout empty).  A response to an accepted update is a copy
#   of the request (its sections echoed) with rcode NOERROR and a TSIG
#   whose GSS MIC token is the acceptor's (04 04 05: sent by acceptor) but
#   does not verify.  Samba's source says why (source4/dns_server/
#   dns_crypto.c, dns_tsig_compute_mac): its MIC covers the request's MAC
#   *without* the two-octet Request MAC Size that RFC 8945 4.3.3 puts
#   before it, then the response, then the TSIG variables.  So a client
#   either verifies that form as well, or confirms success by reading the
#   records back; never from the unverified answer alone.
# - nsupdate -o first sends the Windows 2000 form of TKEY (algorithm
#   gss.microsoft.com, the TKEY record in the ANSWER section): Samba looks
#   for TKEY only in the additional section and answers FORMERR; nsupdate
#   then falls back by itself to RFC 3645 (gss-tsig, TKEY in additional),
#   which Samba accepts.  So -o against Samba is in effect -g.
# - An update of a name another machine account registered (its record's
#   ACL grants only that account) is refused with SERVFAIL, not REFUSED;
#   nsupdate prints the TSIG line above and then
#       update failed: SERVFAIL
#   and exits 2; the record is unchanged.  That error answer carries the
#   request's own TSIG unchanged (the initiator's MIC, 04 04 04), i.e. it is
#   not signed by the server at all.  The same SERVFAIL for a prerequisite-
#   free "update add" to that name.
# - The SOA serial never moves: it stays 1 after any number of updates.
# - nsupdate looks the DC up as the zone's SOA MNAME (dc1.samba.test) and
#   asks for DNS/dc1.samba.test@SAMBA.TEST; a computer account made by
#   samba-tool may create names not yet in the zone.
# - The DC needs a non-loopback address ("interfaces", "bind interfaces
#   only"); provisioning and start take 5.5-10 s here (2 shared cores),
#   nearly all of it samba-tool domain provision; the DC answers DNS and
#   Kerberos a fraction of a second after samba starts.
: "${SAMBA_IP:=10.53.16.1}"
SAMBA_REALM=SAMBA.TEST
SAMBA_ZONE=samba.test
SAMBA_DC=dc1.samba.test
SAMBA_DIR=
SAMBA_PID=
SAMBA_LOG=
SAMBA_START_MS=
NSU_RC=
NSU_ERR=
_SAMBA_REF=
_SAMBA_EXE=
# Where Debian's Samba writes by default (samba_host_untouched).
_SAMBA_HOST_DIRS=(/run/samba /var/lib/samba /var/cache/samba /var/log/samba /etc/samba)

samba_require()
{
	local p
	for p in samba samba-tool kinit klist nsupdate dig; do
		command -v "$p" >/dev/null 2>&1 && continue
		if [ "${CI:-}" = true ]; then
			echo "FAIL: $TEST_NAME: '$p' is required (samba samba-ad-dc samba-ad-provision winbind python3-samba samba-dsdb-modules krb5-user bind9-dnsutils)"
			exit 1
		fi
		echo "SKIP: $TEST_NAME: '$p' is not installed"
		exit 77
	done
}

# The test's samba-tool: its own smb.conf, no fsync.
_samba_tool() { nsx env TDB_NO_FSYNC=1 samba-tool "$@" -s "$SAMBA_DIR/smb.conf"; }

_samba_smb_conf()
{
	local d=$1
	cat <<EOF
[global]
	workgroup = SAMBA
	realm = $SAMBA_REALM
	netbios name = DC1
	server role = active directory domain controller
	interfaces = $SAMBA_IP
	bind interfaces only = yes
	server services = kdc dns
	dns forwarder =
	tls enabled = no
	private dir = $d/private
	binddns dir = $d/binddns
	state directory = $d/state
	cache directory = $d/cache
	lock directory = $d/lock
	pid directory = $d/pid
	ncalrpc dir = $d/ncalrpc
	ntp signd socket directory = $d/ntp_signd
	winbindd socket directory = $d/winbindd
	log file = $d/samba.log
	logging = file
	log level = 1 dns:3
	max log size = 0

[sysvol]
	path = $d/state/sysvol
	read only = no

[netlogon]
	path = $d/state/sysvol/$SAMBA_ZONE/scripts
	read only = no
EOF
}

_samba_krb5_conf()
{
	cat <<EOF
[libdefaults]
	default_realm = $SAMBA_REALM
	dns_lookup_realm = false
	dns_lookup_kdc = false
	rdns = false
	dns_canonicalize_hostname = false
	udp_preference_limit = 0
[realms]
	$SAMBA_REALM = {
		kdc = $SAMBA_IP
	}
[domain_realm]
	.$SAMBA_ZONE = $SAMBA_REALM
	$SAMBA_ZONE = $SAMBA_REALM
EOF
}

# _samba_ready: the DNS server answers the zone's SOA and the KDC a TGT
# request for the administrator.
_samba_ready()
{
	nsx dig +time=1 +tries=1 +norec @"$SAMBA_IP" "$SAMBA_ZONE" SOA 2>/dev/null |
		grep -q "^$SAMBA_ZONE\.[[:space:]].*SOA" || return 1
	printf '%s\n' "$_SAMBA_ADMINPASS" |
		nsx env KRB5CCNAME="FILE:$SAMBA_DIR/admin.cc" kinit "administrator@$SAMBA_REALM" \
		>/dev/null 2>&1
}

_samba_stop()
{
	local pid i
	if [ -n "$SAMBA_PID" ] && pid_running "$SAMBA_PID"; then
		kill -TERM "$SAMBA_PID" 2>/dev/null
		for ((i = 0; i < 50; i++)); do
			pid_running "$SAMBA_PID" || break
			sleep 0.1
		done
	fi
	# Its children end with it; any left over (a KILLed master) are
	# Samba processes in this test's namespace, nothing else.
	if [ -n "$NS" ]; then
		for pid in $(ip netns pids "$NS" 2>/dev/null); do
			[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$_SAMBA_EXE" ] &&
				kill -KILL "$pid" 2>/dev/null
		done
	fi
}

_samba_cleanup()
{
	local rc=$?
	_samba_stop
	[ -n "$NS" ] && rm -rf "/etc/netns/$NS"
	# lib.sh's own trap (safe_dir's when the test made one) last, with
	# the test's status in $?.
	local next=_cleanup
	[ "${#_SAFE_DIRS[@]}" -gt 0 ] && next=_safe_dir_cleanup
	(exit "$rc")
	"$next"
}

samba_start()
{
	local d=${1:-$T/samba} t0 deadline
	# Never on the host: without test_init there is no namespace to use.
	if [ -z "$NS" ] || [ -z "$T" ]; then
		echo "FAIL: samba_start before test_init" >&2
		exit 1
	fi
	t0=$(now_ms)
	_SAMBA_EXE=$(readlink -f "$(command -v samba)")
	SAMBA_DIR=$d
	SAMBA_LOG=$d/samba.log
	mkdir -p "$d"/{private,binddns,state,cache,lock,pid,ncalrpc,ntp_signd,winbindd} \
		"$d/state/sysvol/$SAMBA_ZONE/scripts" || fail "mkdir $d"
	_SAMBA_REF=$d/start.ref
	touch "$_SAMBA_REF"
	trap _samba_cleanup EXIT
	_DIAG_FILES+=("$d/provision.log" "$SAMBA_LOG" "$d/samba.out")

	ip -n "$NS" link add sdc0 type veth peer name sdc1 || fail "cannot create veth sdc0/sdc1"
	ip -n "$NS" link set sdc0 up || fail "cannot set sdc0 up"
	ip -n "$NS" link set sdc1 up || fail "cannot set sdc1 up"
	ip -n "$NS" addr add "$SAMBA_IP/24" dev sdc0 || fail "cannot add $SAMBA_IP"
	mkdir -p "/etc/netns/$NS" || fail "mkdir /etc/netns/$NS"
	printf '127.0.0.1\tlocalhost\n%s\t%s dc1\n' "$SAMBA_IP" "$SAMBA_DC" >"/etc/netns/$NS/hosts"
	printf 'nameserver %s\nsearch %s\n' "$SAMBA_IP" "$SAMBA_ZONE" >"/etc/netns/$NS/resolv.conf"
	_samba_smb_conf "$d" >"$d/smb.conf"
	_samba_krb5_conf >"$d/krb5.conf"
	KRB5_CONFIG=$d/krb5.conf
	export KRB5_CONFIG

	# A password that meets AD's complexity rules; only this test's DC
	# knows it.
	_SAMBA_ADMINPASS=Aa1.$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
	_samba_tool domain provision --use-rfc2307 --realm="$SAMBA_REALM" --domain=SAMBA \
		--server-role=dc --dns-backend=SAMBA_INTERNAL --host-name=dc1 \
		--host-ip="$SAMBA_IP" --adminpass="$_SAMBA_ADMINPASS" >"$d/provision.log" 2>&1 ||
		fail "samba-tool domain provision failed"
	# The DC's own Kerberos library reads private/krb5.conf (provision's
	# has dns_lookup_kdc = true): ours instead.
	cp "$d/krb5.conf" "$d/private/krb5.conf"

	note "starting: ip netns exec $NS samba -F -M single -l $d -s $d/smb.conf"
	# -l: before it reads smb.conf's "log file", samba creates
	# /var/log/samba/log.samba (its built-in default) without it.
	ip netns exec "$NS" env TDB_NO_FSYNC=1 samba -F -M single -l "$d" -s "$d/smb.conf" >"$d/samba.out" 2>&1 &
	SAMBA_PID=$!
	_PIDS+=("$SAMBA_PID")
	deadline=$((SECONDS + $(_scaled 30)))
	until _samba_ready; do
		pid_running "$SAMBA_PID" || fail "samba exited during start-up"
		[ "$SECONDS" -ge "$deadline" ] && fail "the DC did not answer DNS and Kerberos within 30 s"
		sleep 0.1
	done
	SAMBA_START_MS=$(($(now_ms) - t0))
	note "Samba DC $SAMBA_DC ($SAMBA_IP) up: provisioned and started in $SAMBA_START_MS ms"
}

samba_computer()
{
	local name=$1 keytab=$2
	_samba_tool computer add "$name" >>"$SAMBA_DIR/accounts.log" 2>&1 ||
		fail "samba-tool computer add $name failed"
	_samba_tool user setpassword "$name\$" --random-password >>"$SAMBA_DIR/accounts.log" 2>&1 ||
		fail "samba-tool user setpassword $name\$ failed"
	_samba_tool user enable "$name\$" >>"$SAMBA_DIR/accounts.log" 2>&1 ||
		fail "samba-tool user enable $name\$ failed"
	rm -f "$keytab"
	_samba_tool domain exportkeytab "$keytab" --principal="$name\$" \
		>>"$SAMBA_DIR/accounts.log" 2>&1 || fail "samba-tool domain exportkeytab $name\$ failed"
	klist -k "$keytab" 2>/dev/null | matches " $name\\\$@$SAMBA_REALM\$" ||
		fail "$keytab has no $name\$@$SAMBA_REALM"
}

samba_kinit()
{
	nsx env KRB5CCNAME="FILE:$3" kinit -k -t "$1" "$2" >/dev/null 2>>"$SAMBA_DIR/kinit.err"
}

# shellcheck disable=SC2034 # NSU_RC and NSU_ERR are for the test
samba_nsupdate()
{
	local mode=$1 cc=$2 cmds=$3
	NSU_ERR=$(printf 'server %s\nzone %s\n%s\nsend\n' "$SAMBA_IP" "$SAMBA_ZONE" "$cmds" |
		nsx env KRB5CCNAME="FILE:$cc" nsupdate "$mode" 2>&1 >/dev/null)
	NSU_RC=$?
}

samba_query()
{
	nsx dig +short +norec +time=2 +tries=2 @"$SAMBA_IP" "$1" "$2" | sort
}

samba_serial()
{
	nsx dig +short +norec +time=2 +tries=2 @"$SAMBA_IP" "$SAMBA_ZONE" SOA | awk '{ print $3 }'
}

samba_wait_records()
{
	local name=$1 type=$2 want=$3 timeout=${4:-15} got
	want=$(printf '%s\n' "$want" | sed '/^$/d' | sort)
	if wait_for "[ \"\$(samba_query $name $type)\" = \"\$want\" ]" "$timeout"; then
		return 0
	fi
	got=$(samba_query "$name" "$type")
	fail "$name $type: wanted [${want//$'\n'/ }], the DC has [${got//$'\n'/ }]"
}

samba_host_untouched()
{
	local changed
	changed=$(find "${_SAMBA_HOST_DIRS[@]}" -newer "$_SAMBA_REF" 2>/dev/null | head -n 20)
	[ -z "$changed" ] || fail "Samba wrote on the host: $changed"
}
