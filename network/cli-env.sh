#!/usr/bin/env bash
# Prints the environment for Fabric's peer CLI acting as an org's admin (or
# as a test role) against that org's peer of the running network:
#   eval "$(network/cli-env.sh org1)"            # Admin@org1.example.com
#   eval "$(network/cli-env.sh org2 lawyer)"      # a role from profile.json
# then e.g. `peer channel getinfo -c medchain`. Also puts Fabric's bin on PATH
# and sets ORDERER_CA / ORDERER_ADDRESS for commands that talk to the orderer.
set -euo pipefail

# shellcheck source=lib/all.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/all.sh"

org=${1:-}
role=${2:-}
if [[ ! " ${PEER_ORGS[*]} " == *" $org "* ]]; then
  echo "usage: network/cli-env.sh ORG [ROLE] with ORG one of: ${PEER_ORGS[*]} (got '$org')" >&2
  exit 2
fi
if [[ ! -f "$PORTS_FILE" ]]; then
  echo "No medchain network in $WORK; start one with network/up.sh." >&2
  exit 1
fi
SAMPLECONFIG=$(fabric_sampleconfig)
load_ports
cli_env "$org"
if [[ -n "$role" ]]; then
  msp=$(jq -er --arg role "$role" --arg org "$org" '.roles[$role] | select(.org == $org) | .msp_dir' "$PROFILE") || {
    echo "'$role' is not a role of $org in $PROFILE; roles: $(jq -r '.roles | keys | join(", ")' "$PROFILE")." >&2
    exit 2
  }
  CLI_ENV+=(CORE_PEER_MSPCONFIGPATH="$msp")
fi
CLI_ENV+=(ORDERER_ADDRESS="127.0.0.1:$ORDERER_PORT" ORDERER_CA="$ORDERER_TLS_CA" PATH="$FABRIC_BIN:$PATH")
for assignment in "${CLI_ENV[@]}"; do
  printf 'export %s=%q\n' "${assignment%%=*}" "${assignment#*=}"
done
