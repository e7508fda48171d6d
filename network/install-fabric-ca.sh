#!/usr/bin/env bash
# Installs Hyperledger Fabric CA v1.5.21 (fabric-ca-server, fabric-ca-client)
# into a release directory outside the repository, with the machine's Go
# toolchain (cgo on: the server links SQLite) and nothing but the Go module
# proxy chain:
#
#   CGO_ENABLED=1 go install github.com/hyperledger/fabric-ca/cmd/<tool>@v1.5.21
#
# Before building it checks that the module's hash is the one pinned in
# lib/fabric-ca.sh. The steps are install-fabric.sh's (lib/goinstall.sh): a
# lock, a staging directory moved into place at the end, one line of progress
# per tool. A second run finds bin/ there and returns at once.
#
# Env:
#   MEDCHAIN_GO_MIRROR       a file-based Go module proxy directory put in front of
#                            GOPROXY (default: <repo>/../shared/goproxy when it exists)
#   MEDCHAIN_FABRIC_CA_HOME  the release directory (default ~/.cache/medchain/fabric-ca-v1.5.21)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/fabric-ca.sh
source "$here/lib/fabric-ca.sh"
# shellcheck source=lib/goinstall.sh
source "$here/lib/goinstall.sh"
repo=$(cd "$here/.." && pwd)
GI_SCRIPT=install-fabric-ca.sh
GI_LABEL="Fabric CA v$FABRIC_CA_VERSION"
GI_HOME_VAR=MEDCHAIN_FABRIC_CA_HOME

# Returns at once when the release directory is complete and holds v1.5.21.
finish_if_installed() {
  fabric_ca_installed || return 0
  local tool version
  for tool in "${FABRIC_CA_TOOLS[@]}"; do
    version=$("$FABRIC_CA_BIN/$tool" version 2>/dev/null | awk '/Version:/{print $2; exit}') || true
    if [[ "${version#v}" != "$FABRIC_CA_VERSION" ]]; then
      gi_fail "$FABRIC_CA_BIN/$tool is ${version:+version }${version:-not a working $tool}, not Fabric CA v$FABRIC_CA_VERSION; empty $FABRIC_CA_HOME (or point MEDCHAIN_FABRIC_CA_HOME elsewhere) and run this again."
    fi
  done
  echo "Fabric CA v$FABRIC_CA_VERSION already installed in $FABRIC_CA_HOME"
  exit 0
}

gi_mirror "$repo"
finish_if_installed
gi_begin "$FABRIC_CA_HOME" "$FABRIC_CA_MIN_GO" finish_if_installed
FABRIC_CA_HOME=$gi_home
FABRIC_CA_BIN="$FABRIC_CA_HOME/bin"
command -v "${CC:-gcc}" >/dev/null 2>&1 ||
  gi_fail "Fabric CA needs cgo but there is no C compiler (${CC:-gcc}) on PATH; install one (Debian: apt-get install gcc) and run this again."
gi_go_env+=(CGO_ENABLED=1)
gi_proxy "$FABRIC_CA_MODULE" "$FABRIC_CA_MODULE_VERSION"

start=$(date +%s)
echo "Installing Fabric CA v$FABRIC_CA_VERSION into $FABRIC_CA_HOME with $gi_go_version (log: $gi_log)"
echo "  module $FABRIC_CA_MODULE@$FABRIC_CA_MODULE_VERSION, GOPROXY=$gi_proxy"
gi_download "$FABRIC_CA_MODULE" "$FABRIC_CA_MODULE_VERSION" "$FABRIC_CA_MODULE_SUM"
gi_build "$FABRIC_CA_MODULE" "$FABRIC_CA_MODULE_VERSION" "" "${FABRIC_CA_TOOLS[@]}"

gi_commit bin
fabric_ca_installed || gi_fail "$FABRIC_CA_HOME is incomplete after the install; see $gi_log."
echo "Fabric CA $("$FABRIC_CA_BIN/fabric-ca-server" version | awk '/Version:/{print $2; exit}') installed in $FABRIC_CA_HOME in $(($(date +%s) - start))s"
