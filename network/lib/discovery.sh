# shellcheck shell=bash
# Fabric's service discovery, as the gateway uses it: the gateway of either
# org can endorse a medchain transaction only once discovery on its peer
# lists an endorser of each org with the chaincode installed.

# discover_cli ORG ARGS... — Fabric's discover CLI as ORG's admin against ORG's peer.
discover_cli() {
  local org=$1 msp user
  shift
  user="Admin@$(org_domain "$org")"
  msp=$(org_admin_msp "$org")
  "$FABRIC_BIN/discover" --peerTLSCA "$(org_tls_ca "$org")" --userKey "$msp/keystore/priv_sk" \
    --userCert "$msp/signcerts/$user-cert.pem" --MSP "$(org_msp_id "$org")" "$@" --server "127.0.0.1:$(peer_port "$org")" 2>/dev/null
}

# endorsers_discovered ORG [NAME] — true when discovery on ORG's peer names
# endorsers of every org for the chaincode definition NAME (default medchain).
endorsers_discovered() {
  local org=$1 name=${2:-$CHAINCODE_NAME} want
  want=$(for o in "${PEER_ORGS[@]}"; do org_msp_id "$o"; done | jq -R . | jq -sc 'sort')
  discover_cli "$org" endorsers --channel "$CHANNEL" --chaincode "$name" |
    jq -e --argjson want "$want" '[.[0].EndorsersByGroups[][] .MSPID] | unique == $want' >/dev/null
}

# Waits until each peer's discovery lists both orgs' endorsers of every
# chaincode definition.
wait_endorsers_discovered() {
  local org definition
  for definition in $(chaincode_definitions); do
    for org in "${PEER_ORGS[@]}"; do
      wait_ready "$(peer_name "$org")" "$READY_TIMEOUT" endorsers_discovered "$org" "$definition"
    done
  done
}

# print_endorsers ORG [NAME] — one line per endorsement group of definition
# NAME (default medchain) seen by ORG's peer ("G0: Org1MSP@127.0.0.1:7051 (height 5)").
print_endorsers() {
  discover_cli "$1" endorsers --channel "$CHANNEL" --chaincode "${2:-$CHAINCODE_NAME}" |
    jq -r '.[0].EndorsersByGroups | to_entries[] | "\(.key): \(.value | map("\(.MSPID)@\(.Endpoint) (height \(.LedgerHeight))") | join(", "))"' 2>/dev/null || true
}
