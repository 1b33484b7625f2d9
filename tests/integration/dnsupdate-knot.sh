#!/bin/bash
# The dnsupdate plugin against Knot's knotd in the test namespace: every case of
# tests/dnsupdate-cases.sh (start-up push, IPv4/IPv6 add and del, two
# names, TTL, PTR, on_empty, flap storm, outage, tcp = yes, wrong key, no
# server).
# shellcheck disable=SC2034 # read by the sourced cases
DNSU_SERVER=knot
. "${TESTS_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/dnsupdate-cases.sh"
