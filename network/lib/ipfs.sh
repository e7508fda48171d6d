# shellcheck shell=bash
# The network's private IPFS node (Kubo): encrypted attachments' blocks.
# Its repository is made by kubo-init.sh (the one place that configures a
# medchain node); the daemon runs as a tracked process like the CAs.

IPFS_PROCESS=ipfs
IPFS_REPO="$WORK/ipfs"

ipfs_api_url() { echo "http://127.0.0.1:$IPFS_API_PORT"; }

# Creates the node's repository (with a fresh swarm key) unless it exists.
init_ipfs() {
  [[ -f "$IPFS_REPO/config" ]] && return 0
  "$NETWORK_DIR/kubo-init.sh" "$IPFS_REPO" "$IPFS_API_PORT" "$IPFS_GATEWAY_PORT" "$IPFS_SWARM_PORT"
}

# Starts the Kubo daemon unless it runs; LIBP2P_FORCE_PNET=1 makes it refuse
# to start without the swarm key.
start_ipfs() {
  is_running "$IPFS_PROCESS" && return 0
  local port
  for port in "$IPFS_API_PORT" "$IPFS_GATEWAY_PORT" "$IPFS_SWARM_PORT"; do
    require_port_free "$port" "$IPFS_PROCESS"
  done
  init_ipfs
  # shellcheck disable=SC2034 # read by start_process through a nameref
  IPFS_ENV=(IPFS_PATH="$IPFS_REPO" LIBP2P_FORCE_PNET=1)
  start_process "$IPFS_PROCESS" IPFS_ENV "$KUBO_BIN/ipfs" daemon
}

# True when the node's API answers /api/v0/version.
ipfs_healthy() {
  curl -fsS --max-time 2 -X POST "$(ipfs_api_url)/api/v0/version" >/dev/null 2>&1
}

wait_ipfs() {
  wait_ready "$IPFS_PROCESS" "$READY_TIMEOUT" ipfs_healthy
}

# {api, gateway, repo} of the node, for the client profile.
ipfs_json() {
  jq -n --arg api "$(ipfs_api_url)" --arg gateway "http://127.0.0.1:$IPFS_GATEWAY_PORT" --arg repo "$IPFS_REPO" \
    '{api: $api, gateway: $gateway, repo: $repo}'
}
