#!/usr/bin/env bash
# Tests of network/install-kubo.sh's failure paths, like install-fabric.sh's:
# a release directory and Go caches in a temp directory, GOPROXY=off behind
# the mirror. A failing case must exit non-zero with one sentence on stderr
# and leave no tool in the release directory's bin/.
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

network=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script="$network/install-kubo.sh"
# shellcheck source=../lib/kubo.sh
source "$network/lib/kubo.sh"
# shellcheck source=lib/install.sh
source "$network/tests/lib/install.sh"
tmp=$(mktemp -d)
# The module cache is read-only by design.
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0

home_var=MEDCHAIN_KUBO_HOME
tools=("${KUBO_TOOLS[@]}")

failure_cases "Kubo" "$KUBO_MODULE" "$KUBO_MODULE_VERSION" "$KUBO_MODULE_SUM" "$KUBO_MIN_GO"

# A release directory whose ipfs reports another version; then the warm path.
fake_release() {
  local home=$1 version=$2
  mkdir -p "$home/bin"
  printf '#!/bin/sh\necho "%s"\n' "$version" >"$home/bin/ipfs"
  chmod +x "$home/bin/ipfs"
}
fake_release "$tmp/home-old" 0.40.0
install wrong-version "$tmp/home-old" PATH="$tmp/no-go-bin"
if ((status != 0)) && grep -q "is version 0.40.0, not Kubo v$KUBO_VERSION" "$err"; then
  pass "a release directory with another Kubo version is refused"
else
  fail "a release directory with another Kubo version is refused" "status $status; stderr: $(cat "$err")"
fi
fake_release "$tmp/home-ok" "$KUBO_VERSION"
install warm "$tmp/home-ok" PATH="$tmp/no-go-bin"
if ((status == 0)) && grep -q "already installed in $tmp/home-ok" "$out"; then
  pass "a complete Kubo release directory is used as it is, without Go"
else
  fail "a complete Kubo release directory is used as it is, without Go" "status $status; stderr: $(cat "$err")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
