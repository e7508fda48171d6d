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

failure_cases "Fabric" "$FABRIC_MODULE" "$FABRIC_MODULE_VERSION" "$FABRIC_MODULE_SUM" "$FABRIC_MIN_GO"

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
