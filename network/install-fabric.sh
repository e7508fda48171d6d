#!/usr/bin/env bash
# Installs the Hyperledger Fabric v3.1.5 binaries (peer, orderer, discover, configtxgen,
# osnadmin, cryptogen) with the machine's Go toolchain into a cache outside the
# repository. A second run finds them there and returns in well under a second.
#
# Source of the build, in order:
#   1. the Go module proxy: go install github.com/hyperledger/fabric/cmd/<tool>@<commit>
#   2. a local Fabric source tree at that commit ($MEDCHAIN_FABRIC_SRC), built with
#      its vendored dependencies (-mod=vendor), for proxies that do not serve the module.
#
# Env:
#   MEDCHAIN_FABRIC_HOME  cache directory (default ~/.cache/medchain/fabric-86c1172b); binaries go to bin/
#   MEDCHAIN_FABRIC_SRC   Fabric source tree at commit 86c1172b (default ~/.cache/medchain/src/fabric-86c1172b)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/fabric.sh
source "$here/lib/fabric.sh"

if ! command -v go >/dev/null 2>&1; then
  echo "install-fabric.sh: the Go toolchain is not on PATH; install Go >= $FABRIC_MIN_GO (https://go.dev/dl/) and run this again." >&2
  exit 1
fi
go_version=$(go env GOVERSION)
if [[ "$(printf '%s\n%s\n' "go$FABRIC_MIN_GO" "$go_version" | sort -V | head -1)" != "go$FABRIC_MIN_GO" ]]; then
  echo "install-fabric.sh: Fabric v$FABRIC_VERSION needs Go >= $FABRIC_MIN_GO but $go_version is installed; install a newer Go (https://go.dev/dl/) and run this again." >&2
  exit 1
fi

if fabric_binaries_present; then
  echo "Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) already installed in $FABRIC_BIN"
  exit 0
fi

mkdir -p "$FABRIC_BIN"
ldflags="-X github.com/hyperledger/fabric/common/metadata.Version=$FABRIC_VERSION -X github.com/hyperledger/fabric/common/metadata.CommitSHA=${FABRIC_COMMIT:0:8}"
log="$FABRIC_HOME/install.log"
start=$(date +%s)
echo "Installing Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) ${FABRIC_TOOLS[*]} into $FABRIC_BIN with $go_version (log: $log)"

pkgs=()
for tool in "${FABRIC_TOOLS[@]}"; do
  pkgs+=("github.com/hyperledger/fabric/cmd/$tool@$FABRIC_COMMIT")
done
if GOBIN="$FABRIC_BIN" GOTOOLCHAIN=local go install -trimpath -ldflags "$ldflags" "${pkgs[@]}" >"$log" 2>&1; then
  echo "Built from the Go module proxy."
elif fabric_source_tree_valid "$FABRIC_SRC"; then
  echo "The Go module proxy did not serve github.com/hyperledger/fabric@${FABRIC_COMMIT:0:12} ($(grep -m1 -o 'reading .*' "$log" | cut -c1-160 || true)); building from the source tree $FABRIC_SRC with its vendored modules."
  (
    cd "$FABRIC_SRC"
    GOBIN="$FABRIC_BIN" GOTOOLCHAIN=local GOFLAGS=-mod=vendor go install -trimpath -ldflags "$ldflags" \
      "${FABRIC_TOOLS[@]/#/./cmd/}"
  ) >>"$log" 2>&1 || {
    echo "install-fabric.sh: building Fabric from $FABRIC_SRC failed; see $log." >&2
    exit 1
  }
else
  cat >&2 <<MSG
install-fabric.sh: go install of Fabric v$FABRIC_VERSION failed (see $log):
$(tail -n 3 "$log")
If your Go module proxy does not serve github.com/hyperledger/fabric at commit $FABRIC_COMMIT,
put a Fabric source tree at that commit (tag v$FABRIC_VERSION, with its vendor/ directory) in
$FABRIC_SRC (or point MEDCHAIN_FABRIC_SRC at one) and run this again.
MSG
  exit 1
fi

fabric_binaries_present || {
  echo "install-fabric.sh: the build finished but $FABRIC_BIN lacks some of ${FABRIC_TOOLS[*]}; see $log." >&2
  exit 1
}
echo "Fabric binaries installed in $(($(date +%s) - start))s: $("$FABRIC_BIN/peer" version | awk '/Version:/{print $2; exit}')"
