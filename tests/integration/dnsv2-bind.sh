#!/bin/bash
# The dnsupdate plugin against BIND's named: the DNS engine's cases of
# tests/dns-v2-cases.sh (missing reverse zone, a refused second zone,
# verify, restart, delete_delay, ownership = dhcid, ipv6_suffix, scale).
# shellcheck disable=SC2034 # read by the sourced cases
DNSV2_SERVER=bind
# shellcheck disable=SC2034
DNSV2_PLUGIN=dnsupdate
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/dns-v2-cases.sh"
