#!/usr/bin/env bash
# network/up.sh refuses a bad MEDCHAIN_BATCH_TIMEOUT, a bad
# MEDCHAIN_SIDE_BY_SIDE, MEDCHAIN_SIDE_BY_SIDE=1 with an org running go and a
# bad MEDCHAIN_ENDORSERS before it installs or starts anything: exit 1, one
# sentence on stderr, no work directory. Then, without a network, the
# side-by-side option's persistence in ports.env, the second profile and the
# profile's named endorsers (lib/config.sh, lib/chaincode.sh, lib/profile.sh).
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
# The expressions in single quotes are expanded by the shell that loads the libraries.
# shellcheck disable=SC2016
set -euo pipefail

network=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check DESCRIPTION CONDITION... — counts CONDITION (a command) as a case.
check() {
  local what=$1
  shift
  if "$@"; then
    echo "ok   $what"
    passed=$((passed + 1))
  else
    echo "FAIL $what"
    failed=$((failed + 1))
  fi
}

quiet() { "$@" >/dev/null; }

# refused EXPECTED VAR=VALUE... — true when up.sh with these variables exits
# 1 with one line on stderr containing EXPECTED and creates no work directory.
refused() {
  local expected=$1 code=0 err
  shift
  err=$(env -u MEDCHAIN_BATCH_TIMEOUT -u MEDCHAIN_SIDE_BY_SIDE -u MEDCHAIN_ENDORSERS -u MEDCHAIN_CHAINCODE_ORG1 -u MEDCHAIN_CHAINCODE_ORG2 \
    MEDCHAIN_NETWORK_DIR="$tmp/work" "$@" bash "$network/up.sh" 2>&1 >/dev/null) || code=$?
  if [[ $code -eq 1 && $(wc -l <<<"$err") -eq 1 && $err == *"$expected"* && ! -e "$tmp/work" ]]; then
    return 0
  fi
  echo "     exit $code, stderr: $err"
  return 1
}

for value in 0ms 2001ms 20 5s -1ms abc 020ms; do
  check "MEDCHAIN_BATCH_TIMEOUT=$value is refused" \
    refused "MEDCHAIN_BATCH_TIMEOUT=$value is not a time from 1ms to 2000ms" MEDCHAIN_BATCH_TIMEOUT="$value"
done
for value in yes true 2 on; do
  check "MEDCHAIN_SIDE_BY_SIDE=$value is refused" \
    refused "MEDCHAIN_SIDE_BY_SIDE must be 1" MEDCHAIN_SIDE_BY_SIDE="$value"
done
for org in ORG1 ORG2; do
  check "MEDCHAIN_SIDE_BY_SIDE=1 with MEDCHAIN_CHAINCODE_$org=go is refused" \
    refused "MEDCHAIN_SIDE_BY_SIDE=1 cannot be combined with MEDCHAIN_CHAINCODE_$org=go:" \
    MEDCHAIN_SIDE_BY_SIDE=1 MEDCHAIN_CHAINCODE_"$org"=go
done
for value in Named both auto; do
  check "MEDCHAIN_ENDORSERS=$value is refused" \
    refused "MEDCHAIN_ENDORSERS must be named (the profile names every organization of the endorsement policy) or gateway (the gateway chooses), not '$value'." \
    MEDCHAIN_ENDORSERS="$value"
done
check "MEDCHAIN_CHAINCODE_ORG2=banana is refused before anything starts" \
  refused "MEDCHAIN_CHAINCODE_ORG2 must be rust or go, not 'banana'." MEDCHAIN_CHAINCODE_ORG2=banana

# lib EXPRESSION [VAR=VALUE...] — prints what EXPRESSION prints with the
# network libraries loaded for the work directory $tmp/lib (stderr too).
lib() {
  local expression=$1
  shift
  env -u MEDCHAIN_SIDE_BY_SIDE -u MEDCHAIN_ENDORSERS -u MEDCHAIN_CHAINCODE_ORG1 -u MEDCHAIN_CHAINCODE_ORG2 \
    MEDCHAIN_NETWORK_DIR="$tmp/lib" MEDCHAIN_NETWORK_PORT_BASE=30000 "$@" \
    bash -c "set -euo pipefail; source '$network/lib/all.sh'; $expression" 2>&1
}

out=$(lib 'load_ports; save_ports; cat "$PORTS_FILE"' MEDCHAIN_SIDE_BY_SIDE=1)
check "MEDCHAIN_SIDE_BY_SIDE=1 is saved in ports.env" grep -qx 'SIDE_BY_SIDE=1' <<<"$out"
out=$(lib 'load_ports; echo $SIDE_BY_SIDE $(chaincode_definitions) / $(chaincode_servers) / $CHAINCODE_SBS_PROCESS $CHAINCODE_SBS_SERVER_PORT $LAST_PORT $(impl_label sbs) $(basename "$(impl_package_id_file sbs)")')
check "a re-run reads it back: definitions, servers, process, port, label, package id file ($out)" \
  test "$out" = "1 medchain medchain-go / rust sbs / chaincode-medchain-go 30018 30018 medchain-go_1.0 package_id.medchain-go"
out=$(lib 'load_ports; echo $SIDE_BY_SIDE' MEDCHAIN_SIDE_BY_SIDE=0)
check "MEDCHAIN_SIDE_BY_SIDE=0 on a side-by-side work directory is noted and ignored" \
  grep -q "was created with MEDCHAIN_SIDE_BY_SIDE=1; MEDCHAIN_SIDE_BY_SIDE=0 is ignored" <<<"$out"
check "... and the saved 1 holds" test "$(tail -n 1 <<<"$out")" = 1
printf 'PORT_BASE=30000\nORG1_CHAINCODE=rust\nORG2_CHAINCODE=rust\n' >"$tmp/lib/ports.env"
out=$(lib 'load_ports; echo $SIDE_BY_SIDE $(chaincode_definitions) / $(chaincode_servers) $LAST_PORT' MEDCHAIN_SIDE_BY_SIDE=1)
check "a work directory from before the option is not side by side ($(tail -n 1 <<<"$out"))" \
  test "$(tail -n 1 <<<"$out")" = "0 medchain / rust 30017"
rm -rf "${tmp:?}/lib"
out=$(lib 'load_ports; echo $(chaincode_servers)' MEDCHAIN_CHAINCODE_ORG2=go)
check "without the option a mixed network runs rust and go for medchain only ($out)" test "$out" = "rust go"

jq -n '{version: 1, channel: "medchain", chaincode: "medchain", work_dir: "/w", orgs: {org1: {msp_id: "Org1MSP"}},
  roles: {doctor: {org: "org1"}}, chaincode_servers: ["chaincode"]}' >"$tmp/profile.json"
lib "side_by_side_profile '$tmp/profile.json' '$tmp/profile-go.json' medchain medchain-go '[\"chaincode-medchain-go\"]'" >/dev/null
check "profile-go.json names medchain-go, its server and medchain as the other definition" \
  quiet jq -e '.chaincode == "medchain-go" and .side_by_side_chaincode == "medchain" and .chaincode_servers == ["chaincode-medchain-go"]' "$tmp/profile-go.json"
check "... and is otherwise the profile" \
  quiet jq -e --slurpfile p "$tmp/profile.json" 'del(.chaincode, .side_by_side_chaincode, .chaincode_servers) == ($p[0] | del(.chaincode, .chaincode_servers))' "$tmp/profile-go.json"

out=$(lib "with_endorsers '$tmp/profile.json' | jq -c .endorsing_orgs")
check "by default the profile names the policy's organizations as endorsers ($out)" test "$out" = '["Org1MSP","Org2MSP"]'
jq '.endorsing_orgs = ["Org1MSP"]' "$tmp/profile.json" >"$tmp/named.json"
out=$(lib "with_endorsers '$tmp/named.json' | jq -c 'has(\"endorsing_orgs\")'" MEDCHAIN_ENDORSERS=gateway)
check "MEDCHAIN_ENDORSERS=gateway leaves endorsing_orgs out ($out)" test "$out" = false

echo "up-options.sh: $passed passed, $failed failed"
((failed == 0))
