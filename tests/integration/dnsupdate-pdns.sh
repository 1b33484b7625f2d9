#!/bin/bash
# The dnsupdate plugin against the PowerDNS Authoritative Server (gsqlite3)
# in the test namespace: every case of tests/dnsupdate-cases.sh, as for
# BIND and Knot.
# shellcheck disable=SC2034 # read by the sourced cases
DNSU_SERVER=pdns
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/dnsupdate-cases.sh"
