# shellcheck shell=bash
# The medchain channel: genesis block, orderer join (channel participation
# API, no system channel), peer joins.

GENESIS_BLOCK_NAME="$CHANNEL.block"

create_genesis_block() {
  mkdir -p "$CONFIG_DIR"
  # shellcheck disable=SC2016 # envsubst takes the variable names literally
  CRYPTO_DIR=$CRYPTO_DIR ORDERER_PORT=$ORDERER_PORT ORG1_PEER_PORT=$ORG1_PEER_PORT ORG2_PEER_PORT=$ORG2_PEER_PORT \
    BATCH_TIMEOUT=$BATCH_TIMEOUT envsubst '${CRYPTO_DIR} ${ORDERER_PORT} ${ORG1_PEER_PORT} ${ORG2_PEER_PORT} ${BATCH_TIMEOUT}' \
    <"$NETWORK_DIR/configtx.yaml" >"$CONFIG_DIR/configtx.yaml"
  logged "configtxgen genesis block" "$FABRIC_BIN/configtxgen" -configPath "$CONFIG_DIR" -profile MedchainChannel \
    -channelID "$CHANNEL" -outputBlock "$CONFIG_DIR/$GENESIS_BLOCK_NAME"
}

# True once the orderer's raft node has a leader for the channel since its last start.
orderer_has_leader() {
  awk '/^=== .* starting orderer/ { found = 0 } /Raft leader changed: [0-9]+ -> [1-9]/ && /channel='"$CHANNEL"'/ { found = 1 } END { exit !found }' \
    "$LOG_DIR/orderer.log"
}

join_orderer() {
  logged "osnadmin channel join" osnadmin_cli channel join --channelID "$CHANNEL" --config-block "$CONFIG_DIR/$GENESIS_BLOCK_NAME"
  wait_ready orderer "$READY_TIMEOUT" orderer_has_leader
}

# True when ORG's peer serves the channel.
peer_has_channel() { peer_cli "$1" channel getinfo -c "$CHANNEL"; }

join_peer() {
  local org=$1
  logged "peer channel join ($(peer_name "$org"))" peer_cli "$org" channel join -b "$CONFIG_DIR/$GENESIS_BLOCK_NAME"
  wait_ready "$(peer_name "$org")" "$READY_TIMEOUT" peer_has_channel "$org"
}

# Channel height as seen by ORG's peer (prints nothing when unavailable).
channel_height() {
  peer_cli "$1" channel getinfo -c "$CHANNEL" 2>/dev/null | sed -n 's/^Blockchain info: //p' | jq -r '.height // empty' 2>/dev/null || true
}
