#!/usr/bin/env bash
# Installs the Hyperledger Fabric v3.1.5 tools (peer, orderer, configtxgen, configtxlator,
# osnadmin, cryptogen, discover) and their default core.yaml / orderer.yaml
# into a release directory outside the repository, laid out like an official
# release archive (bin/, config/), with the machine's Go toolchain and nothing
# but the Go module proxy chain:
#
#   go install github.com/hyperledger/fabric/cmd/<tool>@v1.4.0-rc1.0.20260618074816-86c1172bec37
#
# (that pseudo-version is upstream commit 86c1172b, tag v3.1.5). Before
# building it checks that the module's hash is the one pinned in
# lib/fabric.sh (the shared steps are in lib/goinstall.sh). config/ is copied from the module's sampleconfig/, so a
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
# shellcheck source=lib/goinstall.sh
source "$here/lib/goinstall.sh"
repo=$(cd "$here/.." && pwd)
GI_SCRIPT=install-fabric.sh
GI_LABEL="Fabric v$FABRIC_VERSION"
GI_HOME_VAR=MEDCHAIN_FABRIC_HOME

# Returns at once when the release directory is complete and holds v3.1.5.
finish_if_installed() {
  fabric_installed || return 0
  local version
  version=$("$FABRIC_BIN/peer" version 2>/dev/null | awk '/Version:/{print $2; exit}') || true
  if [[ "${version#v}" != "$FABRIC_VERSION" ]]; then
    gi_fail "$FABRIC_BIN/peer is ${version:+version }${version:-not a working peer}, not Fabric v$FABRIC_VERSION; empty $FABRIC_HOME (or point MEDCHAIN_FABRIC_HOME elsewhere) and run this again."
  fi
  echo "Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) already installed in $FABRIC_HOME"
  exit 0
}

gi_mirror "$repo"
finish_if_installed
gi_begin "$FABRIC_HOME" "$FABRIC_MIN_GO" finish_if_installed
FABRIC_HOME=$gi_home
FABRIC_BIN="$FABRIC_HOME/bin"
FABRIC_CONFIG="$FABRIC_HOME/config"
mkdir "$gi_stage/config"
gi_proxy "$FABRIC_MODULE" "$FABRIC_MODULE_VERSION"

start=$(date +%s)
echo "Installing Fabric v$FABRIC_VERSION (${FABRIC_COMMIT:0:8}) into $FABRIC_HOME with $gi_go_version (log: $gi_log)"
echo "  module $FABRIC_MODULE@$FABRIC_MODULE_VERSION, GOPROXY=$gi_proxy"
gi_download "$FABRIC_MODULE" "$FABRIC_MODULE_VERSION" "$FABRIC_MODULE_SUM"

for file in "${FABRIC_CONFIG_FILES[@]}"; do
  [[ -f "$gi_module_dir/sampleconfig/$file" ]] || gi_fail "$gi_module_dir has no sampleconfig/$file; clear the Go module cache (go clean -modcache) and run this again."
  cp "$gi_module_dir/sampleconfig/$file" "$gi_stage/config/$file"
  chmod 0644 "$gi_stage/config/$file"
done

ldflags="-X $FABRIC_MODULE/common/metadata.Version=$FABRIC_VERSION -X $FABRIC_MODULE/common/metadata.CommitSHA=${FABRIC_COMMIT:0:8}"
gi_build "$FABRIC_MODULE" "$FABRIC_MODULE_VERSION" "$ldflags" "${FABRIC_TOOLS[@]}"

# config/ first, bin/ last: the directory counts as installed only once bin/ is there.
gi_commit config bin
fabric_installed || gi_fail "$FABRIC_HOME is incomplete after the install; see $gi_log."
echo "Fabric $("$FABRIC_BIN/peer" version | awk '/Version:/{print $2; exit}') installed in $FABRIC_HOME in $(($(date +%s) - start))s"
