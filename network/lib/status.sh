# shellcheck shell=bash
# What is running and what the channel holds. Used by status.sh and up.sh.

# Prints one line per process; returns 1 when any is down.
print_processes() {
  local all_up=0 name port health pid
  local entries=(
    "orderer $ORDERER_PORT $ORDERER_OPERATIONS_PORT $ORDERER_TLS_CA"
    "$(peer_name org1) $ORG1_PEER_PORT $ORG1_OPERATIONS_PORT $(org_tls_ca org1)"
    "$(peer_name org2) $ORG2_PEER_PORT $ORG2_OPERATIONS_PORT $(org_tls_ca org2)"
    "$CHAINCODE_PROCESS $CHAINCODE_SERVER_PORT - rust"
    "$CHAINCODE_GO_PROCESS $CHAINCODE_GO_SERVER_PORT - go"
    "$(ca_process org1) $ORG1_CA_PORT ca org1"
    "$(ca_process org2) $ORG2_CA_PORT ca org2"
    "$IPFS_PROCESS $IPFS_API_PORT ipfs -"
  )
  local entry ops ca
  for entry in "${entries[@]}"; do
    read -r name port ops ca <<<"$entry"
    # A chaincode implementation no org runs has no server.
    if [[ "$ops" == - && " $(chaincode_impls | tr '\n' ' ') " != *" $ca "* ]]; then
      continue
    fi
    if pid=$(running_pid "$name"); then
      if [[ "$ops" == - ]]; then
        health=$(chaincode_tls_ready "$ca" && echo "tls handshake ok" || echo "not accepting TLS")
      elif [[ "$ops" == ipfs ]]; then
        health=$(ipfs_healthy && echo "api ok (Kubo $KUBO_VERSION, private swarm 127.0.0.1:$IPFS_SWARM_PORT)" || echo "NOT answering its API")
      elif [[ "$ops" == ca ]]; then
        health=$(ca_healthy "$ca" && echo "cainfo ok ($(ca_name "$ca"))" || echo "NOT answering cainfo ($(ca_name "$ca"))")
      else
        health=$(healthy "$ops" "$ca" && echo "healthy (ops 127.0.0.1:$ops)" || echo "NOT healthy (ops 127.0.0.1:$ops)")
      fi
      printf '  %-24s up    pid %-7s 127.0.0.1:%-5s %s\n' "$name" "$pid" "$port" "$health"
    else
      printf '  %-24s DOWN                127.0.0.1:%-5s log %s\n' "$name" "$port" "$LOG_DIR/$name.log"
      all_up=1
    fi
  done
  return "$all_up"
}

# Prints the whole status; returns 1 unless every process is up.
print_status() {
  local rc=0 org
  echo "medchain network (work dir $WORK, port base $PORT_BASE)"
  echo "processes:"
  print_processes || rc=1
  echo "channel $CHANNEL:"
  for org in "${PEER_ORGS[@]}"; do
    if is_running "$(peer_name "$org")"; then
      printf '  %-24s height %s\n' "$(peer_name "$org")" "$(channel_height "$org" || true)"
      printf '  %-24s committed %s\n' "" "$(committed_chaincode "$org")"
      print_endorsers "$org" | sed 's/^/                           discovery /'
    fi
  done
  echo "chaincode: org1 runs $ORG1_CHAINCODE, org2 runs $ORG2_CHAINCODE; package ids: $(package_ids)"
  [[ -f "$PROFILE" ]] && echo "client profile: $PROFILE"
  return "$rc"
}
