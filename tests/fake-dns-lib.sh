# shellcheck shell=bash
# fake-dns servers for the DNS fault tests (dns-faults*.sh): one per port on
# the test namespace's 127.0.0.1, each logging to $T/fake-PORT.out, signing
# with the key $K, killed by lib.sh's EXIT trap.  Source after lib.sh and
# dns-lib.sh, with FAKE_DNS and K set.
#   fake_start PORT MODE [ARG]  (re)start the fake in MODE (see fake-dns.c)
#   fake_stop PORT              stop it (continued first if stopped)
#   fake_mark PORT / fake_since PORT   its log since the mark
#   fake_requests PORT [udp|tcp]       requests received since the mark
#   fake_acked PORT             records of the last UPDATE answered NOERROR
#   records NAME ADDRESS...     the lines fake_acked gives for these
declare -A FAKE_PID=() FAKE_MARK=()
# fake_start PORT MODE [ARG]: (re)start the fake on 127.0.0.1#PORT, and mark
fake_start()
{
	local port=$1 out=$T/fake-$1.out before
	shift
	[ -n "${FAKE_PID[$port]:-}" ] && fake_stop "$port"
	before=$(grep -c 'listening on' "$out" 2>/dev/null)
	echo "---- fake-dns $*" >>"$out"
	# marked before it listens: a retransmission may come at once
	fake_mark "$port"
	ip netns exec "$NS" "$FAKE_DNS" --port "$port" --key "$K" "$@" >>"$out" 2>&1 &
	FAKE_PID[$port]=$!
	_PIDS+=("$!")
	wait_for "[ \$(grep -c 'listening on' '$out') -gt ${before:-0} ]" 5 ||
		fail "fake-dns $* did not start on port $port: $(tail -n 3 "$out")"
}
fake_stop()
{
	kill -CONT "${FAKE_PID[$1]}" 2>/dev/null
	kill -TERM "${FAKE_PID[$1]}" 2>/dev/null
	wait_exit "${FAKE_PID[$1]}" 5 || fail "fake-dns on port $1 did not stop"
	FAKE_PID[$1]=
}
fake_mark() { FAKE_MARK[$1]=$(grep -c '' "$T/fake-$1.out"); }
fake_since() { tail -n +"$((FAKE_MARK[$1] + 1))" "$T/fake-$1.out"; }
# fake_requests PORT [udp|tcp]: requests received since the mark
fake_requests() { fake_since "$1" | grep "^fake-dns: ${2:-[a-z]*}: request #" | grep -vc "(a read; no records)"; }
# fake_acked PORT: the records added by the last UPDATE answered NOERROR
# since the mark, one per line, sorted
fake_acked()
{
	fake_since "$1" | grep ': answered NOERROR, signed ' | tail -n 1 |
		sed -n 's/.*; adds: //p' | sed 's/, /\n/g' | LC_ALL=C sort
}
# records NAME ADDRESS...: the lines fake_acked gives for these addresses
records()
{
	local name=$1 a
	shift
	for a in "$@"; do
		case $a in
		*:*) echo "$name. AAAA $a" ;;
		*) echo "$name. A $a" ;;
		esac
	done | LC_ALL=C sort
}

# The daemon's log ($ERR) since a mark, and convergence on a fake:
#   log_mark / since_mark / log_count ERE
#   converged PORT INSTANCE NAME ADDRESS...  the instance logged a success
#       since the mark and the fake's last acknowledged UPDATE holds exactly
#       these records;  wait_converged PORT INSTANCE TIMEOUT NAME ADDRESS...
#   between N LO HI;  cpu_ticks PID (user + system, clock ticks)
log_mark() { MARK=$(grep -c '' "$ERR" 2>/dev/null); }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }
log_count() { since_mark | grep -c -E -- "$1"; }
converged()
{
	local port=$1 inst=$2
	shift 2
	[ "$(log_count "info: \[$inst\] updated: ")" -ge 1 ] &&
		[ "$(fake_acked "$port")" = "$(records "$@")" ]
}
wait_converged()
{
	local port=$1 inst=$2 timeout=$3
	shift 3
	wait_for "converged $port $inst $*" "$timeout" ||
		fail "[$inst] did not converge on [$*] within $timeout s: acked [$(fake_acked "$port" | tr '\n' ' ')]; $(since_mark | grep "\[$inst\]" | grep -v 'debug: ' | tail -n 5)"
}
between() { [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }
cpu_ticks() { awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
