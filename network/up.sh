#!/usr/bin/env bash
# Brings up the medchain test network natively (no Docker) on 127.0.0.1:
# one etcdraft orderer, peer0.org1 and peer0.org2, channel `medchain`, the
# medchain chaincode deployed as a service and its server running.
#
#  - Nothing there yet, or a setup that never finished: cleans the work
#    directory and builds everything from scratch.
#  - A finished deployment: starts whatever of its processes is stopped
#    (ledgers are kept) and prints the status; when all run, does nothing else.
#
# Env: MEDCHAIN_NETWORK_DIR, MEDCHAIN_NETWORK_PORT_BASE, MEDCHAIN_CHAINCODE_BIN,
# MEDCHAIN_CHAINCODE_CLIENT_AUTH, MEDCHAIN_CHAINCODE_LOG, MEDCHAIN_FABRIC_LOGGING_SPEC,
# MEDCHAIN_NETWORK_READY_TIMEOUT, MEDCHAIN_FABRIC_HOME (docs/network.md).
set -euo pipefail

# shellcheck source=lib/all.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/all.sh"

started=${EPOCHREALTIME/./}
# step MESSAGE — prints MESSAGE with the seconds since up.sh started.
step() {
  local elapsed=$(((${EPOCHREALTIME/./} - started) / 100000))
  printf '[%4d.%ds] %s\n' $((elapsed / 10)) $((elapsed % 10)) "$*"
}

trap 'echo "network/up.sh failed. Processes it started stay up for inspection: network/status.sh, logs in $LOG_DIR. Running network/up.sh again resumes (an unfinished setup is cleaned and redone); network/down.sh --purge removes everything." >&2' ERR

require_commands jq curl openssl envsubst tar gzip setsid flock awk
"$NETWORK_DIR/install-fabric.sh"
SAMPLECONFIG=$(fabric_sampleconfig)
lock_network
load_ports

start_nodes() {
  local org
  start_orderer "$SAMPLECONFIG"
  for org in "${PEER_ORGS[@]}"; do
    start_peer "$org" "$SAMPLECONFIG"
  done
  wait_orderer
  for org in "${PEER_ORGS[@]}"; do
    wait_peer "$org"
  done
}

if [[ -f "$DEPLOYED_MARKER" ]]; then
  if print_processes >/dev/null; then
    echo "The network is already up."
    print_status
    exit 0
  fi
  step "Starting the stopped processes of the existing network (ledgers kept)"
  start_nodes
  wait_ready orderer "$READY_TIMEOUT" orderer_has_leader
  for org in "${PEER_ORGS[@]}"; do
    wait_ready "$(peer_name "$org")" "$READY_TIMEOUT" peer_has_channel "$org"
  done
  step "Waiting for service discovery to list both orgs' endorsers"
  wait_endorsers_discovered
  step "Starting the chaincode server unless it runs (package id $(cat "$PACKAGE_ID_FILE"))"
  start_chaincode_server
  step "Network up"
  print_status
  exit 0
fi

if ! work_dir_empty; then
  step "Cleaning the partial state in $WORK"
  for name in $(tracked_processes); do
    stop_process "$name"
  done
  remove_work_dir
fi
mkdir -p "$WORK" "$LOG_DIR" "$RUN_DIR" "$DATA_DIR" "$CHAINCODE_DIR"
touch "$WORK/$WORK_MARK"
save_ports

step "Generating crypto material (cryptogen, chaincode TLS)"
generate_crypto
step "Creating the $CHANNEL genesis block (configtxgen)"
create_genesis_block
step "Starting orderer and peers on 127.0.0.1 (ports $PORT_BASE-$((PORT_BASE + 15)))"
start_nodes
step "Joining the orderer to $CHANNEL (osnadmin) and waiting for a raft leader"
join_orderer
for org in "${PEER_ORGS[@]}"; do
  step "Joining $(peer_name "$org") to $CHANNEL"
  join_peer "$org"
done
step "Deploying chaincode $CHAINCODE_NAME as a service (install, approve x2, commit with $CHAINCODE_POLICY)"
deploy_chaincode
step "Waiting for service discovery to list both orgs' endorsers"
wait_endorsers_discovered
write_profile
touch "$DEPLOYED_MARKER"
step "Starting the chaincode server (package id $(cat "$PACKAGE_ID_FILE"))"
start_chaincode_server
step "Network up"
print_status
