# shellcheck shell=bash
# Where the pinned Fabric release lives on this machine. Sourced by the network scripts.

FABRIC_VERSION=3.1.5
# Fabric v3.1.5 is tagged at this commit. The v3.x tags cannot be used by
# `go install` because the module path has no /v3 suffix, so the commit is pinned.
FABRIC_COMMIT=86c1172bec37e6590c6b1ae6f847833df48d65fc
# The go directive of Fabric v3.1.5's go.mod.
FABRIC_MIN_GO=1.26.4
FABRIC_TOOLS=(peer orderer configtxgen osnadmin cryptogen discover)
FABRIC_HOME=${MEDCHAIN_FABRIC_HOME:-"$HOME/.cache/medchain/fabric-${FABRIC_COMMIT:0:8}"}
FABRIC_BIN="$FABRIC_HOME/bin"
FABRIC_SRC=${MEDCHAIN_FABRIC_SRC:-"$HOME/.cache/medchain/src/fabric-${FABRIC_COMMIT:0:8}"}

# True when every Fabric binary is installed.
fabric_binaries_present() {
  local tool
  for tool in "${FABRIC_TOOLS[@]}"; do
    [[ -x "$FABRIC_BIN/$tool" ]] || return 1
  done
}

# True when $1 is a Fabric v3.1.5 source tree with vendored dependencies.
fabric_source_tree_valid() {
  local dir=$1
  [[ -f "$dir/go.mod" && -d "$dir/vendor" && -d "$dir/sampleconfig" ]] &&
    grep -qx 'module github.com/hyperledger/fabric' "$dir/go.mod" &&
    grep -Eq "^FABRIC_VER \?= $FABRIC_VERSION\$" "$dir/Makefile"
}

# Prints the sampleconfig/ directory (core.yaml, orderer.yaml) of the installed
# release: the module in the Go module cache, else the source tree it was built from.
fabric_sampleconfig() {
  local modcache dir
  modcache=$(go env GOMODCACHE 2>/dev/null || true)
  for dir in "$modcache"/github.com/hyperledger/fabric@*-"${FABRIC_COMMIT:0:12}"/sampleconfig "$FABRIC_SRC/sampleconfig"; do
    if [[ -f "$dir/core.yaml" && -f "$dir/orderer.yaml" ]]; then
      echo "$dir"
      return 0
    fi
  done
  echo "Fabric's sampleconfig/ (core.yaml, orderer.yaml) was not found in the Go module cache or in $FABRIC_SRC; run network/install-fabric.sh." >&2
  return 1
}
