#!/usr/bin/env bash
# Prints which network processes are up (pid, port, health), the channel
# height on each peer, the committed chaincode and the client profile.
# Exit status: 0 when every process is up, 1 otherwise, 2 when there is no network.
set -euo pipefail

# shellcheck source=lib/all.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/all.sh"

if [[ ! -f "$PORTS_FILE" ]]; then
  echo "No medchain network in $WORK; start one with network/up.sh."
  exit 2
fi
require_commands jq curl openssl
SAMPLECONFIG=$(fabric_sampleconfig)
load_ports
print_status
