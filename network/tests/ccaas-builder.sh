#!/usr/bin/env bash
# Tests of the external builder network/builders/ccaas/bin/{detect,build,release}
# against the argument and directory conventions of Fabric's external builders.
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

bin=$(cd "$(dirname "${BASH_SOURCE[0]}")/../builders/ccaas/bin" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

# check NAME EXPECTED_STATUS STDERR_PATTERN COMMAND...
check() {
  local name=$1 want=$2 pattern=$3 status=0
  shift 3
  "$@" 2>"$tmp/stderr" >/dev/null || status=$?
  if [[ "$status" == "$want" ]] && { [[ -z "$pattern" ]] || grep -q -- "$pattern" "$tmp/stderr"; }; then
    echo "ok   $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name (status $status, want $want; stderr: $(cat "$tmp/stderr"))"
    failed=$((failed + 1))
  fi
}

fresh() {
  rm -rf "$tmp/case"
  mkdir -p "$tmp/case/src" "$tmp/case/meta" "$tmp/case/out" "$tmp/case/release"
}

fresh
echo '{"type": "ccaas", "label": "medchain_1.0"}' >"$tmp/case/meta/metadata.json"
check "detect claims type ccaas" 0 "" "$bin/detect" "$tmp/case/src" "$tmp/case/meta"
printf '{\n  "label": "x",\n  "type" :\n "ccaas"\n}\n' >"$tmp/case/meta/metadata.json"
check "detect reads multi-line metadata" 0 "" "$bin/detect" "$tmp/case/src" "$tmp/case/meta"
echo '{"type": "golang", "label": "medchain_1.0"}' >"$tmp/case/meta/metadata.json"
check "detect declines type golang" 1 "" "$bin/detect" "$tmp/case/src" "$tmp/case/meta"
echo '{"label": "ccaas"}' >"$tmp/case/meta/metadata.json"
check "detect declines a label ccaas without type" 1 "" "$bin/detect" "$tmp/case/src" "$tmp/case/meta"
rm "$tmp/case/meta/metadata.json"
check "detect declines missing metadata.json" 1 "" "$bin/detect" "$tmp/case/src" "$tmp/case/meta"

fresh
check "build rejects a package without connection.json" 1 "has no connection.json" \
  "$bin/build" "$tmp/case/src" "$tmp/case/meta" "$tmp/case/out"
echo '{"dial_timeout": "10s"}' >"$tmp/case/src/connection.json"
check "build rejects connection.json without address" 1 'has no "address"' \
  "$bin/build" "$tmp/case/src" "$tmp/case/meta" "$tmp/case/out"
echo '{"address": "127.0.0.1:7056", "tls_required": true}' >"$tmp/case/src/connection.json"
mkdir -p "$tmp/case/src/META-INF/statedb/couchdb/indexes"
echo '{"index": {"fields": ["a"]}}' >"$tmp/case/src/META-INF/statedb/couchdb/indexes/a.json"
check "build copies connection.json and META-INF" 0 "" "$bin/build" "$tmp/case/src" "$tmp/case/meta" "$tmp/case/out"
check "build output has connection.json" 0 "" cmp "$tmp/case/src/connection.json" "$tmp/case/out/connection.json"
check "build output has META-INF" 0 "" test -f "$tmp/case/out/META-INF/statedb/couchdb/indexes/a.json"

check "release copies connection.json for the peer" 0 "" "$bin/release" "$tmp/case/out" "$tmp/case/release"
check "release output at chaincode/server/connection.json" 0 "" \
  cmp "$tmp/case/src/connection.json" "$tmp/case/release/chaincode/server/connection.json"
check "release output has statedb indexes" 0 "" test -f "$tmp/case/release/statedb/couchdb/indexes/a.json"
check "release rejects a build output without connection.json" 1 "connection.json is missing" \
  "$bin/release" "$tmp/case/meta" "$tmp/case/release2"

echo "$passed passed, $failed failed"
((failed == 0))
