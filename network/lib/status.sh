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
    "$CHAINCODE_SBS_PROCESS $CHAINCODE_SBS_SERVER_PORT - sbs"
    "$(ca_process org1) $ORG1_CA_PORT ca org1"
    "$(ca_process org2) $ORG2_CA_PORT ca org2"
    "$IPFS_PROCESS $IPFS_API_PORT ipfs -"
  )
  local entry ops ca
  for entry in "${entries[@]}"; do
    read -r name port ops ca <<<"$entry"
    # A chaincode server the network does not run (no org runs that
    # implementation, or no side-by-side definition).
    if [[ "$ops" == - && " $(chaincode_servers | tr '\n' ' ') " != *" $ca "* ]]; then
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
  local rc=0 org definition
  echo "medchain network (work dir $WORK, port base $PORT_BASE)"
  echo "processes:"
  print_processes || rc=1
  echo "channel $CHANNEL:"
  for org in "${PEER_ORGS[@]}"; do
    if is_running "$(peer_name "$org")"; then
      printf '  %-24s height %s\n' "$(peer_name "$org")" "$(channel_height "$org" || true)"
      for definition in $(chaincode_definitions); do
        printf '  %-24s committed %s\n' "" "$(committed_chaincode "$org" "$definition")"
        print_endorsers "$org" "$definition" | sed "s/^/                           discovery $definition /"
      done
    fi
  done
  echo "chaincode: org1 runs $ORG1_CHAINCODE, org2 runs $ORG2_CHAINCODE; package ids: $(package_ids)"
  if [[ $SIDE_BY_SIDE == 1 ]]; then
    echo "side by side: $SBS_CHAINCODE_NAME runs the Go contract on both orgs ($CHAINCODE_SBS_PROCESS, 127.0.0.1:$CHAINCODE_SBS_SERVER_PORT)"
  fi
  [[ -f "$PROFILE" ]] && echo "client profile: $PROFILE"
  [[ $SIDE_BY_SIDE == 1 && -f "$PROFILE_GO" ]] && echo "client profile ($SBS_CHAINCODE_NAME): $PROFILE_GO"
  return "$rc"
}
