#!/usr/bin/env bash
# Installs Kubo v0.43.1 (the IPFS node, `ipfs`) into a release directory
# outside the repository, with the machine's Go toolchain and nothing but the
# Go module proxy chain:
#
#   CGO_ENABLED=0 go build -trimpath -mod=mod ./cmd/ipfs
#
# in a copy of the module github.com/ipfs/kubo@v0.43.1, built as the main
# module so its own go.sum checks every dependency. Its go.mod replaces
# go-libp2p with a fork (github.com/lidel/go-libp2p, a pseudo-version), which
# is why `go install …/cmd/ipfs@v0.43.1` refuses it, and which the Go module
# proxy does not serve (403). The build drops that replace and requires
# upstream go-libp2p v0.52.0 instead (the v0.49.0 Kubo's go.mod names does
# not compile against the webtransport-go Kubo brings; v0.52.0 does), its
# hash and those of the versions it brings checked against the Go checksum
# database (docs/network.md says what this changes).
#
# Before building it checks that the module's hash is the one pinned in
# lib/kubo.sh. The steps are install-fabric.sh's (lib/goinstall.sh): a lock,
# a staging directory moved into place at the end, one line of progress. A
# second run finds bin/ there and returns at once.
#
# Env:
#   MEDCHAIN_GO_MIRROR  a file-based Go module proxy directory put in front of
#                       GOPROXY (default: <repo>/../shared/goproxy when it exists)
#   MEDCHAIN_KUBO_HOME  the release directory (default ~/.cache/medchain/kubo-v0.43.1)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/kubo.sh
source "$here/lib/kubo.sh"
# shellcheck source=lib/goinstall.sh
source "$here/lib/goinstall.sh"
repo=$(cd "$here/.." && pwd)
GI_SCRIPT=install-kubo.sh
GI_LABEL="Kubo v$KUBO_VERSION"
GI_HOME_VAR=MEDCHAIN_KUBO_HOME

# Returns at once when the release directory is complete and holds v0.43.1.
finish_if_installed() {
  kubo_installed || return 0
  local version
  version=$("$KUBO_BIN/ipfs" version --number 2>/dev/null) || true
  if [[ "$version" != "$KUBO_VERSION" ]]; then
    gi_fail "$KUBO_BIN/ipfs is ${version:+version }${version:-not a working ipfs}, not Kubo v$KUBO_VERSION; empty $KUBO_HOME (or point MEDCHAIN_KUBO_HOME elsewhere) and run this again."
  fi
  echo "Kubo v$KUBO_VERSION already installed in $KUBO_HOME"
  exit 0
}

gi_mirror "$repo"
finish_if_installed
gi_begin "$KUBO_HOME" "$KUBO_MIN_GO" finish_if_installed
KUBO_HOME=$gi_home
KUBO_BIN="$KUBO_HOME/bin"
gi_go_env+=(CGO_ENABLED=0)
gi_proxy "$KUBO_MODULE" "$KUBO_MODULE_VERSION"

start=$(date +%s)
echo "Installing Kubo v$KUBO_VERSION into $KUBO_HOME with $gi_go_version (log: $gi_log)"
echo "  module $KUBO_MODULE@$KUBO_MODULE_VERSION, GOPROXY=$gi_proxy"
gi_download "$KUBO_MODULE" "$KUBO_MODULE_VERSION" "$KUBO_MODULE_SUM"
gi_build_main "$gi_module_dir" ipfs -dropreplace=github.com/libp2p/go-libp2p \
  -require=github.com/libp2p/go-libp2p@$KUBO_LIBP2P_VERSION

gi_commit bin
kubo_installed || gi_fail "$KUBO_HOME is incomplete after the install; see $gi_log."
echo "Kubo $("$KUBO_BIN/ipfs" version --number) installed in $KUBO_HOME in $(($(date +%s) - start))s"
