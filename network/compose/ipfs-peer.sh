#!/bin/sh
# The entry point of a medchain IPFS node in docker-compose.yaml (POSIX sh:
# the ipfs/kubo image has no bash). It refuses a repository that
# network/kubo-init.sh did not make (no swarm key: the node would not be
# private), peers the node with the other organization's node (Kubo's
# Peering.Peers: the two stay connected and exchange blocks by bitswap, with
# no DHT), and starts the daemon.
#
# Env: IPFS_PATH (this node's repository), MEDCHAIN_IPFS_PEER_REPO (the other
# node's repository, for its peer id) and MEDCHAIN_IPFS_PEER_ADDR (its swarm
# address), LIBP2P_FORCE_PNET=1.
set -eu
if [ ! -f "$IPFS_PATH/swarm.key" ]; then
  echo "ipfs-peer.sh: $IPFS_PATH holds no swarm.key; make the repository with network/kubo-init.sh (docs/deploy.md) and start the service again." >&2
  exit 1
fi
peer=$(IPFS_PATH="$MEDCHAIN_IPFS_PEER_REPO" ipfs config Identity.PeerID) || {
  echo "ipfs-peer.sh: cannot read the peer id of $MEDCHAIN_IPFS_PEER_REPO; make the other organization's repository first (docs/deploy.md)." >&2
  exit 1
}
ipfs config --json Peering.Peers "[{\"ID\": \"$peer\", \"Addrs\": [\"$MEDCHAIN_IPFS_PEER_ADDR\"]}]"
exec ipfs daemon
