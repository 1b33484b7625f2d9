#!/bin/bash
# The nsupdate plugin with auth = gss-tsig (nsupdate -g) against an MIT KDC
# and BIND: the cases of tests/gss-cases.sh.
# shellcheck disable=SC2034 # read by the sourced cases
GSS_PLUGIN=nsupdate
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/gss-cases.sh"
