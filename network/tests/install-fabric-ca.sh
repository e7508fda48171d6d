#!/usr/bin/env bash
# Tests of network/install-fabric-ca.sh's failure paths, like
# install-fabric.sh's: a release directory and Go caches in a temp directory,
# GOPROXY=off behind the mirror. A failing case must exit non-zero with one
# sentence on stderr and leave no tool in the release directory's bin/.
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

network=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script="$network/install-fabric-ca.sh"
# shellcheck source=../lib/fabric-ca.sh
source "$network/lib/fabric-ca.sh"
# shellcheck source=lib/install.sh
source "$network/tests/lib/install.sh"
tmp=$(mktemp -d)
# The module cache is read-only by design.
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0

home_var=MEDCHAIN_FABRIC_CA_HOME
tools=("${FABRIC_CA_TOOLS[@]}")

failure_cases "Fabric CA" "$FABRIC_CA_MODULE" "$FABRIC_CA_MODULE_VERSION" "$FABRIC_CA_MODULE_SUM" "$FABRIC_CA_MIN_GO"

# A release directory whose tools report another version; then the warm path.
fake_release() {
  local home=$1 version=$2 tool
  mkdir -p "$home/bin"
  for tool in "${FABRIC_CA_TOOLS[@]}"; do
    printf '#!/bin/sh\necho "%s:"\necho " Version: %s"\n' "$tool" "$version" >"$home/bin/$tool"
    chmod +x "$home/bin/$tool"
  done
}
fake_release "$tmp/home-old" 1.5.7
install wrong-version "$tmp/home-old" PATH="$tmp/no-go-bin"
if ((status != 0)) && grep -q "is version 1.5.7, not Fabric CA v$FABRIC_CA_VERSION" "$err"; then
  pass "a release directory with another Fabric CA version is refused"
else
  fail "a release directory with another Fabric CA version is refused" "status $status; stderr: $(cat "$err")"
fi
fake_release "$tmp/home-ok" "$FABRIC_CA_VERSION"
install warm "$tmp/home-ok" PATH="$tmp/no-go-bin"
if ((status == 0)) && grep -q "already installed in $tmp/home-ok" "$out"; then
  pass "a complete Fabric CA release directory is used as it is, without Go"
else
  fail "a complete Fabric CA release directory is used as it is, without Go" "status $status; stderr: $(cat "$err")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
