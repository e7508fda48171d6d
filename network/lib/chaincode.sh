# shellcheck shell=bash
# The medchain chaincode as a service: package (type ccaas), lifecycle
# (install, approve, commit) and the medchain-chaincode server process.

CHAINCODE_PACKAGE="$CHAINCODE_DIR/$CHAINCODE_LABEL.tar.gz"
PACKAGE_ID_FILE="$CHAINCODE_DIR/package_id"
CHAINCODE_PROCESS=chaincode

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
package_chaincode() {
  local build="$CHAINCODE_DIR/package"
  rm -rf "$build"
  mkdir -p "$build/code"
  (
    umask 077
    local tls=$CHAINCODE_TLS_DIR
    if [[ "$CHAINCODE_CLIENT_AUTH" == true ]]; then
      jq -n --arg address "127.0.0.1:$CHAINCODE_SERVER_PORT" --rawfile root "$tls/ca.crt" \
        --rawfile key "$tls/client.key" --rawfile cert "$tls/client.crt" \
        '{address: $address, dial_timeout: "10s", tls_required: true, client_auth_required: true,
          root_cert: $root, client_key: $key, client_cert: $cert}'
    else
      jq -n --arg address "127.0.0.1:$CHAINCODE_SERVER_PORT" --rawfile root "$tls/ca.crt" \
        '{address: $address, dial_timeout: "10s", tls_required: true, client_auth_required: false, root_cert: $root}'
    fi >"$build/code/connection.json"
    jq -n --arg lbl "$CHAINCODE_LABEL" '{"type": "ccaas", "label": $lbl}' >"$build/metadata.json"
    deterministic_tar "$build/code.tar.gz" "$build/code" connection.json
    deterministic_tar "$CHAINCODE_PACKAGE" "$build" metadata.json code.tar.gz
  )
  rm -rf "$build"
}

# Installs, approves and commits the chaincode definition with an endorsement
# policy that needs a peer of each org and --init-required (the first
# transaction must be Init with the role policy); records the package id.
deploy_chaincode() {
  local org package_id
  package_chaincode
  package_id=$(peer_cli org1 lifecycle chaincode calculatepackageid "$CHAINCODE_PACKAGE")
  for org in "${PEER_ORGS[@]}"; do
    logged "install chaincode on $(peer_name "$org")" peer_cli "$org" lifecycle chaincode install "$CHAINCODE_PACKAGE"
    peer_cli "$org" lifecycle chaincode queryinstalled --output json |
      jq -e --arg id "$package_id" '.installed_chaincodes[] | select(.package_id == $id)' >/dev/null || {
      echo "Chaincode package $package_id is not listed as installed on $(peer_name "$org")." >&2
      return 1
    }
  done
  echo "$package_id" >"$PACKAGE_ID_FILE"

  local definition=(--channelID "$CHANNEL" --name "$CHAINCODE_NAME" --version "$CHAINCODE_VERSION"
    --sequence "$CHAINCODE_SEQUENCE" --signature-policy "$CHAINCODE_POLICY" --init-required)
  orderer_args
  for org in "${PEER_ORGS[@]}"; do
    logged "approve chaincode for $(org_msp_id "$org")" peer_cli "$org" lifecycle chaincode approveformyorg \
      "${ORDERER_ARGS[@]}" "${definition[@]}" --package-id "$package_id"
  done
  peer_cli org1 lifecycle chaincode checkcommitreadiness "${definition[@]}" --output json |
    jq -e '.approvals | all' >/dev/null || {
    echo "The chaincode definition is not approved by every org; see $LOG_DIR/setup.log." >&2
    return 1
  }
  peer_args
  logged "commit chaincode definition" peer_cli org1 lifecycle chaincode commit "${ORDERER_ARGS[@]}" "${definition[@]}" "${PEER_ARGS[@]}"
  for org in "${PEER_ORGS[@]}"; do
    logged "querycommitted on $(peer_name "$org")" peer_cli "$org" lifecycle chaincode querycommitted \
      --channelID "$CHANNEL" --name "$CHAINCODE_NAME"
  done
}

# The committed definition as one line ("medchain 1.0 sequence 1 ..."), or nothing.
committed_chaincode() {
  peer_cli "$1" lifecycle chaincode querycommitted --channelID "$CHANNEL" --name "$CHAINCODE_NAME" --output json 2>/dev/null |
    jq -r --arg name "$CHAINCODE_NAME" '"\($name) \(.version) sequence \(.sequence) approvals \(.approvals | to_entries | map("\(.key)=\(.value)") | join(","))"' 2>/dev/null || true
}

# Prints the path of the medchain-chaincode binary, building it with cargo
# unless MEDCHAIN_CHAINCODE_BIN names one.
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
  echo "Building medchain-chaincode (cargo build --release -p medchain-chaincode; log: $LOG_DIR/cargo-build.log)" >&2
  (cd "$REPO_DIR" && cargo build --release -p medchain-chaincode) >"$LOG_DIR/cargo-build.log" 2>&1 || {
    echo "cargo build --release -p medchain-chaincode failed; last lines of $LOG_DIR/cargo-build.log:" >&2
    tail -n 15 "$LOG_DIR/cargo-build.log" >&2
    return 1
  }
  local target=${CARGO_TARGET_DIR:-"$REPO_DIR/target"}
  echo "$target/release/medchain-chaincode"
}

# True when the chaincode server completes a TLS handshake as the peers do.
chaincode_tls_ready() {
  local client=()
  [[ "$CHAINCODE_CLIENT_AUTH" == true ]] && client=(-cert "$CHAINCODE_TLS_DIR/client.crt" -key "$CHAINCODE_TLS_DIR/client.key")
  openssl s_client -connect "127.0.0.1:$CHAINCODE_SERVER_PORT" -CAfile "$CHAINCODE_TLS_DIR/ca.crt" \
    -verify_return_error -verify_ip 127.0.0.1 "${client[@]}" </dev/null >/dev/null 2>&1
}

# Environment of the chaincode server (array CHAINCODE_ENV).
chaincode_env() {
  CHAINCODE_ENV=(
    CHAINCODE_SERVER_ADDRESS="127.0.0.1:$CHAINCODE_SERVER_PORT"
    CHAINCODE_ID="$(cat "$PACKAGE_ID_FILE")"
    CHAINCODE_TLS_CERT="$CHAINCODE_TLS_DIR/server.crt"
    CHAINCODE_TLS_KEY="$CHAINCODE_TLS_DIR/server.key"
    RUST_LOG="${MEDCHAIN_CHAINCODE_LOG:-info}"
  )
  [[ "$CHAINCODE_CLIENT_AUTH" == true ]] && CHAINCODE_ENV+=(CHAINCODE_CLIENT_CA_CERT="$CHAINCODE_TLS_DIR/ca.crt")
  return 0
}

start_chaincode_server() {
  is_running "$CHAINCODE_PROCESS" && return 0
  local binary
  binary=$(chaincode_binary) || {
    echo "The Fabric network is up and chaincode '$CHAINCODE_NAME' is committed (package id $(cat "$PACKAGE_ID_FILE")), but its server is not running; fix the above and run network/up.sh again to start it." >&2
    return 1
  }
  require_port_free "$CHAINCODE_SERVER_PORT" "chaincode server"
  chaincode_env
  start_process "$CHAINCODE_PROCESS" CHAINCODE_ENV "$binary"
  wait_ready "$CHAINCODE_PROCESS" "$READY_TIMEOUT" chaincode_tls_ready || {
    echo "$binary must keep running and serve Fabric's chaincode gRPC service over TLS at CHAINCODE_SERVER_ADDRESS; it was started with: ${CHAINCODE_ENV[*]}" >&2
    return 1
  }
  wait_ready "$CHAINCODE_PROCESS" "$READY_TIMEOUT" chaincode_answers
}

# True when a query through peer0.org1 reaches the chaincode server: either it
# succeeds or the error comes from the contract, not from the peer failing to
# connect to (launch) the chaincode.
chaincode_answers() {
  local out
  if out=$(peer_cli org1 chaincode query -C "$CHANNEL" -n "$CHAINCODE_NAME" \
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

# Runs the chaincode's initialization (`--isInit`, endorsed by every org's
# peer): Init with the role policy $CHAINCODE_ROLE_POLICY, encoded by the
# chaincode binary itself. Fabric accepts it once per chaincode definition.
initialize_chaincode() {
  local binary argument
  binary=$(chaincode_binary) || return 1
  # shellcheck disable=SC2086 # one policy item per word
  argument=$("$binary" policy $CHAINCODE_ROLE_POLICY) || {
    echo "The role policy CHAINCODE_ROLE_POLICY (MEDCHAIN_ROLE_POLICY) is wrong: $CHAINCODE_ROLE_POLICY" >&2
    return 1
  }
  orderer_args
  peer_args
  logged "Init with the role policy ($CHAINCODE_ROLE_POLICY)" peer_cli org1 chaincode invoke "${ORDERER_ARGS[@]}" \
    -C "$CHANNEL" -n "$CHAINCODE_NAME" --isInit --waitForEvent "${PEER_ARGS[@]}" \
    -c "{\"Args\":[\"Init\",\"$argument\"]}"
}
