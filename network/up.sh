#!/usr/bin/env bash
# Brings up the medchain test network natively (no Docker) on 127.0.0.1:
# one Fabric CA per peer org (issuing the participants' identities), a
# private IPFS node (Kubo: encrypted attachments), one
# etcdraft orderer, peer0.org1 and peer0.org2, channel `medchain`, the
# medchain chaincode deployed as a service and its server running.
#
#  - Nothing there yet, or a setup that never finished: cleans the work
#    directory and builds everything from scratch.
#  - A finished deployment: starts whatever of its processes is stopped
#    (ledgers are kept) and prints the status; when all run, does nothing else.
#
# Env: MEDCHAIN_NETWORK_DIR, MEDCHAIN_NETWORK_PORT_BASE, MEDCHAIN_CHAINCODE_BIN,
# MEDCHAIN_CHAINCODE_CLIENT_AUTH, MEDCHAIN_CHAINCODE_LOG, MEDCHAIN_FABRIC_LOGGING_SPEC,
# MEDCHAIN_NETWORK_READY_TIMEOUT, MEDCHAIN_FABRIC_HOME, MEDCHAIN_BATCH_TIMEOUT,
# MEDCHAIN_CHAINCODE_ORG1/ORG2, MEDCHAIN_SIDE_BY_SIDE (docs/network.md).
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
check_batch_timeout || exit 1
check_endorsers || exit 1
load_chaincode_options || exit 1
"$NETWORK_DIR/install-fabric.sh"
"$NETWORK_DIR/install-fabric-ca.sh" >/dev/null
"$NETWORK_DIR/install-kubo.sh" >/dev/null
SAMPLECONFIG=$(fabric_sampleconfig)
lock_network
load_ports

# Processes are started first and waited for after, so they boot in parallel
# with whatever comes in between.
start_cas() {
  local org
  for org in "${PEER_ORGS[@]}"; do
    start_ca "$org"
  done
}

start_nodes() {
  local org
  start_orderer "$SAMPLECONFIG"
  for org in "${PEER_ORGS[@]}"; do
    start_peer "$org" "$SAMPLECONFIG"
  done
}

wait_cas() {
  local org
  for org in "${PEER_ORGS[@]}"; do
    wait_ca "$org"
  done
}

wait_nodes() {
  local org
  wait_orderer
  for org in "${PEER_ORGS[@]}"; do
    wait_peer "$org"
  done
}

# Registers and enrolls every org's participants, the orgs in parallel.
enroll_all_participants() {
  local org pids=() pid
  for org in "${PEER_ORGS[@]}"; do
    enroll_participants "$org" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid"
  done
}

if [[ -f "$DEPLOYED_MARKER" && ! -d "$CA_DIR" ]]; then
  echo "$WORK was deployed before network/up.sh ran the orgs' Fabric CAs (its users come from cryptogen); network/down.sh --purge, then network/up.sh, rebuilds it with CA-issued identities." >&2
  exit 1
fi
if [[ -f "$DEPLOYED_MARKER" && ! -d "$IPFS_REPO" ]]; then
  echo "$WORK was deployed before network/up.sh ran an IPFS node; network/down.sh --purge, then network/up.sh, rebuilds it with one." >&2
  exit 1
fi
if [[ -f "$DEPLOYED_MARKER" ]]; then
  if print_processes >/dev/null; then
    echo "The network is already up."
    print_status
    exit 0
  fi
  step "Starting the stopped processes of the existing network (ledgers kept)"
  start_cas
  start_ipfs
  start_nodes
  wait_cas
  wait_ipfs
  wait_nodes
  wait_ready orderer "$READY_TIMEOUT" orderer_has_leader
  for org in "${PEER_ORGS[@]}"; do
    wait_ready "$(peer_name "$org")" "$READY_TIMEOUT" peer_has_channel "$org"
  done
  step "Waiting for service discovery to list both orgs' endorsers"
  wait_endorsers_discovered
  step "Starting the chaincode servers unless they run (package ids $(package_ids))"
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

step "Starting the orgs' Fabric CAs ($(ca_name org1) 127.0.0.1:$ORG1_CA_PORT, $(ca_name org2) 127.0.0.1:$ORG2_CA_PORT) and the private IPFS node (API 127.0.0.1:$IPFS_API_PORT); generating node crypto material (cryptogen, chaincode TLS)"
start_cas
start_ipfs
generate_crypto
wait_cas
wait_ipfs
for org in "${PEER_ORGS[@]}"; do
  trust_ca_in_org_msp "$org"
done
step "Starting orderer and peers on 127.0.0.1 (ports $PORT_BASE-$LAST_PORT)"
start_nodes
step "Creating the $CHANNEL genesis block (configtxgen; each org's MSP trusts its CA's root)"
create_genesis_block
# The participants' identities are only needed by the profile: they are
# registered and enrolled while the channel is joined and the chaincode deployed.
enroll_all_participants &
enrollment=$!
wait_nodes
step "Joining the orderer to $CHANNEL (osnadmin) and waiting for a raft leader"
join_orderer
for org in "${PEER_ORGS[@]}"; do
  step "Joining $(peer_name "$org") to $CHANNEL"
  join_peer "$org"
done
if [[ $SIDE_BY_SIDE == 1 ]]; then
  step "Deploying chaincode $CHAINCODE_NAME (org1 runs $ORG1_CHAINCODE, org2 $ORG2_CHAINCODE) and side by side $SBS_CHAINCODE_NAME (go on both orgs) as services (each: install, approve x2, commit with $CHAINCODE_POLICY)"
else
  step "Deploying chaincode $CHAINCODE_NAME as a service (org1 runs $ORG1_CHAINCODE, org2 $ORG2_CHAINCODE; install, approve x2, commit with $CHAINCODE_POLICY)"
fi
deploy_chaincode
step "Waiting for service discovery to list both orgs' endorsers"
wait_endorsers_discovered
step "Waiting for the participants' enrollment (registered by their org's registrar with medchain.role)"
wait "$enrollment"
write_profile
step "Starting the chaincode servers (package ids $(package_ids))"
start_chaincode_server
definitions=$(chaincode_definitions)
step "Initializing ${definitions//$'\n'/ and } with the role policy ($CHAINCODE_ROLE_POLICY)"
initialize_chaincode
touch "$DEPLOYED_MARKER"
step "Network up"
print_status
