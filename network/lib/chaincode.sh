# shellcheck shell=bash
# The medchain chaincode as a service: package (type ccaas), lifecycle
# (install, approve, commit) and the medchain-chaincode server process.

CHAINCODE_PACKAGE="$CHAINCODE_DIR/$CHAINCODE_LABEL.tar.gz"
PACKAGE_ID_FILE="$CHAINCODE_DIR/package_id"
CHAINCODE_PROCESS=chaincode
# The Go reference contract (chaincode/go) when an org runs it
# (MEDCHAIN_CHAINCODE_ORG1/ORG2=go, see config.sh): its own package, whose
# connection.json names its own server, and its own package id.
CHAINCODE_GO_PACKAGE="$CHAINCODE_DIR/go/$CHAINCODE_LABEL.tar.gz"
PACKAGE_ID_GO_FILE="$CHAINCODE_DIR/package_id.go"
CHAINCODE_GO_PROCESS=chaincode-go
# The side-by-side definition (MEDCHAIN_SIDE_BY_SIDE=1, see config.sh): the
# Go reference contract under its own name on both orgs, with medchain's
# version, sequence, endorsement policy, --init-required and role policy; its
# own package (label medchain-go_1.0), package id and server.
SBS_CHAINCODE_NAME=medchain-go
SBS_CHAINCODE_LABEL="${SBS_CHAINCODE_NAME}_${CHAINCODE_VERSION}"
CHAINCODE_SBS_PACKAGE="$CHAINCODE_DIR/$SBS_CHAINCODE_LABEL.tar.gz"
PACKAGE_ID_SBS_FILE="$CHAINCODE_DIR/package_id.$SBS_CHAINCODE_NAME"
CHAINCODE_SBS_PROCESS="chaincode-$SBS_CHAINCODE_NAME"

# Per chaincode server — rust or go (medchain's implementations) or sbs (the
# Go server of medchain-go): its package, package id file, process name,
# port, implementation, package label and the definition it serves.
impl_package() {
  case $1 in
    go) echo "$CHAINCODE_GO_PACKAGE" ;;
    sbs) echo "$CHAINCODE_SBS_PACKAGE" ;;
    *) echo "$CHAINCODE_PACKAGE" ;;
  esac
}
impl_package_id_file() {
  case $1 in
    go) echo "$PACKAGE_ID_GO_FILE" ;;
    sbs) echo "$PACKAGE_ID_SBS_FILE" ;;
    *) echo "$PACKAGE_ID_FILE" ;;
  esac
}
impl_process() {
  case $1 in
    go) echo "$CHAINCODE_GO_PROCESS" ;;
    sbs) echo "$CHAINCODE_SBS_PROCESS" ;;
    *) echo "$CHAINCODE_PROCESS" ;;
  esac
}
impl_port() {
  case $1 in
    go) echo "$CHAINCODE_GO_SERVER_PORT" ;;
    sbs) echo "$CHAINCODE_SBS_SERVER_PORT" ;;
    *) echo "$CHAINCODE_SERVER_PORT" ;;
  esac
}
impl_language() { if [[ $1 == rust ]]; then echo rust; else echo go; fi; }
impl_label() { if [[ $1 == sbs ]]; then echo "$SBS_CHAINCODE_LABEL"; else echo "$CHAINCODE_LABEL"; fi; }
impl_definition() { if [[ $1 == sbs ]]; then echo "$SBS_CHAINCODE_NAME"; else echo "$CHAINCODE_NAME"; fi; }
# The chaincode definitions on the channel: medchain, and medchain-go side by side.
chaincode_definitions() {
  echo "$CHAINCODE_NAME"
  [[ ${SIDE_BY_SIDE:-0} == 1 ]] && echo "$SBS_CHAINCODE_NAME"
  return 0
}
# definition_server DEFINITION ORG — the server ORG's peer runs DEFINITION on.
definition_server() {
  if [[ $1 == "$SBS_CHAINCODE_NAME" ]]; then echo sbs; else org_chaincode "$2"; fi
}
# The servers of DEFINITION, one per line (rust first).
definition_servers() {
  if [[ $1 == "$SBS_CHAINCODE_NAME" ]]; then echo sbs; else chaincode_impls; fi
}
# Every chaincode server the network runs.
chaincode_servers() {
  local definition
  for definition in $(chaincode_definitions); do
    definition_servers "$definition"
  done
}
# The implementation org runs, and the implementations in use (rust first).
org_chaincode() { local v="${1^^}_CHAINCODE"; echo "${!v}"; }
chaincode_impls() {
  local impl org
  for impl in rust go; do
    for org in "${PEER_ORGS[@]}"; do
      if [[ $(org_chaincode "$org") == "$impl" ]]; then
        echo "$impl"
        break
      fi
    done
  done
}
# The first org whose peer runs server impl (every org runs sbs).
impl_org() {
  local org
  [[ $1 == sbs ]] && { echo "${PEER_ORGS[0]}"; return 0; }
  for org in "${PEER_ORGS[@]}"; do
    [[ $(org_chaincode "$org") == "$1" ]] && { echo "$org"; return 0; }
  done
  return 1
}
# "<package id> (rust), <package id> (go)" for the messages of up.sh and status.sh.
package_ids() {
  local impl out=()
  for impl in $(chaincode_servers); do
    if [[ $impl == sbs ]]; then
      out+=("$(cat "$(impl_package_id_file "$impl")" 2>/dev/null) ($SBS_CHAINCODE_NAME, go)")
    else
      out+=("$(cat "$(impl_package_id_file "$impl")" 2>/dev/null) ($impl)")
    fi
  done
  local joined
  joined=$(printf '%s, ' "${out[@]}")
  echo "${joined%, }"
}

# deterministic_tar OUTPUT DIR FILES... — a gzip'd tar with fixed owners and
# times so the same inputs give the same package id.
deterministic_tar() {
  local out=$1 dir=$2
  shift 2
  tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$dir" -cf - "$@" | gzip -n >"$out"
}

# Writes the chaincode package: metadata.json {type: ccaas, label} and
# code.tar.gz with connection.json, the address and TLS settings the peers
# use to dial the chaincode server (read by network/builders/ccaas).
# package_chaincode [IMPL] — IMPL rust (default), go or sbs.
package_chaincode() {
  local impl=${1:-rust}
  local build="$CHAINCODE_DIR/package" out port label
  out=$(impl_package "$impl")
  port=$(impl_port "$impl")
  label=$(impl_label "$impl")
  rm -rf "$build"
  mkdir -p "$build/code" "$(dirname "$out")"
  (
    umask 077
    local tls=$CHAINCODE_TLS_DIR
    if [[ "$CHAINCODE_CLIENT_AUTH" == true ]]; then
      jq -n --arg address "127.0.0.1:$port" --rawfile root "$tls/ca.crt" \
        --rawfile key "$tls/client.key" --rawfile cert "$tls/client.crt" \
        '{address: $address, dial_timeout: "10s", tls_required: true, client_auth_required: true,
          root_cert: $root, client_key: $key, client_cert: $cert}'
    else
      jq -n --arg address "127.0.0.1:$port" --rawfile root "$tls/ca.crt" \
        '{address: $address, dial_timeout: "10s", tls_required: true, client_auth_required: false, root_cert: $root}'
    fi >"$build/code/connection.json"
    jq -n --arg lbl "$label" '{"type": "ccaas", "label": $lbl}' >"$build/metadata.json"
    deterministic_tar "$build/code.tar.gz" "$build/code" connection.json
    deterministic_tar "$out" "$build" metadata.json code.tar.gz
  )
  rm -rf "$build"
}

# Installs, approves and commits every chaincode definition (medchain, and
# medchain-go side by side).
deploy_chaincode() {
  local definition
  for definition in $(chaincode_definitions); do
    deploy_definition "$definition" || return 1
  done
}

# deploy_definition NAME — installs, approves and commits the definition NAME
# with an endorsement policy that needs a peer of each org and
# --init-required (the first transaction must be Init with the role policy).
# Each org installs the package of the server its peer runs NAME on and
# approves the one definition with that package's id.
deploy_definition() {
  local name=$1 org impl package_id package
  for impl in $(definition_servers "$name"); do
    package_chaincode "$impl"
    peer_cli "$(impl_org "$impl")" lifecycle chaincode calculatepackageid "$(impl_package "$impl")" >"$(impl_package_id_file "$impl")"
  done
  for org in "${PEER_ORGS[@]}"; do
    impl=$(definition_server "$name" "$org")
    package=$(impl_package "$impl")
    package_id=$(cat "$(impl_package_id_file "$impl")")
    logged "install chaincode $name ($(impl_language "$impl")) on $(peer_name "$org")" peer_cli "$org" lifecycle chaincode install "$package"
    peer_cli "$org" lifecycle chaincode queryinstalled --output json |
      jq -e --arg id "$package_id" '.installed_chaincodes[] | select(.package_id == $id)' >/dev/null || {
      echo "Chaincode package $package_id is not listed as installed on $(peer_name "$org")." >&2
      return 1
    }
  done

  local definition=(--channelID "$CHANNEL" --name "$name" --version "$CHAINCODE_VERSION"
    --sequence "$CHAINCODE_SEQUENCE" --signature-policy "$CHAINCODE_POLICY" --init-required)
  orderer_args
  for org in "${PEER_ORGS[@]}"; do
    package_id=$(cat "$(impl_package_id_file "$(definition_server "$name" "$org")")")
    logged "approve chaincode $name for $(org_msp_id "$org")" peer_cli "$org" lifecycle chaincode approveformyorg \
      "${ORDERER_ARGS[@]}" "${definition[@]}" --package-id "$package_id"
  done
  peer_cli org1 lifecycle chaincode checkcommitreadiness "${definition[@]}" --output json |
    jq -e '.approvals | all' >/dev/null || {
    echo "The chaincode definition $name is not approved by every org; see $LOG_DIR/setup.log." >&2
    return 1
  }
  peer_args
  logged "commit chaincode definition $name" peer_cli org1 lifecycle chaincode commit "${ORDERER_ARGS[@]}" "${definition[@]}" "${PEER_ARGS[@]}"
  for org in "${PEER_ORGS[@]}"; do
    logged "querycommitted $name on $(peer_name "$org")" peer_cli "$org" lifecycle chaincode querycommitted \
      --channelID "$CHANNEL" --name "$name"
  done
}

# committed_chaincode ORG [NAME] — the committed definition NAME (default
# medchain) as one line ("medchain 1.0 sequence 1 ..."), or nothing.
committed_chaincode() {
  local name=${2:-$CHAINCODE_NAME}
  peer_cli "$1" lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$name" --output json 2>/dev/null |
    jq -r --arg name "$name" '"\($name) \(.version) sequence \(.sequence) approvals \(.approvals | to_entries | map("\(.key)=\(.value)") | join(","))"' 2>/dev/null || true
}

# Prints the path of the medchain-chaincode binary, building it with
# chaincode/build.sh (cargo profile `chaincode`, statically linked) unless
# MEDCHAIN_CHAINCODE_BIN names one.
chaincode_binary() {
  if [[ -n "${MEDCHAIN_CHAINCODE_BIN:-}" ]]; then
    [[ -x "$MEDCHAIN_CHAINCODE_BIN" ]] || {
      echo "MEDCHAIN_CHAINCODE_BIN=$MEDCHAIN_CHAINCODE_BIN is not an executable file." >&2
      return 1
    }
    echo "$MEDCHAIN_CHAINCODE_BIN"
    return 0
  fi
  command -v cargo >/dev/null 2>&1 || {
    echo "cargo is not on PATH; install Rust (https://rustup.rs) to build medchain-chaincode, or set MEDCHAIN_CHAINCODE_BIN to a built binary." >&2
    return 1
  }
  echo "Building medchain-chaincode (chaincode/build.sh; log: $LOG_DIR/cargo-build.log)" >&2
  local binary
  binary=$("$REPO_DIR/chaincode/build.sh" 2>"$LOG_DIR/cargo-build.log") || {
    echo "chaincode/build.sh failed to build medchain-chaincode; last lines of $LOG_DIR/cargo-build.log:" >&2
    tail -n 15 "$LOG_DIR/cargo-build.log" >&2
    return 1
  }
  echo "$binary"
}

# Prints the path of the Go reference chaincode server, building it with
# `go build` (modules checked against chaincode/go/go.sum) unless
# MEDCHAIN_CHAINCODE_GO_BIN names one.
chaincode_go_binary() {
  if [[ -n "${MEDCHAIN_CHAINCODE_GO_BIN:-}" ]]; then
    [[ -x "$MEDCHAIN_CHAINCODE_GO_BIN" ]] || {
      echo "MEDCHAIN_CHAINCODE_GO_BIN=$MEDCHAIN_CHAINCODE_GO_BIN is not an executable file." >&2
      return 1
    }
    echo "$MEDCHAIN_CHAINCODE_GO_BIN"
    return 0
  fi
  command -v go >/dev/null 2>&1 || {
    echo "go is not on PATH; install Go to build the Go chaincode (chaincode/go), or set MEDCHAIN_CHAINCODE_GO_BIN to a built binary." >&2
    return 1
  }
  local out="${CARGO_TARGET_DIR:-"$REPO_DIR/target"}/go/medchain-chaincode-go"
  echo "Building medchain-chaincode-go (go build in chaincode/go; log: $LOG_DIR/go-build.log)" >&2
  (cd "$REPO_DIR/chaincode/go" && go build -mod=readonly -trimpath -o "$out" ./cmd/medchain-chaincode-go) >"$LOG_DIR/go-build.log" 2>&1 || {
    echo "go build of chaincode/go failed; last lines of $LOG_DIR/go-build.log:" >&2
    tail -n 15 "$LOG_DIR/go-build.log" >&2
    return 1
  }
  echo "$out"
}

# chaincode_tls_ready [IMPL] — true when that chaincode server completes a
# TLS handshake as the peers do.
chaincode_tls_ready() {
  local client=() port
  port=$(impl_port "${1:-rust}")
  [[ "$CHAINCODE_CLIENT_AUTH" == true ]] && client=(-cert "$CHAINCODE_TLS_DIR/client.crt" -key "$CHAINCODE_TLS_DIR/client.key")
  openssl s_client -connect "127.0.0.1:$port" -CAfile "$CHAINCODE_TLS_DIR/ca.crt" \
    -verify_return_error -verify_ip 127.0.0.1 "${client[@]}" </dev/null >/dev/null 2>&1
}

# chaincode_env [IMPL] — environment of that chaincode server (array
# CHAINCODE_ENV); both implementations read the same variables.
chaincode_env() {
  local impl=${1:-rust}
  CHAINCODE_ENV=(
    CHAINCODE_SERVER_ADDRESS="127.0.0.1:$(impl_port "$impl")"
    CHAINCODE_ID="$(cat "$(impl_package_id_file "$impl")")"
    CHAINCODE_TLS_CERT="$CHAINCODE_TLS_DIR/server.crt"
    CHAINCODE_TLS_KEY="$CHAINCODE_TLS_DIR/server.key"
    RUST_LOG="${MEDCHAIN_CHAINCODE_LOG:-info}"
  )
  [[ "$CHAINCODE_CLIENT_AUTH" == true ]] && CHAINCODE_ENV+=(CHAINCODE_CLIENT_CA_CERT="$CHAINCODE_TLS_DIR/ca.crt")
  return 0
}

# Starts every chaincode server (each implementation an org runs medchain
# on, and medchain-go's side by side), unless it runs.
start_chaincode_server() {
  local impl
  for impl in $(chaincode_servers); do
    start_chaincode_impl "$impl" || return 1
  done
}

start_chaincode_impl() {
  local impl=$1 binary process port language definition
  process=$(impl_process "$impl")
  port=$(impl_port "$impl")
  language=$(impl_language "$impl")
  definition=$(impl_definition "$impl")
  is_running "$process" && return 0
  if [[ $language == go ]]; then binary=$(chaincode_go_binary); else binary=$(chaincode_binary); fi || {
    echo "The Fabric network is up and chaincode '$definition' is committed (package id $(cat "$(impl_package_id_file "$impl")")), but its $language server is not running; fix the above and run network/up.sh again to start it." >&2
    return 1
  }
  require_port_free "$port" "chaincode server ($definition, $language)"
  chaincode_env "$impl"
  start_process "$process" CHAINCODE_ENV "$binary"
  wait_ready "$process" "$READY_TIMEOUT" chaincode_tls_ready "$impl" || {
    echo "$binary must keep running and serve Fabric's chaincode gRPC service over TLS at CHAINCODE_SERVER_ADDRESS; it was started with: ${CHAINCODE_ENV[*]}" >&2
    return 1
  }
  wait_ready "$process" "$READY_TIMEOUT" chaincode_answers "$(impl_org "$impl")" "$definition"
}

# chaincode_answers [ORG [NAME]] — true when a query of definition NAME
# (default medchain) through ORG's peer (default org1) reaches its chaincode
# server: either it succeeds or the error comes from the contract, not from
# the peer failing to connect to (launch) the chaincode.
chaincode_answers() {
  local out
  if out=$(peer_cli "${1:-org1}" chaincode query -C "$CHANNEL" -n "${2:-$CHAINCODE_NAME}" \
    -c '{"Args":["GetParticipant","0000000000000000"]}' 2>&1); then
    return 0
  fi
  ! grep -Eq 'could not launch chaincode|timeout expired|failed to connect|connection refused|not be found|error sending' <<<"$out"
}

# The --peerAddresses/--tlsRootCertFiles of every org's peer (array PEER_ARGS).
peer_args() {
  local org
  PEER_ARGS=()
  for org in "${PEER_ORGS[@]}"; do
    PEER_ARGS+=(--peerAddresses "127.0.0.1:$(peer_port "$org")" --tlsRootCertFiles "$(org_tls_ca "$org")")
  done
}

# Initializes every chaincode definition (medchain, and medchain-go side by
# side) with the same role policy.
initialize_chaincode() {
  local definition
  for definition in $(chaincode_definitions); do
    initialize_definition "$definition" || return 1
  done
}

# initialize_definition NAME — runs the initialization of definition NAME
# (`--isInit`, endorsed by every org's peer): Init with the role policy
# $CHAINCODE_ROLE_POLICY, encoded by the Rust chaincode binary. Fabric
# accepts it once per chaincode definition.
initialize_definition() {
  local name=$1 binary argument
  binary=$(chaincode_binary) || return 1
  # shellcheck disable=SC2086 # one policy item per word
  argument=$("$binary" policy $CHAINCODE_ROLE_POLICY) || {
    echo "The role policy CHAINCODE_ROLE_POLICY (MEDCHAIN_ROLE_POLICY) is wrong: $CHAINCODE_ROLE_POLICY" >&2
    return 1
  }
  orderer_args
  peer_args
  logged "Init $name with the role policy ($CHAINCODE_ROLE_POLICY)" peer_cli org1 chaincode invoke "${ORDERER_ARGS[@]}" \
    -C "$CHANNEL" -n "$name" --isInit --waitForEvent "${PEER_ARGS[@]}" \
    -c "{\"Args\":[\"Init\",\"$argument\"]}"
}
