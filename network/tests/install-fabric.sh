#!/usr/bin/env bash
# Tests of network/install-fabric.sh's failure paths, without the network and
# without touching the real Go caches or Fabric installation: every case uses
# a release directory, a module cache and a build cache in a temp directory,
# and GOPROXY=off behind the mirror. A failing case must exit non-zero with
# one sentence on stderr and leave no tool in the release directory's bin/.
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

network=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
script="$network/install-fabric.sh"
# shellcheck source=../lib/fabric.sh
source "$network/lib/fabric.sh"
tmp=$(mktemp -d)
# The module cache is read-only by design.
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
passed=0
failed=0

# shellcheck source=lib/install.sh
source "$network/tests/lib/install.sh"

home_var=MEDCHAIN_FABRIC_HOME
tools=("${FABRIC_TOOLS[@]}")

# A file-based module proxy serving the pinned version of the Fabric module,
# but a zip whose go.mod is not Fabric's, so its h1 hash differs from the pin.
fake="$tmp/fake-mirror"
fake_module "$fake" "$FABRIC_MODULE" "$FABRIC_MODULE_VERSION" "$FABRIC_MIN_GO"

if command -v go >/dev/null 2>&1; then
  install wrong-hash "$tmp/home-wrong-hash" MEDCHAIN_GO_MIRROR="$fake"
  expect_refusal "a module whose hash is not the pinned one is refused" "$tmp/home-wrong-hash" \
    "has hash h1:.*, not the pinned $FABRIC_MODULE_SUM"
  if grep -q '=== go install' "$tmp/home-wrong-hash/install.log" 2>/dev/null; then
    fail "nothing is built after a hash mismatch" "install.log shows a go install"
  else
    pass "nothing is built after a hash mismatch"
  fi

  mkdir -p "$tmp/empty-mirror"
  install not-served "$tmp/home-not-served" MEDCHAIN_GO_MIRROR="$tmp/empty-mirror"
  expect_refusal "a module the proxy chain does not serve is refused" "$tmp/home-not-served" \
    "go mod download $FABRIC_MODULE@$FABRIC_MODULE_VERSION failed (.*disabled by GOPROXY=off.*); set MEDCHAIN_GO_MIRROR"
else
  fail "a module whose hash is not the pinned one is refused" "these cases need Go on PATH"
fi

install missing-mirror "$tmp/home-missing-mirror" MEDCHAIN_GO_MIRROR="$tmp/no-such-dir"
expect_refusal "a MEDCHAIN_GO_MIRROR that is not a directory is refused" "$tmp/home-missing-mirror" \
  "MEDCHAIN_GO_MIRROR is $tmp/no-such-dir, which is not a directory"

# A PATH with the ordinary commands but no go.
mkdir -p "$tmp/no-go-bin"
for cmd in dirname mkdir mktemp rm cat sed grep awk sort head wc date flock env chmod mv cp; do
  if path=$(command -v "$cmd"); then ln -s "$path" "$tmp/no-go-bin/$cmd"; fi
done
install no-go "$tmp/home-no-go" PATH="$tmp/no-go-bin"
expect_refusal "no Go toolchain on PATH is one sentence" "$tmp/home-no-go" \
  "the Go toolchain is not on PATH; install Go >= $FABRIC_MIN_GO"

# The same PATH with a go that is too old for Fabric's go.mod.
mkdir -p "$tmp/old-go-bin"
cp -P "$tmp/no-go-bin"/* "$tmp/old-go-bin/"
cat >"$tmp/old-go-bin/go" <<'SH'
#!/bin/sh
[ "$1 $2" = "env GOVERSION" ] && echo go1.25.0
SH
chmod +x "$tmp/old-go-bin/go"
install old-go "$tmp/home-old-go" PATH="$tmp/old-go-bin"
expect_refusal "a Go older than $FABRIC_MIN_GO is one sentence" "$tmp/home-old-go" \
  "needs Go >= $FABRIC_MIN_GO but go1.25.0 is installed"

# A complete release directory whose peer reports another version.
fake_release() {
  local home=$1 version=$2 tool file
  mkdir -p "$home/bin" "$home/config"
  for tool in "${FABRIC_TOOLS[@]}"; do
    printf '#!/bin/sh\necho "%s:"\necho " Version: %s"\n' "$tool" "$version" >"$home/bin/$tool"
    chmod +x "$home/bin/$tool"
  done
  for file in "${FABRIC_CONFIG_FILES[@]}"; do
    echo "# $file" >"$home/config/$file"
  done
}
fake_release "$tmp/home-old" v2.5.9
install wrong-version "$tmp/home-old" PATH="$tmp/no-go-bin"
if ((status != 0)) && grep -q "is version v2.5.9, not Fabric v$FABRIC_VERSION" "$err"; then
  pass "a release directory with another Fabric version is refused"
else
  fail "a release directory with another Fabric version is refused" "status $status; stderr: $(cat "$err")"
fi

# The warm path needs neither Go nor the mirror's module.
fake_release "$tmp/home-ok" "v$FABRIC_VERSION"
install warm "$tmp/home-ok" PATH="$tmp/no-go-bin"
if ((status == 0)) && grep -q "already installed in $tmp/home-ok" "$out"; then
  pass "a complete release directory is used as it is, without Go"
else
  fail "a complete release directory is used as it is, without Go" "status $status; stderr: $(cat "$err")"
fi
rm "$tmp/home-ok/config/core.yaml"
install no-config "$tmp/home-ok" PATH="$tmp/no-go-bin"
if ((status != 0)) && grep -q "the Go toolchain is not on PATH" "$err"; then
  pass "bin/ without config/ is not an installation"
else
  fail "bin/ without config/ is not an installation" "status $status; stdout: $(cat "$out")"
fi

echo "$passed passed, $failed failed"
((failed == 0))
