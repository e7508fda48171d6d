#!/usr/bin/env bash
# Regenerates chaincode/go/medchainpb/medchain.pb.go from
# protos/medchain/medchain.proto, or with --check verifies that the committed
# file is what the pinned generator makes of the current .proto (run by
# tests/run-all.sh, so CI fails when the two drift apart).
#
# Fetches protoc 3.21.12 (Google's release binary from Maven Central,
# SHA-256 pinned below) into ~/.cache/medchain/. protoc-gen-go is built by
# `go install` at the exact version of google.golang.org/protobuf in go.mod
# (checked against go.sum by the Go toolchain) into ~/.cache/medchain/.
#
#   bash chaincode/go/gen-proto.sh          # rewrite the generated file
#   bash chaincode/go/gen-proto.sh --check  # exit 1 if it is stale
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
out="$here/medchainpb/medchain.pb.go"

# protoc itself: Google's release binary from Maven Central, pinned and
# hash-checked, cached beside the Fabric binaries (no system package needed).
protoc_version=3.21.12
protoc_sha256=e6a75cf6660945fbfec0d321808442ce3649cd7820079eece1098c881b315f55
protoc_url="https://repo1.maven.org/maven2/com/google/protobuf/protoc/$protoc_version/protoc-$protoc_version-linux-x86_64.exe"
protoc="${XDG_CACHE_HOME:-$HOME/.cache}/medchain/protoc-$protoc_version/protoc"
if [[ "$(uname -sm)" != "Linux x86_64" ]]; then
  echo "gen-proto.sh fetches protoc for Linux x86_64 only; on $(uname -sm) set PROTOC to a protoc $protoc_version" >&2
  [[ -n "${PROTOC:-}" ]] || exit 1
  protoc=$PROTOC
elif [[ ! -x "$protoc" ]] || ! echo "$protoc_sha256  $protoc" | sha256sum --check --status; then
  mkdir -p "$(dirname "$protoc")"
  curl -sSfL --retry 3 -o "$protoc.download" "$protoc_url" || {
    echo "could not download protoc $protoc_version from $protoc_url; check the network and run this again" >&2
    exit 1
  }
  if ! echo "$protoc_sha256  $protoc.download" | sha256sum --check --status; then
    rm -f "$protoc.download"
    echo "the downloaded protoc $protoc_version does not have the pinned SHA-256 $protoc_sha256; refusing to run it" >&2
    exit 1
  fi
  chmod 0755 "$protoc.download"
  mv "$protoc.download" "$protoc"
fi
command -v go >/dev/null 2>&1 || {
  echo "go is not installed; install Go >= 1.24 to build protoc-gen-go" >&2
  exit 1
}
version=$(cd "$here" && go list -m -f '{{.Version}}' google.golang.org/protobuf)
bin="${XDG_CACHE_HOME:-$HOME/.cache}/medchain/protoc-gen-go-$version"
if [[ ! -x "$bin/protoc-gen-go" ]]; then
  mkdir -p "$bin"
  (cd "$here" && GOBIN="$bin" go install "google.golang.org/protobuf/cmd/protoc-gen-go")
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
PATH="$bin:$PATH" "$protoc" -I "$repo/protos/medchain" \
  --go_out="$tmp" --go_opt=paths=source_relative \
  --go_opt=Mmedchain.proto=medchain/chaincode/go/medchainpb \
  medchain.proto
# The header names the protoc release ("// \tprotoc vX.Y.Z"); a distribution's
# protoc update must not make the check fail, so that one line is not compared.
strip() { grep -v '^// 	protoc ' "$1"; }
if [[ "${1:-}" == --check ]]; then
  if ! diff -u <(strip "$out") <(strip "$tmp/medchain.pb.go"); then
    echo "$out is stale: run bash chaincode/go/gen-proto.sh and commit the result" >&2
    exit 1
  fi
  echo "medchain.pb.go matches protos/medchain/medchain.proto (protoc-gen-go $version)"
else
  cp "$tmp/medchain.pb.go" "$out"
  echo "wrote $out (protoc-gen-go $version, $("$protoc" --version))"
fi
