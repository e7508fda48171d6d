#!/usr/bin/env bash
# The refusals of network/publish-crl.sh before it touches anything: no
# organisation, an unknown one, two of them, and a work directory with no
# network. Each must exit 2 with one sentence on stderr. (The update itself
# runs against the real network in the end-to-end test
# a_revoked_certificate_is_refused_by_the_peers_once_the_crl_is_published.)
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

network=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check NAME EXPECTED-TEXT ARGS... — runs the script with ARGS in an empty work directory.
check() {
  local name=$1 text=$2 code=0 err
  shift 2
  err=$(MEDCHAIN_NETWORK_DIR="$tmp/work" bash "$network/publish-crl.sh" "$@" 2>&1 >/dev/null) || code=$?
  if [[ $code -eq 2 && $(wc -l <<<"$err") -eq 1 && $err == *"$text"* ]]; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name: exit $code, stderr: $err"
    failed=$((failed + 1))
  fi
}

check "no organisation" "usage: network/publish-crl.sh ORG"
check "an unknown organisation" "ORG one of: org1 org2" org3
check "two organisations" "usage: network/publish-crl.sh ORG" org1 org2
check "no network in the work directory" "No medchain network in $tmp/work" org1
[[ ! -e "$tmp/work/crl-update" ]] || { echo "FAIL a refused run wrote $tmp/work/crl-update"; failed=$((failed + 1)); }

echo "publish-crl.sh: $passed passed, $failed failed"
((failed == 0))
