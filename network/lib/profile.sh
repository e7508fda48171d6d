# shellcheck shell=bash
# Roles of the tests and the client profile ($WORK/profile.json) that the
# medchain client (`medchain --gateway <profile>`) and the e2e tests read;
# side by side also $WORK/profile-go.json, the same for medchain-go.

# name org medchain.role — each a client identity registered and enrolled
# by the org's Fabric CA (lib/ca.sh) with that role attribute in its
# certificate, under enrollment id <name>. The stranger (a channel member who
# is no participant of the tests' cases) is a family member: the role that
# registers nothing on the ledger. The hospital's pharmacist is certified a
# pharmacist by Org1's CA, which the role policy does not let make
# pharmacists: its registration is refused.
ROLES=(
  "doctor org1 doctor"
  "patient org1 patient"
  "family org1 family"
  "stranger org1 family"
  "pharmacist org2 pharmacist"
  "hospital-pharmacist org1 pharmacist"
  "insurer org2 insurer"
  "lawyer org2 lawyer-expert"
  "expert org2 lawyer-expert"
)

# admin_json ORG — {org, msp_id, user, msp_dir, cert, key} of cryptogen's
# Admin@<org domain> (channel and lifecycle administration).
admin_json() {
  local org=$1 user msp
  user="Admin@$(org_domain "$org")"
  msp=$(org_admin_msp "$org")
  jq -n --arg org "$org" --arg msp_id "$(org_msp_id "$org")" --arg msp_dir "$msp" --arg user "$user" \
    --arg cert "$msp/signcerts/$user-cert.pem" --arg key "$msp/keystore/priv_sk" \
    '{org: $org, msp_id: $msp_id, user: $user, msp_dir: $msp_dir, cert: $cert, key: $key}'
}

# identity_json NAME ORG ROLE — the CA-enrolled identity NAME of ORG: the
# fields of admin_json plus its enrollment id, role attribute, CA and secret.
identity_json() {
  local name=$1 org=$2 role=$3 dir
  dir=$(ca_user_dir "$org" "$name")
  jq -n --arg org "$org" --arg msp_id "$(org_msp_id "$org")" --arg msp_dir "$dir/msp" --arg user "$name" \
    --arg cert "$dir/msp/signcerts/cert.pem" --arg key "$(msp_key_file "$dir/msp")" --arg role "$role" \
    --arg ca "$(ca_name "$org")" --arg secret "$dir/secret" \
    '{org: $org, msp_id: $msp_id, user: $user, msp_dir: $msp_dir, cert: $cert, key: $key,
      enrollment_id: $user, role_attribute: $role, ca: $ca, secret_file: $secret}'
}

# ca_json ORG — how clients reach ORG's CA and its registrar.
ca_json() {
  local org=$1
  jq -n --arg url "$(ca_url "$org")" --arg name "$(ca_name "$org")" --arg tls_ca "$(ca_cert "$org")" \
    --arg registrar "$CA_REGISTRAR" --arg msp_dir "$(ca_registrar_msp "$org")" \
    --arg secret "$(ca_registrar_secret_file "$org")" --arg attribute "$CA_ATTRIBUTE" \
    '{url: $url, ca_name: $name, tls_ca: $tls_ca, root_cert: $tls_ca, role_attribute: $attribute,
      registrar: {enrollment_id: $registrar, msp_dir: $msp_dir, secret_file: $secret}}'
}

write_profile() {
  local org name role orgs='{}' roles='{}'
  for org in "${PEER_ORGS[@]}"; do
    orgs=$(jq --arg org "$org" --arg msp_id "$(org_msp_id "$org")" \
      --arg endpoint "127.0.0.1:$(peer_port "$org")" --arg tls_ca "$(org_tls_ca "$org")" \
      --arg server_name "$(peer_name "$org")" --argjson admin "$(admin_json "$org")" --argjson ca "$(ca_json "$org")" \
      '.[$org] = {msp_id: $msp_id, gateway: {endpoint: $endpoint, tls_ca: $tls_ca, server_name: $server_name}, admin: $admin, ca: $ca}' <<<"$orgs")
  done
  for entry in "${ROLES[@]}"; do
    read -r name org role <<<"$entry"
    roles=$(jq --arg name "$name" --argjson id "$(identity_json "$name" "$org" "$role")" '.[$name] = $id' <<<"$roles")
  done
  jq -n --arg channel "$CHANNEL" --arg chaincode "$CHAINCODE_NAME" --arg tls_ca "$ORDERER_TLS_CA" \
    --arg orderer "127.0.0.1:$ORDERER_PORT" --arg work "$WORK" --argjson orgs "$orgs" --argjson roles "$roles" --argjson ipfs "$(ipfs_json)" \
    --argjson servers "$(servers_json "$CHAINCODE_NAME")" \
    '{version: 1, channel: $channel, chaincode: $chaincode, work_dir: $work,
      orderer: {endpoint: $orderer, tls_ca: $tls_ca, server_name: "orderer.example.com"},
      orgs: $orgs, roles: $roles, ipfs: $ipfs, chaincode_servers: $servers}' >"$PROFILE.tmp"
  with_endorsers "$PROFILE.tmp" >"$PROFILE.tmp2"
  mv "$PROFILE.tmp2" "$PROFILE.tmp"
  if [[ $SIDE_BY_SIDE == 1 ]]; then
    side_by_side_profile "$PROFILE.tmp" "$PROFILE_GO.tmp" "$CHAINCODE_NAME" "$SBS_CHAINCODE_NAME" "$(servers_json "$SBS_CHAINCODE_NAME")"
    jq --arg other "$SBS_CHAINCODE_NAME" '.side_by_side_chaincode = $other' "$PROFILE.tmp" >"$PROFILE.tmp2"
    mv "$PROFILE.tmp2" "$PROFILE.tmp"
    mv "$PROFILE_GO.tmp" "$PROFILE_GO"
  fi
  mv "$PROFILE.tmp" "$PROFILE"
}

# with_endorsers PROFILE — prints PROFILE with endorsing_orgs set to the
# MSP ids of the endorsement policy (ENDORSERS=named, the default) or
# without endorsing_orgs (ENDORSERS=gateway: the gateway chooses).
with_endorsers() {
  if [[ $ENDORSERS == named ]]; then
    jq --argjson endorsers "$(policy_msp_ids | jq -R . | jq -sc .)" '.endorsing_orgs = $endorsers' "$1"
  else
    jq 'del(.endorsing_orgs)' "$1"
  fi
}

# servers_json DEFINITION — the process names (run/<name>.pid,
# logs/<name>.log) of the chaincode servers that execute DEFINITION, as a
# JSON array.
servers_json() {
  local impl
  for impl in $(definition_servers "$1"); do
    impl_process "$impl"
  done | jq -R . | jq -sc .
}

# side_by_side_profile PROFILE OUT NAME OTHER SERVERS — writes to OUT the
# profile PROFILE for the definition OTHER instead of NAME: the same network
# and identities, chaincode OTHER, side_by_side_chaincode NAME and
# chaincode_servers SERVERS (a JSON array).
side_by_side_profile() {
  jq --arg chaincode "$4" --arg other "$3" --argjson servers "$5" \
    '.chaincode = $chaincode | .side_by_side_chaincode = $other | .chaincode_servers = $servers' "$1" >"$2"
}
