# shellcheck shell=bash
# Fabric's own command-line tools run as an org administrator.

# Environment of the peer CLI acting as ORG's admin against ORG's peer (array CLI_ENV).
cli_env() {
  local org=$1
  CLI_ENV=(
    FABRIC_CFG_PATH="$SAMPLECONFIG"
    FABRIC_LOGGING_SPEC=warning
    CORE_PEER_LOCALMSPID="$(org_msp_id "$org")"
    CORE_PEER_MSPCONFIGPATH="$(org_admin_msp "$org")"
    CORE_PEER_ADDRESS="127.0.0.1:$(peer_port "$org")"
    CORE_PEER_TLS_ENABLED=true
    CORE_PEER_TLS_ROOTCERT_FILE="$(org_tls_ca "$org")"
  )
}

# peer_cli ORG ARGS... — `peer ARGS...` as ORG's admin.
peer_cli() {
  local org=$1
  shift
  cli_env "$org"
  env -i PATH="$PATH" HOME="$HOME" "${CLI_ENV[@]}" "$FABRIC_BIN/peer" "$@"
}

# Arguments that point a peer CLI command at the orderer over TLS.
orderer_args() {
  ORDERER_ARGS=(-o "127.0.0.1:$ORDERER_PORT" --tls --cafile "$ORDERER_TLS_CA")
}

# osnadmin ARGS... — the orderer's channel participation API as the orderer org admin (mutual TLS).
osnadmin_cli() {
  "$FABRIC_BIN/osnadmin" "$@" -o "127.0.0.1:$ORDERER_ADMIN_PORT" --ca-file "$ORDERER_TLS_CA" \
    --client-cert "$ORDERER_ADMIN_TLS_DIR/client.crt" --client-key "$ORDERER_ADMIN_TLS_DIR/client.key"
}

# logged DESCRIPTION COMMAND [ARGS...] — runs COMMAND with its output in
# setup.log; on failure prints the output's tail and fails.
logged() {
  local what=$1
  shift
  local out
  if out=$("$@" 2>&1); then
    printf '### %s\n%s\n' "$what" "$out" >>"$LOG_DIR/setup.log"
    return 0
  fi
  printf '### %s (FAILED)\n%s\n' "$what" "$out" >>"$LOG_DIR/setup.log"
  echo "Failed: $what:" >&2
  tail -n 15 <<<"$out" >&2
  return 1
}
