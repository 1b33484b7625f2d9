#!/bin/bash
# The shipped examples (conf/examples/*.conf, installed in the docs) are
# valid: `nlevd -t` on each, with the files they name (/etc/nlevd/*,
# /var/log/nlevd/, the keytab) made in a scratch directory first, as an
# administrator would make them.  Output is TAP.
# The http examples need the http plugin (libcurl): without it they are
# left out, except under CI=true, where they count as failures.
set -u
top=$(cd "${TESTS_SRCDIR:-$(cd "$(dirname "$0")" && pwd)}/.." && pwd)
NLEVD=${NLEVD:-$top/nlevd}
NLEVD_PLUGINS=${NLEVD_PLUGINS:-$top/plugins}
# exec.conf's hooks directory must have no parent that others may write
# to (not /tmp, sticky or not): the build tree if that holds, else /run
# (root), else nowhere, and exec.conf is left out.
safe_chain() { # DIR: no directory from DIR up to / writable by group or others
	local d=$1
	while :; do
		case $(stat -c %A "$d") in ?????w????|????????w?) return 1 ;; esac
		[ "$d" = / ] && return 0
		d=$(dirname "$d")
	done
}
base=
for b in "$PWD" /run; do
	if [ -w "$b" ] && safe_chain "$b"; then base=$b; break; fi
done
T=$(mktemp -d "${base:-$PWD}/examples-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT HUP INT TERM
chmod 755 "$T"
mkdir -m 755 "$T/etc" "$T/etc/hooks.d" "$T/log"
if [ -e "$NLEVD_PLUGINS/http.la" ] || [ -e "$NLEVD_PLUGINS/http.so" ]; then have_http=1; else have_http=0; fi

# The file a path names, made with what its kind holds.
make_file() { # PATH
	case $1 in
	*.key) printf 'key "host-key" {\n\talgorithm hmac-sha256;\n\tsecret "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI=";\n};\n' >"$1" ;;
	*.headers) printf '# a comment\nAuthorization: Bearer not-a-real-token\n' >"$1" ;;
	*.pem) cp /etc/ssl/certs/ca-certificates.crt "$1" ;;
	*) echo not-a-real-secret >"$1" ;;
	esac
	chmod 600 "$1"
}

n=0
failed=0
for f in "$top"/conf/examples/*.conf; do
	name=examples/$(basename "$f")
	if grep -q '^plugin = http' "$f" && [ $have_http = 0 ] && [ "${CI:-}" != true ]; then
		echo "# $name: no http plugin built, not checked"
		continue
	fi
	if [ -z "$base" ] && grep -q '^directory = ' "$f"; then
		echo "# $name: no directory here that others cannot write to (not as root in /tmp?), not checked"
		continue
	fi
	c=$T/$(basename "$f")
	# Commented keys stay commented; the keytab (a default) is named.
	sed -e "s|/etc/nlevd/|$T/etc/|g" -e "s|/var/log/nlevd/|$T/log/|g" \
		-e "s|^;keytab = /etc/krb5.keytab|keytab = $T/etc/krb5.keytab|" "$f" >"$c"
	for p in $(grep -v '^[;#]' "$c" | grep -o "$T/etc/[^ ]*"); do
		[ -e "$p" ] || make_file "$p"
	done
	n=$((n + 1))
	if out=$("$NLEVD" -t -c "$c" -P "$NLEVD_PLUGINS" 2>&1) && echo "$out" | grep -q 'configuration ok'; then
		echo "ok $n - $name"
	else
		failed=$((failed + 1))
		echo "not ok $n - $name"
		echo "$out" | sed 's/^/#   /'
	fi
done
echo "1..$n"
[ "$n" -ge 5 ] || { echo "# found only $n examples"; exit 1; }
[ $failed -eq 0 ]
