#!/usr/bin/env bash
# Stops the processes network/up.sh started (by their pid files, nothing else).
#   --purge  also deletes the work directory (crypto, ledgers, logs, profile).
set -euo pipefail

# shellcheck source=lib/all.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/all.sh"

purge=false
case "${1:-}" in
  "") ;;
  --purge) purge=true ;;
  *)
    echo "usage: network/down.sh [--purge] (unknown argument '$1')" >&2
    exit 2
    ;;
esac

lock_network
# The chaincode servers first, then the peers, the orderer, the IPFS node and the CAs; then anything else tracked.
for name in "$CHAINCODE_PROCESS" "$CHAINCODE_GO_PROCESS" "$CHAINCODE_SBS_PROCESS" "$(peer_name org2)" "$(peer_name org1)" orderer "$IPFS_PROCESS" "$(ca_process org2)" "$(ca_process org1)" $(tracked_processes); do
  stop_process "$name"
done
if $purge; then
  remove_work_dir
  rm -f "${WORK%/}.lock"
  echo "Deleted $WORK."
else
  echo "Stopped; state kept in $WORK (network/up.sh restarts it, --purge deletes it)."
fi
