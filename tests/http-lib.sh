# shellcheck shell=bash
# HTTPS test servers for the http plugin's integration tests (http-*.sh).
# Source it after lib.sh and test_init: the servers (tests/http-server.py)
# run in the test namespace ($NS) on its loopback, their pids join lib.sh's
# _PIDS so the EXIT trap kills them whatever happens, every file lives
# under $T.
#
#   http_require             the http plugin, python3 and openssl: a
#                            missing one skips (77), or fails under CI=true
#   http_certs               make (once) the test PKI in $HTTP_PKI:
#                            ca.pem (the CA nlevd is given as ca_file),
#                            server.pem/server.key signed by it, for
#                            IP:127.0.0.1, IP:::1 and DNS:localhost;
#                            other-ca.pem and other.pem/other.key, the same
#                            names signed by a second CA nobody trusts
#   http_start NAME PORT [MODE]  start server NAME on 127.0.0.1:PORT in $NS;
#                            MODE tls (default: server.pem), untrusted
#                            (other.pem) or plain (http://); waits until it
#                            listens.  A restart keeps its logs and script
#                            (a list starts again from its first entry).
#   http_stop NAME           stop it (SIGTERM; must go within 5 s)
#   http_script NAME JSON    how it answers from now on (see http-server.py:
#                            {"status", "body", "headers", "delay", "hang",
#                            "drop"} or a list of them, the last repeating)
#   http_requests NAME [FILTER [JQ ARGS...]]   its logged requests, one JSON
#                            object per line (fields: http-server.py)
#   http_count NAME [FILTER [JQ ARGS...]]      how many
#   http_last NAME [FILTER [JQ ARGS...]]       the last one ("" if none)
#   http_wait NAME N [TIMEOUT_S [FILTER [JQ ARGS...]]]  wait until at least
#                            N requests match (default filter: all); fails
#                            the test otherwise
#   http_conns NAME EVENT    connection events logged (accept, tls-ok,
#                            tls-error, hang-connect)
#   secret_hidden SECRET FILE...  fails unless SECRET is absent from every
#                            FILE, every process's /proc/PID/cmdline and
#                            nlevd's /proc/PID/environ
#
# Files: $T/http-NAME.json (requests), $T/http-NAME.conn.json (connections),
# $T/http-NAME.script, $T/http-NAME.err (the server's stderr); lib.sh's
# diagnostics show the .json and .err files.
HTTP_PKI=
declare -A HTTP_PID=()
: "${HTTP_PYTHON:=$(command -v python3)}"

http_require()
{
	local why=
	[ -e "$NLEVD_PLUGINS/http.la" ] || [ -e "$NLEVD_PLUGINS/http.so" ] ||
		why="no http plugin in $NLEVD_PLUGINS (configure found no libcurl; --with-curl forces it)"
	[ -n "$why" ] || [ -n "$HTTP_PYTHON" ] || why="python3 is not installed"
	[ -n "$why" ] || command -v openssl >/dev/null 2>&1 || why="openssl is not installed"
	[ -z "$why" ] && return 0
	if [ "${CI:-}" = true ]; then
		echo "FAIL: $TEST_NAME: $why"
		exit 1
	fi
	echo "SKIP: $TEST_NAME: $why"
	exit 77
}

# _http_cert DIR NAME CA: a P-256 key and certificate for our names,
# signed by DIR/CA.pem.
_http_cert()
{
	local d=$1 name=$2 ca=$3
	openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.csr" -subj "/CN=localhost" \
		>>"$d/openssl.out" 2>&1 || fail "openssl: $name request: $(tail -n 5 "$d/openssl.out")"
	printf '%s\n' "subjectAltName = IP:127.0.0.1, IP:::1, DNS:localhost" \
		"basicConstraints = critical, CA:FALSE" \
		"keyUsage = critical, digitalSignature" \
		"extendedKeyUsage = serverAuth" >"$d/$name.ext"
	openssl x509 -req -in "$d/$name.csr" -CA "$d/$ca.pem" -CAkey "$d/$ca.key" \
		-set_serial "0x$(openssl rand -hex 8)" -days 30 -sha256 \
		-extfile "$d/$name.ext" -out "$d/$name.pem" \
		>>"$d/openssl.out" 2>&1 || fail "openssl: $name certificate: $(tail -n 5 "$d/openssl.out")"
}

# _http_ca DIR NAME CN: a self-signed CA.
_http_ca()
{
	local d=$1 name=$2 cn=$3
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/$name.key" -out "$d/$name.pem" -days 30 -sha256 -subj "/CN=$cn" \
		-addext "basicConstraints = critical, CA:TRUE" \
		-addext "keyUsage = critical, keyCertSign, cRLSign" \
		>>"$d/openssl.out" 2>&1 || fail "openssl: CA $name: $(tail -n 5 "$d/openssl.out")"
}

http_certs()
{
	[ -n "$HTTP_PKI" ] && return 0
	command -v openssl >/dev/null 2>&1 || fail "openssl is required (the test CA)"
	HTTP_PKI=$T/pki
	mkdir -p "$HTTP_PKI" || fail "mkdir $HTTP_PKI"
	_http_ca "$HTTP_PKI" ca "nlevd test CA"
	_http_cert "$HTTP_PKI" server ca
	_http_ca "$HTTP_PKI" other-ca "nlevd untrusted test CA"
	_http_cert "$HTTP_PKI" other other-ca
	openssl verify -CAfile "$HTTP_PKI/ca.pem" "$HTTP_PKI/server.pem" >>"$HTTP_PKI/openssl.out" 2>&1 ||
		fail "the test server certificate does not verify: $(tail -n 3 "$HTTP_PKI/openssl.out")"
	openssl verify -CAfile "$HTTP_PKI/ca.pem" "$HTTP_PKI/other.pem" >>"$HTTP_PKI/openssl.out" 2>&1 &&
		fail "the untrusted certificate verifies with the test CA"
	return 0
}

http_script()
{
	local f=$T/http-$1.script
	printf '%s\n' "$2" | jq -e 'type == "object" or (type == "array" and length > 0)' >/dev/null 2>&1 ||
		fail "http_script $1: not a JSON object or list: $2"
	{ printf '%s\n' "$2" >"$f.tmp" && mv -f "$f.tmp" "$f"; } || fail "cannot write $f"
}

http_start()
{
	local name=$1 port=$2 mode=${3:-tls} ready=$T/http-$1.ready tls=()
	[ -n "$HTTP_PYTHON" ] || fail "python3 is required (tests/http-server.py)"
	[ -z "${HTTP_PID[$name]:-}" ] || fail "http_start $name: already running"
	case $mode in
	tls) http_certs; tls=(--cert "$HTTP_PKI/server.pem" --key "$HTTP_PKI/server.key") ;;
	untrusted) http_certs; tls=(--cert "$HTTP_PKI/other.pem" --key "$HTTP_PKI/other.key") ;;
	plain) ;;
	*) fail "http_start $name: unknown mode $mode" ;;
	esac
	[ -f "$T/http-$name.script" ] || http_script "$name" '{"status": 200, "body": ""}'
	rm -f "$ready"
	note "starting http-server $name ($mode) on 127.0.0.1:$port"
	ip netns exec "$NS" "$HTTP_PYTHON" "$TESTS_SRCDIR/http-server.py" --listen 127.0.0.1 \
		--port "$port" "${tls[@]}" --log "$T/http-$name.json" \
		--conn-log "$T/http-$name.conn.json" --script "$T/http-$name.script" \
		--ready "$ready" >>"$T/http-$name.out" 2>>"$T/http-$name.err" &
	HTTP_PID[$name]=$!
	_PIDS+=("$!")
	wait_for "[ -s '$ready' ] || ! pid_running ${HTTP_PID[$name]}" 10
	{ pid_running "${HTTP_PID[$name]}" && [ -s "$ready" ]; } ||
		fail "http-server $name did not start: $(tail -n 5 "$T/http-$name.err")"
}

http_stop()
{
	local pid=${HTTP_PID[$1]:-}
	[ -n "$pid" ] || fail "http_stop $1: not running"
	kill -TERM "$pid" 2>/dev/null
	wait_exit "$pid" 5 || fail "http-server $1 did not stop within 5 s"
	HTTP_PID[$1]=
}

http_requests()
{
	local name=$1 filter=${2:-true}
	shift $(($# < 2 ? $# : 2))
	ev_select "$T/http-$name.json" "$filter" "$@"
}

http_count()
{
	local n
	n=$(http_requests "$@" | wc -l)
	echo $((n))
}

http_last() { http_requests "$@" | tail -n 1; }

http_wait()
{
	local name=$1 n=$2 timeout=${3:-10} filter=${4:-true}
	shift $(($# < 4 ? $# : 4))
	local deadline=$((SECONDS + $(_scaled "$timeout"))) c
	while :; do
		c=$(http_count "$name" "$filter" "$@")
		[ "$c" -ge "$n" ] && return 0
		[ "$SECONDS" -ge "$deadline" ] && break
		[ -z "$NLEVD_PID" ] || pid_running "$NLEVD_PID" || fail "nlevd died while waiting for requests at $name"
		sleep 0.1
	done
	fail "timeout (${timeout}s): wanted $n request(s) matching [$filter] at http-server $name, got $c"
}

http_conns()
{
	ev_count "$T/http-$1.conn.json" '.event == $e' --arg e "$2"
}

secret_hidden()
{
	local secret=$1 f p c hits='' args
	shift
	[ -n "$secret" ] || fail "secret_hidden: empty secret"
	# The secret never goes into an argv here either (grep -f, [[ ]]):
	# the scan would find itself.
	for f in "$@"; do
		[ -f "$f" ] || continue
		grep -qFf <(printf '%s\n' "$secret") "$f" &&
			fail "the secret appears in $f: $(grep -Ff <(printf '%s\n' "$secret") "$f" | head -n 3)"
	done
	for p in /proc/[0-9]*; do
		# A process may go between the glob and the read.
		mapfile -d '' -t args <"$p/cmdline" 2>/dev/null || continue
		c="${args[*]}"
		[[ $c == *"$secret"* ]] && hits="$hits ${p#/proc/} ($c)"
	done
	[ -z "$hits" ] || fail "the secret appears in the command line of pid(s)$hits"
	[ -n "$NLEVD_PID" ] || return 0
	c=$(tr '\0' '\n' <"/proc/$NLEVD_PID/environ") || fail "cannot read nlevd's /proc/$NLEVD_PID/environ"
	[[ $c == *"$secret"* ]] && fail "the secret appears in nlevd's environment"
	return 0
}
