#!/bin/bash
# Key files of both DNS plugins: a FIFO (or anything not a regular file) is
# refused at once by -t and at SIGHUP, never opened blocking; a key file
# other users may read or write, or owned by another user, is warned about
# at start-up and again at every reload.
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/lib.sh"
. "$TESTS_SRCDIR/dns-lib.sh"
test_init dns-keyfile
for p in nsupdate dnsupdate; do
	[ -e "$NLEVD_PLUGINS/$p.la" ] || [ -e "$NLEVD_PLUGINS/$p.so" ] || fail "no $p plugin in $NLEVD_PLUGINS"
done
dns_require nsupdate
ERR=$NLEVD_ERR
KEY=$T/nlevd.key
FIFO=$T/fifo.key
mkfifo "$FIFO" || fail "mkfifo"
writekey() { echo 'key "nlevd-key" { algorithm hmac-sha256; secret "T3BWW5jtKrGvrtqH1gxP76aNx69liEk4X3/fLQPObAE="; };' >"$1"; }
writekey "$KEY"
chmod 0600 "$KEY"

# conf KEYFILE: nsupdate without and with key_name, and dnsupdate, all with
# the same key file; no server answers (nothing here needs one).
conf()
{
	local i
	echo "[nlevd]"
	echo "log_level = info"
	for i in n1 n2 d; do
		cat <<EOF

[$i]
plugin = $([ "$i" = d ] && echo dnsupdate || echo nsupdate)
name = $i.example.test
zone = example.test
server = 127.0.0.1
key_file = $1
timeout = 1s
retry = 1h
retry_max = 1h
EOF
		[ "$i" = n2 ] && echo "key_name = nlevd-key"
	done
	return 0
}

# 1. -t with a FIFO as key file: exit 78 promptly, FILE:LINE for each
#    instance (the old blocking open hung here: timeout's 124).
conf "$FIFO" >"$T/fifo.conf"
t0=$(now_ms)
timeout 10 "$NLEVD" -t -c "$T/fifo.conf" -P "$NLEVD_PLUGINS" >"$T/t.out" 2>&1
rc=$?
note "-t with a FIFO key file: status $rc after $(($(now_ms) - t0)) ms"
[ "$rc" -eq 78 ] || fail "-t with a FIFO as key_file: status $rc, not 78: $(cat "$T/t.out")"
for i in n1 n2 d; do
	line=$(grep -n "^\[$i\]" "$T/fifo.conf" | cut -d: -f1)
	kline=$(awk -v s="$line" 'NR > s && /^key_file/ { print NR; exit }' "$T/fifo.conf")
	grep -qF "$T/fifo.conf:$kline: [$i] key_file: $FIFO is not a regular file" "$T/t.out" ||
		fail "[$i]: no FILE:LINE 'not a regular file' error: $(cat "$T/t.out")"
done
grep -qF "fifo.conf: 3 errors" "$T/t.out" || fail "not exactly 3 errors: $(cat "$T/t.out")"

# 2. A safe key file: no warning at start-up.
conf "$KEY" >"$T/nlevd.conf"
start_nlevd "$T/nlevd.conf"
grep -q 'key file .* it holds a secret' "$ERR" && fail "warned about a root-owned 0600 key file: $(grep 'holds a secret' "$ERR")"

log_mark() { MARK=$(grep -c '' "$ERR"); }
since_mark() { tail -n +"$((MARK + 1))" "$ERR"; }
# reload: SIGHUP and wait for the core's "reloaded" (reopen is done by then)
reload() {
	log_mark
	kill -HUP "$NLEVD_PID"
	wait_for "since_mark | matches 'notice: reloaded'" 10 || fail "no reload: $(since_mark)"
}

# 3. Readable by others and writable by group: warned at every reload, by
#    each instance, once.
chmod 0664 "$KEY"
for round in 1 2; do
	reload
	for i in n1 n2 d; do
		n=$(since_mark | grep -cF "warning: [$i] key file $KEY is writable by group, readable by others (mode 0664); it holds a secret")
		[ "$n" -eq 1 ] || fail "reload $round: [$i] warned $n times, not once: $(since_mark)"
	done
done
chmod 0600 "$KEY"
reload
since_mark | matches 'holds a secret' && fail "still warned after chmod 0600: $(since_mark)"

# 4. Owned by another user: warned at start-up, as for -t.
chown 4242 "$KEY" || fail "chown"
timeout 10 "$NLEVD" -t -c "$T/nlevd.conf" -P "$NLEVD_PLUGINS" >"$T/t2.out" 2>&1
rc=$?
[ "$rc" -eq 0 ] || fail "-t with a key file owned by uid 4242: status $rc (a warning, not an error): $(cat "$T/t2.out")"
for i in n1 n2 d; do
	grep -qF "warning: [$i] key file $KEY is owned by uid 4242, not root or the daemon's uid 0 (mode 0600); it holds a secret" "$T/t2.out" ||
		fail "[$i]: no warning about the owner: $(cat "$T/t2.out")"
done
chown 0 "$KEY" || fail "chown"

# 5. The key file replaced by a FIFO, then SIGHUP: each instance reports it,
#    the daemon does not hang (it reloads and answers SIGUSR1).
mv "$KEY" "$KEY.orig"
mkfifo "$KEY" || fail "mkfifo"
reload
for i in n1 n2 d; do
	since_mark | matches -F "[$i] " || fail "[$i] said nothing at reload"
	since_mark | grep -F "error: [$i] " | matches -F "$KEY is not a regular file" ||
		fail "[$i]: the FIFO at reload was not reported: $(since_mark)"
done
log_mark
kill -USR1 "$NLEVD_PID"
wait_for "since_mark | matches 'notice: \[d\] .*updates_sent'" 10 || fail "no status after the reload: the daemon hangs?"
assert_running "after a FIFO key file at SIGHUP"
rm -f "$KEY"
mv "$KEY.orig" "$KEY"
stop_nlevd
pass
