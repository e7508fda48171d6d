#!/usr/bin/env bash
# Installs the Hyperledger Fabric v3.1.5 binaries (peer, orderer, discover,
# configtxgen, osnadmin, cryptogen) with the machine's Go toolchain from the Go
# module proxy into a cache outside the repository:
#
#   go install github.com/hyperledger/fabric/cmd/<tool>@86c1172bec37e6590c6b1ae6f847833df48d65fc
#
# A second run finds the binaries there and returns at once. The scripts take
# Fabric's default core.yaml / orderer.yaml from the module's sampleconfig/ in
# the Go module cache.
#
# A machine whose module proxy does not serve github.com/hyperledger/fabric
# can use an official Fabric v3.1.5 release instead: put its bin/ and config/
# directories in $MEDCHAIN_FABRIC_HOME (see docs/network.md).
#
# Env:
#   MEDCHAIN_FABRIC_HOME  release/cache directory (default ~/.cache/medchain/fabric-86c1172b)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/fabric.sh
source "$here/lib/fabric.sh"

if fabric_binaries_present; then
  if ! "$FABRIC_BIN/peer" version 2>/dev/null | grep -q "Version: v\?$FABRIC_VERSION"; then
    echo "install-fabric.sh: $FABRIC_BIN holds a peer that is not Fabric v$FABRIC_VERSION; empty $FABRIC_HOME and run this again." >&2
    exit 1
  fi
  echo "Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) already installed in $FABRIC_BIN"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  echo "install-fabric.sh: the Go toolchain is not on PATH; install Go >= $FABRIC_MIN_GO (https://go.dev/dl/) and run this again." >&2
  exit 1
fi
go_version=$(go env GOVERSION)
if [[ "$(printf '%s\n%s\n' "go$FABRIC_MIN_GO" "$go_version" | sort -V | head -1)" != "go$FABRIC_MIN_GO" ]]; then
  echo "install-fabric.sh: Fabric v$FABRIC_VERSION needs Go >= $FABRIC_MIN_GO but $go_version is installed; install a newer Go (https://go.dev/dl/) and run this again." >&2
  exit 1
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
if ! GOBIN="$FABRIC_BIN" GOTOOLCHAIN=local go install -trimpath -ldflags "$ldflags" "${pkgs[@]}" >"$log" 2>&1; then
  cat >&2 <<MSG
install-fabric.sh: go install of Fabric v$FABRIC_VERSION from the Go module proxy failed (full log: $log):
$(grep -m2 -E 'reading|server response|error' "$log" || tail -n 3 "$log")
The proxy must serve github.com/hyperledger/fabric at commit $FABRIC_COMMIT; if yours does not,
unpack an official Fabric v$FABRIC_VERSION release so that $FABRIC_HOME holds its bin/ (${FABRIC_TOOLS[*]})
and config/ (core.yaml, orderer.yaml) directories, or point MEDCHAIN_FABRIC_HOME at such a directory, and run this again.
MSG
  exit 1
fi

fabric_binaries_present || {
  echo "install-fabric.sh: the build finished but $FABRIC_BIN lacks some of ${FABRIC_TOOLS[*]}; see $log." >&2
  exit 1
}
echo "Fabric binaries installed in $(($(date +%s) - start))s: $("$FABRIC_BIN/peer" version | awk '/Version:/{print $2; exit}')"
