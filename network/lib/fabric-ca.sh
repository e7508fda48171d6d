# shellcheck shell=bash
# The pinned Fabric CA release and where it lives on this machine. Sourced by
# install-fabric-ca.sh and its tests; tests/run-all.sh passes the server's
# path to the Rust tests as MEDCHAIN_FABRIC_CA_BIN.

FABRIC_CA_VERSION=1.5.21
FABRIC_CA_MODULE=github.com/hyperledger/fabric-ca
# A real tag, so `go install …@v1.5.21` works as it is; the h1 hash of the
# module zip (`go mod download -json` "Sum") is pinned and checked.
FABRIC_CA_MODULE_VERSION=v$FABRIC_CA_VERSION
FABRIC_CA_MODULE_SUM=h1:46qi5BD71N3VnaDBZTROIjy2g+cb+apPJjUFUTFEH08=
# The go directive of Fabric CA v1.5.21's go.mod.
FABRIC_CA_MIN_GO=1.25.0
FABRIC_CA_TOOLS=(fabric-ca-server fabric-ca-client)
# The release directory: bin/ holds the tools above.
FABRIC_CA_HOME=${MEDCHAIN_FABRIC_CA_HOME:-"$HOME/.cache/medchain/fabric-ca-v$FABRIC_CA_VERSION"}
FABRIC_CA_BIN="$FABRIC_CA_HOME/bin"

# True when the release directory holds every tool.
fabric_ca_installed() {
  local tool
  for tool in "${FABRIC_CA_TOOLS[@]}"; do
    [[ -x "$FABRIC_CA_BIN/$tool" ]] || return 1
  done
}
