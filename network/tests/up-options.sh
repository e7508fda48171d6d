#!/usr/bin/env bash
# network/up.sh refuses a bad MEDCHAIN_BATCH_TIMEOUT before it installs or
# starts anything: exit 1, one sentence on stderr, no work directory.
# Prints one line per case and "N passed, N failed"; exits 1 on any failure.
set -euo pipefail

network=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

for value in 0ms 2001ms 20 5s -1ms abc 020ms; do
  code=0
  err=$(MEDCHAIN_NETWORK_DIR="$tmp/work" MEDCHAIN_BATCH_TIMEOUT=$value bash "$network/up.sh" 2>&1 >/dev/null) || code=$?
  if [[ $code -eq 1 && $(wc -l <<<"$err") -eq 1 && $err == *"MEDCHAIN_BATCH_TIMEOUT=$value is not a time from 1ms to 2000ms"* && ! -e "$tmp/work" ]]; then
    echo "ok   MEDCHAIN_BATCH_TIMEOUT=$value is refused"
    passed=$((passed + 1))
  else
    echo "FAIL MEDCHAIN_BATCH_TIMEOUT=$value: exit $code, stderr: $err"
    failed=$((failed + 1))
  fi
done

echo "up-options.sh: $passed passed, $failed failed"
((failed == 0))
