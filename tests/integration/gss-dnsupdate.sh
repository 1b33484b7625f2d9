#!/bin/bash
# The dnsupdate plugin with auth = gss-tsig (native RFC 3645) against an
# MIT KDC and BIND: the cases of tests/gss-cases.sh.
# shellcheck disable=SC2034 # read by the sourced cases
GSS_PLUGIN=dnsupdate
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/gss-cases.sh"
