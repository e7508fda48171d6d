# shellcheck shell=bash
# Where the pinned Fabric release lives on this machine. Sourced by the network scripts.

FABRIC_VERSION=3.1.5
# Fabric v3.1.5 is tagged at this commit. The v3.x tags cannot be used by
# `go install` because the module path has no /v3 suffix, so the commit is pinned.
FABRIC_COMMIT=86c1172bec37e6590c6b1ae6f847833df48d65fc
# The go directive of Fabric v3.1.5's go.mod.
FABRIC_MIN_GO=1.26.4
FABRIC_TOOLS=(peer orderer configtxgen osnadmin cryptogen discover)
# The release directory, laid out like an official Fabric release archive:
# bin/ (the tools above) and, when the binaries did not come from the Go
# module cache, config/ (core.yaml, orderer.yaml).
FABRIC_HOME=${MEDCHAIN_FABRIC_HOME:-"$HOME/.cache/medchain/fabric-${FABRIC_COMMIT:0:8}"}
FABRIC_BIN="$FABRIC_HOME/bin"

# True when every Fabric binary is installed.
fabric_binaries_present() {
  local tool
  for tool in "${FABRIC_TOOLS[@]}"; do
    [[ -x "$FABRIC_BIN/$tool" ]] || return 1
  done
}

# Prints the directory holding the release's default core.yaml and
# orderer.yaml: the module's sampleconfig/ in the Go module cache (after a
# `go install`), else the release directory's config/.
fabric_sampleconfig() {
  local modcache dir
  modcache=$(go env GOMODCACHE 2>/dev/null || true)
  for dir in "$modcache"/github.com/hyperledger/fabric@*-"${FABRIC_COMMIT:0:12}"/sampleconfig "$FABRIC_HOME/config"; do
    if [[ -f "$dir/core.yaml" && -f "$dir/orderer.yaml" ]]; then
      echo "$dir"
      return 0
    fi
  done
  echo "Fabric's default core.yaml and orderer.yaml were found neither in the Go module cache nor in $FABRIC_HOME/config; run network/install-fabric.sh." >&2
  return 1
}
