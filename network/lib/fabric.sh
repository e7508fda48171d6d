# shellcheck shell=bash
# The pinned Fabric release and where it lives on this machine. Sourced by the
# network scripts.

FABRIC_VERSION=3.1.5
# Fabric v3.1.5 is tagged at this commit. The v3.x tags cannot be used by
# `go install` because the module path has no /v3 suffix, so the commit is
# pinned, as the pseudo-version Go gives it and as the module's go.sum hash.
FABRIC_COMMIT=86c1172bec37e6590c6b1ae6f847833df48d65fc
FABRIC_MODULE=github.com/hyperledger/fabric
FABRIC_MODULE_VERSION=v1.4.0-rc1.0.20260618074816-86c1172bec37
FABRIC_MODULE_SUM=h1:7g9m3hOBTVxGzJL4K9XjVuO4LmewXUr1AaFSoEV12es=
# The go directive of Fabric v3.1.5's go.mod.
FABRIC_MIN_GO=1.26.4
FABRIC_TOOLS=(peer orderer configtxgen configtxlator osnadmin cryptogen discover)
# The defaults the nodes and the CLI read (FABRIC_CFG_PATH), from the module's sampleconfig/.
FABRIC_CONFIG_FILES=(core.yaml orderer.yaml)
# The release directory, laid out like an official Fabric release archive:
# bin/ (the tools above) and config/ (the files above).
FABRIC_HOME=${MEDCHAIN_FABRIC_HOME:-"$HOME/.cache/medchain/fabric-${FABRIC_COMMIT:0:8}"}
FABRIC_BIN="$FABRIC_HOME/bin"
FABRIC_CONFIG="$FABRIC_HOME/config"

# True when the release directory holds every tool and every config file.
fabric_installed() {
  local tool file
  for tool in "${FABRIC_TOOLS[@]}"; do
    [[ -x "$FABRIC_BIN/$tool" ]] || return 1
  done
  for file in "${FABRIC_CONFIG_FILES[@]}"; do
    [[ -f "$FABRIC_CONFIG/$file" ]] || return 1
  done
}

# Prints the directory holding the release's default core.yaml and
# orderer.yaml: $FABRIC_HOME/config (never the Go module cache).
fabric_sampleconfig() {
  local file
  for file in "${FABRIC_CONFIG_FILES[@]}"; do
    if [[ ! -f "$FABRIC_CONFIG/$file" ]]; then
      echo "Fabric's default $file is not in $FABRIC_CONFIG; run network/install-fabric.sh." >&2
      return 1
    fi
  done
  echo "$FABRIC_CONFIG"
}
