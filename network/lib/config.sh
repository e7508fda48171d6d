# shellcheck shell=bash
# Names, paths and ports of the medchain test network. Sourced by the network scripts.

NETWORK_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
REPO_DIR=$(cd "$NETWORK_DIR/.." && pwd)
# shellcheck source=fabric.sh
source "$NETWORK_DIR/lib/fabric.sh"
# shellcheck source=fabric-ca.sh
source "$NETWORK_DIR/lib/fabric-ca.sh"
# shellcheck source=kubo.sh
source "$NETWORK_DIR/lib/kubo.sh"

# All state (crypto, ledgers, pid files, logs, profile.json) lives here.
WORK=${MEDCHAIN_NETWORK_DIR:-"$NETWORK_DIR/.work"}
CRYPTO_DIR="$WORK/crypto"
CONFIG_DIR="$WORK/config"
DATA_DIR="$WORK/data"
RUN_DIR="$WORK/run"
LOG_DIR="$WORK/logs"
CHAINCODE_DIR="$WORK/chaincode"
# The organizations' Fabric CAs (lib/ca.sh): homes, registrars, enrolled users.
CA_DIR="$WORK/ca"
PROFILE="$WORK/profile.json"
# With MEDCHAIN_SIDE_BY_SIDE=1: the same profile for the second definition (lib/profile.sh).
PROFILE_GO="$WORK/profile-go.json"
# Written once the channel is joined and the chaincode definition committed.
DEPLOYED_MARKER="$WORK/deployed"
# The port block the network was created with (status.sh and later up.sh runs read it).
PORTS_FILE="$WORK/ports.env"

CHANNEL=medchain
CHAINCODE_NAME=medchain
CHAINCODE_VERSION=1.0
CHAINCODE_SEQUENCE=1
CHAINCODE_LABEL="${CHAINCODE_NAME}_${CHAINCODE_VERSION}"
CHAINCODE_POLICY="AND('Org1MSP.peer','Org2MSP.peer')"
# The consortium's policy, fixed by the chaincode's Init: which
# organization's CA may make which registered role (MSPID=role,role…), and
# optionally the floor on a case's Argon2id parameters (kdf-floor=M_KIB,T;
# absent: the protocol's default, m ≥ 19456 KiB, t ≥ 2).
CHAINCODE_ROLE_POLICY=${MEDCHAIN_ROLE_POLICY:-"Org1MSP=doctor Org2MSP=pharmacist,insurer,lawyer-expert"}
# Mutual TLS between the peers and the chaincode server (server-side TLS is always on).
CHAINCODE_CLIENT_AUTH=${MEDCHAIN_CHAINCODE_CLIENT_AUTH:-true}

# The orderer's BatchTimeout for a fresh network (configtx.yaml): how long
# it waits for more transactions before cutting a block that is not full.
BATCH_TIMEOUT=${MEDCHAIN_BATCH_TIMEOUT:-10ms}

# Fails with one sentence unless BATCH_TIMEOUT is 1ms to 2000ms.
check_batch_timeout() {
  if [[ ! $BATCH_TIMEOUT =~ ^[1-9][0-9]{0,3}ms$ ]] || ((${BATCH_TIMEOUT%ms} > 2000)); then
    echo "MEDCHAIN_BATCH_TIMEOUT=$BATCH_TIMEOUT is not a time from 1ms to 2000ms; give e.g. 10ms (the default)." >&2
    return 1
  fi
}

PEER_ORGS=(org1 org2)

# Who picks the endorsers of a submission (written into profile.json by
# lib/profile.sh): `named` (the default) names every organization of
# CHAINCODE_POLICY in the profile's endorsing_orgs, so the gateway asks all
# their peers at once; `gateway` leaves endorsing_orgs out and the gateway
# chooses from its view of the policy (it endorses on its own peer first,
# then on the others; docs/benchmarks.md measures the difference).
ENDORSERS=${MEDCHAIN_ENDORSERS:-named}

# Fails with one sentence unless ENDORSERS is named or gateway.
check_endorsers() {
  if [[ $ENDORSERS != named && $ENDORSERS != gateway ]]; then
    echo "MEDCHAIN_ENDORSERS must be named (the profile names every organization of the endorsement policy) or gateway (the gateway chooses), not '$ENDORSERS'." >&2
    return 1
  fi
}

# The MSP ids that CHAINCODE_POLICY names, one per line, in order.
policy_msp_ids() {
  grep -o "'[A-Za-z0-9]*MSP\.peer'" <<<"$CHAINCODE_POLICY" | sed "s/^'\(.*\)\.peer'\$/\1/"
}

READY_TIMEOUT=${MEDCHAIN_NETWORK_READY_TIMEOUT:-60}
FABRIC_LOGGING_SPEC=${MEDCHAIN_FABRIC_LOGGING_SPEC:-info}

# Sets the port variables from MEDCHAIN_NETWORK_PORT_BASE (default 7050), or
# from the ports file of an existing work directory so every script agrees
# with the running network.
load_ports() {
  local base
  if [[ -f "$PORTS_FILE" ]]; then
    base=$(sed -n 's/^PORT_BASE=\([0-9]*\)$/\1/p' "$PORTS_FILE")
  else
    base=${MEDCHAIN_NETWORK_PORT_BASE:-7050}
  fi
  if ! [[ "$base" =~ ^[0-9]+$ ]] || ((base < 1024 || base > 65500)); then
    echo "MEDCHAIN_NETWORK_PORT_BASE must be a number from 1024 to 65500 (the network uses it and the next 17 ports, 18 side by side), not '$base'." >&2
    return 1
  fi
  PORT_BASE=$base
  load_chaincode_options || return 1
  ORDERER_PORT=$((base + 0))
  ORG1_PEER_PORT=$((base + 1))
  ORG1_CHAINCODE_LISTEN_PORT=$((base + 2))
  ORDERER_ADMIN_PORT=$((base + 3))
  ORDERER_OPERATIONS_PORT=$((base + 4))
  ORG1_OPERATIONS_PORT=$((base + 5))
  CHAINCODE_SERVER_PORT=$((base + 6))
  # The Go reference contract's server, when an org runs it.
  CHAINCODE_GO_SERVER_PORT=$((base + 9))
  ORG1_CA_PORT=$((base + 7))
  ORG1_CA_OPERATIONS_PORT=$((base + 8))
  ORG2_PEER_PORT=$((base + 11))
  ORG2_CHAINCODE_LISTEN_PORT=$((base + 12))
  ORG2_CA_PORT=$((base + 13))
  ORG2_CA_OPERATIONS_PORT=$((base + 14))
  ORG2_OPERATIONS_PORT=$((base + 15))
  # The IPFS node (lib/ipfs.sh): RPC API, gateway, swarm.
  IPFS_API_PORT=$((base + 10))
  IPFS_GATEWAY_PORT=$((base + 16))
  IPFS_SWARM_PORT=$((base + 17))
  # The Go server of the side-by-side definition (MEDCHAIN_SIDE_BY_SIDE=1).
  CHAINCODE_SBS_SERVER_PORT=$((base + 18))
  LAST_PORT=$((base + 17))
  [[ $SIDE_BY_SIDE == 1 ]] && LAST_PORT=$CHAINCODE_SBS_SERVER_PORT
  if [[ -f "$PORTS_FILE" && -n "${MEDCHAIN_NETWORK_PORT_BASE:-}" && "$MEDCHAIN_NETWORK_PORT_BASE" != "$base" ]]; then
    echo "note: $WORK was created with port base $base; MEDCHAIN_NETWORK_PORT_BASE=$MEDCHAIN_NETWORK_PORT_BASE is ignored until down.sh --purge." >&2
  fi
}

save_ports() {
  mkdir -p "$WORK"
  printf 'PORT_BASE=%s\nORG1_CHAINCODE=%s\nORG2_CHAINCODE=%s\nSIDE_BY_SIDE=%s\n' \
    "$PORT_BASE" "$ORG1_CHAINCODE" "$ORG2_CHAINCODE" "$SIDE_BY_SIDE" >"$PORTS_FILE"
}

# The options that fix which chaincode servers the network runs
# (MEDCHAIN_CHAINCODE_ORG1/ORG2, MEDCHAIN_SIDE_BY_SIDE), from the environment
# or from the ports file of an existing work directory. Checked and noted
# once per script: up.sh calls it before installing anything, load_ports
# again.
load_chaincode_options() {
  [[ -n ${CHAINCODE_OPTIONS_LOADED:-} ]] && return 0
  load_chaincode_impls || return 1
  load_side_by_side || return 1
  CHAINCODE_OPTIONS_LOADED=1
}

# Whether a second chaincode definition, medchain-go, serves the Go reference
# contract on both orgs next to medchain (lib/chaincode.sh): SIDE_BY_SIDE 1 or
# 0, from MEDCHAIN_SIDE_BY_SIDE (unset or empty: 0) or from the ports file
# (a work directory from before this option has none). medchain itself must
# then run rust on both orgs, so that each definition is one language.
load_side_by_side() {
  local saved="" value
  [[ -f "$PORTS_FILE" ]] && saved=$(sed -n 's/^SIDE_BY_SIDE=\(.*\)$/\1/p' "$PORTS_FILE")
  [[ -f "$PORTS_FILE" && -z "$saved" ]] && saved=0
  value=${saved:-${MEDCHAIN_SIDE_BY_SIDE:-0}}
  if [[ "$value" != 0 && "$value" != 1 ]]; then
    echo "MEDCHAIN_SIDE_BY_SIDE must be 1 (deploy the Go contract as a second definition, medchain-go) or 0, not '$value'." >&2
    return 1
  fi
  if [[ "$value" == 1 && ("$ORG1_CHAINCODE" == go || "$ORG2_CHAINCODE" == go) ]]; then
    local org go=()
    for org in "${PEER_ORGS[@]}"; do
      [[ $(org_chaincode "$org") == go ]] && go+=("MEDCHAIN_CHAINCODE_${org^^}=go")
    done
    echo "MEDCHAIN_SIDE_BY_SIDE=1 cannot be combined with ${go[*]}: side by side, medchain runs the Rust chaincode on both orgs and the Go contract is the second definition, medchain-go." >&2
    return 1
  fi
  if [[ -n "$saved" && -n "${MEDCHAIN_SIDE_BY_SIDE:-}" && "$MEDCHAIN_SIDE_BY_SIDE" != "$saved" ]]; then
    echo "note: $WORK was created with MEDCHAIN_SIDE_BY_SIDE=$saved; MEDCHAIN_SIDE_BY_SIDE=$MEDCHAIN_SIDE_BY_SIDE is ignored until down.sh --purge." >&2
  fi
  SIDE_BY_SIDE=$value
}

# Which contract implementation each org's peer runs: rust (medchain-chaincode,
# the default) or go (the reference contract in chaincode/go), from
# MEDCHAIN_CHAINCODE_ORG1 / MEDCHAIN_CHAINCODE_ORG2, or from the ports file
# of an existing work directory (fixed when the network is created: each org
# installed and approved its own package). With org2=go the consortium
# endorses every transaction with both implementations (policy AND(Org1, Org2)).
load_chaincode_impls() {
  local org var value saved
  for org in "${PEER_ORGS[@]}"; do
    var="MEDCHAIN_CHAINCODE_${org^^}"
    saved=""
    [[ -f "$PORTS_FILE" ]] && saved=$(sed -n "s/^${org^^}_CHAINCODE=\(.*\)\$/\1/p" "$PORTS_FILE")
    # A work directory from before this option ran rust on both orgs.
    [[ -f "$PORTS_FILE" && -z "$saved" ]] && saved=rust
    value=${saved:-${!var:-rust}}
    if [[ "$value" != rust && "$value" != go ]]; then
      echo "$var must be rust or go, not '$value'." >&2
      return 1
    fi
    if [[ -n "$saved" && -n "${!var:-}" && "${!var}" != "$saved" ]]; then
      echo "note: $WORK was created with $org running the $saved chaincode; $var=${!var} is ignored until down.sh --purge." >&2
    fi
    printf -v "${org^^}_CHAINCODE" '%s' "$value"
  done
}

# Per-org lookups: org_domain org1 -> org1.example.com, etc.
org_domain() { echo "$1.example.com"; }
org_msp_id() { echo "Org${1#org}MSP"; }
peer_name() { echo "peer0.$(org_domain "$1")"; }
peer_port() { local v="${1^^}_PEER_PORT"; echo "${!v}"; }
peer_chaincode_listen_port() { local v="${1^^}_CHAINCODE_LISTEN_PORT"; echo "${!v}"; }
peer_operations_port() { local v="${1^^}_OPERATIONS_PORT"; echo "${!v}"; }
org_crypto_dir() { echo "$CRYPTO_DIR/peerOrganizations/$(org_domain "$1")"; }
peer_crypto_dir() { echo "$(org_crypto_dir "$1")/peers/$(peer_name "$1")"; }
org_tls_ca() { local d; d=$(org_domain "$1"); echo "$(org_crypto_dir "$1")/tlsca/tlsca.$d-cert.pem"; }
org_admin_msp() { local d; d=$(org_domain "$1"); echo "$(org_crypto_dir "$1")/users/Admin@$d/msp"; }

ORDERER_NAME=orderer.example.com
ORDERER_ORG_DIR="$CRYPTO_DIR/ordererOrganizations/example.com"
ORDERER_CRYPTO_DIR="$ORDERER_ORG_DIR/orderers/$ORDERER_NAME"
ORDERER_TLS_CA="$ORDERER_ORG_DIR/tlsca/tlsca.example.com-cert.pem"
ORDERER_ADMIN_TLS_DIR="$ORDERER_ORG_DIR/users/Admin@example.com/tls"

# The chaincode server's own TLS material (network/lib/chaincode_tls.sh).
CHAINCODE_TLS_DIR="$CRYPTO_DIR/chaincode"
