# shellcheck shell=bash
# The pinned Kubo (IPFS) release and where it lives on this machine. Sourced
# by install-kubo.sh and its tests; tests/run-all.sh passes the binary's path
# to the Rust tests as MEDCHAIN_KUBO_BIN.

KUBO_VERSION=0.43.1
KUBO_MODULE=github.com/ipfs/kubo
# A real tag, so `go install …/cmd/ipfs@v0.43.1` works as it is; the h1 hash
# of the module zip (`go mod download -json` "Sum") is pinned and checked.
KUBO_MODULE_VERSION=v$KUBO_VERSION
KUBO_MODULE_SUM=h1:bVJUW2bqQub6rw7XitENRMNRchoW6SaBCtdG6o7M7Kk=
# The go directive of Kubo v0.43.1's go.mod.
KUBO_MIN_GO=1.26.5
KUBO_TOOLS=(ipfs)
# The upstream go-libp2p built in place of the fork Kubo's go.mod replaces it
# with (which the module proxy does not serve; install-kubo.sh).
KUBO_LIBP2P_VERSION=v0.52.0
# The release directory: bin/ holds the tools above.
KUBO_HOME=${MEDCHAIN_KUBO_HOME:-"$HOME/.cache/medchain/kubo-v$KUBO_VERSION"}
KUBO_BIN="$KUBO_HOME/bin"

# True when the release directory holds every tool.
kubo_installed() {
  local tool
  for tool in "${KUBO_TOOLS[@]}"; do
    [[ -x "$KUBO_BIN/$tool" ]] || return 1
  done
}
