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

fake="$tmp/fake-mirror"
fake_module "$fake" "$FABRIC_CA_MODULE" "$FABRIC_CA_MODULE_VERSION" "$FABRIC_CA_MIN_GO"

if command -v go >/dev/null 2>&1; then
  install wrong-hash "$tmp/home-wrong-hash" MEDCHAIN_GO_MIRROR="$fake"
  expect_refusal "a Fabric CA module whose hash is not the pinned one is refused" "$tmp/home-wrong-hash" \
    "has hash h1:.*, not the pinned $FABRIC_CA_MODULE_SUM"
  if grep -q '=== go install' "$tmp/home-wrong-hash/install.log" 2>/dev/null; then
    fail "nothing of Fabric CA is built after a hash mismatch" "install.log shows a go install"
  else
    pass "nothing of Fabric CA is built after a hash mismatch"
  fi

  mkdir -p "$tmp/empty-mirror"
  install not-served "$tmp/home-not-served" MEDCHAIN_GO_MIRROR="$tmp/empty-mirror"
  expect_refusal "a Fabric CA module the proxy chain does not serve is refused" "$tmp/home-not-served" \
    "go mod download $FABRIC_CA_MODULE@$FABRIC_CA_MODULE_VERSION failed (.*disabled by GOPROXY=off.*); set MEDCHAIN_GO_MIRROR"
else
  fail "a Fabric CA module whose hash is not the pinned one is refused" "these cases need Go on PATH"
fi

install missing-mirror "$tmp/home-missing-mirror" MEDCHAIN_GO_MIRROR="$tmp/no-such-dir"
expect_refusal "a MEDCHAIN_GO_MIRROR that is not a directory is refused by the CA install" "$tmp/home-missing-mirror" \
  "MEDCHAIN_GO_MIRROR is $tmp/no-such-dir, which is not a directory"

# A PATH with the ordinary commands but no go.
mkdir -p "$tmp/no-go-bin"
for cmd in dirname mkdir mktemp rm cat sed grep awk sort head wc date flock env chmod mv cp; do
  if path=$(command -v "$cmd"); then ln -s "$path" "$tmp/no-go-bin/$cmd"; fi
done
install no-go "$tmp/home-no-go" PATH="$tmp/no-go-bin"
expect_refusal "no Go toolchain on PATH is one sentence for the CA install" "$tmp/home-no-go" \
  "the Go toolchain is not on PATH; install Go >= $FABRIC_CA_MIN_GO"

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
