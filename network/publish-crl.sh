#!/usr/bin/env bash
# Publishes an organisation's certificate revocation list into the channel,
# so the peers themselves refuse every certificate its Fabric CA revoked:
#
#   network/publish-crl.sh org2
#
# 1. ORG's registrar asks its CA for the current CRL (`fabric-ca-client
#    gencrl`: every certificate the CA revoked, signed by the CA);
# 2. the channel's configuration is fetched from the orderer and decoded
#    (`configtxlator`), the CRL put into ORG's MSP (`revocation_list`,
#    replacing the earlier one: the CA's CRL always lists every revocation),
#    and the update computed;
# 3. every organisation's admin signs the update (the channel's
#    Application/Admins policy is MAJORITY Admins) and it is submitted; the
#    script waits until every peer has committed the configuration block.
#
# After that a revoked certificate is refused by the peers' MSPs for every
# proposal, query or transaction, whatever client signs it. Nothing changes
# (exit 0) when the channel already holds this CRL.
#
# Env: MEDCHAIN_NETWORK_DIR (docs/network.md).
set -euo pipefail

# shellcheck source=lib/all.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib/all.sh"

org=${1:-}
if [[ $# -ne 1 ]] || [[ ! " ${PEER_ORGS[*]} " =~ " $org " ]]; then
  echo "usage: network/publish-crl.sh ORG, ORG one of: ${PEER_ORGS[*]}" >&2
  exit 2
fi
if [[ ! -f "$PORTS_FILE" ]]; then
  echo "No medchain network in $WORK; start one with network/up.sh." >&2
  exit 2
fi
require_commands jq base64
SAMPLECONFIG=$(fabric_sampleconfig)
load_ports
orderer_args
msp_id=$(org_msp_id "$org")
tmp="$WORK/crl-update"
rm -rf "$tmp"
mkdir -p "$tmp"

# 1. The CA's current CRL, as the registrar (hf.GenCRL) asks for it.
registrar_msp=$(ca_registrar_msp "$org")
rm -rf "$registrar_msp/crls"
logged "fabric-ca-client gencrl ($(ca_name "$org"))" \
  ca_client "$org" "$(dirname "$registrar_msp")" gencrl -u "$(ca_url "$org")" --mspdir "$registrar_msp"
crl="$registrar_msp/crls/crl.pem"
[[ -s "$crl" ]] || { echo "$(ca_name "$org") returned no CRL (expected $crl); see $LOG_DIR/setup.log." >&2; exit 1; }

# 2. The channel configuration, with the CRL in ORG's MSP.
ctl() { "$FABRIC_BIN/configtxlator" "$@"; }
logged "fetch the configuration of $CHANNEL" \
  peer_cli "$org" channel fetch config "$tmp/config_block.pb" -c "$CHANNEL" "${ORDERER_ARGS[@]}"
ctl proto_decode --input "$tmp/config_block.pb" --type common.Block | jq '.data.data[0].payload.data.config' >"$tmp/config.json"
jq -e --arg msp "$msp_id" '.channel_group.groups.Application.groups[$msp].values.MSP.value.config' "$tmp/config.json" >/dev/null || {
  echo "the configuration of channel $CHANNEL has no application organisation $msp_id" >&2
  exit 1
}
jq --arg msp "$msp_id" --arg crl "$(base64 -w0 "$crl")" \
  '.channel_group.groups.Application.groups[$msp].values.MSP.value.config.revocation_list = [$crl]' \
  "$tmp/config.json" >"$tmp/updated.json"
if cmp -s <(jq -S . "$tmp/config.json") <(jq -S . "$tmp/updated.json"); then
  echo "channel $CHANNEL already holds the current CRL of $(ca_name "$org") in $msp_id; nothing to do"
  exit 0
fi
ctl proto_encode --input "$tmp/config.json" --type common.Config --output "$tmp/config.pb"
ctl proto_encode --input "$tmp/updated.json" --type common.Config --output "$tmp/updated.pb"
ctl compute_update --channel_id "$CHANNEL" --original "$tmp/config.pb" --updated "$tmp/updated.pb" --output "$tmp/update.pb"
ctl proto_decode --input "$tmp/update.pb" --type common.ConfigUpdate >"$tmp/update.json"
jq -n --arg channel "$CHANNEL" --slurpfile update "$tmp/update.json" \
  '{payload: {header: {channel_header: {channel_id: $channel, type: 2}}, data: {config_update: $update[0]}}}' \
  >"$tmp/envelope.json"
ctl proto_encode --input "$tmp/envelope.json" --type common.Envelope --output "$tmp/envelope.pb"

# 3. Every organisation's admin signs; the last one submits.
heights=()
for other in "${PEER_ORGS[@]}"; do
  heights+=("$(channel_height "$other")")
done
last=${PEER_ORGS[-1]}
for other in "${PEER_ORGS[@]}"; do
  [[ $other == "$last" ]] && break
  logged "$(org_msp_id "$other") admin signs the CRL update" peer_cli "$other" channel signconfigtx -f "$tmp/envelope.pb"
done
logged "submit the CRL update of $msp_id" \
  peer_cli "$last" channel update -f "$tmp/envelope.pb" -c "$CHANNEL" "${ORDERER_ARGS[@]}"
i=0
for other in "${PEER_ORGS[@]}"; do
  for _ in $(seq 1 100); do
    (($(channel_height "$other") > ${heights[$i]})) && break
    sleep 0.1
  done
  if (($(channel_height "$other") <= ${heights[$i]})); then
    echo "$(peer_name "$other") did not commit the configuration update within 10 s; check network/status.sh and $LOG_DIR" >&2
    exit 1
  fi
  i=$((i + 1))
done
revoked=$(openssl crl -in "$crl" -noout -text | grep -c 'Serial Number:' || true)
echo "published the CRL of $(ca_name "$org") ($revoked revoked certificate(s)) into $msp_id on channel $CHANNEL"
