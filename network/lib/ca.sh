# shellcheck shell=bash
# One Fabric CA (fabric-ca-server, lib/fabric-ca.sh) per peer organization.
# It issues the certificates of the organization's participants, with their
# medchain.role attribute in the certificate; the organization's channel MSP
# trusts its root next to cryptogen's, which still issues the node (peer,
# orderer) and Admin identities (docs/network.md, "Certificate authorities").
#
# Layout, per org, in $CA_DIR/<org> (mode 0700):
#   registrar.secret       the bootstrap registrar's password (0600, random)
#   server/                the CA's home: ca-cert.pem (root, also signs its
#                          TLS certificate tls-cert.pem), config, sqlite db
#   registrar/msp          the registrar (enrollment id admin), enrolled
#   users/<name>/msp       a participant's MSP folder (signcerts/cert.pem,
#                          keystore/<ski>_sk, cacerts/)
#   users/<name>/secret    its enrollment secret (0600), to enroll again

CA_REGISTRAR="admin"
CA_ATTRIBUTE=medchain.role

ca_name() { echo "ca-$1"; }
ca_process() { echo "ca.$(org_domain "$1")"; }
ca_port() { local v="${1^^}_CA_PORT"; echo "${!v}"; }
ca_operations_port() { local v="${1^^}_CA_OPERATIONS_PORT"; echo "${!v}"; }
ca_url() { echo "https://127.0.0.1:$(ca_port "$1")"; }
ca_dir() { echo "$CA_DIR/$1"; }
ca_home() { echo "$(ca_dir "$1")/server"; }
# The CA's root certificate: it signs the participants' certificates and the
# CA's own TLS certificate, so it is also the TLS trust anchor of its clients.
ca_cert() { echo "$(ca_home "$1")/ca-cert.pem"; }
ca_registrar_secret_file() { echo "$(ca_dir "$1")/registrar.secret"; }
ca_registrar_msp() { echo "$(ca_dir "$1")/registrar/msp"; }
ca_user_dir() { echo "$(ca_dir "$1")/users/$2"; }

# Environment of ORG's CA process (array CA_ENV). The registrar's password
# goes in only on the first start, when the server writes its configuration
# (which then holds it; the directory is private); never on a command line.
ca_env() {
  local org=$1 home
  home=$(ca_home "$org")
  CA_ENV=(FABRIC_CA_SERVER_HOME="$home")
  if [[ ! -f "$home/fabric-ca-server-config.yaml" ]]; then
    CA_ENV+=(FABRIC_CA_SERVER_BOOT="$CA_REGISTRAR:$(<"$(ca_registrar_secret_file "$org")")")
  fi
}

start_ca() {
  local org=$1 name secret_file
  name=$(ca_process "$org")
  is_running "$name" && return 0
  require_port_free "$(ca_port "$org")" "$name"
  require_port_free "$(ca_operations_port "$org")" "$name operations"
  mkdir -p "$(ca_home "$org")"
  chmod 0700 "$(ca_dir "$org")"
  secret_file=$(ca_registrar_secret_file "$org")
  if [[ ! -s "$secret_file" ]]; then
    (umask 077 && openssl rand -hex 16 >"$secret_file")
  fi
  ca_env "$org"
  start_process "$name" CA_ENV "$FABRIC_CA_BIN/fabric-ca-server" start \
    --address 127.0.0.1 --port "$(ca_port "$org")" --ca.name "$(ca_name "$org")" \
    --tls.enabled --csr.hosts 127.0.0.1,localhost --csr.cn "$(ca_process "$org")" \
    --operations.listenaddress "127.0.0.1:$(ca_operations_port "$org")"
}

# True when ORG's CA answers cainfo over TLS verified with its root.
ca_healthy() {
  local org=$1
  [[ -f "$(ca_cert "$org")" ]] &&
    curl -fsS --max-time 2 --cacert "$(ca_cert "$org")" "$(ca_url "$org")/api/v1/cainfo" >/dev/null
}

wait_ca() {
  wait_ready "$(ca_process "$1")" "$READY_TIMEOUT" ca_healthy "$1"
}

# ca_client ORG HOME ARGS... — fabric-ca-client ARGS against ORG's CA with
# client home HOME; a URL with credentials comes in FABRIC_CA_CLIENT_URL.
ca_client() {
  local org=$1 home=$2
  shift 2
  env -i PATH="$PATH" HOME="$HOME" ${FABRIC_CA_CLIENT_URL:+FABRIC_CA_CLIENT_URL="$FABRIC_CA_CLIENT_URL"} \
    "$FABRIC_CA_BIN/fabric-ca-client" "$@" -H "$home" --caname "$(ca_name "$org")" --tls.certfiles "$(ca_cert "$org")"
}

# ca_enroll ORG ID SECRET DIR — enrolls ID into DIR/msp.
ca_enroll() {
  local org=$1 id=$2 secret=$3 dir=$4
  FABRIC_CA_CLIENT_URL="https://$id:$secret@127.0.0.1:$(ca_port "$org")" \
    logged "fabric-ca-client enroll $id ($(ca_name "$org"))" \
    ca_client "$org" "$dir" enroll --mspdir "$dir/msp" --csr.hosts ''
  write_node_ous "$dir/msp"
}

# write_node_ous MSP — the NodeOUs of an enrolled MSP folder, all under its
# one CA certificate, so Fabric's tools (e.g. the peer CLI through
# network/cli-env.sh ORG ROLE) load it as a local MSP.
write_node_ous() {
  local msp=$1 cacert ou
  cacert=$(cd "$msp" && ls cacerts/*.pem)
  {
    echo "NodeOUs:"
    echo "  Enable: true"
    for ou in Client Peer Admin Orderer; do
      echo "  ${ou}OUIdentifier:"
      echo "    Certificate: $cacert"
      echo "    OrganizationalUnitIdentifier: ${ou,,}"
    done
  } >"$msp/config.yaml"
}

# ca_register ORG ID ROLE — the registrar registers client ID with
# medchain.role=ROLE in its certificates; prints the secret the CA chose.
ca_register() {
  local org=$1 id=$2 role=$3 out
  out=$(ca_client "$org" "$(dirname "$(ca_registrar_msp "$org")")" register -u "$(ca_url "$org")" \
    --mspdir "$(ca_registrar_msp "$org")" --id.name "$id" --id.type client \
    --id.attrs "$CA_ATTRIBUTE=$role:ecert" 2>&1) || {
    printf '### fabric-ca-client register %s (FAILED)\n%s\n' "$id" "$out" >>"$LOG_DIR/setup.log"
    echo "Failed: fabric-ca-client register $id with $(ca_name "$org"):" >&2
    tail -n 15 <<<"$out" >&2
    return 1
  }
  printf '### fabric-ca-client register %s (%s, %s=%s)\n' "$id" "$(ca_name "$org")" "$CA_ATTRIBUTE" "$role" >>"$LOG_DIR/setup.log"
  sed -n 's/^Password: //p' <<<"$out"
}

# Enrolls ORG's registrar, then registers and enrolls every participant of
# ORG in ROLES (lib/profile.sh).
enroll_participants() {
  local org=$1 entry name role_org attribute dir secret
  ca_enroll "$org" "$CA_REGISTRAR" "$(<"$(ca_registrar_secret_file "$org")")" "$(dirname "$(ca_registrar_msp "$org")")"
  for entry in "${ROLES[@]}"; do
    read -r name role_org attribute <<<"$entry"
    [[ "$role_org" == "$org" ]] || continue
    dir=$(ca_user_dir "$org" "$name")
    mkdir -p "$dir"
    secret=$(ca_register "$org" "$name" "$attribute")
    [[ -n "$secret" ]] || {
      echo "fabric-ca-client register $name printed no secret; see $LOG_DIR/setup.log." >&2
      return 1
    }
    (umask 077 && printf '%s\n' "$secret" >"$dir/secret")
    ca_enroll "$org" "$name" "$secret" "$dir"
  done
}

# Adds ORG's CA root to the org's MSP (the channel MSP configtxgen reads)
# and to its peers' local MSPs (which check channel-less requests, e.g.
# `peer channel getinfo`), and rewrites their NodeOUs: the client OU is
# recognized under any of the MSP's roots (cryptogen's and the CA's), the
# peer, admin and orderer OUs only under cryptogen's, so a CA-issued
# certificate can be a client but never an admin or a peer of the org.
trust_ca_in_org_msp() {
  local org=$1 msp cryptogen_ca
  cryptogen_ca="cacerts/ca.$(org_domain "$org")-cert.pem"
  for msp in "$(org_crypto_dir "$org")/msp" "$(org_crypto_dir "$org")"/peers/*/msp; do
    [[ -f "$msp/$cryptogen_ca" ]] || {
      echo "$msp/$cryptogen_ca is missing (cryptogen output changed?)." >&2
      return 1
    }
    cp "$(ca_cert "$org")" "$msp/cacerts/$(ca_name "$org")-cert.pem"
    cat >"$msp/config.yaml" <<EOF
# Written by network/lib/ca.sh: clients from either root, nodes and admins from cryptogen's only.
NodeOUs:
  Enable: true
  ClientOUIdentifier:
    OrganizationalUnitIdentifier: client
  PeerOUIdentifier:
    Certificate: $cryptogen_ca
    OrganizationalUnitIdentifier: peer
  AdminOUIdentifier:
    Certificate: $cryptogen_ca
    OrganizationalUnitIdentifier: admin
  OrdererOUIdentifier:
    Certificate: $cryptogen_ca
    OrganizationalUnitIdentifier: orderer
EOF
  done
}

# The key file of the MSP folder DIR (fabric-ca-client names it <ski>_sk).
msp_key_file() {
  local f
  for f in "$1"/keystore/*_sk; do
    [[ -f "$f" ]] && echo "$f" && return 0
  done
  echo "no key in $1/keystore" >&2
  return 1
}
