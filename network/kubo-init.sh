#!/usr/bin/env bash
# Makes a private Kubo repository: a node of its own swarm that talks to no
# public IPFS peer and listens on 127.0.0.1 only.
#
#   network/kubo-init.sh REPO_DIR API_PORT GATEWAY_PORT SWARM_PORT [SWARM_KEY_FILE]
#
#  - API, gateway and swarm on 127.0.0.1 at the given ports; swarm over TCP
#    only (a private network cannot use QUIC, WebTransport or WebRTC).
#  - No bootstrap peers, no mDNS, no DHT (routing "none"), no AutoConf (which
#    would fetch public bootstrap lists), no AutoTLS, telemetry off.
#  - REPO_DIR/swarm.key (0600, written atomically): a copy of SWARM_KEY_FILE
#    (the consortium's shared key) or, without one, a fresh random key.
#    Start the daemon with LIBP2P_FORCE_PNET=1 so it refuses to run without it.
#
# Used by network/up.sh and by ipfs-blocks' integration tests. The one place
# that knows how a medchain Kubo node is configured.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/kubo.sh
source "$here/lib/kubo.sh"

fail() {
  echo "kubo-init.sh: $*" >&2
  exit 1
}

(($# == 4 || $# == 5)) || fail "usage: network/kubo-init.sh REPO_DIR API_PORT GATEWAY_PORT SWARM_PORT [SWARM_KEY_FILE]"
repo=$1 api=$2 gateway=$3 swarm=$4 key_file=${5:-}
for port in "$api" "$gateway" "$swarm"; do
  [[ "$port" =~ ^[0-9]+$ ]] && ((port >= 1024 && port <= 65535)) ||
    fail "'$port' is not a port from 1024 to 65535; pass the API, gateway and swarm ports as numbers."
done
[[ -x "$KUBO_BIN/ipfs" ]] || fail "Kubo is not installed in $KUBO_HOME; run network/install-kubo.sh first."
[[ -e "$repo/config" ]] && fail "$repo already holds a Kubo repository; remove it or pick another directory."
if [[ -n "$key_file" ]]; then
  [[ -r "$key_file" ]] || fail "the swarm key $key_file cannot be read; pass the consortium's swarm.key file."
  [[ "$(head -1 "$key_file")" == /key/swarm/psk/1.0.0/ ]] ||
    fail "$key_file is not a swarm key (its first line must be /key/swarm/psk/1.0.0/)."
fi

mkdir -p "$repo"
export IPFS_PATH=$repo
log="$repo/init.log"
{
  "$KUBO_BIN/ipfs" init --empty-repo --profile=test
  "$KUBO_BIN/ipfs" config Addresses.API "/ip4/127.0.0.1/tcp/$api"
  "$KUBO_BIN/ipfs" config Addresses.Gateway "/ip4/127.0.0.1/tcp/$gateway"
  "$KUBO_BIN/ipfs" config --json Addresses.Swarm "[\"/ip4/127.0.0.1/tcp/$swarm\"]"
  "$KUBO_BIN/ipfs" config --json Addresses.Announce '[]'
  "$KUBO_BIN/ipfs" bootstrap rm --all
  "$KUBO_BIN/ipfs" config --json Discovery.MDNS.Enabled false
  "$KUBO_BIN/ipfs" config Routing.Type none
  "$KUBO_BIN/ipfs" config --json AutoConf.Enabled false
  "$KUBO_BIN/ipfs" config --json AutoTLS.Enabled false
  "$KUBO_BIN/ipfs" config --json Swarm.Transports.Network.QUIC false
  "$KUBO_BIN/ipfs" config --json Swarm.Transports.Network.WebTransport false
  "$KUBO_BIN/ipfs" config --json Swarm.Transports.Network.WebRTCDirect false
  "$KUBO_BIN/ipfs" config --json Swarm.Transports.Network.Websocket false
  "$KUBO_BIN/ipfs" config --json Plugins.Plugins.telemetry.Config '{"Mode": "off"}'
} >"$log" 2>&1 || fail "configuring the Kubo repository in $repo failed; see $log."

tmp=$(mktemp "$repo/.swarm.key.XXXXXX")
chmod 600 "$tmp"
if [[ -n "$key_file" ]]; then
  cat "$key_file" >"$tmp"
else
  printf '/key/swarm/psk/1.0.0/\n/base16/\n%s\n' "$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')" >"$tmp"
fi
mv "$tmp" "$repo/swarm.key"
