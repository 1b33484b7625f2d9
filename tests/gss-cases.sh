# shellcheck shell=bash
# GSS-TSIG (RFC 3645, auth = gss-tsig) against an MIT KDC and BIND's named
# with tkey-gssapi-keytab (tests/krb5-lib.sh), for either DNS plugin.  A
# wrapper sets GSS_PLUGIN (dnsupdate or nsupdate) and sources this file.
# GSS_CASES (default: all) picks cases by letter, e.g. "a c".  The realm
# (database and keytabs) is made once; each case runs in a subshell with
# its own KDC, named, directory and log; a failing case is reported and
# the others still run; the test fails if any did.
#
#   i the set-up by hand, without nlevd: kinit -k, nsupdate -g, dig (so a
#     failing case below is the plugin's, not the realm's)
#   a publish client.example.test's A and AAAA and their PTRs, signed as
#     host/client.example.test; follow an address add and a delete
#   b no ticket in the caller's environment (no KRB5CCNAME, no default
#     cache): it publishes, and the only cache it makes is the one under
#     $RUNTIME_DIRECTORY (gone at exit); a caller's cache holding another
#     principal's ticket is neither used nor touched
#   c the KDC stopped (SIGSTOP) at start-up, during the first change: SIGUSR1
#     is answered within 2 s, again and again, while it is stopped; after
#     SIGCONT it converges; a change while it is stopped again but the
#     ticket is valid publishes without it
#   d a principal not in the keytab, and one in the keytab that the KDC
#     does not know: a permanent error naming the principal, and no hot
#     loop (helper runs and error lines bounded over a window with
#     retry = 1s, retry_max = 4s); a principal the zone's policy refuses
#     (host/other): an error naming it
#   e renewal: the client's tickets live 20 s (kadmin modprinc -maxlife;
#     MIT takes lifetimes that short); a change after the first ticket
#     expired still publishes, with a new ticket
#   f named restarted (it forgets every GSS context), with server = the
#     address and principal given: a change still publishes (dnsupdate
#     negotiates again)
#   g the KDC stopped until getting a ticket fails (about 30 s): a warning
#     (transient), not an error, SIGUSR1 answered throughout; after SIGCONT
#     it converges
#   h our clock 15 minutes off (libfaketime in the helper only): logged as
#     clock skew, a warning, not an error; with the clock right it converges
. "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
. "$TESTS_SRCDIR/krb5-lib.sh"
: "${GSS_PLUGIN:=dnsupdate}"
test_init "gss-$GSS_PLUGIN"
case $GSS_PLUGIN in
dnsupdate | nsupdate) ;;
*) fail "GSS_PLUGIN must be dnsupdate or nsupdate, not '$GSS_PLUGIN'" ;;
esac
[ -e "$NLEVD_PLUGINS/$GSS_PLUGIN.la" ] || [ -e "$NLEVD_PLUGINS/$GSS_PLUGIN.so" ] ||
	fail "no $GSS_PLUGIN plugin in $NLEVD_PLUGINS"
krb5_require
dns_require named nsupdate dig tsig-keygen
: "${NLEVD_KINIT:=$_top/nlevd-kinit}"
export NLEVD_KINIT
[ -x "$NLEVD_KINIT" ] || fail "NLEVD_KINIT=$NLEVD_KINIT is not executable (the credential helper)"
: "${GSS_CASES:=i a b c d e f g h}"
TOP_T=$T
krb5_net
krb5_realm "$TOP_T/krb5"
# (none of the tests' own tickets may leak into the daemon's environment)
unset KRB5CCNAME KRB5_CLIENT_KTNAME KRB5_KTNAME

# ---- helpers used inside a case ----

# conf FILE LINE...: a log instance and the [ad] instance of the plugin,
# gss-tsig with client.keytab (or CONF_KEYTAB), short timings, interface
# v0 only; the LINEs are added to [ad].
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

[ad]
plugin = $GSS_PLUGIN
name = client.example.test
interfaces = v0
auth = gss-tsig
keytab = ${CONF_KEYTAB:-$KRB5_CLIENT_KT}
retry = 1s
retry_max = 4s
timeout = 3s
delete_delay = 0
EOF
		for l in "$@"; do echo "$l"; done
	} >"$f"
}

log_mark() { MARK=$(grep -c '' "$NLEVD_ERR" 2>/dev/null); MARK=${MARK:-0}; }
since_mark() { tail -n +"$((MARK + 1))" "$NLEVD_ERR"; }

# usr1_ms: send SIGUSR1, wait for the [ad] instance's status summary; prints
# the milliseconds it took; fails after 2 s.
usr1_ms()
{
	local t0 t1
	log_mark
	t0=$(now_ms)
	kill -USR1 "$NLEVD_PID" || fail "kill -USR1"
	while ! since_mark | matches '\[ad\] summary'; do
		t1=$(now_ms)
		[ $((t1 - t0)) -le 2000 ] || fail "no status for [ad] within 2 s of SIGUSR1"
		pid_running "$NLEVD_PID" || fail "nlevd died"
		sleep 0.02
	done
	echo $(($(now_ms) - t0))
}

# The daemon's own credential cache, and its ticket end times (unix
# seconds, one per line, sorted).
daemon_cc() { echo "$RUNTIME_DIRECTORY/krb5cc.ad"; }
cc_ends()
{
	KRB5CCNAME=FILE:$1 LC_ALL=C klist 2>/dev/null | awk '/^[0-9][0-9]\/[0-9][0-9]\/[0-9][0-9] / { print $3, $4 }' |
		while read -r d t; do date -d "$d $t" +%s; done | LC_ALL=C sort -n
}

# gss_signed NAME: named applied an update at NAME signed by
# host/client.example.test@EXAMPLE.TEST (its log says by which key).
gss_signed()
{
	grep -F "/key host/client.example.test\\@$KRB5_REALM: updating zone" "$D/named.log" |
		grep -qF "at '$1'"
}

wait_ptr() { wait_records "$(ptr_name "$1")" PTR "$2" "${3:-20}"; }

# servers KDC and named for the case, v0 with ADDRESS...
setup()
{
	local a
	krb5_maxlife host/client.example.test "10 hours"
	start_kdc
	start_named_gss "$D"
	veth_pair v0 v1
	for a in "$@"; do
		case $a in
		*:*) ip -n "$NS" addr add "$a/64" dev v0 nodad || fail "addr add $a" ;;
		*) ip -n "$NS" addr add "$a/32" dev v0 || fail "addr add $a" ;;
		esac
	done
}

no_errors()
{
	! grep -E 'error: \[ad\]' "$NLEVD_ERR" || fail "errors logged"
}

# ---- the cases ----

# i: the set-up itself, by hand (no nlevd): kinit -k, nsupdate -g, dig;
# the policy refuses host/other; the KDC does not know host/gone.
case_i()
{
	setup
	gss_kinit "$T/cc" || fail "kinit -k host/client.example.test"
	gss_nsupdate "$T/cc" "update add client.example.test 300 A 198.51.100.1" >"$T/nsupdate.out" 2>&1 ||
		fail "nsupdate -g: $(cat "$T/nsupdate.out")"
	gss_nsupdate "$T/cc" "update add 1.100.51.198.in-addr.arpa 300 PTR client.example.test." >"$T/nsupdate.out" 2>&1 ||
		fail "nsupdate -g (PTR): $(cat "$T/nsupdate.out")"
	wait_records client.example.test A 198.51.100.1 5
	wait_ptr 198.51.100.1 client.example.test. 5
	gss_signed client.example.test || fail "named did not log the update as signed by host/client"
	gss_nsupdate "$T/cc" "update add other.example.test 300 A 198.51.100.2" >"$T/nsupdate.out" 2>&1 &&
		fail "host/client may update other.example.test"
	grep -q REFUSED "$T/nsupdate.out" || fail "not REFUSED: $(cat "$T/nsupdate.out")"
	gss_kinit "$T/cc2" "$KRB5_OTHER_KT" host/other.example.test || fail "kinit -k host/other.example.test"
	gss_nsupdate "$T/cc2" "update add 2.100.51.198.in-addr.arpa 300 PTR other.example.test." >"$T/nsupdate.out" 2>&1 &&
		fail "host/other may update a PTR"
	gss_kinit "$T/cc3" "$KRB5_GONE_KT" host/gone.example.test >"$T/kinit.out" 2>&1 &&
		fail "the KDC knows host/gone"
	grep -q 'not found in Kerberos database' "$T/kinit.out" || fail "kinit host/gone: $(cat "$T/kinit.out")"
	[ -z "$(dns_query other.example.test A)" ] || fail "other.example.test published"
}

case_a()
{
	setup 198.51.100.10 2001:db8::10
	conf "$T/c.conf" "ptr = yes"
	start_nlevd "$T/c.conf"
	wait_records client.example.test A 198.51.100.10 20
	wait_records client.example.test AAAA 2001:db8::10 20
	wait_ptr 198.51.100.10 client.example.test.
	wait_ptr 2001:db8::10 client.example.test.
	gss_signed client.example.test || fail "named did not log an update signed by host/client.example.test"
	gss_signed "$(ptr_name 198.51.100.10 | sed 's/\.$//')" || fail "the PTR was not signed by host/client.example.test"
	ip -n "$NS" addr add 198.51.100.11/32 dev v0 || fail "addr add"
	wait_records client.example.test A $'198.51.100.10\n198.51.100.11' 20
	wait_ptr 198.51.100.11 client.example.test.
	ip -n "$NS" addr del 198.51.100.10/32 dev v0 || fail "addr del"
	ip -n "$NS" addr del 2001:db8::10/64 dev v0 || fail "addr del"
	wait_records client.example.test A 198.51.100.11 20
	wait_records client.example.test AAAA "" 20
	wait_ptr 198.51.100.10 ""
	wait_ptr 2001:db8::10 ""
	no_errors
	assert_running
	stop_nlevd
}

case_b()
{
	local tmpcc before after stray=$T/stray.cc sum0 sum1
	tmpcc=/tmp/krb5cc_$(id -u)
	before=$(stat -c '%i %Y %s' "$tmpcc" 2>/dev/null || echo none)
	setup 198.51.100.20
	conf "$T/c.conf"
	# a caller's cache, with a ticket for a principal the zone refuses
	# for this name: the daemon must neither use it nor touch it
	gss_kinit "$stray" "$KRB5_OTHER_KT" host/other.example.test || fail "kinit host/other"
	sum0=$(md5sum <"$stray")
	KRB5CCNAME=FILE:$stray start_nlevd "$T/c.conf"
	wait_records client.example.test A 198.51.100.20 20
	gss_signed client.example.test || fail "not signed by host/client.example.test"
	sum1=$(md5sum <"$stray")
	[ "$sum0" = "$sum1" ] || fail "the caller's KRB5CCNAME cache was changed"
	stop_nlevd
	# and with no KRB5CCNAME at all
	rm -f "$stray"
	log_mark
	start_nlevd "$T/c.conf"
	ip -n "$NS" addr add 198.51.100.21/32 dev v0 || fail "addr add"
	wait_records client.example.test A $'198.51.100.20\n198.51.100.21' 20
	[ -f "$(daemon_cc)" ] || fail "no cache at $(daemon_cc)"
	[ "$(stat -c %a "$(daemon_cc)")" = 600 ] || fail "$(daemon_cc) is mode $(stat -c %a "$(daemon_cc)")"
	[ "$(stat -c %a "$RUNTIME_DIRECTORY")" = 700 ] || fail "$RUNTIME_DIRECTORY is mode $(stat -c %a "$RUNTIME_DIRECTORY")"
	[ ! -e "$KRB5_DIR/default.cc" ] || fail "the default cache $KRB5_DIR/default.cc was created"
	after=$(stat -c '%i %Y %s' "$tmpcc" 2>/dev/null || echo none)
	[ "$before" = "$after" ] || fail "$tmpcc changed ($before -> $after)"
	local other
	other=$(find "$T" "$KRB5_DIR" -name '*cc*' ! -path "$RUNTIME_DIRECTORY/*" ! -name '*.conf' 2>/dev/null)
	[ -z "$other" ] || fail "caches outside $RUNTIME_DIRECTORY: $other"
	no_errors
	stop_nlevd
	[ ! -e "$(daemon_cc)" ] || fail "$(daemon_cc) is left after the daemon stopped"
}

case_c()
{
	local i ms all=
	setup 198.51.100.30
	conf "$T/c.conf" "ptr = yes"
	kdc_stop
	start_nlevd "$T/c.conf"
	ip -n "$NS" addr add 198.51.100.31/32 dev v0 || fail "addr add"
	# the KDC stays stopped for about 8 s (longer than timeout and
	# retry_max): SIGUSR1 is answered at once throughout
	for ((i = 0; i < 8; i++)); do
		ms=$(usr1_ms) || exit 1
		all+=" $ms"
		sleep 1
	done
	note "SIGUSR1 answered in (ms):$all"
	[ -z "$(dns_query client.example.test A)" ] || fail "published without a KDC?"
	assert_running
	kdc_cont
	wait_records client.example.test A $'198.51.100.30\n198.51.100.31' 20
	wait_ptr 198.51.100.31 client.example.test.
	# the ticket is valid: a stopped KDC does not stop an update
	kdc_stop
	ip -n "$NS" addr add 198.51.100.32/32 dev v0 || fail "addr add"
	wait_records client.example.test A $'198.51.100.30\n198.51.100.31\n198.51.100.32' 20
	ms=$(usr1_ms) || exit 1
	kdc_cont
	assert_running
	stop_nlevd
}

# the helper, counting its runs in $T/kinit.runs
_counting_kinit()
{
	cat >"$T/kinit-count" <<EOF
#!/bin/sh
echo run >>"$T/kinit.runs"
exec "$NLEVD_KINIT" "\$@"
EOF
	chmod 755 "$T/kinit-count"
}

# wrong_principal PRINCIPAL KEYTAB [REGEX]: a permanent error naming
# PRINCIPAL (and matching REGEX), and no hot loop.
wrong_principal()
{
	local p=$1 kt=$2 also=${3:-} n0 n1 e0 e1 r0 r1 window=8 re
	re=${p%@*}
	re=${re//./\\.}
	CONF_KEYTAB=$kt conf "$T/c.conf" "ptr = yes" "principal = $p"
	_counting_kinit
	: >"$T/kinit.runs"
	log_mark
	NLEVD_KINIT=$T/kinit-count start_nlevd "$T/c.conf"
	wait_for "since_mark | grep -E 'error: \[ad\] .*$re'" 20 ||
		fail "no error naming $p: $(since_mark | grep '\[ad\]' | tail -n 5)"
	note "$p: $(since_mark | grep -E "error: \[ad\] .*$re" | head -n 1)"
	[ -z "$also" ] || since_mark | grep -E "error: \[ad\] .*$re" | matches -E -- "$also" ||
		fail "the error for $p does not match [$also]: $(since_mark | grep -E 'error: \[ad\]' | head -n 2)"
	n0=$(grep -c '' "$NLEVD_ERR")
	e0=$(grep -cE 'error: \[ad\]' "$NLEVD_ERR")
	r0=$(grep -c '' "$T/kinit.runs")
	[ "$r0" -ge 1 ] || fail "$p: the counting helper $T/kinit-count never ran (NLEVD_KINIT ignored?)"
	local t0=$SECONDS
	sleep "$window" # the window over which a hot loop would show
	n1=$(grep -c '' "$NLEVD_ERR")
	e1=$(grep -cE 'error: \[ad\]' "$NLEVD_ERR")
	r1=$(grep -c '' "$T/kinit.runs")
	note "$p: over $((SECONDS - t0)) s: $((r1 - r0)) helper run(s), $((e1 - e0)) error line(s), $((n1 - n0)) log line(s)"
	# retry_max = 4s, two zones: 2 or 3 tries each in 8 s (the helper may
	# run for each), never dozens
	[ $((r1 - r0)) -le 8 ] || fail "$p: $((r1 - r0)) helper runs in $window s (hot loop)"
	[ $((e1 - e0)) -le 11 ] || fail "$p: $((e1 - e0)) error lines in $window s (hot loop)"
	[ $((n1 - n0)) -le 28 ] || fail "$p: $((n1 - n0)) log lines in $window s (hot loop)"
	[ -z "$(dns_query client.example.test A)" ] || fail "$p: published?"
	# the retries still fail for that reason: the status names it
	usr1_ms >/dev/null || exit 1
	since_mark | grep -E '\[ad\] zone example\.test\.?: .*'"$re" >/dev/null ||
		fail "$p: after $window s the status of example.test does not name it: $(since_mark | grep -E '\[ad\] (zone|kerberos)')"
	assert_running
	stop_nlevd
}

case_d()
{
	setup 198.51.100.40
	# not in the keytab
	wrong_principal "host/nobody.example.test@$KRB5_REALM" "$KRB5_CLIENT_KT" 'keytab'
	# in the keytab, unknown to the KDC
	wrong_principal "host/gone.example.test@$KRB5_REALM" "$KRB5_GONE_KT" 'not found|unknown'
	# known, but the zone's policy refuses it for client.example.test:
	# the error names the server too
	wrong_principal "host/other.example.test@$KRB5_REALM" "$KRB5_OTHER_KT" \
		"ns1\\.example\\.test|${KRB5_ADDR//./\\.}"
}

case_e()
{
	local e1 e2
	setup 198.51.100.50
	krb5_maxlife host/client.example.test "20 seconds"
	conf "$T/c.conf" "ptr = yes"
	start_nlevd "$T/c.conf"
	wait_records client.example.test A 198.51.100.50 20
	wait_ptr 198.51.100.50 client.example.test.
	e1=$(cc_ends "$(daemon_cc)" | head -n 1)
	[ -n "$e1" ] || fail "no ticket in $(daemon_cc)"
	[ $((e1 - $(date +%s))) -le 21 ] || fail "the ticket lives more than 20 s (ends $e1)"
	# past the first ticket's end (not a race: a fixed point in time)
	wait_for "[ \$(date +%s) -gt $((e1 + 1)) ]" 40 || fail "the clock"
	ip -n "$NS" addr add 198.51.100.51/32 dev v0 || fail "addr add"
	wait_records client.example.test A $'198.51.100.50\n198.51.100.51' 20
	wait_ptr 198.51.100.51 client.example.test.
	e2=$(cc_ends "$(daemon_cc)" | head -n 1)
	[ -n "$e2" ] || fail "no ticket in $(daemon_cc) after the change"
	[ "$e2" -gt "$e1" ] || fail "no new ticket after $e1 (now ends ${e2:-none})"
	# and once more, past the second one
	wait_for "[ \$(date +%s) -gt $((e2 + 1)) ]" 40 || fail "the clock"
	ip -n "$NS" addr del 198.51.100.50/32 dev v0 || fail "addr del"
	wait_records client.example.test A 198.51.100.51 20
	wait_ptr 198.51.100.50 ""
	no_errors
	assert_running
	stop_nlevd
}

case_f()
{
	setup 198.51.100.60
	conf "$T/c.conf" "ptr = yes" "server = $KRB5_ADDR" "principal = host/client.example.test@$KRB5_REALM"
	start_nlevd "$T/c.conf"
	wait_records client.example.test A 198.51.100.60 20
	wait_ptr 198.51.100.60 client.example.test.
	restart_named_gss "$D"
	ip -n "$NS" addr add 198.51.100.61/32 dev v0 || fail "addr add"
	wait_records client.example.test A $'198.51.100.60\n198.51.100.61' 20
	wait_ptr 198.51.100.61 client.example.test.
	restart_named_gss "$D"
	ip -n "$NS" addr del 198.51.100.60/32 dev v0 || fail "addr del"
	wait_records client.example.test A 198.51.100.61 20
	wait_ptr 198.51.100.60 ""
	assert_running
	stop_nlevd
}

# g: the KDC stopped until getting a ticket fails (transient: a warning,
# not an error, and SIGUSR1 answered meanwhile), then SIGCONT: it converges.
case_g()
{
	local ms all=
	setup 198.51.100.70
	conf "$T/c.conf" "ptr = yes"
	kdc_stop
	start_nlevd "$T/c.conf"
	ip -n "$NS" addr add 198.51.100.71/32 dev v0 || fail "addr add"
	# MIT gives up after about 27 s, the helper's timeout is 30 s
	local deadline=$((SECONDS + $(_scaled 50)))
	until grep -E 'warning: \[ad\] .*(KDC|Kerberos|nlevd-kinit)' "$NLEVD_ERR" >/dev/null; do
		[ "$SECONDS" -lt "$deadline" ] || fail "no warning about the KDC within 50 s"
		ms=$(usr1_ms) || exit 1
		all+=" $ms"
		sleep 1
	done
	note "SIGUSR1 answered in (ms):$all"
	note "$(grep -E 'warning: \[ad\] .*(KDC|Kerberos|nlevd-kinit)' "$NLEVD_ERR" | head -n 1)"
	! grep -E 'error: \[ad\]' "$NLEVD_ERR" || fail "an unreachable KDC is an error, not transient"
	kdc_cont
	wait_records client.example.test A $'198.51.100.70\n198.51.100.71' 30
	wait_ptr 198.51.100.71 client.example.test. 30
	ip -n "$NS" addr del 198.51.100.70/32 dev v0 || fail "addr del"
	wait_records client.example.test A 198.51.100.71 20
	assert_running
	stop_nlevd
}

# h: our clock 15 minutes ahead of the KDC's (libfaketime, in the helper
# only: the KDC and named keep the true time): the KDC refuses the ticket
# with "Clock skew too great", which is logged as clock skew, a warning
# (transient: NTP sets a clock moments later), never as an error; once
# the clock is right it converges.
case_h()
{
	local lib
	lib=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
	[ -n "$lib" ] || fail "libfaketime is not installed (package faketime)"
	setup 198.51.100.80
	conf "$T/c.conf"
	: >"$T/skew"
	{
		echo '#!/bin/sh'
		echo "if [ -e '$T/skew' ]; then"
		# (a sanitizer build's helper must not insist on being first)
		echo "	ASAN_OPTIONS=verify_asan_link_order=0 LD_PRELOAD='$lib' FAKETIME=+900s DONT_FAKE_MONOTONIC=1 exec '$NLEVD_KINIT' \"\$@\""
		echo "fi"
		echo "exec '$NLEVD_KINIT' \"\$@\""
	} >"$T/kinit-skewed"
	chmod 755 "$T/kinit-skewed"
	NLEVD_KINIT=$T/kinit-skewed start_nlevd "$T/c.conf"
	wait_for "grep -E 'warning: \\[ad\\] .*clock skew' '$NLEVD_ERR'" 20 ||
		fail "no clock-skew warning within 20 s"
	note "$(grep -E 'warning: \[ad\] .*clock skew' "$NLEVD_ERR" | head -n 1)"
	! grep -E 'error: \[ad\]' "$NLEVD_ERR" || fail "clock skew is transient, not an error"
	rm -f "$T/skew"
	wait_records client.example.test A 198.51.100.80 20
	gss_signed client.example.test || fail "not signed by host/client"
	assert_running
	stop_nlevd
}

# ---- running them ----

FAILED=()
TIMES=()
for c in $GSS_CASES; do
	declare -F "case_$c" >/dev/null || fail "no case $c"
	note "---- case $c ($GSS_PLUGIN) ----"
	t0=$(now_ms)
	(
		T=$TOP_T/case$c
		mkdir -p "$T" || exit 1
		NLEVD_ERR=$T/nlevd.err
		D=$T/server
		RUNTIME_DIRECTORY=$T/run
		export RUNTIME_DIRECTORY
		TEST_NAME="$TEST_NAME case $c"
		"case_$c"
	)
	rc=$?
	krb5_reap
	ip -n "$NS" link del v0 2>/dev/null
	t0=$(($(now_ms) - t0))
	t0="$((t0 / 1000)).$((t0 % 1000 / 100)) s"
	TIMES+=("$c $t0")
	if [ "$rc" -eq 0 ]; then
		note "case $c: PASS ($t0)"
	else
		note "case $c: FAIL ($t0)"
		FAILED+=("$c")
	fi
done
note "times: ${TIMES[*]}"
[ "${#FAILED[@]}" -eq 0 ] || fail "case(s) failed: ${FAILED[*]}"
pass
