#!/bin/bash
# Both DNS plugins against a Samba AD DC's internal DNS (tests/samba-lib.sh)
# with GSS-TSIG: first what Samba does with nsupdate -g/-o by hand (its
# signed answers never verify, another machine's name is SERVFAIL, the SOA
# serial never moves), then for nsupdate and dnsupdate, each with
# auth = gss-tsig and ms-gss-tsig and the machine account CLIENT$ picked
# from the keytab (no principal): the host's A record published, an address
# change followed with no dns-failed for it (dnsupdate checks Samba's own
# form of the MIC; nsupdate cannot, so its unverified answers are confirmed
# by reading the records back at once), and another machine's name
# refused, reported (dns-failed and a logged warning or error, naming
# Samba's SERVFAIL) and left as it was.  No Kerberos ticket in the daemon's environment: the plugins get
# their own from the keytab.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/samba-lib.sh"
test_init samba-gss
for p in nsupdate dnsupdate; do
	[ -e "$NLEVD_PLUGINS/$p.la" ] || [ -e "$NLEVD_PLUGINS/$p.so" ] ||
		fail "no $p plugin in $NLEVD_PLUGINS"
done
samba_require
unset KRB5CCNAME KRB5_CLIENT_KTNAME KRB5_KTNAME
# The plugins' credential caches (lib.sh sets this too once it knows it).
: "${RUNTIME_DIRECTORY:=$T/runtime}"
export RUNTIME_DIRECTORY

samba_start
samba_computer CLIENT "$T/client.keytab"
samba_computer OTHER "$T/other.keytab"
ME=client.$SAMBA_ZONE
THEM=other.$SAMBA_ZONE
VERIFY_FAIL='; TSIG error with server: tsig verify failure'
# nsu_expect STDERR WHAT: the last samba_nsupdate exited 2 with STDERR.
nsu_expect()
{
	[ "$NSU_RC" -eq 2 ] || fail "$2: nsupdate exited $NSU_RC (stderr [$NSU_ERR]), not 2"
	[ "$NSU_ERR" = "$1" ] || fail "$2: nsupdate's stderr is [$NSU_ERR], not [$1]"
}

# ---- Samba by hand: what the plugins have to live with ----
samba_kinit "$T/other.keytab" "OTHER\$@$SAMBA_REALM" "$T/other.cc" ||
	fail "kinit OTHER\$: $(cat "$SAMBA_DIR/kinit.err")"
samba_kinit "$T/client.keytab" "CLIENT\$@$SAMBA_REALM" "$T/client.cc" ||
	fail "kinit CLIENT\$: $(cat "$SAMBA_DIR/kinit.err")"
serial0=$(samba_serial)
[ -n "$serial0" ] || fail "no SOA serial from the DC"
# OTHER registers its name; Samba applies it but its signed answer does
# not verify, so nsupdate reports a failure.
samba_nsupdate -g "$T/other.cc" "update add $THEM 300 A 10.53.16.20"
nsu_expect "$VERIFY_FAIL" "nsupdate -g, an accepted update (does Samba's answer verify now?)"
samba_wait_records "$THEM" A 10.53.16.20 5
# -o: Samba FORMERRs the Windows TKEY form, nsupdate falls back to
# gss-tsig by itself; the same unverifiable answer.
samba_nsupdate -o "$T/client.cc" "update add $ME 300 A 10.53.16.30"
nsu_expect "$VERIFY_FAIL" "nsupdate -o, an accepted update"
samba_wait_records "$ME" A 10.53.16.30 5
# Another machine's name: SERVFAIL (not REFUSED), record unchanged.
samba_nsupdate -g "$T/client.cc" "update delete $THEM A
update add $THEM 300 A 10.53.16.99"
nsu_expect "$VERIFY_FAIL"$'\nupdate failed: SERVFAIL' "nsupdate -g, overwriting OTHER's name"
[ "$(samba_query "$THEM" A)" = 10.53.16.20 ] || fail "CLIENT\$ overwrote $THEM: [$(samba_query "$THEM" A)]"
[ "$(samba_serial)" = "$serial0" ] || fail "the SOA serial moved: $serial0 -> $(samba_serial)"
note "by hand: answers unverifiable, other's name SERVFAIL, serial stays $serial0"
samba_nsupdate -g "$T/client.cc" "update delete $ME A"
samba_wait_records "$ME" A "" 5

# ---- the plugins ----
veth_pair cl0 cl1
# conf FILE PLUGIN AUTH EVENTS: [ad] publishes $ME, [other] tries $THEM,
# both from the interface cl0 with CLIENT$'s keytab.
conf()
{
	local inst
	{
		cat <<EOF
[nlevd]
log_level = debug

[events]
plugin = log
format = json
output = $4
events = dns-published dns-failed
EOF
		for inst in ad other; do
			cat <<EOF

[$inst]
plugin = $2
name = $([ $inst = ad ] && echo "$ME" || echo "$THEM")
auth = $3
keytab = $T/client.keytab
server = $SAMBA_IP
interfaces = cl0
family = ipv4
retry = 1s
retry_max = 5s
timeout = 3s
EOF
		done
	} >"$1"
}

n=0
for combo in "nsupdate gss-tsig" "nsupdate ms-gss-tsig" "dnsupdate gss-tsig" "dnsupdate ms-gss-tsig"; do
	read -r plugin auth <<<"$combo"
	n=$((n + 1))
	note "---- $plugin, auth = $auth ----"
	ev=$T/events.$n.json
	ip -n "$NS" addr flush dev cl0
	ip -n "$NS" addr add 10.53.17.10/32 dev cl0 || fail "addr add"
	conf "$T/$n.conf" "$plugin" "$auth" "$ev"
	mark=$(grep -c '' "$NLEVD_ERR" 2>/dev/null)
	t0=$(now_ms)
	start_nlevd "$T/$n.conf"
	samba_wait_records "$ME" A 10.53.17.10 20
	# shellcheck disable=SC2016 # jq variables
	wait_event "$ev" '.event == "dns-published" and .source == "ad" and (.zone | rtrimstr(".")) == $z' 1 20 \
		--arg z "$SAMBA_ZONE"
	note "$plugin/$auth: published in $(($(now_ms) - t0)) ms"
	[ -s "$RUNTIME_DIRECTORY/krb5cc.ad" ] || fail "$plugin/$auth: no credential cache $RUNTIME_DIRECTORY/krb5cc.ad"

	ip -n "$NS" addr add 10.53.17.11/32 dev cl0 || fail "addr add"
	ip -n "$NS" addr del 10.53.17.10/32 dev cl0 || fail "addr del"
	samba_wait_records "$ME" A 10.53.17.11 20
	wait_event "$ev" '.event == "dns-published" and .source == "ad"' 2 20

	# [other]: refused, reported, not overwritten.  Samba's refusal is a
	# SERVFAIL (transient by SPEC.md: a warning and back-off will do) whose
	# TSIG is the request's own, so it verifies in no way; the report
	# names the SERVFAIL all the same, not a bad signature.
	# shellcheck disable=SC2016 # jq variables
	wait_event "$ev" '.event == "dns-failed" and .source == "other" and
		(.zone | rtrimstr(".")) == $z and (.names | test("other\\.samba\\.test")) and
		(.error | test("SERVFAIL"))' 1 20 --arg z "$SAMBA_ZONE"
	wait_for "tail -n +$((mark + 1)) '$NLEVD_ERR' | grep -E '(error|warning): \[other\] .*zone samba\.test.*SERVFAIL'" 10 ||
		fail "$plugin/$auth: no error or warning naming SERVFAIL logged for [other]: $(tail -n +$((mark + 1)) "$NLEVD_ERR" | grep '\[other\]' | grep -v debug | tail -n 5)"
	[ "$(samba_query "$THEM" A)" = 10.53.16.20 ] ||
		fail "$plugin/$auth overwrote $THEM: [$(samba_query "$THEM" A)]"
	# dnsupdate checks Samba's form of the MIC; nsupdate cannot, and the
	# records read back at once confirm the update: no failure either way.
	assert_count "$ev" '.event == "dns-failed" and .source == "ad"' 0 "$plugin/$auth: [ad] failed"
	assert_running "$plugin/$auth"
	stop_nlevd
	[ ! -e "$RUNTIME_DIRECTORY/krb5cc.ad" ] || fail "$plugin/$auth: $RUNTIME_DIRECTORY/krb5cc.ad left after SHUTDOWN"

	# The next one starts from an empty name again.
	samba_nsupdate -g "$T/client.cc" "update delete $ME A"
	samba_wait_records "$ME" A "" 5
done

[ "$(samba_serial)" = "$serial0" ] || note "the SOA serial moved: $serial0 -> $(samba_serial)"
samba_host_untouched
pass "nsupdate and dnsupdate, gss-tsig and ms-gss-tsig, against Samba (DC up in $SAMBA_START_MS ms)"
