#!/bin/bash
# The nsupdate plugin against Knot's knotd: the DNS engine's cases of
# tests/dns-v2-cases.sh (missing reverse zone, a refused second zone,
# verify, restart, delete_delay, ownership = dhcid, ipv6_suffix, scale).
# shellcheck disable=SC2034 # read by the sourced cases
DNSV2_SERVER=knot
# shellcheck disable=SC2034
DNSV2_PLUGIN=nsupdate
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/dns-v2-cases.sh"
