# shellcheck shell=bash
# Roles of the tests and the client profile ($WORK/profile.json) that the
# medchain client (`medchain --gateway <profile>`) and the e2e tests read.

# role org cryptogen-user. cryptogen names users User1..N (crypto-config.yaml).
ROLES=(
  "doctor org1 User1"
  "patient org1 User2"
  "family org1 User3"
  "stranger org1 User4"
  "pharmacist org2 User1"
  "insurer org2 User2"
  "lawyer org2 User3"
)

# identity_json ORG USER — {msp_id, org, msp_dir, cert, key} of USER@<org domain>.
identity_json() {
  local org=$1 user=$2 msp
  msp="$(org_crypto_dir "$org")/users/$user@$(org_domain "$org")/msp"
  jq -n --arg org "$org" --arg msp_id "$(org_msp_id "$org")" --arg msp_dir "$msp" --arg user "$user@$(org_domain "$org")" \
    --arg cert "$msp/signcerts/$user@$(org_domain "$org")-cert.pem" --arg key "$msp/keystore/priv_sk" \
    '{org: $org, msp_id: $msp_id, user: $user, msp_dir: $msp_dir, cert: $cert, key: $key}'
}

write_profile() {
  local org role user orgs='{}' roles='{}'
  for org in "${PEER_ORGS[@]}"; do
    orgs=$(jq --arg org "$org" --arg msp_id "$(org_msp_id "$org")" \
      --arg endpoint "127.0.0.1:$(peer_port "$org")" --arg tls_ca "$(org_tls_ca "$org")" \
      --arg server_name "$(peer_name "$org")" --argjson admin "$(identity_json "$org" Admin)" \
      '.[$org] = {msp_id: $msp_id, gateway: {endpoint: $endpoint, tls_ca: $tls_ca, server_name: $server_name}, admin: $admin}' <<<"$orgs")
  done
  for entry in "${ROLES[@]}"; do
    read -r role org user <<<"$entry"
    roles=$(jq --arg role "$role" --argjson id "$(identity_json "$org" "$user")" '.[$role] = $id' <<<"$roles")
  done
  jq -n --arg channel "$CHANNEL" --arg chaincode "$CHAINCODE_NAME" --arg tls_ca "$ORDERER_TLS_CA" \
    --arg orderer "127.0.0.1:$ORDERER_PORT" --arg work "$WORK" --argjson orgs "$orgs" --argjson roles "$roles" \
    '{version: 1, channel: $channel, chaincode: $chaincode, work_dir: $work,
      orderer: {endpoint: $orderer, tls_ca: $tls_ca, server_name: "orderer.example.com"},
      orgs: $orgs, roles: $roles}' >"$PROFILE.tmp"
  mv "$PROFILE.tmp" "$PROFILE"
}
