# shellcheck shell=bash
# The orderer and peer processes: their environment (overrides of Fabric's
# sampleconfig orderer.yaml / core.yaml) and how they are started.

# Environment of the orderer process (array ORDERER_ENV).
orderer_env() {
  local sampleconfig=$1 tls="$ORDERER_CRYPTO_DIR/tls"
  ORDERER_ENV=(
    FABRIC_CFG_PATH="$sampleconfig"
    FABRIC_LOGGING_SPEC="$FABRIC_LOGGING_SPEC"
    ORDERER_GENERAL_LISTENADDRESS=127.0.0.1
    ORDERER_GENERAL_LISTENPORT="$ORDERER_PORT"
    ORDERER_GENERAL_LOCALMSPID=OrdererMSP
    ORDERER_GENERAL_LOCALMSPDIR="$ORDERER_CRYPTO_DIR/msp"
    ORDERER_GENERAL_TLS_ENABLED=true
    ORDERER_GENERAL_TLS_PRIVATEKEY="$tls/server.key"
    ORDERER_GENERAL_TLS_CERTIFICATE="$tls/server.crt"
    ORDERER_GENERAL_TLS_ROOTCAS="[$tls/ca.crt]"
    ORDERER_GENERAL_BOOTSTRAPMETHOD=none
    ORDERER_CHANNELPARTICIPATION_ENABLED=true
    ORDERER_FILELEDGER_LOCATION="$DATA_DIR/orderer"
    ORDERER_CONSENSUS_WALDIR="$DATA_DIR/orderer/etcdraft/wal"
    ORDERER_CONSENSUS_SNAPDIR="$DATA_DIR/orderer/etcdraft/snapshot"
    ORDERER_ADMIN_LISTENADDRESS="127.0.0.1:$ORDERER_ADMIN_PORT"
    ORDERER_ADMIN_TLS_ENABLED=true
    ORDERER_ADMIN_TLS_CERTIFICATE="$tls/server.crt"
    ORDERER_ADMIN_TLS_PRIVATEKEY="$tls/server.key"
    ORDERER_ADMIN_TLS_ROOTCAS="[$tls/ca.crt]"
    ORDERER_ADMIN_TLS_CLIENTAUTHREQUIRED=true
    ORDERER_ADMIN_TLS_CLIENTROOTCAS="[$ORDERER_TLS_CA]"
    ORDERER_OPERATIONS_LISTENADDRESS="127.0.0.1:$ORDERER_OPERATIONS_PORT"
    ORDERER_OPERATIONS_TLS_ENABLED=true
    ORDERER_OPERATIONS_TLS_CERTIFICATE="$tls/server.crt"
    ORDERER_OPERATIONS_TLS_PRIVATEKEY="$tls/server.key"
    ORDERER_OPERATIONS_TLS_CLIENTAUTHREQUIRED=false
    ORDERER_METRICS_PROVIDER=disabled
  )
}

# Environment of a peer process (array PEER_ENV) for org $1.
peer_env() {
  local org=$1 sampleconfig=$2
  local dir tls port cc_port ops_port
  dir=$(peer_crypto_dir "$org")
  tls="$dir/tls"
  port=$(peer_port "$org")
  cc_port=$(peer_chaincode_listen_port "$org")
  ops_port=$(peer_operations_port "$org")
  PEER_ENV=(
    FABRIC_CFG_PATH="$sampleconfig"
    FABRIC_LOGGING_SPEC="$FABRIC_LOGGING_SPEC"
    CORE_PEER_ID="$(peer_name "$org")"
    CORE_PEER_LOCALMSPID="$(org_msp_id "$org")"
    CORE_PEER_MSPCONFIGPATH="$dir/msp"
    CORE_PEER_ADDRESS="127.0.0.1:$port"
    CORE_PEER_LISTENADDRESS="127.0.0.1:$port"
    CORE_PEER_CHAINCODEADDRESS="127.0.0.1:$cc_port"
    CORE_PEER_CHAINCODELISTENADDRESS="127.0.0.1:$cc_port"
    # One peer per org: it bootstraps gossip from itself and advertises its
    # endpoint to the other org (with the anchor peers in the channel config)
    # so discovery, and so the gateway, sees both orgs' peers.
    CORE_PEER_GOSSIP_BOOTSTRAP="127.0.0.1:$port"
    CORE_PEER_GOSSIP_EXTERNALENDPOINT="127.0.0.1:$port"
    # Gossip timing for two peers on one machine: the defaults (25s reconnect,
    # 4s state info) leave the other org's peer out of discovery for ~30s after
    # a join or a restart. These let the gateway see it within a few seconds,
    # at the cost of a few small messages a second between the two peers.
    CORE_PEER_GOSSIP_ALIVETIMEINTERVAL=1s
    CORE_PEER_GOSSIP_ALIVEEXPIRATIONTIMEOUT=5s
    CORE_PEER_GOSSIP_RECONNECTINTERVAL=1s
    CORE_PEER_GOSSIP_PUBLISHSTATEINFOINTERVAL=1s
    CORE_PEER_GOSSIP_REQUESTSTATEINFOINTERVAL=1s
    CORE_PEER_TLS_ENABLED=true
    CORE_PEER_TLS_CERT_FILE="$tls/server.crt"
    CORE_PEER_TLS_KEY_FILE="$tls/server.key"
    CORE_PEER_TLS_ROOTCERT_FILE="$tls/ca.crt"
    CORE_PEER_GATEWAY_ENABLED=true
    CORE_PEER_FILESYSTEMPATH="$DATA_DIR/$(peer_name "$org")"
    CORE_LEDGER_SNAPSHOTS_ROOTDIR="$DATA_DIR/$(peer_name "$org")/snapshots"
    CORE_OPERATIONS_LISTENADDRESS="127.0.0.1:$ops_port"
    CORE_OPERATIONS_TLS_ENABLED=true
    CORE_OPERATIONS_TLS_CERT_FILE="$tls/server.crt"
    CORE_OPERATIONS_TLS_KEY_FILE="$tls/server.key"
    CORE_OPERATIONS_TLS_CLIENTAUTHREQUIRED=false
    CORE_METRICS_PROVIDER=disabled
    # No Docker engine: chaincode only runs through the external builder.
    CORE_VM_ENDPOINT=
    CORE_CHAINCODE_EXTERNALBUILDERS="[{name: medchain-ccaas, path: $NETWORK_DIR/builders/ccaas}]"
  )
}

start_orderer() {
  local sampleconfig=$1
  is_running orderer && return 0
  require_port_free "$ORDERER_PORT" "orderer"
  require_port_free "$ORDERER_ADMIN_PORT" "orderer admin"
  require_port_free "$ORDERER_OPERATIONS_PORT" "orderer operations"
  orderer_env "$sampleconfig"
  start_process orderer ORDERER_ENV "$FABRIC_BIN/orderer"
}

wait_orderer() {
  wait_ready orderer "$READY_TIMEOUT" healthy "$ORDERER_OPERATIONS_PORT" "$ORDERER_TLS_CA"
}

start_peer() {
  local org=$1 sampleconfig=$2 name
  name=$(peer_name "$org")
  is_running "$name" && return 0
  require_port_free "$(peer_port "$org")" "$name"
  require_port_free "$(peer_chaincode_listen_port "$org")" "$name chaincode listener"
  require_port_free "$(peer_operations_port "$org")" "$name operations"
  peer_env "$org" "$sampleconfig"
  start_process "$name" PEER_ENV "$FABRIC_BIN/peer" node start
}

wait_peer() {
  local org=$1
  wait_ready "$(peer_name "$org")" "$READY_TIMEOUT" healthy "$(peer_operations_port "$org")" "$(org_tls_ca "$org")"
}
