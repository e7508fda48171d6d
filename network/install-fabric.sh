#!/usr/bin/env bash
# Installs the Hyperledger Fabric v3.1.5 tools (peer, orderer, configtxgen,
# osnadmin, cryptogen, discover) and their default core.yaml / orderer.yaml
# into a release directory outside the repository, laid out like an official
# release archive (bin/, config/), with the machine's Go toolchain and nothing
# but the Go module proxy chain:
#
#   go install github.com/hyperledger/fabric/cmd/<tool>@v1.4.0-rc1.0.20260618074816-86c1172bec37
#
# (that pseudo-version is upstream commit 86c1172b, tag v3.1.5). Before
# building it checks that the module's hash is the one pinned in
# lib/fabric.sh. config/ is copied from the module's sampleconfig/, so a
# running network never reads the Go module cache. The build happens in a
# staging directory moved into place at the end, under a lock, so an
# interrupted or concurrent install never looks complete. A second run finds
# bin/ and config/ there and returns at once.
#
# Env:
#   MEDCHAIN_GO_MIRROR    a file-based Go module proxy directory put in front of
#                         GOPROXY (default: <repo>/../shared/goproxy when it exists)
#   MEDCHAIN_FABRIC_HOME  the release directory (default ~/.cache/medchain/fabric-86c1172b);
#                         may also be an unpacked official v3.1.5 release (bin/ + config/)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/fabric.sh
source "$here/lib/fabric.sh"
repo=$(cd "$here/.." && pwd)

fail() {
  echo "install-fabric.sh: $*" >&2
  exit 1
}

# Returns at once when the release directory is complete and holds v3.1.5.
finish_if_installed() {
  fabric_installed || return 0
  local version
  version=$("$FABRIC_BIN/peer" version 2>/dev/null | awk '/Version:/{print $2; exit}') || true
  if [[ "${version#v}" != "$FABRIC_VERSION" ]]; then
    fail "$FABRIC_BIN/peer is ${version:+version }${version:-not a working peer}, not Fabric v$FABRIC_VERSION; empty $FABRIC_HOME (or point MEDCHAIN_FABRIC_HOME elsewhere) and run this again."
  fi
  echo "Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) already installed in $FABRIC_HOME"
  exit 0
}

# The mirror is checked even when Fabric is installed: a wrong setting is never ignored.
if [[ -n "${MEDCHAIN_GO_MIRROR:-}" ]]; then
  [[ -d "$MEDCHAIN_GO_MIRROR" ]] ||
    fail "MEDCHAIN_GO_MIRROR is $MEDCHAIN_GO_MIRROR, which is not a directory; point it at a file-based Go module proxy (such as ../shared/goproxy next to the repository) or unset it."
  mirror=$(cd "$MEDCHAIN_GO_MIRROR" && pwd)
elif [[ -d "$repo/../shared/goproxy" ]]; then
  mirror=$(cd "$repo/../shared/goproxy" && pwd)
else
  mirror=
fi

finish_if_installed

command -v go >/dev/null 2>&1 ||
  fail "the Go toolchain is not on PATH; install Go >= $FABRIC_MIN_GO (https://go.dev/dl/) and run this again."
command -v flock >/dev/null 2>&1 ||
  fail "flock is not on PATH; install it (Debian: apt-get install util-linux) and run this again."

mkdir -p "$FABRIC_HOME" 2>/dev/null || fail "cannot create $FABRIC_HOME; set MEDCHAIN_FABRIC_HOME to a writable directory and run this again."
FABRIC_HOME=$(cd "$FABRIC_HOME" && pwd)
FABRIC_BIN="$FABRIC_HOME/bin"
FABRIC_CONFIG="$FABRIC_HOME/config"

# One install at a time per release directory; whoever waited finds it done.
{ exec 9>"$FABRIC_HOME/.install.lock"; } 2>/dev/null ||
  fail "cannot write to $FABRIC_HOME; set MEDCHAIN_FABRIC_HOME to a writable directory and run this again."
if ! flock -n 9; then
  echo "Waiting for another install-fabric.sh to finish in $FABRIC_HOME"
  flock -w 3600 9 || fail "another install-fabric.sh has held $FABRIC_HOME/.install.lock for an hour; stop it and run this again."
fi
finish_if_installed

rm -rf "$FABRIC_HOME"/.staging.* # left by an install that was killed
stage=$(mktemp -d "$FABRIC_HOME/.staging.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
mkdir "$stage/bin" "$stage/config" "$stage/go"
log="$FABRIC_HOME/install.log"
: >"$log"

# Every go command runs in an empty directory (no go.mod, no go.work around
# it) with these settings; nothing is exported to the caller's environment.
go_env=(GOTOOLCHAIN=local GO111MODULE=on GOWORK=off GOBIN="$stage/bin")
run_go() { (cd "$stage/go" && env "${go_env[@]}" go "$@"); }

go_version=$(run_go env GOVERSION 2>>"$log") || fail "\`go env\` failed (see $log); repair the Go installation and run this again."
if [[ "$(printf '%s\n%s\n' "go$FABRIC_MIN_GO" "$go_version" | sort -V | head -1)" != "go$FABRIC_MIN_GO" ]]; then
  fail "Fabric v$FABRIC_VERSION needs Go >= $FABRIC_MIN_GO but $go_version is installed; install a newer Go (https://go.dev/dl/) and run this again."
fi
proxy=$(run_go env GOPROXY)
nosumdb=$(run_go env GONOSUMDB)
[[ -n "$mirror" ]] && proxy="file://$mirror,$proxy"
# The checksum database does not know the pseudo-version; the pinned hash below is checked instead.
go_env+=(GOPROXY="$proxy" GONOSUMDB="${nosumdb:+$nosumdb,}$FABRIC_MODULE")

start=$(date +%s)
echo "Installing Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) into $FABRIC_HOME with $go_version (log: $log)"
echo "  module $FABRIC_MODULE@$FABRIC_MODULE_VERSION, GOPROXY=$proxy"

# Prints the value of a string field of `go mod download -json` output.
json_field() { sed -n "s/^[[:space:]]*\"$1\": \"\(.*\)\",\{0,1\}\$/\1/p"; }

module=$FABRIC_MODULE@$FABRIC_MODULE_VERSION
if ! json=$(run_go mod download -json "$module" 2>>"$log"); then
  echo "$json" >>"$log"
  fail "go mod download $module failed ($(json_field Error <<<"$json" | head -1)); set MEDCHAIN_GO_MIRROR to a file-based Go module proxy that holds it (such as ../shared/goproxy) and run this again."
fi
echo "$json" >>"$log"
sum=$(json_field Sum <<<"$json")
if [[ "$sum" != "$FABRIC_MODULE_SUM" ]]; then
  fail "$module has hash ${sum:-(none)}, not the pinned $FABRIC_MODULE_SUM, so the mirror, the proxy or the Go module cache holds a different module; replace it (go clean -modcache clears the cache) and run this again."
fi
echo "  module hash $sum matches the pin"

module_dir=$(json_field Dir <<<"$json")
for file in "${FABRIC_CONFIG_FILES[@]}"; do
  [[ -f "$module_dir/sampleconfig/$file" ]] || fail "$module_dir has no sampleconfig/$file; clear the Go module cache (go clean -modcache) and run this again."
  cp "$module_dir/sampleconfig/$file" "$stage/config/$file"
  chmod 0644 "$stage/config/$file"
done

ldflags="-X $FABRIC_MODULE/common/metadata.Version=$FABRIC_VERSION -X $FABRIC_MODULE/common/metadata.CommitSHA=${FABRIC_COMMIT:0:8}"
n=0
for tool in "${FABRIC_TOOLS[@]}"; do
  n=$((n + 1))
  tool_start=$(date +%s)
  printf '  [%d/%d] %-12s ' "$n" "${#FABRIC_TOOLS[@]}" "$tool"
  echo "=== go install -trimpath $FABRIC_MODULE/cmd/$tool@$FABRIC_MODULE_VERSION" >>"$log"
  status=0
  run_go install -trimpath -ldflags "$ldflags" "$FABRIC_MODULE/cmd/$tool@$FABRIC_MODULE_VERSION" >"$stage/go.log" 2>&1 || status=$?
  cat "$stage/go.log" >>"$log"
  if ((status != 0)); then
    echo "failed"
    fail "go install of $tool failed ($(grep -v -m1 '^go: downloading' "$stage/go.log")); see $log, make the module proxy serve Fabric's dependencies (or fix what the log names) and run this again."
  fi
  [[ -x "$stage/bin/$tool" ]] || fail "go install of $tool finished but wrote no $tool; see $log."
  echo "built in $(($(date +%s) - tool_start))s"
done

# config/ first, bin/ last: the directory counts as installed only once bin/ is there.
for sub in config bin; do
  if [[ -e "$FABRIC_HOME/$sub" ]]; then
    mv "$FABRIC_HOME/$sub" "$stage/old-$sub" # an incomplete earlier install
  fi
  mv "$stage/$sub" "$FABRIC_HOME/$sub"
done
fabric_installed || fail "$FABRIC_HOME is incomplete after the install; see $log."
echo "Fabric $("$FABRIC_BIN/peer" version | awk '/Version:/{print $2; exit}') installed in $FABRIC_HOME in $(($(date +%s) - start))s"
